#!/usr/bin/env bats
# sessions.bats - pk-sessions(5): pkfind -T sessions / sessions-json against
# tshark's conversation statistics, pkindex -S sidecars, pkfind -T json
# against pkextract -T json, pkfind -F / -X, and pkfind -E -T sql's shape
# (tests/clickhouse.bats runs the SQL in a real ClickHouse).

load helpers
load lib/pkfind
load lib/sessions

setup_file() {
	local d=$BATS_FILE_TMPDIR
	export SD=$d
	"$PK_TOOLS/pkgen" -n 3000 -N -i 700 -s 7 "$d/gen.pcap"
	# one capture, archived with the real pipeline and sidecars, 6 files of 500
	mkdir -p "$d/gen"
	pkread -r "$d/gen.pcap" | pkrotate -d "$d/gen" -c 500 | pkindex -S -d "$d/gen" 2>"$d/gen.log"
}

# archive_inplace NAME PCAP: PCAP indexed in place in its own archive (one file)
archive_inplace() {
	mkdir -p "$SD/$1/in"
	cp "$2" "$SD/$1/in/x.pcap"
	pkindex -d "$SD/$1" "$SD/$1/in/x.pcap"
}

@test "-T sessions-json: packets and bytes of every session add up to the archive's, tshark agrees per conversation" {
	need_cmd tshark jq
	pkfind -q -d "$SD/gen" -T sessions-json '' >"$SD/all.json"
	# every packet is in exactly one session of its file
	[ "$(jq -s 'map(.packets_ab + .packets_ba) | add' "$SD/all.json")" -eq 3000 ]
	[ "$(jq -s 'map(.bytes_ab + .bytes_ba) | add' "$SD/all.json")" -eq \
	    "$(tshark -r "$SD/gen.pcap" -T fields -e frame.len 2>/dev/null | awk '{ s += $1 } END { print s }')" ]
	for p in tcp udp; do
		conv_tshark "$SD/gen.pcap" "$p" >"$SD/t.$p"
		conv_pk "$SD/all.json" "$p" >"$SD/k.$p"
		[ "$(wc -l <"$SD/t.$p")" -gt 10 ]
		run diff "$SD/t.$p" "$SD/k.$p"
		echo "$output"
		[ "$status" -eq 0 ]
	done
}

@test "-T sessions-json on real captures equals tshark -z conv,tcp and conv,udp (frames and bytes, each direction)" {
	need_shared
	need_cmd tshark jq
	local f n=0 p
	for f in "$SHARED_PCAPS"/real/mixed/*.pcap real/large/4SICS-GeekLounge-151020.pcap.gz; do
		case $f in real/*) need_shared; f=$(shared_pcap "$f") ;; esac
		n=$((n + 1))
		archive_inplace "real$n" "$f"
		pkfind -q -d "$SD/real$n" -T sessions-json '' >"$SD/real$n.json"
		for p in tcp udp; do
			conv_tshark "$f" "$p" >"$SD/t.$p"
			conv_pk "$SD/real$n.json" "$p" >"$SD/k.$p"
			run diff "$SD/t.$p" "$SD/k.$p"
			[ "$status" -eq 0 ] || { echo "$f $p:"; echo "$output" | head -20; return 1; }
		done
	done
	[ "$n" -ge 5 ]
}

@test "-T sessions: both directions joined, side a sent the first packet, flags per direction" {
	need_cmd jq tshark
	tcp_conv_pcap "$SD/tcp.pcap"
	archive_inplace tcp "$SD/tcp.pcap"
	pkfind -q -d "$SD/tcp" -T sessions-json '' >"$SD/tcp.json"
	[ "$(wc -l <"$SD/tcp.json")" -eq 2 ]
	run jq -c '[.ip_a, .port_a, .ip_b, .port_b, .packets_ab, .bytes_ab, .packets_ba, .bytes_ba,
	    .tcp_flags_ab, .tcp_flags_ba, .first_ns, .last_ns]' "$SD/tcp.json"
	# 0x1b = FIN SYN PSH ACK both ways; 40001: the server's RST-ACK came first
	assert_line --index 0 '["10.1.0.1",40000,"10.1.0.2",80,4,316,4,516,27,27,"1700000000000000000","1700000007000000000"]'
	assert_line --index 1 '["10.1.0.2",80,"10.1.0.1",40001,1,54,1,54,20,16,"1700000008000000000","1700000009000000000"]'
	conv_tshark "$SD/tcp.pcap" tcp >"$SD/t.tcp"
	conv_pk "$SD/tcp.json" tcp >"$SD/k.tcp"
	cmp "$SD/t.tcp" "$SD/k.tcp"
	# the text form: one line a session
	run pkfind -q -d "$SD/tcp" -T sessions ''
	assert_line --index 0 "2023-11-14T22:13:20.000000000Z 7.000000000s tcp 10.1.0.1.40000 <> 10.1.0.2.80: 4/4 packets, 316/516 bytes, flags [SFP.]/[SFP.], $SD/tcp/in/x.pcap"
	assert_line --index 1 "2023-11-14T22:13:28.000000000Z 1.000000000s tcp 10.1.0.2.80 <> 10.1.0.1.40001: 1/1 packets, 54/54 bytes, flags [R.]/[.], $SD/tcp/in/x.pcap"
	# a SYN nobody answered: the silent side's flags are tcpdump's [none]
	editcap -F pcap -r "$SD/tcp.pcap" "$SD/syn.pcap" 1
	archive_inplace syn "$SD/syn.pcap"
	run pkfind -q -d "$SD/syn" -T sessions ''
	assert_output --partial ": 1/0 packets, 54/0 bytes, flags [S]/[none], "
}

@test "-T sessions EXPR: the sessions of the matching packets in the window, across files" {
	need_cmd jq
	local q='udp port 53 or tcp port 443'
	pkfind -q -d "$SD/gen" -T sessions-json "$q" >"$SD/q.json"
	# packets counted = pkfind -c's
	[ "$(jq -s 'map(.packets_ab + .packets_ba) | add' "$SD/q.json")" -eq "$(pkfind -q -d "$SD/gen" -c "$q")" ]
	# a session that goes on in the next file is one session listing both
	pkfind -q -d "$SD/gen" -T sessions-json '' >"$SD/all.json"
	[ "$(jq -s 'map(select(.files | length > 1)) | length' "$SD/all.json")" -ge 1 ]
	[ "$(jq -s 'map(.files | length) | add' "$SD/all.json")" -eq "$(cat "$SD"/gen/*/*.sessions | wc -l)" ]
	# a window: only its packets
	local s e
	s=$(tcpdump -r "$SD/gen.pcap" -tt -nn 2>/dev/null | sed -n 1000p | cut -d ' ' -f 1)
	e=$(tcpdump -r "$SD/gen.pcap" -tt -nn 2>/dev/null | sed -n 2000p | cut -d ' ' -f 1)
	pkfind -q -d "$SD/gen" -s "@$s" -e "@$e" -T sessions-json "$q" >"$SD/w.json"
	[ "$(jq -s 'map(.packets_ab + .packets_ba) | add' "$SD/w.json")" -eq \
	    "$(pkfind -q -d "$SD/gen" -s "@$s" -e "@$e" -c "$q")" ]
	jq -e -s --arg s "${s/./}000" 'all(.[]; (.first_ns | length) > 18 and .first_ns >= $s)' "$SD/w.json" >/dev/null
	# -r: newest first
	pkfind -q -d "$SD/gen" -r -T sessions-json "$q" | jq -r .first_ns >"$SD/r"
	sort -r -c "$SD/r"
}

@test "pkindex -S: a sidecar per file, equal to pkfind's sessions of that file alone, removed with its pcap" {
	need_cmd jq
	local f n=0
	for f in "$SD"/gen/*/*.pcap; do
		[ -s "$f.sessions" ]
		printf '%s\n' "$f" >"$SD/one"
		pkfind -q -d "$SD/gen" -F "$SD/one" -T sessions-json '' | cmp - "$f.sessions"
		[ "$(jq -r '.files | length' "$f.sessions" | sort -u)" = 1 ]
		[ "$(jq -r '.files[0]' "$f.sessions" | sort -u)" = "$f" ]
		n=$((n + 1))
	done
	[ "$n" -eq 6 ]
	[ "$(cat "$SD"/gen/*/*.sessions | jq -s 'map(.packets_ab + .packets_ba) | add')" -eq 3000 ]
	# sensor: $PK_SENSOR, else the host name
	[ "$(jq -r .sensor "$SD"/gen/*/*.sessions | sort -u)" = "$(hostname)" ]
	# retention (FILE_REMOVE) removes an unshipped sidecar with its pcap
	mkdir -p "$SD/ret"
	pkread -r "$SD/gen.pcap" | pkrotate -d "$SD/ret" -c 500 -N 2 | PK_SENSOR=s9 pkindex -S -d "$SD/ret" 2>/dev/null
	[ "$(find "$SD/ret" -name '*.pcap' | wc -l)" -eq 2 ]
	[ "$(find "$SD/ret" -name '*.sessions' | wc -l)" -eq 2 ]
	[ "$(jq -r .sensor "$SD"/ret/*/*.sessions | sort -u)" = s9 ]
}

@test "pkindex -S in place and from disk: a file the stream did not carry whole gets its sidecar from the pcap" {
	need_cmd jq
	archive_inplace inpl "$SD/gen.pcap"
	rm -f "$SD/inpl/in/x.pcap.idx"
	pkindex -S -d "$SD/inpl" "$SD/inpl/in/x.pcap"
	[ -s "$SD/inpl/in/x.pcap.sessions" ]
	[ "$(jq -s 'map(.packets_ab + .packets_ba) | add' "$SD/inpl/in/x.pcap.sessions")" -eq 3000 ]
	# the stream did not forward every packet (FCLOSE_GAP): pkindex indexes from disk, and so does -S
	mkdir -p "$SD/gap/in"
	cp "$SD/gen.pcap" "$SD/gap/in/x.pcap"
	printf 'header\nopen 1 1 262144 0 %s\nclose 1 1 3000 0 0 0\n' "$SD/gap/in/x.pcap" | "$PK_TOOLS/pkcraft" |
	    pkindex -S -d "$SD/gap" 2>"$SD/gap.log"
	grep -q 'indexing from disk' "$SD/gap.log"
	cmp <(jq -c 'del(.files)' "$SD/gap/in/x.pcap.sessions") <(jq -c 'del(.files)' "$SD/inpl/in/x.pcap.sessions")
}

@test "pkindex -S with --repair is refused; a file outside the archive gets no sidecar" {
	run pkindex -S --repair -d "$SD/gen"
	[ "$status" -eq 64 ]
	mkdir -p "$SD/out"
	cp "$SD/gen.pcap" "$SD/out.pcap"
	run pkindex -S -d "$SD/out" "$SD/out.pcap"
	[ "$status" -ne 0 ]
	[ ! -e "$SD/out.pcap.sessions" ]
}

@test "-T json: pkextract -T json's fields plus pk.file and pk.offset, one line per matching packet" {
	need_cmd jq
	archive_inplace js "$SD/gen.pcap"
	local f=$SD/js/in/x.pcap
	# every packet: exactly what pkextract prints for pkread -r of the file
	pkfind -q -d "$SD/js" -T json '' >"$SD/js.all"
	pkread -r "$f" | pkextract -T json >"$SD/px.all"
	cmp "$SD/js.all" "$SD/px.all"
	# an expression: the same lines as pkextract's, picked by tcpdump's matches
	pkfind -q -d "$SD/js" -T json 'udp or arp' >"$SD/js.q"
	[ "$(wc -l <"$SD/js.q")" -eq "$(tcpdump -nn -r "$f" 'udp or arp' 2>/dev/null | wc -l)" ]
	grep -vxFf "$SD/px.all" "$SD/js.q" && return 1
	jq -e -s 'all(.[]; has("pk.file") and has("pk.offset") and has("@timestamp"))' "$SD/js.q" >/dev/null
	# -n and -r
	[ "$(pkfind -q -d "$SD/js" -T json -n 5 '' | wc -l)" -eq 5 ]
	pkfind -q -d "$SD/js" -T json -r -n 3 '' | jq -r '."pk.offset"' >"$SD/o"
	[ "$(cat "$SD/o")" = "$(jq -r '."pk.offset"' "$SD/px.all" | tail -n 3 | tac)" ]
	# the archive's own files too (several, through the index)
	[ "$(pkfind -q -d "$SD/gen" -T json 'tcp' | jq -r '."pk.file"' | sort -u | wc -l)" -eq 6 ]
}

@test "-F and -X: only the listed files, or all but them; a listed file that is gone is no error" {
	local files one
	files=$(find "$SD/gen" -name '*.pcap' | LC_ALL=C sort)
	one=$(sed -n 2p <<<"$files")
	printf '%s\n%s\n' "$one" "$SD/gen/no/such.pcap" >"$SD/list"
	[ "$(pkfind -q -d "$SD/gen" -F "$SD/list" -c '')" -eq "$(tcpdump -nn -r "$one" 2>/dev/null | wc -l)" ]
	[ "$(pkfind -q -d "$SD/gen" -X "$SD/list" -c '')" -eq $((3000 - $(tcpdump -nn -r "$one" 2>/dev/null | wc -l))) ]
	# from standard input, and through pkslice
	[ "$(printf '%s\n' "$one" | pkfind -q -d "$SD/gen" -F - udp | pkslice | tcpdump -nn -r - 2>/dev/null | wc -l)" -eq \
	    "$(tcpdump -nn -r "$one" udp 2>/dev/null | wc -l)" ]
	run pkfind -d "$SD/gen" -F "$SD/list" -X "$SD/list" ''
	[ "$status" -eq 64 ]
	run pkfind -d "$SD/gen" -F "$SD/nosuchlist" ''
	[ "$status" -eq 66 ]
}

@test "-E -T sql: start, end and the catalog condition; the index's maybe rules" {
	run pkfind -E -T sql -s 2026-11-22T14:00Z -e +10m 'host 10.1.2.3 and port 445'
	assert_success
	assert_line --index 0 "start 1795356000000000000"
	assert_line --index 1 "end 1795356600000000000"
	assert_line --index 2 --partial "where ((unsure = 1 OR judged = 0) OR ((ip_version = 4 AND (ip_a = '10.1.2.3' OR ip_b = '10.1.2.3'))"
	# an open window
	run pkfind -E -T sql 'tcp'
	assert_line --index 0 "start 0"
	assert_line --index 1 "end 18446744073709551615"
	assert_line --index 2 "where ((unsure = 1 OR judged = 0) OR proto = 6)"
	# NOT of an inexact leaf, opaque primitives, vlan mode, tunnels, mpls under or: every session
	for q in 'not tcp' 'tcp[13] & 2 != 0' 'vlan 10 or host 10.0.0.1' 'pppoes and udp' 'mpls or udp' ''; do
		run pkfind -E -T sql "$q"
		assert_line --index 2 "where 1"
	done
	# mpls as a conjunct: the sessions carry no labels, but the protocol below them narrows
	run pkfind -E -T sql 'mpls 100 and udp'
	assert_line --index 2 "where ((unsure = 1 OR judged = 0) OR proto = 17)"
	# vlan mode: only the vlan leaves narrow
	run pkfind -E -T sql 'vlan and host 10.0.0.1'
	assert_line --index 2 "where ((unsure = 1 OR judged = 0) OR notEmpty(vlans))"
	# a leaf beside an opaque primitive still narrows; MACs only on Ethernet
	run pkfind -E -T sql 'ether src 02:00:00:00:00:01 and less 100'
	assert_line --index 2 --partial "linktype != 1 OR ((mac_a = '02:00:00:00:00:01' AND packets_ab > 0) OR (mac_b = '02:00:00:00:00:01' AND packets_ba > 0))"
	run pkfind -T sql -d "$SD/gen" tcp
	[ "$status" -eq 64 ]
}
