#!/usr/bin/env bats
# hardening: the regressions of issue 10 (an outside review's findings),
# each case named by the property it checks and failing on the code
# before its fix.
# Streams are crafted with build/tools/pkcraft, indexes forged with
# build/tools/idxpoke, captures made by pkgen; tcpdump is the oracle.
# (The pcap reader's cases are in pcapfile.bats.)
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

teardown() {
	# a directory outside the suite's (the archive-group cases) goes too, also when the case failed
	[ -z "${G:-}" ] || rm -rf "$G"
}

# last_offset PCAP: the offset of its last record header
last_offset() {
	perl -e 'open(F, "<:raw", $ARGV[0]) or die; local $/; my $d = <F>; my ($o, $l) = (24, 0);
	    while ($o + 16 <= length $d) { $l = $o; $o += 16 + unpack("V", substr($d, $o + 8, 4)) } print $l' "$1"
}

@test "a location near 2^64 is refused, not read before the buffer (pkslice -R)" {
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

@test "an index whose packet table names offsets outside its pcap is not believed" {
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

@test "packet times no pcap can hold in a stream: no overflow in the builder, indexed from disk" {
	"$PK_TOOLS/pkgen" -n 3 "$A/g.pcap"
	path=$(realpath "$A/g.pcap")
	{
		echo header
		echo "open 1 1 262144 0 $path"
		tcpdump -r "$A/g.pcap" -nn -xx 2>/dev/null | awk '
		    /^[0-9]/ { if (h != "") print h; h = "" ; next } /^\t0x/ { for (i = 2; i <= NF; i++) h = h $i }
		    END { print h }' >"$T/hex"
		n=0 off=24
		# the first and last are the pcap's own times, the middle one no pcap can hold
		t1=$(pcap_craft "$A/g.pcap" 1 | awk '$1 == "packet" { print $2; exit }')
		t3=$(pcap_craft "$A/g.pcap" 1 | awk '$1 == "packet" { t = $2 } END { print t }')
		for ts in "$t1" 0x9000000000000000 "$t3"; do
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

# ---- the indexer's trust boundary ----

@test "only the capture user may write the indexer's FIFO (unit, pk-archive)" {
	grep -qx 'SocketMode=0600' "$PK_ROOT/systemd/pk-index@.socket"
	grep -qx 'SocketUser=pk' "$PK_ROOT/systemd/pk-index@.socket"
	# both ends run as that user
	grep -qx 'User=pk' "$PK_ROOT/systemd/pk-index@.service"
	grep -qx 'User=pk' "$PK_ROOT/systemd/pk-capture@.service"
	"$PK_TOOLS/pkgen" -n 50 "$T/in.pcap"
	cat >"$T/c.conf" <<-EOC
	ARCHIVE_DIR=$T/arch
	FIFO=$T/ix.fifo
	ROTATE_SECONDS=
	PK_USER=
	EOC
	run "$PK_ROOT/scripts/pk-archive" -n -c "$T/c.conf" eth0
	assert_line --index 0 "mkfifo -m 0600 $T/ix.fifo"
	# a FIFO an older version made group-writable is mended
	mkfifo -m 0660 "$T/ix.fifo"
	run timeout 60 "$PK_ROOT/scripts/pk-archive" -c "$T/c.conf" -r "$T/in.pcap" replay
	assert_success
	[ "$(stat -c %a "$T/ix.fifo")" = 600 ]
	# and nobody else can open it to write
	if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
		run setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c "exec 3>'$T/ix.fifo'"
		assert_failure
	fi
}

@test "a stream that does not describe its pcap cannot replace its index" {
	"$PK_TOOLS/pkgen" -n 400 -m tcp,udp "$A/g.pcap"
	pkindex -d "$A" "$A/g.pcap"
	want=$(tcpdump -r "$A/g.pcap" 'tcp port 80' 2>/dev/null | wc -l)
	[ "$(pkfind -d "$A" -c 'tcp port 80' 2>/dev/null)" = "$want" ]
	# the review's four records: the file, one packet at its real last offset, a close of 1
	path=$(realpath "$A/g.pcap")
	last=$(last_offset "$A/g.pcap")
	hex=$(tcpdump -r "$A/g.pcap" -nn -xx 2>/dev/null | awk '/^[0-9]/ { h = "" } /^\t0x/ { for (i = 2; i <= NF; i++) h = h $i } END { print h }')
	printf 'header\nopen 1 1 262144 0 %s\npacket 1700000000399000000 1 %s 0 1 %s\nclose 1 0 1 %s 0 0\n' \
	    "$path" "$hex" "$last" "$(stat -c %s "$A/g.pcap")" | "$CRAFT" >"$T/forged"
	run pkindex -d "$A" <"$T/forged"
	assert_success
	assert_output --partial "not in the stream (offsets not contiguous): indexing from disk"
	[ "$(pkfind -d "$A" -c 'tcp port 80' 2>/dev/null)" = "$want" ]
	pkindex --dump "$A/g.pcap.idx" | grep -qx "packets 400"
	# one record said to span the whole file: its first record is not the pcap's
	first=$(pcap_craft "$A/g.pcap" 1 | awk '$1 == "packet" { print $2; exit }')
	body=$(head -c "$(stat -c %s "$A/g.pcap")" "$A/g.pcap" | tail -c +41 | od -An -v -tx1 | tr -d ' \n')
	printf 'header\nopen 1 1 262144 0 %s\npacket %s 1 %s 0 1 24\nclose 1 0 1 %s 0 0\n' \
	    "$path" "$first" "$body" "$(stat -c %s "$A/g.pcap")" | "$CRAFT" >"$T/forged2"
	run pkindex -d "$A" <"$T/forged2"
	assert_success
	assert_output --partial "the stream's first record is not the pcap's: indexing from disk"
	pkindex --dump "$A/g.pcap.idx" | grep -qx "packets 400"
}

@test "--repair counts the records of every new index's pcap" {
	"$PK_TOOLS/pkgen" -n 300 -m tcp,udp "$A/g.pcap"
	pkindex -d "$A" "$A/g.pcap"
	run pkindex --repair -d "$A"
	assert_output --partial "checked 1, built 0, rebuilt 0, failed 0"
	[ -f "$A/.repair" ]
	# a stream whose first and last records are right, but that tells records 10 and 11 as one:
	# every check the builder can afford passes, and the index hides a packet
	pcap_craft "$A/g.pcap" 1 >"$T/script"
	awk '$1 == "packet" { n++ } $1 == "packet" && n == 10 { a = $0; next }
	    $1 == "packet" && n == 11 { split(a, x, " "); split($0, y, " ");
	        print "MERGE", x[2], x[4], y[4], x[7]; next }
	    { print }' "$T/script" >"$T/script2"
	perl -e '
	    # the merged record: the first data, the second record header from the pcap, the second data
	    open(my $p, "<:raw", $ARGV[0]) or die; my $d = do { local $/; <$p> };
	    open(my $s, "<", $ARGV[1]) or die;
	    while (<$s>) {
	        if (/^MERGE (\S+) (\S+) (\S+) (\S+)/) {
	            my ($ts, $h1, $h2, $off) = ($1, $2, $3, $4);
	            my $o2 = $off + 16 + length($h1) / 2;
	            print "packet $ts 1 $h1" . unpack("H*", substr($d, $o2, 16)) . "$h2 0 1 $off\n";
	        } elsif (/^close (\S+) (\S+) (\S+) (.*)/) { print "close $1 $2 ", $3 - 1, " $4\n" }
	        else { print }
	    }' "$A/g.pcap" "$T/script2" | "$CRAFT" >"$T/lying"
	sleep 1    # the stamp and the new index's ctime are apart
	run pkindex -d "$A" <"$T/lying"
	assert_success
	assert_output ""
	pkindex --dump "$A/g.pcap.idx" | grep -qx "packets 299"
	[ "$(pkfind -d "$A" -c '' 2>/dev/null)" = 299 ]
	# the next repair reads the pcap's records against it, once
	run pkindex --repair -d "$A"
	assert_output --partial "record 10 of the pcap (offset"
	assert_output --partial "rebuilt 1"
	[ "$(pkfind -d "$A" -c '' 2>/dev/null)" = 300 ]
	run pkindex --repair -d "$A"
	assert_output --partial "checked 1, built 0, rebuilt 0, failed 0"
}

@test "removing a file that is still there keeps its index; one that is gone loses it" {
	"$PK_TOOLS/pkgen" -n 20 "$A/g.pcap"
	"$PK_TOOLS/pkgen" -n 20 "$A/h.pcap"
	pkindex -d "$A" "$A/g.pcap" "$A/h.pcap"
	rm "$A/h.pcap"
	printf 'header\nremove 0 %s\nremove 0 %s\n' "$(realpath "$A/g.pcap")" "$(realpath "$A")/h.pcap" |
	    "$CRAFT" >"$T/s"
	run pkindex -d "$A" <"$T/s"
	assert_success
	assert_output --partial "g.pcap: removal announced but the file is still there: its index is kept"
	[ -f "$A/g.pcap.idx" ]
	[ ! -e "$A/h.pcap.idx" ]
}

# ---- a restarted indexer joins its FIFO in the middle of the stream ----

# fifo_index OUT INPUT...: pkindex -d $A reading a named FIFO (as systemd hands
# it one) that is fed the INPUT files one after the other; its exit status in OUT.rc
fifo_index() {
	local out=$1; shift
	rm -f "$T/fifo" && mkfifo "$T/fifo"
	pkindex -d "$A" <"$T/fifo" >"$out" 2>&1 &
	local pid=$! rc=0
	cat "$@" >"$T/fifo"
	wait "$pid" || rc=$?
	echo "$rc" >"$out.rc"
}

# big_stream NAME N [START]: N packets archived by pkrotate under $A (one file), and the
# stream it forwards, in $T/NAME.stream; the archived file's path in $T/NAME.path
big_stream() {
	"$PK_TOOLS/pkgen" -n "$2" -m tcp,udp -t "${3:-1700000000}" "$T/$1.in"
	pkread -r "$T/$1.in" | pkrotate -d "$A" -C 1000 >"$T/$1.stream" 2>/dev/null
	find "$A" -name '*.pcap' -newer "$T/$1.in" | sort | tail -1 >"$T/$1.path"
	rm -f "$(cat "$T/$1.path").idx"
}

@test "pcap magic, a version-2 header and a removal in the payload at the join point are not acted on" {
	big_stream g 6000            # about 4 MB of stream: past what a joined reader doubts
	"$PK_TOOLS/pkgen" -n 20 "$A/h.pcap"
	pkindex -d "$A" "$A/h.pcap"
	rm "$A/h.pcap"               # h's index is an orphan: a removal would delete it
	# the joined reader's first bytes: the tail of a packet whose payload starts with a
	# pcap magic, then carries a version-2 stream header and a removal of h
	printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00' >"$T/join"
	printf 'raw 1 706b73747265616d0200000000000000\nremove 0 %s/h.pcap\n' "$(realpath "$A")" |
	    "$CRAFT" >>"$T/join"
	tail -c +9 "$T/g.stream" >"$T/g.cut"     # and the stream itself, from its second record
	fifo_index "$T/out" "$T/join" "$T/g.cut"
	cat "$T/out"
	[ "$(cat "$T/out.rc")" = 0 ]
	grep -q "starts like a pcap file" "$T/out"
	! grep -q "stream version 2" "$T/out" || false
	[ -f "$A/h.pcap.idx" ]       # the removal could be payload: not done
	# g's open was doubted, its close was not: g is indexed (from disk)
	g=$(cat "$T/g.path")
	grep -q "opened before this pkindex started: indexing from disk" "$T/out"
	pkindex --dump "$g.idx" | grep -qx "packets 6000"
	[ "$(pkfind -d "$A" -c 'tcp' 2>/dev/null)" = "$(tcpdump -r "$g" tcp 2>/dev/null | wc -l)" ]
}

@test "a writer of another stream version is skipped until a version-1 header, not the end" {
	big_stream g 3000
	big_stream h 100 1700001000
	# after g, a version-2 writer's header and records, then h from its own header
	printf 'raw 1 706b73747265616d0200000000000000\nraw 2 0000000000000000000000000000000000000000000000000000000000000000\n' |
	    "$CRAFT" >"$T/v2"
	fifo_index "$T/out" "$T/g.stream" "$T/v2" "$T/h.stream"
	cat "$T/out"
	grep -q "a writer of stream version 2" "$T/out"
	# the version-2 bytes were not read: that is said at the end (65), not the end of indexing
	[ "$(cat "$T/out.rc")" = 65 ]
	pkindex --dump "$(cat "$T/g.path").idx" | grep -qx "packets 3000"
	pkindex --dump "$(cat "$T/h.path").idx" | grep -qx "packets 100"
}

@test "after garbage, a record that could be payload is not acted on, even at the end" {
	big_stream g 200
	"$PK_TOOLS/pkgen" -n 20 "$A/h.pcap"
	pkindex -d "$A" "$A/h.pcap"
	rm "$A/h.pcap"
	# a well-formed removal right after garbage, alone at the end of the input
	printf 'garbage 00112233445566778899aabbccddeeff\nremove 0 %s/h.pcap\n' "$(realpath "$A")" | "$CRAFT" >"$T/j1"
	run bash -c "cat '$T/g.stream' '$T/j1' | pkindex -d '$A'"
	assert_failure 65
	assert_output --partial "skipped 16 bytes"
	assert_output --partial "1 file records just after a resynchronisation were not acted on"
	[ -f "$A/h.pcap.idx" ]
}

# ---- exit statuses that say whether data was lost ----

@test "pkindex: files retention removed before their close was read are not failures" {
	# old data and -A 1d: every file is published, then aged out at once
	"$PK_TOOLS/pkgen" -n 3000 -t 1600000000 "$T/old.pcap"
	run bash -c "pkread -r '$T/old.pcap' | pkrotate -d '$A' -C 0.1 -A 1d 2>/dev/null | pkindex -d '$A'"
	assert_success
	refute_output --partial "No such file"
	assert_output --partial "removed before they could be indexed"
	[ -z "$(find "$A" -name '*.pcap' -o -name '*.idx')" ]
}

@test "pkrotate: malformed packet records and packets no pcap can hold make the exit status 65" {
	printf 'header\npacket 1700000000000000000 1 ffffffffffff0200000000010800\npacket 1700000001000000000 1 ffffffffffff0200000000010800 0 7 24\nraw 2 0000000000000000640000006400000001000000000000000000000000000000\npacket 0xffffffffffffff00 1 ffffffffffff0200000000010800\n' |
	    "$CRAFT" >"$T/s"
	run bash -c "pkrotate -d '$A' <'$T/s' >/dev/null"
	assert_failure 65
	assert_output --partial "1 packets too big for pcap, 1 malformed records: dropped"
	n=0
	for f in "$A"/*/*.pcap; do n=$((n + $(tcpdump -r "$f" 2>/dev/null | wc -l))); done
	[ "$n" -eq 2 ]
	# a clean stream: 0
	printf 'header\npacket 1700000000000000000 1 ffffffffffff0200000000010800\n' | "$CRAFT" >"$T/ok"
	run bash -c "pkrotate -d '$T/b' <'$T/ok' >/dev/null"
	assert_success
}

# ---- every disk of the archive ----

@test "pkindex -d d1 -d d2 indexes the files of both disks (stream, in place, --repair)" {
	mkdir -p "$T/d1" "$T/d2"
	"$PK_TOOLS/pkgen" -n 2000 "$T/in.pcap"
	run bash -c "pkread -r '$T/in.pcap' | pkrotate -d '$T/d1' -d '$T/d2' -C 0.1 2>/dev/null | pkindex -d '$T/d1' -d '$T/d2'"
	assert_success
	refute_output --partial "not indexed"
	np=$(find "$T/d1" "$T/d2" -name '*.pcap' | wc -l)
	[ "$np" -ge 3 ]
	[ "$(find "$T/d1" "$T/d2" -name '*.pcap.idx' | wc -l)" = "$np" ]
	# a file under the second disk, in place
	"$PK_TOOLS/pkgen" -n 10 "$T/d2/x.pcap"
	run pkindex -d "$T/d1" -d "$T/d2" "$T/d2/x.pcap"
	assert_success
	[ -f "$T/d2/x.pcap.idx" ]
	rm "$T/d2/x.pcap.idx"
	find "$T/d1" -name '*.idx' -delete
	run pkindex --repair -d "$T/d1" -d "$T/d2"
	assert_success
	[ "$(find "$T/d1" "$T/d2" -name '*.pcap.idx' | wc -l)" = $((np + 1)) ]
	[ "$(pkfind -d "$T/d1" -d "$T/d2" -c '' 2>/dev/null)" = 2010 ]
}

# ---- pkslice's confinement cannot be raced ----

@test "a located file swapped for a link out of the root after the check is not followed" {
	mkdir -p "$A/day" "$T/outside"
	# b: 20000 packets (5 MB: more than pkslice and the pipe buffer) before a's only packet in time; outside: what must never be read
	"$PK_TOOLS/pkgen" -n 20000 -t 1700000000 "$A/day/b.pcap"
	"$PK_TOOLS/pkgen" -n 3 -t 1800000000 "$A/day/a.pcap"
	# the outside file: a's records, times and lengths, with other bytes (0xaa)
	perl -e 'open(F, "<:raw", $ARGV[0]) or die; local $/; my $d = <F>; my $o = 24;
	    while ($o + 16 <= length $d) { my $c = unpack("V", substr($d, $o + 8, 4));
	        substr($d, $o + 16, $c) = "\xaa" x $c; $o += 16 + $c } print $d' "$A/day/a.pcap" >"$T/outside/secret.pcap"
	{
		echo header
		echo "note 5 0 $A"
		echo "open 1 1 262144 0 $A/day/b.pcap"
		pcap_craft "$A/day/b.pcap" 1 | awk '$1 == "packet" { print "loc 1", $7, $2 }'
		echo "open 2 1 262144 0 $A/day/a.pcap"
		pcap_craft "$A/day/a.pcap" 2 | awk '$1 == "packet" { print "loc 2", $7, $2 }'
	} | "$CRAFT" >"$T/locs"
	# pkslice checks both files, writes b's packets into a pipe it cannot empty alone,
	# and opens a only when a's time comes: a is swapped for a link before that
	mkfifo "$T/out"
	pkslice <"$T/locs" >"$T/out" 2>"$T/err" &
	pid=$!
	exec 7<"$T/out"
	head -c 4096 <&7 >"$T/got.pcap"
	rm "$A/day/a.pcap"
	ln -s "$T/outside/secret.pcap" "$A/day/a.pcap"
	cat <&7 >>"$T/got.pcap"
	exec 7<&-
	rc=0
	wait "$pid" || rc=$?
	cat "$T/err"
	echo "rc=$rc"; [ "$rc" -eq 77 ]
	grep -q "refusing to read $A/day/a.pcap: it changed into a link" "$T/err"
	# b's packets, none of the outside file's
	[ "$(tcpdump -r "$T/got.pcap" 2>/dev/null | wc -l)" -eq 20000 ]
	! pcap_text "$T/got.pcap" | grep -q 'aaaa aaaa aaaa aaaa' || false
	[ "$(tcpdump -tt -r "$T/got.pcap" 2>/dev/null | grep -c '^1800000000')" -eq 0 ]
}

@test "a link inside the root to a file inside it is read; a FIFO put in its place is not" {
	mkdir -p "$A/day"
	"$PK_TOOLS/pkgen" -n 5 "$A/day/a.pcap"
	ln -s a.pcap "$A/day/l.pcap"
	{
		echo header
		echo "open 1 1 262144 0 $A/day/l.pcap"
		pcap_craft "$A/day/a.pcap" 1 | awk '$1 == "packet" { print "loc 1", $7, $2 }'
	} | "$CRAFT" >"$T/locs"
	run bash -c "pkslice -R '$A' <'$T/locs' | tcpdump -r - 2>/dev/null | wc -l"
	assert_output 5
	rm "$A/day/l.pcap"
	mkfifo "$A/day/l.pcap"
	run timeout 10 pkslice -R "$A" -w "$T/o.pcap" <"$T/locs"
	assert_failure 77
}

# ---- the archive group reaches indexes and the stats log ----

@test "an analyst in the archive group reads the indexes and the drops (pkrotate -g)" {
	need_root
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	# a directory nobody can walk into (the suite's temporary one may not be)
	G=$(mktemp -d /tmp/pk-hard-group.XXXXXX)
	chmod 0755 "$G"
	"$PK_TOOLS/pkgen" -n 300 -t 1700000000 "$T/in.pcap"
	# a capture run that spans the packets (start record, then final totals): its drops are known
	{ printf 'stats 1699999999000000000 0 0 0 2 eth0\n' | "$CRAFT"; pkread -r "$T/in.pcap"
	  printf 'stats 1700000001000000000 300 42 0 1 eth0\n' | "$CRAFT"; } >"$T/s"
	umask 0022
	pkrotate -d "$G/a" -g 4242 -C 0.05 <"$T/s" 2>/dev/null | pkindex -d "$G/a"
	n=$(find "$G/a" -name '*.pcap' | wc -l)
	[ "$n" -ge 2 ]
	for f in $(find "$G/a" -name '*.idx') "$G/a/pk-stats.log"; do
		[ "$(stat -c '%a %g' "$f")" = "640 4242" ] || { stat -c '%n %a %g' "$f"; false; }
	done
	# nobody, in group 4242 only
	as_analyst() { setpriv --reuid=nobody --regid=4242 --clear-groups "$@"; }
	run as_analyst pkfind -d "$G/a" -c ''
	assert_success
	assert_line 300
	assert_line --partial ", $n indexed, 0 scanned)"
	assert_line --partial ", 42 drops;"
	# the catalogs too: the folder and every catalog in it
	[ "$(stat -c '%a %g' "$G/a/.catalog")" = "750 4242" ]
	for f in "$G"/a/.catalog/*; do
		[ "$(stat -c '%a %g' "$f")" = "640 4242" ] || { stat -c '%n %a %g' "$f"; false; }
	done
	run as_analyst pkfind -d "$G/a" -c 'host 10.99.99.99'
	assert_success
	refute_output --partial "searching without it"
	# a stats log it cannot read is said, not taken for "0 drops"
	chmod 0600 "$G/a/pk-stats.log"
	run as_analyst pkfind -d "$G/a" -c ''
	assert_line --partial "pk-stats.log: capture drops unknown: Permission denied"
	assert_line --partial ", drops unknown;"
}

# ---- more VLAN tags than the index keeps ----

@test "a packet with a fifth VLAN tag is a candidate for every query (unsure)" {
	# 5 tags (ids 1 2 3 4 500) three times, 2 tags twice, then IPv4/UDP 10.0.0.1 > 10.0.0.2
	perl -e '
	    my @pk; my $ip = pack("H*", "450000200001000040110000" . "0a000001" . "0a000002" . "003500350008" . "0000" . "00000000");
	    for my $tags ([1, 2, 3, 4, 500], [1, 2, 3, 4, 500], [7, 8], [1, 2, 3, 4, 500], [7, 500]) {
	        my $e = pack("H*", "020000000001020000000002");
	        $e .= pack("nn", 0x8100, $_) for @$tags;
	        push @pk, $e . pack("n", 0x0800) . $ip;
	    }
	    print pack("VvvlVVV", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1);
	    my $t = 1700000000;
	    print pack("VVVV", $t++, 0, length $_, length $_), $_ for @pk;' >"$A/v.pcap"
	e='vlan and vlan and vlan and vlan and vlan 500'
	[ "$(tcpdump -r "$A/v.pcap" "$e" 2>/dev/null | wc -l)" -eq 3 ]
	pkindex -d "$A" "$A/v.pcap"
	[ "$(pkfind -d "$A" -c "$e" 2>/dev/null)" = 3 ]
	[ "$(pkfind -d "$A" -c 'vlan 500' 2>/dev/null)" = "$(tcpdump -r "$A/v.pcap" 'vlan 500' 2>/dev/null | wc -l)" ]
	run bash -c "pkfind -d '$A' '$e' 2>/dev/null | pkslice | tcpdump -r - 2>/dev/null | wc -l"
	assert_output 3
	# the stream's fields say the same (pkextract | pkindex)
	rm "$A/v.pcap.idx"
	pkread -r "$A/v.pcap" | pkextract | pkindex -d "$A"
	[ "$(pkfind -d "$A" -c "$e" 2>/dev/null)" = 3 ]
}

# ---- after -Z nothing can be regained ----

# status_of PID FIELD: a field of /proc/PID/status
status_of() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

@test "pkread -Z: the bounding set is empty and no_new_privs is set (as root, and under a unit)" {
	need_root
	need_cmd setpriv
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	local pid
	mkfifo -m 0666 "$T/in"
	chmod 0755 "$T"
	# as root: a file read as nobody, held open so that /proc can be looked at
	sleep 30 >"$T/in" &
	hold=$!
	pkread -Z nobody -r - <"$T/in" >/dev/null 2>&1 &
	pid=$!
	for ((i = 0; i < 50; i++)); do [ "$(status_of $pid Uid)" = 65534 ] && break; sleep 0.1; done
	[ "$(status_of $pid Uid)" = 65534 ]
	[ "$(status_of $pid CapBnd)" = 0000000000000000 ]
	[ "$(status_of $pid CapAmb)" = 0000000000000000 ]
	[ "$(status_of $pid CapPrm)" = 0000000000000000 ]
	[ "$(status_of $pid NoNewPrivs)" = 1 ]
	kill $hold; wait $pid || true
	# started as the user with CAP_NET_RAW in the ambient set (the unit's way): that goes too
	sleep 30 >"$T/in" &
	hold=$!
	setpriv --reuid=nobody --regid=65534 --clear-groups --inh-caps=+net_raw --ambient-caps=+net_raw \
	    pkread -Z nobody -r - <"$T/in" >/dev/null 2>&1 &
	pid=$!
	for ((i = 0; i < 50; i++)); do [ "$(status_of $pid NoNewPrivs)" = 1 ] && break; sleep 0.1; done
	[ "$(status_of $pid CapAmb)" = 0000000000000000 ]
	[ "$(status_of $pid CapPrm)" = 0000000000000000 ]
	[ "$(status_of $pid CapEff)" = 0000000000000000 ]
	[ "$(status_of $pid NoNewPrivs)" = 1 ]
	kill $hold; wait $pid || true
}
