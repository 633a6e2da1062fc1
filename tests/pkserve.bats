#!/usr/bin/env bats
# pkserve: the query service, a real server on 127.0.0.1 with certificates
# made by scripts/pk-serve-keys.  Oracles: tcpdump over the archive's files
# (in the question's time window) for Debian's stenoread and stenocurl,
# pkfind itself for pk's /v1/*; openssl/curl for the TLS refusals.

load helpers
load lib/pkfind
load lib/pkserve

setup_file() {
	local g=$PK_TOOLS/pkgen now
	export PS=$BATS_FILE_TMPDIR
	need_cmd_file curl openssl stenoread stenocurl jq capinfos || return 1
	ps_keys "$PS/keys" client >/dev/null
	ps_keys "$PS/other" client >/dev/null	# another CA altogether
	mkdir -p "$PS/intruder"
	cp "$PS/keys/ca_cert.pem" "$PS/keys/ca_key.pem" "$PS/intruder/"
	ps_keys "$PS/intruder" intruder >/dev/null	# the same CA, a name no rule gives an archive
	# two captures with a hole between: 12 to 9 minutes ago, 6 to 3 minutes ago
	now=$(date +%s)
	export T0=$((now - 720))
	"$g" -n 1800 -N -t "$T0" -i 100000 "$PS/a.pcap"
	"$g" -n 1800 -N -t $((T0 + 360)) -i 100000 -s 7 "$PS/b.pcap"
	pf_archive "$PS/arch" 400 "$PS/a.pcap" "$PS/b.pcap" 2>"$PS/gen.log"
	mkdir -p "$PS/other-arch"
	printf 'client %s\n# intruder: no rule\n' "$PS/arch" >"$PS/acl"
	ps_start main -d "$PS/arch" -d "$PS/other-arch" -k "$PS/keys" -a "$PS/acl"
	printf '{"Host":"127.0.0.1","Port":%s,"CertPath":"%s"}\n' "$PS_PORT_main" "$PS/keys" >"$PS/steno.json"
}

teardown_file() {
	[ -z "${PS_PID_main:-}" ] || kill "$PS_PID_main" 2>/dev/null
	# (servers a test starts, it stops itself: its variables do not reach here)
	return 0
}

need_cmd_file() {
	local c
	for c in "$@"; do command -v "$c" >/dev/null || { echo "$c is not installed" >&2; return 1; }; done
}

# rfc OFFSET: RFC 3339 of T0 + OFFSET seconds (OFFSET may have a fraction)
rfc() {
	local s=${1%.*} f=""
	case $1 in *.*) f=.${1#*.} ;; esac
	printf '%s%sZ\n' "$(date -u -d "@$((T0 + s))" +%Y-%m-%dT%H:%M:%S)" "$f"
}
at() { local s=${1%.*} f=""; case $1 in *.*) f=.${1#*.} ;; esac; printf '%s%s\n' "$((T0 + s))" "$f"; }

same() {
	run ps_same "$@"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

@test "the server started and said where it listens" {
	assert [ -n "$PS_PORT_main" ]
	run grep -c 'serving 2 archives' "$PS/main.log"
	assert_output 1
}

# ---- Stenographer's language through Debian's stenoread: tcpdump's packets ----
@test "steno: host v4"                    { same 'host 10.0.0.1' 'host 10.0.0.1'; }
@test "steno: host v6"                    { same 'host 2001:db8::3' 'host 2001:db8::3'; }
@test "steno: net A/N (host bits masked)" { same 'net 10.0.0.7/29' 'net 10.0.0.0/29'; }
@test "steno: net v6/N"                   { same 'net 2001:db8::/124' 'net 2001:db8::/124'; }
@test "steno: net A mask M"               { same 'net 192.168.1.0 mask 255.255.255.240' 'net 192.168.1.0 mask 255.255.255.240'; }
@test "steno: port"                       { same 'port 443' 'port 443'; }
@test "steno: ip proto (v4 and v6)"       { same 'ip proto 17' 'ip proto 17 or ip6 proto 17'; }
@test "steno: tcp"                        { same 'tcp' 'tcp'; }
@test "steno: udp"                        { same 'udp' 'udp'; }
@test "steno: icmp"                       { same 'icmp' 'icmp'; }
@test "steno: vlan"                       { same 'vlan 10' 'vlan 10'; }
@test "steno: mpls" {
	local label
	label=$(tcpdump -r "$PS/a.pcap" -nn mpls 2>/dev/null | sed -n 's/.*MPLS (label \([0-9]*\).*/\1/p' | head -1)
	[ -n "$label" ]
	same "mpls $label" "mpls $label"
}
@test "steno: and, && and parentheses"    { same 'host 10.0.0.1 && (port 443 || port 80)' 'host 10.0.0.1 and (port 443 or port 80)'; }
@test "steno: and/or of equal precedence, left to right" {
	# pcap-filter would read "tcp or udp and port 53" as tcp or (udp and port 53)
	same 'tcp or udp and port 53' '(tcp or udp) and port 53'
	same 'udp || tcp && host 10.0.0.2' '(udp or tcp) and host 10.0.0.2'
}
@test "steno: after/before RFC 3339, fractions: exact to the nanosecond" {
	same "after $(rfc 30.5) and before $(rfc 90.25) and tcp" 'tcp' "$(at 30.5)" "$(at 90.25)"
	same "tcp and after $(rfc 400)" 'tcp' "$(at 400)" ""
	same "before $(rfc 20.123456789) and udp" 'udp' "" "$(at 20.123456789)"
}
@test "steno: N m ago and N h ago (window edges in the hole between the captures)" {
	# the hole runs from 9 to 6 minutes ago: "7m ago" lies in it whenever the test runs
	same 'host 10.0.0.1 and after 7m ago' 'host 10.0.0.1' "$(at 360)" ""
	same 'before 7m ago and host 10.0.0.1' 'host 10.0.0.1' "" "$(at 300)"
	same 'after 1h ago and before 1m ago and udp' 'udp'
	PS_EMPTY_OK=1 same 'after 2m ago' 'ip' "$(at 100000)" ""
}
@test "steno: stenoread 'host A and after 3m ago' -nn runs as documented" {
	run env STENOGRAPHER_CONFIG="$PS/steno.json" stenoread "host 10.0.0.1 and after 20m ago" -nn
	assert_success
	[ "$(printf '%s\n' "$output" | grep -c '10.0.0.1')" -gt 10 ]
}
@test "steno: the question Security Onion sends" {
	local l a b p q
	l=$(tcpdump -r "$PS/a.pcap" -nn -c 1 'ip and tcp and not vlan' 2>/dev/null)
	read -r a p b q <<<"$(printf '%s\n' "$l" | sed -n 's/.* IP \([0-9.]*\)\.\([0-9]*\) > \([0-9.]*\)\.\([0-9]*\):.*/\1 \2 \3 \4/p')"
	[ -n "$q" ]
	same "before $(rfc 200) and after $(rfc -5) and tcp and host $a and host $b and port $p and port $q" \
	    "tcp and host $a and host $b and port $p and port $q" "$(at -5)" "$(at 200)"
}
@test "steno: nothing matches: the 24-byte pcap header alone" {
	run ps_curl "$PS/keys" "$PS_PORT_main" /query -d 'host 10.99.99.99' -o "$PS/empty.pcap" -w '%{http_code} %{content_type}'
	assert_output '200 application/octet-stream'
	[ "$(stat -c %s "$PS/empty.pcap")" -eq 24 ]
	run tcpdump -r "$PS/empty.pcap"
	assert_success
}
@test "steno: Steno-Limit-Packets and Steno-Limit-Bytes cut between whole packets" {
	local want
	want=$(ps_oracle 'udp' | head -7)
	STENOGRAPHER_CONFIG=$PS/steno.json stenoread --limit-packets 7 udp --nano -w "$PS/l7.pcap" 2>/dev/null
	assert_equal "$(pcap_text "$PS/l7.pcap" | pf_pktlines)" "$want"
	ps_curl "$PS/keys" "$PS_PORT_main" /query -d 'udp' -H 'Steno-Limit-Bytes: 1000' -o "$PS/lb.pcap"
	run capinfos -M -c "$PS/lb.pcap"
	assert_success
	[ "$(stat -c %s "$PS/lb.pcap")" -le 1024 ]
	[ "$(stat -c %s "$PS/lb.pcap")" -gt 100 ]
	[ "$(pcap_text "$PS/lb.pcap" | pf_pktlines)" = "$(ps_oracle 'udp' | head -"$(tcpdump -r "$PS/lb.pcap" 2>/dev/null | wc -l)")" ]
}
@test "steno: a Python requests client posting Steno-Limit-* headers, as docket does" {
	run /usr/bin/python3 - "$PS" "$PS_PORT_main" <<'PY'
import sys, requests
d, port = sys.argv[1], sys.argv[2]
r = requests.post("https://127.0.0.1:%s/query" % port, data="host 10.0.0.1 and tcp",
    headers={"Steno-Limit-Packets": "3", "Steno-Limit-Bytes": "1000000"},
    cert=(d + "/keys/client_cert.pem", d + "/keys/client_key.pem"), verify=d + "/keys/ca_cert.pem", timeout=20)
r.raise_for_status()
b = r.content
assert b[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"), b[:4]
n, off = 0, 24
while off < len(b):
    off += 16 + int.from_bytes(b[off + 8:off + 12], "little"); n += 1
print(n, off == len(b))
PY
	assert_success
	assert_output '3 True'
}
@test "steno: /debug/stats through stenocurl: name<TAB>value, oldest_timestamp is the archive's first file" {
	run env STENOGRAPHER_CONFIG="$PS/steno.json" stenocurl /debug/stats -sS
	assert_success
	assert_line --regexp '^indexfile_current_reads	[0-9]+$'
	local oldest
	oldest=$(printf '%s\n' "$output" | awk -F'\t' '$1 == "oldest_timestamp" { print $2 }')
	[ "$oldest" -ge "$T0" ] && [ "$oldest" -le $((T0 + 1)) ]
	run env STENOGRAPHER_CONFIG="$PS/steno.json" stenocurl /debug/config -sS
	assert_success
	printf '%s' "$output" | jq -e '.Archives | length == 1'
}

# ---- refusals ----
@test "refused: no client certificate (TLS)" {
	run curl -sS --max-time 10 --cacert "$PS/keys/ca_cert.pem" -d tcp "https://127.0.0.1:$PS_PORT_main/query"
	assert_failure
	refute_output --partial 'HTTP'
}
@test "refused: a certificate from another CA (TLS)" {
	run curl -sS --max-time 10 --cert "$PS/other/client_cert.pem" --key "$PS/other/client_key.pem" \
	    --cacert "$PS/keys/ca_cert.pem" -d tcp "https://127.0.0.1:$PS_PORT_main/query" -o "$PS/x.pcap"
	assert_failure
	[ ! -s "$PS/x.pcap" ]
}
@test "refused: an expired certificate of the right CA (TLS)" {
	openssl req -newkey rsa:2048 -nodes -subj /CN=client -keyout "$PS/old_key.pem" -out "$PS/old.csr" 2>/dev/null
	openssl x509 -req -days -1 -in "$PS/old.csr" -CA "$PS/keys/ca_cert.pem" -CAkey "$PS/keys/ca_key.pem" \
	    -CAcreateserial -CAserial "$PS/old.srl" -out "$PS/old_cert.pem" 2>/dev/null
	run openssl x509 -in "$PS/old_cert.pem" -noout -checkend 0
	assert_failure	# it has expired: the test can fail
	run curl -sS --max-time 10 --cert "$PS/old_cert.pem" --key "$PS/old_key.pem" \
	    --cacert "$PS/keys/ca_cert.pem" -d tcp "https://127.0.0.1:$PS_PORT_main/query" -o "$PS/y.pcap" -w '%{http_code}'
	assert_failure
	[ ! -s "$PS/y.pcap" ]
}
@test "a client of the CA the rules name reads its archive only" {
	run env STENOGRAPHER_CONFIG="$PS/steno.json" stenocurl /debug/config -sS
	assert_equal "$(printf '%s' "$output" | jq -r '.Archives[0]')" "$(cd "$PS/arch" && pwd -P)"
}
@test "refused: a client of the CA that no rule names (403)" {
	run ps_curl "$PS/intruder" "$PS_PORT_main" /query -d tcp -o /dev/null -w '%{http_code}'
	assert_output 403
}
@test "refused: malformed questions get 400 and one line" {
	local q
	for q in 'host 10.0.0.1 and' 'host 300.1.1.1' 'port 70000' 'tcp udp' '(tcp' 'frobnicate 3' \
	    'after yesterday' 'net 10.0.0.0/33' 'after 3m ago or host 10.0.0.1' 'host 10.0.0.1 or (before 2m ago)' ''; do
		run ps_curl "$PS/keys" "$PS_PORT_main" /query -d "$q" -w '\n%{http_code}'
		[ "${lines[1]}" = 400 ] || { echo "'$q': $output"; return 1; }
		[ "${#lines[@]}" -eq 2 ]
	done
}
@test "refused: a body over 64 KiB (413), an unknown path (404)" {
	head -c 70000 /dev/zero | tr '\0' ' ' >"$PS/big"
	# refused on its Content-Length, before the body (curl waits for the answer to Expect)
	run ps_curl "$PS/keys" "$PS_PORT_main" /query -H 'Expect: 100-continue' --data-binary @"$PS/big" -o /dev/null -w '%{http_code}'
	assert_output 413
	# chunked, no length: read, dropped past 64 KiB, refused at its end
	run ps_curl "$PS/keys" "$PS_PORT_main" /query -H 'Transfer-Encoding: chunked' --data-binary @"$PS/big" -o /dev/null -w '%{http_code}'
	assert_output 413
	run ps_curl "$PS/keys" "$PS_PORT_main" /etc/passwd -o /dev/null -w '%{http_code}'
	assert_output 404
}
@test "one log line per request: client, status, packets, bytes, question" {
	ps_curl "$PS/keys" "$PS_PORT_main" /query -d 'host 10.0.0.2 and udp' -o /dev/null
	run grep 'question="POST /query host 10.0.0.2 and udp"' "$PS/main.log"
	assert_success
	assert_output --regexp 'client=client status=200 packets=[1-9][0-9]* bytes=[0-9]+ ms=[0-9]+'
}

# ---- pk's own API ----
@test "/v1/pcap: pkfind | pkslice's packets, coverage in a header" {
	ps_curl "$PS/keys" "$PS_PORT_main" "/v1/pcap?expr=host%2010.0.0.3%20and%20not%20port%2053&start=@$T0&duration=10m" \
	    -D "$PS/h" -o "$PS/v1.pcap"
	assert_equal "$(pcap_text "$PS/v1.pcap" | pf_pktlines)" "$(ps_oracle 'host 10.0.0.3 and not port 53' "$T0" "$((T0 + 600))")"
	run grep -i '^Pk-Coverage: searched ' "$PS/h"
	assert_success
}
@test "trailers: Pk-Status 0 on a whole answer; Pk-Cut names the limit that ended one" {
	ps_curl "$PS/keys" "$PS_PORT_main" '/v1/pcap?expr=udp' -D "$PS/h0" -o "$PS/t0.pcap"
	run grep -ci '^Trailer: Pk-Status, Pk-Cut, Pk-Coverage' "$PS/h0"
	assert_output 1
	run sed -n 's/^Pk-Status: \(.*\)\r$/\1/p' "$PS/h0"
	assert_output '0 ok'
	run grep -ci '^Pk-Cut:' "$PS/h0"
	assert_output 0
	ps_curl "$PS/keys" "$PS_PORT_main" /query -d 'udp' -H 'Steno-Limit-Packets: 3' -D "$PS/h1" -o "$PS/t1.pcap"
	assert_equal "$(pcap_text "$PS/t1.pcap" | pf_pktlines | grep -c .)" 3
	run sed -n 's/^Pk-Cut: \(.*\)\r$/\1/p' "$PS/h1"
	assert_output packets
	run sed -n 's/^Pk-Status: \(.*\)\r$/\1/p' "$PS/h1"
	assert_output '0 ok'
}

@test "trailers: a failure after the 200 (a pcap damaged under its index) is told in Pk-Status" {
	local d=$BATS_TEST_TMPDIR/dmg f
	pf_archive "$d" 600 "$PS/a.pcap" 2>/dev/null
	f=$(pf_files "$d" | sed -n 2p)
	[ -n "$f" ]
	# the second file's first record claims 2 GiB; size and time kept, so the index is believed
	cp -p "$f" "$d.keep"
	printf '\xff\xff\xff\x7f' | dd of="$f" bs=1 seek=32 conv=notrunc 2>/dev/null
	touch -r "$d.keep" "$f"
	ps_start dmg -d "$d" -k "$PS/keys"
	ps_curl "$PS/keys" "$PS_PORT_dmg" '/v1/pcap' -D "$PS/hd" -o "$PS/d.pcap" -w '%{http_code}\n' >"$PS/dcode"
	kill "$PS_PID_dmg"
	assert_equal "$(cat "$PS/dcode")" 200
	# the packets of the first file went out before pkslice met the damage
	[ "$(pcap_text "$PS/d.pcap" | pf_pktlines | grep -c .)" -ge 600 ]
	run sed -n 's/^Pk-Status: \(.*\)\r$/\1/p' "$PS/hd"
	assert_output --regexp '^65 dataerr: pkslice: '
}

@test "/v1/count, /v1/packets, /v1/sessions: pkfind's answers" {
	run ps_curl "$PS/keys" "$PS_PORT_main" '/v1/count?expr=udp%20port%2053'
	assert_output "$(pkfind -q -c -d "$PS/arch" 'udp port 53')"
	[ "$output" -gt 0 ]
	run ps_curl "$PS/keys" "$PS_PORT_main" '/v1/packets?expr=icmp&limit=5'
	assert_equal "$(printf '%s\n' "$output" | jq -r '.["network.transport"]' | sort -u)" icmp
	assert_equal "${#lines[@]}" 5
	run ps_curl "$PS/keys" "$PS_PORT_main" '/v1/sessions' --data-binary 'tcp port 443'
	assert_equal "$output" "$(pkfind -q -d "$PS/arch" -T sessions-json 'tcp port 443')"
}
@test "/v1: errors are JSON with pk's exit status and its meaning" {
	run ps_curl "$PS/keys" "$PS_PORT_main" '/v1/count?expr=host%20and' -w '\n%{http_code}'
	assert_equal "${lines[1]}" 400
	assert_equal "$(printf '%s\n' "${lines[0]}" | jq -r '.status, .meaning' | paste -sd' ')" '65 dataerr'
	run ps_curl "$PS/keys" "$PS_PORT_main" '/v1/pcap?start=tomorrow-ish' -w '\n%{http_code}'
	assert_equal "${lines[1]}" 400
	assert_equal "$(printf '%s\n' "${lines[0]}" | jq -r .meaning)" usage
}
@test "an expression that looks like an option is an expression" {
	run ps_curl "$PS/keys" "$PS_PORT_main" '/v1/count?expr=-d%20/etc' -w '\n%{http_code}'
	assert_equal "${lines[1]}" 400
	assert_equal "$(printf '%s\n' "${lines[0]}" | jq -r .status)" 65
}

# ---- a client that goes away, the concurrency limit ----
@test "a client disconnecting mid-answer leaves no pkfind or pkslice running" {
	local i n
	"$PK_TOOLS/pkgen" -n 60000 -N -t "$T0" -i 1000 "$PS/big.pcap"
	pf_archive "$PS/bigarch" 20000 "$PS/big.pcap" 2>>"$PS/gen.log"
	ps_start small -d "$PS/bigarch" -k "$PS/keys" -m 1
	curl -sS --limit-rate 20k --cert "$PS/keys/client_cert.pem" --key "$PS/keys/client_key.pem" \
	    --cacert "$PS/keys/ca_cert.pem" -d 'after 1h ago' "https://127.0.0.1:$PS_PORT_small/query" -o /dev/null &
	local c=$!
	for i in $(seq 100); do
		n=$(pgrep -c -P "$PS_PID_small" || true)
		[ "$n" -ge 1 ] && break
		sleep 0.05
	done
	sleep 1
	# the answer is still being sent: its pkslice still runs
	[ "$(pgrep -c -P "$PS_PID_small" || true)" -ge 1 ]
	# the limit of one query at once: another client waits for nothing (503 + Retry-After)
	run ps_curl "$PS/keys" "$PS_PORT_small" /query -d tcp -D - -o /dev/null
	assert_line --regexp '^HTTP/1.1 503'
	assert_line --regexp '^Retry-After: [0-9]+'
	kill "$c"
	wait "$c" || true
	for i in $(seq 40); do
		[ "$(pgrep -c -P "$PS_PID_small" || true)" -eq 0 ] && break
		sleep 0.05
	done
	run pgrep -a -P "$PS_PID_small"
	assert_failure
	kill "$PS_PID_small"
	run grep -c 'status=499' "$PS/small.log"
	assert_output 1
}

@test "a socket from systemd (LISTEN_FDS): systemd-socket-activate, as pk-serve.socket passes it" {
	need_cmd systemd-socket-activate
	local port=$((20000 + RANDOM % 20000)) i
	# it passes no environment but LISTEN_*: the sanitizer build's options by name
	systemd-socket-activate -E ASAN_OPTIONS="${ASAN_OPTIONS:-}" -E UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
	    -l "127.0.0.1:$port" pkserve -d "$PS/arch" -k "$PS/keys" 2>"$PS/sa.log" &
	local sa=$!
	for i in $(seq 50); do grep -q 'Listening on' "$PS/sa.log" && break; sleep 0.05; done
	run ps_curl "$PS/keys" "$port" /query -d 'host 10.0.0.1 and tcp' -o "$PS/sa.pcap" -w '%{http_code}'
	kill "$sa" 2>/dev/null	# systemd-socket-activate became pkserve (exec)
	assert_output 200
	assert_equal "$(pcap_text "$PS/sa.pcap" | pf_pktlines)" "$(ps_oracle 'host 10.0.0.1 and tcp')"
	run grep -c 'pkserve: listening on 127.0.0.1:' "$PS/sa.log"
	assert_output 1
}

@test "the server's own limit: -n packets cuts every answer" {
	ps_start lim -d "$PS/arch" -k "$PS/keys" -n 4
	run ps_curl "$PS/keys" "$PS_PORT_lim" /query -d 'udp' -o "$PS/n4.pcap" -w '%{http_code}'
	assert_output 200
	assert_equal "$(pcap_text "$PS/n4.pcap" | pf_pktlines)" "$(ps_oracle udp | head -4)"
	run grep -c 'packets=4 .* cut question="POST /query udp"' "$PS/lim.log"
	assert_output 1
	kill "$PS_PID_lim"
}

# ---- Mercury's GET /v1/q ----
@test "mercury: /v1/q answers each queryType with Mercury's field names, pkfind's packets" {
	local t q e st
	st=$(date -u -d "@$T0" +%Y-%m-%dT%H:%M:%SZ)
	while read -r t q e; do
		run ps_curl "$PS/keys" "$PS_PORT_main" "/v1/q?startTime=$st&duration=1h&queryType=$t&query=$q"
		assert_success
		[ "${#lines[@]}" -gt 0 ] || { echo "$t=$q: no packet"; return 1; }
		assert_equal "${#lines[@]}" "$(pkfind -q -c -d "$PS/arch" -s "@$T0" -D 1h -- "$e")"
		# every line is JSON with Mercury's names, and no pk name leaks through
		assert_equal "$(printf '%s\n' "$output" | jq -c 'has("timestamp") and has("length") and has("text") and has("srcMAC") and has("dstMAC") and has("ipv6") and (has("source.ip") | not)' | sort -u)" true
	done <<-'Q'
	ip 10.0.0.1 host 10.0.0.1
	ip 2001:db8::5 host 2001:db8::5
	port 53 port 53
	mac 02:00:00:00:00:03 ether host 02:00:00:00:00:03
	protocol arp arp
	protocol 17 ip proto 17 or ip6 proto 17
	Q
	run ps_curl "$PS/keys" "$PS_PORT_main" "/v1/q?startTime=$st&duration=1h&queryType=port&query=443"
	assert_equal "$(printf '%s\n' "$output" | jq -c '.srcPort == 443 or .dstPort == 443' | sort -u)" true
}
@test "mercury: encode=true gives the packets as a pcap, tcpdump's" {
	local st
	st=$(date -u -d "@$((T0 + 30))" +%Y-%m-%dT%H:%M:%SZ)
	ps_curl "$PS/keys" "$PS_PORT_main" "/v1/q?startTime=$st&duration=2m&queryType=mac&query=02:00:00:00:00:02&encode=true" -o "$PS/m.pcap"
	assert_equal "$(pcap_text "$PS/m.pcap" | pf_pktlines)" "$(ps_oracle 'ether host 02:00:00:00:00:02' "$((T0 + 30))" "$((T0 + 150))")"
}
@test "mercury: a value that is not of its queryType is refused (400)" {
	local q
	for q in 'queryType=ip&query=10.0.0.300' 'queryType=port&query=-d' 'queryType=mac&query=02:00:00:00:00' \
	    'queryType=protocol&query=tcp%20or%201=1' 'queryType=shell&query=1' 'query=10.0.0.1' 'queryType=ip&query=10.0.0.1&duration=x'; do
		run ps_curl "$PS/keys" "$PS_PORT_main" "/v1/q?$q" -o /dev/null -w '%{http_code}'
		[ "$output" = 400 ] || { echo "$q: $output"; return 1; }
	done
}

@test "50 clients at once: each gets its answer, 503, or (beyond 2m+8 connections of one address) no connection; nothing is left behind" {
	local before after i codes
	before=$(ls "/proc/$PS_PID_main/fd" | wc -l)
	for i in $(seq 50); do
		ps_curl "$PS/keys" "$PS_PORT_main" /query -d 'tcp and port 443' -o "$PS/c$i.pcap" -w '%{http_code}\n' >"$PS/c$i.code" 2>/dev/null &
	done
	wait
	codes=$(cat "$PS"/c*.code | sort | uniq -c)
	echo "$codes"
	# 000: the connection refused at the per-address limit (-m 8: 24 connections)
	[ "$(cat "$PS"/c*.code | grep -cvx '200\|503\|000')" -eq 0 ]
	[ "$(cat "$PS"/c*.code | grep -cx 200)" -ge 8 ]
	[ "$(cat "$PS"/c*.code | grep -cx 000)" -le 26 ]
	# every 200 is the whole answer
	for i in $(seq 50); do
		[ "$(cat "$PS/c$i.code")" = 200 ] || continue
		cmp -s "$PS/c$i.pcap" "$PS/c1.pcap" || [ "$(cat "$PS/c1.code")" != 200 ] || { echo "answer $i differs"; return 1; }
	done
	for i in $(seq 40); do
		after=$(ls "/proc/$PS_PID_main/fd" | wc -l)
		[ "$after" -eq "$before" ] && break
		sleep 0.05
	done
	assert_equal "$after" "$before"
	run pgrep -P "$PS_PID_main"
	assert_failure
}

@test "pk-serve.service: systemd-analyze security no worse than 0.5 (pk-index@ is 0.4: IPAddressDeny= cannot be set on a server)" {
	need_cmd systemd-analyze
	run systemd-analyze security --offline=true --no-pager "$PK_ROOT/systemd/pk-serve.service"
	assert_success
	local level
	level=$(printf '%s\n' "$output" | sed -n 's/.*Overall exposure level for pk-serve.service: \([0-9.]*\).*/\1/p')
	[ -n "$level" ]
	awk -v l="$level" 'BEGIN { exit !(l <= 0.5) }'
}

@test "link types: Stenographer's answer is one classic pcap or a 400 saying why; /v1/pcap gives pcapng" {
	"$PK_TOOLS/pkgen" -n 300 -l 113 -t "$T0" -i 100000 "$PS/sll.pcap"
	pf_archive "$PS/sll" 100 "$PS/sll.pcap" 2>>"$PS/gen.log"
	ps_start lt -d "$PS/arch" -d "$PS/sll" -k "$PS/keys"
	run ps_curl "$PS/keys" "$PS_PORT_lt" /query -d 'tcp' -w '\n%{http_code}'
	assert_line 400
	assert_line --partial 'pcapng'
	ps_curl "$PS/keys" "$PS_PORT_lt" '/v1/pcap?expr=tcp' -o "$PS/lt.pcapng"
	# a limit cuts a pcapng too, between its packet blocks
	ps_curl "$PS/keys" "$PS_PORT_lt" '/v1/pcap?expr=tcp&limit=7' -D "$PS/ltlim.h" -o "$PS/ltlim.pcapng"
	kill "$PS_PID_lt"
	run tshark -r "$PS/ltlim.pcapng"
	assert_success
	assert_equal "$(tshark -r "$PS/ltlim.pcapng" 2>/dev/null | wc -l)" 7
	run sed -n 's/^Pk-Cut: \(.*\)\r$/\1/p' "$PS/ltlim.h"
	assert_output packets
	run capinfos -t -c "$PS/lt.pcapng"
	assert_success
	assert_output --partial 'pcapng'
	assert_equal "$(tshark -r "$PS/lt.pcapng" 2>/dev/null | wc -l)" \
	    "$(( $(pkfind -q -c -d "$PS/arch" tcp) + $(pkfind -q -c -d "$PS/sll" tcp) ))"
}

@test "a whole archive through /query is byte for byte what pkfind | pkslice writes (records split across reads)" {
	ps_curl "$PS/keys" "$PS_PORT_main" /query -d "after $(rfc -60)" -H 'Steno-Limit-Packets: 1000000' -o "$PS/all.pcap"
	pkfind -q -d "$PS/arch" -s "@$((T0 - 60))" | pkslice -o pcap >"$PS/all.want.pcap"
	[ "$(stat -c %s "$PS/all.want.pcap")" -gt 500000 ]
	cmp "$PS/all.pcap" "$PS/all.want.pcap"
}

@test "a client that sends its headers a byte at a time is cut off after -i seconds" {
	ps_start slow -d "$PS/arch" -k "$PS/keys" -i 2
	run /usr/bin/python3 - "$PS" "$PS_PORT_slow" <<'PY'
import socket, ssl, sys, time
d, port = sys.argv[1], int(sys.argv[2])
ctx = ssl.create_default_context(cafile=d + "/keys/ca_cert.pem")
ctx.load_cert_chain(d + "/keys/client_cert.pem", d + "/keys/client_key.pem")
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
t0 = time.time()
req = b"POST /query HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 100 + b"\r\n"
try:
    for b in req:
        s.send(bytes([b]))
        time.sleep(0.2)
    print("not cut after %.1f s" % (time.time() - t0))
except (OSError, ssl.SSLError):
    print("cut after %d s" % round(time.time() - t0))
PY
	kill "$PS_PID_slow"
	assert_output --regexp '^cut after [2-4] s$'
}

@test "-t: a query that runs too long is ended, and its processes with it" {
	[ -d "$PS/bigarch" ] || { "$PK_TOOLS/pkgen" -n 60000 -N -t "$T0" -i 1000 "$PS/big.pcap" &&
	    pf_archive "$PS/bigarch" 20000 "$PS/big.pcap" 2>>"$PS/gen.log"; }
	ps_start slowq -d "$PS/bigarch" -k "$PS/keys" -t 1
	ps_curl "$PS/keys" "$PS_PORT_slowq" /query -d 'after 1h ago' --limit-rate 100k -o "$PS/t1.pcap" 2>/dev/null &
	local c=$! i
	# the client still reads (what the sockets hold), but after 1 s the query is
	# over: its programs are killed (zombies until the answer's end reaps them)
	sleep 2.5
	run ps -o pid=,stat=,comm= --ppid "$PS_PID_slowq"
	kill "$c" 2>/dev/null
	wait "$c" 2>/dev/null || true
	kill "$PS_PID_slowq"
	# of the pipeline, only zombies may be left (the answer's end reaps them), or nothing
	# if the answer has ended already; that the limit cut it, the log and its size say
	run grep -v -e ' Z' -e '^$' <<<"$output"
	assert_failure
	run grep -c ' cut question="POST /query after 1h ago"' "$PS/slowq.log"
	assert_output 1

	run grep -o 'bytes=[0-9]*' "$PS/slowq.log"
	[ "${output#bytes=}" -lt "$(stat -c %s "$PS/big.pcap")" ]
}

@test "-t: an answer cut by the run-time limit ends on a whole packet, with Pk-Cut: time" {
	[ -d "$PS/bigarch" ] || { "$PK_TOOLS/pkgen" -n 60000 -N -t "$T0" -i 1000 "$PS/big.pcap" &&
	    pf_archive "$PS/bigarch" 20000 "$PS/big.pcap" 2>>"$PS/gen.log"; }
	ps_start cutq -d "$PS/bigarch" -k "$PS/keys" -t 1
	# a client reading steadily (the answer takes several seconds at this rate)
	run ps_curl "$PS/keys" "$PS_PORT_cutq" /query -d 'after 1h ago' --limit-rate 2M -D "$PS/hc" -o "$PS/cut.pcap"
	kill "$PS_PID_cutq"
	assert_success
	run grep -c ' cut question=' "$PS/cutq.log"
	assert_output 1
	run sed -n 's/^Pk-Cut: \(.*\)\r$/\1/p' "$PS/hc"
	assert_output time
	[ "$(stat -c %s "$PS/cut.pcap")" -lt "$(stat -c %s "$PS/big.pcap")" ]
	# whole packets: tcpdump reads it to its end without complaint
	run tcpdump -r "$PS/cut.pcap" -nn
	assert_success
	refute_output --partial 'truncated'
}

@test "SIGHUP reads the rules again; a bad file leaves those in force" {
	printf 'client %s\n' "$PS/arch" >"$PS/acl2"
	ps_start hup -d "$PS/arch" -k "$PS/keys" -a "$PS/acl2"
	run ps_curl "$PS/intruder" "$PS_PORT_hup" /debug/stats -o /dev/null -w '%{http_code}'
	assert_output 403
	printf 'client %s\nintruder %s\n' "$PS/arch" "$PS/arch" >"$PS/acl2"
	kill -HUP "$PS_PID_hup"
	for i in $(seq 40); do grep -q 'rules reloaded' "$PS/hup.log" && break; sleep 0.05; done
	run ps_curl "$PS/intruder" "$PS_PORT_hup" /debug/stats -o /dev/null -w '%{http_code}'
	assert_output 200
	printf 'intruder /etc\n' >"$PS/acl2"
	kill -HUP "$PS_PID_hup"
	for i in $(seq 40); do grep -q 'rules in force are kept' "$PS/hup.log" && break; sleep 0.05; done
	run ps_curl "$PS/intruder" "$PS_PORT_hup" /debug/stats -o /dev/null -w '%{http_code}'
	kill "$PS_PID_hup"
	assert_output 200
	run grep -c '/etc is not one of the -d archives' "$PS/hup.log"
	assert_output 1
}

@test "SIGHUP reads the certificates again: new connections get the new set; a bad set leaves the one in force" {
	local k=$BATS_TEST_TMPDIR/k f
	mkdir -p "$k"
	cp "$PS/keys/ca_cert.pem" "$PS/keys/server_cert.pem" "$PS/keys/server_key.pem" "$k/"
	ps_start certs -d "$PS/arch" -k "$k"
	# as_client KEYDIR: the status of /debug/stats for KEYDIR's client, trusting KEYDIR's CA
	as_client() {
		curl -sS --max-time 10 --cert "$1/client_cert.pem" --key "$1/client_key.pem" --cacert "$1/ca_cert.pem" \
		    -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PS_PORT_certs/debug/stats" 2>/dev/null
	}
	run as_client "$PS/keys"
	assert_output 200
	run as_client "$PS/other"
	refute_output 200
	# the renewal: another CA, another server certificate
	for f in ca_cert.pem server_cert.pem server_key.pem; do cp "$PS/other/$f" "$k/$f"; done
	kill -HUP "$PS_PID_certs"
	for _ in $(seq 40); do grep -q 'certificates reloaded' "$PS/certs.log" && break; sleep 0.05; done
	run as_client "$PS/other"
	assert_output 200
	run as_client "$PS/keys"
	refute_output 200
	# a key that is not one: reported, the set in force kept
	echo garbage >"$k/server_key.pem"
	kill -HUP "$PS_PID_certs"
	for _ in $(seq 40); do grep -q 'certificates not reloaded' "$PS/certs.log" && break; sleep 0.05; done
	run as_client "$PS/other"
	kill "$PS_PID_certs"
	assert_output 200
	run grep -c 'certificates not reloaded, those in force kept: .*server_key.pem' "$PS/certs.log"
	assert_output 1
}
