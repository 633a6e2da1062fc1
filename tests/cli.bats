#!/usr/bin/env bats
# cli.bats - the command line every pk command shares (pk(7)): -h, --help
# and --version on every installed command, the usage as the man page's
# SYNOPSIS, usage errors on stderr with status 64, conflicting options
# refused, a terminal on standard input refused or announced.
#
# The commands are those "make install" puts in BINDIR, found by listing
# it: a program or script added to the Makefile is covered without
# touching this file.

load helpers

setup_file() {
	local d=$BATS_FILE_TMPDIR/root
	make -C "$PK_ROOT" install DESTDIR="$d" PREFIX=/usr BIN="$PK_BIN" \
	    BUILD="${PK_TOOLS%/tools}" >"$BATS_FILE_TMPDIR/install.log" 2>&1 ||
	    { cat "$BATS_FILE_TMPDIR/install.log" >&3; return 1; }
	export INST=$d/usr/bin
}

setup() {
	T=$BATS_TEST_TMPDIR
	VERSION=$(cat "$PK_ROOT/VERSION")
}

# commands whose other options go to another program: an unknown option is
# that program's to refuse (none now: pk-ship-clickhouse speaks HTTP itself)
PASSTHROUGH=""

# installed: every command make install put in BINDIR
installed() {
	local f
	for f in "$INST"/*; do
		[ -f "$f" ] && [ -x "$f" ] && basename "$f"
	done
}

# words FILE: the file's words on one line, single spaces
words() {
	tr -s ' \t\n' '   ' <"$1" | sed 's/^ //; s/ $//'
}

# synopsis PAGE: the SYNOPSIS of a man page as mandoc prints it, one line
synopsis() {
	# the overstrikes (bold, underline) removed: x BS x, _ BS x
	mandoc -Tascii "$1" | sed 's/.\x08//g' | sed -n '/^SYNOPSIS$/,/^[A-Z][A-Z ]*$/p' | sed '1d;$d' >"$T/syn"
	words "$T/syn"
}

@test "make install puts at least the six programs and the scripts in BINDIR" {
	run installed
	for p in pkread pkrotate pkextract pkindex pkfind pkslice pk-archive pk-trigger pkfind-remote; do
		assert_line "$p"
	done
}

@test "every installed command: -h and --help print the usage on stdout and exit 0, reading no input" {
	local c n=0
	# standard input a FIFO open at both ends: it never ends, so a command that read it would
	# wait here (and no process is left behind to hold the suite up)
	mkfifo "$T/in"
	exec 7<>"$T/in"
	for c in $(installed); do
		timeout 20 "$INST/$c" -h <&7 >"$T/out" 2>"$T/err" ||
		    { echo "$c -h: status $?"; cat "$T/err"; false; }
		grep -q "^usage: $c " "$T/out" || { echo "$c -h: no 'usage: $c' on stdout"; cat "$T/out"; false; }
		[ ! -s "$T/err" ] || { echo "$c -h wrote on stderr:"; cat "$T/err"; false; }
		timeout 20 "$INST/$c" --help <&7 >"$T/out2" 2>"$T/err" ||
		    { echo "$c --help: status $?"; cat "$T/err"; false; }
		cmp -s "$T/out" "$T/out2" || { echo "$c: -h and --help differ"; false; }
		n=$((n + 1))
	done
	exec 7>&-
	[ "$n" -ge 12 ]
}

@test "every installed command: --version prints NAME (pk) VERSION from the VERSION file and exits 0" {
	local c
	[ -n "$VERSION" ]
	for c in $(installed); do
		run timeout 20 "$INST/$c" --version </dev/null
		[ "$status" -eq 0 ] || { echo "$c --version: status $status: $output"; false; }
		[ "$output" = "$c (pk) $VERSION" ] || { echo "$c --version: '$output'"; false; }
	done
	# the one place: a checkout's scripts read it too (they are substituted at install)
	run "$PK_ROOT/scripts/pk-trigger" --version
	assert_output "pk-trigger (pk) $VERSION"
	run grep -l '@PK_VERSION@' "$INST"/*
	assert_failure
}

@test "every installed command: a bad option prints the usage on stderr and exits 64" {
	local c
	for c in $(installed); do
		case " $PASSTHROUGH " in *" $c "*) continue ;; esac
		st=0
		timeout 20 "$INST/$c" -Q </dev/null >"$T/out" 2>"$T/err" || st=$?
		[ "$st" -eq 64 ] || { echo "$c -Q: status $st"; cat "$T/err"; false; }
		[ ! -s "$T/out" ] || { echo "$c -Q wrote on stdout"; false; }
		grep -q "usage: $c " "$T/err" || { echo "$c -Q: no usage on stderr"; cat "$T/err"; false; }
	done
}

@test "every installed command with a man page: the usage is the page's SYNOPSIS" {
	local c page n=0
	need_cmd mandoc
	for c in $(installed); do
		page=$PK_ROOT/man/$c.1
		[ -f "$page" ] || continue
		"$INST/$c" --help </dev/null | sed '1s/^usage: //' >"$T/u"
		u=$(words "$T/u")
		m=$(synopsis "$page")
		[ "$u" = "$m" ] || { printf '%s:\n usage:    %s\n SYNOPSIS: %s\n' "$c" "$u" "$m"; false; }
		n=$((n + 1))
	done
	[ "$n" -ge 9 ]
}

@test "a terminal on standard input: stream readers refuse it, pk-trigger says it reads requests there" {
	need_cmd script
	local c
	for c in "pkextract" "pkindex -d $T/a" "pkrotate -d $T/a" "pkslice" "pk-ship-es http://127.0.0.1:9/"; do
		run script -qec "PATH=$INST:\$PATH $c" /dev/null </dev/null
		[ "$status" -eq 64 ] || { echo "$c on a terminal: status $status: $output"; false; }
		[[ "$output" == *"terminal"* ]] || { echo "$c: $output"; false; }
	done
	printf '' | script -qec "PATH=$INST:\$PATH pk-trigger -n" /dev/null >"$T/out"
	grep -q "from the terminal; end with ^D" "$T/out"
	# not a terminal: not a word about it
	PATH=$INST:$PATH pk-trigger -n </dev/null >"$T/out" 2>&1
	[ ! -s "$T/out" ]
}

# ---- conflicting options ----

@test "pkfind: -c, -l, -T and -E exclude each other; -e with -D; the same -d twice" {
	mkdir -p "$T/a"
	for pair in "-c -l" "-l -c" "-c -T text" "-T text -l" "-E -c" "-l -E"; do
		# shellcheck disable=SC2086
		run pkfind -d "$T/a" $pair tcp
		assert_failure 64
		assert_output --partial "conflict"
	done
	run pkfind -d "$T/a" -c -c tcp
	assert_success
	assert_output --partial "0"
	run pkfind -d "$T/a" -s -1h -e now -D 10m tcp
	assert_failure 64
	assert_output --partial "-e and -D conflict"
	run pkfind -d "$T/a" -d "$T/a" -c tcp
	assert_failure 64
	assert_output --partial "given twice"
	run pkfind -c tcp
	assert_failure 64
	assert_output --partial "-d"
}

@test "pkread: -i with -r, -D with anything, a live option with -r, an expression with -F" {
	"$PK_TOOLS/pkgen" -n 3 "$T/a.pcap"
	echo tcp >"$T/f"
	run pkread -i lo -r "$T/a.pcap"
	assert_failure 64
	assert_output --partial "-i and -r conflict"
	run pkread -D -i lo
	assert_failure 64
	assert_output --partial "-D"
	run pkread -i lo -D
	assert_failure 64
	run pkread -r "$T/a.pcap" -s 100
	assert_failure 64
	assert_output --partial "-s applies to live capture"
	run pkread -r "$T/a.pcap" -F "$T/f" udp
	assert_failure 64
	run pkread -q
	assert_failure 64
	assert_output --partial "nothing to read"
	run pkread -i lo -i eth0
	assert_failure 64
}

@test "pkindex: --dump with anything else, --repair with files, an archive that is not there" {
	mkdir -p "$T/a"
	"$PK_TOOLS/pkgen" -n 3 "$T/a/x.pcap"
	pkindex -d "$T/a" "$T/a/x.pcap"
	run pkindex --dump "$T/a/x.pcap.idx" -d "$T/a"
	assert_failure 64
	assert_output --partial "--dump"
	run pkindex --dump "$T/a/x.pcap.idx" -z true
	assert_failure 64
	run pkindex --repair -d "$T/a" "$T/a/x.pcap"
	assert_failure 64
	assert_output --partial "--repair"
	# several archives (the disks of pkrotate -d d1 -d d2) are fine; one that is not there is not
	run pkindex -d "$T/a" -d "$T/b" "$T/a/x.pcap"
	assert_failure 66
	assert_output --partial "$T/b"
	run pkindex --dump "$T/a/x.pcap.idx"
	assert_success
}

@test "pkslice: -x and -R with files, two -o formats; pkextract: -f without -T; pkrotate: one dir twice" {
	"$PK_TOOLS/pkgen" -n 3 "$T/a.pcap"
	run pkslice -x -w "$T/o.pcap" "$T/a.pcap"
	assert_failure 64
	assert_output --partial "-x applies to a stream of locations"
	run pkslice -R "$T" -w "$T/o.pcap" "$T/a.pcap"
	assert_failure 64
	run pkslice -o pcap -o stream -w "$T/o.pcap" "$T/a.pcap"
	assert_failure 64
	run pkslice -o pcapng -o pcapng -w "$T/o.pcap" "$T/a.pcap"
	assert_success
	run pkextract -f source.ip </dev/null
	assert_failure 64
	assert_output --partial "-f"
	mkdir -p "$T/arc"
	run pkrotate -d "$T/arc" -d "$T/arc/" </dev/null
	assert_failure 64
	assert_output --partial "same directory"
	ln -s "$T/arc" "$T/link"
	run pkrotate -d "$T/arc" -d "$T/link" </dev/null
	assert_failure 64
}
