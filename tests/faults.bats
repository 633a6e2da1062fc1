#!/usr/bin/env bats
# Fault injection on the real programs (DESIGN.md "Failure model"):
# kill -9 any stage at a random moment, garbage and cut records on a
# stream input, a FIFO reader that dies and comes back, a full disk.
# A program or tool that is missing is a failure, not a skip.
#
# PK_FAULT_SEED fixes the random kill moments (default: the shell's pid);
# PK_FAULT_TRIALS is the number of kills per stage (default 7: 21 in all).
load helpers

SEED=${PK_FAULT_SEED:-$$}
TRIALS=${PK_FAULT_TRIALS:-4}

setup_file() {
	local T=$BATS_FILE_TMPDIR
	if [ -x "$PK_TOOLS/pkgen" ]; then
		# ~40k packets, ~11 MB: two seconds through the throttle below
		"$PK_TOOLS/pkgen" -n 40000 "$T/big.pcap"
		"$PK_TOOLS/pkgen" -n 300 -s 7 "$T/small.pcap"
	fi
}

teardown() {
	local p
	for p in ${PIDS:-}; do
		kill -9 "$p" 2>/dev/null || true
	done
	if [ -n "${MNT:-}" ] && mountpoint -q "$MNT"; then
		umount -l "$MNT" || true
	fi
}

# need_prog PROG...: the programs must be built (make)
need_prog() {
	local p
	for p in "$@"; do
		[ -x "$PK_BIN/$p" ] || fail "$p is not built (make)"
	done
}

need_pkgen() {
	[ -s "$BATS_FILE_TMPDIR/big.pcap" ] || fail "no generated capture: is build/tools/pkgen built (make)?"
}

# throttle: copy stdin to stdout at about 6 MB/s, in 32 KiB writes
throttle() {
	perl -e 'binmode STDIN; binmode STDOUT; $| = 1; $SIG{PIPE} = sub { exit 0 };
	    while (read(STDIN, my $b, 32768)) { print $b or exit 0; select(undef, undef, undef, 0.005) }'
}

# finished ARCHIVE / parts ARCHIVE: finished pcaps / files in progress, in name (= time) order
finished() { find "$1" -name '*.pcap' | sort; }
parts() { find "$1" -name '*.pcap.part' | sort; }

# ptext FILE [tcpdump args]: packets as text, every byte, ns times and
# absolute TCP sequence numbers (-S: relative ones depend on where the
# file starts, and a packet must print the same in any file)
ptext() {
	local f=$1
	shift
	tcpdump -r "$f" -nn -tt --nano -S -xx "$@" 2>/dev/null
}

# count FILE: packets tcpdump reads from FILE
count() { tcpdump -r "$1" -nn 2>/dev/null | wc -l; }

# check_finished ARCHIVE: every finished pcap reads cleanly and capinfos agrees
check_finished() {
	local f n c
	for f in $(finished "$1"); do
		tcpdump -r "$f" -w /dev/null 2>/dev/null || { echo "tcpdump cannot read finished $f"; return 1; }
		n=$(count "$f")
		c=$(capinfos -M -c "$f" | awk -F': *' '/Number of packets/ { print $2 }')
		[ "$n" = "$c" ] || { echo "$f: tcpdump reads $n packets, capinfos says $c"; return 1; }
	done
}

# check_parts ARCHIVE: a file in progress reads up to its last whole record
check_parts() {
	local f e
	for f in $(parts "$1"); do
		e=$(tcpdump -r "$f" -w /dev/null 2>&1 >/dev/null | grep -v '^reading from file') || true
		case "$e" in
		'' | *'truncated dump file'*) ;;
		*) echo "partial $f unreadable: $e"; return 1 ;;
		esac
	done
}

# archive_text ARCHIVE [FILTER]: packets of the finished files, file order
archive_text() {
	local a=$1 f
	shift
	for f in $(finished "$a"); do
		ptext "$f" "$@"
	done
}

# recover ARCHIVE: what an operator does after a crash
recover() {
	"$PK_BIN/pkrotate" -d "$1" </dev/null | "$PK_BIN/pkindex" -d "$1" || return 1
	"$PK_BIN/pkindex" --repair -d "$1" || return 1
	[ -z "$(parts "$1")" ] || { echo "left over after restart: $(parts "$1")"; return 1; }
}

# query_matches ARCHIVE EXPR: pkfind | pkslice gives what tcpdump gives over the files
query_matches() {
	"$PK_BIN/pkfind" -d "$1" "$2" | "$PK_BIN/pkslice" >"$1.out.pcap" || { echo "pkfind|pkslice failed"; return 1; }
	diff <(ptext "$1.out.pcap") <(archive_text "$1" "$2") >"$1.diff" ||
	    { echo "pkfind '$2' | pkslice differs from tcpdump:"; head "$1.diff"; return 1; }
}

# kill_trials STAGE: TRIALS runs of the throttled pipeline, STAGE killed at a random moment
kill_trials() {
	local stage=$1 i a delay pr pt prot pidx victim killed=0 n want f
	local T=$BATS_TEST_TMPDIR
	RANDOM=$((SEED + ${#stage}))
	for i in $(seq 1 "$TRIALS"); do
		a=$T/a$i
		mkdir -p "$a"
		rm -f "$T/s1" "$T/s2" "$T/s3"
		mkfifo "$T/s1" "$T/s2" "$T/s3"
		"$PK_BIN/pkread" -q -r "$BATS_FILE_TMPDIR/big.pcap" >"$T/s1" & pr=$!
		throttle <"$T/s1" >"$T/s2" & pt=$!
		"$PK_BIN/pkrotate" -d "$a" -C 1 <"$T/s2" >"$T/s3" 2>"$a.rot.err" & prot=$!
		"$PK_BIN/pkindex" -d "$a" <"$T/s3" 2>"$a.idx.err" & pidx=$!
		PIDS="$pr $pt $prot $pidx"
		delay=$(printf '0.%03d' $((100 + RANDOM % 800)))
		echo "# seed $SEED trial $i: kill -9 $stage after ${delay}s"
		sleep "$delay"
		case $stage in
		pkread) victim=$pr ;;
		pkrotate) victim=$prot ;;
		pkindex) victim=$pidx ;;
		esac
		# a kill counts only if the stage was still at work (not a zombie)
		if [ "$(awk '{ print $3 }' "/proc/$victim/stat" 2>/dev/null)" != Z ] &&
		    kill -9 "$victim" 2>/dev/null; then
			killed=$((killed + 1))
		fi
		wait "$pr" "$pt" "$prot" "$pidx" 2>/dev/null || true
		PIDS=""
		# the moment of the kill: finished files whole, the one in progress readable
		check_finished "$a" || return 1
		check_parts "$a" || return 1
		recover "$a" || return 1
		check_finished "$a" || return 1
		for f in $(finished "$a"); do
			[ -s "$f.idx" ] || { echo "trial $i: no index for $f after --repair"; return 1; }
		done
		# what survived is the capture's beginning, packet for packet
		if [ "$stage" = pkindex ]; then
			# capture never waits on indexing: every packet reached disk
			want=$(count "$BATS_FILE_TMPDIR/big.pcap")
			n=$(for f in $(finished "$a"); do count "$f"; done | awk '{ s += $1 } END { print s + 0 }')
			[ "$n" = "$want" ] || { echo "pkindex killed: $n of $want packets on disk"; return 1; }
		else
			n=$(for f in $(finished "$a"); do count "$f"; done | awk '{ s += $1 } END { print s + 0 }')
			diff <(for f in $(finished "$a"); do tcpdump -r "$f" -nn -tt --nano -S 2>/dev/null; done) \
			    <(tcpdump -r "$BATS_FILE_TMPDIR/big.pcap" -nn -tt --nano -S -c "$n" 2>/dev/null) >"$a.prefix.diff" ||
			    { echo "trial $i: the $n archived packets are not the first $n of the input"; head "$a.prefix.diff"; return 1; }
		fi
		# odd trials: the full query check (the index and the pcaps agree)
		if [ $((i % 2)) = 1 ]; then
			query_matches "$a" 'tcp' || return 1
		fi
		rm -rf "$a" "$a".*
	done
	echo "# $killed of $TRIALS kills landed during ingest"
	[ "$killed" -ge 1 ] || { echo "no kill landed: ingest finished before every kill"; return 1; }
}

@test "faults: kill -9 pkread during ingest, $TRIALS times: archive whole, recoverable, queries exact" {
	need_pkgen
	need_prog pkread pkrotate pkindex pkfind pkslice
	run kill_trials pkread
	echo "$output"
	assert_success
}

@test "faults: kill -9 pkrotate during ingest, $TRIALS times: .part recovered, finished files intact" {
	need_pkgen
	need_prog pkread pkrotate pkindex pkfind pkslice
	run kill_trials pkrotate
	echo "$output"
	assert_success
}

@test "faults: kill -9 pkindex during ingest, $TRIALS times: capture goes on, --repair completes the indexes" {
	need_pkgen
	need_prog pkread pkrotate pkindex pkfind pkslice
	run kill_trials pkindex
	echo "$output"
	assert_success
}

# corrupt_stream IN OUT K TYPE: insert garbage after record K and cut the
# stream in the middle of its last record of TYPE (2 packet, 7 location):
# a writer killed mid-record, so that record and all after it are lost
corrupt_stream() {
	perl -e '
	binmode STDIN; binmode STDOUT; local $/; my $d = <STDIN>; my ($off, @at, $last) = (0);
	while ($off + 8 <= length($d)) {
		my ($l, $t) = unpack("Vv", substr($d, $off, 6));
		push @at, $off; $last = $off if $t == $ARGV[1]; $off += $l;
	}
	die "no record of type $ARGV[1]\n" unless defined $last;
	my $cut = $last + 4 + int(unpack("V", substr($d, $last, 4)) / 2);
	my $g = $at[$ARGV[0]];
	print substr($d, 0, $g), "\xde\xad\xbe\xef" x 9, "garbage!", substr($d, $g, $cut - $g);
	' "$3" "$4" <"$1" >"$2"
}

@test "faults: garbage and a cut record on pkrotate's stdin: exit 65, one clear message, only good packets written" {
	need_pkgen
	need_prog pkread pkrotate
	local T=$BATS_TEST_TMPDIR n
	"$PK_BIN/pkread" -q -r "$BATS_FILE_TMPDIR/small.pcap" >"$T/s"
	corrupt_stream "$T/s" "$T/bad" 20 2
	run sh -c '"$0" -d "$1" <"$2" 2>&1 >/dev/null' "$PK_BIN/pkrotate" "$T/a" "$T/bad"
	assert_equal "$status" 65
	assert_output --regexp 'not pk records|resynchronis|garbage'
	check_finished "$T/a"
	n=$(count "$BATS_FILE_TMPDIR/small.pcap")
	# every packet but the cut last one, unchanged
	diff <(archive_text "$T/a") <(ptext "$BATS_FILE_TMPDIR/small.pcap" -c $((n - 1)))
}

@test "faults: garbage and a cut record on pkextract's stdin: exit 65, every good packet printed" {
	need_pkgen
	need_prog pkread pkextract
	local T=$BATS_TEST_TMPDIR n
	"$PK_BIN/pkread" -q -r "$BATS_FILE_TMPDIR/small.pcap" >"$T/s"
	corrupt_stream "$T/s" "$T/bad" 5 2
	"$PK_BIN/pkextract" -T csv <"$T/s" >"$T/good.csv"
	run sh -c '"$0" -T csv <"$1" 2>&1 >/dev/null' "$PK_BIN/pkextract" "$T/bad"
	assert_equal "$status" 65
	"$PK_BIN/pkextract" -T csv <"$T/bad" >"$T/bad.csv" 2>/dev/null || true
	diff "$T/bad.csv" <(head -n -1 "$T/good.csv")
}

@test "faults: garbage and a cut record in pkslice's input: exit 65, a valid pcap of the good packets" {
	need_pkgen
	need_prog pkread pkrotate pkindex pkfind pkslice
	local T=$BATS_TEST_TMPDIR
	mkdir -p "$T/a"
	"$PK_BIN/pkread" -q -r "$BATS_FILE_TMPDIR/small.pcap" | "$PK_BIN/pkrotate" -d "$T/a" | "$PK_BIN/pkindex" -d "$T/a"
	# a sparse answer: one location record per packet (a dense one goes as ranges)
	"$PK_BIN/pkfind" -d "$T/a" 'icmp or arp' >"$T/loc"
	"$PK_BIN/pkslice" <"$T/loc" >"$T/good.pcap"
	corrupt_stream "$T/loc" "$T/bad" 6 7
	run "$PK_BIN/pkslice" -w "$T/out.pcap" <"$T/bad"
	assert_equal "$status" 65
	tcpdump -r "$T/out.pcap" -w /dev/null
	# the cut record was the last location: every other packet, unchanged
	diff <(ptext "$T/out.pcap") <(ptext "$T/good.pcap" -c $(($(count "$T/good.pcap") - 1)))
}

@test "faults: a pcap file on a stream stage's stdin: one line naming pkread -r, exit 65, nothing written" {
	need_pkgen
	need_prog pkrotate pkextract pkindex pkslice
	local T=$BATS_TEST_TMPDIR p
	for p in "pkrotate -d $T/a" "pkextract -T text" "pkindex -d $T/a" "pkslice"; do
		run sh -c "$PK_BIN/$p <'$BATS_FILE_TMPDIR/small.pcap' 2>&1 >/dev/null"
		echo "$p: status $status: $output"
		[ "$status" = 65 ]
		[[ "$output" == *"pkread -r"* ]]
	done
	[ -z "$(finished "$T/a")" ] && [ -z "$(parts "$T/a")" ]
}

@test "faults: FIFO reader (pkindex) killed and restarted under load: no packet missing, --repair completes indexes" {
	need_pkgen
	need_prog pkread pkrotate pkindex pkfind pkslice
	local T=$BATS_TEST_TMPDIR a=$BATS_TEST_TMPDIR/a prot pidx pidx2 want n f
	mkdir -p "$a"
	mkfifo "$T/fifo"
	"$PK_BIN/pkindex" -d "$a" <"$T/fifo" 2>"$T/idx1.err" & pidx=$!
	"$PK_BIN/pkread" -q -r "$BATS_FILE_TMPDIR/big.pcap" | throttle |
	    "$PK_BIN/pkrotate" -d "$a" -C 1 -o "$T/fifo" 2>"$T/rot.err" & prot=$!
	PIDS="$pidx $prot"
	sleep 0.6
	kill -9 "$pidx"
	wait "$pidx" 2>/dev/null || true
	sleep 0.3
	"$PK_BIN/pkindex" -d "$a" <"$T/fifo" 2>"$T/idx2.err" & pidx2=$!
	PIDS="$pidx2 $prot"
	wait "$prot"
	echo "pkrotate exit $?: $(cat "$T/rot.err")"
	timeout 20 tail --pid="$pidx2" -f /dev/null || true
	PIDS=""
	want=$(count "$BATS_FILE_TMPDIR/big.pcap")
	n=$(for f in $(finished "$a"); do count "$f"; done | awk '{ s += $1 } END { print s + 0 }')
	assert_equal "$n" "$want"
	check_finished "$a"
	"$PK_BIN/pkindex" --repair -d "$a"
	for f in $(finished "$a"); do
		[ -s "$f.idx" ] || fail "no index for $f after --repair"
	done
	query_matches "$a" 'tcp'
	query_matches "$a" 'udp and port 53'
}

# full_disk RETENTION...: pkrotate -C 1 with RETENTION into a 4 MB tmpfs, 11 MB of input
full_disk() {
	MNT=$BATS_TEST_TMPDIR/disk
	mkdir -p "$MNT"
	mount -t tmpfs -o size=4m pktest "$MNT" || skip "cannot mount a tmpfs"
	# stderr only: the stream pkrotate passes on is not the point here
	run sh -c 'p=$0 d=$1 in=$2; shift 2; "$p" -d "$d" -C 1 "$@" <"$in" 2>&1 >/dev/null' \
	    "$PK_BIN/pkrotate" "$MNT" "$BATS_TEST_TMPDIR/s" "$@"
}

@test "faults: full disk with -F 30: retention keeps the capture going, every pcap reads, the newest packet is kept" {
	need_root
	need_pkgen
	need_prog pkread pkrotate
	"$PK_BIN/pkread" -q -r "$BATS_FILE_TMPDIR/big.pcap" >"$BATS_TEST_TMPDIR/s"
	full_disk -F 30
	echo "status $status: $output"
	assert_success
	check_finished "$MNT"
	check_parts "$MNT"
	[ -n "$(finished "$MNT")" ]
	# the last packet of the input is in the newest file
	diff <(tcpdump -r "$(finished "$MNT" | tail -1)" -nn -tt --nano -S 2>/dev/null | tail -1) \
	    <(tcpdump -r "$BATS_FILE_TMPDIR/big.pcap" -nn -tt --nano -S 2>/dev/null | tail -1)
}

@test "faults: full disk with -M 2: total size bounded, capture complete to the end, no corrupt file" {
	need_root
	need_pkgen
	need_prog pkread pkrotate
	"$PK_BIN/pkread" -q -r "$BATS_FILE_TMPDIR/big.pcap" >"$BATS_TEST_TMPDIR/s"
	full_disk -M 2
	echo "status $status: $output"
	assert_success
	check_finished "$MNT"
	# -M 2: at most 2 MiB, plus the file being written (-C 1) and its headers
	total=$(find "$MNT" -name '*.pcap*' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
	echo "archive bytes: $total"
	[ "$total" -le $((3 * 1048576 + 65536)) ]
	diff <(tcpdump -r "$(finished "$MNT" | tail -1)" -nn -tt --nano -S 2>/dev/null | tail -1) \
	    <(tcpdump -r "$BATS_FILE_TMPDIR/big.pcap" -nn -tt --nano -S 2>/dev/null | tail -1)
}

@test "faults: full disk with no retention flag: the oldest files make room (multilog-style), said on stderr; every pcap reads" {
	need_root
	need_pkgen
	need_prog pkread pkrotate
	"$PK_BIN/pkread" -q -r "$BATS_FILE_TMPDIR/big.pcap" >"$BATS_TEST_TMPDIR/s"
	full_disk
	echo "status $status: $output"
	# never a crash or a hang: the capture goes on to the end
	assert_success
	check_finished "$MNT"
	check_parts "$MNT"
	diff <(tcpdump -r "$(finished "$MNT" | tail -1)" -nn -tt --nano -S 2>/dev/null | tail -1) \
	    <(tcpdump -r "$BATS_FILE_TMPDIR/big.pcap" -nn -tt --nano -S 2>/dev/null | tail -1)
	# deleting captured data for room is worth a line to the operator
	assert_output --regexp '[Dd]isk full|No space left|ENOSPC|no space'
}
