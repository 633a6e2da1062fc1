#!/usr/bin/env bats
# pkextract: the decoder (decode.c), the printers (print.c) and the stage.
# Oracles: tshark on the same packets, jq for JSON.

load helpers
load lib/pkextract

setup() {
	T=$BATS_TEST_TMPDIR
}

# gen NAME [pkgen args]: a pkgen capture in $T/NAME.pcap
gen() {
	local name=$1; shift
	[ -x "$PK_TOOLS/pkgen" ] || fail "pkgen not built (make)"
	"$PK_TOOLS/pkgen" "$@" "$T/$name.pcap"
}

# cmp_tshark FILE: addresses and ports agree with tshark, packet by packet
cmp_tshark() {
	ours "$1" >"$T/ours"
	theirs "$1" >"$T/theirs"
	[ -s "$T/ours" ]
	diff "$T/theirs" "$T/ours"
}

@test "usage errors exit 64" {
	run pkextract -x
	[ "$status" -eq 64 ]
	run pkextract -T yaml </dev/null
	[ "$status" -eq 64 ]
	[[ "$output" == *"unknown format yaml"* ]]
	run pkextract -T csv -f source.ip,nosuch </dev/null
	[ "$status" -eq 64 ]
	[[ "$output" == *"unknown field nosuch"* ]]
	run pkextract extra
	[ "$status" -eq 64 ]
}

@test "stage mode refuses a terminal with a hint" {
	need_cmd script
	run script -qec "$PK_BIN/pkextract </dev/null" /dev/null
	[ "$status" -eq 64 ]
	[[ "$output" == *"refusing to write a binary pk stream to a terminal"* ]]
}

@test "a pcap file on stdin is refused in one line (exit 65)" {
	gen g -n 3
	run pkextract -T text <"$T/g.pcap"
	[ "$status" -eq 65 ]
	[[ "$output" == *"read it with pkread -r"* ]]
}

@test "garbage input: counted, no crash, exit 65" {
	head -c 20000 /dev/urandom >"$T/junk"
	run pkextract -T json <"$T/junk"
	[ "$status" -eq 65 ]
	run pkextract <"$T/junk"
	[ "$status" -eq 65 ]
}

@test "pkgen mix: addresses and ports agree with tshark" {
	need_cmd tshark
	gen g -n 300
	cmp_tshark "$T/g.pcap"
}

@test "pkgen on every link type pkgen writes: agrees with tshark" {
	need_cmd tshark
	local lt
	for lt in 1 113 276 101 0; do
		gen "l$lt" -n 150 -l "$lt" -m tcp,udp,icmp,tcp6,udp6,icmp6,frag,frag2,ip6ext,sctp
		cmp_tshark "$T/l$lt.pcap"
	done
}

@test "VLAN, QinQ, MPLS, ICMP and TCP flags agree with tshark" {
	need_cmd tshark
	gen g -n 200 -m vlan,qinq,mpls,mpls2,icmp,icmp6,tcp,tcp6
	pk_stream "$T/g.pcap" |
	    pkextract -T csv -f vlan.ids,mpls.label,icmp.type,icmp.code,tcp.flags_value |
	    tr -d '\r"' | tail -n +2 |
	    awk -F, -v OFS=, '$NF != "" { $NF = sprintf("0x%04x", $NF) } { print }' >"$T/ours"
	tshark -r "$T/g.pcap" -T fields -E 'separator=,' -E occurrence=f \
	    -e vlan.id -e mpls.label -e icmp.type -e icmpv6.type -e icmp.code -e icmpv6.code \
	    -e tcp.flags 2>/dev/null |
	    awk -F, '{ print $1 "," $2 "," $3 $4 "," $5 $6 "," $7 }' >"$T/first"
	# every VLAN id, outermost first (tshark names an 802.1ad tag ieee8021ad.id)
	tshark -r "$T/g.pcap" -T fields -E 'separator=;' -e ieee8021ad.id -e vlan.id 2>/dev/null |
	    awk -F';' '{ print ($1 != "" && $2 != "") ? $1 "," $2 : $1 $2 }' >"$T/vlans"
	paste -d, "$T/vlans" <(cut -d, -f2- "$T/first") >"$T/theirs"
	grep -q '^100,20,' "$T/ours"           # QinQ seen: outer 100, inner 20
	grep -q ',[0-9][0-9]*,,,' "$T/ours"     # an MPLS label
	diff "$T/theirs" "$T/ours"
}

@test "ARP: sender and target IP as source and destination, opcode" {
	need_cmd tshark
	gen a -n 20 -m arp
	pk_stream "$T/a.pcap" | pkextract -T csv -f network.type,source.ip,destination.ip,arp.opcode |
	    tr -d '\r' | tail -n +2 >"$T/ours"
	tshark -r "$T/a.pcap" -T fields -E 'separator=,' \
	    -e arp.src.proto_ipv4 -e arp.dst.proto_ipv4 -e arp.opcode 2>/dev/null |
	    sed 's/^/arp,/' >"$T/theirs"
	[ "$(wc -l <"$T/ours")" -eq 20 ]
	diff "$T/theirs" "$T/ours"
	pk_stream "$T/a.pcap" | pkextract -T text | grep -q 'ARP, Request who-has .* tell '
}

@test "fragments: ports only on the first fragment, fragment flags" {
	gen f -n 40 -m frag,frag2
	pk_stream "$T/f.pcap" | pkextract -T csv -f ip.fragment,ip.fragment_first,source.port |
	    tr -d '\r' | tail -n +2 | sed 's/[0-9][0-9]*$/PORT/' | sort | uniq -c >"$T/out"
	cat "$T/out"
	grep -Eq ' 20 true,true,PORT$' "$T/out"
	grep -Eq ' 20 true,false,$' "$T/out"
}

@test "IPv6 extension headers are walked to the transport header" {
	need_cmd tshark
	gen e -n 20 -m ip6ext
	pk_stream "$T/e.pcap" | pkextract -T csv -f network.transport,source.port | tr -d '\r' |
	    tail -n +2 | grep -Ec '^(udp|tcp),[0-9]+$' | grep -qx 20
	cmp_tshark "$T/e.pcap"
}

@test "truncated packets (snaplen 40): flagged, no crash, nothing past caplen" {
	gen s -n 200 -S 40
	pk_stream "$T/s.pcap" | pkextract -T json >"$T/j"
	[ "$(wc -l <"$T/j")" -eq 200 ]
	jq -se 'map(.["pk.caplen"] <= 40) | all' "$T/j" >/dev/null
	[ "$(jq -r 'select(.["pk.truncated"] == true) | 1' "$T/j" | wc -l)" -gt 0 ]
}

@test "JSON lines: every line parses, names as documented, absent fields omitted" {
	gen g -n 300 -N
	pk_stream "$T/g.pcap" | pkextract -T json >"$T/j"
	[ "$(jq -c . "$T/j" | wc -l)" -eq 300 ]
	# the field names documented in pkextract(1)
	local allowed names
	names=$(sed -n '/^\.Ss Fields/,/^\.Ss ClickHouse/p' "$PK_ROOT/man/pkextract.1" |
	    grep '^\.It Cm' | sed 's/^\.It Cm //; s/ , / /g' | tr ' ' '\n' | grep -v '^$')
	[ "$(echo "$names" | wc -l)" -ge 25 ]
	allowed=$(echo "$names" | jq -R . | jq -sc .)
	# every documented name is a field -f accepts, and the JSON has no other key
	pkextract -T csv -f "$(echo "$names" | paste -sd, -)" </dev/null
	run jq -r --argjson ok "$allowed" 'keys[] | select(. as $k | $ok | index($k) | not)' "$T/j"
	[ -z "$output" ]
	jq -se 'map(select(has("tcp.flags")) | .["tcp.flags"] | test("^[FSRPAUEC]*$")) | length > 0 and all' "$T/j" >/dev/null
	# no key with a null value: absent fields are omitted
	[ -z "$(jq -c 'to_entries[] | select(.value == null)' "$T/j")" ]
	# nanosecond timestamps, RFC 3339
	jq -r '.["@timestamp"]' "$T/j" | grep -Evq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z$' && false
	# pk.file and pk.offset from FILE_OPEN and the location annotation
	[ "$(jq -r '.["pk.file"]' "$T/j" | sort -u)" = "$(cd "$T" && pwd -P)/g.pcap" ]
	[ "$(jq -r '.["pk.offset"]' "$T/j" | head -1)" -eq 24 ]
	# vlan.ids is an array
	jq -se 'map(select(.["vlan.count"] == 2) | .["vlan.ids"] | length == 2) | length > 0 and all' "$T/j" >/dev/null
}

@test "text: one line per packet, ISO 8601 UTC at the file's precision" {
	gen g -n 30 -t 1795874401
	pk_stream "$T/g.pcap" | pkextract -T text >"$T/txt"
	[ "$(wc -l <"$T/txt")" -eq 30 ]
	head -1 "$T/txt" | grep -Eq '^2026-11-28T[0-9:]{8}\.[0-9]{6}Z IP '
	grep -q ' IP6 ' "$T/txt"
	grep -q 'ICMP echo request' "$T/txt"
	gen n -n 3 -N
	pk_stream "$T/n.pcap" | pkextract -T text | head -1 | grep -Eq '^[-0-9T:]{19}\.[0-9]{9}Z '
	# -f with text: tab-separated values, "-" when absent
	pk_stream "$T/g.pcap" | pkextract -T text -f source.ip,source.port | grep -Pq '^[0-9.]+\t[0-9]+$'
}

@test "CSV: header, RFC 4180 quoting, one row per packet" {
	gen g -n 50 -m qinq,tcp
	pk_stream "$T/g.pcap" | pkextract -T csv -f vlan.ids,source.ip >"$T/c"
	[ "$(head -1 "$T/c")" = $'vlan.ids,source.ip\r' ]
	[ "$(wc -l <"$T/c")" -eq 51 ]
	grep -q '^"100,[0-9]*",' "$T/c"
}

@test "ClickHouse JSONEachRow and Elasticsearch _bulk forms" {
	gen g -n 20 -t 1795874401
	pk_stream "$T/g.pcap" | pkextract -T clickhouse >"$T/ch"
	[ "$(jq -c . "$T/ch" | wc -l)" -eq 20 ]
	[ -z "$(jq -r 'keys[] | select(test("[^a-z_]"))' "$T/ch")" ]
	# every key is a column of the table in pkextract(1)
	sed -n '/^CREATE TABLE packets/,/^) ENGINE/p' "$PK_ROOT/man/pkextract.1" |
	    awk 'NR > 1 && $1 != ")" { print $1 }' | sort >"$T/cols"
	[ "$(wc -l <"$T/cols")" -ge 25 ]
	[ -z "$(jq -r 'keys[]' "$T/ch" | sort -u | comm -23 - "$T/cols")" ]
	# nanoseconds as ClickHouse writes 64-bit integers (a string), booleans 0/1 (18.16 has no Bool)
	jq -r .timestamp "$T/ch" | grep -Eq '^17958744[0-9]{11}$'
	[ "$(jq -r .pk_truncated "$T/ch" | sort -u)" = 0 ]
	pk_stream "$T/g.pcap" | pkextract -T es >"$T/es"
	[ "$(wc -l <"$T/es")" -eq 40 ]
	[ "$(awk 'NR % 2 == 1' "$T/es" | sort -u)" = '{"index":{"_index":"packets-2026-11-28"}}' ]
	awk 'NR % 2 == 0' "$T/es" | jq -se 'map(has("@timestamp")) | length == 20 and all' >/dev/null
}

@test "stage: fields added to every packet, replaced (not doubled) on a second pass" {
	gen g -n 100
	pk_stream "$T/g.pcap" >"$T/s0"
	pkextract <"$T/s0" >"$T/s1"
	pkextract <"$T/s1" >"$T/s2"
	# each packet grows by one 88-byte ANN_FIELDS annotation, once
	# (and the header record names another producer)
	local h0 h1
	h0=$(od -An -tu4 -N4 "$T/s0")
	h1=$(od -An -tu4 -N4 "$T/s1")
	[ $(( $(stat -c %s "$T/s1") - $(stat -c %s "$T/s0") )) -eq $((100 * 88 + h1 - h0)) ]
	cmp "$T/s1" "$T/s2"
	# the stream still carries everything else: same printed result
	diff <(pkextract -T json <"$T/s0") <(pkextract -T json <"$T/s2")
}

@test "stage: a reader that goes away ends pkextract quietly" {
	gen g -n 3000
	pk_stream "$T/g.pcap" >"$T/s0"
	run bash -c "pkextract <'$T/s0' | head -c 100 >/dev/null; echo \${PIPESTATUS[0]}"
	[ "$output" = 0 ]
	run bash -c "pkextract -T json <'$T/s0' | head -1 >/dev/null; echo \${PIPESTATUS[0]}"
	[ "$output" = 0 ]
}

@test "stage round trip: pkread -r X | pkextract | pkslice is X byte for byte" {
	gen g -n 500
	pkread -q -r "$T/g.pcap" | pkextract | pkslice >"$T/out.pcap"
	cmp "$T/g.pcap" "$T/out.pcap"
}

# crafted packets (hexpcap): one IPv4 TCP SYN-ACK, one IPv6 UDP
IP4TCP="45000028000040004006 0000 0a000001 0a000002 01bbc738 00000000 00000000 5012ffff 00000000"
IP6UDP="60000000000811 40 20010db8000000000000000000000001 20010db8000000000000000000000002 04d2003500080000"
ETH="020000000002 020000000001"

@test "crafted: 40 IPv6 extension headers, NULL/LOOP byte orders, MPLS stack with IPv6" {
	local ext="" i
	for i in $(seq 39); do ext+="3c00010400000000"; done
	ext+="1100010400000000"
	hexpcap "$T/c.pcap" 1 "$ETH 86dd 60000000 0148 3c40 20010db8000000000000000000000001 20010db8000000000000000000000002 $ext 04d2003500080000" \
	    "$ETH 8847 00064040 000c8140 $IP6UDP" \
	    "$ETH 8100 0064 88a8 00c8 9100 012c 8100 0190 8100 01f4 0800 $IP4TCP"
	pk_stream "$T/c.pcap" | pkextract -T csv -f network.type,source.ip,destination.port,mpls.label,mpls.count,vlan.ids,vlan.count,tcp.flags |
	    tr -d '\r' >"$T/out"
	cat "$T/out"
	[ "$(sed -n 2p "$T/out")" = 'ipv6,2001:db8::1,53,,,,,' ]
	[ "$(sed -n 3p "$T/out")" = 'ipv6,2001:db8::1,53,100,2,,,' ]
	[ "$(sed -n 4p "$T/out")" = 'ipv4,10.0.0.1,51000,,,"100,200,300,400",5,SA' ]
	# every label of the stack, outermost first
	[ "$(pk_stream "$T/c.pcap" | pkextract -T csv -f mpls.labels,mpls.count | sed -n 3p | tr -d '\r')" = '"100,200",2' ]
	[ "$(pk_stream "$T/c.pcap" | pkextract -T json -f mpls.labels | sed -n 2p | jq -c '.["mpls.labels"]')" = '[100,200]' ]
	[ "$(pk_stream "$T/c.pcap" | pkextract -T json -f mpls.labels | sed -n 1p | jq -c '.["mpls.labels"]')" = 'null' ]
	# BSD NULL, IPv6 (AF 24, host order) and LOOP, IPv4 (AF 2, network order)
	hexpcap "$T/n.pcap" 0 "18000000 $IP6UDP"
	hexpcap "$T/l.pcap" 108 "00000002 $IP4TCP"
	hexpcap "$T/r.pcap" 101 "$IP4TCP"
	[ "$(pk_stream "$T/n.pcap" | pkextract -T csv -f source.ip,source.port | tail -1)" = $'2001:db8::1,1234\r' ]
	[ "$(pk_stream "$T/l.pcap" | pkextract -T csv -f source.ip,source.port | tail -1)" = $'10.0.0.1,443\r' ]
	[ "$(pk_stream "$T/r.pcap" | pkextract -T text | cut -d' ' -f2-)" = 'IP 10.0.0.1.443 > 10.0.0.2.51000: tcp [S.], length 40' ]
}

@test "crafted: every truncation of a tagged packet decodes what was captured" {
	local full="$ETH 8100 0014 86dd 60000000 0014 0640 20010db8000000000000000000000001 20010db8000000000000000000000002 01bbc738 00000000 00000000 5012ffff 00000000"
	local h=${full// /} n args=()
	for ((n = 0; n <= ${#h} / 2; n++)); do
		args+=("${h:0:$((2 * n))}")
	done
	hexpcap "$T/t.pcap" 1 "${args[@]}"
	pk_stream "$T/t.pcap" | pkextract -T json >"$T/j"
	[ "$(jq -c . "$T/j" | wc -l)" -eq "${#args[@]}" ]
	# fields appear once their header is whole, and only then
	[ "$(jq -r 'select(.["source.mac"]) | .["pk.caplen"]' "$T/j" | head -1)" -eq 12 ]
	[ "$(jq -r 'select(.["vlan.id"] == 20) | .["pk.caplen"]' "$T/j" | head -1)" -eq 18 ]
	[ "$(jq -r 'select(.["source.ip"]) | .["pk.caplen"]' "$T/j" | head -1)" -eq 58 ]
	[ "$(jq -r 'select(.["source.port"] == 443) | .["pk.caplen"]' "$T/j" | head -1)" -eq 62 ]
	[ "$(jq -r 'select(.["tcp.flags"] == "SA") | .["pk.caplen"]' "$T/j" | head -1)" -eq 72 ]
	# truncated until the TCP header is whole (20 bytes)
	[ "$(jq -r 'select(.["pk.truncated"] == false) | .["pk.caplen"]' "$T/j" | head -1)" -eq 78 ]
	pk_stream "$T/t.pcap" | pkextract >/dev/null
}

@test "fields agree with BPF: plain traffic gives exactly tcpdump's matches" {
	need_cmd tcpdump
	gen p -n 600 -N -m tcp,udp,icmp,tcp6,udp6,icmp6,arp,frag,frag2,sctp
	local f=$T/p.pcap
	bpf_vs_fields "$f" 'host 10.0.0.5' '.["source.ip"] == "10.0.0.5" or .["destination.ip"] == "10.0.0.5"' equal
	bpf_vs_fields "$f" 'src host 192.168.1.3' '.["source.ip"] == "192.168.1.3"' equal
	bpf_vs_fields "$f" 'host 2001:db8::5' '.["source.ip"] == "2001:db8::5" or .["destination.ip"] == "2001:db8::5"' equal
	bpf_vs_fields "$f" 'net 192.168.1.0/24' '(.["source.ip"] // "" | startswith("192.168.1.")) or (.["destination.ip"] // "" | startswith("192.168.1."))' equal
	bpf_vs_fields "$f" 'port 53' '.["source.port"] == 53 or .["destination.port"] == 53' equal
	bpf_vs_fields "$f" 'dst port 443' '.["destination.port"] == 443' equal
	bpf_vs_fields "$f" 'portrange 32768-40000' '[.["source.port"], .["destination.port"]] | any(. != null and . >= 32768 and . <= 40000)' equal
	bpf_vs_fields "$f" 'sctp' '.["network.transport"] == "sctp"' equal
	bpf_vs_fields "$f" 'tcp' '.["network.iana_number"] == 6' equal
	bpf_vs_fields "$f" 'icmp or icmp6' '.["icmp.type"] != null' equal
	bpf_vs_fields "$f" 'arp' '.["network.type"] == "arp"' equal
	bpf_vs_fields "$f" 'ip[6:2] & 0x1fff != 0' '.["ip.fragment_first"] == false' equal
	bpf_vs_fields "$f" 'ether host 02:00:00:00:00:03' '.["source.mac"] == "02:00:00:00:00:03" or .["destination.mac"] == "02:00:00:00:00:03"' equal
	# tcp[] reads IPv4 only
	bpf_vs_fields "$f" 'tcp[tcpflags] & tcp-syn != 0' '.["network.type"] == "ipv4" and (.["tcp.flags"] // "" | test("S"))' equal
}

@test "fields agree with BPF: tags, MPLS and extension headers give a superset" {
	need_cmd tcpdump
	gen g -n 600 -N
	local f=$T/g.pcap
	bpf_vs_fields "$f" 'vlan 20' '.["vlan.id"] == 20' equal
	bpf_vs_fields "$f" 'vlan 100 and vlan 10' '.["vlan.ids"] == [100, 10]' equal
	bpf_vs_fields "$f" 'mpls' '.["mpls.label"] != null' equal
	bpf_vs_fields "$f" 'host 10.0.0.5' '.["source.ip"] == "10.0.0.5" or .["destination.ip"] == "10.0.0.5"' subset
	bpf_vs_fields "$f" 'vlan and host 10.0.0.5' '.["source.ip"] == "10.0.0.5" or .["destination.ip"] == "10.0.0.5"' subset
	bpf_vs_fields "$f" 'port 53' '.["source.port"] == 53 or .["destination.port"] == 53' subset
	bpf_vs_fields "$f" 'ip6 and udp' '.["network.transport"] == "udp"' subset
}

# ---- real captures (../shared/pcaps) ----

@test "real captures: IPv6, VLAN, QinQ, MPLS, PPPoE, fragments, SLL/SLL2 agree with tshark" {
	need_shared
	need_cmd tshark
	local f
	for f in real/mixed/PcapPlusPlus__example2.pcap \
	    real/nanosecond/arkime__ipv6-gtp6.pcap \
	    odd/encapsulation/PcapPlusPlus__VlanPackets.pcap \
	    odd/encapsulation/arkime__twovlan.pcap \
	    odd/encapsulation/zeek__vlan-qinqinq.pcap \
	    odd/encapsulation/arkime__mpls-basic.pcap \
	    odd/encapsulation/zeek__mixed-vlan-mpls.pcap \
	    odd/encapsulation/zeek__mpls-in-vlan.pcap \
	    odd/encapsulation/zeek__pppoe-over-qinq.pcap \
	    odd/encapsulation/PcapPlusPlus__ip4_fragments.pcap \
	    odd/encapsulation/suricata-verify__frag-ip-tcp.pcap \
	    odd/encapsulation/libpcap__ipv6_ext_headers.pcap \
	    odd/encapsulation/libpcap__ah-ipip-ping.pcap \
	    odd/encapsulation/zeek__6in4.pcap \
	    odd/encapsulation/zeek__4in6.pcap \
	    real/linktypes/PcapPlusPlus__sll.pcap \
	    real/linktypes/zeek__linux_dlt_sll2.pcap \
	    odd/linktypes/PcapPlusPlus__sll2.pcap \
	    real/linktypes/PcapPlusPlus__raw_ip.pcap \
	    real/linktypes/zeek__zerortt.pcap \
	    real/linktypes/zeek__icmp6-mldv2.pcap \
	    odd/encapsulation/PcapPlusPlus__QinQ_802.1_AD.pcapng \
	    odd/encapsulation/zeek__vlan-pcp-dei.pcapng \
	    real/pcapng/nDPI__stun_google_meet.pcapng; do
		[ -f "$SHARED_PCAPS/$f" ] || continue
		echo "# $f" >&3
		cmp_tshark "$(shared_pcap "$f")"
	done
}

@test "real captures: BPF matches are a subset of the field matches" {
	need_shared
	need_cmd tcpdump
	local f ip ip6 n=0
	for f in real/mixed/PcapPlusPlus__example2.pcap real/mixed/cisco-mercury__capture2.pcap \
	    real/nanosecond/arkime__ipv6-gtp6.pcap odd/encapsulation/zeek__mixed-vlan-mpls.pcap \
	    odd/encapsulation/PcapPlusPlus__ip4_fragments.pcap real/linktypes/PcapPlusPlus__sll.pcap; do
		[ -f "$SHARED_PCAPS/$f" ] || continue
		f=$(shared_pcap "$f")
		# the busiest IPv4 and IPv6 addresses
		pk_stream "$f" | pkextract -T csv -f source.ip | tr -d '\r' | tail -n +2 |
		    sort | uniq -c | sort -rn | awk '{ print $2 }' >"$T/ips"
		ip=$(grep -m1 '\.' "$T/ips" || true)
		ip6=$(grep -m1 ':' "$T/ips" || true)
		if [ -n "$ip" ]; then
			bpf_vs_fields "$f" "host $ip or (vlan and host $ip)" \
			    ".[\"source.ip\"] == \"$ip\" or .[\"destination.ip\"] == \"$ip\"" subset
			n=$((n + 1))
		fi
		if [ -n "$ip6" ]; then
			bpf_vs_fields "$f" "host $ip6 or (vlan and host $ip6)" \
			    ".[\"source.ip\"] == \"$ip6\" or .[\"destination.ip\"] == \"$ip6\"" subset
		fi
		bpf_vs_fields "$f" 'port 53 or port 443 or (vlan and (port 53 or port 443))' \
		    '[.["source.port"], .["destination.port"]] | any(. == 53 or . == 443)' subset
		bpf_vs_fields "$f" 'icmp or icmp6' '.["icmp.type"] != null' subset
		bpf_vs_fields "$f" 'vlan' '.["vlan.count"] != null' subset
	done
	[ "$n" -ge 1 ]
}

@test "real mixed captures agree with tshark" {
	need_shared
	need_cmd tshark
	local f
	for f in "$SHARED_PCAPS"/real/mixed/*.pcap "$SHARED_PCAPS"/real/nanosecond/*.pcap; do
		case $f in *someip_sd_sample*|*vntag*) continue ;; esac  # PPI link type / VN-Tag: not decoded
		cmp_tshark "$f"
	done
}

@test "odd captures: no crash in any mode" {
	need_shared
	local f rc n=0 j=0
	for f in "$SHARED_PCAPS"/odd/*/*; do
		case $f in *.gz) f=$(shared_pcap "${f#"$SHARED_PCAPS"/}") ;; esac
		pkread -q -r "$f" >"$T/s" 2>/dev/null || true
		for mode in "-T json" "-T text" ""; do
			rc=0
			# shellcheck disable=SC2086
			pkextract $mode <"$T/s" >"$T/out" 2>"$T/err" || rc=$?
			# a signal, or a sanitizer report (SANITIZE=1 builds exit 1 on one)
			if [ "$rc" -ge 128 ] || grep -Eq 'Sanitizer|runtime error' "$T/err"; then
				echo "pkextract $mode crashed ($rc) on $f" >&2
				cat "$T/err" >&2
				return 1
			fi
			if [ "$mode" = "-T json" ]; then
				jq -se 'all(type == "object")' "$T/out" >/dev/null || {
					echo "invalid JSON for $f" >&2
					return 1
				}
				[ -s "$T/out" ] && j=$((j + 1))
			fi
		done
		n=$((n + 1))
	done
	# most of them hold packets pkread can read
	[ "$n" -gt 50 ] && [ "$j" -gt 30 ]
}

@test "the field table's pkextract names are pkextract fields, and show the indexed values" {
	local n f
	[ -x "$PK_TOOLS/fieldtab" ] || fail "build/tools/fieldtab is not built (make)"
	run "$PK_TOOLS/fieldtab" -j
	assert_success
	[ "${#lines[@]}" -ge 10 ]
	for n in "${lines[@]}"; do
		run pkextract -T csv -f "$n" </dev/null
		[ "$status" -eq 0 ] || { echo "$n: $output"; return 1; }
	done
	run pkextract -T csv -f no.such.field </dev/null
	assert_failure 64
	# the labels pkextract shows are the index's mpls keys
	gen m -n 200 -m mplsx
	pk_stream "$T/m.pcap" | pkextract -T csv -f mpls.labels | tail -n +2 | tr -d '"\r' | tr ',' '\n' | grep . |
	    sort -u >"$T/labels"
	assert_equal "$(cat "$T/labels")" "$(printf '100\n200\n300')"
	rm -f "$T/m.pcap.idx"
	pkindex -d "$T" "$T/m.pcap"
	# packets having label f anywhere in the stack, against the index's list of f
	for f in 100 200 300; do
		assert_equal "$(pk_stream "$T/m.pcap" | pkextract -T csv -f mpls.labels | tail -n +2 | tr -d '"\r' |
		    grep -cE "(^|,)$f(,|\$)")" \
		    "$(pkindex --dump "$T/m.pcap.idx" | awk -v v="$f" '$1 == "key" && $2 == "mpls" && $3 == v { sub(":", "", $7); print $7 }')"
	done
}
