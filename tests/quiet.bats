#!/usr/bin/env bats
# quiet.bats - quiet links: on live input pkrotate -G finishes a file when
# the clock passes its interval, and pkread -r - reading a pipe flushes
# whatever the input does.  Live capture on a veth pair inside network
# namespaces the test creates (tests/lib/pkread.bash).

load helpers
load lib/pkread

setup() {
	need_root
	need_cmd ip tcpdump
	for p in pkread pkrotate pkindex; do
		[ -x "$PK_BIN/$p" ] || fail "$p is not built (make)"
	done
	T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/pk-quiet.XXXXXX")
	PIDS=""
	ns_setup || skip "cannot create network namespaces"
}

teardown() {
	local p
	for p in $PIDS; do kill_tree "$p"; done
	ns_teardown
	rm -rf "$T"
}

# count FILE: packets in a pcap (0 when unreadable)
count() { tcpdump -r "$1" -nn 2>/dev/null | wc -l | tr -d ' '; }

# finished DIR: the finished pcaps of an archive, oldest first
finished() { find "$1" -name '*.pcap' | sort; }

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds (bounded)
wait_for() {
	local t=$1; shift
	timeout "$t" bash -c 'until "$@"; do sleep 0.1; done' wait_for "$@"
}

@test "pkrotate -G, live input: the clock finishes the quiet link's last file; the next packet opens the next" {
	local a=$T/a f1 f2 n1 t1 t2 bg
	ip netns exec "$NS_B" bash -c "exec '$PK_BIN/pkread' -q -i pkv1 udp | '$PK_BIN/pkrotate' -d '$a' -G 2 2>'$T/rot.err' |
	    '$PK_BIN/pkindex' -d '$a' 2>'$T/idx.err'" &
	bg=$!
	PIDS="$PIDS $bg"
	wait_capturing "$bg" || { cat "$T/rot.err"; false; }
	send_udp 3 9
	# no later packet comes: the clock alone must publish and index the file
	wait_for 20 bash -c "[ -n \"\$(find '$a' -name '*.pcap')\" ] && [ -z \"\$(find '$a' -name '*.pcap.part')\" ]" ||
	    { ls -lR "$a"; cat "$T/rot.err"; false; }
	f1=$(finished "$a")
	[ "$(wc -l <<<"$f1")" -eq 1 ]
	[ "$(count "$f1")" -eq 3 ]
	wait_for 15 test -s "$f1.idx" || { cat "$T/idx.err"; false; }
	# the file holds one 2-second interval of packet time
	t1=$(tcpdump -r "$f1" -tt -nn 2>/dev/null | awk 'NR == 1 { print int($1 / 2) }')
	t2=$(tcpdump -r "$f1" -tt -nn 2>/dev/null | awk 'END { print int($1 / 2) }')
	[ "$t1" = "$t2" ]
	# the pipeline is still running: the first packet after the boundary opens the next file
	kill -0 "$bg"
	send_udp 2 9
	wait_for 20 bash -c "[ \$(find '$a' -name '*.pcap' | wc -l) -eq 2 ] && [ -z \"\$(find '$a' -name '*.pcap.part')\" ]" ||
	    { ls -lR "$a"; cat "$T/rot.err"; false; }
	f2=$(finished "$a" | grep -vxF "$f1")
	[ "$(count "$f2")" -eq 2 ]
	n1=$(basename "$f1"); n1=${n1%%-*}
	[[ "$(basename "$f2")" > "$n1" ]]
	[ "$(count "$f1")" -eq 3 ]
}

@test "pkrotate -G: a paused replay of old packets is cut by packet time only, never by the clock" {
	local a=$T/a
	gen "$T/x.pcap" -n 40 -t 1600000000 -i 10000
	gen "$T/y.pcap" -n 40 -t 1600000010 -i 10000 -s 2
	# the stream pauses 3 s (three of pkrotate's ticks) between the two halves
	{ "$PK_BIN/pkread" -r "$T/x.pcap"; sleep 3; "$PK_BIN/pkread" -r "$T/y.pcap"; } |
	    "$PK_BIN/pkrotate" -d "$a" -G 3600 2>"$T/rot.err" >/dev/null
	cat "$T/rot.err"
	[ "$(finished "$a" | wc -l)" -eq 1 ]
	[ "$(count "$(finished "$a")")" -eq 80 ]
}

@test "pkread -r - on a live pipe: packets reach the stream while the input stalls" {
	local a=$T/a bg
	# tcpdump -U writes each packet as it comes; then the link goes quiet
	ip netns exec "$NS_B" bash -c "tcpdump -U -q -i pkv1 -w - udp 2>'$T/td.err' | '$PK_BIN/pkread' -r - |
	    '$PK_BIN/pkrotate' -d '$a' 2>'$T/rot.err' >/dev/null" &
	bg=$!
	PIDS="$PIDS $bg"
	wait_for 20 bash -c "grep -q 'listening on' '$T/td.err'"
	send_udp 5 9
	# all five, not only the first: pkread flushed without a sixth packet
	wait_for 20 bash -c "f=\$(find '$a' -name '*.pcap.part'); [ -n \"\$f\" ] &&
	    [ \$(tcpdump -r \"\$f\" 2>/dev/null | wc -l) -eq 5 ]" ||
	    { find "$a" -name '*.part' -exec tcpdump -r {} \; ; cat "$T/rot.err"; false; }
	# and the input is still open (stalled, not ended)
	kill -0 "$bg"
	[ -z "$(find "$a" -name '*.pcap')" ]
}

@test "pkindex on a quiet FIFO: TERM ends it (status 0), though no more input comes" {
	local a=$T/a pid st=0
	mkdir -p "$a"
	mkfifo "$T/fifo"
	# the writer side stays open, as systemd holds pk-index@.socket's FIFO
	exec 8<>"$T/fifo"
	"$PK_BIN/pkindex" -d "$a" <"$T/fifo" 2>"$T/idx.err" &
	pid=$!
	PIDS="$PIDS $pid"
	"$PK_BIN/pkread" -q -r "$(gen "$T/x.pcap" -n 10; echo "$T/x.pcap")" | "$PK_BIN/pkrotate" -d "$a" 2>/dev/null >&8
	# idle now: it waits for input in poll(); TERM must not leave it blocked in a read
	sleep 1
	kill -TERM "$pid"
	timeout 20 bash -c "while kill -0 $pid 2>/dev/null; do sleep 0.1; done" || { cat "$T/idx.err"; false; }
	wait "$pid" || st=$?
	exec 8>&-
	cat "$T/idx.err"
	[ "$st" -eq 0 ]
	[ -n "$(find "$a" -name '*.pcap.idx')" ]
}
