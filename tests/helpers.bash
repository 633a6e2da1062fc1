# helpers.bash - shared by every bats suite: paths, skips, test captures.
#
# Suites start with:  load helpers
# Program-specific helpers live in tests/lib/<name>.bash.

PK_ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
# PK_BIN: where the programs are (default bin/, as make builds them)
PK_BIN=${PK_BIN:-$PK_ROOT/bin}
PATH="$PK_BIN:$PATH"
export PK_ROOT PK_BIN PATH
# test tools built by make from tests/tools/*.c (build-san/ under SANITIZE=1)
PK_TOOLS=${PK_TOOLS:-$PK_ROOT/build/tools}
# real captures beside the project (never copied into it); optional
SHARED_PCAPS=${PK_SHARED_PCAPS:-$PK_ROOT/../shared/pcaps}
# decompressed copies of shared .gz captures, kept across suites of one run
PK_CACHE=${PK_CACHE:-${TMPDIR:-/tmp}/pk-test-cache}
export PK_TOOLS SHARED_PCAPS PK_CACHE

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

# need_shared: skip unless ../shared/pcaps exists
need_shared() {
	[ -d "$SHARED_PCAPS/real" ] || skip "../shared/pcaps is not present: real-capture case skipped"
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root (network namespace / privilege test)"
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"
	done
}

# shared_pcap REL: path of ../shared/pcaps/REL, decompressed if it ends in .gz
shared_pcap() {
	local src="$SHARED_PCAPS/$1" out
	case "$1" in
	*.gz)
		mkdir -p "$PK_CACHE"
		out="$PK_CACHE/$(basename "${1%.gz}")"
		if [ ! -s "$out" ]; then
			gunzip -c "$src" >"$out.$$" && mv "$out.$$" "$out"
		fi
		printf '%s\n' "$out" ;;
	*)	printf '%s\n' "$src" ;;
	esac
}

# pcap_text FILE [tcpdump args]: packets as text with ns timestamps and hex, the oracle form
pcap_text() {
	local f=$1; shift
	# -S: absolute TCP sequence numbers (relative ones depend on what came before in the file)
	tcpdump -r "$f" -nn -S -tt --nano -xx "$@" 2>/dev/null
}

# tcpdump never looks names up here: a reverse lookup of every address in a
# capture can stall for seconds each where no resolver answers
tcpdump() { command tcpdump -n "$@"; }
export -f tcpdump

# kill_tree PID: TERM to PID and its descendants (found by parent pid, nothing else)
kill_tree() {
	local c
	for c in $(pgrep -P "$1"); do kill_tree "$c"; done
	kill "$1" 2>/dev/null
	return 0
}
