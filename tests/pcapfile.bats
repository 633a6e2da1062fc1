#!/usr/bin/env bats
# pcapfile: pk's one classic-pcap reader (libcommon/io/pcapfile.c) against
# libpcap, record by record (tests/tools/pcapcmp), on crafted files and on
# ../shared/pcaps; and the programs that read pcaps through it against
# tcpdump on the records that used to be read differently: times from 2038
# on, fractions of a second of 10^6 us or 10^9 ns and more, records longer
# than the snaplen, caplen 0, old versions.
load helpers
load lib/pcapfile

setup() {
	need_cmd tcpdump
	[ -x "$PK_TOOLS/pcapcmp" ] || fail "pcapcmp not built (make)"
	T=$BATS_TEST_TMPDIR
	C=$PK_TOOLS/pcapcmp
}

# agree FILE: libpcap and pk agree, by pread and through a pipe
agree() {
	run "$C" "$1"
	[ "$status" -eq 0 ] || { echo "$1: $output"; return 1; }
	run "$C" -p "$1"
	[ "$status" -eq 0 ] || { echo "$1 (pipe): $output"; return 1; }
}

@test "crafted files: pk reads every record as libpcap does" {
	local f
	mkpcap "$T/t2038.pcap" 0x7fffff00:1 0x80000001:2 0xa0000000:3 0xfffffff0:4
	mkpcap "$T/t2038-ns-be.pcap" -b -n 0x80000000:999999999 0xffffffff:0
	mkpcap "$T/frac.pcap" 100:1 101:1500000 102:999999 103:0xffffffff
	mkpcap "$T/frac-ns.pcap" -n 100:1 101:1000000000 102:0xffffffff
	mkpcap "$T/snap.pcap" -s 40 1:0 2:0 3:0:20
	mkpcap "$T/snap0.pcap" -s 0 1:0 2:0::1000
	mkpcap "$T/cap0.pcap" 1:0:0:0 2:0:0:60 3:0
	mkpcap "$T/v22.pcap" -v 2.2 1:0:60:60 2:0:80:60:60
	mkpcap "$T/v23.pcap" -b -v 2.3 1:0:60:60 2:0:80:60:60 3:0:40:60:40
	mkpcap "$T/v543.pcap" -v 543.0 1:0:60:60
	mkpcap "$T/fcs.pcap" -l 0x30000001 1:0 2:0
	mkpcap "$T/dbus.pcap" -l 231 -s 0 1:0:300000::300000 2:0
	mkpcap "$T/toobig.pcap" 1:0 2:0:300000::100 3:0
	mkpcap "$T/tail.pcap" 1:0 2:0:60:60:30
	mkpcap "$T/cuttail.pcap" -s 40 1:0 2:0:60:60:50
	mkpcap "$T/v25.pcap" -v 2.5 1:0
	mkpcap "$T/v14.pcap" -v 1.4 1:0
	for f in "$T"/*.pcap; do
		agree "$f"
	done
	# the cases are what they say: libpcap reads them so
	run "$C" "$T/t2038.pcap"
	assert_output "4 records agree, both end cleanly"
	run "$C" "$T/frac.pcap"
	assert_output "4 records agree, both end cleanly"
	run "$C" "$T/dbus.pcap"
	assert_output "2 records agree, both end cleanly"
	run "$C" "$T/toobig.pcap"
	assert_output --partial "1 records agree, both stop: libpcap: invalid packet capture length 300000"
	run "$C" "$T/cuttail.pcap"
	assert_output --partial "1 records agree, both stop: libpcap: truncated dump file"
	run "$C" "$T/v25.pcap"
	assert_output --partial "both refuse the file"
}

@test "../shared/pcaps: pk reads every classic pcap as libpcap does, record by record" {
	need_shared
	local f x n=0 m
	while IFS= read -r f; do
		x=$f
		case $f in *.gz) x=$(shared_pcap "${f#"$SHARED_PCAPS"/}") ;; esac
		m=$(od -An -tx4 -N4 "$x" | tr -d ' ')
		case $m in a1b2c3d4|d4c3b2a1|a1b23c4d|4d3cb2a1) ;; *) continue ;; esac
		agree "$x"
		n=$((n + 1))
	done < <(find "$SHARED_PCAPS/odd" "$SHARED_PCAPS/real" -type f \( -name '*.pcap' -o -name '*.pcap.gz' \) | sort)
	echo "# $n classic pcaps compared" >&3
	[ "$n" -ge 100 ]
}

@test "times from 2038 on: pkread | pkrotate archives every packet (item 5)" {
	mkpcap "$T/t.pcap" 0x7fffff00:5 0x80000001:5 0xa0000000:5 0xfffffff0:5
	run bash -c "pkread -r '$T/t.pcap' | pkrotate -d '$T/a' -G 86400 >/dev/null"
	assert_success
	refute_output --partial "beyond 2106"
	# a file per day, four records in all
	n=0
	for f in "$T"/a/*/*.pcap; do
		n=$((n + $(rec_count "$f")))
	done
	[ "$n" -eq 4 ]
	ls "$T"/a | grep -q '^2038-01-19$'
	ls "$T"/a | grep -q '^2106-02-07$'
	# in place: the index and pkread agree
	mkdir "$T/d" && cp "$T/t.pcap" "$T/d/"
	pkindex -d "$T/d" "$T/d/t.pcap"
	[ "$(pkfind -d "$T/d" -c '' 2>/dev/null)" = 4 ]
	[ "$(pkfind -d "$T/d" -s 2106-01-01T00:00:00Z -c '' 2>/dev/null)" = 1 ]
}

@test "a fraction of 10^6 us or more: indexed and sliced, not the end of the file (item 6)" {
	mkdir "$T/d"
	mkpcap "$T/d/f.pcap" 100:1 101:1500000 102:999999 103:7
	run pkindex -d "$T/d" "$T/d/f.pcap"
	assert_success
	assert_output ""
	pkindex --dump "$T/d/f.pcap.idx" | grep -qx "packets 4"
	# the time is sec + frac: 101 + 1.5 s
	pkindex --dump "$T/d/f.pcap.idx" | grep -qx "packet 1 offset 100 time 102.500000000"
	[ "$(pkfind -d "$T/d" -c '' 2>/dev/null)" = 4 ]
	[ "$(pkfind -d "$T/d" -c 'tcp' 2>/dev/null)" = "$(tcpdump -r "$T/d/f.pcap" tcp 2>/dev/null | wc -l)" ]
	run bash -c "pkslice '$T/d/f.pcap' | tcpdump -r - -nn 2>/dev/null | wc -l"
	assert_success
	assert_output 4
}

@test "records longer than the snaplen are cut as libpcap cuts them; caplen 0 is a record (items 6, 13)" {
	mkdir "$T/d"
	# 60-byte SYNs in a file whose snaplen is 40: the TCP flags are not there
	mkpcap "$T/d/s.pcap" -s 40 1:0 2:0 3:0 4:0:0:60
	[ "$(tcpdump -r "$T/d/s.pcap" 'tcp[13]&2!=0' 2>/dev/null | wc -l)" -eq 0 ]
	[ "$(tcpdump -r "$T/d/s.pcap" 2>/dev/null | wc -l)" -eq 4 ]
	pkindex -d "$T/d" "$T/d/s.pcap"
	[ "$(pkfind -d "$T/d" -c 'tcp[13]&2!=0' 2>/dev/null)" = 0 ]
	[ "$(pkfind -d "$T/d" -c 'tcp' 2>/dev/null)" = "$(tcpdump -r "$T/d/s.pcap" tcp 2>/dev/null | wc -l)" ]
	# pkslice FILE writes what tcpdump reads: 40 bytes each, and the empty record
	pkslice "$T/d/s.pcap" >"$T/out.pcap"
	pcap_text "$T/d/s.pcap" >"$T/want"
	pcap_text "$T/out.pcap" >"$T/got"
	cmp "$T/want" "$T/got"
	pkread -r "$T/d/s.pcap" | pkslice >"$T/out2.pcap"
	pcap_text "$T/out2.pcap" | cmp "$T/want" -
}
