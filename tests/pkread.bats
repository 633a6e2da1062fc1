#!/usr/bin/env bats
# pkread: pcap/pcapng files and live interfaces into the pk stream, pkread(1).
# Files come from pkgen; stream contents are checked with an independent
# perl reader (tests/lib/pkread.bash), round trips with pkslice + tcpdump.
load helpers
load lib/pkread

setup_file() {
	# one pair of namespaces for the live cases (root only)
	if [ "$(id -u)" = 0 ] && command -v ip >/dev/null 2>&1; then
		ns_setup || { ns_teardown; return 1; }
	fi
}

teardown_file() {
	ns_teardown
}

setup() {
	[ -x "$PK_TOOLS/pkgen" ] || fail "pkgen not built (make)"
	T=$BATS_TEST_TMPDIR
}

teardown() {
	# a live case that failed half-way must not leave a capture running
	[ -n "${CAP:-}" ] && kill "$CAP" 2>/dev/null
	return 0
}

# ---- pkgen, the capture generator every suite uses ----

@test "pkgen: same options give the same bytes; tcpdump reads every packet" {
	gen "$T/a.pcap" -n 300
	gen "$T/b.pcap" -n 300
	gen "$T/c.pcap" -n 300 -s 9
	cmp "$T/a.pcap" "$T/b.pcap"
	! cmp -s "$T/a.pcap" "$T/c.pcap" || false
	[ "$(tcpdump -r "$T/a.pcap" -nn 2>/dev/null | wc -l)" -eq 300 ]
	# the mix: all kinds tests query for
	run tcpdump -r "$T/a.pcap" -nn -e
	assert_output --partial "802.1Q-QinQ"
	assert_output --partial "vlan 10"
	assert_output --partial "MPLS"
	assert_output --partial "Request who-has"
	assert_output --partial "ICMP6"
	assert_output --partial "HBH frag"
	assert_output --partial "sctp"
	assert_output --partial "10.0.0."
	assert_output --partial "2001:db8::"
}

@test "pkgen: link types 113 276 101 0, -N nanoseconds, -E big-endian, -S snaplen" {
	local lt name
	for lt in 1:EN10MB 113:LINUX_SLL 276:LINUX_SLL2 101:RAW 0:NULL; do
		name=${lt#*:}
		gen "$T/l.pcap" -n 40 -l "${lt%%:*}"
		run tcpdump -r "$T/l.pcap" -nn
		assert_output --partial "link-type $name "
		[ "$(grep -c . <<<"$output")" -ge 40 ]
	done
	gen "$T/n.pcap" -n 10 -N -E -S 100 -t 1800000000 -i 5000
	run capinfos -M "$T/n.pcap"
	assert_output --regexp "precision: +nanoseconds"
	run pcap_text "$T/n.pcap"
	assert_line --partial "1800000000.00"
	run od -An -tx1 -N4 "$T/n.pcap"
	assert_output " a1 b2 3c 4d"
	[ "$(tcpdump -r "$T/n.pcap" -nn 2>/dev/null | grep -c .)" -eq 10 ]
	run "$PK_TOOLS/pkgen" -m nosuchkind "$T/x.pcap"
	assert_failure 64
}

# ---- files ----

@test "pkread -r: a µs pcap round-trips through pkslice unchanged" {
	gen "$T/a.pcap" -n 1000
	pkread -r "$T/a.pcap" | pkslice >"$T/out.pcap"
	[ "$(pcap_text "$T/a.pcap" | md5sum)" = "$(pcap_text "$T/out.pcap" | md5sum)" ]
	[ "$(pcap_text "$T/out.pcap" | grep -c '^17')" -eq 1000 ]
}

@test "pkread -r: a ns big-endian pcap keeps ns (HDR_NSEC, PKT_NSEC) and round-trips" {
	gen "$T/n.pcap" -n 500 -N -E
	pkread -r "$T/n.pcap" >"$T/s"
	run stream_dump <"$T/s"
	assert_line --index 0 "HEADER flags=1 pkread"
	assert_line --regexp "^FILE_OPEN 0 1 262144 3 /"
	# every packet: linktype 1, source 0, PKT_NSEC, a ts that is not whole µs
	[ "$(grep -c '^PACKET [0-9]* [0-9]* [0-9]* 1 0 1 ' <<<"$output")" -eq 500 ]
	[ "$(grep '^PACKET' <<<"$output" | awk 'substr($2, length($2) - 2) != "000"' | grep -c .)" -eq 500 ]
	pkslice <"$T/s" >"$T/out.pcap"
	[ "$(pcap_text "$T/n.pcap" | md5sum)" = "$(pcap_text "$T/out.pcap" | md5sum)" ]
}

@test "pkread -r: cooked, raw-IP and BSD-loopback link types keep their LINKTYPE value" {
	local lt
	for lt in 113 276 101 0; do
		gen "$T/l.pcap" -n 60 -l $lt
		pkread -r "$T/l.pcap" >"$T/s"
		run stream_dump <"$T/s"
		assert_line --regexp "^FILE_OPEN 0 $lt 262144 2 "
		[ "$(grep -c "^PACKET [0-9]* [0-9]* [0-9]* $lt 0 0 " <<<"$output")" -eq 60 ]
		pkslice <"$T/s" >"$T/out.pcap"
		[ "$(pcap_text "$T/l.pcap" | md5sum)" = "$(pcap_text "$T/out.pcap" | md5sum)" ]
	done
}

@test "pkread -r: pcapng is read (no locations) and if_tsresol decides ns" {
	need_cmd editcap
	gen "$T/u.pcap" -n 100
	gen "$T/n.pcap" -n 100 -N -l 101
	editcap -F pcapng "$T/u.pcap" "$T/u.pcapng"
	editcap -F pcapng "$T/n.pcap" "$T/n.pcapng"
	run bash -c "pkread -r '$T/u.pcapng' | stream_dump"
	assert_line --index 0 "HEADER flags=0 pkread"
	refute_output --partial "FILE_OPEN"
	refute_output --partial "loc="
	[ "$(grep -c '^PACKET [0-9]* [0-9]* [0-9]* 1 0 0$' <<<"$output")" -eq 100 ]
	run bash -c "pkread -r '$T/n.pcapng' | stream_dump"
	assert_line --index 0 "HEADER flags=1 pkread"
	[ "$(grep -c '^PACKET [0-9]* [0-9]* [0-9]* 101 0 1$' <<<"$output")" -eq 100 ]
	pkread -r "$T/n.pcapng" | pkslice >"$T/out.pcap"
	[ "$(pcap_text "$T/n.pcap" | md5sum)" = "$(pcap_text "$T/out.pcap" | md5sum)" ]
}

@test "pkread -r A -r B -r C: files in order, source = file index, one FILE_OPEN/CLOSE each" {
	gen "$T/a.pcap" -n 30 -t 1700000000
	gen "$T/b.pcap" -n 20 -t 1600000000 -N
	gen "$T/c.pcap" -n 10 -t 1750000000 -l 113
	pkread -r "$T/a.pcap" -r "$T/b.pcap" -r "$T/c.pcap" >"$T/s"
	stream_dump <"$T/s" | awk '{ print $1, ($1 == "PACKET" ? $6 : $2) }' | uniq -c >"$T/shape"
	run cat "$T/shape"
	assert_output "      1 HEADER flags=1
      1 FILE_OPEN 0
     30 PACKET 0
      1 FILE_CLOSE 0
      1 FILE_OPEN 1
     20 PACKET 1
      1 FILE_CLOSE 1
      1 FILE_OPEN 2
     10 PACKET 2
      1 FILE_CLOSE 2"
	# only b is ns: per-packet flags follow the file
	run bash -c "stream_dump <'$T/s' | awk '\$1 == \"PACKET\" { print \$6, \$7 }' | uniq -c"
	assert_output "     30 0 0
     20 1 1
     10 2 0"
}

@test "pkread -r A B C EXPRESSION: operands that are files are inputs too (a shell glob works)" {
	gen "$T/a.pcap" -n 300 -t 1700000000
	gen "$T/b.pcap" -n 200 -t 1600000000
	want=$(( $(tcpdump -r "$T/a.pcap" -nn 'tcp port 80' 2>/dev/null | grep -c .) +
	    $(tcpdump -r "$T/b.pcap" -nn 'tcp port 80' 2>/dev/null | grep -c .) ))
	[ "$want" -gt 0 ]
	pkread -r "$T/a.pcap" "$T/b.pcap" 'tcp port 80' | stream_dump >"$T/d"
	[ "$(grep -c '^PACKET' "$T/d")" -eq "$want" ]
	[ "$(grep -c '^FILE_OPEN' "$T/d")" -eq 2 ]
	# no expression: every packet of both, in order
	pkread -r "$T/a.pcap" "$T/b.pcap" | stream_dump >"$T/d"
	[ "$(grep -c '^PACKET' "$T/d")" -eq 500 ]
	# an operand that is not a file starts the expression (a bad one is an error)
	run pkread -r "$T/a.pcap" "$T/nonexistent.pcap"
	assert_failure 65
}

@test "pkread -r -: standard input, no locations; a second - is refused" {
	gen "$T/a.pcap" -n 77 -N
	run bash -c "pkread -r - <'$T/a.pcap' | stream_dump"
	assert_success
	assert_line --index 0 "HEADER flags=1 pkread"
	refute_output --partial "FILE_OPEN"
	refute_output --partial "loc="
	[ "$(grep -c '^PACKET .* 1 0 1$' <<<"$output")" -eq 77 ]
	# and through a pipe, after a file
	run bash -c "cat '$T/a.pcap' | pkread -r '$T/a.pcap' -r - | stream_dump | awk '\$1 == \"PACKET\" { print \$6 }' | uniq -c"
	assert_output "     77 0
     77 1"
	run pkread -r - -r - </dev/null
	assert_failure 64
	assert_output --partial "only once"
}

@test "pkread -r: ANN_LOCATION is the offset of every record header; FILE_CLOSE counts the file" {
	local f
	gen "$T/a.pcap" -n 400
	gen "$T/b.pcap" -n 400 -N -E -S 90   # big-endian, many records cut at the snaplen
	for f in a b; do
		pkread -r "$T/$f.pcap" | stream_dump >"$T/d"
		grep -o 'loc=0:[0-9]*' "$T/d" | cut -d: -f2 >"$T/got"
		pcap_offsets "$T/$f.pcap" >"$T/want"
		[ "$(wc -l <"$T/want")" -eq 400 ]
		cmp "$T/got" "$T/want"
		first=$(awk '$1 == "PACKET" { print $2; exit }' "$T/d")
		last=$(awk '$1 == "PACKET" { t = $2 } END { print t }' "$T/d")
		run grep '^FILE_CLOSE' "$T/d"
		assert_output "FILE_CLOSE 0 0 400 $(stat -c %s "$T/$f.pcap") $first $last"
	done
	run grep -c '^PACKET [0-9]* 90 ' "$T/d"
	[ "$output" -gt 100 ]
	run grep '^FILE_OPEN' "$T/d"
	assert_output "FILE_OPEN 0 1 90 3 $T/b.pcap"
}

@test "pkread -r: records over the header's snaplen and a cut tail are read as libpcap reads them" {
	# pkread parses plain records itself and hands the others to libpcap at their offset
	gen "$T/a.pcap" -n 400
	cp "$T/a.pcap" "$T/s.pcap"
	printf '\x64\x00\x00\x00' | dd of="$T/s.pcap" bs=1 seek=16 conv=notrunc 2>/dev/null  # snaplen 100
	size=$(stat -c %s "$T/s.pcap")
	head -c $((size - 7)) "$T/s.pcap" >"$T/cut.pcap"
	n=$(pcap_offsets "$T/cut.pcap" | wc -l)
	[ "$n" -eq 399 ]
	run bash -c "pkread -r '$T/cut.pcap' 2>'$T/err' | stream_dump >'$T/d'; echo rc=\${PIPESTATUS[0]}"
	assert_output "rc=65"
	run cat "$T/err"
	assert_output --regexp "^pkread: $T/cut.pcap: truncated dump file"
	# every whole record, at its real offset; the long ones cut to 100 bytes, as libpcap does
	grep -o 'loc=0:[0-9]*' "$T/d" | cut -d: -f2 >"$T/got"
	pcap_offsets "$T/cut.pcap" | cmp - "$T/got"
	[ "$(grep -c '^PACKET [0-9]* 100 ' "$T/d")" -gt 50 ]
	[ "$(awk '$1 == "PACKET" && $3 > 100' "$T/d" | wc -l)" -eq 0 ]
	grep -q "^FILE_CLOSE 0 0 $n $(pcap_offsets "$T/s.pcap" | sed -n 400p) " "$T/d"
	# the same packets as tcpdump reads (bytes and lengths)
	pkread -r "$T/cut.pcap" 2>/dev/null | pkslice | tcpdump -r - -nn -tt -x 2>/dev/null >"$T/got.txt"
	tcpdump -r "$T/cut.pcap" -nn -tt -x 2>/dev/null >"$T/want.txt" || true  # it says the tail is cut
	[ "$(grep -c '^[0-9]' "$T/want.txt")" -eq 399 ]
	cmp "$T/want.txt" "$T/got.txt"
}

@test "pkread -r EXPRESSION: BPF per file, as tcpdump; locations stay right; FCLOSE_GAP" {
	local e
	gen "$T/a.pcap" -n 600
	gen "$T/r.pcap" -n 200 -l 101
	for e in "tcp port 80" "vlan 10" "host 10.0.0.5" "ip6" "mpls" "arp" "udp and not port 53"; do
		want=$(( $(tcpdump -r "$T/a.pcap" -nn "$e" 2>/dev/null | grep -c .) ))
		[ "$want" -gt 0 ]
		pkread -r "$T/a.pcap" "$e" | stream_dump >"$T/d"
		[ "$(grep -c '^PACKET' "$T/d")" -eq "$want" ]
		# each location is one of the file's record offsets
		grep -o 'loc=0:[0-9]*' "$T/d" | cut -d: -f2 | grep -vxFf <(pcap_offsets "$T/a.pcap") && false
		grep -q '^FILE_CLOSE 0 1 600 ' "$T/d"
	done
	# compiled per file: the raw-IP file gets its own program
	want=$(tcpdump -r "$T/r.pcap" -nn "udp" 2>/dev/null | grep -c .)
	[ "$(pkread -r "$T/a.pcap" -r "$T/r.pcap" udp | stream_dump | grep -c '^PACKET .* 101 1 0 ')" -eq "$want" ]
}

@test "pkread -F FILE: the expression from a file, # comments ignored; not both" {
	gen "$T/a.pcap" -n 300
	printf '# only web\ntcp port 80 # or https?\n  or tcp port 443\n' >"$T/f"
	want=$(tcpdump -r "$T/a.pcap" -nn 'tcp port 80 or tcp port 443' 2>/dev/null | grep -c .)
	[ "$(pkread -r "$T/a.pcap" -F "$T/f" | stream_dump | grep -c '^PACKET')" -eq "$want" ]
	run pkread -r "$T/a.pcap" -F "$T/f" udp
	assert_failure 64
	run pkread -r "$T/a.pcap" -F "$T/nonexistent"
	assert_failure 66
}

@test "pkread -r: a bad expression is one line and exit 65 before any output" {
	gen "$T/a.pcap" -n 10
	run bash -c "pkread -r '$T/a.pcap' 'tcp port' | wc -c"
	assert_output --partial "bad filter expression"
	assert_line "0"
	run pkread -r "$T/a.pcap" 'tcp port'
	assert_failure 65
}

@test "pkread -c / -b: packet and byte limits, across files; FCLOSE_GAP only when cut short" {
	gen "$T/a.pcap" -n 100
	gen "$T/b.pcap" -n 100 -s 5
	pkread -c 130 -r "$T/a.pcap" -r "$T/b.pcap" | stream_dump >"$T/d"
	[ "$(grep -c '^PACKET' "$T/d")" -eq 130 ]
	grep -q '^FILE_CLOSE 0 0 100 ' "$T/d"
	grep -q '^FILE_CLOSE 1 1 30 ' "$T/d"
	# exactly at the end of the first file: not a gap, the second is never opened
	pkread -c 100 -r "$T/a.pcap" -r "$T/b.pcap" | stream_dump >"$T/d"
	grep -q '^FILE_CLOSE 0 0 100 ' "$T/d"
	! grep -q '^FILE_OPEN 1' "$T/d" || false
	# -b: stops once the captured bytes reach the limit (that packet kept)
	pkread -b 5000 -r "$T/a.pcap" | stream_dump >"$T/d"
	run awk '$1 == "PACKET" { n++; s += $3; if (prev >= 5000) bad = 1; prev = s } END { print (s >= 5000 && !bad) }' "$T/d"
	assert_output 1
}

@test "pkread -r: a missing file and a damaged file: one line each, the rest read, 66/65" {
	gen "$T/a.pcap" -n 50
	gen "$T/b.pcap" -n 50
	head -c 3000 "$T/b.pcap" >"$T/cut.pcap"
	printf 'this is not a capture\n' >"$T/text.pcap"
	run bash -c "pkread -r '$T/a.pcap' -r '$T/cut.pcap' -r '$T/a.pcap' 2>'$T/err' | stream_dump; echo rc=\${PIPESTATUS[0]}"
	assert_line "rc=65"
	run cat "$T/err"
	assert_output --regexp "^pkread: $T/cut.pcap: truncated dump file.*$"
	[ "${#lines[@]}" -eq 1 ]
	# the good records of the damaged file are kept, its close says where they end
	n=$(pcap_offsets "$T/cut.pcap" | wc -l)
	end=$(( $(pcap_offsets "$T/b.pcap" | sed -n "$((n + 1))p") ))
	pkread -r "$T/cut.pcap" 2>/dev/null | stream_dump >"$T/d" || true
	[ "$(grep -c '^PACKET' "$T/d")" -eq "$n" ]
	grep -q "^FILE_CLOSE 0 0 $n $end " "$T/d"
	run bash -c "pkread -r '$T/nope.pcap' -r '$T/text.pcap' -r '$T/a.pcap' 2>'$T/err' | stream_dump | grep -c '^PACKET .* 2 0'; echo rc=\${PIPESTATUS[0]}"
	assert_line "50"
	assert_line "rc=66"
	run cat "$T/err"
	assert_line "pkread: $T/nope.pcap: No such file or directory"
	assert_line "pkread: $T/text.pcap: unknown file format"
	[ "${#lines[@]}" -eq 2 ]
}

@test "pkread: refuses to write the stream to a terminal, with the hint" {
	need_cmd script
	gen "$T/a.pcap" -n 5
	run script -qec "pkread -r '$T/a.pcap'" /dev/null
	assert_failure 64
	assert_output --partial "pipe it into pkslice, pkextract -T text or pkrotate"
	refute_output --partial "pkstream"
}

@test "pkread: usage errors exit 64" {
	gen "$T/a.pcap" -n 5
	run pkread
	assert_failure 64
	assert_output --partial "usage: pkread [-kmpq] [-i iface | -r file ...]"
	run pkread -i lo -r "$T/a.pcap"
	assert_failure 64
	for o in "-t 5" "-I 5" "-S 5" "-s 100" "-B 1024" "-p" "-m"; do
		run pkread $o -r "$T/a.pcap"
		assert_failure 64
		assert_output --partial "applies to live capture (-i) only"
	done
	run pkread -c 0 -r "$T/a.pcap"
	assert_failure 64
	run pkread -s 300000 -i lo
	assert_failure 64
	run pkread -x
	assert_failure 64
}

@test "pkread: the reader going away (EPIPE) ends pkread quietly with 0" {
	gen "$T/a.pcap" -n 20000
	run bash -c "pkread -r '$T/a.pcap' 2>'$T/err' | head -c 100 >/dev/null; echo rc=\${PIPESTATUS[0]}"
	assert_output "rc=0"
	[ ! -s "$T/err" ]
}

@test "pkread -r -: SIGINT while waiting on a pipe keeps what was read, exits 0 quietly" {
	gen "$T/a.pcap" -n 40
	mkfifo "$T/fifo"
	exec 7<>"$T/fifo"          # a writer that never closes: pkread waits for more
	cat "$T/a.pcap" >&7
	pkread -r - <"$T/fifo" >"$T/s" 2>"$T/err" &
	local p=$! i
	# all the data is there: pkread waits in a pipe read only once it has it all
	for ((i = 0; i < 300; i++)); do
		grep -q pipe /proc/$p/wchan 2>/dev/null && break
		sleep 0.1
	done
	grep -q pipe /proc/$p/wchan || skip "cannot tell when pkread waits (no /proc/PID/wchan)"
	kill -INT $p
	reap $p   # its status: 0
	exec 7>&-
	[ ! -s "$T/err" ]
	[ "$(packets "$T/s")" -eq 40 ]
}

@test "pkread -Z: privileges and unknown users, for files too" {
	need_root
	need_cmd setpriv
	gen "$T/a.pcap" -n 5
	# stdin is opened by the shell, as root; the packets are read as nobody
	run bash -c "pkread -Z nobody -r - <'$T/a.pcap' | stream_dump | grep -c PACKET"
	assert_output 5
	run pkread -Z no-such-user-pk -r "$T/a.pcap"
	assert_failure 78
	run setpriv --reuid=65534 --regid=65534 --clear-groups pkread -Z root -r "$T/a.pcap"
	assert_failure 77
	assert_output --partial "only root"
}

# ---- shared captures ----

@test "pkread -r ../shared/pcaps/odd/*: no crash, at most one line, and it names the file" {
	need_shared
	local f rc n=0
	while IFS= read -r f; do
		pkread -r "$f" >/dev/null 2>"$T/err" && rc=0 || rc=$?
		[ "$rc" -lt 128 ] || fail "$f: exit $rc"
		[ "$(wc -l <"$T/err")" -le 1 ] || fail "$f: $(cat "$T/err")"
		if [ "$rc" -ne 0 ]; then
			grep -qF "pkread: $f: " "$T/err" || fail "$f: $(cat "$T/err")"
		fi
		n=$((n + 1))
	done < <(find "$SHARED_PCAPS/odd" -type f | sort)
	[ "$n" -gt 0 ]
}

@test "pkread -r ../shared/pcaps/real/*: pkread | pkslice gives the same packets (tcpdump text)" {
	need_shared
	local rel f n=0
	while IFS= read -r rel; do
		f=$(shared_pcap "$rel")
		pkread -r "$f" 2>/dev/null | pkslice >"$T/out.pcap"
		[ "$(pcap_text "$f" | md5sum)" = "$(pcap_text "$T/out.pcap" | md5sum)" ] || fail "$rel differs"
		case "$f" in *.pcap)
			cmp <(pkread -r "$f" | stream_dump | grep -o 'loc=0:[0-9]*' | cut -d: -f2) \
			    <(pcap_offsets "$f") || fail "$rel: locations differ" ;;
		esac
		n=$((n + 1))
	done < <(cd "$SHARED_PCAPS" && find real -type f | sort)
	[ "$n" -gt 0 ]
}

# ---- live capture in a network namespace ----

live() {
	need_root
	need_cmd ip
	[ -n "${NS_B:-}" ] || skip "no network namespace"
}

@test "pkread -D: lists the interfaces, the veth among them" {
	live
	run ip netns exec "$NS_B" pkread -D
	assert_success
	assert_line --regexp '^[0-9]+\.pkv1 \[Up, Running'
	assert_line --regexp '^[0-9]+\.lo \[.*Loopback'
}

@test "pkread -i: every datagram sent arrives; -I idle timeout ends the capture" {
	live
	ip netns exec "$NS_B" pkread -i pkv1 -I 2 'udp port 9999' >"$T/s" 2>"$T/err" &
	CAP=$!
	wait_capturing $CAP
	send_udp 50 9999 "payload-for-pkread"
	reap $CAP
	CAP=
	[ "$(packets "$T/s")" -eq 50 ]
	run stream_dump <"$T/s"
	assert_line --index 0 "HEADER flags=1 pkread"
	assert_line --regexp "^STATS 50 0 0 0 1 pkv1$"
	# source 0, linktype Ethernet, ns, whole datagram: 14 + 20 + 8 + 18 bytes
	[ "$(grep -c '^PACKET [0-9]* 60 60 1 0 1$' <<<"$output")" -eq 50 ]
	run cat "$T/err"
	assert_output "pkread: 50 packets captured, 50 received by filter, 0 dropped by kernel, 0 dropped by interface"
	pkslice <"$T/s" >"$T/out.pcap"
	[ "$(tcpdump -r "$T/out.pcap" -nn 2>/dev/null | grep -c '10.99.0.1.[0-9]* > 10.99.0.2.9999: UDP, length 18')" -eq 50 ]
}

@test "pkread -i -c N: stops at exactly N" {
	live
	ip netns exec "$NS_B" pkread -q -i pkv1 -c 7 >"$T/s" 2>"$T/err" &
	CAP=$!
	wait_capturing $CAP
	for ((i = 0; i < 400; i++)); do
		kill -0 $CAP 2>/dev/null || break
		send_udp 5 9999
		sleep 0.05
	done
	reap $CAP
	CAP=
	[ "$(packets "$T/s")" -eq 7 ]
	run stream_dump <"$T/s"
	assert_line --regexp "^STATS [0-9]+ 0 0 0 1 pkv1$"
	[ ! -s "$T/err" ]   # -q
}

@test "pkread -i -k: the summary as key=value pairs, as the final stats record counts" {
	live
	ip netns exec "$NS_B" pkread -k -i pkv1 -c 12 'udp port 9999' >"$T/s" 2>"$T/err" &
	CAP=$!
	wait_capturing $CAP
	send_udp 12 9999
	reap $CAP
	CAP=
	[ "$(packets "$T/s")" -eq 12 ]
	run cat "$T/err"
	assert_output "pkread: stats packets=12 received=12 dropped=0 ifdropped=0"
	run pkread -k -r "$T/s"
	assert_failure 64
	assert_output --partial "-k applies to live capture (-i) only"
}

@test "pkread -i -b BYTES and -s SNAPLEN" {
	live
	ip netns exec "$NS_B" pkread -q -i pkv1 -s 50 -b 1000 'udp port 9999' >"$T/s" &
	CAP=$!
	wait_capturing $CAP
	for ((i = 0; i < 400; i++)); do
		kill -0 $CAP 2>/dev/null || break
		send_udp 5 9999 "$(printf '%0200d' 0)"
		sleep 0.05
	done
	reap $CAP
	CAP=
	# 242-byte frames cut to 50: the 20th packet reaches 1000 bytes
	[ "$(packets "$T/s")" -eq 20 ]
	[ "$(stream_dump <"$T/s" | grep -c '^PACKET [0-9]* 50 242 1 0 1$')" -eq 20 ]
}

# snaplen_of PCAP: the snapshot length in a classic pcap's file header
snaplen_of() {
	od -An -tu4 -j16 -N4 "$1" | tr -d ' '
}

@test "pkread -i -s 100: the pcaps pkrotate and pkslice write say 100; a source record says it first" {
	live
	ip netns exec "$NS_B" sh -c 'pkread -q -i pkv1 -s 100 -c 10 "udp port 9999" | tee "$1/s" |
	    pkrotate -d "$1/A" >/dev/null 2>&1' cap "$T" &
	CAP=$!
	wait_capturing $CAP
	for ((i = 0; i < 400; i++)); do
		kill -0 $CAP 2>/dev/null || break
		send_udp 5 9999 "$(printf '%0200d' 0)"
		sleep 0.05
	done
	reap $CAP
	CAP=
	f=$(find "$T/A" -name '*.pcap')
	[ "$(echo "$f" | wc -l)" -eq 1 ]
	assert_equal "$(snaplen_of "$f")" 100
	capinfos -l "$f" | grep -q 'Packet size limit: *file hdr: 100 bytes'
	[ "$(tcpdump -r "$f" -nn 2>/dev/null | wc -l)" -eq 10 ]
	# the source record (type 10) and a start statistics record come before the first packet
	run stream_dump <"$T/s"
	assert_line --index 1 "TYPE10 32"
	assert_line --index 2 --regexp '^STATS 0 0 0 0 2 pkv1$'
	[[ "${lines[3]}" == PACKET* ]]
	pkslice -w "$T/o.pcap" <"$T/s"
	assert_equal "$(snaplen_of "$T/o.pcap")" 100
	[ "$(tcpdump -r "$T/o.pcap" -nn 2>/dev/null | wc -l)" -eq 10 ]
	# without -s: the default, 262144
	pkcraft_snap=$(printf 'header 1\nsource 0 1 0 1 x\n' | "$PK_TOOLS/pkcraft" | pkslice | snaplen_of /dev/stdin)
	assert_equal "$pkcraft_snap" 262144
}

@test "pkread -i | pkrotate | pkindex: pkfind knows the drops (0), imported files' stay unknown" {
	live
	ip netns exec "$NS_B" sh -c 'pkread -q -i pkv1 -c 20 "udp port 9999" | pkrotate -d "$1/A" 2>/dev/null |
	    pkindex -d "$1/A"' cap "$T" &
	CAP=$!
	wait_capturing $CAP
	for ((i = 0; i < 400; i++)); do
		kill -0 $CAP 2>/dev/null || break
		send_udp 2 9999
		sleep 0.05
	done
	reap $CAP
	CAP=
	# the start record precedes every packet, the final one follows them
	run awk '{ print $5 }' "$T/A/pk-stats.log"
	assert_line --index 0 2
	run pkfind -c -d "$T/A" 'udp port 9999'
	assert_line 20
	assert_line --partial ", 0 drops; 20 packets"
	# the same packets imported from a pcap: nothing is known of their capture
	pkslice -w "$T/x.pcap" < <(pkfind -q -d "$T/A" '')
	pkread -r "$T/x.pcap" | pkrotate -d "$T/B" 2>/dev/null | pkindex -d "$T/B"
	run pkfind -c -d "$T/B" 'udp port 9999'
	assert_line 20
	assert_line --partial ", drops unknown; 20 packets"
}

@test "pkread -i EXPRESSION: only what the filter takes" {
	live
	ip netns exec "$NS_B" pkread -q -i pkv1 -c 20 'udp dst port 8888' >"$T/s" &
	CAP=$!
	wait_capturing $CAP
	for ((i = 0; i < 400; i++)); do
		kill -0 $CAP 2>/dev/null || break
		send_udp 3 9999
		send_udp 1 8888
		sleep 0.02
	done
	reap $CAP
	CAP=
	[ "$(packets "$T/s")" -eq 20 ]
	# UDP destination port at bytes 36-37 of the frame: 0x22b8 = 8888
	[ "$(STREAM_DUMP_HEX=1 stream_dump <"$T/s" | grep '^PACKET' | grep -c 'data=.\{72\}22b8')" -eq 20 ]
}

@test "pkread -i -t: the duration limit ends the capture; -S writes periodic stats" {
	live
	timeout 30 ip netns exec "$NS_B" pkread -q -i pkv1 -t 3 -S 1 >"$T/s"
	run stream_dump <"$T/s"
	assert_line --regexp '^STATS [0-9]+ 0 0 0 0 pkv1$'
	assert_line --regexp '^STATS [0-9]+ 0 0 0 1 pkv1$'
	[ "$(grep -c '^STATS .* 1 pkv1$' <<<"$output")" -eq 1 ]
	[ "$(tail -n 1 <<<"$output" | cut -d' ' -f6)" = 1 ]
}

@test "pkread -i: packets reach the reader while the capture runs (periodic flush)" {
	live
	ip netns exec "$NS_B" pkread -q -i pkv1 'udp port 9999' >"$T/s" &
	CAP=$!
	wait_capturing $CAP
	send_udp 5 9999
	for ((i = 0; i < 100; i++)); do
		[ "$(packets "$T/s")" -eq 5 ] && break
		sleep 0.1
	done
	[ "$(packets "$T/s")" -eq 5 ]
	kill -0 $CAP   # still capturing: it was a flush, not the exit
	kill -TERM $CAP
	reap $CAP
	CAP=
}

@test "pkread -i: SIGINT flushes, writes the final stats and the summary, exits 0; HUP is harmless" {
	live
	ip netns exec "$NS_B" pkread -i pkv1 'udp port 9999' >"$T/s" 2>"$T/err" &
	CAP=$!
	wait_capturing $CAP
	send_udp 12 9999
	sleep 0.5
	kill -HUP $CAP
	sleep 0.2
	kill -0 $CAP
	kill -INT $CAP
	reap $CAP
	CAP=
	[ "$(packets "$T/s")" -eq 12 ]
	run stream_dump <"$T/s"
	assert_line --index $((${#lines[@]} - 1)) "STATS 12 0 0 0 1 pkv1"
	run cat "$T/err"
	assert_output "pkread: 12 packets captured, 12 received by filter, 0 dropped by kernel, 0 dropped by interface"
}

@test "pkread -i: the reader going away ends the capture quietly with 0" {
	live
	mkfifo "$T/fifo"
	head -c 100 <"$T/fifo" >/dev/null &
	ip netns exec "$NS_B" pkread -q -i pkv1 'udp port 9999' >"$T/fifo" 2>"$T/err" &
	CAP=$!
	wait_capturing $CAP
	for ((i = 0; i < 200; i++)); do
		kill -0 $CAP 2>/dev/null || break
		send_udp 5 9999
		sleep 0.05
	done
	! kill -0 $CAP 2>/dev/null || fail "pkread still runs after its reader left"
	reap $CAP   # its status: 0
	CAP=
	[ ! -s "$T/err" ]
}

@test "pkread -i -Z nobody: ids, groups and capabilities dropped while capturing" {
	live
	ip netns exec "$NS_B" pkread -q -i pkv1 -Z nobody -c 3 'udp port 9999' >"$T/s" &
	CAP=$!
	wait_capturing $CAP
	for ((i = 0; i < 50; i++)); do
		grep -q '^Uid:.*65534' /proc/$CAP/status && break
		sleep 0.1
	done
	run grep -E '^(Uid|Gid|Groups|CapEff|CapPrm|CapBnd|CapAmb|NoNewPrivs):' /proc/$CAP/status
	assert_line --regexp '^Uid:\s+65534\s+65534\s+65534\s+65534$'
	assert_line --regexp '^Gid:\s+65534\s+65534\s+65534\s+65534$'
	assert_line --regexp '^Groups:\s*(65534\s*)?$'
	assert_line --regexp '^CapEff:\s+0+$'
	assert_line --regexp '^CapPrm:\s+0+$'
	# nothing to regain either: no bounding set, no ambient set, no_new_privs (issue 10 item 14)
	assert_line --regexp '^CapBnd:\s+0+$'
	assert_line --regexp '^CapAmb:\s+0+$'
	assert_line --regexp '^NoNewPrivs:\s+1$'
	send_udp 3 9999
	reap $CAP
	CAP=
	[ "$(packets "$T/s")" -eq 3 ]
}

@test "pkread -i: promiscuous by default, -p not; -m and -B accepted" {
	live
	ip netns exec "$NS_B" pkread -q -i pkv1 -m -B 4096 'udp port 9999' >"$T/s" &
	CAP=$!
	wait_capturing $CAP
	run ip -n "$NS_B" -d link show pkv1
	assert_output --regexp 'promiscuity [1-9]'
	send_udp 4 9999
	kill -TERM $CAP
	reap $CAP
	CAP=
	[ "$(packets "$T/s")" -eq 4 ]
	ip netns exec "$NS_B" pkread -q -i pkv1 -p 'udp port 9999' >"$T/s" &
	CAP=$!
	wait_capturing $CAP
	run ip -n "$NS_B" -d link show pkv1
	assert_output --regexp 'promiscuity 0'
	kill -TERM $CAP
	reap $CAP
	CAP=
}

@test "pkread -i: no such interface 69, no privilege 77" {
	live
	run ip netns exec "$NS_B" pkread -i pk-no-such-if
	assert_failure 69
	assert_output --partial "pk-no-such-if"
	need_cmd setpriv
	run ip netns exec "$NS_B" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all pkread -i pkv1
	assert_failure 77
	assert_output --partial "pkv1"
}

@test "pkread -i: an interface that is down 75 (try again), one that goes away mid-capture 69" {
	live
	# a pair of its own: the suite's pkv1 stays
	ip -n "$NS_B" link add pkgone0 type veth peer name pkgone1
	run ip netns exec "$NS_B" pkread -q -i pkgone0
	assert_failure 75
	assert_output --partial "not up"
	ip -n "$NS_B" link set pkgone1 up
	ip -n "$NS_B" link set pkgone0 up
	ip netns exec "$NS_B" pkread -q -i pkgone0 >"$T/s" 2>"$T/err" &
	CAP=$!
	wait_capturing $CAP
	ip -n "$NS_B" link del pkgone0
	local st=0
	reap $CAP || st=$?
	CAP=
	cat "$T/err"
	[ "$st" -eq 69 ]
	grep -q 'pkgone0: the interface went away' "$T/err"
}

@test "pkread -i: a reader that goes away on a quiet link ends the capture at once, status 0" {
	live
	# nothing is captured (no such traffic), so nothing is ever written: the
	# pipe's end is watched (a pkrotate that exits on a bad option)
	run timeout 20 bash -c "ip netns exec '$NS_B' pkread -q -i pkv1 'udp port 7777' | true; echo \${PIPESTATUS[0]}"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
}

# ---- PACKET_FANOUT: workers that share one interface ----

# frames FILE: each frame of a pcap as one line of hex, no time (what was on the wire)
frames() { command tcpdump -r "$1" -nn -t -xx 2>/dev/null | awk '/^[^\t]/ { if (l != "") print l; l = "" } /^\t/ { l = l $0 } END { if (l != "") print l }'; }

@test "pkread -j: two fanout workers split the traffic, each frame in exactly one part; pkfind DIR sees the whole" {
	live
	need_cmd tcpreplay
	# many flows (hosts and ports from pkgen's pools), IPv4 fragments among them
	"$PK_TOOLS/pkgen" -n 1500 -m tcp,udp,frag,frag2,tcp6,udp6,icmp "$T/sent.pcap"
	ip netns exec "$NS_B" tcpdump -q -i pkv1 -w "$T/all.pcap" 2>"$T/tcpdump.err" &
	local dump=$! k pids=()
	for k in 0 1; do
		ip netns exec "$NS_B" sh -c 'pkread -q -i pkv1 -j 4242 -I 3 | pkrotate -d "$1" 2>/dev/null |
		    pkindex -d "$1"' cap "$T/A/w$k" &
		pids+=($!)
	done
	CAP="${pids[*]}"
	wait_capturing "${pids[0]}"
	wait_capturing "${pids[1]}"
	wait_capturing "$dump"
	ip netns exec "$NS_A" tcpreplay -q --pps 3000 -i pkv0 "$T/sent.pcap" >/dev/null 2>&1
	# fragmented datagrams (3000 bytes: three fragments each) from twenty source ports
	send_udp 20 9999 "$(head -c 3000 /dev/zero | tr '\0' x)"
	reap "${pids[0]}"
	reap "${pids[1]}"
	CAP=
	kill -INT "$dump"
	wait "$dump" || true
	# tcpdump saw everything: what tcpreplay sent, then the 60 fragments
	# (and the port-unreachable answers pkv1's stack sent back, a few)
	local all n0 n1
	all=$(frames "$T/all.pcap" | wc -l)
	diff <(frames "$T/sent.pcap") <(frames "$T/all.pcap" | head -n 1500)
	[ "$(command tcpdump -r "$T/all.pcap" -nn 'src 10.99.0.1 and ip[6:2] & 0x3fff != 0' 2>/dev/null | wc -l)" -eq 60 ]
	# both workers took a share, and together exactly what tcpdump saw: no copy, no loss
	n0=$(pkfind -q -c -d "$T/A/w0" '')
	n1=$(pkfind -q -c -d "$T/A/w1" '')
	echo "w0 $n0 w1 $n1 tcpdump $all"
	[ "$n0" -gt 100 ] && [ "$n1" -gt 100 ]
	[ $((n0 + n1)) -eq "$all" ]
	for k in 0 1; do
		pkfind -q -d "$T/A/w$k" '' | pkslice >"$T/w$k.pcap"
	done
	diff <(frames "$T/all.pcap" | sort) <(cat <(frames "$T/w0.pcap") <(frames "$T/w1.pcap") | sort)
	# the archive DIR is the parts together, in time order: tcpdump's capture
	pkfind -q -d "$T/A" '' | pkslice >"$T/whole.pcap"
	diff <(frames "$T/all.pcap") <(frames "$T/whole.pcap")
	run pkfind -c -d "$T/A" 'udp port 9999'
	assert_line 20
	# both parts indexed (pkindex -d PART), drops known from both parts' pk-stats.log
	assert_line --regexp ': 2 files \([0-9] from catalogs, [0-9] indexed, 0 scanned\), 0 gaps, 0 drops; 20 packets$'
	# the fragments of one datagram stay in one part: the kernel hashes every
	# fragment, the first too, by addresses alone (were the first hashed with
	# its ports, the twenty source ports would spread the first fragments)
	for k in 0 1; do
		command tcpdump -r "$T/w$k.pcap" -nn -v 'host 10.99.0.1 and ip[6:2] & 0x3fff != 0' 2>/dev/null |
		    grep -o 'id [0-9]*' | sort -u >"$T/ids$k"
	done
	[ "$(cat "$T/ids0" "$T/ids1" | wc -l)" -eq 20 ]
	[ -z "$(comm -12 "$T/ids0" "$T/ids1")" ]
}

@test "pkread -j: a group in use on another interface is refused (69); -j is live only" {
	live
	ip -n "$NS_B" link add pkfan0 type veth peer name pkfan1
	ip -n "$NS_B" link set pkfan1 up
	ip -n "$NS_B" link set pkfan0 up
	ip netns exec "$NS_B" pkread -q -i pkv1 -j 4343 -I 5 >/dev/null &
	CAP=$!
	wait_capturing $CAP
	run ip netns exec "$NS_B" pkread -q -i pkfan0 -j 4343 -c 1
	assert_failure 69
	assert_output --partial "pkfan0: cannot join fanout group 4343"
	kill $CAP; wait $CAP || true
	CAP=
	ip -n "$NS_B" link del pkfan0
	"$PK_TOOLS/pkgen" -n 1 "$T/one.pcap"
	run pkread -r "$T/one.pcap" -j 1
	assert_failure 64
	run ip netns exec "$NS_B" pkread -i pkv1 -j 65536
	assert_failure 64
}

@test "pkread -j under pk-archive WORKERS=2: two parts, each indexed by its own pkindex, TERM stops all cleanly" {
	live
	need_cmd tcpreplay
	"$PK_TOOLS/pkgen" -n 800 -m tcp,udp,icmp "$T/sent.pcap"
	cat >"$T/c.conf" <<-EOF
	ARCHIVE_DIR=$T/arch
	FIFO=$T/run/ix.fifo
	PK_USER=
	WORKERS=2
	MAX_MB=64
	EOF
	run ip netns exec "$NS_B" "$PK_ROOT/scripts/pk-archive" -n -c "$T/c.conf" pkv1
	echo "$output"
	assert_line "mkfifo -m 0600 $T/run/ix/w1.fifo"
	assert_line --regexp "^pkread -q -i pkv1 -s 262144 -j [0-9]+ \| pkrotate -d $T/arch/w1 -o $T/run/ix/w1.fifo .*-M 32 "
	ip netns exec "$NS_B" "$PK_ROOT/scripts/pk-archive" -c "$T/c.conf" pkv1 2>"$T/err" &
	CAP=$!
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(in_b awk 'NR > 1' /proc/net/packet | wc -l)" -ge 2 ] && break
		sleep 0.1
	done
	sleep 0.5
	ip netns exec "$NS_A" tcpreplay -q --pps 2000 -i pkv0 "$T/sent.pcap" >/dev/null 2>&1
	sleep 1.5
	kill -TERM "$CAP"
	wait "$CAP" || { cat "$T/err"; false; }
	CAP=
	cat "$T/err"
	[ -z "$(find "$T/arch" -name '*.pcap.part')" ]
	local f n0 n1
	for f in $(find "$T/arch" -name '*.pcap'); do
		[ -s "$f.idx" ] || { echo "no index for $f"; false; }
	done
	n0=$(pkfind -q -c -d "$T/arch/w0" '')
	n1=$(pkfind -q -c -d "$T/arch/w1" '')
	echo "w0 $n0 w1 $n1"
	[ "$n0" -gt 0 ] && [ "$n1" -gt 0 ]
	[ $((n0 + n1)) -eq 800 ]
	diff <(frames "$T/sent.pcap" | sort) <(pkfind -q -d "$T/arch" '' | pkslice | command tcpdump -r - -nn -t -xx 2>/dev/null |
	    awk '/^[^\t]/ { if (l != "") print l; l = "" } /^\t/ { l = l $0 } END { if (l != "") print l }' | sort)
}
