#!/usr/bin/env bats
# pkfind: archive search.  The oracle is tcpdump over the archive's files:
# `pkfind -d A EXPR | pkslice` must give the same packets, byte for byte,
# and `pkfind -c` their number.  Archives are built with the real pipeline
# (pkread -r | pkrotate | pkindex, then pkindex --repair).

load helpers
load lib/pkfind

setup_file() {
	local g=$PK_TOOLS/pkgen d=$BATS_FILE_TMPDIR
	export PF=$d
	# the core capture: every kind pkgen makes, ns timestamps, 6 files of 500
	"$g" -n 3000 -N -i 1000 "$d/gen.pcap"
	pf_archive "$d/gen" 500 "$d/gen.pcap" 2>"$d/gen.log"
	"$g" -n 600 -l 113 "$d/sll.pcap"
	pf_archive "$d/sll" 200 "$d/sll.pcap" 2>>"$d/gen.log"
	"$g" -n 600 -l 276 -N "$d/sll2.pcap"
	pf_archive "$d/sll2" 200 "$d/sll2.pcap" 2>>"$d/gen.log"
	"$g" -n 600 -l 101 "$d/raw.pcap"
	pf_archive "$d/raw" 200 "$d/raw.pcap" 2>>"$d/gen.log"
	"$g" -n 600 -l 0 -N "$d/null.pcap"
	pf_archive "$d/null" 200 "$d/null.pcap" 2>>"$d/gen.log"
	"$g" -n 600 -E "$d/be.pcap"
	pf_archive "$d/be" 200 "$d/be.pcap" 2>>"$d/gen.log"
	# MPLS stacks of 1-3 labels (100, 200, 300) over IPv4/IPv6, some under VLAN 10, among plain packets
	"$g" -n 1200 -N -m mplsx,udp,tcp6,vlan,mplsx,mpls2 "$d/mpls.pcap"
	pf_archive "$d/mpls" 300 "$d/mpls.pcap" 2>>"$d/gen.log"
}

# superset NAME EXPR: every packet tcpdump matches is among pkfind -x's candidates
superset() {
	local want got missing
	want=$(pf_oracle "$PF/$1" "$2")
	got=$(pkfind -q -x -d "$PF/$1" "$2" | pkslice | tcpdump -r - -S -nn -tt --nano -xx 2>/dev/null | pf_pktlines)
	[ -n "$want" ] || { echo "$2: tcpdump finds nothing"; return 1; }
	missing=$(LC_ALL=C comm -23 <(printf '%s\n' "$want") <(printf '%s\n' "$got") | grep -c . || true)
	[ "$missing" = 0 ] || { echo "$2: $missing packets of tcpdump's are not candidates"; return 1; }
}

# same [-e] NAME EXPR: pkfind | pkslice = tcpdump over archive NAME, and not
# empty; -e: a row whose answer is empty by design (and must be)
same() {
	local e=()
	[ "$1" != -e ] || { e=(-e); shift; }
	run pf_same "${e[@]}" "$PF/$1" "$2"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

# count NAME EXPR: pkfind -c = tcpdump's count (for link types pkslice cannot yet filter)
count() {
	local want got
	want=$(for f in $(pf_files "$PF/$1"); do tcpdump -r "$f" -nn "$2" 2>/dev/null; done | wc -l)
	got=$(pkfind -q -c -d "$PF/$1" "$2")
	[ "$want" = "$got" ] || { echo "$2: tcpdump $want, pkfind -c $got"; return 1; }
}

# shared NAME REL: an archive of ../shared/pcaps/REL (built once per run)
shared() {
	need_shared
	[ -d "$PF/$1" ] || pf_archive "$PF/$1" "${3:-400}" "$(shared_pcap "$2")" 2>>"$PF/gen.log"
}

@test "the archive was built: several indexed files" {
	[ "$(pf_files "$PF/gen" | wc -l)" -ge 5 ]
	[ "$(find "$PF/gen" -name '*.idx' | wc -l)" -ge 5 ]
	run pkfind -d "$PF/gen" -c ''
	assert_success
	assert_line 3000
	assert_line --partial "indexed, 0 scanned"
}

# ---- the table: (capture, expression), tcpdump is the oracle ----
@test "gen: host 10.0.0.1"                      { same gen 'host 10.0.0.1'; }
@test "gen: src host 10.0.0.2"                  { same gen 'src host 10.0.0.2'; }
@test "gen: dst host 192.168.1.3"               { same gen 'dst host 192.168.1.3'; }
@test "gen: host a or b (implicit qualifier)"   { same gen 'host 10.0.0.5 or 10.0.0.6'; }
@test "gen: src or dst host"                    { same gen 'src or dst host 10.0.0.7'; }
@test "gen: src and dst net"                    { same gen 'src and dst net 10.0.0.0/8'; }
@test "gen: net CIDR"                           { same gen 'net 192.168.1.0/28'; }
@test "gen: net mask"                           { same gen 'net 10.0.0.0 mask 255.255.255.240'; }
@test "gen: abbreviated net"                    { same gen 'dst net 192.168'; }
@test "gen: IPv6 host"                          { same gen 'host 2001:db8::3'; }
@test "gen: IPv6 net"                           { same gen 'src net 2001:db8::/120'; }
@test "gen: port 53"                            { same gen 'port 53'; }
@test "gen: tcp dst port 80"                    { same gen 'tcp dst port 80'; }
@test "gen: udp and src host"                   { same gen 'udp and src host 10.0.0.1'; }
@test "gen: ip6 and tcp port 22"                { same gen 'ip6 and tcp port 22'; }
@test "gen: port by name"                       { same gen 'port domain or https'; }
@test "gen: portrange"                          { same gen 'portrange 400-450'; }
@test "gen: tcp portrange high"                 { same gen 'tcp portrange 32768-65535'; }
@test "gen: src port or dst port"               { same gen 'src port 53 or dst port 443'; }
@test "gen: tcp"                                { same gen 'tcp'; }
@test "gen: udp"                                { same gen 'udp'; }
@test "gen: icmp"                               { same gen 'icmp'; }
@test "gen: icmp6"                              { same gen 'icmp6'; }
@test "gen: sctp"                               { same gen 'sctp'; }
@test "gen: arp"                                { same gen 'arp'; }
@test "gen: ip"                                 { same gen 'ip'; }
@test "gen: ip6"                                { same gen 'ip6'; }
@test "gen: ip proto 17"                        { same gen 'ip proto 17'; }
@test "gen: ip6 proto 0 (extension header)"     { same gen 'ip6 proto 0'; }
# ip6 proto reads the fixed header only (pcap-filter(7)): pkgen puts its
# fragment header behind a hop-by-hop header, so no packet matches
@test "gen: ip6 proto 44 behind hop-by-hop: empty" { same -e gen 'ip6 proto 44'; }
@test "gen: ether proto"                        { same gen 'ether proto 0x86dd'; }
@test "gen: ether proto 0x8100 (a tag)"         { same gen 'ether proto 0x8100'; }
@test "gen: ether host"                         { same gen 'ether host 02:00:00:00:00:01'; }
@test "gen: ether src and dst"                  { same gen 'ether src 02:00:00:00:00:02 and ether dst 02:00:00:00:00:03'; }
@test "gen: vlan 10"                            { same gen 'vlan 10'; }
@test "gen: bare vlan"                          { same gen 'vlan'; }
@test "gen: vlan and host (inner offsets)"      { same gen 'vlan and host 10.0.0.1'; }
@test "gen: vlan 100 and vlan 20 (QinQ)"        { same gen 'vlan 100 and vlan 20'; }
@test "gen: host without vlan skips tagged"     { same gen 'host 192.168.1.9 and tcp'; }
@test "gen: mpls"                               { same gen 'mpls'; }
@test "gen: mpls and udp"                       { same gen 'mpls and udp'; }
@test "gen: fragments (arithmetic: maybe)"      { same gen 'ip[6:2] & 0x1fff != 0'; }
@test "gen: tcp flags (arithmetic: maybe)"      { same gen 'tcp[tcpflags] & tcp-syn != 0'; }
@test "gen: not tcp"                            { same gen 'not tcp'; }
@test "gen: tcp and not port 80"                { same gen 'tcp and not port 80'; }
@test "gen: ! and && and ||"                    { same gen '!icmp && (arp || udp port 123)'; }
@test "gen: equal precedence, left to right"    { same gen 'udp or tcp and port 53'; }
@test "gen: host (a or b)"                      { same gen 'host (10.0.0.2 or 10.0.0.3)'; }
@test "gen: group keeps earlier qualifiers"     { same gen 'port 80 and (host 10.0.0.4) or 443'; }
@test "gen: greater / less"                     { same gen 'greater 1000 or less 60'; }
@test "gen: ether broadcast"                    { same gen 'ether broadcast'; }
@test "gen: empty result"                       { same -e gen 'host 172.16.99.99'; }
@test "gen: empty result from an AND"           { same -e gen 'icmp and host 10.0.0.1 and host 10.0.0.2'; }
@test "gen: not of an empty set is everything"  { same gen 'not host 172.16.99.99'; }
@test "gen: everything (no expression)"         { same gen ''; }
# numbers as libpcap's scanner reads them (issue 10 item 4): dotted octets and
# portrange bounds are decimal whatever their leading zeros; number tokens are C-like
@test "gen: host with a leading-zero octet"     { same gen 'host 10.0.0.010'; }
@test "gen: net with leading-zero octets"       { same gen 'net 010.0.0.0/24'; }
@test "gen: net with longer leading zeros"      { same gen 'net 0192.0168.001.0/24'; }
@test "gen: ip host 010.0.0.10"                 { same gen 'ip host 010.0.0.10 or ip host 10.0.0.0012'; }
@test "gen: portrange 0440-0450"                { same gen 'portrange 0440-0450'; }
@test "gen: tcp dst portrange 0010-0100"        { same gen 'tcp dst portrange 0010-0100'; }
@test "gen: port 0675 (octal 445)"              { same gen 'port 0675'; }
@test "gen: port 0x35 (hex 53)"                 { same gen 'port 0x35'; }
@test "gen: vlan 012 (octal 10)"                { same gen 'vlan 012'; }
@test "gen: ip proto 021 (octal 17)"            { same gen 'ip proto 021'; }
@test "gen: net 012 (octal 10, a lone number)"  { same gen 'net 012'; }
@test "gen: prefix length 030 (octal 24)"       { same gen 'net 192.168.1.0/030'; }
@test "mpls: mpls 100 (the outermost label)"    { same mpls 'mpls 100'; }
@test "mpls: mpls 100 and mpls 200 (the next)"  { same mpls 'mpls 100 and mpls 200'; }
@test "mpls: three labels"                      { same mpls 'mpls 300 and mpls 200 and mpls 100'; }
@test "mpls: bare mpls"                         { same mpls 'mpls'; }
@test "mpls: mpls and host (below one label)"   { same mpls 'mpls and host 10.0.0.1'; }
@test "mpls: two mpls and host (below two)"     { same mpls 'mpls and mpls and host 10.0.0.1'; }
@test "mpls: host alone"                        { same mpls 'host 10.0.0.1'; }
@test "mpls: mpls and udp port 53"              { same mpls 'mpls and udp port 53'; }
@test "mpls: mpls and mpls and udp port 53"     { same mpls 'mpls and mpls and udp port 53'; }
@test "mpls: not mpls"                          { same mpls 'not mpls'; }
@test "mpls: not mpls 100"                      { same mpls 'not mpls 100'; }
@test "mpls: mpls and ip (version nibble)"      { same mpls 'mpls and ip'; }
@test "mpls: mpls and ip6 and tcp"              { same mpls 'mpls and ip6 and tcp'; }
@test "mpls: vlan and mpls 200 (under a tag)"   { same mpls 'vlan and mpls 200'; }
@test "mpls: mpls or host (shifted host)"       { same mpls 'mpls 300 or host 10.0.0.2'; }
@test "mpls: mpls 100 and (host or port)"       { same mpls 'mpls 100 and (host 10.0.0.3 or port 53)'; }
@test "mpls: mpls 0x64 and mpls 0310 (hex, octal)" { same mpls 'mpls 0x64 and mpls 0310'; }
@test "mpls: host alone never answers MPLS packets" {
	run pf_answer "$PF/mpls" 'host 10.0.0.1'
	refute_output --partial MPLS
	run pf_answer "$PF/mpls" 'mpls and host 10.0.0.1'
	assert_output --partial MPLS
}
@test "mpls: -x candidates are a superset, and the index narrows" {
	local e all
	for e in 'mpls 100' 'mpls 100 and mpls 200' 'mpls and host 10.0.0.1' 'host 10.0.0.1' \
	    'mpls and udp port 53' 'not mpls' 'vlan and mpls 200' 'mpls and mpls and mpls 300'; do
		run superset mpls "$e"
		[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	done
	all=$(pkfind -q -c -d "$PF/mpls" '')
	[ "$(pkfind -q -c -x -d "$PF/mpls" 'mpls 100')" -lt "$all" ]
	[ "$(pkfind -q -c -x -d "$PF/mpls" 'mpls and host 10.0.0.1')" -lt "$(pkfind -q -c -x -d "$PF/mpls" 'mpls')" ]
}
@test "mpls: an index older than the mpls field is not trusted to say no MPLS packet" {
	local d=$BATS_TEST_TMPDIR/old i all
	# version 2 indexes, as a pkindex before the field wrote them: built, then
	# their mpls keys and fields word taken away (idxold); no catalogs, which
	# pkindex --repair would rebuild with the indexes (as version 3, with the field)
	PK_INDEX_VERSION=2 pf_archive "$d" 300 "$PF/mpls.pcap" 2>/dev/null
	rm -rf "$d/.catalog"
	for i in $(find "$d" -name '*.pcap.idx'); do
		run "$PK_TOOLS/idxold" "$i"
		assert_success
		[ "$output" -gt 0 ]          # it had MPLS keys to lose
	done
	all=$(pkfind -q -c -d "$d" '')
	run pkfind -c -d "$d" 'mpls 100'
	refute_output --partial 'damaged'
	# every packet is a candidate for mpls, the other fields still narrow; answers stay exact
	assert_equal "$(pkfind -q -c -x -d "$d" 'mpls 100')" "$all"
	[ "$(pkfind -q -c -x -d "$d" 'mpls and host 10.0.0.1')" -lt "$all" ]
	run pf_same "$d" 'mpls 100 and mpls 200'
	assert_success
	run pf_same "$d" 'mpls and host 10.0.0.1'
	assert_success
}
@test "mpls: pkfind -E, judged as conjuncts only" {
	run pkfind -E 'mpls 100 and ip and host 10.0.0.1'
	assert_output "(and (and {mpls=000064} maybe) {ip4_src=0a000001 ip4_dst=0a000001}) [mpls: keys below the labels judged]"
	run pkfind -E 'mpls 100 or host 10.0.0.1'
	assert_output --partial "[mpls/pppoe/tunnel: nothing judged]"
	run pkfind -E 'not mpls'
	assert_output --partial "[mpls/pppoe/tunnel: nothing judged]"
}
# Crafted: (1) plain IPv4 whose bytes, read four further on as BPF does after
# an "mpls", look like an IPv4 header to 10.9.9.9 (its TCP ports 0a09 0909);
# (2) five labels, more than the index keeps (100 x4, then 500); (3) one label 200
# over IPv4 with a real MPLS packet for comparison.
crafted_mpls() {
	local eth=020000000002020000000001
	[ -d "$PF/cm" ] && return 0
	hexpcap "$PF/cm.pcap" \
	    "${eth}08004500012f4000000040060000""0a0000010a000002""0a09090900000001000000005002020000000000" \
	    "${eth}8847""00064040000640400006404000064040001f4140""4500001c00010000401100000a0000010a000002""0035003500080000" \
	    "${eth}8847""000c8140""4500001c00010000401100000a0000010a000002""0035003500080000"
	pf_archive "$PF/cm" 10 "$PF/cm.pcap" 2>>"$PF/gen.log"
}
@test "mpls: or with an mpls shifts the host test into plain packets" {
	crafted_mpls
	# tcpdump matches packet 1 by its shifted bytes; no key says 10.9.9.9
	same cm 'mpls 300 or host 10.9.9.9'
	same -e cm 'host 10.9.9.9'
}
@test "mpls: a stack deeper than the index keeps is unsure" {
	crafted_mpls
	same cm 'mpls and mpls and mpls and mpls and mpls 500'
	same cm 'mpls 200 and host 10.0.0.2'
}
@test "shared: arkime mpls-basic, mpls 29"          { shared ark odd/encapsulation/arkime__mpls-basic.pcap 20; same ark 'mpls 29'; }
@test "shared: arkime mpls-basic, mpls and host"    { shared ark odd/encapsulation/arkime__mpls-basic.pcap 20; same ark 'mpls and host 10.1.2.1'; }
@test "shared: arkime mpls-basic, host alone"       { shared ark odd/encapsulation/arkime__mpls-basic.pcap 20; same ark 'host 10.1.2.1'; }
@test "shared: arkime mpls-basic, mpls and tcp port 23" { shared ark odd/encapsulation/arkime__mpls-basic.pcap 20; same ark 'mpls and tcp port 23'; }
@test "shared: arkime mpls-basic, not mpls"         { shared ark odd/encapsulation/arkime__mpls-basic.pcap 20; same ark 'not mpls'; }
@test "shared: arkime mpls-basic, -x superset"      {
	shared ark odd/encapsulation/arkime__mpls-basic.pcap 20
	run superset ark 'mpls 29 and host 10.1.2.1'
	assert_success
	[ "$(pkfind -q -c -x -d "$PF/ark" 'mpls 29')" -lt "$(pkfind -q -c -d "$PF/ark" '')" ]
}
@test "shared: zeek mpls-in-vlan, vlan and mpls"   { shared zmv odd/encapsulation/zeek__mpls-in-vlan.pcap 2; same zmv 'vlan and mpls'; }
@test "sll: host"                               { same sll 'host 10.0.0.1'; }
@test "sll: port 53"                            { same sll 'port 53'; }
@test "sll: ip6 and udp"                        { same sll 'ip6 and udp'; }
@test "sll: arp"                                { same sll 'arp'; }
@test "sll: not ip"                             { same sll 'not ip'; }
@test "sll2: tcp port 22"                       { same sll2 'tcp port 22'; }
@test "sll2: net"                               { same sll2 'net 192.168.1.0/24'; }
@test "be: big-endian pcap, host"               { same be 'host 10.0.0.3'; }
@test "be: big-endian pcap, udp port 123"       { same be 'udp port 123'; }
@test "raw: host (count)"                       { count raw 'host 10.0.0.1'; }
@test "raw: port 53 (count)"                    { count raw 'port 53'; }
@test "raw: icmp6 (count)"                      { count raw 'icmp6'; }
@test "raw: ip6 and tcp (count)"                { count raw 'ip6 and tcp'; }
# BSD loopback: libpcap compiles savefile code (BSD address families) as tcpdump -r does
@test "null: ip6 (count)"                       { count null 'ip6'; }
@test "null: icmp6 or udp port 53 (count)"      { count null 'icmp6 or udp port 53'; }
@test "null: ip and host (count)"               { count null 'ip and host 10.0.0.1'; }

@test "short snaplen: headers cut short are still found" {
	# BPF matches the bytes that were captured (an IPv6 source address in a
	# 50-byte packet) that the decoder could not keep: the index lists such
	# packets as unsure and every search keeps them as candidates
	"$PK_TOOLS/pkgen" -n 600 -S 50 "$BATS_TEST_TMPDIR/short.pcap"
	pf_archive "$BATS_TEST_TMPDIR/short" 200 "$BATS_TEST_TMPDIR/short.pcap" 2>/dev/null
	run pf_same "$BATS_TEST_TMPDIR/short" 'icmp6 or tcp or ip6 host 2001:db8::1'
	assert_success
	"$PK_TOOLS/pkgen" -n 600 -S 38 "$BATS_TEST_TMPDIR/short38.pcap"
	pf_archive "$BATS_TEST_TMPDIR/short38" 200 "$BATS_TEST_TMPDIR/short38.pcap" 2>/dev/null
	run pf_same "$BATS_TEST_TMPDIR/short38" 'arp and host 10.0.0.1'
	assert_success
	run pf_same "$BATS_TEST_TMPDIR/short38" 'host 10.0.0.3 or port 53'
	assert_success
}

# real captures (skipped without ../shared)
@test "real DNS: udp port 53"                   { shared dns real/mixed/Malcolm-Test-Artifacts__DNS.pcap; same dns 'udp port 53'; }
@test "real DNS: net and not port"              { shared dns real/mixed/Malcolm-Test-Artifacts__DNS.pcap; same dns 'host 192.168.0.114 and not port 53'; }
@test "real DNS: tcp syn"                       { shared dns real/mixed/Malcolm-Test-Artifacts__DNS.pcap; same dns 'tcp[tcpflags] & tcp-syn != 0 and net 192.168.0.0/16'; }
@test "real example: portrange"                 { shared ex real/mixed/PcapPlusPlus__example.pcap; same ex 'portrange 1-1024'; }
@test "real example: src net and dst port"      { shared ex real/mixed/PcapPlusPlus__example.pcap; same ex 'src net 10 and dst port 443'; }
@test "real example: ip6 in an IPv4 capture: empty" { shared ex real/mixed/PcapPlusPlus__example.pcap; same -e ex 'ip6'; }
@test "real example: udp port 53 or icmp"       { shared ex real/mixed/PcapPlusPlus__example.pcap; same ex 'udp port 53 or icmp'; }
@test "real SSL: tcp port 443 and not host"     { shared ssl real/mixed/Malcolm-Test-Artifacts__SSL.pcap; same ssl 'tcp port 443 and not host 192.168.0.1'; }
@test "real SLL: host"                          { shared rsll real/linktypes/PcapPlusPlus__sll.pcap 100; same rsll 'host 10.0.0.138'; }
@test "real SLL: vlan is invalid there: empty"  { shared rsll real/linktypes/PcapPlusPlus__sll.pcap 100; same -e rsll 'vlan'; }
@test "real VLAN: vlan"                         { shared rvlan odd/encapsulation/PcapPlusPlus__VlanPackets.pcap 50; same rvlan 'vlan'; }
@test "real VLAN: vlan and vlan and icmp (QinQ)" { shared rvlan odd/encapsulation/PcapPlusPlus__VlanPackets.pcap 50; same rvlan 'vlan and vlan and icmp'; }
@test "real VLAN: icmp sees no tagged one: empty" { shared rvlan odd/encapsulation/PcapPlusPlus__VlanPackets.pcap 50; same -e rvlan 'icmp'; }
@test "real fragments: udp"                     { shared rfrag odd/encapsulation/PcapPlusPlus__ip4_fragments.pcap 20; same rfrag 'udp'; }
@test "real fragments: port (first fragments)"  { shared rfrag odd/encapsulation/PcapPlusPlus__ip4_fragments.pcap 20; same rfrag 'port 2049'; }
@test "real fragments: not port (later ones)"   { shared rfrag odd/encapsulation/PcapPlusPlus__ip4_fragments.pcap 20; same rfrag 'udp and not port 2049'; }
@test "real two VLANs: vlan and vlan"           { shared r2vlan odd/encapsulation/arkime__twovlan.pcap 3; same r2vlan 'vlan and vlan'; }
@test "real vlan+mpls: mpls"                    { shared rmpls odd/encapsulation/zeek__mixed-vlan-mpls.pcap 20; same rmpls 'mpls'; }
@test "real vlan+mpls: vlan and ip"             { shared rmpls odd/encapsulation/zeek__mixed-vlan-mpls.pcap 20; same rmpls 'vlan and ip'; }
@test "real IPv6 ext headers: no transport: empty" { shared rext odd/encapsulation/libpcap__ipv6_ext_headers.pcap 1; same -e rext 'tcp or udp or icmp6'; }
@test "real IPv6 ext headers: ip6 proto 0"      { shared rext odd/encapsulation/libpcap__ipv6_ext_headers.pcap 1; same rext 'ip6 proto 0'; }

# ---- time windows ----
# nth packet's time in ns (1-based), over the whole archive in time order
nth_ns() {
	for f in $(pf_files "$PF/gen"); do tcpdump -r "$f" -tt --nano -nn 2>/dev/null; done |
		sed -n "${1}p" | awk '{ split($1, a, "."); printf "%s%s\n", a[1], a[2] }'
}
at() { printf '@%s.%s' "${1%?????????}" "${1: -9}"; }

@test "window: START is inclusive, END exclusive, to the nanosecond" {
	local t100 t200
	t100=$(nth_ns 100)
	t200=$(nth_ns 200)
	run pkfind -q -c -d "$PF/gen" -s "$(at "$t100")" -e "$(at "$t200")" ''
	assert_success
	assert_output 100
	run pkfind -q -c -d "$PF/gen" -s "$(at "$((t100 + 1))")" -e "$(at "$((t200 + 1))")" ''
	assert_output 100
	run pkfind -q -c -d "$PF/gen" -s "$(at "$t100")" -e "$(at "$((t100 + 1))")" ''
	assert_output 1
}

@test "window: across file boundaries with an expression, through pkslice" {
	local s e want got
	s=$(nth_ns 400)
	e=$(nth_ns 1700)
	want=$(for f in $(pf_files "$PF/gen"); do tcpdump -r "$f" -S -nn -tt --nano -xx 'udp' 2>/dev/null; done |
		pf_pktlines | awk -v s="$s" -v e="$e" '{ split($1, a, "."); t = a[1] a[2]; if (t >= s && t < e) print }')
	got=$(pf_answer "$PF/gen" udp -s "$(at "$s")" -e "$(at "$e")")
	[ -n "$want" ]
	[ "$want" = "$got" ]
}

@test "window: -D DURATION and +END are relative to START" {
	local s
	s=$(nth_ns 1)
	run pkfind -q -c -d "$PF/gen" -s "$(at "$s")" -D 500ms ''
	a=$output
	run pkfind -q -c -d "$PF/gen" -s "$(at "$s")" -e +0.5s ''
	[ "$output" = "$a" ]
	[ "$a" -gt 400 ] && [ "$a" -lt 600 ]
}

@test "window: RFC 3339 forms name the same instant" {
	# pkgen starts at 1700000000 = 2023-11-14T22:13:20Z
	run pkfind -q -c -d "$PF/gen" -s 2023-11-14T22:13:21Z -e '2023-11-14 22:13:22' ''
	a=$output
	run pkfind -q -c -d "$PF/gen" -s 2023-11-14T23:13:21+01:00 -e @1700000002 ''
	[ "$output" = "$a" ]
	run pkfind -q -c -d "$PF/gen" -s 1700000001 -e 2023-11-14T22:13:22.000000000Z ''
	[ "$output" = "$a" ]
	[ "$a" -gt 900 ]
}

@test "window: relative to now" {
	run pkfind -q -c -d "$PF/gen" -s -3000d -e now ''
	assert_output 3000
	run pkfind -q -c -d "$PF/gen" -s -1h ''
	assert_output 0
}

@test "window: outside the archive finds nothing and opens no index" {
	run pkfind -c -d "$PF/gen" -s 2030-01-01 'host 10.0.0.1'
	assert_success
	assert_line 0
	assert_line --partial "0 files (0 from catalogs, 0 indexed, 0 scanned)"
}

# ---- the file being written, damaged indexes ----
teardown() {
	[ -z "${LIVE_PID:-}" ] || kill -- "-$LIVE_PID" 2>/dev/null || true
}

@test "a .pcap.part being written is scanned up to its last whole record" {
	local a=$BATS_TEST_TMPDIR/part day part want
	pf_archive "$a" 1000 "$PF/gen.pcap" 2>/dev/null
	day=$(ls "$a" | grep '^20' | head -1)
	# a capture in progress after the archive (100 s later), its last record cut short
	"$PK_TOOLS/pkgen" -n 300 -t 1700000100 "$BATS_TEST_TMPDIR/late.pcap"
	part=$a/$day/20231114T221500.000000000Z.pcap.part
	head -c -7 "$BATS_TEST_TMPDIR/late.pcap" >"$part"
	want=$(tcpdump -r "$part" -nn 'host 10.0.0.1' 2>/dev/null | wc -l)
	[ "$want" -gt 0 ]
	run pkfind -d "$a" -c -s @1700000100 'host 10.0.0.1'
	assert_success
	assert_line "$want"
	assert_line --partial "(0 from catalogs, 0 indexed, 1 scanned)"
	refute_output --partial "partial"
	run pf_same "$a" 'host 10.0.0.1 or port 53'
	assert_success
}

@test "during a live capture, packets in the .pcap.part are found" {
	local a=$BATS_TEST_TMPDIR/live want n i part
	mkdir -p "$a"
	want=$(tcpdump -r "$PF/gen.pcap" -nn 'host 10.0.0.1' 2>/dev/null | wc -l)
	# pkrotate keeps the file open while its input stays open (the sleep)
	setsid bash -c "{ pkread -r '$PF/gen.pcap'; sleep 60; } | pkrotate -d '$a' >/dev/null 2>&1" 3>&- &
	LIVE_PID=$!
	for i in $(seq 1 100); do
		n=$(pkfind -q -c -d "$a" 'host 10.0.0.1' 2>/dev/null)
		[ "$n" = "$want" ] && break
		sleep 0.1
	done
	run pkfind -c -d "$a" 'host 10.0.0.1'
	part=$(find "$a" -name '*.pcap.part')
	kill -- "-$LIVE_PID" 2>/dev/null || true
	[ -n "$part" ]
	assert_line "$want"
	assert_line --partial "1 file (0 from catalogs, 0 indexed, 1 scanned)"
}

@test "an empty archive: nothing found, exit 0" {
	mkdir -p "$BATS_TEST_TMPDIR/empty"
	run pkfind -c -d "$BATS_TEST_TMPDIR/empty" 'tcp'
	assert_success
	assert_line 0
	assert_line --partial "searched an empty archive: 0 files"
	run bash -c "pkfind -q -d '$BATS_TEST_TMPDIR/empty' tcp | pkslice | tcpdump -r - 2>/dev/null | wc -l"
	assert_output 0
}

@test "a corrupt index: said once, the pcap is scanned, the answer is exact" {
	local a=$BATS_TEST_TMPDIR/bad idx
	pf_archive "$a" 1000 "$PF/gen.pcap" 2>/dev/null
	idx=$(find "$a" -name '*.idx' | sort | head -1)
	printf 'garbage, not a Berkeley DB file at all' >"$idx"
	run pkfind -q -c -d "$a" 'port 53'
	assert_success
	assert_line --partial "index unusable"
	[ "$(printf '%s\n' "$output" | grep -c 'index unusable')" -eq 1 ]
	run pf_same "$a" 'port 53'
	assert_success
}

# flip FILE POS: change one byte of FILE at POS (its bits inverted)
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((255 - b)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# flatpos IDX KIND N: file position and length of flat block N (table or flows) of a version 3 index
flatpos() {
	"$PK_TOOLS/idxflat" "$1" | awk -v k="$2" -v n="$3" '$1 == k && $2 == n { print $3, $4 }'
}

@test "index v3: damaged flat blocks never hide a packet, and the coverage line counts them" {
	local a=$BATS_TEST_TMPDIR/v3bad i pos len opos olen start
	[ -x "$PK_TOOLS/idxflat" ] || fail "idxflat not built (make)"
	pf_archive "$a" 500 "$PF/gen.pcap" 2>/dev/null
	mapfile -t i < <(find "$a" -name '*.idx' | LC_ALL=C sort)
	[ "${#i[@]}" -ge 6 ]
	run pkindex --dump "${i[0]}"
	assert_line "version 3"
	# a flipped byte in a packet-table block
	read -r pos len < <(flatpos "${i[0]}" table 1)
	flip "${i[0]}" $((pos + len / 2))
	# a flipped byte in a flow-list block
	read -r pos len < <(flatpos "${i[1]}" flows 0)
	flip "${i[1]}" $((pos + len - 1))
	# the file cut inside the section (at a whole page: only the section's length tells)
	read -r start len < <("$PK_TOOLS/idxflat" "${i[2]}" | awk '$1 == "section" { print $2, $3 }')
	[ "$len" -gt 1024 ]
	truncate -s $((start + 1024)) "${i[2]}"
	# a block copied from another index, in place of this one's
	read -r pos len < <(flatpos "${i[3]}" table 0)
	read -r opos olen < <(flatpos "${i[4]}" table 0)
	[ "$olen" -ge "$len" ] || len=$olen
	dd if="${i[4]}" of="${i[3]}" bs=1 skip="$opos" seek="$pos" count="$len" conv=notrunc status=none
	run pkindex --dump "${i[3]}"
	assert_failure
	for e in 'udp' 'port 53' 'tcp or icmp' ''; do
		run pf_same "$a" "$e"
		assert_success
	done
	run pkfind -c -d "$a" 'udp'
	assert_success
	assert_line --partial "2 indexed, 4 scanned, 4 damaged indexes)"
	[ "$(printf '%s\n' "$output" | grep -c 'index unusable')" -eq 4 ]
	assert_output --partial "check (CRC-32C) failed"
	assert_output --partial "flat section cut short"
	# the time window reads the table's directory and blocks: the same answer, the same count
	run pkfind -c -d "$a" -s @1700000001.2 -e @1700000002.5 'tcp'
	assert_success
	assert_line "$(tcpdump -r "$PF/gen.pcap" -tt -nn 'tcp' 2>/dev/null |
	    awk '$1 >= 1700000001.2 && $1 < 1700000002.5' | wc -l)"
	assert_line --partial "damaged ind"
	# --repair rebuilds the four, and then nothing is scanned
	run pkindex --repair -d "$a"
	assert_output --partial "rebuilt 4, failed 0"
	run pkfind -c -d "$a" 'udp'
	assert_line --partial ", 0 scanned)"
	run pf_same "$a" 'udp'
	assert_success
}

@test "index v2: an archive indexed before is answered exactly, before and after --repair rebuilds it" {
	local a=$BATS_TEST_TMPDIR/v2 f e
	PK_INDEX_VERSION=2 pf_archive "$a" 500 "$PF/gen.pcap" 2>/dev/null
	f=$(find "$a" -name '*.idx' | LC_ALL=C sort | head -1)
	run pkindex --dump "$f"
	assert_line "version 2"
	for e in 'udp' 'host 10.0.0.1' 'port 53' 'vlan 10' 'not tcp'; do
		run pf_same "$a" "$e"
		assert_success
	done
	run pkfind -c -d "$a" -s @1700000001.2 -e @1700000002.5 'udp'
	assert_success
	assert_line "$(tcpdump -r "$PF/gen.pcap" -tt -nn 'udp' 2>/dev/null |
	    awk '$1 >= 1700000001.2 && $1 < 1700000002.5' | wc -l)"
	assert_line --partial ", 0 scanned)"
	run pkindex --repair -d "$a"
	assert_success
	assert_output --partial "of an older index version rebuilt as version 3"
	assert_output --partial "index version 2: rebuilt as version 3"
	run pkindex --dump "$f"
	assert_line "version 3"
	for e in 'udp' 'host 10.0.0.1' 'port 53' 'vlan 10' 'not tcp'; do
		run pf_same "$a" "$e"
		assert_success
	done
	# and once rebuilt, nothing more to do
	run pkindex --repair -d "$a"
	refute_output --partial "older index version"
}

@test "an index that does not match its pcap is not trusted" {
	local a=$BATS_TEST_TMPDIR/stale f
	pf_archive "$a" 1000 "$PF/gen.pcap" 2>/dev/null
	f=$(pf_files "$a" | head -1)
	chmod u+w "$f"
	truncate -s -100 "$f"
	run pkfind -q -c -d "$a" 'udp'
	assert_success
	assert_line --partial "does not match"
	run pf_same "$a" 'udp'
	assert_success
}

@test "files without an index (pcaps indexed in place or not yet) are scanned" {
	local a=$BATS_TEST_TMPDIR/noidx
	pf_archive "$a" 1000 "$PF/gen.pcap" 2>/dev/null
	find "$a" -name '*.idx' | sort | head -2 | xargs rm -f
	run pkfind -c -d "$a" 'tcp port 22'
	assert_success
	assert_line --partial "(0 from catalogs, 1 indexed, 2 scanned)"
	run pf_same "$a" 'tcp port 22'
	assert_success
}

# ---- coverage ----
@test "coverage: a deliberate gap and capture drops in the window" {
	local a=$BATS_TEST_TMPDIR/cov
	"$PK_TOOLS/pkgen" -n 100 -t 1800000000 -i 100000 "$BATS_TEST_TMPDIR/c1.pcap"
	"$PK_TOOLS/pkgen" -n 100 -t 1800000600 -i 100000 "$BATS_TEST_TMPDIR/c2.pcap"
	pf_archive "$a" 1000 "$BATS_TEST_TMPDIR/c1.pcap" "$BATS_TEST_TMPDIR/c2.pcap" 2>/dev/null
	# a run: 5 drops before the window, 7 in it; a new run (start record): 4 in it; another, after it
	cat >"$a/pk-stats.log" <<-EOF
	1799999000000000000 100 5 0 0 eth0
	1800000005000000000 200 10 2 0 eth0
	1800000400000000000 300 10 2 1 eth0
	1800000500000000000 0 0 0 2 eth0
	1800000700000000000 50 4 0 0 eth0
	1800009000000000000 10 1 0 1 eth0
	EOF
	run pkfind -c -d "$a" -s 2027-01-15T08:00:00Z -e 2027-01-15T08:20:00Z ''
	assert_success
	assert_line 200
	# 08:00:10..08:10:00 and 08:10:10..08:20:00 have no file; located, to the second
	assert_line --partial "searched 2027-01-15T08:00:00Z..2027-01-15T08:20:00Z: 2 files (0 from catalogs, 2 indexed, 0 scanned), 2 gaps"
	assert_line --partial "2 gaps (19 min 40 s; first 2027-01-15T08:00:09Z..2027-01-15T08:10:00Z, last 2027-01-15T08:10:09Z..2027-01-15T08:20:00Z), 11 drops; 200 packets"
	run pkfind -c -q -d "$a" ''
	refute_output --partial "searched"
	# the second file outside every capture run: its drops are not known
	sed -i '/ 0 0 0 2 eth0$/d' "$a/pk-stats.log"
	run pkfind -c -d "$a" -s 2027-01-15T08:00:00Z -e 2027-01-15T08:20:00Z ''
	assert_line --partial "), 11 drops (unknown for 9 s of packets); 200 packets"
}

@test "coverage: -v lists every gap; one gap is located; no gap says 0 gaps" {
	local a=$BATS_TEST_TMPDIR/gaps t
	for t in 1800000000 1800000300 1800000600 1800000900; do
		"$PK_TOOLS/pkgen" -n 10 -t "$t" -i 100000 "$BATS_TEST_TMPDIR/g$t.pcap"
	done
	pf_archive "$a" 1000 "$BATS_TEST_TMPDIR"/g18*.pcap 2>/dev/null
	run pkfind -c -d "$a" ''
	assert_line --partial "3 gaps (14 min 57 s; first 2027-01-15T08:00:00Z..2027-01-15T08:05:00Z, last 2027-01-15T08:10:00Z..2027-01-15T08:15:00Z)"
	run pkfind -c -v -d "$a" ''
	assert_line --partial "3 gaps (14 min 57 s: 2027-01-15T08:00:00Z..2027-01-15T08:05:00Z, 2027-01-15T08:05:00Z..2027-01-15T08:10:00Z, 2027-01-15T08:10:00Z..2027-01-15T08:15:00Z)"
	# a hole at the window's end counts, one under -g (60 s) does not
	run pkfind -c -d "$a" -s 2027-01-15T08:00:00Z -e 2027-01-15T08:07:00Z ''
	assert_line --partial "2 gaps"
	run pkfind -c -d "$a" -s 2027-01-15T08:03:00Z -e 2027-01-15T08:06:00Z ''
	assert_line --partial "1 gap (2 min: 2027-01-15T08:03:00Z..2027-01-15T08:05:00Z)"
	run pkfind -c -g 600 -d "$a" ''
	assert_line --partial " 0 gaps, "
}

@test "coverage: imported pcaps have unknown drops; a capture with a start record has known ones" {
	local a=$BATS_TEST_TMPDIR/imp now
	# imported, no statistics at all: never "0 drops"
	pf_archive "$a" 1000 "$PF/gen.pcap" 2>/dev/null
	run pkfind -c -d "$a" ''
	assert_line --partial ", drops unknown; 3000 packets"
	refute_output --partial "0 drops"
	# in place, likewise
	mkdir -p "$BATS_TEST_TMPDIR/inplace"
	cp "$PF/gen.pcap" "$BATS_TEST_TMPDIR/inplace/x.pcap"
	pkindex -d "$BATS_TEST_TMPDIR/inplace" "$BATS_TEST_TMPDIR/inplace/x.pcap"
	run pkfind -c -d "$BATS_TEST_TMPDIR/inplace" 'tcp'
	assert_line --partial "drops unknown"
	# a capture that ran over the whole time (start to final): 0 drops, known
	first=$(tcpdump -r "$PF/gen.pcap" -tt --nano -c 1 2>/dev/null | cut -d' ' -f1 | tr -d .)
	printf '%s 0 0 0 2 eth0\n%s 3000 0 0 1 eth0\n' $((first - 1000000000)) $((first + 100000000000)) \
	    >"$a/pk-stats.log"
	run pkfind -c -d "$a" ''
	assert_line --partial ", 0 drops; 3000 packets"
	# the window ends in the future: said, and the time after now is no gap
	run pkfind -c -d "$a" -s "@$((first / 1000000000))" -e now+1h ''
	assert_failure 64
	now=$(date +%s)
	run pkfind -c -d "$a" -s "@$((first / 1000000000))" -e "@$((now + 3600))" ''
	assert_success
	assert_line --partial "(in the future from "
	# a window wholly in the future: said, without gaps or drops
	run pkfind -c -d "$a" -s "@$((now + 86400))" -D 1h ''
	assert_line --partial ", a window in the future: 0 files (0 from catalogs, 0 indexed, 0 scanned); 0 packets"
}

@test "a file whose packets are mostly candidates goes to pkslice as one range, not one location each" {
	local n
	# 'ip or ip6 or arp' is nearly every packet; 'host 10.0.0.1' a few
	n=$(pkfind -q -d "$PF/gen" 'ip or ip6 or arp' | pkslice -o stream | pkextract -T csv -f pk.offset | wc -l)
	[ "$n" -gt 100 ]
	run bash -c "pkfind -q -d '$PF/gen' 'ip or ip6 or arp' | od -A n -t u2 -w8 -v | awk '\$4 == 27504 && \$3 == 11 { r++ } \$4 == 27504 && \$3 == 7 { l++ } END { print r + 0, l + 0 }'"
	[ "${lines[0]%% *}" -ge 1 ] && [ "${lines[0]##* }" -eq 0 ]
	same gen 'ip or ip6 or arp'
	same gen 'not host 10.0.0.1'
}

@test "coverage goes into the stream too, after the filter record" {
	run bash -c "pkfind -q -d '$PF/gen' 'host 10.0.0.1' | strings"
	assert_success
	[ "$(printf '%s\n' "$output" | grep -c 'searched .*: 6 files ([0-9]* from catalogs, [0-9]* indexed, 0 scanned)')" -eq 1 ]
	[ "$(printf '%s\n' "$output" | grep -n 'host 10.0.0.1' | cut -d: -f1)" -lt \
	  "$(printf '%s\n' "$output" | grep -n 'searched' | cut -d: -f1)" ]
}

# ---- output modes ----
@test "-c counts exactly (BPF over the index's candidates)" {
	run pkfind -q -c -d "$PF/gen" 'vlan and host 10.0.0.1'
	assert_success
	assert_output "$(tcpdump -r "$PF/gen.pcap" -nn 'vlan and host 10.0.0.1' 2>/dev/null | wc -l)"
}

@test "-x: the index's own answer looks inside VLAN tags where BPF does not" {
	local exact loose
	exact=$(pkfind -q -c -d "$PF/gen" 'host 10.0.0.1')
	loose=$(pkfind -q -c -x -d "$PF/gen" 'host 10.0.0.1')
	[ "$loose" -gt "$exact" ]
	# and pkslice does not filter it: the stream has no filter to apply
	[ "$(pkfind -q -x -d "$PF/gen" 'host 10.0.0.1' | pkslice | tcpdump -r - 2>/dev/null | wc -l)" -eq "$loose" ]
}

@test "-l lists the files with matches, in time order" {
	run pkfind -q -l -d "$PF/gen" 'host 10.0.0.1'
	assert_success
	[ "${#lines[@]}" -ge 5 ]
	[ "$(printf '%s\n' "${lines[@]}" | LC_ALL=C sort)" = "$output" ]
	run pkfind -q -l -d "$PF/gen" 'host 172.16.99.99'
	assert_output ""
}

@test "-T text: time with ns, file, offset, summary" {
	run pkfind -q -T text -n 3 -d "$PF/gen" 'tcp port 22'
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" =~ ^2023-11-14T22:13:20\.[0-9]{9}Z\ /.*\.pcap\ [0-9]+\ .*22 ]]
	# the offset is the record header: its seconds field is the line's time
	set -- ${lines[0]}
	sec=$(od -An -t u4 -j "$3" -N 4 "$2" | tr -d ' ')
	[ "$(date -u -d "@$sec" +%Y-%m-%dT%H:%M:%S)" = "${1%.*}" ]
}

@test "-n limits and -r takes the newest first" {
	local all first last
	all=$(pkfind -q -T text -d "$PF/gen" 'udp port 53' | awk '{ print $1 }')
	first=$(pkfind -q -T text -n 2 -d "$PF/gen" 'udp port 53' | awk '{ print $1 }')
	last=$(pkfind -q -T text -n 2 -r -d "$PF/gen" 'udp port 53' | awk '{ print $1 }')
	[ "$first" = "$(printf '%s\n' "$all" | head -2)" ]
	[ "$last" = "$(printf '%s\n' "$all" | tail -2 | tac)" ]
	[ "$(pkfind -q -n 7 -d "$PF/gen" 'udp port 53' | pkslice | tcpdump -r - 2>/dev/null | wc -l)" -eq 7 ]
}

@test "several -d roots: one answer, each root noted for pkslice" {
	run bash -c "pkfind -q -c -d '$PF/gen' -d '$PF/be' 'port 53'"
	assert_output "$(( $(pkfind -q -c -d "$PF/gen" 'port 53') + $(pkfind -q -c -d "$PF/be" 'port 53') ))"
}

@test "-E shows what the index judges" {
	run pkfind -E 'host 10.0.0.1 or 10.0.0.2 and tcp[13] & 2 != 0'
	assert_success
	assert_output "(and (or {ip4_src=0a000001 ip4_dst=0a000001} {ip4_src=0a000002 ip4_dst=0a000002}) maybe)"
	run pkfind -E 'vlan 10 and port 80'
	assert_output --partial "{vlan=000a}"
	assert_output --partial "only vlan keys judged"
}

# ---- bad input ----
@test "an expression libpcap rejects: its message, exit 65" {
	run pkfind -d "$PF/gen" 'host 10.0.0.1 and porrt 80'
	assert_failure 65
	assert_output --partial "bad expression"
	[ "${#lines[@]}" -eq 1 ]
}

@test "an unreadable directory: exit 66" {
	run pkfind -d /nonexistent/archive 'tcp'
	assert_failure 66
	[ "${#lines[@]}" -eq 1 ]
}

@test "a time that does not parse: exit 64" {
	run pkfind -d "$PF/gen" -s 2026-13-01 'tcp'
	assert_failure 64
	assert_output --partial "bad time"
	run pkfind -d "$PF/gen" -e yesterday 'tcp'
	assert_failure 64
	run pkfind -d "$PF/gen" -s @1700000002 -e @1700000001 'tcp'
	assert_failure 64
	run pkfind -d "$PF/gen" -e +1m -D 1m 'tcp'
	assert_failure 64
}

@test "refuses to write the stream to a terminal" {
	need_cmd script
	run script -qc "pkfind -d '$PF/gen' tcp" /dev/null
	assert_output --partial "pkslice"
}

@test "a reader that goes away ends pkfind quietly" {
	run bash -c "pkfind -q -d '$PF/gen' '' | head -c 100 >/dev/null; echo \${PIPESTATUS[0]}"
	assert_output 0
}
