#!/usr/bin/env bats
# catalog.bats - the archive catalogs (pk-index(5) "Catalogs"): pkindex keeps
# them, pkfind believes them only where they still describe the archive, and
# the answer is tcpdump's whether they are present, absent, stale, damaged
# or half-written.  The archive: 300 one-minute files over five hours across
# midnight (two date folders, five hours), from pkgen through the pipeline.

load helpers
load lib/pkfind

# selective, medium, broad, and what the index cannot narrow
EXPRS=('host 10.0.0.7' 'ether host 02:00:00:00:00:03 and icmp' 'vlan 20 and udp port 123' 'ip6 and port 22'
	'arp and host 192.168.1.3' 'host 10.9.9.9' 'udp' 'not port 53' 'greater 1000' '')
START=1800050400        # 2027-01-15T22:00:00Z

setup_file() {
	local d=$BATS_FILE_TMPDIR
	export CB=$d
	"$PK_TOOLS/pkgen" -n 6000 -t "$START" -i 3000000 "$d/gen.pcap"
}

# fresh: the archive made anew through the pipeline (a copy would have other inodes: see the copy case)
fresh() {
	rm -rf "$A"
	mkdir -p "$A"
	# retention removing a file before its close record is read is not a failure (issue 10 item 9)
	pkread -r "$CB/gen.pcap" | pkrotate -d "$A" -G 60 "$@" | pkindex -d "$A" 2>>"$CB/ingest.log"
}

setup() {
	A=$CB/a
	BG=""
	fresh
}

teardown() {
	exec 8>&- 2>/dev/null || true
	[ -z "$BG" ] || kill $BG 2>/dev/null || true
	wait 2>/dev/null || true
}

# wait_for CMD...: up to 20 s for CMD to succeed
wait_for() {
	local i
	for i in $(seq 1 100); do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}

# merged [START END]: the archive's files as one pcap (in [START, END), epoch seconds), for the oracle
merged() {
	local f=$CB/oracle.pcap
	# shellcheck disable=SC2046
	mergecap -F pcap -a -w "$f" $(pf_files "$A")
	if [ $# -eq 2 ]; then
		editcap -F pcap -A "$1" -B "$2" "$f" "$f.w" && mv "$f.w" "$f"
	fi
}

# oracle EXPR: tcpdump over the merged files, one packet per line, sorted
oracle() {
	tcpdump -r "$CB/oracle.pcap" -S -nn -tt --nano -xx "$1" 2>/dev/null | pf_pktlines
}

# exact [START END]: every expression gives tcpdump's packets and count (in the window)
exact() {
	local e want got n w=()
	[ $# -eq 2 ] && w=(-s "$1" -e "$2")
	merged "$@"
	set -- "${w[@]}"
	for e in "${EXPRS[@]}"; do
		want=$(oracle "$e")
		got=$(pf_answer "$A" "$e" "$@")
		n=$(printf '%s' "$want" | grep -c . || true)
		if [ "$want" != "$got" ]; then
			echo "'$e' $*: tcpdump $n packets, pkfind|pkslice $(printf '%s' "$got" | grep -c . || true)"
			return 1
		fi
		got=$(pkfind -q -c -d "$A" "$@" "$e")
		[ "$got" = "$n" ] || { echo "'$e' $*: pkfind -c $got, tcpdump $n"; return 1; }
	done
}

# coverage EXPR [pkfind args]: the numbers of the coverage line: "files catalog indexed scanned"
coverage() {
	local e=$1
	shift
	pkfind -c -d "$A" "$@" "$e" 2>&1 >/dev/null |
		sed -n 's/.*: \([0-9]*\) files\{0,1\} (\([0-9]*\) from catalogs, \([0-9]*\) indexed, \([0-9]*\) scanned).*/\1 \2 \3 \4/p'
}

sealed_count() {
	local c n=0
	for c in "$A"/.catalog/*.cat; do
		pkindex --dump "$c" | grep -q '^sealed' && n=$((n + 1))
	done
	echo "$n"
}

@test "the pipeline leaves one sealed catalog per date folder and no hour catalogs" {
	[ "$(pf_files "$A" | wc -l)" -eq 300 ]
	run ls "$A/.catalog"
	assert_output "$(printf '%s\n' 2027-01-15.cat 2027-01-16.cat)"
	[ "$(sealed_count)" -eq 2 ]
	# every file, every packet, once
	run bash -c "pkindex --dump '$A/.catalog/2027-01-15.cat' | grep -c '^file '; pkindex --dump '$A/.catalog/2027-01-16.cat' | grep -c '^file '"
	assert_output "$(printf '120\n180')"
	run bash -c "pkindex --dump '$A/.catalog/2027-01-15.cat' '$A/.catalog/2027-01-16.cat' 2>/dev/null | true; for c in '$A'/.catalog/*.cat; do pkindex --dump \$c | sed -n 's/^packets //p'; done | paste -sd+ | bc"
	assert_output 6000
}

@test "catalogs present: answers equal tcpdump's; files ruled out are counted as from catalogs" {
	exact
	read -r n c i s <<<"$(coverage 'host 10.9.9.9')"
	[ "$n" -eq 300 ] && [ "$s" -eq 0 ] && [ $((c + i)) -eq 300 ]
	# an address no packet has: only files with packets the index could not judge are opened
	[ "$c" -gt 250 ]
	read -r n c i s <<<"$(coverage '')"
	[ "$n" -eq 300 ] && [ "$c" -eq 0 ] && [ "$i" -eq 300 ]
}

@test "catalogs present, a one-hour window: only that hour's files, answers exact" {
	exact $((START + 3600)) $((START + 7200))
	read -r n c i s <<<"$(coverage 'host 10.0.0.7' -s $((START + 3600)) -e $((START + 7200)))"
	[ "$n" -eq 60 ] && [ $((c + i)) -eq 60 ] && [ "$s" -eq 0 ]
	# across midnight: both folders; and a window that cuts files
	exact $((START + 5400)) $((START + 9000))
	read -r n c i s <<<"$(coverage 'host 10.0.0.7' -s $((START + 5400)) -e $((START + 9000)))"
	[ "$n" -eq 60 ]
	exact $((START + 5430)) $((START + 5510))
}

@test "catalogs absent: the same answers, every file from its own index" {
	rm -rf "$A/.catalog"
	exact
	read -r n c i s <<<"$(coverage 'host 10.9.9.9')"
	[ "$n" -eq 300 ] && [ "$c" -eq 0 ] && [ "$i" -eq 300 ]
	# PK_NO_CATALOG makes pkfind ignore catalogs that are there
	fresh
	read -r n c i s <<<"$(PK_NO_CATALOG=1 coverage 'host 10.9.9.9')"
	[ "$c" -eq 0 ] && [ "$i" -eq 300 ]
}

@test "stale: a file re-indexed after the catalog was built is searched through its own index" {
	local f
	f=$(pf_files "$A" | sed -n 50p)
	pkindex -d "$A" "$f"
	exact
	# the folder changed: it is listed, and the re-indexed file is not believed
	read -r n c i s <<<"$(coverage 'host 10.9.9.9')"
	[ "$n" -eq 300 ] && [ $((c + i)) -eq 300 ]
	run pkfind -q -l -d "$A" 'host 10.9.9.9'
	assert_output ""
}

@test "stale: a file replaced by one with other packets is found by what it holds now" {
	local f tmp=$CB/other.pcap
	f=$(pf_files "$A" | sed -n 70p)
	# same times, other hosts: 10.0.0.x becomes 10.77.0.x in every IPv4 header of the file
	tcprewrite --pnat=10.0.0.0/24:10.77.0.0/24 -i "$f" -o "$tmp"
	[ "$(tcpdump -r "$tmp" -nn net 10.77.0.0/24 2>/dev/null | wc -l)" -gt 0 ]
	mv "$tmp" "$f"
	exact
	EXPRS=('net 10.77.0.0/24' 'host 10.77.0.7')
	exact
	# with its index rebuilt too (both renamed into place): still found
	pkindex -d "$A" "$f"
	exact
	[ "$(pkfind -q -c -d "$A" 'net 10.77.0.0/24')" -gt 0 ]
}

@test "damaged catalogs (truncated, garbage, another folder's) are ignored with a message; answers exact" {
	local c1=$A/.catalog/2027-01-15.cat c2=$A/.catalog/2027-01-16.cat
	truncate -s 5000 "$c1"
	head -c 20000 /dev/urandom >"$c2"
	exact
	run pkfind -q -c -d "$A" 'host 10.0.0.7'
	assert_success
	run pkfind -c -d "$A" 'host 10.0.0.7'
	assert_output --partial "2027-01-15.cat: "
	assert_output --partial "2027-01-16.cat: not written by pk (bad Berkeley DB meta page) (searching without it)"
	# a valid catalog of the other folder under this one's name: its seal and its names do not match
	fresh
	cp "$A/.catalog/2027-01-15.cat" "$A/.catalog/2027-01-16.cat"
	exact
	read -r n c i s <<<"$(coverage 'host 10.9.9.9')"
	[ "$n" -eq 300 ] && [ "$s" -eq 0 ]
	[ "$i" -ge 180 ]   # nothing of the second day is believed
	# --repair puts things right
	run pkindex --repair -d "$A"
	assert_success
	assert_line --partial "catalogs: folders 2, built 1"
	[ "$(sealed_count)" -eq 2 ]
	exact
}

@test "retention: files deleted under a sealed catalog are ignored; pkrotate -N keeps catalogs right" {
	local f
	for f in $(pf_files "$A" | sed -n '1,10p;200,210p'); do rm -f "$f" "$f.idx"; done
	exact
	read -r n c i s <<<"$(coverage 'host 10.9.9.9')"
	[ "$n" -eq 279 ]
	# retention through the pipeline: only the newest 100 files stay, their catalogs say so
	fresh -N 100
	[ "$(pf_files "$A" | wc -l)" -eq 100 ]
	exact
	run ls "$A/.catalog"
	assert_output "2027-01-16.cat"
	run bash -c "pkindex --dump '$A/.catalog/2027-01-16.cat' | grep -c '^file '"
	assert_output 100
	[ "$(sealed_count)" -eq 1 ]
}

@test "live: hour catalogs while the day is open, the .pcap.part searched; sealed once complete" {
	local fifo=$CB/in.fifo
	rm -rf "$A" && mkdir -p "$A"
	# the first four hours arrive, then the input stalls with a file open
	"$PK_TOOLS/pkgen" -n 4800 -t "$START" -i 3000000 "$CB/first.pcap"
	mkfifo "$fifo"
	pkrotate -d "$A" -G 60 <"$fifo" | pkindex -d "$A" 2>"$CB/live.log" &
	BG=$!
	exec 8>"$fifo"
	pkread -r "$CB/first.pcap" >&8
	# day one sealed (a later folder has begun and it is still), day two in hour catalogs, one .part
	wait_for test -f "$A/.catalog/2027-01-15.cat"
	wait_for test -f "$A/.catalog/2027-01-16.01.cat"
	[ -f "$A/.catalog/2027-01-16.00.cat" ]
	[ "$(find "$A" -name '*.pcap.part' | wc -l)" -eq 1 ]
	EXPRS=('host 10.0.0.7' 'udp' '')
	exact
	read -r n c i s <<<"$(coverage 'host 10.9.9.9')"
	[ "$s" -eq 1 ]          # the file being written
	exec 8>&-
	wait "$BG"
	BG=""
	[ "$(sealed_count)" -eq 2 ]
	exact
}

@test "a copy of the archive (new inodes) is searched without its catalogs until --repair" {
	local c=$CB/copy
	rm -rf "$c"
	cp -a "$A" "$c"
	A=$c
	exact
	read -r n c i s <<<"$(coverage 'host 10.9.9.9')"
	[ "$n" -eq 300 ] && [ "$c" -eq 0 ] && [ "$i" -eq 300 ]
	pkindex --repair -d "$A" >/dev/null
	read -r n c i s <<<"$(coverage 'host 10.9.9.9')"
	[ "$c" -eq 300 ]
	exact
}

@test "kill -9 of pkindex while it writes a catalog: the old one or the new one, answers exact, --repair restores" {
	need_cmd strace
	local call
	rm -rf "$A/.catalog"
	# kill while pages are written, at each rename (Berkeley DB's own of its new file, then ours
	# into place, for both folders) and at the clean-up after a seal
	for call in pwrite64:3 rename:1 rename:2 unlink:2; do
		rm -rf "$A/.catalog"
		run strace -f -o /dev/null -e trace="${call%%:*}" -e inject="${call%%:*}":signal=SIGKILL:when="${call#*:}" \
		    pkindex --repair -d "$A"
		[ "$status" -ne 0 ]
		# what is there opens, or was never renamed into place
		for c in "$A"/.catalog/*.cat; do
			[ -e "$c" ] || continue
			pkindex --dump "$c" >/dev/null || { echo "$call: $c does not open"; return 1; }
		done
		EXPRS=('host 10.0.0.7' 'not port 53')
		exact
		run pkindex --repair -d "$A"
		assert_success
		[ "$(sealed_count)" -eq 2 ]
		# no temporary file of the dead builder is left
		[ -z "$(find "$A/.catalog" -name '*.tmp.*')" ]
	done
}

@test "kill -9 of the live indexer between files: a restarted one completes the catalogs" {
	local fifo=$CB/k.fifo pid
	rm -rf "$A" && mkdir -p "$A"
	mkfifo "$fifo"
	pkread -r "$CB/gen.pcap" | pkrotate -d "$A" -G 60 -o "$fifo" >/dev/null &
	pkindex -d "$A" <"$fifo" 2>/dev/null &
	pid=$!
	sleep 0.3
	kill -9 "$pid" 2>/dev/null || true
	wait || true
	pkindex --repair -d "$A" >/dev/null
	[ "$(sealed_count)" -eq 2 ]
	exact
}

@test "mpls: catalogs rule files out by label; a catalog older than the field rules none out for it" {
	local K=$BATS_TEST_TMPDIR/k c n i s
	"$PK_TOOLS/pkgen" -n 600 -t "$START" -i 30000000 -m mplsx,udp,tcp6,arp "$CB/k.pcap"
	mkdir -p "$K"
	pkread -r "$CB/k.pcap" | pkrotate -d "$K" -G 60 | pkindex -d "$K" 2>>"$CB/ingest.log"
	A=$K
	[ "$(sealed_count)" -eq 2 ]
	run pf_same "$K" 'mpls 100'
	assert_success
	read -r n c i s <<<"$(coverage 'mpls 100')"
	[ "$n" -eq 300 ] && [ "$c" -gt 100 ]
	for c in "$K"/.catalog/*.cat; do
		run "$PK_TOOLS/idxold" "$c"
		assert_success
		[ "$output" -gt 0 ]          # it had mpls lists to lose
	done
	# still believed (the host lists narrow), but not for mpls: every file is opened, answers exact
	read -r n c i s <<<"$(coverage 'host 10.0.0.1')"
	[ "$c" -gt 100 ]
	read -r n c i s <<<"$(coverage 'mpls 100')"
	[ "$n" -eq 300 ] && [ "$c" -eq 0 ] && [ "$i" -eq 300 ]
	run pf_same "$K" 'mpls 100'
	assert_success
	run pf_same "$K" 'mpls 100 and mpls 200'
	assert_success
}
