#!/usr/bin/env bats
# trigger.bats - pk-trigger, the pcapdaemon replacement: every request
# field and administrator bound, requests from stdin and from a real
# redis-server through redis-cli (started once for the suite on the sensor
# namespace's loopback; one with TLS started by its case), a Redis restart
# mid-run, AUTH, oversize and malformed requests, and the escapes of
# issue 10 (items 3 and 15).
#
# Two network namespaces joined by a veth pair (tests/lib/pkread.bash):
# TA sends (pkv0, 10.99.0.1), TB is the sensor (pkv1, 10.99.0.2) where
# pk-trigger, its captures and redis-server run.

load helpers
load lib/pkread

REDIS_PORT=6390

setup_file() {
	export TRIG_LIVE=0
	[ "$(id -u)" = 0 ] || return 0
	NS_A=pktra$$ NS_B=pktrb$$
	ns_setup || { ns_teardown; return 0; }
	# the sensor's loopback (redis-server), and a second pair for requests naming two interfaces
	ip -n "$NS_B" link set lo up &&
		ip -n "$NS_B" link add pkw0 type veth peer name pkw1 &&
		ip -n "$NS_B" link set pkw0 up && ip -n "$NS_B" link set pkw1 up || return 1
	export NS_A NS_B TRIG_LIVE=1
	redis_start
}

teardown_file() {
	[ "${TRIG_LIVE:-0}" = 1 ] || return 0
	redis_stop
	ns_teardown
}

setup() {
	T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/pk-trig.XXXXXX")
	S=$PK_ROOT/scripts
	BGPIDS=""
	chmod 0755 "$T"
}

teardown() {
	local p
	for p in $BGPIDS; do kill_tree "$p"; done
	rm -rf "$T"
}

need_live() {
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, live capture)"
	[ "${TRIG_LIVE:-0}" = 1 ] || skip "cannot create network namespaces"
	for p in pkread pkslice pkextract; do
		[ -x "$PK_BIN/$p" ] || fail "$p is not built (make)"
	done
}

# ---- redis-server in the sensor namespace ----

redis_start() {
	command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
		{ echo "redis-server is not installed (scripts/pk-deps installs it)" >&2; return 1; }
	ip netns exec "$NS_B" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
	    --appendonly no --daemonize no >>"$BATS_FILE_TMPDIR/redis.log" 2>&1 &
	echo $! >"$BATS_FILE_TMPDIR/redis.pid"
	timeout 20 bash -c "until ip netns exec '$NS_B' redis-cli -p $REDIS_PORT ping 2>/dev/null | grep -q PONG; do sleep 0.1; done"
}

redis_stop() {
	local p
	p=$(cat "$BATS_FILE_TMPDIR/redis.pid" 2>/dev/null) || return 0
	kill "$p" 2>/dev/null
	timeout 10 bash -c "while kill -0 $p 2>/dev/null; do sleep 0.1; done"
	rm -f "$BATS_FILE_TMPDIR/redis.pid"
}

rcli() { ip netns exec "$NS_B" redis-cli -p "$REDIS_PORT" "$@"; }

# wait_subscribed N: until N clients listen on channel capture
wait_subscribed() {
	wait_for 30 bash -c "[ \"\$(ip netns exec '$NS_B' redis-cli -p $REDIS_PORT pubsub numsub capture | tail -1)\" = $1 ]"
}

# ---- helpers ----

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds (bounded)
wait_for() {
	local t=$1; shift
	timeout "$t" bash -c 'until "$@"; do sleep 0.1; done' wait_for "$@"
}

pcount() { tcpdump -r "$1" -nn 2>/dev/null | wc -l | tr -d ' '; }

# caplens FILE: the captured length of every record of a classic pcap
caplens() {
	perl -e 'open(my $f, "<:raw", $ARGV[0]) or die; local $/; my $d = <$f>; my $o = 24;
	    while ($o + 16 <= length $d) { my $c = unpack("V", substr($d, $o + 8, 4)); print "$c\n"; $o += 16 + $c }' "$1"
}

# traffic: UDP datagrams of 200 bytes to the sensor's port 9 (and, every
# fifth, port 10), about 50 a second, until the test ends
traffic() {
	ip netns exec "$NS_A" bash -c 'p=$(printf "%0200d" 0); for ((i = 0; ; i++)); do
	    echo "$p" >/dev/udp/10.99.0.2/$((i % 5 ? 9 : 10)); sleep 0.02; done' 2>/dev/null &
	BGPIDS="$BGPIDS $!"
}

# conf LINE...: $T/t.conf with OUTPUT_DIR=$T/out and the lines
conf() {
	printf 'OUTPUT_DIR=%s\nREDIS_PORT=%s\n' "$T/out" "$REDIS_PORT" >"$T/t.conf"
	printf '%s\n' "$@" >>"$T/t.conf"
}

# $(TRIG) ARGS...: pk-trigger in the sensor namespace; "$(TRIG) ... &" leaves
# in $! the pid of pk-trigger itself (ip and env exec it)
TRIG() { echo ip netns exec "$NS_B" env PATH="$PK_BIN:$PATH" "$S/pk-trigger"; }

# descendants PID: the pids of PID's processes, recursively (by parent pid)
descendants() {
	local c
	for c in $(pgrep -P "$1"); do
		echo "$c"
		descendants "$c"
	done
}

# one GLOB: the single file matching $T/out/GLOB
one() {
	local f
	f=$(ls "$T/out/"$1 2>/dev/null)
	[ -n "$f" ] && [ "$(wc -l <<<"$f")" -eq 1 ] || { echo "not one file $1: $f" >&2; return 1; }
	printf '%s\n' "$f"
}

# ---- validation (no capture) ----

@test "pk-trigger -n: pcapdaemon's fields and pk-trigger 0.1's, caps, aliases, names; refusals say why" {
	conf 'MAX_PACKETS=50' 'MAX_DURATION=30' 'DEFAULT_DURATION=10' 'MAX_TIMEOUT=20' 'DEFAULT_TIMEOUT=7' \
	    'MAX_SNAP=1500' 'ALIASES="uplink=lo dmz=nonexistent0 both=lo,pk-none"' 'NODE_NAME=sensor1.example.org'
	run "$S/pk-trigger" -n -c "$T/t.conf" <<-'EOF'
	subscribe
	capture
	1
	message
	capture
	{"alertid":"A-1/../x y","interface":["lo"],"packets":5,"tags":["scan","t 2"]}
	{"alertid":2,"alias":["uplink"],"packets":100000,"duration":999,"timeout":50,"snap":9000}
	{"alert_id":3,"interface_alias":"uplink","idle_timeout":5,"node_regex":"^sensor[0-9]"}
	{not json
	{"interface":"lo","packets":1,"tags":"a,b,,c"}
	{"alertid":4,"interface":"nonexistent0"}
	{"alertid":5,"alias":["nope"]}
	{"alertid":6,"interface":["lo"],"node":"other"}
	{"alertid":7,"interface":["lo"],"nodere":"^sensor[0-9]\\.example"}
	{"alertid":8,"interface":["lo"],"packets":-3}
	{"alertid":9,"interface":["lo"],"node":"sensor1"}
	{"alertid":10,"interface":["lo"],"nodere":"^other"}
	{"alertid":11,"interface":["lo"],"node":"any","nodere":"x"}
	{"alertid":12,"interface":["lo"],"alias":["uplink"]}
	{"alertid":13,"interface":["../../etc"]}
	{"alertid":14,"interface":["lo"],"frobnicate":1,"Packets":2}
	{"alertid":15,"interface":["lo"],"bpf":"udp\u0000"}
	[1,2] is not a request: not even looked at
	{"alertid":16,"interface":["lo"],"packets":"12"}
	{"alertid":17,"interface":["lo"],"packetdebug":"maybe"}
	{
	  "alertid": 18,
	  "interface": [
	    "lo"
	  ],
	  "tags": "pretty,printed"
	}
	EOF
	echo "$output"
	[ "$status" -eq 0 ]
	local out
	out=$(grep '^pkread' <<<"$output")
	[ "$(wc -l <<<"$out")" -eq 9 ]
	grep -q "^pkread -k -i lo -s 1500 -c 5 -b 104857600 -t 10 -I 7 -- | pkslice -w $T/out/[0-9]\{8\}T[0-9]\{6\}Z_A-1_.._x_y_lo_scan-t_2.pcap\$" <<<"$out"
	grep -q "^pkread -k -i lo -s 1500 -c 50 -b 104857600 -t 30 -I 20 -- | pkslice -w $T/out/.*Z_2_lo.pcap\$" <<<"$out"
	grep -q "^pkread -k -i lo -s 1500 -c 50 -b 104857600 -t 10 -I 5 -- | .*Z_3_lo.pcap\$" <<<"$out"
	grep -q "^pkread -k -i lo -s 1500 -c 1 .*Z_lo_a-b-c.pcap\$" <<<"$out"
	grep -q '_7_lo.pcap$' <<<"$out"
	grep -q '_9_lo.pcap$' <<<"$out"
	grep -q "^pkread -k -i lo -s 1500 -c 12 .*_16_lo.pcap\$" <<<"$out"
	grep -q '_14_lo.pcap$' <<<"$out"
	# pretty-printed over several lines, as jq prints it
	grep -q '_18_lo_pretty-printed.pcap$' <<<"$out"
	grep -q 'alert 2: packets 100000 capped to 50' <<<"$output"
	grep -q 'alert 2: duration 999 capped to 30' <<<"$output"
	grep -q 'alert 2: timeout 50 capped to 20' <<<"$output"
	grep -q 'alert 2: snap 9000 capped to 1500' <<<"$output"
	grep -q 'refused: malformed request (.*): {not json' <<<"$output"
	grep -q 'alert 4: refused: unknown interface nonexistent0' <<<"$output"
	grep -q 'alert 5: refused: unknown interface alias nope' <<<"$output"
	grep -q 'alert 6: for node other, not sensor1.example.org: ignored' <<<"$output"
	grep -q 'refused: malformed request (packets is not a non-negative integer)' <<<"$output"
	grep -q 'alert 10: for nodes /^other/, not sensor1.example.org: ignored' <<<"$output"
	grep -q 'refused: malformed request (node and nodere: give one or the other)' <<<"$output"
	grep -q 'refused: malformed request (interface and alias: give one or the other)' <<<"$output"
	grep -q 'refused: malformed request (interface: bad name "../../etc")' <<<"$output"
	grep -q 'alert 14: unknown keys ignored: "Packets", "frobnicate"' <<<"$output"
	grep -q 'refused: malformed request (bpf has control characters)' <<<"$output"
	grep -q 'refused: malformed request (packetdebug is not true or false)' <<<"$output"
	# redis-cli's own lines are skipped silently
	! grep -q 'subscribe\|message' <<<"$output" || false
	# a line for each of the 20 requests: 9 captures, 11 refused or ignored
	[ "$(grep -c 'refused\|: ignored$' <<<"$output")" -eq 11 ]
}

@test "pk-trigger -n: OVER_LIMIT=refuse refuses what is above a bound, as pcapdaemon does" {
	conf 'MAX_PACKETS=50' 'OVER_LIMIT=refuse'
	run "$S/pk-trigger" -n -c "$T/t.conf" <<-'EOF'
	{"alertid":1,"interface":["lo"],"packets":51}
	{"alertid":2,"interface":["lo"],"packets":50}
	EOF
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q 'alert 1: refused: packets 51 is above the maximum 50' <<<"$output"
	[ "$(grep -c '^pkread' <<<"$output")" -eq 1 ]
	grep -q '^pkread .* -c 50 .*_2_lo.pcap$' <<<"$output"
}

@test "pk-trigger: a configuration value that is not valid exits 78 with the setting named" {
	local kv
	for kv in MAX_PACKETS=lots MAX_DURATION=0 DEFAULT_DURATION=700 SNAPLEN=300000 MAX_PARALLEL=x \
	    OVER_LIMIT=maybe 'ALIASES="=lo"' REDIS_PORT=70000 MAX_REQUEST=10 UPLOAD_EMPTY=yes; do
		conf "$kv"
		run "$S/pk-trigger" -n -c "$T/t.conf" </dev/null
		[ "$status" -eq 78 ] || { echo "$kv: status $status: $output"; false; }
		grep -q "${kv%%=*}" <<<"$output" || { echo "$kv: $output"; false; }
	done
	run "$S/pk-trigger" -n -c "$T/missing.conf" </dev/null
	[ "$status" -eq 78 ]
	run "$S/pk-trigger" -x
	[ "$status" -eq 64 ]
}

@test "pk-trigger: ALIASES is checked as written, never expanded as a file pattern" {
	mkdir "$T/cwd"
	: >"$T/cwd/up=lo"
	conf 'ALIASES="u*"'
	cd "$T/cwd"
	run "$S/pk-trigger" -n -c "$T/t.conf" <<<'{"alertid":1,"alias":["up"]}'
	echo "$output"
	[ "$status" -eq 78 ]
	grep -q 'ALIASES: u\*: not alias=interface' <<<"$output"
}

@test "pk-trigger (issue 10 item 15): a 5 MB request line is refused at once, the next request is served" {
	conf
	# 5 MB on one line, then a request: linear, not quadratic (it took 11 minutes)
	{ printf '{"alert_id":"big","interface":"lo","bpf":"'; head -c 5000000 /dev/zero | tr '\0' x
	  printf '"}\n{"alert_id":"after","interface":"lo"}\n'; } >"$T/req"
	run timeout -k 5 60 "$S/pk-trigger" -n -c "$T/t.conf" <"$T/req"
	echo "${output:0:2000}"
	[ "$status" -eq 0 ]
	grep -q 'refused: request longer than MAX_REQUEST (65536 bytes): {"alert_id":"big"' <<<"$output"
	grep -q '^pkread .*_after_lo.pcap$' <<<"$output"
	[ "${#output}" -lt 2000 ]
	# a pretty-printed text that grows past the bound is refused the same way
	{ echo '{'; for i in $(seq 1 3000); do echo "  \"k$i\": \"vvvvvvvvvvvvvvvvvvvvvvvvvvvv\","; done
	  echo '  "interface": ["lo"]'; echo '}'; echo '{"alertid":"after2","interface":["lo"]}'; } >"$T/req2"
	run timeout -k 5 60 "$S/pk-trigger" -n -c "$T/t.conf" <"$T/req2"
	echo "${output:0:2000}"
	grep -q 'refused: request longer than MAX_REQUEST' <<<"$output"
	grep -q '^pkread .*_after2_lo.pcap$' <<<"$output"
}

# ---- captures ----

@test "pk-trigger: every capture control on a live veth: packets, bytes, snap, bpf, timeout, duration" {
	need_live
	# were duration ignored, "d" would run 45 s: past the run's 40 s
	conf 'MAX_PARALLEL=8' 'DEFAULT_DURATION=45'
	traffic
	run timeout 40 $(TRIG) -c "$T/t.conf" <<-'EOF'
	{"alertid":"p","interface":["pkv1"],"packets":7,"bpf":"udp"}
	{"alertid":"b","interface":["pkv1"],"bytes":500,"bpf":"udp"}
	{"alertid":"s","interface":["pkv1"],"snap":40,"packets":4,"bpf":"udp"}
	{"alertid":"f","interface":["pkv1"],"packets":6,"bpf":"udp dst port 10"}
	{"alertid":"t","interface":["pkv1"],"bpf":"tcp port 4242","timeout":1,"duration":50}
	{"alertid":"d","interface":["pkv1"],"duration":2,"bpf":"udp"}
	EOF
	echo "$output"
	[ "$status" -eq 0 ]
	local f
	f=$(one '*_p_pkv1.pcap')
	[ "$(pcount "$f")" -eq 7 ]
	# bytes: stops at the packet that reaches 500 captured bytes
	f=$(one '*_b_pkv1.pcap')
	[ "$(caplens "$f" | awk '{ s += $1 } END { print (s >= 500 && s - $1 < 500) }')" = 1 ]
	f=$(one '*_s_pkv1.pcap')
	[ "$(pcount "$f")" -eq 4 ]
	[ "$(caplens "$f" | sort -u)" = 40 ]
	f=$(one '*_f_pkv1.pcap')
	[ "$(pcount "$f")" -eq 6 ]
	[ "$(tcpdump -r "$f" -nn 'udp dst port 10' 2>/dev/null | wc -l)" -eq 6 ]
	# timeout: no tcp packet for a second ends it long before its duration; empty: no file
	grep -q 'alert t on pkv1: 0 packets, 0 dropped by kernel, 0 by interface; no file, not uploaded' <<<"$output"
	[ -z "$(ls "$T/out/"*_t_* 2>/dev/null)" ]
	# duration: 2 s of a 50/s stream
	f=$(one '*_d_pkv1.pcap')
	[ "$(pcount "$f")" -gt 0 ]
	# one outcome line per capture, with counts, file and upload status
	grep -q "alert p on pkv1: 7 packets, [0-9]* bytes, 0 dropped by kernel, 0 by interface; $T/out/.*_p_pkv1.pcap; no upload" <<<"$output"
	[ "$(grep -c '^pk-trigger: alert . on pkv1: .*packets.*; \(no file\|/\)' <<<"$output")" -eq 6 ]
}

@test "pk-trigger: node, nodere, interface and alias arrays, tags, customer, alertid, S3 fields, logrequest, packetdebug" {
	need_live
	conf 'NODE_NAME=sensor7.example.org' 'ALIASES="mon=pkv1,pkw0 local=pkw0"' \
	    'S3_BUCKET=default-bucket' 'S3_REGION=eu-west-1' \
	    "UPLOAD_CMD='env >\"\$f.env\"'"
	traffic
	run timeout 60 $(TRIG) -c "$T/t.conf" <<-'EOF'
	{"alertid":1,"node":"sensor7.example.org","interface":["pkv1","pkw0"],"packets":3,"bpf":"udp","timeout":2}
	{"alertid":2,"nodere":"^sensor[0-9]+\\.","alias":["mon"],"packets":3,"bpf":"udp","timeout":2}
	{"alertid":3,"node":"sensor8","interface":["pkv1"],"packets":3}
	{"alertid":4,"node":"any","interface":"pkv1","packets":2,"bpf":"udp","tags":"a,b","customer":"acme",
	 "bucket":"b4","folder":"f/4","acl":"private","endpoint":"s3.example","encryption":true,"logrequest":true,"packetdebug":true}
	EOF
	echo "$output"
	[ "$status" -eq 0 ]
	# an array of interfaces: a capture on each; the veth pkw0 carries nothing, so no file
	[ "$(pcount "$(one '*_1_pkv1.pcap')")" -eq 3 ]
	grep -q 'alert 1 on pkw0: 0 packets.*no file, not uploaded' <<<"$output"
	[ "$(pcount "$(one '*_2_pkv1.pcap')")" -eq 3 ]
	grep -q 'alert 2 on pkw0: 0 packets' <<<"$output"
	grep -q 'alert 3: for node sensor8, not sensor7.example.org: ignored' <<<"$output"
	[ -z "$(ls "$T/out/"*_3_* 2>/dev/null)" ]
	local f
	f=$(one '*_4_pkv1_a-b.pcap')
	[ "$(pcount "$f")" -eq 2 ]
	grep -qx "f=$f" "$f.env"
	grep -qx 'customer=acme' "$f.env"
	grep -qx 'tags=a,b' "$f.env"
	grep -qx 'alertid=4' "$f.env"
	grep -qx 'iface=pkv1' "$f.env"
	grep -qx 'bucket=b4' "$f.env"
	grep -qx 'folder=f/4' "$f.env"
	grep -qx 'acl=private' "$f.env"
	grep -qx 'endpoint=s3.example' "$f.env"
	grep -qx 'encryption=1' "$f.env"
	grep -qx 'region=eu-west-1' "$f.env"
	grep -qx 'bucket=default-bucket' "$(one '*_1_pkv1.pcap').env"
	grep -q 'alert 4 on pkv1: 2 packets, .*; uploaded' <<<"$output"
	grep -q 'alert 4: request: {"alertid":4,"node":"any"' <<<"$output"
	[ "$(grep -c 'alert 4 on pkv1: packet: .* IP 10.99.0.1\.[0-9]* > 10.99.0.2\.\(9\|10\): UDP' <<<"$output")" -eq 2 ]
}

@test "pk-trigger: pcapdaemon's sample message over Redis, pretty-printed as in its README" {
	need_live
	# the upload command sees the request's fields, and holds no descriptor of Redis
	conf "UPLOAD_CMD='env >\"\$f.env\"; ls -l /proc/\$\$/fd >\"\$f.fds\"'" 'NODE_NAME=whatever'
	$(TRIG) -r -c "$T/t.conf" -o "$T/out" >"$T/paths" 2>"$T/log" &
	BGPIDS="$BGPIDS $!"
	wait_subscribed 1 || { cat "$T/log"; false; }
	traffic
	# pcapdaemon's tests/msg.json, its interface made this sensor's, "port 22" made udp
	rcli publish capture "$(cat <<-'EOF'
	{
	    "node": "any",
	    "interface": ["pkv1"],
	    "tags": "blah,tagme,stuff",
	    "bpf": "udp",
	    "customer": "importantcustomer",
	    "snap": 1500,
	    "packets": 25,
	    "alertid": 655443,
	    "timeout": 15,
		"folder": "myfolder",
		"bucket": "mybucket",
		"acl": "public-read",
		"region": "us-east-1",
		"endpoint": "s3.amazonaws.com",
		"encryption": true
	}
	EOF
	)" >/dev/null
	wait_for 30 test -s "$T/paths" || { cat "$T/log"; false; }
	local f
	f=$(cat "$T/paths")
	[[ "$f" == "$T/out/"*Z_655443_pkv1_blah-tagme-stuff.pcap ]]
	[ "$(pcount "$f")" -eq 25 ]
	[ "$(caplens "$f" | sort -n | tail -1)" -le 1500 ]
	wait_for 10 test -s "$f.env"
	grep -qx 'bucket=mybucket' "$f.env"
	grep -qx 'folder=myfolder' "$f.env"
	grep -qx 'acl=public-read' "$f.env"
	grep -qx 'region=us-east-1' "$f.env"
	grep -qx 'endpoint=s3.amazonaws.com' "$f.env"
	grep -qx 'encryption=1' "$f.env"
	grep -qx 'customer=importantcustomer' "$f.env"
	grep -qx 'tags=blah,tagme,stuff' "$f.env"
	! grep -q 'socket:' "$f.fds" || false
	! grep -q 'unknown keys' "$T/log"
}

@test "pk-trigger -r: malformed and oversize messages are refused, the subscription carries on" {
	need_live
	conf
	$(TRIG) -r -c "$T/t.conf" >"$T/paths" 2>"$T/log" &
	BGPIDS="$BGPIDS $!"
	wait_subscribed 1 || { cat "$T/log"; false; }
	traffic
	rcli publish capture '{this is not json' >/dev/null
	rcli publish capture '"a string"' >/dev/null
	rcli publish capture '{"alertid":"m1","interface":["pkv1"],"packets":"many"}' >/dev/null
	rcli publish capture '{"alertid":"m2","interface":["pkv1"],"bpf":"udp and ((("}' >/dev/null
	head -c 3000000 /dev/zero | tr '\0' y >"$T/big"
	rcli -x publish capture <"$T/big" >/dev/null
	rcli publish capture '{"alertid":"ok","interface":["pkv1"],"packets":3,"bpf":"udp"}' >/dev/null
	wait_for 30 test -s "$T/paths" || { cat "$T/log"; false; }
	cat "$T/log"
	[ "$(pcount "$(one '*_ok_pkv1.pcap')")" -eq 3 ]
	grep -q 'refused: malformed request (.*): {this is not json' "$T/log"
	grep -q 'refused: malformed request (not a JSON object): "a string"' "$T/log"
	grep -q 'refused: malformed request (packets is not a non-negative integer)' "$T/log"
	grep -q 'alert m2: refused: pkread rejects the filter: ' "$T/log"
	grep -q 'refused: request longer than MAX_REQUEST (65536 bytes): \["message","capture","yyyy' "$T/log"
	# still the first connection
	[ "$(grep -c 'subscribed to capture' "$T/log")" -eq 1 ]
}

@test "pk-trigger -r: Redis restarts mid-run; pk-trigger reconnects with backoff and serves the next request" {
	need_live
	conf 'REDIS_BACKOFF_MAX=2'
	$(TRIG) -r -c "$T/t.conf" >"$T/paths" 2>"$T/log" &
	local pid=$!
	BGPIDS="$BGPIDS $pid"
	wait_subscribed 1 || { cat "$T/log"; false; }
	redis_stop
	wait_for 20 grep -q 'reconnecting in 2 s' "$T/log" || { cat "$T/log"; false; }
	kill -0 "$pid"
	redis_start
	wait_subscribed 1 || { cat "$T/log"; false; }
	traffic
	rcli publish capture '{"alertid":"after-restart","interface":["pkv1"],"packets":4,"bpf":"udp"}' >/dev/null
	wait_for 30 test -s "$T/paths" || { cat "$T/log"; false; }
	cat "$T/log"
	[ "$(pcount "$(one '*_after-restart_pkv1.pcap')")" -eq 4 ]
	grep -q 'connection lost' "$T/log"
	grep -q 'cannot connect' "$T/log"
	grep -q 'reconnecting in 1 s' "$T/log"
	[ "$(grep -c 'subscribed to capture' "$T/log")" -eq 2 ]
	kill -0 "$pid"
}

@test "pk-trigger -r: the reader of redis-cli dying ends pk-trigger with 75, for the unit to restart it" {
	need_live
	conf
	$(TRIG) -r -c "$T/t.conf" >"$T/paths" 2>"$T/log" &
	local pid=$! p st=0
	BGPIDS="$BGPIDS $pid"
	wait_subscribed 1 || { cat "$T/log"; false; }
	for p in $(descendants "$pid"); do
		[ "$(cat "/proc/$p/comm")" != jq ] || kill -KILL "$p"
	done
	timeout 20 tail --pid="$pid" -f /dev/null
	wait "$pid" || st=$?
	cat "$T/log"
	[ "$st" -eq 75 ]
	grep -q 'exiting to be restarted' "$T/log"
	# and redis-cli went with it
	wait_subscribed 0
}

@test "pk-trigger (issue 10 item 3): no request value becomes an option; every bound applies when the request is silent" {
	need_live
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	# a filter file any option could point at
	echo udp >"$T/any-filter"
	chmod 0644 "$T/any-filter"
	conf 'PK_USER=nobody' 'MAX_PACKETS=30' 'MAX_SNAP=96' 'MAX_BYTES=1000' 'MAX_PARALLEL=6'
	traffic
	run timeout 60 $(TRIG) -c "$T/t.conf" <<-EOF
	{"alert_id":"z","interface":"pkv1","bpf":"-Z0"}
	{"alert_id":"c","interface":"pkv1","bpf":"-c999999999"}
	{"alert_id":"F","interface":"pkv1","bpf":"-F$T/any-filter"}
	{"alert_id":"dd","interface":"pkv1","bpf":"--"}
	{"alert_id":"quiet","interface":"pkv1","bpf":"udp"}
	EOF
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q 'alert z: refused: pkread rejects the filter' <<<"$output"
	grep -q 'alert c: refused: pkread rejects the filter' <<<"$output"
	grep -q 'alert F: refused: pkread rejects the filter' <<<"$output"
	grep -q 'alert dd: refused: pkread rejects the filter' <<<"$output"
	[ "$(ls "$T/out" | grep -v _quiet_)" = "" ]
	# a request naming no limit gets every one: snap 96, at most 1000 bytes, 30 packets
	local f
	f=$(one '*_quiet_pkv1.pcap')
	[ "$(caplens "$f" | sort -n | tail -1)" -le 96 ]
	[ "$(caplens "$f" | awk '{ s += $1 } END { print (s - $1 < 1000) }')" = 1 ]
	[ "$(pcount "$f")" -le 30 ]
	grep -q 'alert quiet on pkv1: capturing at most 30 packets, 1000 bytes, 60 s, 60 s without a packet, snap 96' <<<"$output"
}

@test "pk-trigger: captures run side by side (MAX_PARALLEL); TERM finishes the running ones and exits 0" {
	need_live
	conf 'MAX_PARALLEL=2'
	traffic
	mkfifo "$T/in"
	$(TRIG) -c "$T/t.conf" <"$T/in" >"$T/paths" 2>"$T/log" &
	local pid=$!
	BGPIDS="$BGPIDS $pid"
	exec 7>"$T/in"
	echo '{"alertid":"long","interface":["pkv1"],"duration":600,"bpf":"udp"}' >&7
	echo '{"alertid":"short","interface":["pkv1"],"packets":5,"bpf":"udp"}' >&7
	# the short one finishes while the long one runs
	wait_for 30 grep -q '_short_pkv1.pcap' "$T/paths" || { cat "$T/log"; false; }
	[ "$(pcount "$(one '*_short_pkv1.pcap')")" -eq 5 ]
	! grep -q '_long_' "$T/paths" || false
	# stop: the long capture is finished, not lost
	kill -TERM "$pid"
	wait_for 30 bash -c "! kill -0 $pid 2>/dev/null" || { cat "$T/log"; false; }
	local st=0
	wait "$pid" || st=$?
	exec 7>&-
	cat "$T/log"
	[ "$st" -eq 0 ]
	[ "$(pcount "$(one '*_long_pkv1.pcap')")" -gt 5 ]
	grep -q "alert long on pkv1: [0-9]* packets, .*_long_pkv1.pcap; no upload" "$T/log"
	[ -z "$(ls "$T/out/"*.part 2>/dev/null)" ]
}

@test "pk-trigger: an empty capture is not uploaded unless UPLOAD_EMPTY=1; a failing upload is logged" {
	need_live
	conf "UPLOAD_CMD='echo uploading \"\$1\" >&2; exit 3'"
	run timeout 60 $(TRIG) -c "$T/t.conf" <<-'EOF'
	{"alertid":"e1","interface":["pkv1"],"bpf":"tcp port 4242","timeout":1}
	EOF
	echo "$output"
	grep -q 'alert e1 on pkv1: 0 packets, .*no file, not uploaded' <<<"$output"
	! grep -q uploading <<<"$output" || false
	conf "UPLOAD_CMD='echo uploading \"\$1\" >&2; exit 3'" 'UPLOAD_EMPTY=1'
	traffic
	run timeout 60 $(TRIG) -c "$T/t.conf" <<-'EOF'
	{"alertid":"e2","interface":["pkv1"],"bpf":"tcp port 4242","timeout":1}
	{"alertid":"u","interface":["pkv1"],"bpf":"udp","packets":3}
	EOF
	echo "$output"
	local f
	f=$(one '*_e2_pkv1.pcap')
	[ "$(pcount "$f")" -eq 0 ]
	grep -q "uploading $f" <<<"$output"
	grep -q "alert e2 on pkv1: 0 packets, .*; $f; upload failed (status 3)" <<<"$output"
	grep -q "alert u on pkv1: 3 packets, .*upload failed (status 3)" <<<"$output"
}

@test "pk-trigger -r: AUTH with REDIS_PASSWORD, given to redis-cli in its environment, on no command line; a wrong password exits 78, not a retry loop" {
	need_live
	rcli config set requirepass pk-s3cret >/dev/null
	conf 'REDIS_PASSWORD=pk-s3cret' 'REDIS_USER=default'
	$(TRIG) -r -c "$T/t.conf" >"$T/paths" 2>"$T/log" &
	local pid=$! p cli=""
	BGPIDS="$BGPIDS $pid"
	wait_for 30 grep -q 'subscribed to capture' "$T/log" || { cat "$T/log"; rcli -a pk-s3cret --no-auth-warning config set requirepass '' >/dev/null 2>&1; false; }
	for p in $(descendants "$pid"); do
		! grep -qa pk-s3cret "/proc/$p/cmdline" || { tr '\0' ' ' <"/proc/$p/cmdline"; false; }
		[ "$(cat "/proc/$p/comm")" != redis-cli ] || cli=$p
	done
	[ -n "$cli" ]
	grep -qax 'REDISCLI_AUTH=pk-s3cret' <(tr '\0' '\n' <"/proc/$cli/environ")
	conf 'REDIS_PASSWORD=wrong'
	run timeout 30 $(TRIG) -r -c "$T/t.conf"
	echo "$output"
	[ "$status" -eq 78 ]
	grep -q 'AUTH refused' <<<"$output"
	conf
	run timeout 30 $(TRIG) -r -c "$T/t.conf"
	rcli -a pk-s3cret --no-auth-warning config set requirepass '' >/dev/null
	echo "$output"
	[ "$status" -eq 78 ]
	grep -q 'AUTH refused: NOAUTH' <<<"$output"
}

@test "pk-trigger -r: TLS with a client certificate and AUTH; a server it cannot verify is not subscribed to" {
	need_live
	need_cmd openssl
	local d=$T/tls port=6393
	mkdir "$d"
	# a CA, the server's certificate for 127.0.0.1, a client's
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 2 -subj /CN=pk-test-ca 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\n' >"$d/ext"
	for c in srv cli; do
		openssl req -newkey rsa:2048 -nodes -keyout "$d/$c.key" -out "$d/$c.csr" -subj "/CN=$c" 2>/dev/null
		openssl x509 -req -in "$d/$c.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		    -out "$d/$c.crt" -days 2 -extfile "$d/ext" 2>/dev/null
	done
	chmod 0644 "$d"/*
	ip netns exec "$NS_B" redis-server --port 0 --tls-port "$port" --bind 127.0.0.1 --save '' --appendonly no \
	    --tls-cert-file "$d/srv.crt" --tls-key-file "$d/srv.key" --tls-ca-cert-file "$d/ca.crt" \
	    --tls-auth-clients yes --requirepass pk-tls >"$T/redis-tls.log" 2>&1 &
	BGPIDS="$BGPIDS $!"
	tcli() { REDISCLI_AUTH=pk-tls ip netns exec "$NS_B" redis-cli -p "$port" --tls --cacert "$d/ca.crt" \
	    --cert "$d/cli.crt" --key "$d/cli.key" "$@"; }
	wait_for 20 bash -c "$(declare -f tcli); d=$d port=$port NS_B=$NS_B; tcli ping 2>/dev/null | grep -q PONG" ||
	    { cat "$T/redis-tls.log"; false; }
	conf "REDIS_PORT=$port" 'REDIS_TLS=1' "REDIS_CACERT=$d/ca.crt" "REDIS_CERT=$d/cli.crt" \
	    "REDIS_KEY=$d/cli.key" 'REDIS_PASSWORD=pk-tls'
	$(TRIG) -r -c "$T/t.conf" >"$T/paths" 2>"$T/log" &
	BGPIDS="$BGPIDS $!"
	wait_for 30 grep -q 'subscribed to capture' "$T/log" || { cat "$T/log"; false; }
	traffic
	tcli publish capture '{"alertid":"tls","interface":["pkv1"],"packets":3,"bpf":"udp"}' >/dev/null
	wait_for 30 test -s "$T/paths" || { cat "$T/log"; false; }
	[ "$(pcount "$(one '*_tls_pkv1.pcap')")" -eq 3 ]
	# the system's CAs do not vouch for this server: no subscription, retries
	conf "REDIS_PORT=$port" 'REDIS_TLS=1' "REDIS_CERT=$d/cli.crt" "REDIS_KEY=$d/cli.key" \
	    'REDIS_PASSWORD=pk-tls' 'REDIS_BACKOFF_MAX=1'
	run timeout 4 $(TRIG) -n -r -c "$T/t.conf"
	echo "$output"
	grep -q 'cannot connect: .*certificate verify failed' <<<"$output"
	grep -q 'reconnecting in 1 s' <<<"$output"
	! grep -q 'subscribed' <<<"$output" || false
}

@test "pk-trigger.conf.example: every setting it shows is pk-trigger's default" {
	sed -n 's/^#\([A-Z0-9_]*=\)/\1/p' "$PK_ROOT/systemd/pk-trigger.conf.example" >"$T/all.conf"
	[ "$(wc -l <"$T/all.conf")" -ge 30 ]
	printf 'OUTPUT_DIR=%s\n' "$T/out" >>"$T/all.conf"
	printf 'OUTPUT_DIR=%s\n' "$T/out" >"$T/none.conf"
	# every setting pk-trigger reads is in the example
	local k
	for k in $(grep -o '"\${[A-Z0-9_]*:=' "$S/pk-trigger" | sed 's/"\${//; s/:=//' | sort -u); do
		case $k in MAX_IDLE | OUTPUT_DIR) continue ;; esac
		grep -q "^$k=" "$T/all.conf" || { echo "pk-trigger.conf.example lacks $k"; false; }
	done
	cat >"$T/req" <<-'EOF2'
	{"alertid":1,"interface":["lo"]}
	{"alertid":2,"interface":["lo"],"packets":999999999,"bytes":999999999999,"duration":99999,"timeout":99999,"snap":999999}
	EOF2
	run "$S/pk-trigger" -n -c "$T/all.conf" <"$T/req"
	[ "$status" -eq 0 ]
	local with
	with=$(sed 's/[0-9]\{8\}T[0-9]\{6\}Z//' <<<"$output")
	run "$S/pk-trigger" -n -c "$T/none.conf" <"$T/req"
	[ "$status" -eq 0 ]
	[ "$(sed 's/[0-9]\{8\}T[0-9]\{6\}Z//' <<<"$output")" = "$with" ]
	grep -q '^pkread -k -i lo -s 262144 -c 100000 -b 104857600 -t 60 -I 60 -- ' <<<"$with"
}
