#!/usr/bin/env bats
# ops.bats - the operations layer: systemd units, make install, pk-archive,
# pkfind-remote, the shippers.  (pk-trigger: trigger.bats; the units under a
# real systemd: systemd.bats.)

load helpers

setup() {
	T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/pk-ops.XXXXXX")
	S=$PK_ROOT/scripts
	NS_A="" NS_B="" BGPIDS=""
}

teardown() {
	local p
	for p in $BGPIDS; do kill "$p" 2>/dev/null; done
	[ -z "$NS_A" ] || ip netns pids "$NS_A" 2>/dev/null | xargs -r kill 2>/dev/null
	sleep 0.1
	[ -z "$NS_A" ] || ip netns pids "$NS_A" 2>/dev/null | xargs -r kill -9 2>/dev/null
	[ -z "$NS_A" ] || ip netns del "$NS_A" 2>/dev/null
	[ -z "$NS_B" ] || ip netns del "$NS_B" 2>/dev/null
	rm -rf "$T"
}

# need_prog NAME...: the programs must be built (make)
need_prog() {
	local p
	for p in "$@"; do
		[ -x "$PK_BIN/$p" ] || fail "$p is not built (make)"
	done
}

# pcount FILE: packets in a pcap
pcount() {
	tcpdump -r "$1" -nn 2>/dev/null | wc -l | tr -d ' '
}

# veth_pair: namespaces NS_A (pkv0 10.99.0.1, lo up) and NS_B (pkv1 10.99.0.2)
veth_pair() {
	need_root
	need_cmd ip
	NS_A=pkopsa$$ NS_B=pkopsb$$
	ip netns add "$NS_A" && ip netns add "$NS_B" || skip "cannot create network namespaces"
	ip -n "$NS_A" link set lo up
	ip -n "$NS_A" link add pkv0 type veth peer name pkv1 netns "$NS_B"
	ip -n "$NS_A" addr add 10.99.0.1/24 dev pkv0
	ip -n "$NS_B" addr add 10.99.0.2/24 dev pkv1
	ip -n "$NS_A" link set pkv0 up
	ip -n "$NS_B" link set pkv1 up
}

# traffic: UDP datagrams from NS_A to NS_B over the veth, until teardown
traffic() {
	ip netns exec "$NS_A" bash -c \
	    'while :; do echo pk >/dev/udp/10.99.0.2/9; sleep 0.01; done' 2>/dev/null &
	BGPIDS="$BGPIDS $!"
}

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds (bounded)
wait_for() {
	local t=$1; shift
	timeout "$t" bash -c 'until "$@"; do sleep 0.1; done' wait_for "$@"
}

# unit_cmd UNIT: the shell script of a unit's ExecStart=/bin/bash -c '...',
# as systemd hands it to bash: lines joined, "$$" unescaped.
unit_cmd() {
	sed -n '/^ExecStart=/,/[^\\]$/p' "$1" | sed 's/\\$//' | tr -d '\n' |
	    sed -e "s/^ExecStart=[^']*'//" -e "s/'[^']*\$//" -e 's/\$\$/$/g'
}

# ---- systemd units ----

@test "units: systemd-analyze verify passes and every service rates 2.0 or better" {
	command -v systemd-analyze >/dev/null 2>&1 || fail "systemd-analyze is not installed (scripts/pk-deps)"
	run "$S/pk-units-check" -b "$PK_BIN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'verify ok' <<<"$output")" -eq 8 ]
	[ "$(grep -c 'exposure [0-9.]* OK' <<<"$output")" -eq 5 ]
}

@test "units: capture runs as pk with CAP_NET_RAW only; index reads the socket FIFO" {
	local u=$PK_ROOT/systemd
	grep -qx 'User=pk' "$u/pk-capture@.service"
	grep -qx 'AmbientCapabilities=CAP_NET_RAW' "$u/pk-capture@.service"
	grep -qx 'CapabilityBoundingSet=CAP_NET_RAW' "$u/pk-capture@.service"
	grep -qx 'EnvironmentFile=-/etc/pk/%i.conf' "$u/pk-capture@.service"
	grep -qx 'ListenFIFO=/run/pk/%i.fifo' "$u/pk-index@.socket"
	grep -qx 'StandardInput=socket' "$u/pk-index@.service"
	# the archive and its worker parts (pk-index(5)), each by pkindex --repair
	grep -qF 'for d in "/var/lib/pk/$$1" "/var/lib/pk/$$1"/w[0-9]*; do' "$u/pk-repair@.service"
	grep -qF 'pkindex --repair -d "$$d"' "$u/pk-repair@.service"
	grep -q '^u pk ' "$u/pk.sysusers"
}

@test "units: the capture command line turns /etc/pk/IFACE.conf into pkread and pkrotate options" {
	local cmd
	cmd=$(unit_cmd "$PK_ROOT/systemd/pk-capture@.service")
	mkdir "$T/fake"
	# stand-ins that print their arguments, one a line
	for p in pkread pkrotate; do
		printf '#!/bin/sh\nfor a; do printf "%s[%%s]\\n" "$a"; done >>%s/args\n' "$p" "$T" >"$T/fake/$p"
		chmod +x "$T/fake/$p"
	done
	printf '#!/bin/sh\nwhile [ "$1" != -- ]; do shift; done; shift; exec "$@"\n' >"$T/fake/setpriv"
	chmod +x "$T/fake/setpriv"
	run env -i PATH="$T/fake:/usr/bin:/bin" SNAPLEN=128 BUFFER_KIB= NO_PROMISC=1 \
	    FILTER="not port 22" ROTATE_MB=10 ROTATE_SECONDS= MAX_MB=500 MIN_FREE_PCT=5 \
	    MAX_AGE=7d ARCHIVE_GROUP=adm ROTATE_HOOK= bash -c "$cmd" pk-capture eth9
	[ "$status" -eq 0 ]
	run cat "$T/args"
	echo "$output"
	[ "$(grep '^pkread' "$T/args" | tr -d '\n')" = \
	  "pkread[-i]pkread[eth9]pkread[-s]pkread[128]pkread[-p]pkread[not port 22]" ]
	[ "$(grep '^pkrotate' "$T/args" | tr -d '\n' | sed 's/pkrotate//g')" = \
	  "[-d][/var/lib/pk/eth9][-o][/run/pk/eth9.fifo][-C][10][-M][500][-F][5][-A][7d][-g][adm]" ]
}

@test "units: a capture that fails fails the unit (pipefail), 0 when both stages succeed" {
	local cmd
	cmd=$(unit_cmd "$PK_ROOT/systemd/pk-capture@.service")
	mkdir "$T/fake"
	printf '#!/bin/sh\nexit 69\n' >"$T/fake/pkread"
	printf '#!/bin/sh\ncat >/dev/null\n' >"$T/fake/pkrotate"
	printf '#!/bin/sh\nwhile [ "$1" != -- ]; do shift; done; shift; exec "$@"\n' >"$T/fake/setpriv"
	chmod +x "$T/fake"/*
	run env -i PATH="$T/fake:/usr/bin:/bin" SNAPLEN=1 bash -c "$cmd" pk-capture eth9
	[ "$status" -eq 69 ]
	printf '#!/bin/sh\nexit 0\n' >"$T/fake/pkread"
	run env -i PATH="$T/fake:/usr/bin:/bin" SNAPLEN=1 bash -c "$cmd" pk-capture eth9
	[ "$status" -eq 0 ]
}

@test "units: the capture command captures as an unprivileged user with CAP_NET_RAW alone, promiscuous" {
	need_prog pkread pkrotate pkindex
	veth_pair
	need_cmd setpriv
	local cmd nobody=65534 pid pidx p f
	# the unit's command, its paths moved under $T
	cmd=$(unit_cmd "$PK_ROOT/systemd/pk-capture@.service" |
	    sed -e "s|/var/lib/pk/|$T/lib/|g" -e "s|/run/pk/|$T/run/|g")
	chmod 0755 "$T"
	# what StateDirectory= and pk-index@.socket set up
	mkdir -m 0750 -p "$T/lib/pkv0" && mkdir -p "$T/run"
	mkfifo -m 0600 "$T/run/pkv0.fifo"
	chown "$nobody:$nobody" "$T/lib/pkv0" "$T/run/pkv0.fifo"
	# systemd holds the FIFO open read-write and hands it to pkindex
	exec 5<>"$T/run/pkv0.fifo"
	setpriv --reuid=$nobody --regid=$nobody --clear-groups --no-new-privs \
	    "$PK_BIN/pkindex" -d "$T/lib/pkv0" <&5 2>"$T/idx.err" &
	pidx=$!
	BGPIDS="$BGPIDS $pidx"
	traffic
	umask 0027
	# User=, AmbientCapabilities=CAP_NET_RAW, CapabilityBoundingSet=CAP_NET_RAW, NoNewPrivileges=
	ip netns exec "$NS_A" setpriv --reuid=$nobody --regid=$nobody --clear-groups \
	    --inh-caps=-all,+net_raw --ambient-caps=-all,+net_raw --bounding-set=-all,+net_raw \
	    --no-new-privs env -i PATH="$PK_BIN:/usr/bin:/bin" SNAPLEN=262144 ROTATE_MB=1024 \
	    MIN_FREE_PCT=1 FILTER=udp bash -c "$cmd" pk-capture pkv0 2>"$T/cap.err" &
	pid=$!
	BGPIDS="$BGPIDS $pid"
	wait_for 30 bash -c "f=\$(find '$T/lib/pkv0' -name '*.pcap.part' | head -1);
	    [ -n \"\$f\" ] && [ \$(tcpdump -r \"\$f\" 2>/dev/null | wc -l) -ge 20 ]" ||
	    { cat "$T/cap.err"; false; }
	# promiscuous mode with CAP_NET_RAW only (PACKET_ADD_MEMBERSHIP)
	ip -n "$NS_A" -d link show pkv0 | grep -q 'promiscuity [1-9]'
	# pkrotate runs without the capability
	local seen=0
	for p in $(ps -o pid= --ppid "$pid"); do
		if [ "$(basename "$(readlink "/proc/$p/exe")")" = pkrotate ]; then
			grep -q '^CapAmb:[[:space:]]*0*$' "/proc/$p/status"
			grep -q '^CapEff:[[:space:]]*0*$' "/proc/$p/status"
			seen=1
		fi
	done
	[ "$seen" = 1 ]
	# systemctl stop: TERM to every process of the unit, then wait for all
	local all
	all="$pid $(ps -o pid= --ppid "$pid" | tr '\n' ' ')"
	kill -TERM $all
	run timeout 30 bash -c "while kill -0 $all 2>/dev/null; do sleep 0.1; done"
	[ "$status" -eq 0 ]
	run find "$T/lib/pkv0" -name '*.pcap.part'
	[ -z "$output" ]
	f=$(find "$T/lib/pkv0" -name '*.pcap' | head -1)
	[ -n "$f" ]
	[ "$(stat -c '%u %a' "$f")" = "$nobody 640" ]
	[ "$(pcount "$f")" -ge 20 ]
	[ "$(tcpdump -r "$f" -nn not udp 2>/dev/null | wc -l)" -eq 0 ]
	# the indexer, reading the held FIFO, indexes the finished file
	wait_for 15 test -s "$f.idx" || { cat "$T/idx.err"; false; }
	kill -TERM "$pidx"
	exec 5<&-
}

@test "units: pk.conf.example names every setting the capture unit reads, with its default" {
	local kv n=0
	for kv in $(grep -o '^Environment=.*' "$PK_ROOT/systemd/pk-capture@.service" |
	    sed 's/^Environment=//' | tr ' ' '\n'); do
		grep -qx "#$kv" "$PK_ROOT/systemd/pk.conf.example" || { echo "missing #$kv"; false; }
		n=$((n + 1))
	done
	[ "$n" -ge 10 ]
}

# ---- make install ----

@test "make install DESTDIR PREFIX=/usr puts programs, scripts, man pages and units in place" {
	local d=$T/root p
	run make -C "$PK_ROOT" install DESTDIR="$d" PREFIX=/usr BIN="$PK_BIN" \
	    BUILD="${PK_TOOLS%/tools}"
	echo "$output" | tail -5
	[ "$status" -eq 0 ]
	for p in pkread pkrotate pkextract pkindex pkfind pkslice pk-archive pk-trigger pkfind-remote; do
		[ -x "$d/usr/bin/$p" ] || { echo "missing bin/$p"; false; }
	done
	for p in pk-capture@.service pk-index@.socket pk-index@.service pk-repair@.service pk-repair@.timer pk-trigger@.service; do
		[ -f "$d/usr/lib/systemd/system/$p" ] || { echo "missing $p"; false; }
	done
	for p in pk.7 pk-archive.1 pk-trigger.1 pkfind-remote.1; do
		[ -f "$d/usr/share/man/man${p##*.}/$p" ] || { echo "missing man $p"; false; }
	done
	# every page shipped in man/ is installed
	for p in "$PK_ROOT"/man/*.[1-8]; do
		p=$(basename "$p")
		[ -f "$d/usr/share/man/man${p##*.}/$p" ] || { echo "missing man $p"; false; }
	done
}

@test "man pages: pk(7) and the script pages are mandoc -Tlint clean" {
	need_cmd mandoc
	local m
	for m in pk.7 pk-archive.1 pk-trigger.1 pkfind-remote.1; do
		[ -f "$PK_ROOT/man/$m" ] || { echo "missing $m"; false; }
	done
	# pk(7) points at every page of the project
	for m in "$PK_ROOT"/man/*.[1-8]; do
		m=$(basename "$m")
		[ "$m" = pk.7 ] && continue
		sed -n '/^\.Sh SEE ALSO/,$p' "$PK_ROOT/man/pk.7" | grep -qx ".Xr ${m%.*} ${m##*.}\( ,\)\{0,1\}" ||
		    { echo "pk.7 SEE ALSO lacks $m"; false; }
	done
	run mandoc -Tlint -Wwarning "$PK_ROOT/man/pk.7" "$PK_ROOT/man/pk-archive.1" \
	    "$PK_ROOT/man/pk-trigger.1" "$PK_ROOT/man/pkfind-remote.1"
	echo "$output"
	[ -z "$output" ]
}

# ---- pk-archive ----

@test "pk-archive -n prints the pipeline the config file asks for" {
	cat >"$T/c.conf" <<-EOF
	SNAPLEN=96
	FILTER="not port 22"
	ROTATE_MB=5
	ROTATE_SECONDS=
	MAX_AGE=2d
	ARCHIVE_DIR=$T/arch
	FIFO=$T/ix.fifo
	PK_USER=
	EOF
	run "$S/pk-archive" -n -c "$T/c.conf" eth7
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "mkfifo -m 0600 $T/ix.fifo" ]
	[[ "${lines[1]}" == "pkindex -d $T/arch < $T/ix.fifo"* ]]
	[ "${lines[2]}" = "pkread -q -i eth7 -s 96 not\\ port\\ 22 | pkrotate -d $T/arch -o $T/ix.fifo -C 5 -F 10 -A 2d" ]
	run "$S/pk-archive" -n -c "$T/missing.conf" eth7
	[ "$status" -eq 78 ]
	run "$S/pk-archive" -n
	[ "$status" -eq 64 ]
}

@test "pk.conf.example: the values it shows are the defaults of pk-archive" {
	sed -n 's/^#\([A-Z_]*=\)/\1/p' "$PK_ROOT/systemd/pk.conf.example" |
	    sed 's/IFACE/eth3/g' >"$T/all.conf"
	[ "$(wc -l <"$T/all.conf")" -ge 15 ]
	printf 'PK_USER=pk\n' >"$T/empty.conf"
	run "$S/pk-archive" -n -c "$T/all.conf" eth3
	[ "$status" -eq 0 ]
	local with=$output
	run "$S/pk-archive" -n -c "$T/empty.conf" eth3
	[ "$status" -eq 0 ]
	[ "$output" = "$with" ]
}

@test "pk-archive -r: archives and indexes a capture, stops cleanly at its end" {
	need_prog pkread pkrotate pkindex
	"$PK_TOOLS/pkgen" -n 300 "$T/in.pcap"
	cat >"$T/c.conf" <<-EOF
	ARCHIVE_DIR=$T/arch
	FIFO=$T/ix.fifo
	ROTATE_SECONDS=
	PK_USER=
	EOF
	run timeout 60 "$S/pk-archive" -c "$T/c.conf" -r "$T/in.pcap" replay
	echo "$output"
	[ "$status" -eq 0 ]
	run find "$T/arch" -name '*.pcap.part'
	[ -z "$output" ]
	local files
	files=$(find "$T/arch" -name '*.pcap' | sort)
	[ -n "$files" ]
	# shellcheck disable=SC2086
	mergecap -F pcap -w "$T/all.pcap" $files
	[ "$(pcap_text "$T/all.pcap" | md5sum)" = "$(pcap_text "$T/in.pcap" | md5sum)" ]
	for f in $files; do
		[ -s "$f.idx" ] || { echo "no index for $f"; false; }
	done
}

@test "pk-archive as root: pkrotate and pkindex run as PK_USER, the archive is theirs, 0640" {
	need_prog pkread pkrotate pkindex
	need_root
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	chmod 0755 "$T"
	"$PK_TOOLS/pkgen" -n 100 "$T/in.pcap"
	cat >"$T/c.conf" <<-EOF
	ARCHIVE_DIR=$T/arch
	FIFO=$T/ix.fifo
	ROTATE_SECONDS=
	PK_USER=nobody
	EOF
	run timeout 60 "$S/pk-archive" -c "$T/c.conf" -r "$T/in.pcap" replay
	echo "$output"
	[ "$status" -eq 0 ]
	local f
	f=$(find "$T/arch" -name '*.pcap')
	[ "$(stat -c '%U %a' "$f")" = "nobody 640" ]
	[ "$(stat -c '%U %a' "$f.idx")" = "nobody 640" ]
	[ "$(stat -c '%U %a' "$T/arch")" = "nobody 750" ]
	[ "$(pcount "$f")" -eq 100 ]
	# a user that does not exist is a configuration error
	sed -i 's/^PK_USER=.*/PK_USER=pk-no-such-user/' "$T/c.conf"
	run "$S/pk-archive" -c "$T/c.conf" -r "$T/in.pcap" replay
	[ "$status" -eq 78 ]
}

@test "pk-archive: live capture on a veth, TERM stops both stages cleanly" {
	need_prog pkread pkrotate pkindex
	veth_pair
	cat >"$T/c.conf" <<-EOF
	ARCHIVE_DIR=$T/arch
	FIFO=$T/ix.fifo
	PK_USER=
	FILTER=udp
	EOF
	traffic
	ip netns exec "$NS_A" "$S/pk-archive" -c "$T/c.conf" pkv0 2>"$T/err" &
	local pid=$!
	BGPIDS="$BGPIDS $pid"
	# packets reach the file in progress (flushed every second)
	wait_for 30 bash -c "f=\$(find '$T/arch' -name '*.pcap.part' | head -1);
	    [ -n \"\$f\" ] && [ \$(tcpdump -r \"\$f\" 2>/dev/null | wc -l) -ge 20 ]"
	# the indexer dies: pk-archive starts another, the capture goes on
	local ix
	ix=$(pgrep -f "pkindex -d $T/arch\$")
	[ -n "$ix" ]
	kill -KILL $ix
	wait_for 10 bash -c "p=\$(pgrep -f 'pkindex -d $T/arch\$'); [ -n \"\$p\" ] && [ \"\$p\" != '$ix' ]"
	grep -q 'pkindex exited 137: restarting it' "$T/err"
	kill -TERM "$pid"
	run timeout 40 bash -c "while kill -0 $pid 2>/dev/null; do sleep 0.1; done"
	[ "$status" -eq 0 ]
	wait "$pid" || { cat "$T/err"; false; }
	run find "$T/arch" -name '*.pcap.part'
	[ -z "$output" ]
	local f
	f=$(find "$T/arch" -name '*.pcap' | head -1)
	[ -n "$f" ]
	[ "$(pcount "$f")" -ge 20 ]
	[ "$(tcpdump -r "$f" -nn not udp 2>/dev/null | wc -l)" -eq 0 ]
	wait_for 10 test -s "$f.idx"
}

# (pk-trigger: tests/trigger.bats)

# pkfind-remote and the shippers: tests/fleet.bats and tests/clickhouse.bats
