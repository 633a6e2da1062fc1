#!/usr/bin/env bats
# fleet.bats - many sensors: pkfind-remote with and without the ClickHouse
# catalog (-C), and the shippers' formats (Elasticsearch, CSV).
#
# Three sensors s1, s2, s3, each its own archive (pkread | pkrotate |
# pkindex -S) of generated traffic plus a TCP conversation only it saw,
# time-shifted copies of real captures when ../shared/pcaps is there,
# shipped into a real clickhouse-server started for the suite.  A local
# transport stands in for ssh: "transport HOST COMMAND" runs COMMAND in the
# sensor's directory, logs what it was asked, and fails as ssh does (255)
# for a host that is down.  s1 and s2 also serve their archives over HTTPS:
# a pkserve each on 127.0.0.1, with certificates made by pk-serve-keys.

load helpers
load lib/clickhouse
load lib/pkfind
load lib/sessions
load lib/pkserve

S=$PK_ROOT/scripts
T0=1800000000

setup_file() {
	ch_start || return 1
	local d=$BATS_FILE_TMPDIR n f real
	export FD=$d
	for n in 1 2 3; do
		mkdir -p "$d/s$n/archive" "$d/in$n"
		"$PK_TOOLS/pkgen" -n 1500 -s "$n" -t "$T0" -i $((700 + 100 * n)) "$d/in$n/1.pcap"
		tcp_conv_pcap "$d/in$n/2.pcap" "10.9.$n.1" "10.9.0.80" $((T0 + 10 * n))
		"$PK_TOOLS/pkgen" -n 300 -s $((n + 10)) -t $((T0 + 600)) -i 1000 "$d/in$n/4.pcap"
	done
	# real traffic, shifted into the sensors' time (s1: 16 s of PcapPlusPlus example, s3: 9 min of surfshark)
	if [ -d "$SHARED_PCAPS/real/mixed" ] && command -v editcap >/dev/null 2>&1; then
		for real in "1 PcapPlusPlus__example.pcap" "3 cisco-mercury__surfshark.pcap"; do
			set -- $real
			f=$SHARED_PCAPS/real/mixed/$2
			editcap -F pcap -t $((T0 + 40 - $(tcpdump -nn -r "$f" -tt -c 1 2>/dev/null | cut -d . -f 1))) "$f" "$d/in$1/3.pcap"
		done
	fi
	for n in 1 2 3; do
		(cd "$d/s$n" && pkread -r "$d/in$n"/*.pcap | pkrotate -d archive -c 400 | PK_SENSOR=s$n pkindex -S -d archive) \
		    2>>"$d/build.log"
	done
	cat >"$d/transport" <<-EOF
	#!/bin/sh
	# transport HOST COMMAND: COMMAND in $d/HOST, as ssh would run it on HOST
	cd "$d/\$1" 2>/dev/null && [ ! -e "$d/down.\$1" ] || { echo "ssh: connect to host \$1: Connection refused" >&2; exit 255; }
	cat >"$d/asked.\$1"
	printf '%s\n' "\$2" >"$d/cmd.\$1"
	PATH="$PK_BIN:\$PATH" exec sh -c "\$2" <"$d/asked.\$1"
	EOF
	chmod +x "$d/transport"
	# s1 and s2 over HTTPS
	export PS=$d
	ps_keys "$d/keys" analyst >/dev/null
	ps_start s1 -d "$d/s1/archive" -k "$d/keys"
	ps_start s2 -d "$d/s2/archive" -k "$d/keys"
	export U1=https://127.0.0.1:$PS_PORT_s1 U2=https://127.0.0.1:$PS_PORT_s2
	[ -n "${CH_URL:-}" ] || return 0
	"$S/pk-ship-clickhouse" -u "$CH_URL" -I
	for n in 1 2 3; do
		"$S/pk-ship-clickhouse" -u "$CH_URL" -s "s$n" -d "$d/s$n/archive" 2>>"$d/build.log"
	done
}

teardown_file() {
	[ -z "${PS_PID_s1:-}" ] || kill "$PS_PID_s1"
	[ -z "${PS_PID_s2:-}" ] || kill "$PS_PID_s2"
	ch_stop
}

setup() {
	rm -f "$FD"/asked.* "$FD"/cmd.* "$FD"/down.*
}

# pcount FILE: packets in a pcap
pcount() {
	tcpdump -r "$1" -nn 2>/dev/null | wc -l | tr -d ' '
}

# oracle OUT [-s START -e END] EXPR: tcpdump over every file of every sensor, in the window
oracle() {
	local out=$1 s="" e=""
	shift
	if [ "$1" = -s ]; then s=$2 e=$4; shift 4; fi
	mergecap -F pcap -w "$FD/union.pcap" $(find "$FD"/s[123]/archive -name '*.pcap' | LC_ALL=C sort)
	if [ -n "$s" ]; then
		tcpdump -r "$FD/union.pcap" -w "$FD/union.q" "$1" 2>/dev/null
		pkslice -s "$s" -e "$e" "$FD/union.q" >"$out"
	else
		tcpdump -r "$FD/union.pcap" -w "$out" "$1" 2>/dev/null
	fi
}

# fleet_same [-s S -e E] EXPR: -C = every sensor asked (merged by time, byte for byte) = tcpdump
fleet_same() {
	local w=() f
	[ "$1" = -s ] && w=("$1" "$2" "$3" "$4") && shift 4
	rm -f "$FD"/cmd.* "$FD"/asked.*
	"$S/pkfind-remote" -C "$CH_URL" -t "$FD/transport" -w "$FD/c.pcap" -- "${w[@]}" "$1" 2>"$FD/c.err" ||
	    { cat "$FD/c.err"; return 1; }
	cp "$FD/c.err" "$FD/last.err"
	# what -C asked whom (the second run below overwrites the transport's logs)
	rm -f "$FD"/c.cmd.* "$FD"/c.asked.*
	for f in "$FD"/cmd.* "$FD"/asked.*; do [ -e "$f" ] && mv "$f" "$FD/c.${f##*/}"; done
	ls "$FD"/c.cmd.* 2>/dev/null | sed 's/.*cmd\.//' >"$FD/asked"
	"$S/pkfind-remote" -t "$FD/transport" -w "$FD/all.pcap" s1 s2 s3 -- -d archive "${w[@]}" "$1" 2>"$FD/all.err" ||
	    { cat "$FD/all.err"; return 1; }
	oracle "$FD/o.pcap" "${w[@]}" "$1"
	[ "$(pcap_text "$FD/c.pcap" | md5sum)" = "$(pcap_text "$FD/all.pcap" | md5sum)" ] ||
	    { echo "$1: -C differs from asking every sensor"; return 1; }
	# (tcpdump over one merged file may order packets of equal times otherwise)
	[ "$(pcap_text "$FD/c.pcap" | pf_pktlines | md5sum)" = "$(pcap_text "$FD/o.pcap" | pf_pktlines | md5sum)" ] ||
	    { echo "$1: differs from tcpdump ($(pcount "$FD/c.pcap") vs $(pcount "$FD/o.pcap"))"; return 1; }
}

@test "the fleet: three sensors' archives with sidecars, all shipped" {
	need_ch
	[ "$(ch 'SELECT count(DISTINCT sensor) FROM pk.files')" -eq 3 ]
	local n
	for n in 1 2 3; do
		[ "$(ch "SELECT sum(packets) FROM pk.files WHERE sensor = 's$n'")" -eq \
		    "$(for f in $(find "$FD/s$n/archive" -name '*.pcap'); do tcpdump -nn -r "$f" 2>/dev/null; done | wc -l)" ]
		[ "$(find "$FD/s$n/archive" -name '*.sessions' | wc -l)" -eq 0 ]
	done
}

@test "-C: five selective questions and two broad ones: equal to asking every sensor and to tcpdump over all files" {
	need_ch
	fleet_same 'host 10.9.2.1'
	fleet_same 'host 10.9.1.1 or host 10.9.3.1'
	fleet_same 'tcp port 80 and net 10.9.0.0/16'
	fleet_same 'ether src 02:00:00:00:00:01 and udp'
	fleet_same -s "@$((T0 + 15))" -e "@$((T0 + 45))" 'tcp'
	fleet_same 'udp port 53'
	fleet_same 'not tcp'
	if [ -d "$SHARED_PCAPS/real/mixed" ]; then
		fleet_same 'host 10.0.0.6 and port 80'
		fleet_same -s "@$((T0 + 40))" -e "@$((T0 + 100))" 'tcp[tcpflags] & tcp-syn != 0'
		fleet_same 'host 10.0.0.6 or ip6 and udp port 443'
	fi
}

@test "-C asks only the sensors with candidates, and only for their files" {
	need_ch
	# a window the catalog covers for every sensor, past the generated traffic (whose
	# cut and malformed packets are candidates of every query): s2 alone, for one file
	fleet_same -s "@$((T0 + 5))" -e "@$((T0 + 40))" 'host 10.9.2.1'
	[ "$(cat "$FD/asked")" = s2 ]
	grep -q -- '-F -' "$FD/c.cmd.s2"
	[ "$(wc -l <"$FD/c.asked.s2")" -eq 1 ]
	[ "$(pcount "$FD/c.pcap")" -eq 10 ]
	[ "$(tcpdump -r "$(cat "$FD/c.asked.s2")" -nn 'host 10.9.2.1' 2>/dev/null | wc -l)" -eq 10 ]
	# two of the three
	fleet_same -s "@$((T0 + 5))" -e "@$((T0 + 40))" 'host 10.9.1.1 or host 10.9.3.1'
	run cat "$FD/asked"
	assert_output $'s1\ns3'
	# nobody: an empty pcap, nobody asked (fleet_same's run without -C asked everyone)
	rm -f "$FD"/cmd.* "$FD"/asked.*
	run "$S/pkfind-remote" -C "$CH_URL" -t "$FD/transport" -w "$FD/none.pcap" -v -- -s "@$((T0 + 5))" -e "@$((T0 + 40))" 'host 10.77.0.1'
	assert_success
	assert_output --partial "no sensor holds a candidate"
	[ "$(pcount "$FD/none.pcap")" -eq 0 ]
	[ -s "$FD/none.pcap" ]
	! ls "$FD"/cmd.* 2>/dev/null || false
	# a window past what a sensor shipped: it is asked, skipping only the files the catalog clears
	fleet_same 'host 10.9.2.1'
	[ "$(cat "$FD/asked" | tr '\n' ' ')" = "s1 s2 s3 " ]
	grep -q -- '-X -' "$FD/c.cmd.s1"
	[ "$(wc -l <"$FD/c.asked.s1")" -eq "$(find "$FD/s1/archive" -name '*.pcap' | wc -l)" ]
}

@test "-C: a file not in the catalog yet is searched all the same" {
	need_ch
	local n
	# s2 captures on: a file that was never shipped
	tcp_conv_pcap "$FD/late.pcap" 10.9.2.1 10.9.0.80 $((T0 + 500))
	(cd "$FD/s2" && pkread -r "$FD/late.pcap" | pkrotate -d archive -c 400 | PK_SENSOR=s2 pkindex -S -d archive) 2>/dev/null
	fleet_same 'host 10.9.2.1'
	[ "$(pcount "$FD/c.pcap")" -eq 20 ]
	# a sensor named on the command line that the catalog does not know is asked for everything
	mkdir -p "$FD/s4/archive"
	tcp_conv_pcap "$FD/s4.pcap" 10.9.4.1 10.9.0.80 $((T0 + 5))
	(cd "$FD/s4" && pkread -r "$FD/s4.pcap" | pkrotate -d archive -c 400 | pkindex -d archive) 2>/dev/null
	run "$S/pkfind-remote" -C "$CH_URL" -t "$FD/transport" -w "$FD/s4.out" s2 s4 -- -d archive 'net 10.9.0.0/16'
	assert_success
	assert_output --partial "s4: not in the catalog: asking it for everything"
	[ "$(pcount "$FD/s4.out")" -eq 30 ]
	rm -rf "$FD/s4"
}

@test "-C: a sensor down gives a non-zero exit naming it, and the others' packets" {
	need_ch
	touch "$FD/down.s3"
	run "$S/pkfind-remote" -C "$CH_URL" -t "$FD/transport" -w "$FD/down.pcap" -- 'net 10.9.0.0/16 and tcp port 80'
	[ "$status" -eq 69 ]
	assert_output --partial "s3: failed (status 255)"
	assert_output --partial "s3: ssh: connect to host s3: Connection refused"
	rm -f "$FD/down.s3"
	"$S/pkfind-remote" -t "$FD/transport" -w "$FD/s12.pcap" s1 s2 -- -d archive 'net 10.9.0.0/16 and tcp port 80'
	[ "$(pcount "$FD/down.pcap")" -gt 0 ]
	[ "$(pcap_text "$FD/down.pcap" | md5sum)" = "$(pcap_text "$FD/s12.pcap" | md5sum)" ]
	# the catalog unreachable: said, 69, no guess
	run "$S/pkfind-remote" -C "http://127.0.0.1:$(free_port)" -t "$FD/transport" -w "$FD/x.pcap" -- tcp
	[ "$status" -eq 69 ]
	assert_output --partial "the catalog at"
}

@test "pkfind-remote: pkfind failing on a sensor fails the query and names the sensor (issue 10 item 9)" {
	# a missing directory (pkfind: 66), a bad expression (65): never a 24-byte pcap and 0
	run "$S/pkfind-remote" -t "$FD/transport" -w "$FD/e.pcap" s1 s2 -- -d nosuch udp
	[ "$status" -eq 69 ]
	assert_output --partial "s1: failed (status 66)"
	assert_output --partial "s2: failed (status 66)"
	run "$S/pkfind-remote" -t "$FD/transport" -w "$FD/e.pcap" s1 -- -d archive 'udp and'
	[ "$status" -eq 69 ]
	assert_output --partial "s1: failed (status 65)"
	# one sensor fails, the other's packets still come
	mv "$FD/s2/archive" "$FD/s2/gone"
	run "$S/pkfind-remote" -t "$FD/transport" -w "$FD/e.pcap" s1 s2 -- -d archive udp
	mv "$FD/s2/gone" "$FD/s2/archive"
	[ "$status" -eq 69 ]
	assert_output --partial "s2: failed (status 66)"
	[ "$(pcount "$FD/e.pcap")" -eq "$(cd "$FD/s1" && pkfind -q -d archive -c udp)" ]
	# with -C the expression is read here first
	run "$S/pkfind-remote" -C "${CH_URL:-http://127.0.0.1:1}" -t "$FD/transport" -w "$FD/e.pcap" -- 'udp and'
	[ "$status" -eq 65 ]
	run "$S/pkfind-remote" -C "${CH_URL:-http://127.0.0.1:1}" -t "$FD/transport" -w "$FD/e.pcap" -- -c udp
	[ "$status" -eq 64 ]
	need_ch
	run "$S/pkfind-remote" -C "$CH_URL" -t "$FD/transport" -w "$FD/e.pcap" s1 "s2'; drop" -- udp
	[ "$status" -eq 64 ]
	assert_output --partial "not a sensor name"
}

# ---- without -C (as before) ----

@test "pkfind-remote: merges the sensors' answers by time, equal to mergecap of the direct answers" {
	need_cmd mergecap
	local q='udp or (tcp and port 445)' h
	run "$S/pkfind-remote" -t "$FD/transport" -w "$FD/merged.pcap" s1 s2 -- -d archive "$q"
	echo "$output"
	[ "$status" -eq 0 ]
	for h in s1 s2; do
		(cd "$FD/$h" && pkfind -q -d archive "$q" | pkslice >"$FD/$h.pcap")
	done
	mergecap -F pcap -w "$FD/expect.pcap" "$FD/s1.pcap" "$FD/s2.pcap"
	[ "$(pcount "$FD/s1.pcap")" -gt 0 ]
	[ "$(pcount "$FD/s2.pcap")" -gt 0 ]
	[ "$(pcap_text "$FD/merged.pcap" | md5sum)" = "$(pcap_text "$FD/expect.pcap" | md5sum)" ]
	tcpdump -r "$FD/merged.pcap" -tt -nn 2>/dev/null | awk '{print $1}' | sort -n -c
	# stdout pipes into tcpdump; an unknown host is reported and exits 69
	run bash -c "'$S/pkfind-remote' -t '$FD/transport' s1 nosuch -- -d archive udp 2>/dev/null | tcpdump -r - -nn 2>/dev/null | wc -l"
	[ "${lines[-1]}" -eq "$(cd "$FD/s1" && pkfind -q -d archive -c udp)" ]
	run bash -c "'$S/pkfind-remote' -t '$FD/transport' s1 nosuch -- -d archive udp >/dev/null"
	[ "$status" -eq 69 ]
	grep -q 'nosuch: failed (status 255)' <<<"$output"
	run "$S/pkfind-remote" s1
	[ "$status" -eq 64 ]
}

# ---- over HTTPS: the sensors' pkserve ----

# oracle12 EXPR [START END]: tcpdump over every file of s1 and s2 in [START, END) (epoch s), as packet lines
oracle12() {
	pf_oracle "$FD/s1/archive" "$1" >"$FD/o1"
	pf_oracle "$FD/s2/archive" "$1" >"$FD/o2"
	sort -m -s -k1,1 "$FD/o1" "$FD/o2" | ps_window "${2:-}" "${3:-}" | LC_ALL=C sort
}

# https_same [PKFIND-OPTIONS] EXPR START END: pkfind-remote over HTTPS from s1 and s2 = oracle12
https_same() {
	local n=$(($# - 3)) want got
	local opts=("${@:1:$n}") e=${*:$((n + 1)):1} a=${*:$((n + 2)):1} b=${*:$((n + 3)):1}
	"$S/pkfind-remote" -k "$FD/keys" -w "$FD/h.pcap" "$U1" "s2=$U2" -- "${opts[@]}" "$e" 2>"$FD/h.err" ||
	    { echo "pkfind-remote failed: $(cat "$FD/h.err")"; return 1; }
	want=$(oracle12 "$e" "$a" "$b")
	got=$(pcap_text "$FD/h.pcap" | pf_pktlines | LC_ALL=C sort)
	[ -n "$want" ] || { echo "$e: no packet (a test that cannot fail)"; return 1; }
	[ "$want" = "$got" ] || { echo "$e ${opts[*]}: tcpdump $(grep -c . <<<"$want"), pkfind-remote $(grep -c . <<<"$got")"; diff <(echo "$want") <(echo "$got") | head -5; return 1; }
	# merged by time
	tcpdump -r "$FD/h.pcap" -tt -nn 2>/dev/null | awk '{print $1}' | sort -n -c
}

@test "over HTTPS: two sensors' pkserve give exactly tcpdump's packets over both archives" {
	https_same 'host 10.9.2.1 or host 10.9.1.1' "" ""
	https_same 'udp port 53' "" ""
	https_same 'not tcp' "" ""
	https_same -s "@$((T0 + 15))" -e "@$((T0 + 45))" 'tcp' $((T0 + 15)) $((T0 + 45))
	https_same -s "@$((T0 + 12)).5" -D 20s 'ip' $((T0 + 12)).5 $((T0 + 32)).5
	# the coverage line of each sensor, named
	grep -q "^127.0.0.1:$PS_PORT_s1: " "$FD/h.err"
	grep -q '^s2: ' "$FD/h.err"
	# -k: a bare HOST:PORT is https://HOST:PORT; several words are one expression, as pkfind joins them
	run "$S/pkfind-remote" -k "$FD/keys" -w "$FD/k.pcap" "127.0.0.1:$PS_PORT_s2" -- -q host 10.9.2.1
	assert_success
	[ "$(pcount "$FD/k.pcap")" -ge 10 ]
	[ "$(pcount "$FD/k.pcap")" -eq "$(cd "$FD/s2" && pkfind -q -d archive -c host 10.9.2.1)" ]
	[ -z "$output" ]
}

@test "over HTTPS: options written attached, as pkfind reads them (and over the transport too)" {
	local a b
	a=$(date -u -d "@$((T0 + 15))" +%Y-%m-%dT%H:%M:%SZ) b=$(date -u -d "@$((T0 + 45))" +%Y-%m-%dT%H:%M:%SZ)
	https_same "-s$a" "-e$b" tcp $((T0 + 15)) $((T0 + 45))
	https_same -qs "$a" "-e$b" tcp $((T0 + 15)) $((T0 + 45))
	cp "$FD/h.pcap" "$FD/attached.pcap"
	# the transport: -d/srv/pool and -s2026-... reach pkfind as they were written
	run "$S/pkfind-remote" -t "$FD/transport" -w "$FD/t1.pcap" s1 s2 -- -darchive "-s$a" "-e$b" tcp
	assert_success
	run "$S/pkfind-remote" -t "$FD/transport" -w "$FD/t2.pcap" s1 s2 -- -d archive -s "$a" -e "$b" tcp
	assert_success
	[ "$(pcount "$FD/t1.pcap")" -gt 0 ]
	[ "$(pcap_text "$FD/t1.pcap" | md5sum)" = "$(pcap_text "$FD/t2.pcap" | md5sum)" ]
	[ "$(pcap_text "$FD/t1.pcap" | pf_pktlines | LC_ALL=C sort)" = "$(pcap_text "$FD/attached.pcap" | pf_pktlines | LC_ALL=C sort)" ]
	# what asks for another output is still refused, grouped or attached
	run "$S/pkfind-remote" -t "$FD/transport" -w "$FD/x.pcap" s1 -- -darchive -qc tcp
	[ "$status" -eq 64 ]
	assert_output --partial 'no -c, -l, -T, -E'
	run "$S/pkfind-remote" -t "$FD/transport" -w "$FD/x.pcap" s1 -- -Tjson tcp
	[ "$status" -eq 64 ]
	run "$S/pkfind-remote" -t "$FD/transport" -w "$FD/x.pcap" s1 -- -d
	[ "$status" -eq 64 ]
	assert_output --partial '-d needs an argument'
}

@test "a sensor name starting with - is refused: never an option of ssh or curl" {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	# an ssh that says how it was called
	printf '#!/bin/sh\nprintf "%%s\\n" "$@" >>"%s/ssh.args"\nexit 255\n' "$BATS_TEST_TMPDIR" >"$BATS_TEST_TMPDIR/bin/ssh"
	chmod +x "$BATS_TEST_TMPDIR/bin/ssh"
	run env PATH="$BATS_TEST_TMPDIR/bin:$PATH" "$S/pkfind-remote" -w "$FD/x.pcap" s1 "-oProxyCommand=touch $FD/pwned" -- udp
	[ "$status" -eq 64 ]
	assert_output --partial "a sensor name cannot start with '-'"
	run env PATH="$BATS_TEST_TMPDIR/bin:$PATH" "$S/pkfind-remote" -k "$FD/keys" -w "$FD/x.pcap" "$U1" "--config=$FD/evil" -- udp
	[ "$status" -eq 64 ]
	run "$S/pkfind-remote" -w "$FD/x.pcap" "-x=$U1" -- udp
	[ "$status" -eq 64 ]
	run "$S/pkfind-remote" -w "$FD/x.pcap" "s1=-K$FD/evil" -- udp
	[ "$status" -eq 64 ]
	[ ! -e "$FD/pwned" ]
	[ ! -e "$BATS_TEST_TMPDIR/ssh.args" ]
	# the default ssh gets -- before the host
	run env PATH="$BATS_TEST_TMPDIR/bin:$PATH" "$S/pkfind-remote" -w "$FD/x.pcap" s1 -- udp
	[ "$status" -eq 69 ]
	[ "$(sed -n 3,4p "$BATS_TEST_TMPDIR/ssh.args" | tr '\n' ' ')" = "-- s1 " ]
}

@test "over HTTPS: a bad expression, a sensor down, no certificates: said, with pk's status" {
	run "$S/pkfind-remote" -k "$FD/keys" -w "$FD/x.pcap" "$U1" -- 'udp and'
	[ "$status" -eq 69 ]
	assert_output --partial "127.0.0.1:$PS_PORT_s1: failed (status 65)"
	run "$S/pkfind-remote" -k "$FD/keys" -w "$FD/x.pcap" "$U1" "s9=https://127.0.0.1:$(free_port)" -- udp
	[ "$status" -eq 69 ]
	assert_output --partial "s9: failed (status 69)"
	assert_output --partial "s9: curl"
	[ "$(pcount "$FD/x.pcap")" -eq "$(cd "$FD/s1" && pkfind -q -d archive -c udp)" ]
	run "$S/pkfind-remote" -k "$FD/nokeys" -w "$FD/x.pcap" "$U1" -- udp
	[ "$status" -eq 66 ]
	# another CA's certificates: the TLS handshake fails
	ps_keys "$BATS_TEST_TMPDIR/other" analyst >/dev/null
	run "$S/pkfind-remote" -k "$BATS_TEST_TMPDIR/other" -w "$FD/x.pcap" "$U1" -- udp
	[ "$status" -eq 69 ]
	run "$S/pkfind-remote" -k "$FD/keys" -w "$FD/x.pcap" "$U1" -- -F - udp
	[ "$status" -eq 64 ]
}

@test "over HTTPS: a failure after the first packets (Pk-Status) gives pk's status; a sensor's own limit (Pk-Cut) is said" {
	local d=$BATS_TEST_TMPDIR/dmg f
	cp -a "$FD/s1/archive" "$d"
	f=$(find "$d" -name '*.pcap' | sort | sed -n 2p)
	[ -n "$f" ]
	# its second file's first record claims 2 GiB; size and time kept, so its index is believed
	cp -p "$f" "$d.keep"
	printf '\xff\xff\xff\x7f' | dd of="$f" bs=1 seek=32 conv=notrunc 2>/dev/null
	touch -r "$d.keep" "$f"
	ps_start dmg -d "$d" -k "$FD/keys"
	ps_start lim -d "$FD/s1/archive" -k "$FD/keys" -n 5
	run "$S/pkfind-remote" -k "$FD/keys" -w "$FD/d.pcap" "d=https://127.0.0.1:$PS_PORT_dmg" -- ''
	[ "$status" -eq 69 ]
	assert_output --partial 'd: dataerr: pkslice: '
	assert_output --partial 'd: failed (status 65)'
	run "$S/pkfind-remote" -k "$FD/keys" -w "$FD/l.pcap" "l=https://127.0.0.1:$PS_PORT_lim" -- ''
	kill "$PS_PID_dmg" "$PS_PID_lim"
	assert_success
	assert_output --partial "l: the answer was cut by the sensor's limit of packets"
	[ "$(pcount "$FD/l.pcap")" -eq 5 ]
}

@test "-C over HTTPS: the catalog spares the sensors without candidates; the answer is tcpdump's" {
	need_ch
	local n1 n2
	n1=$(grep -c 'status=' "$FD/s1.log") n2=$(grep -c 'status=' "$FD/s2.log")
	run "$S/pkfind-remote" -C "$CH_URL" -k "$FD/keys" -w "$FD/ch.pcap" "s1=$U1" "s2=$U2" -- -s "@$((T0 + 5))" -e "@$((T0 + 40))" 'host 10.9.2.1'
	assert_success
	[ "$(pcount "$FD/ch.pcap")" -eq 10 ]
	[ "$(grep -c 'status=' "$FD/s1.log")" -eq "$n1" ]
	[ "$(grep -c 'status=' "$FD/s2.log")" -eq $((n2 + 1)) ]
	[ "$(pcap_text "$FD/ch.pcap" | pf_pktlines | LC_ALL=C sort)" = "$(oracle12 'host 10.9.2.1' $((T0 + 5)) $((T0 + 40)))" ]
	# a window the catalog does not cover: both asked, all their files
	run "$S/pkfind-remote" -C "$CH_URL" -k "$FD/keys" -w "$FD/ch.pcap" "s1=$U1" "s2=$U2" -- 'net 10.9.0.0/16'
	assert_success
	[ "$(pcap_text "$FD/ch.pcap" | pf_pktlines | LC_ALL=C sort)" = "$(oracle12 'net 10.9.0.0/16')" ]
	[ "$(grep -c 'status=' "$FD/s1.log")" -eq $((n1 + 1)) ]
}

# ---- shipping formats: Elasticsearch, CSV ----

@test "pkextract -T es: _bulk action/document pairs, index packets-YYYY-MM-DD of the packet's day" {
	need_cmd jq
	local T=$BATS_TEST_TMPDIR
	"$PK_TOOLS/pkgen" -n 50 "$T/in.pcap"
	pkread -r "$T/in.pcap" | pkextract -T es >"$T/bulk"
	[ "$(wc -l <"$T/bulk")" -eq 100 ]
	run jq -n -r '[inputs] as $l | range(0; $l | length; 2) as $i
	    | select(($l[$i] | keys) != ["index"]
	        or $l[$i].index._index != "packets-" + ($l[$i + 1]["@timestamp"][0:10]))
	    | $i' "$T/bulk"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(jq -s 'map(select(has("index") | not)) | length' "$T/bulk")" -eq 50 ]
	pkread -r "$T/in.pcap" | pkextract -T csv >"$T/csv"
	[ "$(wc -l <"$T/csv")" -eq 51 ]
	[ "$(grep -c '@timestamp' "$T/csv")" -eq 1 ]
}

# fake_es DIR: a curl that keeps each request body and answers as Elasticsearch
# would ("errors": true, with the space, when DIR/refuse exists)
fake_es() {
	mkdir -p "$1/fake"
	cat >"$1/fake/curl" <<-EOF
	#!/bin/sh
	n=\$(ls "$1"/req.* 2>/dev/null | wc -l)
	cat >"$1/req.\$n"
	for a; do last=\$a; done
	echo "\$last" >"$1/url"
	if [ -e "$1/refuse" ]; then echo '{"took":1, "errors": true, "items":[]}'
	else echo '{"took":1, "errors": false, "items":[]}'; fi
	EOF
	chmod +x "$1/fake/curl"
}

@test "pk-ship-es: posts _bulk batches of -n documents; refused documents (\"errors\": true) and pkextract's 65 fail it" {
	local T=$BATS_TEST_TMPDIR
	"$PK_TOOLS/pkgen" -n 25 "$T/in.pcap"
	fake_es "$T"
	run bash -c "pkread -r '$T/in.pcap' | PATH='$T/fake:$PATH' '$S/pk-ship-es' -n 10 http://es.example:9200/"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$T/url")" = "http://es.example:9200/_bulk" ]
	[ "$(ls "$T"/req.* | wc -l)" -eq 3 ]
	[ "$(cat "$T"/req.* | wc -l)" -eq 50 ]
	[ "$(wc -l <"$T/req.0")" -eq 20 ]
	rm -f "$T"/req.*
	touch "$T/refuse"
	run bash -c "pkread -r '$T/in.pcap' | PATH='$T/fake:$PATH' '$S/pk-ship-es' http://es.example:9200"
	[ "$status" -ne 0 ]
	assert_output --partial 'refused documents'
	rm -f "$T/refuse" "$T"/req.*
	# garbage in: pkextract says 65, and so does the shipper
	run bash -c "{ pkread -r '$T/in.pcap'; echo garbage; } | PATH='$T/fake:$PATH' '$S/pk-ship-es' http://es.example:9200"
	[ "$status" -eq 65 ]
	assert_output --partial 'pkextract failed (status 65)'
}

@test "pk-ship-es -S: sessions into sessions-YYYY-MM-DD with an id that makes a second shipping replace the first" {
	need_cmd jq
	local T=$BATS_TEST_TMPDIR
	fake_es "$T"
	(cd "$FD/s1" && pkfind -q -d archive -T sessions-json 'host 10.9.1.1') >"$T/sess"
	[ "$(wc -l <"$T/sess")" -eq 2 ]
	PATH="$T/fake:$PATH" "$S/pk-ship-es" -S http://es.example:9200 <"$T/sess"
	[ "$(wc -l <"$T/req.0")" -eq 4 ]
	run jq -r 'select(has("index")) | .index._index + " " + .index._id' "$T/req.0"
	assert_line --index 0 "sessions-2027-01-15 $(hostname):$(jq -r .flow "$T/sess" | head -n 1):$(( (T0 + 10) ))000000000"
	[ "$(jq -c 'select(has("index") | not)' "$T/req.0")" = "$(jq -c . "$T/sess")" ]
	run bash -c "echo '{not json' | PATH='$T/fake:$PATH' '$S/pk-ship-es' -S http://es.example:9200"
	[ "$status" -eq 65 ]
}
