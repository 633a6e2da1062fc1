# bench-common.sh - sourced by scripts/bench-*: paths, inputs, timing, checks.
#
#   PK_BIN          the programs (default bin/)
#   PK_TOOLS        test tools, for pkgen (default build/tools)
#   PK_BENCH_DIR    scratch space (default ${TMPDIR:-/tmp}/pk-bench); big
#   PK_BENCH_REPEAT runs per measurement, the best is kept (default 3)
#   PK_CACHE        decompressed shared captures (as tests/helpers.bash)
#   PK_SHARED_PCAPS ../shared/pcaps
#
# Timings use GNU time: wall seconds and user+sys CPU of the whole
# pipeline (every process of it).  Nothing here is a test: the scripts
# print tables and ratios, and exit non-zero only when pk's output and the
# reference's output disagree (or a run fails).
set -u
BENCH_ROOT=$(cd "$(dirname "$0")/.." && pwd)
PK_BIN=${PK_BIN:-$BENCH_ROOT/bin}
PK_TOOLS=${PK_TOOLS:-$BENCH_ROOT/build/tools}
BENCH_DIR=${PK_BENCH_DIR:-${TMPDIR:-/tmp}/pk-bench}
REPEAT=${PK_BENCH_REPEAT:-3}
SHARED_PCAPS=${PK_SHARED_PCAPS:-$BENCH_ROOT/../shared/pcaps}
PK_CACHE=${PK_CACHE:-${TMPDIR:-/tmp}/pk-test-cache}
FOURSICS_REL=real/large/4SICS-GeekLounge-151020.pcap.gz
# 4SICS spans 25,197.7 s: copies are shifted by whole multiples of this
FOURSICS_SPAN=25200
export PK_BIN PK_TOOLS
mkdir -p "$BENCH_DIR" "$PK_CACHE"
bench_failed=0

say() { printf '%s\n' "$*"; }
die() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }
disagree() { printf 'MISMATCH: %s\n' "$*"; bench_failed=1; }

# need_pk PROG...: the programs must be built and not placeholders
need_pk() {
	local p
	for p in "$@"; do
		[ -x "$PK_BIN/$p" ] || die "$PK_BIN/$p is not built (run make)"
		if "$PK_BIN/$p" -% </dev/null 2>&1 | grep -q 'not implemented'; then
			die "$p is still the placeholder: nothing to measure"
		fi
	done
}

need_tools() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || die "$c is not installed (scripts/pk-deps)"
	done
}

# have_shared: ../shared/pcaps is there
have_shared() { [ -f "$SHARED_PCAPS/$FOURSICS_REL" ]; }

# foursics: path of the decompressed 4SICS capture (made once)
foursics() {
	local out=$PK_CACHE/4SICS-GeekLounge-151020.pcap
	if [ ! -s "$out" ]; then
		gunzip -c "$SHARED_PCAPS/$FOURSICS_REL" >"$out.$$" && mv "$out.$$" "$out" || die "cannot decompress 4SICS"
	fi
	printf '%s\n' "$out"
}

# generated N: a pkgen capture of N packets (the input when ../shared is absent)
generated() {
	local out=$BENCH_DIR/pkgen-$1.pcap
	[ -x "$PK_TOOLS/pkgen" ] || die "$PK_TOOLS/pkgen is not built (run make)"
	[ -s "$out" ] || "$PK_TOOLS/pkgen" -n "$1" "$out" || die "pkgen failed"
	printf '%s\n' "$out"
}

# shifted FILE K: FILE with every time moved K * FOURSICS_SPAN seconds later
shifted() {
	local out=$BENCH_DIR/$(basename "${1%.pcap}")-t$2.pcap
	if [ ! -s "$out" ]; then
		editcap -F pcap -t $(($2 * FOURSICS_SPAN)) "$1" "$out.$$" && mv "$out.$$" "$out" || die "editcap failed"
	fi
	printf '%s\n' "$out"
}

# replicated FILE N: N time-shifted copies of FILE back to back, as one file
replicated() {
	local out=$BENCH_DIR/$(basename "${1%.pcap}")-x$2.pcap k parts=""
	if [ ! -s "$out" ]; then
		for k in $(seq 0 $(($2 - 1))); do
			parts="$parts $(shifted "$1" "$k")"
		done
		# shellcheck disable=SC2086
		mergecap -F pcap -a -w "$out.$$" $parts && mv "$out.$$" "$out" || die "mergecap failed"
		for k in $(seq 1 $(($2 - 1))); do rm -f "$BENCH_DIR/$(basename "${1%.pcap}")-t$k.pcap"; done
	fi
	printf '%s\n' "$out"
}

# npackets FILE
npackets() { capinfos -M -c "$1" | awk -F': *' '/Number of packets/ { print $2 }'; }

# timeit CMD: run "sh -c CMD" REPEAT times; sets T_WALL (seconds, bash's
# microsecond clock) and T_CPU (user+sys of every process, GNU time, 10 ms
# resolution) of the best run by wall time, and T_RSS (max KiB of one
# process); returns CMD's status
timeit() {
	local i best="" f=$BENCH_DIR/time.$$ rc=0 t0 t1 w u s m
	T_WALL="" T_CPU="" T_RSS=""
	for i in $(seq 1 "$REPEAT"); do
		[ -n "${BENCH_BEFORE:-}" ] && sh -c "$BENCH_BEFORE"
		t0=$EPOCHREALTIME
		/usr/bin/time -f '%e %U %S %M' -o "$f" sh -c "$1" || rc=$?
		t1=$EPOCHREALTIME
		# GNU time puts "Command exited with non-zero status N" first when it fails
		read -r w u s m <<EOF_T
$(tail -n 1 "$f")
EOF_T
		w=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
		if [ -z "$best" ] || awk -v a="$w" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$w
			T_WALL=$w
			T_CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
			T_RSS=$m
		fi
	done
	rm -f "$f"
	return $rc
}

# ratio A B: A / B with two decimals ("-" when B is 0)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
# rate N SECONDS: N / SECONDS as an integer
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s + 0 == 0) print "-"; else printf "%.0f", n / s }'; }

# archive_files DIR: the finished pcaps of an archive, in name (= time) order
archive_files() { find "$1" -name '*.pcap' | sort; }

# pkt_sum FILE... [-- FILTER]: an order-independent digest of the packets
# (count and the sum of every packet's MD5 over time in ns, lengths and
# bytes): the same packets whatever the order (pkslice merges by time;
# 4SICS is not in strict time order, so file order and time order differ)
# and no sort of gigabytes of text.  With a FILTER, tcpdump selects first.
pkt_sum() {
	local files="" f
	while [ $# -gt 0 ] && [ "$1" != -- ]; do files="$files $1"; shift; done
	[ "${1:-}" = -- ] && shift
	if [ $# -gt 0 ]; then
		for f in $files; do
			tcpdump -Z root -r "$f" -w - "$@" 2>/dev/null | pcap_digest -
		done | awk '{ n += $1; for (i = 2; i <= 5; i++) s[i] = (s[i] + $i) % 4294967296 }
		    END { printf "%.0f %.0f %.0f %.0f %.0f\n", n, s[2], s[3], s[4], s[5] }'
	else
		# shellcheck disable=SC2086
		pcap_digest $files
	fi
}

# pcap_digest FILE...: "count lane1..lane4" (MD5 lanes summed mod 2^32) of classic pcaps
pcap_digest() {
	perl -MDigest::MD5=md5 -e '
	my ($n, @s) = (0, 0, 0, 0, 0);
	for my $f (@ARGV) {
		my $h;
		if ($f eq "-") { $h = \*STDIN } else { open($h, "<", $f) or die "$f: $!\n" }
		binmode $h;
		local $/ = \65536;
		my $buf = ""; my $eof = 0;
		my $need = sub { while (length($buf) < $_[0] && !$eof) { my $c = <$h>; if (defined $c) { $buf .= $c } else { $eof = 1 } } length($buf) >= $_[0] };
		next unless $need->(24);
		my $m = unpack("V", $buf);
		die "$f: not a classic pcap (magic $m)\n" unless grep { $_ == $m } (0xa1b2c3d4, 0xa1b23c4d, 0xd4c3b2a1, 0x4d3cb2a1);
		my $e = ($m == 0xa1b2c3d4 || $m == 0xa1b23c4d) ? "V" : "N";
		my $ns = ($m == 0xa1b23c4d || $m == 0x4d3cb2a1) ? 1 : 0;
		$buf = substr($buf, 24);
		while ($need->(16)) {
			my ($sec, $frac, $cl, $wl) = unpack("${e}4", $buf);
			last unless $need->(16 + $cl);
			my $t = $sec * 1000000000 + ($ns ? $frac : $frac * 1000);
			my @d = unpack("V4", md5(pack("Q<VV", $t, $cl, $wl) . substr($buf, 16, $cl)));
			$s[$_] = ($s[$_] + $d[$_]) % 4294967296 for 0..3;
			$n++;
			$buf = substr($buf, 16 + $cl);
		}
	}
	print "$n @s\n";
	' "$@"
}

# ingest FILE DIR: the archiving pipeline, FILE into archive DIR (made
# first: pkindex -d refuses a directory that pkrotate has not created yet)
ingest_cmd() {
	printf 'mkdir -p "%s" && "%s/pkread" -q -r "%s" | "%s/pkrotate" -d "%s" | "%s/pkindex" -d "%s"' "$2" \
	    "$PK_BIN" "$1" "$PK_BIN" "$2" "$PK_BIN" "$2"
}

# cpuwrap: the path of a wrapper "cpuwrap OUT CMD ARG..." that runs CMD
# (TERM, INT and HUP passed on to it, none of them ignored), exits with its status and writes
# "pid user_s sys_s" of CMD (all its threads, getrusage through wait4(2):
# microseconds, not clock ticks) into OUT when it ends
cpuwrap() {
	local w=$BENCH_DIR/cpuwrap
	[ -x "$w" ] || { cat >"$w.tmp" <<-'PY'
	#!/usr/bin/python3
	import os, signal, sys
	out, argv = sys.argv[1], sys.argv[2:]
	pid = os.fork()
	if pid == 0:
	    # a background job of a script ignores INT: CMD gets it (stenotype stops on INT)
	    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
	        signal.signal(s, signal.SIG_DFL)
	    try:
	        os.execvp(argv[0], argv)
	    finally:
	        os._exit(127)
	for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
	    signal.signal(s, lambda n, f: os.kill(pid, n))
	_, st, ru = os.wait4(pid, 0)
	with open(out, "w") as f:
	    f.write("%d %.6f %.6f\n" % (pid, ru.ru_utime, ru.ru_stime))
	sys.exit(os.waitstatus_to_exitcode(st) & 0xff if os.WIFEXITED(st) else 128 + os.WTERMSIG(st))
	PY
		chmod +x "$w.tmp" && mv "$w.tmp" "$w"; } || die "cannot write $w"
	printf '%s\n' "$w"
}

# cpu_s OUT...: user+sys seconds summed over cpuwrap outputs ("?" if one is missing)
cpu_s() {
	local f
	for f in "$@"; do [ -s "$f" ] || { echo "?"; return; }; done
	cat "$@" | awk '{ s += $2 + $3 } END { printf "%.6f\n", s }'
}
