#!/usr/bin/env bats
# hardening: the regressions of issue 10 (an outside review's findings),
# one case or more per item, each failing on the code before its fix.
# Streams are crafted with build/tools/pkcraft, indexes forged with
# build/tools/idxpoke, captures made by pkgen; tcpdump is the oracle.
# (Items 5 and 6, the pcap reader, are in pcapfile.bats.)
load helpers
load lib/pkindex

setup() {
	export LSAN_OPTIONS="suppressions=$BATS_TEST_DIRNAME/lib/pkindex.lsan${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
	need_cmd tcpdump
	CRAFT=$PK_TOOLS/pkcraft
	[ -x "$CRAFT" ] && [ -x "$PK_TOOLS/pkgen" ] && [ -x "$PK_TOOLS/idxpoke" ] || fail "test tools not built (make)"
	T=$BATS_TEST_TMPDIR
	A=$T/arch
	mkdir -p "$A"
}

# last_offset PCAP: the offset of its last record header
last_offset() {
	perl -e 'open(F, "<:raw", $ARGV[0]) or die; local $/; my $d = <F>; my ($o, $l) = (24, 0);
	    while ($o + 16 <= length $d) { $l = $o; $o += 16 + unpack("V", substr($d, $o + 8, 4)) } print $l' "$1"
}

@test "item 1: a location near 2^64 is refused, not read before the buffer (pkslice -R)" {
	"$PK_TOOLS/pkgen" -n 2000 "$A/big.pcap"
	last=$(last_offset "$A/big.pcap")
	printf 'header\nopen 1 1 262144 0 %s\nloc 1 %s 0\nloc 1 0xfffffffffffffff8 0\nloc 1 0xfffffffffffffff0 0\nloc 1 0x7ffffffffffffff8 0\n' \
	    "$A/big.pcap" "$last" | "$CRAFT" >"$T/loc.stream"
	run bash -c "pkslice -R '$A' <'$T/loc.stream' >'$T/out.pcap'"
	assert_failure 65
	assert_output --partial "no record at offset 18446744073709551608"
	# the one true location is there
	[ "$(tcpdump -r "$T/out.pcap" 2>/dev/null | wc -l)" -eq 1 ]
}

@test "item 1: an index whose packet table names offsets outside its pcap is not believed" {
	"$PK_TOOLS/pkgen" -n 500 -m tcp,udp "$A/g.pcap"
	pkindex -d "$A" "$A/g.pcap"
	pkfind -d "$A" -T text 'tcp or udp' 2>/dev/null >"$T/want.txt"
	tcpdump -r "$A/g.pcap" -w "$T/want.pcap" 'tcp or udp' 2>/dev/null
	"$PK_TOOLS/idxpoke" "$A/g.pcap.idx" 5 0xfffffffffffffff8
	# forged: its checksums hold, its table does not
	run pkindex --dump "$A/g.pcap.idx"
	assert_failure 65
	[ "${#lines[@]}" -gt 100 ]
	# pkfind scans instead, and says so; the answer is the pcap's
	run bash -c "pkfind -d '$A' -T text 'tcp or udp' 2>'$T/err' >'$T/got.txt'"
	assert_success
	grep -q "g.pcap.idx: index unusable, scanning the pcap" "$T/err"
	cmp "$T/want.txt" "$T/got.txt"
	run bash -c "pkfind -d '$A' 'tcp or udp' 2>/dev/null | pkslice >'$T/got.pcap'"
	assert_success
	cmp <(pcap_text "$T/want.pcap") <(pcap_text "$T/got.pcap")
	# pkslice -s/-e does not take its table either
	pkslice -s 0 -e 9999999999 "$A/g.pcap" >"$T/all.pcap"
	[ "$(tcpdump -r "$T/all.pcap" 2>/dev/null | wc -l)" -eq 500 ]
	# --repair rebuilds it
	run pkindex --repair -d "$A"
	assert_output --partial "rebuilt 1"
	run pkindex --dump "$A/g.pcap.idx"
	refute_output --partial "18446744073709551608"
}

@test "item 13: packet times no pcap can hold in a stream: no overflow in the builder, indexed from disk" {
	"$PK_TOOLS/pkgen" -n 3 "$A/g.pcap"
	path=$(realpath "$A/g.pcap")
	{
		echo header
		echo "open 1 1 262144 0 $path"
		tcpdump -r "$A/g.pcap" -nn -xx 2>/dev/null | awk '
		    /^[0-9]/ { if (h != "") print h; h = "" ; next } /^\t0x/ { for (i = 2; i <= NF; i++) h = h $i }
		    END { print h }' >"$T/hex"
		n=0 off=24
		for ts in 0 0x7000000000000000 0x9000000000000000; do
			n=$((n + 1))
			h=$(sed -n "${n}p" "$T/hex")
			echo "packet $ts 1 $h 0 1 $off"
			off=$((off + 16 + ${#h} / 2))
		done
		echo "close 1 0 3 $(stat -c %s "$A/g.pcap") 0 0"
	} | "$CRAFT" >"$T/s"
	run pkindex -d "$A" <"$T/s"
	assert_success
	assert_output --partial "a packet time no pcap can hold"
	assert_output --partial "indexing from disk"
	pkindex --dump "$A/g.pcap.idx" | grep -qx "packets 3"
	[ "$(pkfind -d "$A" -c '' 2>/dev/null)" = 3 ]
}
