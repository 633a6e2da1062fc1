#!/usr/bin/env bats
# pkrotate: rotation, publication, retention, hook, locking, crash recovery,
# forwarding.  Oracles: tcpdump/capinfos on the files, python3 on the stream.

load helpers
load lib/pkrotate

setup() {
	need_cmd tcpdump python3
	[ -x "$PK_TOOLS/pkcraft" ] && [ -x "$PK_TOOLS/pkgen" ] || skip "test tools not built (make tools)"
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	local m
	for m in fs s l; do
		! mountpoint -q "$BATS_TEST_TMPDIR/$m" || umount "$BATS_TEST_TMPDIR/$m"
	done
}

# every packet exactly once, in order: archive text = input text
assert_all_once() { # DIR INPUT.pcap
	archive_text "$1" >got.txt
	pcap_text "$2" >want.txt
	[ -s want.txt ]
	cmp got.txt want.txt
}

# npackets FILE: packets in a pcap, by tcpdump
npackets() { tcpdump -r "$1" -nn 2>/dev/null | wc -l; }

# count_all DIR: packets in all finished files
count_all() {
	local f n=0
	for f in $(archive_files "$1"); do n=$((n + $(npackets "$f"))); done
	echo $n
}

# wait_for CMD...: poll (at most 30 s) until CMD succeeds
wait_for() {
	local i
	for i in $(seq 300); do "$@" && return 0; sleep 0.1; done
	return 1
}

@test "usage: -d is required; bad numbers are refused (64)" {
	run pkrotate </dev/null
	assert_failure 64
	assert_output --partial "usage: pkrotate -d dir"
	run pkrotate -d A -c 0 </dev/null
	assert_failure 64
	run pkrotate -d A -A soon </dev/null
	assert_failure 64
}

@test "-c: exact packet counts, every packet once, names are min-max, stream annotated" {
	"$PK_TOOLS/pkgen" -n 2000 -N in.pcap
	to_stream in.pcap >in.pk
	pkrotate -d A -c 500 <in.pk >out.pk
	run archive_files A
	assert_equal "${#lines[@]}" 4
	for f in $(archive_files A); do
		assert_equal "$(npackets "$f")" 500
		# name = first and last packet time of the file
		first=$(tcpdump -r "$f" -nn -tt --nano -c 1 2>/dev/null | cut -d' ' -f1)
		last=$(tcpdump -r "$f" -nn -tt --nano 2>/dev/null | tail -1 | cut -d' ' -f1)
		name=$(basename "$f")
		want=$(date -u -d "@${first%.*}" +%Y%m%dT%H%M%S).${first#*.}Z-$(date -u -d "@${last%.*}" +%Y%m%dT%H%M%S).${last#*.}Z.pcap
		assert_equal "$name" "$want"
		[[ $f == A/$(date -u -d "@${first%.*}" +%Y-%m-%d)/* ]]
	done
	assert_all_once A in.pcap
	find A -name '*.part' | { ! grep -q .; }
	stream_dump <out.pk >dump.txt
	assert_equal "$(grep -c '^packet .* loc ' dump.txt)" 2000
	assert_equal "$(grep -c '^open ' dump.txt)" 4
	# each close: 500 packets, bytes = the file's size, final path exists, no flags
	grep '^close ' dump.txt | while read -r _ id flags n bytes first last path; do
		[ "$flags" = 0 ] && [ "$n" = 500 ] && [ -f "$path" ]
		[ "$bytes" = "$(stat -c %s "$path")" ]
	done
	# the first packet of file 1 is at offset 24; open names the .part
	sed -n 2,3p dump.txt >head.txt
	grep -q "^open 1 1 262144 1 $PWD/A/.*\.pcap\.part$" head.txt
	grep -q '^packet .* loc 1 24$' head.txt
}

@test "-c: location offsets point at the packet's record in the published file" {
	"$PK_TOOLS/pkgen" -n 300 in.pcap
	to_stream in.pcap | pkrotate -d A -c 100 | stream_dump >dump.txt
	# read each record header at (file, offset) with python and compare times
	python3 - dump.txt <<'PY'
import struct, sys
paths, opened = {}, {}
lines = open(sys.argv[1]).read().split("\n")
for l in lines:
    w = l.split(" ")
    if w[0] == "close": paths[int(w[1])] = w[7]
n = 0
for l in lines:
    w = l.split(" ")
    if w[0] == "packet" and len(w) >= 6 and w[3] == "loc":
        ts, fid, off = int(w[1]), int(w[4]), int(w[5])
        with open(paths[fid], "rb") as f:
            mul = 1 if f.read(4) == bytes.fromhex("4d3cb2a1") else 1000
            f.seek(off); s, frac, cap, wl = struct.unpack("<IIII", f.read(16))
        assert s * 10**9 + frac * mul == ts, (l, s, frac)
        n += 1
assert n == 300, n
PY
}

@test "-C: a file never exceeds the size; the next packet would not have fit" {
	# 48-byte packets: 24 + 15 * 64 = 984 <= 1000 < 984 + 64
	craft_times $(seq 1700000000000000000 1000 1700000000000039000) | "$PK_TOOLS/pkcraft" >in.pk
	pkrotate -d A -C 0.001 <in.pk >/dev/null
	run bash -c 'for f in $(find A -name "*.pcap" | sort); do stat -c %s "$f"; done'
	assert_output "$(printf '984\n984\n664')"
}

@test "-G: files follow clock-aligned buckets of packet time (:59.999999 and :00 split)" {
	T=1700000040 # a multiple of 60
	craft_times ${T}500000000 $((T + 30))000000000 $((T + 59))999999000 \
	    $((T + 60))000000000 $((T + 90))000000000 $((T + 119))999999999 \
	    $((T + 120))000000000 $((T + 300))000000000 | "$PK_TOOLS/pkcraft" >in.pk
	pkrotate -d A -G 60 <in.pk >/dev/null
	run bash -c 'for f in $(find A -name "*.pcap" | sort); do tcpdump -r $f -tt --nano -nn 2>/dev/null | cut -d" " -f1 | paste -sd" "; done'
	assert_line --index 0 "$T.500000000 $((T + 30)).000000000 $((T + 59)).999999000"
	assert_line --index 1 "$((T + 60)).000000000 $((T + 90)).000000000 $((T + 119)).999999999"
	assert_line --index 2 "$((T + 120)).000000000"
	assert_line --index 3 "$((T + 300)).000000000"
	assert_equal "${#lines[@]}" 4
}

@test "a name that is taken gets .1 before .pcap" {
	craft_times 1700000000000000000 1700000000000000000 1700000000000000000 |
	    "$PK_TOOLS/pkcraft" | pkrotate -d A -c 1 >/dev/null
	run bash -c 'cd A/2023-11-14 && ls'
	assert_output "$(printf '%s\n' 20231114T221320.000000000Z-20231114T221320.000000000Z.1.pcap \
	    20231114T221320.000000000Z-20231114T221320.000000000Z.2.pcap \
	    20231114T221320.000000000Z-20231114T221320.000000000Z.pcap)"
}

@test "precision and link type: µs packets get the µs magic; a change starts a new file" {
	{
		echo header
		echo "packet 1700000000000001000 1 0200000000010200000000020800 0"
		echo "packet 1700000000000002000 1 0200000000010200000000020800 0"
		echo "packet 1700000000000003001 1 0200000000010200000000020800 1"
		echo "packet 1700000000000004000 101 4500001400000000400600000a0000010a000002 1"
	} | "$PK_TOOLS/pkcraft" | pkrotate -d A >/dev/null
	run archive_files A
	assert_equal "${#lines[@]}" 3
	assert_equal "$(head -c 4 "${lines[0]}" | od -An -tx4 | tr -d ' ')" a1b2c3d4
	assert_equal "$(head -c 4 "${lines[1]}" | od -An -tx4 | tr -d ' ')" a1b23c4d
	assert_equal "$(npackets "${lines[0]}")" 2
	run tcpdump -r "${lines[2]}" -nn
	assert_output --partial "link-type RAW"
}

@test "snaplen: a source record's (pkread -s) and an input file's go in the file header" {
	# a live source of snaplen 100, then one of its packets longer than that
	{ echo "header 1"; echo "source 0 1 100 1 eth9"
	  for t in 1 2 3; do echo "packet 170000000${t}000000000 1 $(printf 'ab%.0s' $(seq 60)) 1"; done
	  echo "packet 1700000004000000000 1 $(printf 'ab%.0s' $(seq 150)) 1"
	} | "$PK_TOOLS/pkcraft" >s.pk
	run sh -c 'pkrotate -d A <s.pk >/dev/null'
	assert_success
	assert_output --partial "over the snapshot length 100"
	run archive_files A
	assert_equal "${#lines[@]}" 2
	assert_equal "$(od -An -tu4 -j16 -N4 "${lines[0]}" | tr -d ' ')" 100
	assert_equal "$(od -An -tu4 -j16 -N4 "${lines[1]}" | tr -d ' ')" 262144
	[ "$(tcpdump -r "${lines[0]}" -nn 2>/dev/null | grep -c '^[0-9]')" -eq 3 ]
	# the file-open records passed on say the same
	pkrotate -d B <s.pk | stream_dump >dump.txt
	[ "$(grep -c '^open [0-9]* 1 100 1 ' dump.txt)" -eq 1 ]
	[ "$(grep -c '^open [0-9]* 1 262144 1 ' dump.txt)" -eq 1 ]
	# pkread -r of a file with snaplen 96: its files say 96
	"$PK_TOOLS/pkgen" -n 50 -S 96 in96.pcap
	pkread -q -r in96.pcap | pkrotate -d C >/dev/null
	f=$(archive_files C)
	assert_equal "$(od -An -tu4 -j16 -N4 "$f" | tr -d ' ')" 96
	[ "$(pcap_text "$f")" = "$(pcap_text in96.pcap)" ]
}

@test "-d a/b/c: missing parents are created, the archive itself 0750" {
	"$PK_TOOLS/pkgen" -n 10 in.pcap
	umask 022
	to_stream in.pcap | pkrotate -d new/deeper/arc >/dev/null
	[ -d new/deeper/arc ]
	assert_equal "$(stat -c %a new/deeper/arc)" 750
	assert_equal "$(archive_files new/deeper/arc | wc -l)" 1
	# pkindex too (it may start before pkrotate has made the archive)
	: | pkindex -d other/deeper/arc
	[ -d other/deeper/arc ]
	# a parent that is a file: a clear error
	: >afile
	run pkrotate -d afile/arc </dev/null
	assert_failure 73
	assert_output --partial "afile/arc"
}

@test "files 0640 and folders 0750 whatever the umask; -g sets the group" {
	"$PK_TOOLS/pkgen" -n 50 in.pcap
	to_stream in.pcap >in.pk
	(umask 000 && pkrotate -d A -c 20 <in.pk >/dev/null)
	(umask 077 && pkrotate -d B -c 20 <in.pk >/dev/null)
	for d in A B; do
		assert_equal "$(find $d -name '*.pcap' -printf '%m\n' | sort -u)" 640
		assert_equal "$(find $d -mindepth 1 -type d -printf '%m\n' | sort -u)" 750
	done
	if [ "$(id -u)" = 0 ]; then
		pkrotate -d G -g 4242 <in.pk >/dev/null
		# the folder pkrotate created, its date folders and files (not the lock)
		assert_equal "$(find G ! -name .lock -printf '%g\n' | sort -u)" 4242
	fi
}

@test "a second pkrotate on the same directory exits 75" {
	need_cmd flock
	mkfifo in
	pkrotate -d A <in >/dev/null 2>err &
	pid=$!
	exec 7>in
	wait_for bash -c '[ -e A/.lock ] && ! flock -n A/.lock true' # held
	run pkrotate -d A </dev/null
	assert_failure 75
	assert_output --partial "in use by another pkrotate"
	exec 7>&-
	wait $pid
}

@test "TERM publishes the current file and exits 0; HUP rotates" {
	"$PK_TOOLS/pkgen" -n 100 in.pcap
	to_stream in.pcap >in.pk
	mkfifo in
	pkrotate -d A -z 'echo >>hook.log' <in >out.pk 2>err &
	pid=$!
	exec 7>in
	head -c 12000 in.pk >&7
	wait_for bash -c 'find A -name "*.part" | grep -q .'
	kill -HUP $pid
	wait_for bash -c 'find A -name "*.pcap" | grep -q .'
	tail -c +12001 in.pk >&7
	# everything written out (finished file + .part), input still open: then TERM
	wait_for bash -c '[ "$(for f in A/*/*; do tcpdump -r "$f" -nn 2>/dev/null; done | wc -l)" = 100 ]'
	kill -TERM $pid
	wait $pid
	run archive_files A
	assert_equal "${#lines[@]}" 2
	find A -name '*.part' | { ! grep -q .; }
	assert_all_once A in.pcap
	# the hook ran on both, the last one at exit
	assert_equal "$(cat hook.log)" "$(archive_files "$PWD/A")"
	exec 7>&-
}

@test "-z: run on each finished file, path passed safely; failures reported" {
	"$PK_TOOLS/pkgen" -n 100 in.pcap
	to_stream in.pcap >in.pk
	d='A b$(touch pwned)'
	pkrotate -d "$d" -c 30 -z 'echo >>hook.log' <in.pk >/dev/null
	[ ! -e pwned ]
	assert_equal "$(wc -l <hook.log)" 4
	assert_equal "$(cat hook.log)" "$(find "$PWD/$d" -name '*.pcap' | sort)"
	run pkrotate -d B -c 60 -z 'exit 3;' <in.pk
	assert_success
	assert_output --partial "exit status 3"
}

@test "retention -N and -M: oldest files go first, with their .idx; FILE_REMOVE announced" {
	"$PK_TOOLS/pkgen" -n 1000 in.pcap
	to_stream in.pcap >in.pk
	pkrotate -d ALL -c 100 <in.pk >/dev/null
	archive_files ALL | xargs -n1 basename >all.txt
	# an index beside the oldest file must go with it
	mkdir -p A && cp -a ALL/. A/ && rm A/.lock
	oldest=$(archive_files A | head -1)
	echo x >"$oldest.idx"
	# -N 3 on a second run: 10 + 1 files -> the 3 newest stay
	"$PK_TOOLS/pkgen" -n 50 -t 1700000100 later.pcap
	to_stream later.pcap | pkrotate -d A -N 3 | stream_dump >dump.txt
	run archive_files A
	assert_equal "${#lines[@]}" 3
	[ ! -e "$oldest" ] && [ ! -e "$oldest.idx" ]
	assert_equal "$(archive_files A | head -2 | xargs -n1 basename)" "$(tail -2 all.txt)"
	assert_equal "$(grep -c '^remove 0 /' dump.txt)" 8
	grep -q "^remove 0 $PWD/$oldest$" dump.txt
	# -M: the total stays under the limit and the newest are kept
	pkrotate -d M -c 100 -M 0.1 <in.pk >/dev/null
	total=$(cat $(archive_files M) | wc -c)
	[ "$total" -le 100000 ]
	n=$(archive_files M | wc -l)
	[ "$n" -ge 2 ]
	assert_equal "$(archive_files M | xargs -n1 basename)" "$(tail -$n all.txt)"
}

# archive_bytes DIR: what -M counts: finished pcaps, their indexes, the catalogs
archive_bytes() {
	find "$1" -type f \( -name '*.pcap' -o -name '*.pcap.idx' -o -path '*/.catalog/*.cat' \) -printf '%s\n' |
	    awk '{ s += $1 } END { print s + 0 }'
}

# indexed DIR: every finished pcap of DIR has its index
indexed() {
	local f
	for f in $(archive_files "$1"); do [ -s "$f.idx" ] || return 1; done
}

# sizes DIR: "pcap idx cat" bytes of an archive
sizes() {
	local p i c
	p=$(find "$1" -type f -name '*.pcap' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
	i=$(find "$1" -type f -name '*.pcap.idx' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
	c=$(find "$1" -type f -path '*/.catalog/*.cat' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
	echo "$p $i $c"
}

@test "-M counts the indexes and catalogs beside the pcaps, and the index a new file will get" {
	# an indexed archive of four days, 6 h apart, with its catalogs
	for i in $(seq 0 13); do
		"$PK_TOOLS/pkgen" -n 4000 -m all -s "$i" -t $((1700000000 + i * 21600)) "c$i.pcap"
	done
	pkread -q -r c?.pcap c1?.pcap | pkrotate -d A -C 1 2>/dev/null | pkindex -d A 2>/dev/null
	indexed A
	read -r p i c <<<"$(sizes A)"
	[ "$i" -gt 0 ] && [ "$c" -gt 0 ]
	n=$(archive_files A | wc -l)
	# a limit the pcaps and indexes fit but not with the catalogs: files go (start-up retention)
	m=$((p + i + c / 2))
	pkrotate -d A -M "$(echo "$m" | awk '{ printf "%.6f", $1 / 1e6 }')" </dev/null >/dev/null 2>&1
	read -r p2 i2 c2 <<<"$(sizes A)"
	[ $((p2 + i2 + c2)) -le "$m" ]
	[ "$(archive_files A | wc -l)" -lt "$n" ]
	# a day folder whose last file went took its catalogs along
	for f in A/.catalog/*.cat; do
		day=$(basename "$f" | cut -c1-10)
		[ -d "A/$day" ] || { echo "$f: its day is gone"; false; }
	done
	# a new file without its index yet (no pkindex here): room is left for the index to come
	read -r p i c <<<"$(sizes A)"
	n=$(archive_files A | wc -l)
	"$PK_TOOLS/pkgen" -n 4000 -m all -s 99 -t $((1700000000 + 14 * 21600)) new.pcap
	np=$(($(stat -c %s new.pcap) - 24))
	m=$((p + i + c + np + 1000))
	pkread -q -r new.pcap | pkrotate -d A -C 10 -M "$(echo "$m" | awk '{ printf "%.6f", $1 / 1e6 }')" >/dev/null 2>&1
	[ "$(archive_files A | wc -l)" -eq "$n" ]   # one in, the oldest out
	[ ! -e "$(archive_files A | tail -n 1).idx" ]
}

@test "-M at a live pace with pkindex in the pipeline: the archive stays under the limit" {
	mkfifo in.fifo
	pkrotate -d A -C 1 -M 10 <in.fifo 2>rot.err | pkindex -d A 2>idx.err &
	exec 8>in.fifo
	for i in $(seq 0 13); do
		"$PK_TOOLS/pkgen" -n 4000 -m all -s "$i" -t $((1700000000 + i * 21600)) c.pcap
		pkread -q -r c.pcap >&8
		wait_for indexed A
	done
	exec 8>&-
	wait
	indexed A
	read -r p i c <<<"$(sizes A)"
	echo "archive: pcaps $p, indexes $i, catalogs $c bytes in $(archive_files A | wc -l) files"
	[ $((p + i + c)) -le 10000000 ]
	# and not much less: one file and its index (about 1.1 MB) at most
	[ $((p + i + c)) -ge 8500000 ]
}

@test "retention -A: files whose newest packet is older than AGE are deleted" {
	"$PK_TOOLS/pkgen" -n 100 in.pcap # packets of 2023
	to_stream in.pcap | pkrotate -d A -c 50 >/dev/null
	assert_equal "$(archive_files A | wc -l)" 2
	now=$(date +%s)
	craft_times ${now}000000000 | "$PK_TOOLS/pkcraft" | pkrotate -d A -A 1d >/dev/null
	run archive_files A
	assert_equal "${#lines[@]}" 1
	assert_equal "$(tcpdump -r "${lines[0]}" -tt -nn 2>/dev/null | cut -d. -f1)" "$now"
}

@test "retention -F and disk full: a small tmpfs (root)" {
	need_root
	mkdir -p fs && mount -t tmpfs -o size=2m tmpfs fs || skip "cannot mount tmpfs"
	"$PK_TOOLS/pkgen" -n 20000 in.pcap
	to_stream in.pcap >in.pk
	pkrotate -d fs/F -C 0.1 -F 50 <in.pk | stream_dump >dump.txt
	free=$(df --output=avail,size -B1 fs | tail -1 | awk '{printf "%d", 100 * $1 / $2}')
	[ "$free" -ge 49 ]
	grep -q '^remove ' dump.txt
	rm -rf fs/F
	# no policy at all: a full disk deletes the oldest and carries on, every file whole
	run pkrotate -d fs/E -C 0.1 <in.pk
	assert_success
	for f in $(archive_files fs/E); do tcpdump -r "$f" -nn >/dev/null 2>&1; done
	archive_text fs/E >got.txt
	pcap_text in.pcap | tail -n "$(wc -l <got.txt)" >want.txt
	cmp got.txt want.txt
	umount fs
}

@test "disk full with nothing to delete: pause, warn once, resume when space returns (root)" {
	need_root
	mkdir -p fs && mount -t tmpfs -o size=1m tmpfs fs || skip "cannot mount tmpfs"
	head -c 600000 /dev/zero >fs/filler
	"$PK_TOOLS/pkgen" -n 3000 in.pcap # about 800 kB of pcap
	to_stream in.pcap >in.pk
	pkrotate -d fs/D -C 100 <in.pk >/dev/null 2>err &
	pid=$!
	wait_for grep -q 'disk full' err
	rm fs/filler
	wait $pid
	assert_equal "$(grep -c 'disk full and no finished file' err)" 1
	assert_all_once fs/D in.pcap
	umount fs
}

@test "the file being written is readable to its last packet while input pauses" {
	"$PK_TOOLS/pkgen" -n 100 in.pcap
	to_stream in.pcap >in.pk
	mkfifo in
	pkrotate -d A <in >/dev/null &
	pid=$!
	exec 7>in
	cat in.pk >&7
	# no signal, no end of input: the .part alone must show all 100
	wait_for bash -c '[ "$(tcpdump -r A/*/*.pcap.part -nn 2>/dev/null | wc -l)" = 100 ]'
	exec 7>&-
	wait $pid
	assert_all_once A in.pcap
}

@test "-o must name a FIFO" {
	touch plain
	run pkrotate -d A -o plain </dev/null
	assert_failure 64
	assert_output --partial "not a FIFO"
}

@test "several -d: retention over all of them, oldest overall first; each is locked" {
	"$PK_TOOLS/pkgen" -n 300 in.pcap
	to_stream in.pcap | pkrotate -d B -c 100 >/dev/null
	"$PK_TOOLS/pkgen" -n 100 -t 1700000100 later.pcap
	to_stream later.pcap | pkrotate -d A -d B -c 50 -N 3 >/dev/null
	# 3 old in B + 2 new: the 2 oldest (in B) went
	assert_equal "$(archive_files B | wc -l)$(archive_files A | wc -l)" "$(
	    n=$(archive_files B | wc -l); echo "$n$((3 - n))")"
	all=$( (archive_files A; archive_files B) | xargs -n1 basename | sort | head -1)
	[[ $all == 20231114T221320.2* ]]
	[ -f A/.lock ] && [ -f B/.lock ]
}

@test "several -d: each new file goes where there is most free space (root, tmpfs)" {
	need_root
	mkdir -p s l
	mount -t tmpfs -o size=1m tmpfs s || skip "cannot mount tmpfs"
	mount -t tmpfs -o size=3m tmpfs l || { umount s; skip "cannot mount tmpfs"; }
	"$PK_TOOLS/pkgen" -n 12000 in.pcap
	to_stream in.pcap | pkrotate -d s/D -d l/D -C 0.2 >/dev/null
	ns=$(archive_files s/D | wc -l); nl=$(archive_files l/D | wc -l)
	# the large one takes files until it has less free space than the small one
	[ "$nl" -gt "$ns" ] && [ "$ns" -ge 1 ]
	assert_equal "$( (archive_text s/D; archive_text l/D) | sort | wc -l)" "$(pcap_text in.pcap | wc -l)"
	umount s l
}

@test "STATS records go to DIR/pk-stats.log and are passed on" {
	{
		echo header
		echo "packet 1700000000000001000 1 0200000000010200000000020800 1"
		echo "stats 1700000000500000000 100 2 1 1 eth0"
	} | "$PK_TOOLS/pkcraft" | pkrotate -d A | stream_dump >dump.txt
	assert_equal "$(cat A/pk-stats.log)" "1700000000500000000 100 2 1 1 eth0"
	grep -q '^stats 1700000000500000000 100 2 1$' dump.txt
}

@test "start-up finishes a .part left by a crash: whole records, renamed, announced" {
	"$PK_TOOLS/pkgen" -n 10 -N in.pcap
	mkdir -p A/2023-11-14
	part=A/2023-11-14/20231114T221320.000000000Z.pcap.part
	{ cat in.pcap; head -c 54 in.pcap | tail -c 30; } >$part # a torn last record
	mkdir -p A/2023-11-15
	head -c 24 in.pcap >A/2023-11-15/20231115T000000.000000000Z.pcap.part
	pkrotate -d A </dev/null | stream_dump >dump.txt
	find A -name '*.part' | { ! grep -q .; }
	run archive_files A
	assert_equal "${#lines[@]}" 1
	cmp "${lines[0]}" in.pcap
	grep -q "^open 1 1 .* $PWD/$part$" dump.txt
	grep -q "^close 1 2 10 $(stat -c %s in.pcap) .* $PWD/${lines[0]}$" dump.txt
	[ "$(stat -c %a "${lines[0]}")" = 640 ]
}

@test "kill -9 mid-run: finished files intact, .part readable; restart recovers it" {
	"$PK_TOOLS/pkgen" -n 6000 in.pcap
	to_stream in.pcap >in.pk
	mkfifo in
	pkrotate -d A -c 1000 <in >/dev/null 2>err &
	pid=$!
	exec 7>in
	head -c 1000000 in.pk >&7 # about 3500 packets, then input keeps flowing
	wait_for bash -c '[ "$(find A -name "*.pcap" | wc -l)" -ge 3 ]'
	sleep 1.5 # the .part is flushed each second
	kill -9 $pid
	wait $pid || true
	exec 7>&-
	for f in $(archive_files A); do
		capinfos "$f" >/dev/null 2>&1 || need_cmd capinfos
		assert_equal "$(npackets "$f")" 1000
	done
	part=$(find A -name '*.part')
	[ -n "$part" ]
	tcpdump -r "$part" -nn >/dev/null 2>&1
	head -c 37 in.pcap | tail -c 13 >>"$part" # and a torn record on top
	pkrotate -d A </dev/null | stream_dump >dump.txt
	find A -name '*.part' | { ! grep -q .; }
	grep -q '^close 1 2 ' dump.txt
	# finished + recovered = exactly the head of the input, in order
	archive_text A >got.txt
	pcap_text in.pcap | head -n "$(wc -l <got.txt)" >want.txt
	cmp got.txt want.txt
	[ "$(wc -l <got.txt)" -gt 3000 ]
}

@test "FIFO reader restarts: the writer survives, reconnects, no packet lost on disk" {
	"$PK_TOOLS/pkgen" -n 2100 in.pcap
	pcap_craft in.pcap >in.txt
	head -n 1051 in.txt | "$PK_TOOLS/pkcraft" >p1.pk
	{ echo header; tail -n +1052 in.txt; } | "$PK_TOOLS/pkcraft" >p2.pk
	mkfifo in out
	pkrotate -d A -c 100 -o out <in 2>err &
	pid=$!
	exec 7>in
	head -c 5000 <out >r1.pk 7>&- &
	wait_for bash -c "ls -l /proc/$pid/fd | grep -q '/out$'"
	cat p1.pk >&7
	wait_for grep -q 'went away' err
	cat out >r2.pk 7>&- &
	rpid=$!
	# a "connected" after the "went away"
	wait_for awk '/went away/ { w = 1 } w && /connected/ { f = 1 } END { exit !f }' err
	cat p2.pk >&7
	exec 7>&-
	wait $pid
	wait $rpid
	assert_equal "$(count_all A)" 2100
	assert_all_once A in.pcap
	stream_dump <r2.pk >dump.txt
	assert_equal "$(head -1 dump.txt)" header
	# the file being written when the reader left is flagged; the last one is not
	grep -q '^close [0-9]* 1 ' dump.txt
	last=$(grep '^close ' dump.txt | tail -1)
	[[ $last == "close 21 0 100 "* ]]
	assert_equal "$(grep -c '^packet .* loc 21 ' dump.txt)" 100
}

@test "a reader that does not read: forwarding gap flagged, capture goes on" {
	# 1400-byte packets forwarded whole (-H 0): 10000 of them are more than an 8 MiB forward buffer (-b 8)
	python3 -c '
import sys
print("header 1")
p = "02000000000102000000000208004500" + "ab" * 1384
for i in range(10000): print("packet %d 1 %s 1" % (1700000000000000000 + i * 1000, p))
' | "$PK_TOOLS/pkcraft" >in.pk
	pkrotate -d A -c 2000 -b 8 -H 0 <in.pk 2>err | {
		for i in $(seq 300); do grep -q 'not keeping up' err && break; sleep 0.1; done
		cat
	} | stream_dump >dump.txt
	grep -q 'not keeping up' err
	assert_equal "$(count_all A)" 10000
	grep -q '^note 1 [0-9]' dump.txt
	id=$(grep '^note 1 ' dump.txt | head -1 | cut -d' ' -f3)
	grep -q "^close $id 1 2000 " dump.txt
	# every close still got through
	assert_equal "$(grep -c '^close ' dump.txt)" 5
}

# ---- direct I/O (dwrite.c) and headers-only forwarding ----

# prefix_of GOT WANT: GOT's lines are the first lines of WANT
prefix_of() {
	head -n "$(wc -l <"$1")" "$2" | cmp - "$1"
}

@test "direct I/O: every real capture archived record for record, nothing after the last" {
	need_shared
	local f x a n=0
	# the sanitizer pass (scripts/pk-check-san) takes every third file
	for f in $(cd "$SHARED_PCAPS" && find real -name '*.pcap' -o -name '*.pcap.gz' -o -name '*.pcapng' -o -name '*.pcapng.gz' | sort |
	    awk -v k="${SANITIZE:+3}" '!k || NR % k == 1'); do
		x=$(shared_pcap "$f")
		rm -rf A
		pkread -q -r "$x" | pkrotate -d A -C 8 >/dev/null 2>err
		assert_equal "$(grep -c 'page cache' err)" 0   # written direct, no fallback
		# every byte of every packet, ns times, lengths; a zero or a byte past the last record would show
		for a in $(archive_files A); do
			tcpdump -r "$a" -w /dev/null 2>/dev/null || { echo "$f: $a does not end on a whole record"; return 1; }
		done
		# what tcpdump cannot read (a pcapng with interfaces of several link types) it cannot judge
		pcap_text "$x" >want.txt || continue
		[ -s want.txt ]
		archive_text A | sort >got.txt
		sort want.txt | cmp - got.txt || { echo "$f: archive differs from the input"; return 1; }
		n=$((n + 1))
	done
	if [ -n "${SANITIZE:-}" ]; then [ "$n" -ge 6 ]; else [ "$n" -ge 20 ]; fi
}

@test "direct I/O: 4SICS through several 4 MiB blocks and files, in order" {
	need_shared
	x=$(shared_pcap real/large/4SICS-GeekLounge-151020.pcap.gz)
	pkread -q -r "$x" | pkrotate -d A -C 9.5 >/dev/null
	[ "$(archive_files A | wc -l)" -eq 3 ]
	assert_all_once A "$x"
}

@test "direct I/O: a reader of the .part sees the input's head at any moment, never a zero or a stray byte" {
	local c part ref size seen=0 whole=0
	"$PK_TOOLS/pkgen" -n 40000 in.pcap   # about 10 MB: several 4 MiB blocks
	to_stream in.pcap >in.pk
	pkrotate -d R -C 1000 <in.pk >/dev/null
	ref=$(archive_files R)                # what the file holds once finished
	split -b 131072 in.pk chunk.
	mkfifo in
	pkrotate -d A -C 1000 <in >/dev/null 2>err &
	pid=$!
	exec 7>in
	for c in chunk.*; do
		cat "$c" >&7
		part=$(find A -name '*.pcap.part')
		[ -n "$part" ] || continue
		cp "$part" snap
		size=$(stat -c %s snap)
		# the bytes a reader sees are the finished file's first bytes (at most the record
		# being written is cut short: tcpdump then says so after the whole ones)
		cmp -n "$size" snap "$ref" || { echo "after $c: $size bytes that are not the file's head"; return 1; }
		seen=$((seen + 1))
		if tcpdump -r snap -w /dev/null 2>/dev/null; then whole=$((whole + 1)); fi
	done
	exec 7>&-
	wait $pid
	echo "# $seen reads, $whole ending on a whole record" >&3
	[ "$seen" -gt 40 ]
	[ "$whole" -gt 0 ]
	assert_all_once A in.pcap
	cmp "$(archive_files A)" "$ref"
}

@test "direct I/O: kill -9 with blocks in flight leaves whole records, the input's head; the restart finishes it" {
	need_cmd strace
	local call min
	"$PK_TOOLS/pkgen" -n 60000 in.pcap   # about 16 MB
	to_stream in.pcap >in.pk
	pcap_text in.pcap >want.txt
	# killed while reading with writes in flight, entering the first and second submission,
	# and entering the write of the first file's last, partial buffer (-C 6: it follows
	# the file's first 4 MiB block, written direct and done by then)
	for call in read:7 read:13 io_uring_enter:1 io_uring_enter:2 pwrite64:1; do
		rm -rf A
		run strace -f -o /dev/null -e trace="${call%%:*}" -e inject="${call%%:*}":signal=SIGKILL:when="${call#*:}" \
		    pkrotate -d A -C 6 -H 0 <in.pk
		[ "$status" -ne 0 ]
		run pkrotate -d A </dev/null
		assert_success
		for a in $(archive_files A); do
			tcpdump -r "$a" -w /dev/null 2>/dev/null || { echo "$call: $a is not whole"; return 1; }
		done
		archive_text A >got.txt
		prefix_of got.txt want.txt || { echo "$call: not the input's head"; return 1; }
		if [ "$call" = pwrite64:1 ]; then
			# the first file's 4 MiB block was written before the kill: it survives, but for
			# the record it ends inside (pkgen's packets average 270 bytes: 15,500 in 4 MiB)
			min=$(tcpdump -r "$(archive_files A | head -1)" 2>/dev/null | wc -l)
			[ "$min" -gt 14000 ] || { echo "$call: only $min packets survived"; return 1; }
		fi
	done
}

@test "io_uring refused (seccomp, old kernel): buffered writes, said once, same archive" {
	need_cmd strace
	"$PK_TOOLS/pkgen" -n 20000 in.pcap
	to_stream in.pcap >in.pk
	run strace -f -o /dev/null -e trace=io_uring_setup -e inject=io_uring_setup:error=ENOSYS pkrotate -d A -C 2 <in.pk
	assert_success
	assert_equal "$(grep -c 'io_uring is not available' <<<"$output")" 1
	assert_all_once A in.pcap
}

@test "disk full on a small ext4 (loop device) with direct I/O: retention makes room, every file whole (root)" {
	need_root
	need_cmd mkfs.ext4
	truncate -s 12M fs.img
	mkfs.ext4 -q -F fs.img
	mkdir -p l && mount -o loop fs.img l || skip "cannot mount a loop device"
	"$PK_TOOLS/pkgen" -n 60000 in.pcap
	to_stream in.pcap >in.pk
	run pkrotate -d l/E -C 2 <in.pk
	assert_success
	refute_output --partial 'page cache'
	assert_output --partial 'disk full: deleted'
	for f in $(archive_files l/E); do tcpdump -r "$f" -w /dev/null 2>/dev/null; done
	archive_text l/E >got.txt
	pcap_text in.pcap | tail -n "$(wc -l <got.txt)" | cmp - got.txt
	umount l
}

@test "headers only: pkrotate forwards the first 256 bytes (-H), the whole packet with -H 0" {
	python3 -c '
print("header 1")
p = "02000000000102000000000208004500" + "ab" * 1384
for i in range(10): print("packet %d 1 %s 1" % (1700000000000000000 + i * 1000, p))
print("packet 1700000000000010000 1 0200000000010200000000020800450000 1")
' | "$PK_TOOLS/pkcraft" >in.pk
	pkrotate -d A <in.pk | stream_dump >dump.txt
	assert_equal "$(grep -c '^packet 1[0-9]* 256 loc .* cut 1400$' dump.txt)" 10
	assert_equal "$(grep -c '^packet 1[0-9]* 17 loc [0-9]* [0-9]*$' dump.txt)" 1
	rm -rf A
	pkrotate -d A -H 0 <in.pk | stream_dump >dump.txt
	assert_equal "$(grep -c '^packet 1[0-9]* 1400 loc [0-9]* [0-9]*$' dump.txt)" 10
	# a forwarded stream is no archive's input: its cut packets are refused and counted
	rm -rf A B
	run bash -c 'pkrotate -d A <in.pk | pkrotate -d B >/dev/null'
	assert_failure 65
	assert_output --partial 'cannot be archived'
	assert_equal "$(archive_text B | grep -c '^[0-9]')" 1   # the one packet that was whole
}
