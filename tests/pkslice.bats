#!/usr/bin/env bats
# pkslice: stream of packets -> pcap, pkfind's locations -> pcap (merge,
# filter record, confinement), direct time slicing of pcap files.
# Streams are crafted with build/tools/pkcraft, captures made by pkgen;
# tcpdump, editcap and mergecap are the oracles.

load helpers

setup() {
	need_cmd tcpdump editcap
	CRAFT=$PK_TOOLS/pkcraft
	GEN=$PK_TOOLS/pkgen
	[ -x "$CRAFT" ] && [ -x "$GEN" ] || skip "test tools not built (make tools)"
	D=$BATS_TEST_TMPDIR
	# 20 packets, 1 ms apart from 1700000000 (microsecond pcap, Ethernet)
	"$GEN" -n 20 -t 1700000000 -i 1000 "$D/a.pcap"
	ETH=ffffffffffff020000000001080045000014000100004001f96a0a0000010a000002
}

# records FILE: "offset ts_ns" of every packet of a little-endian pcap
# (offset 24, then +16+caplen), computed from the file itself
records() {
	local f=$1 size off=24 sec frac cl wl mul=1000
	[ "$(od -A n -t x4 -N 4 "$f" | tr -d ' ')" = a1b23c4d ] && mul=1
	size=$(stat -c %s "$f")
	while [ "$off" -lt "$size" ]; do
		read -r sec frac cl wl < <(od -A n -t u4 -j "$off" -N 16 "$f")
		echo "$off $((sec * 1000000000 + frac * mul))"
		off=$((off + 16 + cl))
	done
}

# locs ID FILE N...: loc lines for packets N (1-based) of FILE
locs() {
	local id=$1 f=$2; shift 2
	records "$f" >"$D/recs"
	for n in "$@"; do
		sed -n "${n}p" "$D/recs" | awk -v id="$id" '{ print "loc", id, $1, $2 }'
	done
}

# pick FILE N...: the oracle, packets N of FILE (editcap -r keeps them)
pick() {
	local f=$1; shift
	editcap -r "$f" "$D/pick.pcap" "$@" >/dev/null
	pcap_text "$D/pick.pcap"
}

# reorder IN OUT MS: IN with every tenth packet's time moved back by MS milliseconds (file order kept)
reorder() {
	perl -e '
	open(my $i, "<", $ARGV[0]) or die; binmode $i; open(my $o, ">", $ARGV[1]) or die; binmode $o;
	read($i, my $h, 24) == 24 or die; print $o $h; my $n = 0;
	while (read($i, my $r, 16) == 16) {
		my ($s, $u, $cl, $wl) = unpack("V4", $r);
		read($i, my $d, $cl);
		if ($n++ % 10 == 5) { my $t = $s * 1000000 + $u - $ARGV[2] * 1000; $s = int($t / 1000000); $u = $t % 1000000 }
		print $o pack("V4", $s, $u, $cl, $wl), $d;
	}' "$1" "$2" "$3"
}

magic() {
	od -A n -t x4 -N 4 "$1" | tr -d ' '
}

@test "usage: bad option, bad -o, bad time exit 64" {
	run pkslice -Q
	assert_failure 64
	assert_output --partial "usage: pkslice"
	run pkslice -o json
	assert_failure 64
	run pkslice -s yesterday-ish "$D/a.pcap"
	assert_failure 64
}

@test "a pcap on stdin is refused naming pkread (exit 65)" {
	run pkslice <"$D/a.pcap"
	assert_failure 65
	assert_output --partial "pkread -r"
}

@test "a pcap is never written to a terminal" {
	need_cmd script
	printf 'header\npacket 1 1 %s\n' "$ETH" | "$CRAFT" >"$D/s.pk"
	run script -qec "$PK_BIN/pkslice < $D/s.pk" /dev/null
	assert_failure 64
	assert_output --partial "tcpdump -r - or use -w FILE"
}

@test "packet stream: pcap in stream order, FILE_OPEN snaplen, microseconds" {
	{
		echo header
		echo "open 1 1 65535 0 /nowhere.pcap"
		echo "packet 1700000002000000000 1 $ETH"
		echo "stats 1 2 3 4 0 eth0"
		echo "packet 1700000001500000000 1 ${ETH}00"
		echo "raw 300 0102030405060708"
	} | "$CRAFT" >"$D/s.pk"
	pkslice <"$D/s.pk" >"$D/o.pcap"
	[ "$(magic "$D/o.pcap")" = a1b2c3d4 ]
	run tcpdump -r "$D/o.pcap" -nn -tt
	assert_success
	assert_line --index 0 --partial "snapshot length 65535"
	assert_line --index 1 --partial "1700000002.000000 IP 10.0.0.1 > 10.0.0.2"
	assert_line --index 2 --partial "1700000001.500000 IP"
	[ "${#lines[@]}" -eq 3 ]
}

@test "packet stream without FILE_OPEN: snaplen 262144; no packets: an empty valid pcap" {
	printf 'header\npacket 5 1 %s\n' "$ETH" | "$CRAFT" | pkslice >"$D/o.pcap"
	run tcpdump -r "$D/o.pcap" -nn
	assert_output --partial "snapshot length 262144"
	printf 'header\n' | "$CRAFT" | pkslice >"$D/e.pcap"
	[ "$(stat -c %s "$D/e.pcap")" -eq 24 ]
	run tcpdump -r "$D/e.pcap"
	assert_success
}

@test "nanosecond pcap from the header flag, a FILE_OPEN flag or the first packet's flag" {
	for script in 'header 1' 'header
open 1 1 0 1 /x.pcap' 'header'; do
		{ echo "$script"; echo "packet 1700000000123456789 1 $ETH 1"; } | "$CRAFT" | pkslice >"$D/n.pcap"
		[ "$(magic "$D/n.pcap")" = a1b23c4d ]
		run tcpdump -r "$D/n.pcap" -nn -tt --nano
		assert_line --index 1 --partial "1700000000.123456789 IP"
	done
	printf 'header\npacket 1700000000123456789 1 %s\n' "$ETH" | "$CRAFT" | pkslice >"$D/u.pcap"
	[ "$(magic "$D/u.pcap")" = a1b2c3d4 ]
	run tcpdump -r "$D/u.pcap" -nn -tt
	assert_line --index 1 --partial "1700000000.123456 IP"
}

@test "mixed link types: exit 65 naming both; the pcap so far stays valid" {
	printf 'header\npacket 1 1 %s\npacket 2 1 %s\npacket 3 113 %s\npacket 4 1 %s\n' \
	    "$ETH" "$ETH" "$ETH" "$ETH" | "$CRAFT" >"$D/s.pk"
	run pkslice -w "$D/o.pcap" <"$D/s.pk"
	assert_failure 65
	assert_output --partial "EN10MB (1)"
	assert_output --partial "LINUX_SLL (113)"
	run tcpdump -r "$D/o.pcap" -nn
	assert_success
	[ "${#lines[@]}" -eq 3 ]   # the "reading from" line + 2 packets
}

@test "garbage and a truncated record: warned, exit 65, good packets kept" {
	{
		echo header
		echo "packet 1 1 $ETH"
		echo "garbage 00112233445566778899"
		echo "packet 2 1 $ETH"
		echo "truncate 20"
		echo "packet 3 1 $ETH"
	} | "$CRAFT" >"$D/s.pk"
	run pkslice -w "$D/o.pcap" <"$D/s.pk"
	assert_failure 65
	assert_output --partial "skipped 10 bytes"
	assert_output --partial "ended inside a record"
	[ "$(tcpdump -r "$D/o.pcap" 2>/dev/null | wc -l)" -eq 2 ]
}

@test "locations: packets read from the file, in file order, duplicates once" {
	{
		echo header
		echo "note 5 0 $D"
		echo "open 7 1 262144 0 $D/a.pcap"
		locs 7 "$D/a.pcap" 9 2 14 2 20
	} | "$CRAFT" >"$D/s.pk"
	run pkslice <"$D/s.pk"
	assert_success
	pkslice <"$D/s.pk" >"$D/o.pcap"
	[ "$(pcap_text "$D/o.pcap")" = "$(pick "$D/a.pcap" 2 9 14 20)" ]
}

@test "ranges: every record from start to end, with locations around them, each once" {
	records "$D/a.pcap" >"$D/recs"
	local r5 r12 r15
	r5=$(sed -n 5p "$D/recs" | cut -d' ' -f1)
	r12=$(sed -n 12p "$D/recs" | cut -d' ' -f1)
	r15=$(sed -n 15p "$D/recs" | cut -d' ' -f1)
	{
		echo header
		echo "note 5 0 $D"
		echo "open 3 1 262144 0 $D/a.pcap"
		locs 3 "$D/a.pcap" 2 7 18
		# packets 5 to 11, and 15 to the end of the file
		echo "range 3 $r5 $r12"
		echo "range 3 $r15 $(stat -c %s "$D/a.pcap")"
	} | "$CRAFT" >"$D/s.pk"
	run pkslice <"$D/s.pk"
	assert_success
	pkslice <"$D/s.pk" >"$D/o.pcap"
	[ "$(pcap_text "$D/o.pcap")" = "$(pick "$D/a.pcap" 2 5-11 15-20)" ]
	# the filter applies to ranges as to locations
	{ echo header; echo "filter 1 0 0 tcp"; echo "note 5 0 $D"; echo "open 1 1 0 0 $D/a.pcap"
	  echo "range 1 24 $(stat -c %s "$D/a.pcap")"; } | "$CRAFT" | pkslice >"$D/t.pcap"
	[ "$(pcap_text "$D/t.pcap")" = "$(pcap_text "$D/a.pcap" tcp)" ]
	# a range that does not start at a record: warned, exit 65, nothing invented
	{ echo header; echo "note 5 0 $D"; echo "open 1 1 0 0 $D/a.pcap"; echo "range 1 $((r5 + 3)) $r12"; } |
	    "$CRAFT" >"$D/b.pk"
	run pkslice -w "$D/b.pcap" <"$D/b.pk"
	[ "$status" -eq 65 ]
	assert_output --partial "range that does not start at a record"
}

@test "locations: the filter record is applied (first or last), not with -x" {
	tcpdump -r "$D/a.pcap" -w "$D/tcp.pcap" tcp 2>/dev/null
	[ "$(tcpdump -r "$D/tcp.pcap" 2>/dev/null | wc -l)" -gt 0 ]
	all=$(seq 1 20)
	for where in first last; do
		{
			echo header
			[ $where = first ] && echo "filter 1 0 0 tcp"
			echo "note 5 0 $D"
			echo "open 1 1 262144 0 $D/a.pcap"
			locs 1 "$D/a.pcap" $all
			[ $where = last ] && echo "filter 1 0 0 tcp"
		} | "$CRAFT" >"$D/s.pk"
		pkslice <"$D/s.pk" >"$D/o.pcap"
		[ "$(pcap_text "$D/o.pcap")" = "$(pcap_text "$D/tcp.pcap")" ]
	done
	pkslice -x <"$D/s.pk" >"$D/x.pcap"
	[ "$(pcap_text "$D/x.pcap")" = "$(pcap_text "$D/a.pcap")" ]
	# a filter record without FILTER_APPLY is information only
	{ echo header; echo "note 5 0 $D"; echo "open 1 1 0 0 $D/a.pcap"; locs 1 "$D/a.pcap" $all
	  echo "filter 0 0 0 tcp"; } | "$CRAFT" | pkslice >"$D/i.pcap"
	[ "$(pcap_text "$D/i.pcap")" = "$(pcap_text "$D/a.pcap")" ]
}

@test "locations: FILTER_WINDOW keeps [start, end) exactly" {
	records "$D/a.pcap" >"$D/recs"
	start=$(sed -n 5p "$D/recs" | cut -d' ' -f2)
	end=$(sed -n 11p "$D/recs" | cut -d' ' -f2)
	{ echo header; echo "note 5 0 $D"; echo "open 1 1 0 0 $D/a.pcap"; locs 1 "$D/a.pcap" $(seq 1 20)
	  echo "filter 3 $start $end ip or ip6 or arp"; } | "$CRAFT" >"$D/s.pk"
	pkslice <"$D/s.pk" >"$D/o.pcap"
	tcpdump -r "$D/a.pcap" -w "$D/ip.pcap" 'ip or ip6 or arp' 2>/dev/null
	# the oracle: packets 5..10 that the expression accepts
	editcap -r "$D/a.pcap" "$D/w.pcap" 5-10
	[ "$(pcap_text "$D/o.pcap")" = "$(pcap_text "$D/w.pcap" 'ip or ip6 or arp')" ]
}

@test "locations: a bad filter expression is a data error" {
	{ echo header; echo "note 5 0 $D"; echo "open 1 1 0 0 $D/a.pcap"; locs 1 "$D/a.pcap" 1
	  echo "filter 1 0 0 host and and"; } | "$CRAFT" >"$D/s.pk"
	run pkslice -w "$D/o.pcap" <"$D/s.pk"
	assert_failure 65
	assert_output --partial "filter record"
}

@test "locations in two files: merged by time like mergecap; nanoseconds if one file has them" {
	need_cmd mergecap
	"$GEN" -N -n 15 -t 1700000000 -i 1500 -s 9 "$D/b.pcap"
	{
		echo header
		echo "note 5 0 $D"
		echo "open 1 1 262144 0 $D/a.pcap"
		echo "open 2 1 262144 1 $D/b.pcap"
		locs 2 "$D/b.pcap" $(seq 1 15)
		locs 1 "$D/a.pcap" $(seq 1 20)
	} | "$CRAFT" >"$D/s.pk"
	pkslice <"$D/s.pk" >"$D/o.pcap"
	[ "$(magic "$D/o.pcap")" = a1b23c4d ]
	mergecap -F nsecpcap -w "$D/m.pcap" "$D/a.pcap" "$D/b.pcap"
	[ "$(pcap_text "$D/o.pcap")" = "$(pcap_text "$D/m.pcap")" ]
	[ "$(pcap_text "$D/o.pcap" | grep -c '^1700')" -eq 35 ]
}

# ng_same OUT REF: the packets of REF's link type in the pcapng OUT are
# REF's packets, in order: times (at their precision), lengths, bytes (tshark)
ng_same() {
	local out=$1 ref=$2 enc
	enc=$(tshark -r "$ref" -T fields -e frame.encap_type 2>/dev/null | head -n 1)
	[ -n "$enc" ]
	diff <(tshark -r "$ref" -T fields -e frame.time_epoch -e frame.len -e frame.cap_len 2>/dev/null) \
	    <(tshark -r "$out" -Y "frame.encap_type == $enc" -T fields -e frame.time_epoch -e frame.len \
	      -e frame.cap_len 2>/dev/null)
	diff <(tshark -r "$ref" -x 2>/dev/null) <(tshark -r "$out" -Y "frame.encap_type == $enc" -x 2>/dev/null)
}

# ng_ifaces OUT: "encapsulation|precision|packets" per interface, from capinfos
ng_ifaces() {
	capinfos "$1" | awk -F' = ' '/Encapsulation =/ { e = $2 } /Time precision =/ { p = $2 }
	    /Number of packets =/ { print e "|" p "|" $2 }'
}

@test "locations in files of two link types: pcapng, one interface per link type, said on stderr" {
	need_cmd tshark capinfos
	# Ethernet in microseconds, Linux cooked in nanoseconds, interleaved in time
	"$GEN" -l 113 -N -n 15 -t 1700000000 -i 1000 -s 2 "$D/sll.pcap"
	{ echo header; echo "note 5 0 $D"; echo "open 1 1 0 0 $D/a.pcap"; echo "open 2 113 0 1 $D/sll.pcap"
	  locs 1 "$D/a.pcap" $(seq 1 20); locs 2 "$D/sll.pcap" $(seq 1 15); } | "$CRAFT" >"$D/s.pk"
	run pkslice -w "$D/o.pcapng" <"$D/s.pk"
	assert_success
	assert_output --partial "span link types"
	assert_output --partial "writing pcapng"
	[ "$(magic "$D/o.pcapng")" = 0a0d0d0a ]
	run ng_ifaces "$D/o.pcapng"
	assert_line "Linux cooked-mode capture v1 (25 - linux-sll)|nanoseconds (9)|15"
	assert_line "Ethernet (1 - ether)|microseconds (6)|20"
	[ "${#lines[@]}" -eq 2 ]
	capinfos "$D/o.pcapng" | grep -q 'Strict time order: *True'
	ng_same "$D/o.pcapng" "$D/a.pcap"
	ng_same "$D/o.pcapng" "$D/sll.pcap"
	# asked for a classic pcap: refused before any packet, naming both
	run pkslice -o pcap -w "$D/o.pcap" <"$D/s.pk"
	assert_failure 65
	assert_output --partial "LINUX_SLL (113)"
	assert_output --partial "-o pcapng"
	[ ! -s "$D/o.pcap" ]
}

@test "pcapng: files cut by time, a stream of packets with -o pcapng, an empty answer" {
	need_cmd tshark capinfos
	"$GEN" -l 113 -N -n 15 -t 1700000000 -i 1000 -s 2 "$D/sll.pcap"
	pkslice -w "$D/f.pcapng" "$D/a.pcap" "$D/sll.pcap" 2>"$D/err"
	grep -q "writing pcapng" "$D/err"
	ng_same "$D/f.pcapng" "$D/a.pcap"
	ng_same "$D/f.pcapng" "$D/sll.pcap"
	# a stream of packets: the link types come as they come, so pcapng is asked for
	pkread -r "$D/a.pcap" "$D/sll.pcap" | pkslice -o pcapng -w "$D/s.pcapng"
	ng_same "$D/s.pcapng" "$D/a.pcap"
	ng_same "$D/s.pcapng" "$D/sll.pcap"
	[ "$(capinfos -c -M "$D/s.pcapng" | awk '/Number of packets/ { print $NF }')" -eq 35 ]
	# without -o pcapng the link type change ends the pcap and says what to use
	run pkslice -w "$D/s.pcap" < <(pkread -r "$D/a.pcap" "$D/sll.pcap")
	assert_failure 65
	assert_output --partial "use -o pcapng"
	# one link type: one interface; nothing at all: still a file readers open
	pkslice -o pcapng -w "$D/one.pcapng" "$D/a.pcap"
	run ng_ifaces "$D/one.pcapng"
	assert_output "Ethernet (1 - ether)|microseconds (6)|20"
	ng_same "$D/one.pcapng" "$D/a.pcap"
	pkslice -o pcapng -s 2000000000 -w "$D/none.pcapng" "$D/a.pcap"
	run capinfos -c -M "$D/none.pcapng"
	assert_success
	assert_output --partial "Number of packets:   0"
}

@test "a query over an archive of Ethernet and Linux cooked files: pkfind | pkslice gives every match" {
	need_cmd tshark capinfos
	mkdir -p "$D/arc"
	"$GEN" -n 400 -t 1700000000 -i 1000 "$D/arc/eth.pcap"
	"$GEN" -l 113 -N -n 300 -t 1700000000 -i 1000 -s 7 "$D/arc/sll.pcap"
	pkindex -d "$D/arc" "$D/arc/eth.pcap" "$D/arc/sll.pcap"
	pkfind -q -d "$D/arc" 'tcp port 80 or udp' | pkslice -w "$D/o.pcapng" 2>"$D/err"
	grep -q "writing pcapng" "$D/err"
	# the oracle: tcpdump's selection from each file
	tcpdump -r "$D/arc/eth.pcap" -w "$D/eth.sel" 'tcp port 80 or udp' 2>/dev/null
	tcpdump --nano -r "$D/arc/sll.pcap" -w "$D/sll.sel" 'tcp port 80 or udp' 2>/dev/null
	[ "$(tcpdump -r "$D/eth.sel" 2>/dev/null | wc -l)" -gt 20 ]
	[ "$(tcpdump -r "$D/sll.sel" 2>/dev/null | wc -l)" -gt 20 ]
	ng_same "$D/o.pcapng" "$D/eth.sel"
	ng_same "$D/o.pcapng" "$D/sll.sel"
}

@test "confinement: /etc/passwd is refused, exit 77, nothing written" {
	{ echo header; echo "note 5 0 $D"; echo "open 1 1 0 0 /etc/passwd"; echo "loc 1 24 0"; } |
	    "$CRAFT" >"$D/s.pk"
	run pkslice -w "$D/o.pcap" <"$D/s.pk"
	assert_failure 77
	assert_output --partial "refusing to read /etc/passwd"
	[ ! -s "$D/o.pcap" ]
	pkslice <"$D/s.pk" >"$D/stdout" 2>/dev/null || [ $? -eq 77 ]
	[ ! -s "$D/stdout" ]
}

@test "confinement: a '..' component is refused even when it resolves inside the root" {
	mkdir -p "$D/arch/x"
	cp "$D/a.pcap" "$D/arch/a.pcap"
	{ echo header; echo "note 5 0 $D/arch"; echo "open 1 1 0 0 $D/arch/x/../a.pcap"; echo "loc 1 24 0"; } |
	    "$CRAFT" >"$D/s.pk"
	run pkslice -w "$D/o.pcap" <"$D/s.pk"
	assert_failure 77
	assert_output --partial "'..'"
	[ ! -s "$D/o.pcap" ]
}

@test "confinement: no root declared, a symlink out of the root, -R overrides the stream's roots" {
	{ echo header; echo "open 1 1 0 0 $D/a.pcap"; echo "loc 1 24 0"; } | "$CRAFT" >"$D/noroot.pk"
	run pkslice -w "$D/o.pcap" <"$D/noroot.pk"
	assert_failure 77
	assert_output --partial "no archive root"
	# -R supplies the root
	pkslice -R "$D" <"$D/noroot.pk" >"$D/o.pcap"
	[ "$(pcap_text "$D/o.pcap")" = "$(pick "$D/a.pcap" 1)" ]
	# a symlink inside the root pointing out of it
	mkdir -p "$D/arch"
	ln -s "$D/a.pcap" "$D/arch/link.pcap"
	{ echo header; echo "note 5 0 $D/arch"; echo "open 1 1 0 0 $D/arch/link.pcap"; echo "loc 1 24 0"; } |
	    "$CRAFT" >"$D/link.pk"
	run pkslice -w "$D/o.pcap" <"$D/link.pk"
	assert_failure 77
	# a stream declaring / as its root does not widen -R
	{ echo header; echo "note 5 0 /"; echo "open 1 1 0 0 $D/a.pcap"; echo "loc 1 24 0"; } | "$CRAFT" >"$D/wide.pk"
	run pkslice -R "$D/arch" -w "$D/o.pcap" <"$D/wide.pk"
	assert_failure 77
	assert_output --partial "not under the archive root"
}

@test "locations: a vanished file exits 66, a bad offset 65; the rest is written" {
	cp "$D/a.pcap" "$D/gone.pcap"
	{ echo header; echo "note 5 0 $D"; echo "open 1 1 0 0 $D/gone.pcap"; echo "open 2 1 0 0 $D/a.pcap"
	  locs 1 "$D/gone.pcap" 1; locs 2 "$D/a.pcap" 3 4; } | "$CRAFT" >"$D/s.pk"
	rm "$D/gone.pcap"
	run pkslice -w "$D/o.pcap" <"$D/s.pk"
	assert_failure 66
	assert_output --partial "gone.pcap: no such file"
	[ "$(pcap_text "$D/o.pcap")" = "$(pick "$D/a.pcap" 3 4)" ]
	{ echo header; echo "note 5 0 $D"; echo "open 2 1 0 0 $D/a.pcap"; locs 2 "$D/a.pcap" 3
	  echo "loc 2 25 0"; echo "loc 2 999999 0"; } | "$CRAFT" >"$D/bad.pk"
	run pkslice -w "$D/o.pcap" <"$D/bad.pk"
	assert_failure 65
	assert_output --partial "2 locations could not be read"
	[ "$(pcap_text "$D/o.pcap")" = "$(pick "$D/a.pcap" 3)" ]
}

@test "direct slicing: -s/-e at exact packet boundaries match editcap -A/-B" {
	records "$D/a.pcap" >"$D/recs"
	s=$(sed -n 4p "$D/recs" | cut -d' ' -f2)
	e=$(sed -n 9p "$D/recs" | cut -d' ' -f2)
	ss=${s:0:10}.${s:10}
	es=${e:0:10}.${e:10}
	pkslice -s "$ss" -e "$es" "$D/a.pcap" >"$D/o.pcap"
	editcap -A "$ss" -B "$es" "$D/a.pcap" "$D/e.pcap"
	[ "$(pcap_text "$D/o.pcap")" = "$(pcap_text "$D/e.pcap")" ]
	[ "$(pcap_text "$D/o.pcap")" = "$(pick "$D/a.pcap" 4-8)" ]
}

@test "direct slicing: RFC 3339 and +duration; several files merged by time" {
	need_cmd mergecap
	"$GEN" -n 20 -t 1700000000 -i 700 -s 5 "$D/b.pcap"
	# 1700000000 = 2023-11-14T22:13:20Z; [+5 ms, +12 ms)
	pkslice -s 2023-11-14T22:13:20.005Z -e +7ms -w "$D/o.pcap" "$D/b.pcap" "$D/a.pcap"
	mergecap -F pcap -w - "$D/a.pcap" "$D/b.pcap" |
	    editcap -A 1700000000.005 -B 1700000000.012 - "$D/e.pcap"
	[ "$(pcap_text "$D/o.pcap")" = "$(pcap_text "$D/e.pcap")" ]
	[ "$(pcap_text "$D/o.pcap" | grep -c '^1700')" -gt 10 ]
}

@test "direct slicing: big-endian and nanosecond inputs; -w writes the file, not stdout" {
	"$GEN" -E -n 10 -t 1700000000 "$D/be.pcap"
	"$GEN" -N -n 10 -t 1700000000 "$D/ns.pcap"
	run pkslice -w "$D/o.pcap" "$D/be.pcap"
	assert_success
	assert_output ""
	[ "$(magic "$D/o.pcap")" = a1b2c3d4 ]
	[ "$(pcap_text "$D/o.pcap")" = "$(pcap_text "$D/be.pcap")" ]
	pkslice "$D/ns.pcap" >"$D/n.pcap"
	[ "$(magic "$D/n.pcap")" = a1b23c4d ]
	cmp "$D/n.pcap" "$D/ns.pcap"
}

@test "-o stream: FILE_OPEN and located packets; back through pkslice gives the same pcap" {
	pkslice -o stream "$D/a.pcap" >"$D/s.pk"
	pkslice <"$D/s.pk" >"$D/o.pcap"
	cmp "$D/o.pcap" "$D/a.pcap"
	need_cmd script
	run script -qec "$PK_BIN/pkslice -o stream $D/a.pcap" /dev/null
	assert_failure 64
	assert_output --partial "pkextract"
}

@test "-o stream into pkextract -T json: file and offsets of the pcap" {
	pkslice -o stream "$D/a.pcap" | pkextract -T json >"$D/j"
	[ "$(wc -l <"$D/j")" -eq 20 ]
	records "$D/a.pcap" | cut -d' ' -f1 >"$D/want"
	grep -o '"pk.offset":[0-9]*' "$D/j" | cut -d: -f2 >"$D/got"
	diff "$D/want" "$D/got"
	grep -q "\"pk.file\":\"$D/a.pcap\"" "$D/j"
}

@test "round trip: pkread -r X | pkslice gives X back" {
	pkread -r "$D/a.pcap" | pkslice >"$D/o.pcap"
	[ "$(pcap_text "$D/o.pcap")" = "$(pcap_text "$D/a.pcap")" ]
}

@test "a reader that goes away ends pkslice quietly; a write error is exit 74" {
	"$GEN" -n 3000 "$D/big.pcap"
	run bash -c "'$PK_BIN/pkslice' '$D/big.pcap' | head -c 100 >/dev/null; echo rc=\${PIPESTATUS[0]}"
	assert_output "rc=0"
	[ -w /dev/full ] || skip "no /dev/full"
	run pkslice -w /dev/full "$D/big.pcap"
	assert_failure 74
	assert_output --partial "write error"
}

@test "direct slicing uses <file>.idx when it covers the file (pkindex)" {
	mkdir -p "$D/ix"
	"$GEN" -n 3000 -t 1700000000 -i 100 "$D/ix/big.pcap"
	pkindex -d "$D/ix" "$D/ix/big.pcap"
	[ -s "$D/ix/big.pcap.idx" ]
	pkslice -s 1700000000.1 -e 1700000000.15 -w "$D/o.pcap" "$D/ix/big.pcap"
	editcap -A 1700000000.1 -B 1700000000.15 "$D/ix/big.pcap" "$D/e.pcap"
	[ "$(pcap_text "$D/o.pcap")" = "$(pcap_text "$D/e.pcap")" ]
	[ "$(pcap_text "$D/o.pcap" | grep -c '^1700')" -eq 500 ]
	# proof the packet table was used: move packet 1 into the window behind
	# the index's back (same size, same modification time): only a scan sees it
	touch -r "$D/ix/big.pcap" "$D/ix/ref"
	printf '\xc0\xd4\x01\x00' | dd of="$D/ix/big.pcap" bs=1 seek=28 conv=notrunc status=none
	touch -r "$D/ix/ref" "$D/ix/big.pcap"
	pkslice -s 1700000000.1 -e 1700000000.15 "$D/ix/big.pcap" >"$D/i.pcap"
	[ "$(pcap_text "$D/i.pcap" | grep -c '^1700')" -eq 500 ]
	# a modification the index can see (the file's time): the index is not believed
	touch "$D/ix/big.pcap"
	pkslice -s 1700000000.1 -e 1700000000.15 "$D/ix/big.pcap" >"$D/m.pcap"
	[ "$(pcap_text "$D/m.pcap" | grep -c '^1700')" -eq 501 ]
	rm "$D/ix/big.pcap.idx"
	pkslice -s 1700000000.1 -e 1700000000.15 "$D/ix/big.pcap" >"$D/s.pcap"
	[ "$(pcap_text "$D/s.pcap" | grep -c '^1700')" -eq 501 ]
}

@test "direct slicing of a big file: binary search without an index, the packet table with one; both exact" {
	local w s e
	mkdir -p "$D/bs"
	# 30000 packets 1 ms apart (several MB), then the same shuffled by up to 0.3 s and by 5 s
	"$GEN" -n 30000 -t 1700000000 -i 1000 "$D/bs/in.pcap"
	[ "$(stat -c %s "$D/bs/in.pcap")" -gt 2000000 ]
	# windows in ms from the first packet: inside, a 1 ms one, past the end, before the start, empty
	for w in 500:2500 10000:10001 29900:40000 -5000:200 3000:3000; do
		s=$(awk -v m="${w%%:*}" 'BEGIN { printf "%.3f", 1700000000 + m / 1000 }')
		e=$(awk -v m="${w##*:}" 'BEGIN { printf "%.3f", 1700000000 + m / 1000 }')
		pkslice -s "$s" -e "$e" "$D/bs/in.pcap" >"$D/bs/o.pcap"
		editcap -A "$s" -B "$e" "$D/bs/in.pcap" "$D/bs/e.pcap"
		[ "$(pcap_text "$D/bs/o.pcap")" = "$(pcap_text "$D/bs/e.pcap")" ] || { echo "window $w"; return 1; }
	done
	# packets out of time order by up to 0.3 s: still exact without an index
	reorder "$D/bs/in.pcap" "$D/bs/sh.pcap" 300
	pkslice -s 1700000010 -e 1700000012 "$D/bs/sh.pcap" >"$D/bs/o.pcap"
	editcap -A 1700000010 -B 1700000012 "$D/bs/sh.pcap" "$D/bs/e.pcap"
	[ "$(pcap_text "$D/bs/o.pcap")" = "$(pcap_text "$D/bs/e.pcap")" ]
	# out of order by 5 s: exact with an index, whatever the order
	reorder "$D/bs/in.pcap" "$D/bs/far.pcap" 5000
	pkindex -d "$D/bs" "$D/bs/far.pcap"
	pkslice -s 1700000010 -e 1700000012 "$D/bs/far.pcap" >"$D/bs/o.pcap"
	editcap -A 1700000010 -B 1700000012 "$D/bs/far.pcap" "$D/bs/e.pcap"
	[ "$(pcap_text "$D/bs/o.pcap" | sort)" = "$(pcap_text "$D/bs/e.pcap" | sort)" ]
}

@test "a packet longer than the header's snaplen: header mended in a file, warned in a pipe" {
	printf 'header\nopen 1 1 20 0 /x.pcap\npacket 1 1 %s\n' "$ETH" | "$CRAFT" >"$D/s.pk"
	run pkslice -w "$D/o.pcap" <"$D/s.pk"
	assert_success
	run tcpdump -r "$D/o.pcap" -nn
	assert_output --partial "snapshot length 262144"
	assert_output --partial "IP 10.0.0.1 > 10.0.0.2"
	run bash -c "'$PK_BIN/pkslice' <'$D/s.pk' | cat >/dev/null"
	assert_output --partial "exceeds the snapshot length 20"
}

@test "many files, few descriptors: files are opened when their packets are due" {
	mkdir -p "$D/many"
	for i in $(seq 10 49); do
		"$GEN" -n 3 -s "$i" -t "17000000$i" "$D/many/f$i.pcap"
	done
	{ echo header; echo "note 5 0 $D/many"
	  for i in $(seq 10 49); do echo "open $i 1 0 0 $D/many/f$i.pcap"; locs "$i" "$D/many/f$i.pcap" 1 2 3; done
	} | "$CRAFT" >"$D/s.pk"
	(ulimit -n 12 && pkslice <"$D/s.pk" >"$D/loc.pcap")
	(ulimit -n 12 && pkslice "$D"/many/f*.pcap >"$D/scan.pcap")
	[ "$(pcap_text "$D/loc.pcap" | grep -c '^17')" -eq 120 ]
	cmp "$D/loc.pcap" "$D/scan.pcap"
	# ranges carry no time: their files too wait for their turn (a broad query over a month once failed so)
	{ echo header; echo "note 5 0 $D/many"
	  for i in $(seq 10 49); do echo "open $i 1 0 0 $D/many/f$i.pcap"; echo "range $i 24 $(stat -c %s "$D/many/f$i.pcap")"; done
	} | "$CRAFT" >"$D/r.pk"
	(ulimit -n 12 && pkslice <"$D/r.pk" >"$D/range.pcap")
	cmp "$D/range.pcap" "$D/scan.pcap"
	# 40 files at once would not fit in 12 descriptors: prove the limit bites
	run bash -c "ulimit -n 12; exec 3<'$D/many/f10.pcap' 4<'$D/many/f11.pcap' 5<'$D/many/f12.pcap' \
	    6<'$D/many/f13.pcap' 7<'$D/many/f14.pcap' 8<'$D/many/f15.pcap' 9<'$D/many/f16.pcap' \
	    10<'$D/many/f17.pcap' 11<'$D/many/f18.pcap' 12<'$D/many/f19.pcap'"
	assert_failure
}

@test "pkfind | pkslice gives what tcpdump selects from the archive's files" {
	need_cmd mergecap
	mkdir -p "$D/arc"
	"$GEN" -n 400 -t 1700000000 -i 100 -s 1 "$D/arc/one.pcap"
	"$GEN" -n 300 -t 1700000000 -i 130 -s 2 "$D/arc/two.pcap"
	pkindex -d "$D/arc" "$D/arc/one.pcap"
	q='tcp port 445 or (udp and src net 10.0.0.0/24)'
	pkfind -d "$D/arc" "$q" 2>/dev/null | pkslice >"$D/o.pcap"
	mergecap -F pcap -w "$D/m.pcap" "$D/arc/one.pcap" "$D/arc/two.pcap"
	tcpdump -r "$D/m.pcap" -w "$D/e.pcap" "$q" 2>/dev/null
	[ "$(pcap_text "$D/e.pcap" | grep -c '^1700')" -gt 10 ]
	[ "$(pcap_text "$D/o.pcap")" = "$(pcap_text "$D/e.pcap")" ]
}

@test "locations: a .pcap.part published since the query is read under its final name" {
	mkdir -p "$D/arc/2023-11-14"
	F=20231114T221320.000000000Z
	cp "$D/a.pcap" "$D/arc/2023-11-14/$F-20231114T221320.019000000Z.pcap"
	{ echo header; echo "note 5 0 $D/arc"; echo "open 1 1 0 0 $D/arc/2023-11-14/$F.pcap.part"
	  locs 1 "$D/a.pcap" 2 3; } | "$CRAFT" >"$D/s.pk"
	pkslice <"$D/s.pk" >"$D/o.pcap"
	[ "$(pcap_text "$D/o.pcap")" = "$(pick "$D/a.pcap" 2 3)" ]
	# two candidates: no guessing
	cp "$D/a.pcap" "$D/arc/2023-11-14/$F-20231114T221320.019000000Z.1.pcap"
	run pkslice -w "$D/o.pcap" <"$D/s.pk"
	assert_failure 66
	assert_output --partial "no such file"
}

@test "locations: a packet whose time is not the located one is not written" {
	records "$D/a.pcap" >"$D/recs"
	off=$(sed -n 2p "$D/recs" | cut -d' ' -f1)
	{ echo header; echo "note 5 0 $D"; echo "open 1 1 0 0 $D/a.pcap"; locs 1 "$D/a.pcap" 1 3
	  echo "loc 1 $off 1234"; } | "$CRAFT" >"$D/s.pk"
	run pkslice -w "$D/o.pcap" <"$D/s.pk"
	assert_failure 65
	assert_output --partial "time differs"
	[ "$(pcap_text "$D/o.pcap")" = "$(pick "$D/a.pcap" 1 3)" ]
}

# ---- dense answers: runs copied as they lie (slice_bulk.c) ----

# same_records A B: the pcap records of A and B byte for byte (their file headers aside)
same_records() {
	cmp <(tail -c +25 "$1") <(tail -c +25 "$2")
}

# dense_archive: three files in time order, as an archive rotates them
# (one without index), and their concatenation for tcpdump (all.pcap)
dense_archive() {
	mkdir -p "$D/arc"
	"$GEN" -n 3000 -t 1700000000 -i 100 -s 1 "$D/arc/a1.pcap"
	"$GEN" -n 2000 -t 1700000001 -i 130 -s 2 "$D/arc/a2.pcap"
	"$GEN" -n 2000 -t 1700000002 -i 90 -s 3 -m tcp,udp,arp "$D/arc/a3.pcap"
	pkindex -d "$D/arc" "$D/arc/a1.pcap" "$D/arc/a3.pcap"
	mergecap -a -F pcap -w "$D/all.pcap" "$D/arc/a1.pcap" "$D/arc/a2.pcap" "$D/arc/a3.pcap"
}

@test "dense answers (a range with a bitmap, every packet) are tcpdump's records byte for byte, to a pipe and to a file" {
	dense_archive
	# tcp 13 %, udp and not arp most of a file, '' every packet (exact), icmp 7 %: ranges with bitmaps
	for q in tcp udp 'not arp' '' icmp 'tcp or arp'; do
		tcpdump -r "$D/all.pcap" -w "$D/e.pcap" "$q" 2>/dev/null
		m=$(tcpdump -r "$D/e.pcap" 2>/dev/null | wc -l)
		[ "$m" -gt 200 ]
		pkfind -q -d "$D/arc" "$q" >"$D/s.pk"
		# the indexed files as ranges, a location (32 bytes) per packet only for the scanned one
		m2=$(tcpdump -r "$D/arc/a2.pcap" "$q" 2>/dev/null | wc -l)
		[ "$(stat -c %s "$D/s.pk")" -lt $((32 * m2 + 32 * (m - m2) / 2 + 4096)) ]
		pkslice <"$D/s.pk" | cat >"$D/p.pcap"
		same_records "$D/p.pcap" "$D/e.pcap"
		pkslice -w "$D/f.pcap" <"$D/s.pk"
		same_records "$D/f.pcap" "$D/e.pcap"
		cmp "$D/p.pcap" "$D/f.pcap"
	done
}

@test "dense answers over files that overlap in time: merged as the packet-by-packet path merges them" {
	mkdir -p "$D/arc"
	"$GEN" -n 3000 -t 1700000000 -i 100 -s 1 "$D/arc/a1.pcap"
	"$GEN" -n 2000 -t 1700000000 -i 130 -s 2 "$D/arc/a2.pcap"
	"$GEN" -n 2000 -t 1700000000 -i 170 -s 3 -m tcp,udp,arp "$D/arc/a3.pcap"
	pkindex -d "$D/arc" "$D/arc/a1.pcap" "$D/arc/a3.pcap"
	mergecap -F pcap -w "$D/m.pcap" "$D/arc/"*.pcap
	for q in tcp udp 'not arp' ''; do
		pkfind -q -d "$D/arc" "$q" | pkslice >"$D/o.pcap"
		# -n: a location per packet, read one by one: the ordinary path, the oracle of the merge
		pkfind -q -n 1000000 -d "$D/arc" "$q" | pkslice >"$D/n.pcap"
		same_records "$D/o.pcap" "$D/n.pcap"
		# and the packets are tcpdump's (mergecap orders equal times its own way)
		tcpdump -r "$D/m.pcap" -w "$D/e.pcap" "$q" 2>/dev/null
		[ "$(pcap_text "$D/o.pcap" | sort)" = "$(pcap_text "$D/e.pcap" | sort)" ]
		[ "$(pcap_text "$D/o.pcap" | grep -c '^1700')" -gt 300 ]
	done
}

@test "dense answers: a time window cuts runs in the middle; -n and -r -n end inside a run" {
	dense_archive
	# from packet 1001 of a1.pcap to packet 501 of a3.pcap: both cut inside runs
	records "$D/arc/a1.pcap" >"$D/r1"
	records "$D/arc/a3.pcap" >"$D/r3"
	s=$(sed -n 1001p "$D/r1" | cut -d' ' -f2)
	e=$(sed -n 501p "$D/r3" | cut -d' ' -f2)
	S=$(printf '%d.%09d' $((s / 1000000000)) $((s % 1000000000)))
	E=$(printf '%d.%09d' $((e / 1000000000)) $((e % 1000000000)))
	for q in tcp 'not arp' ''; do
		pkfind -q -d "$D/arc" -s "@$S" -e "@$E" "$q" | pkslice >"$D/o.pcap"
		editcap -F pcap -A "$S" -B "$E" "$D/all.pcap" "$D/win.pcap" >/dev/null
		if [ -n "$q" ]; then tcpdump -r "$D/win.pcap" -w "$D/e.pcap" "$q" 2>/dev/null; else cp "$D/win.pcap" "$D/e.pcap"; fi
		# editcap -A/-B: [start, end), as pk's window
		[ "$(tcpdump -r "$D/e.pcap" 2>/dev/null | wc -l)" -gt 100 ]
		same_records "$D/o.pcap" "$D/e.pcap"
		# a slice's -s/-e cut the runs too
		pkfind -q -d "$D/arc" "$q" | pkslice -s "$S" -e "$E" >"$D/o2.pcap"
		same_records "$D/o2.pcap" "$D/e.pcap"
	done
	# -n 777: the first 777 tcp packets (the limit falls inside a run of one.pcap or two.pcap)
	tcpdump -r "$D/all.pcap" -w "$D/t.pcap" tcp 2>/dev/null
	pkfind -q -n 777 -d "$D/arc" tcp | pkslice >"$D/o.pcap"
	editcap -F pcap -r "$D/t.pcap" "$D/e.pcap" 1-777 >/dev/null
	same_records "$D/o.pcap" "$D/e.pcap"
	# -r -n 777: the last 777, in time order
	t=$(tcpdump -r "$D/t.pcap" 2>/dev/null | wc -l)
	pkfind -q -r -n 777 -d "$D/arc" tcp | pkslice >"$D/o.pcap"
	editcap -F pcap -r "$D/t.pcap" "$D/e.pcap" $((t - 776))-"$t" >/dev/null
	same_records "$D/o.pcap" "$D/e.pcap"
}

@test "dense answers: unsure packets (headers cut by a short snaplen), cut records, nanoseconds, big-endian" {
	mkdir -p "$D/arc"
	# snaplen 38: the index cannot judge the packets, every one is a candidate, BPF decides
	"$GEN" -n 2000 -t 1700000000 -i 100 -s 4 -S 38 "$D/arc/short.pcap"
	pkindex -d "$D/arc" "$D/arc/short.pcap"
	for q in tcp udp ''; do
		pkfind -q -d "$D/arc" "$q" | pkslice >"$D/o.pcap"
		tcpdump -r "$D/arc/short.pcap" -w "$D/e.pcap" "$q" 2>/dev/null
		[ "$(tcpdump -r "$D/e.pcap" 2>/dev/null | wc -l)" -gt 200 ]
		same_records "$D/o.pcap" "$D/e.pcap"
	done
	# a header snaplen of 60 below the records' lengths: libpcap cuts them, so does pkslice
	"$GEN" -n 500 -t 1700000000 -i 100 -s 5 "$D/cut.pcap"
	perl -e 'open(my $f, "+<", $ARGV[0]) or die; seek($f, 16, 0); print $f pack("V", 60)' "$D/cut.pcap"
	pkslice "$D/cut.pcap" >"$D/o.pcap"
	tcpdump -r "$D/cut.pcap" -w "$D/e.pcap" 2>/dev/null
	same_records "$D/o.pcap" "$D/e.pcap"
	[ "$(od -A n -t u4 -j 8 -N 4 "$D/o.pcap" | tr -d ' ')" -le 60 ] # the first record was cut
	# nanosecond and big-endian files sliced whole: the records as libpcap gives them
	"$GEN" -N -n 500 -t 1700000000 -i 100 -s 6 "$D/ns.pcap"
	"$GEN" -E -n 500 -t 1700000000 -i 100 -s 7 "$D/be.pcap"
	for f in ns be; do
		pkslice "$D/$f.pcap" >"$D/o.pcap"
		[ "$(pcap_text "$D/o.pcap")" = "$(pcap_text "$D/$f.pcap")" ]
	done
	pkslice "$D/ns.pcap" | cmp - "$D/ns.pcap"
}

@test "dense answers: no system call per packet (strace)" {
	need_cmd strace
	mkdir -p "$D/arc"
	"$GEN" -n 40000 -t 1700000000 -i 100 -s 8 "$D/arc/big.pcap"
	pkindex -d "$D/arc" "$D/arc/big.pcap"
	for q in tcp 'not arp' ''; do
		pkfind -q -d "$D/arc" "$q" >"$D/s.pk"
		# the reads and writes only: a sanitizer's start-up calls are not the point
		strace -f -c -e trace=read,pread64,readv,preadv,write,writev,pwrite64 -o "$D/st" \
		    pkslice -w "$D/o.pcap" <"$D/s.pk"
		n=$(tcpdump -r "$D/o.pcap" 2>/dev/null | wc -l)
		calls=$(awk '$NF == "total" { print $(NF - 2) }' "$D/st")
		[ "$n" -gt 4000 ]
		[ "$calls" -gt 0 ]
		[ "$calls" -lt $((n / 20)) ]
	done
}

@test "dense answers over mixed link types (pcapng) and mixed precisions: the packet-by-packet path's output" {
	mkdir -p "$D/arc"
	"$GEN" -n 2000 -t 1700000000 -i 100 -s 1 "$D/arc/a1.pcap"
	"$GEN" -l 113 -n 2000 -t 1700000001 -i 100 -s 2 "$D/arc/a2.pcap"
	"$GEN" -N -n 2000 -t 1700000002 -i 100 -s 3 "$D/arc/a3.pcap"
	pkindex -d "$D/arc" "$D/arc/a1.pcap" "$D/arc/a2.pcap" "$D/arc/a3.pcap"
	for q in tcp 'not arp' ''; do
		pkfind -q -d "$D/arc" "$q" >"$D/s.pk"
		pkslice <"$D/s.pk" >"$D/o.pcapng" 2>"$D/err"
		grep -q 'writing pcapng' "$D/err"
		pkfind -q -n 1000000 -d "$D/arc" "$q" | pkslice >"$D/n.pcapng" 2>/dev/null
		cmp "$D/o.pcapng" "$D/n.pcapng"
		# tcpdump reads one link type per pcapng: capinfos counts, the -n path vouches for the bytes
		n=$(for f in a1 a2 a3; do tcpdump -r "$D/arc/$f.pcap" $q 2>/dev/null; done | wc -l)
		[ "$n" -gt 600 ]
		[ "$(capinfos -M -c "$D/o.pcapng" | awk -F': *' '/Number of packets/ { print $2 }')" = "$n" ]
		# a classic pcap asked for: refused, as packet by packet
		run pkslice -o pcap -w "$D/x.pcap" <"$D/s.pk"
		assert_failure 65
	done
	# the microsecond file and the nanosecond one: a nanosecond pcap, the same bytes either way
	rm "$D/arc/a2.pcap" "$D/arc/a2.pcap.idx"
	for q in tcp ''; do
		pkfind -q -d "$D/arc" "$q" | pkslice >"$D/o.pcap"
		pkfind -q -n 1000000 -d "$D/arc" "$q" | pkslice >"$D/n.pcap"
		[ "$(magic "$D/o.pcap")" = a1b23c4d ]
		cmp "$D/o.pcap" "$D/n.pcap"
		[ "$(pcap_text "$D/o.pcap")" = "$(for f in a1 a3; do pcap_text "$D/arc/$f.pcap" $q; done)" ]
	done
}

@test "dense answers with -x: the index's candidates, as when located one by one" {
	mkdir -p "$D/arc"
	"$GEN" -n 3000 -t 1700000000 -i 100 -s 1 "$D/arc/a1.pcap"
	"$GEN" -n 2000 -t 1700000001 -i 100 -s 4 -S 38 "$D/arc/a2.pcap"
	pkindex -d "$D/arc" "$D/arc/a1.pcap" "$D/arc/a2.pcap"
	for q in tcp udp 'not arp'; do
		pkfind -q -x -d "$D/arc" "$q" | pkslice >"$D/o.pcap"
		pkfind -q -x -n 1000000 -d "$D/arc" "$q" | pkslice >"$D/n.pcap"
		cmp "$D/o.pcap" "$D/n.pcap"
		# a2's headers are cut: every packet is a candidate, more than tcpdump selects
		[ "$(tcpdump -r "$D/o.pcap" 2>/dev/null | wc -l)" -ge 2000 ]
	done
}

@test "ranges with a bitmap of candidates: only those, filtered unless exact; a location inside adds to them" {
	size=$(stat -c %s "$D/a.pcap")
	# 20 records: candidates 2, 3, 4, 9 and 17 to 20
	bits=01110000100000001111
	craft() { { echo header; echo "note 5 0 $D"; echo "open 1 1 0 0 $D/a.pcap"; cat; } | "$CRAFT"; }
	echo "brange 1 24 $size 1 $bits" | craft | pkslice >"$D/o.pcap"
	[ "$(pcap_text "$D/o.pcap")" = "$(pick "$D/a.pcap" 2-4 9 17-20)" ]
	# not exact: the filter decides on the candidates only
	{ echo "filter 1 0 0 tcp"; echo "brange 1 24 $size 0 $bits"; } | craft | pkslice >"$D/t.pcap"
	pick "$D/a.pcap" 2-4 9 17-20 >/dev/null
	tcpdump -r "$D/pick.pcap" -w "$D/pt.pcap" tcp 2>/dev/null
	[ "$(pcap_text "$D/t.pcap")" = "$(pcap_text "$D/pt.pcap")" ]
	# exact: no filter on them
	{ echo "filter 1 0 0 tcp"; echo "brange 1 24 $size 1 $bits"; } | craft | pkslice >"$D/x.pcap"
	[ "$(pcap_text "$D/x.pcap")" = "$(pick "$D/a.pcap" 2-4 9 17-20)" ]
	# a shorter bitmap: the records past it are not candidates
	echo "brange 1 24 $size 1 0111" | craft | pkslice >"$D/s.pcap"
	[ "$(pcap_text "$D/s.pcap")" = "$(pick "$D/a.pcap" 2-4)" ]
	# a location inside the range the bitmap leaves out: every record is a candidate then
	{ echo "brange 1 24 $size 1 $bits"; locs 1 "$D/a.pcap" 6; } | craft | pkslice >"$D/l.pcap"
	[ "$(pcap_text "$D/l.pcap")" = "$(pcap_text "$D/a.pcap")" ]
	# a bitmap cut short by its record's length is malformed: counted, exit 65
	printf 'header\nnote 5 0 %s\nopen 1 1 0 0 %s\nrange 1 24 %s\n' "$D" "$D/a.pcap" "$size" | "$CRAFT" >"$D/b.pk"
	# flags at body offset 4 (record offset 12 of the last record): RANGE_BITS without a bitmap
	n=$(stat -c %s "$D/b.pk")
	printf '\002' | dd of="$D/b.pk" bs=1 seek=$((n - 32 + 12)) conv=notrunc status=none
	run pkslice -w "$D/b.pcap" <"$D/b.pk"
	assert_failure 65
}

@test "dense answers as pcapng and as a stream (the packet-by-packet path) hold the pcap's packets" {
	dense_archive
	for q in tcp ''; do
		pkfind -q -d "$D/arc" "$q" >"$D/s.pk"
		pkslice <"$D/s.pk" >"$D/a.pcap"
		[ "$(tcpdump -r "$D/a.pcap" 2>/dev/null | wc -l)" -gt 1000 ]
		pkslice -o stream <"$D/s.pk" | pkslice >"$D/b.pcap"
		cmp "$D/a.pcap" "$D/b.pcap"
		pkslice -o pcapng <"$D/s.pk" >"$D/c.pcapng"
		[ "$(pcap_text "$D/a.pcap")" = "$(pcap_text "$D/c.pcapng")" ]
	done
}
