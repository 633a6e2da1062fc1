#!/usr/bin/env bats
# systemd.bats - the units under a real systemd, as a deployment runs them.
#
# The project is installed (make install) into a temporary tree; a
# throw-away container is booted on the host's own /usr with that tree as
# its /usr/local:
#
#   systemd-nspawn --volatile=yes -D / --private-network --bind-ro=INST/usr/local:/usr/local -b
#
# (a tmpfs root: nothing reaches the host; a network namespace of its own,
# where the suite makes a veth pair and sends frames; no udev, as in any
# container).  Every step is systemctl, journalctl, systemd-sysusers and
# systemd-analyze inside it (nsenter).  The container boots once, in
# setup_file, and is always powered off in teardown_file.  The tests are
# the steps of one deployment, in order.

load helpers

export SD_ARCH=/var/lib/pk/veth0

setup_file() {
	export SD_SKIP="" SD_PID1="" SD_NSPAWN="" SD_DIR=$BATS_FILE_TMPDIR
	if [ "$(id -u)" != 0 ]; then
		SD_SKIP="needs root (systemd-nspawn, network namespaces)"
		return 0
	fi
	local p
	for p in systemd-nspawn nsenter tcpreplay redis-server redis-cli; do
		command -v "$p" >/dev/null || { echo "$p is not installed (scripts/pk-deps)" >&2; return 1; }
	done
	for p in pkread pkrotate pkindex pkfind pkslice pkextract; do
		[ -x "$PK_BIN/$p" ] || { echo "$p is not built (make)" >&2; return 1; }
	done
	make -C "$PK_ROOT" install DESTDIR="$SD_DIR/inst" PREFIX=/usr/local BIN="$PK_BIN" \
	    BUILD="${PK_TOOLS%/tools}" >"$SD_DIR/install.log" 2>&1 ||
	    { cat "$SD_DIR/install.log" >&2; return 1; }
	# The root is empty at boot: systemd enables units by preset.  Only what
	# the test enables runs, whatever else the host has installed.
	mkdir -p "$SD_DIR/preset" "$SD_DIR/conf"
	echo 'disable *' >"$SD_DIR/preset/00-pk-test.preset"
	# The sanitizer build (scripts/pk-check-san): the units run its binaries
	# with the options the suites use (no leak check, an abort on a report).
	printf '[Manager]\nDefaultEnvironment="ASAN_OPTIONS=%s" "UBSAN_OPTIONS=%s"\n' \
	    "${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}" \
	    "${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}" >"$SD_DIR/conf/pk-test.conf"
	systemd-nspawn --quiet --keep-unit --register=no --volatile=yes -D / --private-network \
	    -M "pktest$$" --console=read-only \
	    --bind-ro="$SD_DIR/inst/usr/local:/usr/local" \
	    --bind-ro="$SD_DIR/preset:/etc/systemd/system-preset" \
	    --bind-ro="$SD_DIR/conf:/etc/systemd/system.conf.d" \
	    -b -- systemd.firstboot=off systemd.unit=multi-user.target \
	    </dev/null >"$SD_DIR/nspawn.log" 2>&1 &
	SD_NSPAWN=$!
	echo "$SD_NSPAWN" >"$SD_DIR/nspawn.pid"
	# PID 1 of the container: the child of nspawn named systemd
	for ((p = 0; p < 300; p++)); do
		SD_PID1=$(pgrep -P "$SD_NSPAWN" -x systemd | head -n 1)
		[ -n "$SD_PID1" ] && break
		kill -0 "$SD_NSPAWN" 2>/dev/null || break
		sleep 0.1
	done
	# booted: running or degraded (systemctl answers once PID 1 listens)
	local state=""
	for ((p = 0; p < 300; p++)); do
		[ -n "$SD_PID1" ] || break
		state=$(timeout 60 nsenter -t "$SD_PID1" -a systemctl is-system-running --wait 2>/dev/null) || true
		case $state in running | degraded | maintenance | stopping | offline) break ;; esac
		kill -0 "$SD_NSPAWN" 2>/dev/null || break
		sleep 0.1
	done
	case $state in
	running | degraded) ;;
	*)
		SD_SKIP="the container did not boot (state ${state:-none}): $(tail -n 5 "$SD_DIR/nspawn.log" | tr '\n' ' ')"
		sd_poweroff
		return 0 ;;
	esac
	echo "$SD_PID1" >"$SD_DIR/pid1"
}

teardown_file() {
	sd_poweroff
}

# sd_poweroff: power the container off (and make sure nspawn is gone)
sd_poweroff() {
	local n
	n=$(cat "$SD_DIR/nspawn.pid" 2>/dev/null) || return 0
	if [ -n "$SD_PID1" ]; then
		nsenter -t "$SD_PID1" -a systemctl poweroff >/dev/null 2>&1 || true
	fi
	timeout 30 bash -c "while kill -0 $n 2>/dev/null; do sleep 0.2; done" || {
		kill -TERM "$n" 2>/dev/null
		timeout 10 bash -c "while kill -0 $n 2>/dev/null; do sleep 0.2; done" || kill -KILL "$n" 2>/dev/null
	}
	rm -f "$SD_DIR/nspawn.pid"
	return 0
}

setup() {
	[ -z "$SD_SKIP" ] || skip "$SD_SKIP"
	T=$BATS_TEST_TMPDIR
}

# ---- helpers ----

# ct CMD...: run CMD inside the container (every namespace of its PID 1)
ct() { nsenter -t "$SD_PID1" -a "$@"; }
# ctnet CMD...: run a host program in the container's network namespace only
ctnet() { nsenter -t "$SD_PID1" -n "$@"; }
# ctpath PATH: a path of the container, seen from the host
ctpath() { printf '/proc/%s/root%s\n' "$SD_PID1" "$1"; }

# prop UNIT PROPERTY: one property's value
prop() { ct systemctl show -p "$2" --value "$1"; }

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds (bounded)
wait_for() {
	local t=$1; shift
	timeout "$t" bash -c 'until "$@"; do sleep 0.2; done' wait_for "$@"
}
export -f ct ctnet ctpath prop

# journal UNIT: its journal (the messages only)
journal() { ct journalctl -q --no-pager -o cat -u "$1"; }

# frames FILE N [SEED]: N IPv4 frames (udp, tcp, icmp) for tcpreplay
frames() { "$PK_TOOLS/pkgen" -n "$2" -s "${3:-1}" -m udp,tcp,icmp "$1"; }

# send FILE [tcpreplay options]: FILE's frames into veth1, so veth0 receives them
send() {
	local f=$1; shift
	ctnet tcpreplay -q -i veth1 "$@" "$f" >/dev/null 2>&1
}

# pcaps: the archive's finished pcaps (container paths), oldest first
pcaps() { ct find "$SD_ARCH" -name '*.pcap' | sort; }
# parts: its files in progress
parts() { ct find "$SD_ARCH" -name '*.pcap.part'; }

# settled: every pcap is finished and has its index
settled() {
	[ -z "$(parts)" ] || return 1
	local f
	for f in $(pcaps); do
		ct test -s "$f.idx" || return 1
	done
	return 0
}
export -f pcaps parts settled

# found EXPR: pkfind -c over the archive, in the container
found() { ct pkfind -d "$SD_ARCH" -c "$1" 2>/dev/null; }
export -f found
# archived: packets in the archive's files, by tcpdump
archived() {
	local f n=0
	for f in $(pcaps) $(parts); do
		n=$((n + $(tcpdump -r "$(ctpath "$f")" -nn 2>/dev/null | wc -l)))
	done
	echo "$n"
}

# caps PID: "uid capeff capamb capbnd nnp" of a process of the container
# (text tools run on the host: the container's /etc has no alternatives, so no awk)
caps() {
	ct cat "/proc/$1/status" | awk '/^Uid:/ { u = $2 } /^CapEff:/ { e = $2 } /^CapAmb:/ { a = $2 }
	    /^CapBnd:/ { b = $2 } /^NoNewPrivs:/ { n = $2 } END { print u, e, a, b, n }'
}

# procs UNIT: the pids of a unit's processes (in the container), by their
# cgroup (cgroup v1 or v2, whichever the host gives the container)
procs() {
	ct sh -c 'for p in /proc/[0-9]*; do
	    grep -qF "/$1" "$p/cgroup" 2>/dev/null && echo "${p#/proc/}"; done; true' sh "$1"
}

# comm PID: a container process's name
comm() { ct cat "/proc/$1/comm"; }

# capturing: some packet socket is open in the container
capturing() { [ "$(ct cat /proc/net/packet | wc -l)" -gt 1 ]; }
# comms UNIT: the names of a unit's processes, sorted
comms() { local p; for p in $(procs "$1"); do comm "$p"; done | sort | tr '\n' ' '; }
export -f capturing comms procs comm

# readme_exposure NAME: the exposure the README states for a unit (capture, index, repair, trigger)
readme_exposure() {
	grep -o "exposure: [^)]*" "$PK_ROOT/README.md" | tr ',' '\n' | sed -n "s/.*$1 \([0-9.]*\).*/\1/p"
}

# exposure UNIT: systemd-analyze security's overall figure for a loaded unit
exposure() {
	ct systemd-analyze security --no-pager "$1" 2>/dev/null |
	    sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p'
}

# ---- the deployment, step by step ----

@test "systemd: the container boots; systemd-sysusers creates pk from the installed pk.sysusers" {
	# created at boot already, from /usr/local/lib/sysusers.d: remove it, as on a fresh system
	ct userdel pk 2>/dev/null || true
	ct groupdel pk 2>/dev/null || true
	! ct getent passwd pk || false
	run ct systemd-sysusers
	echo "$output"
	[ "$status" -eq 0 ]
	run ct getent passwd pk
	echo "$output"
	[[ "$output" == pk:x:*:*:"pk packet archive":/var/lib/pk:/usr/sbin/nologin ]]
	ct getent group pk
}

@test "systemd: enable --now of the socket, the capture and the repair timer, as the README says" {
	# IPv6 off before the pair exists: the link carries only the frames the suite sends
	ctnet sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ct ip link add veth0 type veth peer name veth1
	ct ip link set veth0 up
	ct ip link set veth1 up
	ct mkdir -p /etc/pk
	ct cp /usr/local/share/pk/pk.conf.example /etc/pk/veth0.conf
	# files of 2 s of packet time, finished by the clock on a quiet link
	ct sh -c 'echo ROTATE_SECONDS=2 >>/etc/pk/veth0.conf'
	run ct systemctl enable --now pk-index@veth0.socket pk-capture@veth0.service pk-repair@veth0.timer
	echo "$output"
	[ "$status" -eq 0 ]
	run ct systemctl is-active pk-index@veth0.socket pk-capture@veth0.service pk-repair@veth0.timer
	echo "$output"
	[ "$output" = "$(printf 'active\nactive\nactive')" ]
	# no udev here: the device unit cannot start, and that is no dependency failure
	! journal pk-capture@veth0.service | grep -q 'Dependency failed' || false
	# the FIFO as the socket unit declares it: pk's, writable by no one else (issue 10 item 2)
	local mode
	mode=$(sed -n 's/^SocketMode=0*//p' "$PK_ROOT/systemd/pk-index@.socket")
	[ "$(ct stat -c '%U %G %a %F' /run/pk/veth0.fifo)" = "pk pk $mode fifo" ]
	[ $((8#$mode & 8#022)) -eq 0 ]
	[ "$(ct stat -c '%U %a' "$SD_ARCH")" = "pk 750" ]
	wait_for 20 capturing ||
	    { journal pk-capture@veth0.service; false; }
}

@test "systemd: frames sent on the container's veth are all archived, indexed and found" {
	local n
	frames "$T/a.pcap" 600
	send "$T/a.pcap"
	wait_for 60 bash -c '[ "$(found ip)" = 600 ]' ||
	    { journal pk-capture@veth0.service; found ip; false; }
	# the clock finishes the last file; the indexer (started by the socket) indexes each
	wait_for 60 settled || { ct ls -lR "$SD_ARCH"; journal pk-index@veth0.service; false; }
	[ "$(prop pk-index@veth0.service ActiveState)" = active ]
	n=$(ct pkfind -d "$SD_ARCH" -c udp 2>"$T/err")
	cat "$T/err"
	[ "$n" -eq "$(tcpdump -r "$T/a.pcap" -nn udp 2>/dev/null | wc -l)" ]
	grep -q 'indexed, 0 scanned' "$T/err"
	# the very frames, byte for byte
	ct sh -c "pkfind -d $SD_ARCH ip | pkslice" >"$T/out.pcap"
	[ "$(tcpdump -r "$T/out.pcap" -nn -t -xx 2>/dev/null | md5sum)" = \
	  "$(tcpdump -r "$T/a.pcap" -nn -t -xx 2>/dev/null | md5sum)" ]
	# the archive is pk's, group-readable, no more
	[ "$(ct stat -c '%U %G %a' "$(pcaps | head -n 1)")" = "pk pk 640" ]
}

@test "systemd: the capture runs as pk with CAP_NET_RAW alone (pkrotate without it); pkindex with nothing" {
	local uid pid c n=0 line
	uid=$(ct id -u pk)
	for pid in $(procs pk-capture@veth0.service); do
		c=$(comm "$pid")
		line=$(caps "$pid")
		echo "$pid $c: $line"
		set -- $line
		[ "$1" = "$uid" ]
		[ "$4" = 0000000000002000 ]
		[ "$5" = 1 ]
		case $c in
		pkread) [ "$2" = 0000000000002000 ] && [ "$3" = 0000000000002000 ]; n=$((n + 1)) ;;
		pkrotate) [ "$2" = 0000000000000000 ] && [ "$3" = 0000000000000000 ]; n=$((n + 1)) ;;
		bash) ;;
		*) echo "unexpected process $c"; false ;;
		esac
	done
	[ "$n" -eq 2 ]
	pid=$(prop pk-index@veth0.service MainPID)
	line=$(caps "$pid")
	echo "pkindex: $line"
	[ "$line" = "$uid 0000000000000000 0000000000000000 0000000000000000 1" ]
	[ "$(comm "$pid")" = pkindex ]
}

@test "systemd: systemd-analyze security on the running units: at or under the README's figures" {
	local u want got
	for u in capture:pk-capture@veth0.service index:pk-index@veth0.service repair:pk-repair@veth0.service; do
		want=$(readme_exposure "${u%%:*}")
		got=$(exposure "${u#*:}")
		echo "${u#*:}: $got (README: $want)"
		[ -n "$want" ] && [ -n "$got" ]
		awk -v a="$got" -v b="$want" 'BEGIN { exit !(a <= b) }'
	done
}

@test "systemd: SIGKILL of pkindex: the socket's service comes back, repair indexes what it missed" {
	local before pid total n
	before=$(prop pk-index@veth0.service NRestarts)
	pid=$(prop pk-index@veth0.service MainPID)
	total=$(found ip)
	frames "$T/b.pcap" 300 2
	# frames flow (3 s at 100 a second) while the indexer is killed
	send "$T/b.pcap" --pps=100 &
	local tr=$!
	sleep 1
	ct kill -KILL "$pid"
	wait_for 30 bash -c "[ \"\$(prop pk-index@veth0.service MainPID)\" != 0 ] &&
	    [ \"\$(prop pk-index@veth0.service MainPID)\" != $pid ]" ||
	    { journal pk-index@veth0.service; false; }
	[ "$(prop pk-index@veth0.service NRestarts)" -gt "$before" ]
	# the capture did not notice
	[ "$(prop pk-capture@veth0.service NRestarts)" = 0 ]
	wait "$tr"
	total=$((total + 300))
	wait_for 60 bash -c "[ \"\$(found ip)\" = $total ]" || { found ip; false; }
	wait_for 60 bash -c '[ -z "$(parts)" ]'
	# the indexer away altogether: files are finished that nobody indexes.
	# Stopped, pkindex ends on TERM (not killed when TimeoutStopSec= runs out)
	ct systemctl stop pk-index@veth0.socket pk-index@veth0.service
	[ "$(prop pk-index@veth0.service Result)" = success ]
	frames "$T/b2.pcap" 200 6
	send "$T/b2.pcap"
	total=$((total + 200))
	wait_for 60 bash -c "[ \"\$(found ip)\" = $total ] && [ -z \"\$(parts)\" ]" || { found ip; false; }
	local missed=0 f
	for f in $(pcaps); do ct test -e "$f.idx" || missed=$((missed + 1)); done
	[ "$missed" -gt 0 ]
	# the timer's service, run now: it indexes them, the archive answers from indexes alone
	run ct systemctl start pk-repair@veth0.service
	[ "$status" -eq 0 ]
	[ "$(prop pk-repair@veth0.service Result)" = success ]
	journal pk-repair@veth0.service | grep 'checked' | tail -n 1 | grep "built $missed, rebuilt 0, failed 0"
	settled
	# the socket starts again (its FIFO, pk's, removed on stop), and indexing goes on live
	ct systemctl start pk-index@veth0.socket
	frames "$T/b3.pcap" 50 7
	send "$T/b3.pcap"
	total=$((total + 50))
	wait_for 60 bash -c "[ \"\$(found ip)\" = $total ] && settled" ||
	    { journal pk-index@veth0.socket | tail; false; }
	n=$(ct pkfind -d "$SD_ARCH" -c ip 2>"$T/err")
	cat "$T/err"
	[ "$n" -eq "$total" ]
	grep -q 'indexed, 0 scanned' "$T/err"
	[ "$(archived)" -eq "$total" ]
}

@test "systemd: SIGKILL of pkrotate: the capture comes back, its file in progress is finished, nothing on disk is lost" {
	local before pid f sums seen n
	before=$(prop pk-capture@veth0.service NRestarts)
	# what is finished now must stay as it is
	sums=$(for f in $(pcaps); do md5sum "$(ctpath "$f")"; done)
	frames "$T/c.pcap" 400 3
	send "$T/c.pcap" --pps=100 &
	local tr=$!
	# kill it while it writes a file that has packets
	wait_for 20 bash -c 'f=$(parts); [ -n "$f" ] && [ "$(tcpdump -r "$(ctpath "$f")" 2>/dev/null | wc -l)" -gt 5 ]'
	pid=$(for p in $(procs pk-capture@veth0.service); do [ "$(comm "$p")" = pkrotate ] && echo "$p"; done)
	[ -n "$pid" ]
	seen=$(found ip)
	ct kill -KILL "$pid"
	wait_for 30 bash -c "[ \"\$(prop pk-capture@veth0.service NRestarts)\" -gt $before ] &&
	    [ \"\$(prop pk-capture@veth0.service ActiveState)\" = active ]" ||
	    { journal pk-capture@veth0.service | tail; false; }
	wait "$tr"
	# (finished with its packets; or, killed the instant it opened, removed without any)
	wait_for 20 bash -c "ct journalctl -q --no-pager -o cat -u pk-capture@veth0.service |
	    grep -q 'left by a crash'" || { journal pk-capture@veth0.service | tail -n 20; false; }
	wait_for 60 bash -c '[ -z "$(parts)" ]'
	printf '%s\n' "$sums" | md5sum -c --quiet
	# everything that was on disk at the kill is still there, and found
	[ "$(archived)" -ge "$seen" ]
	ct systemctl start pk-repair@veth0.service
	settled
	n=$(ct pkfind -d "$SD_ARCH" -c ip 2>"$T/err")
	cat "$T/err"
	[ "$n" -eq "$(archived)" ]
	grep -q 'indexed, 0 scanned' "$T/err"
}

@test "systemd: a down interface is waited for (75, restarted); one that goes away stops the capture (69, no restart)" {
	local before
	ct systemctl stop pk-capture@veth0.service
	ct ip link set veth0 down
	before=$(prop pk-capture@veth0.service NRestarts)
	ct systemctl start pk-capture@veth0.service
	# pkread: "That device is not up", 75: restarted each RestartSec=
	wait_for 30 bash -c "[ \"\$(prop pk-capture@veth0.service NRestarts)\" -gt $before ]" ||
	    { journal pk-capture@veth0.service | tail; false; }
	journal pk-capture@veth0.service | grep -q 'status=75/TEMPFAIL'
	journal pk-capture@veth0.service | grep -q 'veth0: That device is not up'
	# the restart had been scheduled, not prevented
	journal pk-capture@veth0.service | grep -q 'Scheduled restart job' 
	ct ip link set veth0 up
	wait_for 30 capturing ||
	    { journal pk-capture@veth0.service | tail; false; }
	[ "$(prop pk-capture@veth0.service ActiveState)" = active ]
	# the interface goes away: the capture stops and stays stopped
	before=$(prop pk-capture@veth0.service NRestarts)
	ct ip link del veth0
	wait_for 30 bash -c '[ "$(prop pk-capture@veth0.service SubState)" = failed ]' ||
	    { prop pk-capture@veth0.service SubState; journal pk-capture@veth0.service | tail; false; }
	[ "$(prop pk-capture@veth0.service ExecMainStatus)" = 69 ]
	[ "$(prop pk-capture@veth0.service NRestarts)" = "$before" ]
	journal pk-capture@veth0.service | grep -q 'veth0: the interface went away'
	# what it wrote is finished, not left in progress
	wait_for 30 bash -c '[ -z "$(parts)" ]'
	# back for the next steps
	ct ip link add veth0 type veth peer name veth1
	ct ip link set veth0 up
	ct ip link set veth1 up
	ct systemctl reset-failed pk-capture@veth0.service
	ct systemctl start pk-capture@veth0.service
}

@test "systemd: systemctl stop ends the capture cleanly, with final statistics in the journal" {
	local since n
	wait_for 20 capturing
	frames "$T/d.pcap" 100 4
	n=$(($(found ip) + 100))
	since=$(ct date +@%s)
	send "$T/d.pcap"
	wait_for 30 bash -c "[ \"\$(found ip)\" = $n ]"
	run ct systemctl stop pk-capture@veth0.service
	[ "$status" -eq 0 ]
	[ "$(prop pk-capture@veth0.service ActiveState)" = inactive ]
	[ "$(prop pk-capture@veth0.service Result)" = success ]
	run ct journalctl -q --no-pager -o cat -u pk-capture@veth0.service --since "$since"
	echo "$output"
	grep -q '^pkread: [0-9]* packets captured, [0-9]* received by filter, 0 dropped by kernel, 0 dropped by interface$' <<<"$output"
	grep -q '^pkrotate: [0-9]* packets written to [0-9]* files (stopped by signal)$' <<<"$output"
	# its file is finished and indexed, every packet found
	wait_for 30 settled || { ct systemctl status --no-pager pk-index@veth0.socket pk-index@veth0.service; ct ls -l /run/pk; false; }
	[ "$(found ip)" = "$n" ]
}

@test "systemd: a bad setting ends in a RestartPreventExitStatus code: failed, no restart loop" {
	local kv st
	for kv in "FILTER='udp and ((('":65 ROTATE_MB=lots:64 SNAPLEN=0:64; do
		ct cp /usr/local/share/pk/pk.conf.example /etc/pk/veth0.conf
		ct sh -c "echo ${kv%:*} >>/etc/pk/veth0.conf"
		ct systemctl reset-failed pk-capture@veth0.service 2>/dev/null || true
		ct systemctl start pk-capture@veth0.service || true
		# failed (not auto-restart: that would be a restart to come)
		wait_for 30 bash -c '[ "$(prop pk-capture@veth0.service SubState)" = failed ]' ||
		    { echo "$kv: $(prop pk-capture@veth0.service SubState)"; journal pk-capture@veth0.service | tail; false; }
		st=$(prop pk-capture@veth0.service ExecMainStatus)
		echo "${kv%:*}: exit $st"
		[ "$st" = "${kv##*:}" ]
		[ "$(prop pk-capture@veth0.service NRestarts)" = 0 ]
		grep -qw "$st" <<<"$(ct systemctl show -p RestartPreventExitStatus --value pk-capture@veth0.service)"
	done
	journal pk-capture@veth0.service | grep -q 'bad filter expression'
	ct cp /usr/local/share/pk/pk.conf.example /etc/pk/veth0.conf
	ct systemctl reset-failed pk-capture@veth0.service
}

@test "systemd: pk-trigger@.service captures on a Redis request as pk with CAP_NET_RAW, rides out a Redis restart" {
	local uid f pid line c n=0 want got
	uid=$(ct id -u pk)
	ct systemd-run -q --unit=pk-test-redis redis-server --port 6391 --bind 127.0.0.1 --save '' --appendonly no
	wait_for 20 bash -c "ct redis-cli -p 6391 ping 2>/dev/null | grep -q PONG"
	ct mkdir -p /etc/pk/trigger
	ct sh -c 'sed "s/^#REDIS_PORT=.*/REDIS_PORT=6391/; s/^#REDIS_BACKOFF_MAX=.*/REDIS_BACKOFF_MAX=2/" \
	    /usr/local/share/pk/pk-trigger.conf.example >/etc/pk/trigger/t1.conf'
	run ct systemctl enable --now pk-trigger@t1.service
	[ "$status" -eq 0 ]
	wait_for 30 bash -c "[ \"\$(ct redis-cli -p 6391 pubsub numsub capture | tail -n 1)\" = 1 ]" ||
	    { journal pk-trigger@t1.service; false; }
	ct redis-cli -p 6391 publish capture '{"node":"any","interface":["veth0"],"packets":20,"alertid":"ct1","timeout":30}'
	# while it captures: pkread as pk with CAP_NET_RAW, pkslice without it
	wait_for 20 bash -c '[[ "$(comms pk-trigger@t1.service)" == *"pkread pkslice"* ]]' ||
	    { comms pk-trigger@t1.service; journal pk-trigger@t1.service; false; }
	for pid in $(procs pk-trigger@t1.service); do
		c=$(comm "$pid")
		line=$(caps "$pid")
		echo "$pid $c: $line"
		set -- $line
		[ "$1" = "$uid" ]
		[ "$4" = 0000000000002000 ]
		[ "$5" = 1 ]
		case $c in
		pkread) [ "$2" = 0000000000002000 ]; n=$((n + 1)) ;;
		pkslice) [ "$2" = 0000000000000000 ] && [ "$3" = 0000000000000000 ]; n=$((n + 1)) ;;
		esac
	done
	[ "$n" -eq 2 ]
	wait_for 20 capturing
	frames "$T/e.pcap" 50 5
	send "$T/e.pcap"
	wait_for 30 bash -c "ct sh -c 'ls /var/lib/pk-trigger/t1/*_ct1_veth0.pcap' >/dev/null 2>&1" ||
	    { journal pk-trigger@t1.service; false; }
	f=$(ct sh -c 'ls /var/lib/pk-trigger/t1/*_ct1_veth0.pcap')
	[ "$(tcpdump -r "$(ctpath "$f")" -nn 2>/dev/null | wc -l)" -eq 20 ]
	[ "$(ct stat -c '%U %a' "$f")" = "pk 640" ]
	wait_for 10 bash -c "ct journalctl -q --no-pager -o cat -u pk-trigger@t1.service | grep -q 'alert ct1 on veth0: 20 packets, .*; $f; no upload'"
	# Redis goes away and comes back: the service waits it out
	ct systemctl stop pk-test-redis
	wait_for 20 bash -c "ct journalctl -q --no-pager -o cat -u pk-trigger@t1.service | grep -q 'reconnecting in'" ||
	    { journal pk-trigger@t1.service; false; }
	[ "$(prop pk-trigger@t1.service ActiveState)" = active ]
	ct systemd-run -q --unit=pk-test-redis2 redis-server --port 6391 --bind 127.0.0.1 --save '' --appendonly no
	wait_for 30 bash -c "[ \"\$(ct redis-cli -p 6391 pubsub numsub capture | tail -n 1)\" = 1 ]" ||
	    { journal pk-trigger@t1.service; false; }
	[ "$(prop pk-trigger@t1.service NRestarts)" = 0 ]
	want=$(readme_exposure trigger)
	got=$(exposure pk-trigger@t1.service)
	echo "pk-trigger@t1.service: $got (README: $want)"
	[ -n "$want" ] && [ -n "$got" ]
	awk -v a="$got" -v b="$want" 'BEGIN { exit !(a <= b) }'
	run ct systemctl stop pk-trigger@t1.service
	[ "$status" -eq 0 ]
	[ "$(prop pk-trigger@t1.service Result)" = success ]
	ct systemctl stop pk-test-redis2
}

@test "systemd: WORKERS=2: two captures share the interface, each part indexed by its own socket, pkfind sees one archive" {
	local a=/var/lib/pk/vw0 n0 n1 p c nr=0 nw=0
	ctnet sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ct ip link add vw0 type veth peer name vw1
	ct ip link set vw0 up
	ct ip link set vw1 up
	ct mkdir -p /etc/pk
	ct sh -c 'printf "WORKERS=2\nROTATE_SECONDS=2\nMAX_MB=100\n" >/etc/pk/vw0.conf'
	run ct systemctl enable --now pk-index-part@vw0-w0.socket pk-index-part@vw0-w1.socket pk-capture@vw0.service
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(ct stat -c '%U %a %F' /run/pk/vw0/w1.fifo)" = "pk 600 fifo" ]
	# two pkread, two pkrotate (each with half of MAX_MB, into its part and its FIFO)
	wait_for 20 bash -c '[ "$(comms pk-capture@vw0.service | grep -o pkread | wc -l)" = 2 ]' ||
	    { journal pk-capture@vw0.service; false; }
	for p in $(procs pk-capture@vw0.service); do
		c=$(ct cat "/proc/$p/cmdline" | tr '\0' ' ')
		case $(comm "$p") in
		pkread) [[ "$c" == "pkread -i vw0 -j "[0-9]*" -s 262144 " ]]; nr=$((nr + 1)) ;;
		pkrotate) [[ "$c" == "pkrotate -d $a/w"[01]" -o /run/pk/vw0/w"[01]".fifo "*"-M 50 "* ]]; nw=$((nw + 1)) ;;
		esac
	done
	[ "$nr" = 2 ] && [ "$nw" = 2 ]
	sleep 1
	frames "$T/w.pcap" 600 7
	ctnet tcpreplay -q -i vw1 "$T/w.pcap" >/dev/null 2>&1
	wait_for 60 bash -c "[ \"\$(ct pkfind -d $a -c ip 2>/dev/null)\" = 600 ]" ||
	    { journal pk-capture@vw0.service; ct pkfind -d "$a" -c ip; false; }
	# each part took a share, finished its files and indexed them (its own indexer)
	n0=$(ct pkfind -d "$a/w0" -c '' 2>/dev/null)
	n1=$(ct pkfind -d "$a/w1" -c '' 2>/dev/null)
	echo "w0 $n0 w1 $n1"
	[ "$n0" -gt 0 ] && [ "$n1" -gt 0 ] && [ $((n0 + n1)) = 600 ]
	wait_for 60 bash -c "[ -z \"\$(ct find $a -name '*.pcap.part')\" ] &&
	    for f in \$(ct find $a -name '*.pcap'); do ct test -s \"\$f.idx\" || exit 1; done" ||
	    { ct ls -lR "$a"; journal pk-index-part@vw0-w0.service; false; }
	[ "$(prop pk-index-part@vw0-w0.service ActiveState)" = active ]
	[ "$(prop pk-index-part@vw0-w1.service ActiveState)" = active ]
	run ct pkfind -d "$a" -c udp
	echo "$output"
	assert_line "$(tcpdump -r "$T/w.pcap" -nn udp 2>/dev/null | wc -l)"
	assert_line --partial "indexed, 0 scanned), 0 gaps, 0 drops;"
	# the very frames, in order, byte for byte
	ct sh -c "pkfind -d $a ip | pkslice" >"$T/out.pcap"
	[ "$(tcpdump -r "$T/out.pcap" -nn -t -xx 2>/dev/null | md5sum)" = \
	  "$(tcpdump -r "$T/w.pcap" -nn -t -xx 2>/dev/null | md5sum)" ]
	# a clean stop of both pipelines
	ct systemctl stop pk-capture@vw0.service
	[ "$(prop pk-capture@vw0.service Result)" = success ] ||
	    { prop pk-capture@vw0.service Result; journal pk-capture@vw0.service | tail -n 20; false; }
	# the timer's repair goes through the archive and each part
	run ct systemctl start pk-repair@vw0.service
	[ "$status" -eq 0 ]
	[ "$(prop pk-repair@vw0.service Result)" = success ]
	[ "$(journal pk-repair@vw0.service | grep -c '^checked [0-9]*, built 0, rebuilt 0, failed 0')" -eq 3 ] ||
	    { journal pk-repair@vw0.service; false; }
	ct systemctl disable --now pk-index-part@vw0-w0.socket pk-index-part@vw0-w1.socket pk-capture@vw0.service
	ct ip link del vw0
}

@test "systemd: pk-serve.socket: pkserve starts on the first connection, unprivileged, and answers /v1/count and Stenographer's POST /query" {
	local a=/var/lib/pk/served k=/etc/pk/serve c n p uid eff amb bnd nnp
	# an archive of its own (the case runs alone with --filter too), pk's as the capture leaves it
	frames "$T/s.pcap" 400 7
	cp "$T/s.pcap" "$(ctpath /tmp/s.pcap)"
	ct mkdir -p "$a" /etc/pk
	ct sh -c "pkread -r /tmp/s.pcap | pkrotate -d $a -c 100 | pkindex -d $a" 2>"$T/arch.err" ||
	    { cat "$T/arch.err"; false; }
	ct chown -R pk:pk "$a"
	ct chmod 0750 "$a"
	ct find "$a" -type f -exec chmod 0640 {} +
	# the certificates, as the man page says; the units' options
	# (TMPDIR is the host's; the volatile /etc has no ssl/openssl.cnf, which
	# /usr/lib/ssl/openssl.cnf points to, and openssl req fails without one)
	run ct env -u TMPDIR OPENSSL_CONF=/dev/null pk-serve-keys -g pk "$k"
	echo "$output"
	[ "$status" -eq 0 ]
	ct sh -c "echo 'PKSERVE_ARGS=-d $a' >/etc/pk/serve.env"
	run ct systemctl enable --now pk-serve.socket
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(prop pk-serve.socket ActiveState)" = active ]
	# nothing runs before the first connection
	[ "$(prop pk-serve.service ActiveState)" = inactive ]
	c="--max-time 30 -sS --cert $k/client_cert.pem --key $k/client_key.pem --cacert $k/ca_cert.pem"
	run ct sh -c "curl $c 'https://127.0.0.1:1234/v1/count?expr=udp'"
	echo "$output"
	[ "$status" -eq 0 ]
	n=$(tcpdump -r "$T/s.pcap" -nn udp 2>/dev/null | wc -l)
	[ "$n" -gt 0 ]
	[ "$output" = "$n" ] || { journal pk-serve.service; false; }
	[ "$(prop pk-serve.service ActiveState)" = active ]
	# Stenographer's API: the very frames, byte for byte
	ct sh -c "curl $c -d 'tcp or icmp' https://localhost:1234/query" >"$T/q.pcap"
	[ "$(tcpdump -r "$T/q.pcap" -nn -t -xx 2>/dev/null | md5sum)" = \
	  "$(tcpdump -r "$T/s.pcap" -nn -t -xx 'tcp or icmp' 2>/dev/null | md5sum)" ]
	[ "$(tcpdump -r "$T/q.pcap" -nn 2>/dev/null | wc -l)" -gt 0 ]
	# the server: a dynamic user (not root, not pk), the group pk, no capability
	p=$(prop pk-serve.service MainPID)
	[ "$p" -gt 0 ]
	[ "$(comm "$p")" = pkserve ]
	read -r uid eff amb bnd nnp <<<"$(caps "$p")"
	[ "$uid" -ne 0 ]
	[ "$uid" != "$(ct id -u pk)" ]
	[ "$(ct cat "/proc/$p/status" | sed -n 's/^Gid:\t\([0-9]*\).*/\1/p')" = "$(ct getent group pk | cut -d: -f3)" ]
	[ "$eff" = 0000000000000000 ]
	[ "$amb" = 0000000000000000 ]
	[ "$nnp" = 1 ]
	# one log line per request in the journal
	[ "$(journal pk-serve.service | grep -c 'status=200')" -ge 2 ]
	# a client without a certificate: refused in TLS
	run ct sh -c "curl --max-time 10 -sS --cacert $k/ca_cert.pem https://127.0.0.1:1234/v1/count"
	[ "$status" -ne 0 ]
}
