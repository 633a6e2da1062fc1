#!/usr/bin/env bats
# pkindex: per-pcap Berkeley DB indexes, from the stream, in place, --repair, --dump.

load helpers
load lib/pkindex

setup() {
	# SANITIZE=1 builds: libdb does not free a handle that hit a bad page checksum
	export LSAN_OPTIONS="suppressions=$BATS_TEST_DIRNAME/lib/pkindex.lsan${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
	need_cmd tcpdump
	[ -x "$PK_TOOLS/pkgen" ] || fail "build/tools/pkgen is not built (make)"
	D=$BATS_TEST_TMPDIR/arch
	mkdir -p "$D"
	# IPv4/ARP only: tcpdump's "host"/"port" see every packet the index keys
	"$PK_TOOLS/pkgen" -n 3000 -m tcp,udp,icmp,arp "$D/g.pcap"
}

@test "usage errors exit 64" {
	run pkindex
	assert_failure 64
	assert_output --partial "usage:"
	run pkindex --dump x.idx -d "$D"
	assert_failure 64
	run pkindex --repair -d "$D" "$D/g.pcap"
	assert_failure 64
}

@test "in place: keys and packet table agree with tcpdump" {
	run pkindex -d "$D" "$D/g.pcap"
	assert_success
	[ -f "$D/g.pcap.idx" ]
	[ "$(stat -c %a "$D/g.pcap.idx")" = 640 ]
	pkindex --dump "$D/g.pcap.idx" >"$BATS_TEST_TMPDIR/dump"
	grep -qx "packets 3000" "$BATS_TEST_TMPDIR/dump"
	# every packet time and offset, in file order
	grep '^packet ' "$BATS_TEST_TMPDIR/dump" | awk '{print $6}' >"$BATS_TEST_TMPDIR/t.idx"
	tcpdump -r "$D/g.pcap" -tt --nano 2>/dev/null | awk '{print $1}' >"$BATS_TEST_TMPDIR/t.tcpdump"
	cmp "$BATS_TEST_TMPDIR/t.idx" "$BATS_TEST_TMPDIR/t.tcpdump"
	[ "$(grep -c '^packet ' "$BATS_TEST_TMPDIR/dump")" = 3000 ]
	grep -qx "packet 0 offset 24 time .*" "$BATS_TEST_TMPDIR/dump"
	# posting lists: the number of packets per key equals tcpdump's count
	local n=0 tag v expr
	while read -r tag v; do
		case $tag in
		ip.src) expr="src host $v" ;;
		ip.dst) expr="dst host $v" ;;
		port.src) expr="src port $v" ;;
		port.dst) expr="dst port $v" ;;
		ether.src) expr="ether src $v" ;;
		ip.proto) expr="ip proto $v" ;;
		*) continue ;;
		esac
		want=$(tcpdump -nn -r "$D/g.pcap" "$expr" 2>/dev/null | wc -l)
		got=$(dump_count "$D/g.pcap.idx" "$tag" "$v")
		[ "$want" -gt 0 ]
		[ "$got" = "$want" ] || { echo "$tag $v: index $got tcpdump $want"; return 1; }
		n=$((n + 1))
	done < <(awk '$1 == "key" { print $2, $3 }' "$BATS_TEST_TMPDIR/dump" | awk 'NR % 7 == 1' | head -40)
	[ "$n" -ge 8 ]
	# the ordinals of one key are exactly tcpdump's packets (by their times, which pkgen makes unique)
	local ip
	ip=$(awk '$1 == "key" && $2 == "ip.dst" { print $3; exit }' "$BATS_TEST_TMPDIR/dump")
	awk -v v="$ip" '$1 == "key" && $2 == "ip.dst" && $3 == v { for (i = 8; i <= NF; i++) want[$i] = 1 }
	    $1 == "packet" && ($2 in want) { print $6 }' "$BATS_TEST_TMPDIR/dump" >"$BATS_TEST_TMPDIR/o.idx"
	tcpdump -nn -tt --nano -r "$D/g.pcap" "dst host $ip" 2>/dev/null | awk '{print $1}' >"$BATS_TEST_TMPDIR/o.tcpdump"
	[ -s "$BATS_TEST_TMPDIR/o.idx" ]
	cmp "$BATS_TEST_TMPDIR/o.idx" "$BATS_TEST_TMPDIR/o.tcpdump"
}

@test "API: ranges, complements and exact time windows when file order is not time order" {
	need_cmd mergecap
	[ -x "$PK_TOOLS/idxq" ] || fail "idxq not built (make)"
	# the second half of the file goes back in time and interleaves with the first
	"$PK_TOOLS/pkgen" -n 1500 -t 1700000000 -i 2000 -s 1 -m tcp,udp,icmp,arp "$D/a.pcap"
	"$PK_TOOLS/pkgen" -n 1500 -t 1700000001 -i 1000 -s 2 -m tcp,udp,icmp,arp "$D/b.pcap"
	mergecap -a -F pcap -w "$D/m.pcap" "$D/b.pcap" "$D/a.pcap"
	pkindex -d "$D" "$D/m.pcap"
	local Q="$PK_TOOLS/idxq" I="$D/m.pcap.idx"
	times() { tcpdump -tt --nano -nn -r "$D/m.pcap" "$@" 2>/dev/null | awk '{ print $1 }' | tr -d . | sed 's/^0*//' | sort; }
	qtimes() { "$Q" "$I" "$@" | awk 'NR > 1 { print $3 }' | sort; }
	# CIDR and port ranges, and their complement
	diff <(qtimes range 5 c0a80100 c0a801ff) <(times 'src net 192.168.1.0/24')
	diff <(qtimes range 11 0000 03ff) <(times 'dst portrange 0-1023')
	diff <(qtimes not 9 06 06) <(times 'not ip proto 6')
	# a window that cuts through both halves: exact per packet
	s=1700000001500000000 e=1700000002200000000
	diff <(qtimes time $s $e) <(times | awk -v s=$s -v e=$e '$1 >= s && $1 < e')
	[ "$(qtimes time $s $e | wc -l)" -gt 500 ]
	diff <(qtimes both 6 0a000000 0affffff $s $e) <(times 'dst net 10.0.0.0/8' | awk -v s=$s -v e=$e '$1 >= s && $1 < e')
	# offsets: the record at each offset is the packet (its time)
	"$Q" "$I" time 0 18446744073709551615 | awk 'NR > 1 { print $2 }' >"$BATS_TEST_TMPDIR/offs"
	[ "$(head -1 "$BATS_TEST_TMPDIR/offs")" = 24 ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/offs")" = 3000 ]
	run "$Q" "$I" range 5 c0a80200 c0a80100
	assert_output "0"
}

@test "every link type and protocol pkgen makes is indexed and dumped" {
	local lt
	for lt in 1 113 276 101 0; do
		"$PK_TOOLS/pkgen" -n 500 -l $lt -m all "$D/l$lt.pcap"
	done
	"$PK_TOOLS/pkgen" -N -n 500 -m all "$D/ns.pcap"
	run pkindex -d "$D" "$D"/l*.pcap "$D/ns.pcap"
	assert_success
	for lt in 1 113 276 101 0; do
		run pkindex --dump "$D/l$lt.pcap.idx"
		assert_success
		assert_line "linktype $lt"
		assert_line "packets 500"
	done
	run pkindex --dump "$D/ns.pcap.idx"
	assert_line "precision nsec"
	# nanosecond times survive exactly
	diff <(echo "$output" | awk '$1 == "packet" { print $6 }') \
	    <(tcpdump -r "$D/ns.pcap" -tt --nano 2>/dev/null | awk '{print $1}')
}

@test "IPv6 addresses and VLAN ids agree with tcpdump" {
	"$PK_TOOLS/pkgen" -n 1500 -m tcp6,udp6,icmp6 "$D/v6.pcap"
	"$PK_TOOLS/pkgen" -n 1500 -m vlan "$D/vl.pcap"
	pkindex -d "$D" "$D/v6.pcap" "$D/vl.pcap"
	local n=0 tag v expr f
	while read -r f tag v; do
		case $tag in
		ip6.src) expr="ip6 src host $v" ;;
		ip6.dst) expr="ip6 dst host $v" ;;
		vlan) expr="vlan $v" ;;
		*) continue ;;
		esac
		want=$(tcpdump -nn -r "$D/$f" "$expr" 2>/dev/null | wc -l)
		got=$(dump_count "$D/$f.idx" "$tag" "$v")
		[ "$want" -gt 0 ]
		[ "$got" = "$want" ] || { echo "$f $tag $v: index $got tcpdump $want"; return 1; }
		n=$((n + 1))
	done < <(for f in v6.pcap vl.pcap; do pkindex --dump "$D/$f.idx" | awk -v f=$f '$1 == "key" { print f, $2, $3 }'; done)
	[ "$n" -ge 4 ]
}

@test "from a stream: the index equals the in-place one" {
	[ -x "$PK_TOOLS/pkcraft" ] || fail "pkcraft not built (make)"
	pkindex -d "$D" "$D/g.pcap"
	pkindex --dump "$D/g.pcap.idx" >"$BATS_TEST_TMPDIR/a"
	rm "$D/g.pcap.idx"
	pcap_craft "$D/g.pcap" 3 | "$PK_TOOLS/pkcraft" >"$BATS_TEST_TMPDIR/s"
	run pkindex -d "$D" <"$BATS_TEST_TMPDIR/s"
	assert_success
	refute_output --partial "from disk"
	pkindex --dump "$D/g.pcap.idx" | diff - "$BATS_TEST_TMPDIR/a"
}

@test "from a stream: count mismatch and gap flags rebuild from disk" {
	[ -x "$PK_TOOLS/pkcraft" ] || fail "pkcraft not built (make)"
	pkindex -d "$D" "$D/g.pcap"
	pkindex --dump "$D/g.pcap.idx" >"$BATS_TEST_TMPDIR/a"
	rm "$D/g.pcap.idx"
	# the stream lost its last packet: the close record counts 3000
	pcap_craft "$D/g.pcap" 3 | awk '{ l[NR] = $0 } END { for (i = 1; i <= NR; i++) if (i != NR - 1) print l[i] }' |
	    "$PK_TOOLS/pkcraft" | pkindex -d "$D" 2>"$BATS_TEST_TMPDIR/err"
	grep -q "indexing from disk" "$BATS_TEST_TMPDIR/err"
	pkindex --dump "$D/g.pcap.idx" | diff - "$BATS_TEST_TMPDIR/a"
	for fl in 1 2; do
		rm "$D/g.pcap.idx"
		pcap_craft "$D/g.pcap" 3 $fl | "$PK_TOOLS/pkcraft" | pkindex -d "$D" 2>"$BATS_TEST_TMPDIR/err"
		grep -q "indexing from disk" "$BATS_TEST_TMPDIR/err"
		pkindex --dump "$D/g.pcap.idx" | diff - "$BATS_TEST_TMPDIR/a"
	done
}

@test "from a stream: final path of the close record, removal, outside files" {
	[ -x "$PK_TOOLS/pkcraft" ] || fail "pkcraft not built (make)"
	mkdir -p "$D/2023-11-14" "$BATS_TEST_TMPDIR/out"
	cp "$D/g.pcap" "$D/2023-11-14/f.pcap"
	cp "$D/g.pcap" "$BATS_TEST_TMPDIR/out/o.pcap"
	# pkrotate announces the .part it writes and closes under the final name
	cp "$D/g.pcap" "$D/2023-11-14/p.pcap.part"
	{ pcap_craft "$D/2023-11-14/p.pcap.part" 1 0 0 "$D/2023-11-14/f.pcap"
	  pcap_craft "$BATS_TEST_TMPDIR/out/o.pcap" 2 | grep -v '^header'
	} | "$PK_TOOLS/pkcraft" >"$BATS_TEST_TMPDIR/s"
	run pkindex -d "$D" <"$BATS_TEST_TMPDIR/s"
	assert_success
	assert_output --partial "o.pcap: not under"
	[ -f "$D/2023-11-14/f.pcap.idx" ]
	[ ! -e "$D/2023-11-14/p.pcap.part.idx" ]
	[ ! -e "$BATS_TEST_TMPDIR/out/o.pcap.idx" ]
	run pkindex --dump "$D/2023-11-14/f.pcap.idx"
	assert_line "packets 3000"
	# the removal record deletes the index (pkrotate deleted the pcap)
	rm "$D/2023-11-14/f.pcap"
	printf 'header\nremove 1 %s\n' "$D/2023-11-14/f.pcap" | "$PK_TOOLS/pkcraft" | pkindex -d "$D"
	[ ! -e "$D/2023-11-14/f.pcap.idx" ]
	# ...but never outside DIR
	pkindex -d "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/out/o.pcap"
	printf 'header\nremove 1 %s\n' "$BATS_TEST_TMPDIR/out/o.pcap" | "$PK_TOOLS/pkcraft" | pkindex -d "$D"
	[ -e "$BATS_TEST_TMPDIR/out/o.pcap.idx" ]
}

@test "garbage on stdin: counted, exit 65" {
	run sh -c 'head -c 5000 /dev/urandom | pkindex -d "$1"' sh "$D"
	assert_failure 65
}

@test "in place: unreadable, pcapng and damaged files are reported, the rest indexed" {
	need_cmd editcap
	editcap -F pcapng "$D/g.pcap" "$D/n.pcapng"
	head -c 100000 "$D/g.pcap" >"$D/cut.pcap"
	echo "not a pcap" >"$D/bad.pcap"
	run pkindex -d "$D" "$D/n.pcapng" "$D/missing.pcap" "$D/bad.pcap" "$D/cut.pcap" "$D/g.pcap"
	assert_failure
	assert_output --partial "pcapng"
	assert_output --partial "editcap -F pcap"
	assert_output --partial "bad.pcap: not a classic pcap"
	[ -f "$D/g.pcap.idx" ]
	[ ! -e "$D/n.pcapng.idx" ]
	# a cut file: its whole packets are indexed, the index matches the file
	[ -f "$D/cut.pcap.idx" ]
	run pkindex --dump "$D/cut.pcap.idx"
	assert_line "packets $(tcpdump -r "$D/cut.pcap" 2>/dev/null | wc -l)"
	run pkindex --repair -d "$D"
	assert_output --partial "rebuilt 0"
}

@test "--repair builds missing indexes and rebuilds corrupt or stale ones" {
	mkdir -p "$D/2023-11-14"
	for i in 1 2 3 4 5; do
		"$PK_TOOLS/pkgen" -n 2000 -s $i -m all "$D/2023-11-14/f$i.pcap"
	done
	cp "$D/2023-11-14/f1.pcap" "$D/2023-11-14/x.pcap.part"
	run pkindex --repair -d "$D"
	assert_success
	assert_output --partial "checked 6, built 6, rebuilt 0, failed 0"
	[ ! -e "$D/2023-11-14/x.pcap.part.idx" ]
	for i in 1 2 3 4 5; do pkindex --dump "$D/2023-11-14/f$i.pcap.idx" >"$BATS_TEST_TMPDIR/d$i"; done
	run pkindex --repair -d "$D"
	assert_output --partial "checked 6, built 0, rebuilt 0, failed 0"
	# 1: deleted  2: truncated  3: bytes overwritten in the middle  4: stale (pcap grew)
	rm "$D/2023-11-14/f1.pcap.idx"
	truncate -s $(($(stat -c %s "$D/2023-11-14/f2.pcap.idx") / 2)) "$D/2023-11-14/f2.pcap.idx"
	sz=$(stat -c %s "$D/2023-11-14/f3.pcap.idx")
	printf 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX' | dd of="$D/2023-11-14/f3.pcap.idx" bs=1 seek=$((sz / 2 + 100)) conv=notrunc 2>/dev/null
	run pkindex --dump "$D/2023-11-14/f2.pcap.idx"
	assert_failure
	run pkindex --dump "$D/2023-11-14/f3.pcap.idx"
	assert_failure
	"$PK_TOOLS/pkgen" -n 10 -s 9 -m tcp - | tail -c +25 >>"$D/2023-11-14/f4.pcap"
	run pkindex --repair -d "$D"
	assert_success
	assert_output --partial "checked 6, built 1, rebuilt 3, failed 0"
	for i in 1 2 3 5; do pkindex --dump "$D/2023-11-14/f$i.pcap.idx" | diff - "$BATS_TEST_TMPDIR/d$i"; done
	run pkindex --dump "$D/2023-11-14/f4.pcap.idx"
	assert_line "packets 2010"
	# orphans: an index whose pcap is gone, a dead builder's temporary file (a live one stays)
	cp "$D/2023-11-14/f5.pcap.idx" "$D/2023-11-14/gone.pcap.idx"
	cp "$D/2023-11-14/f5.pcap.idx" "$D/2023-11-14/f5.pcap.idx.tmp.999999999"
	cp "$D/2023-11-14/f5.pcap.idx" "$D/2023-11-14/f5.pcap.idx.tmp.$$"
	run pkindex --repair -d "$D"
	assert_success
	assert_output --partial "removed 2 index file(s)"
	[ ! -e "$D/2023-11-14/gone.pcap.idx" ]
	[ ! -e "$D/2023-11-14/f5.pcap.idx.tmp.999999999" ]
	[ -e "$D/2023-11-14/f5.pcap.idx.tmp.$$" ]
	rm "$D/2023-11-14/f5.pcap.idx.tmp.$$"
	# no temporary files left behind
	run find "$D" -name '*.tmp.*'
	assert_output ""
}

@test "pkread -r X | pkindex -d DIR indexes X in place" {
	pkindex -d "$D" "$D/g.pcap"
	pkindex --dump "$D/g.pcap.idx" >"$BATS_TEST_TMPDIR/a"
	rm "$D/g.pcap.idx"
	pkread -r "$D/g.pcap" | pkindex -d "$D"
	pkindex --dump "$D/g.pcap.idx" | diff - "$BATS_TEST_TMPDIR/a"
}

@test "pkread -r X | pkextract | pkindex: the fields in the stream give the same index" {
	"$PK_TOOLS/pkgen" -n 3000 -m all "$D/all.pcap"
	pkindex -d "$D" "$D/all.pcap"
	pkindex --dump "$D/all.pcap.idx" >"$BATS_TEST_TMPDIR/a"
	rm "$D/all.pcap.idx"
	pkread -r "$D/all.pcap" | pkextract | pkindex -d "$D"
	pkindex --dump "$D/all.pcap.idx" | diff - "$BATS_TEST_TMPDIR/a"
}

@test "pkread | pkrotate -C 1 | pkindex: one index per finished pcap, every packet once" {
	"$PK_TOOLS/pkgen" -n 20000 -m all "$BATS_TEST_TMPDIR/big.pcap"
	A=$BATS_TEST_TMPDIR/a
	mkdir -p "$A"
	pkread -r "$BATS_TEST_TMPDIR/big.pcap" | pkrotate -d "$A" -C 1 | pkindex -d "$A"
	np=$(find "$A" -name '*.pcap' | wc -l)
	ni=$(find "$A" -name '*.pcap.idx' | wc -l)
	[ "$np" -ge 3 ]
	[ "$np" = "$ni" ]
	total=0
	for i in $(find "$A" -name '*.pcap.idx'); do
		n=$(pkindex --dump "$i" | awk '$1 == "packets" { print $2 }')
		[ "$n" = "$(tcpdump -r "${i%.idx}" 2>/dev/null | wc -l)" ]
		total=$((total + n))
	done
	[ "$total" = 20000 ]
	run pkindex --repair -d "$A"
	assert_output --partial "built 0, rebuilt 0, failed 0"
}

# shellcheck disable=SC2154
@test "4SICS: bytes of index per packet (10+ files)" {
	need_shared
	need_cmd editcap
	local src A total=0 bytes=0
	src=$(shared_pcap real/large/4SICS-GeekLounge-151020.pcap.gz)
	A=$BATS_TEST_TMPDIR/4sics
	mkdir -p "$A"
	pkread -r "$src" | pkrotate -d "$A" -C 1 | pkindex -d "$A"
	np=$(find "$A" -name '*.pcap' | wc -l)
	[ "$np" -ge 10 ]
	[ "$(find "$A" -name '*.pcap.idx' | wc -l)" = "$np" ]
	for i in $(find "$A" -name '*.pcap.idx'); do
		n=$(pkindex --dump "$i" | awk '$1 == "packets" { print $2 }')
		total=$((total + n))
		bytes=$((bytes + $(stat -c %s "$i")))
	done
	[ "$total" = 246137 ]
	bpp=$(awk -v b=$bytes -v n=$total 'BEGIN { printf "%.2f", b / n }')
	echo "# 4SICS: $np files, $total packets, $bytes index bytes, $bpp bytes/packet" >&3
	awk -v b=$bytes -v n=$total 'BEGIN { exit !(b / n <= 8) }'    # the target: <= 8 bytes/packet
	# the whole capture as one index
	cp "$src" "$A/whole.pcap"
	pkindex -d "$A" "$A/whole.pcap"
	w=$(awk -v b="$(stat -c %s "$A/whole.pcap.idx")" 'BEGIN { printf "%.2f", b / 246137 }')
	echo "# 4SICS: one file: $w bytes/packet" >&3
	n=$(dump_count "$A/whole.pcap.idx" ip.src 10.10.10.20)
	[ "$n" = "$(tcpdump -nn -r "$src" 'src host 10.10.10.20' 2>/dev/null | wc -l)" ]
}

# hook.sh PCAP: the hook the -z tests give: records the path, whether its
# index was in place and whole (pkindex --dump reads it), and its stdin
hook_script() {
	cat >"$BATS_TEST_TMPDIR/hook.sh" <<-'EOS'
	#!/bin/sh
	if pkindex --dump "$1.idx" >/dev/null 2>&1; then idx=idx; else idx=NOIDX; fi
	read -r line && idx="$idx stdin-not-null"
	echo "$1 $idx" >>"$HOOK_LOG"
	echo "hook stdout"
	EOS
	chmod +x "$BATS_TEST_TMPDIR/hook.sh"
	export HOOK_LOG=$BATS_TEST_TMPDIR/hook.log
}

@test "-z in a pipeline: run on each finished pcap once its index is in place, nothing else" {
	hook_script
	"$PK_TOOLS/pkgen" -n 20000 -m all "$BATS_TEST_TMPDIR/big.pcap"
	A=$BATS_TEST_TMPDIR/a
	pkread -r "$BATS_TEST_TMPDIR/big.pcap" | pkrotate -d "$A" -C 1 |
	    pkindex -d "$A" -z "$BATS_TEST_TMPDIR/hook.sh" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	find "$A" -name '*.pcap' | sort >"$BATS_TEST_TMPDIR/pcaps"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/pcaps")" -ge 3 ]
	# every finished pcap once, each with its index there and whole, stdin /dev/null
	sed 's/$/ idx/' "$BATS_TEST_TMPDIR/pcaps" >"$BATS_TEST_TMPDIR/want"
	sort "$HOOK_LOG" | diff "$BATS_TEST_TMPDIR/want" -
	# the hook's stdout went to pkindex's stderr
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
	[ "$(grep -c '^hook stdout$' "$BATS_TEST_TMPDIR/err")" -eq "$(wc -l <"$BATS_TEST_TMPDIR/pcaps")" ]
	# --repair with nothing to do: no hook
	: >"$HOOK_LOG"
	pkindex --repair -d "$A" -z "$BATS_TEST_TMPDIR/hook.sh" >/dev/null 2>&1
	[ ! -s "$HOOK_LOG" ]
	# a missing index is built by --repair: the hook runs for that one
	victim=$(head -n 1 "$BATS_TEST_TMPDIR/pcaps")
	rm "$victim.idx"
	pkindex --repair -d "$A" -z "$BATS_TEST_TMPDIR/hook.sh" >/dev/null 2>&1
	assert_equal "$(cat "$HOOK_LOG")" "$victim idx"
}

@test "-z in place: the path is passed safely, a failing hook is reported, a failed index gets none" {
	hook_script
	mkdir -p "$D/x"
	f='$(touch pwned) a;b.pcap'
	cp "$D/g.pcap" "$D/x/$f"
	printf 'garbage, not a pcap at all.....' >"$D/x/bad.pcap"
	cd "$BATS_TEST_TMPDIR"
	run pkindex -d "$D" -z "$BATS_TEST_TMPDIR/hook.sh" "$D/x/$f" "$D/x/bad.pcap"
	assert_failure 65
	[ ! -e pwned ]
	assert_equal "$(cat "$HOOK_LOG")" "$D/x/$f idx"
	run pkindex -d "$D" -z 'exit 3;' "$D/g.pcap"
	assert_success
	assert_output --partial "exit status 3"
	[ -s "$D/g.pcap.idx" ]
}

@test "headers only (pkrotate forwards 256 bytes): the same index as from whole packets, every shared capture" {
	local f x i n=0 list=$D/g.pcap
	if [ -d "$SHARED_PCAPS/real" ]; then
		# the sanitizer pass (scripts/pk-check-san) takes every fifth file: the same code paths, less time
		list="$list $(find "$SHARED_PCAPS" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' -o -name '*.gz' \) | sort |
		    awk -v k="${SANITIZE:+5}" '!k || NR % k == 1')"
	else
		echo "# ../shared/pcaps is absent: pkgen's capture only" >&3
	fi
	cd "$BATS_TEST_TMPDIR"
	for f in $list; do
		case $f in *.gz) x=$(shared_pcap "${f#"$SHARED_PCAPS"/}") ;; *) x=$f ;; esac
		rm -rf W H
		{ pkread -q -r "$x" | pkrotate -d W -H 0 | pkindex -d W; } 2>/dev/null || true
		{ pkread -q -r "$x" | pkrotate -d H | pkindex -d H; } 2>/dev/null || true
		for i in $(cd W && find . -name '*.pcap.idx' | sort); do
			diff <(pkindex --dump "W/$i") <(pkindex --dump "H/$i") || { echo "$f: $i differs"; return 1; }
			n=$((n + 1))
		done
	done
	echo "# $n indexes compared" >&3
	[ "$n" -ge 1 ]
	[ -d "$SHARED_PCAPS/real" ] || return 0
	if [ -n "${SANITIZE:-}" ]; then [ "$n" -ge 50 ]; else [ "$n" -ge 250 ]; fi
}

@test "the field table: pk-index(5)'s field list is the table in the source" {
	[ -x "$PK_TOOLS/fieldtab" ] || fail "build/tools/fieldtab is not built (make)"
	run "$PK_TOOLS/fieldtab" -c
	assert_success
	"$PK_TOOLS/fieldtab" >"$BATS_TEST_TMPDIR/table"
	sed -n '/^Field tags and value lengths/,/^\.El/p' "$PK_ROOT/man/pk-index.5" | grep '^\.It [0-9]' >"$BATS_TEST_TMPDIR/man"
	[ -s "$BATS_TEST_TMPDIR/man" ]
	diff "$BATS_TEST_TMPDIR/table" "$BATS_TEST_TMPDIR/man"
}

@test "mpls keys: every label of a stack, as tcpdump's mpls N at any depth, under VLAN too" {
	local l want got pre e
	"$PK_TOOLS/pkgen" -n 600 -m mplsx,udp,mpls2 "$D/m.pcap"
	run pkindex -d "$D" "$D/m.pcap"
	assert_success
	for l in 100 200 300; do
		want=$(for pre in '' 'vlan and '; do
			for e in "mpls $l" "mpls and mpls $l" "mpls and mpls and mpls $l"; do
				tcpdump -nn -tt --nano -r "$D/m.pcap" "$pre$e" 2>/dev/null | awk '{print $1}'
			done
		done | sort -u | wc -l)
		got=$(dump_count "$D/m.pcap.idx" mpls "$l")
		[ "$want" -gt 0 ]
		[ "$got" = "$want" ] || { echo "mpls $l: index $got tcpdump $want"; return 1; }
	done
}

@test "mpls keys from the stream: a stack below the first label is read from the packet" {
	# the stream's fields carry the outermost label only (pk-stream(5)); pkindex must not lose the rest
	"$PK_TOOLS/pkgen" -n 300 -m mplsx "$D/s.pcap"
	mkdir -p "$D/a"
	pkread -r "$D/s.pcap" 2>/dev/null | pkextract 2>/dev/null | pkrotate -d "$D/a" -c 1000 2>/dev/null | pkindex -d "$D/a"
	pkindex --repair -d "$D/a" >/dev/null 2>&1
	local f
	f=$(find "$D/a" -name '*.pcap.idx' | head -1)
	[ -n "$f" ]
	cp "$D/s.pcap" "$D/t.pcap"
	pkindex -d "$D" "$D/t.pcap"
	pkindex --dump "$f" | grep '^key mpls' >"$BATS_TEST_TMPDIR/stream"
	pkindex --dump "$D/t.pcap.idx" | grep '^key mpls' >"$BATS_TEST_TMPDIR/disk"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/disk")" = 3 ]
	diff "$BATS_TEST_TMPDIR/disk" "$BATS_TEST_TMPDIR/stream"
}
