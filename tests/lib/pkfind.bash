# pkfind.bash - helpers for tests/pkfind.bats: archives and the tcpdump oracle.

# pf_pktlines: tcpdump -xx text with one packet per line (hex lines joined), sorted
# (pkslice merges files by time; a capture's own order may differ on ties)
pf_pktlines() {
	awk '/^\t/ { printf "%s", $0; next } { if (n++) print ""; printf "%s", $0 } END { if (n) print "" }' |
		LC_ALL=C sort
}

# pf_archive DIR COUNT PCAP...: archive PCAPs (one capture) in DIR with COUNT
# packets per file, through the real pipeline, then make sure every finished
# file is indexed (pkindex --repair does what the live indexer missed)
pf_archive() {
	local dir=$1 count=$2 f
	shift 2
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	for f in "$@"; do
		pkread -r "$f" | pkrotate -d "$dir" -c "$count" | pkindex -d "$dir" || return 1
	done
	pkindex --repair -d "$dir" >/dev/null 2>&1 || return 1
}

# pf_files DIR: the archive's pcaps in name (= time) order
pf_files() {
	find "$1" -name '*.pcap' -o -name '*.pcap.part' | LC_ALL=C sort
}

# pf_oracle DIR EXPR [tcpdump args]: what tcpdump says over the archive's files
pf_oracle() {
	local dir=$1 expr=$2 f
	shift 2
	for f in $(pf_files "$dir"); do
		tcpdump -r "$f" -S -nn -tt --nano -xx "$@" "$expr" 2>/dev/null
	done | pf_pktlines
}

# pf_answer DIR EXPR [pkfind args]: what pkfind | pkslice says
pf_answer() {
	local dir=$1 expr=$2
	shift 2
	pkfind -q -d "$dir" "$@" "$expr" | pkslice | tcpdump -r - -S -nn -tt --nano -xx 2>/dev/null | pf_pktlines
}

# pf_same [-e] DIR EXPR: pkfind | pkslice gives exactly tcpdump's packets, and -c
# gives their number; prints both sides' counts on failure.  An empty answer
# fails (two empty sides agree whatever the code does) unless -e says the
# row expects it, and then the answer must be empty.
pf_same() {
	local empty=0 dir expr want got n
	[ "$1" != -e ] || { empty=1; shift; }
	dir=$1 expr=$2
	want=$(pf_oracle "$dir" "$expr") || return 1
	n=$(printf '%s' "$want" | grep -c . || true)
	if [ "$empty" = 1 ] && [ "$n" != 0 ]; then
		echo "expression: $expr: expected no packets, tcpdump finds $n"
		return 1
	elif [ "$empty" = 0 ] && [ "$n" = 0 ]; then
		echo "expression: $expr: tcpdump finds no packets (pf_same -e if that is expected)"
		return 1
	fi
	got=$(pf_answer "$dir" "$expr") || return 1
	if [ "$want" != "$got" ]; then
		echo "expression: $expr"
		echo "tcpdump: $n packets, pkfind|pkslice: $(printf '%s' "$got" | grep -c . || true) packets"
		diff <(printf "%s\n" "$want") <(printf "%s\n" "$got") | cut -c1-160 | head -6
		return 1
	fi
	got=$(pkfind -q -c -d "$dir" "$expr") || return 1
	if [ "$got" != "$n" ]; then
		echo "expression: $expr: pkfind -c says $got, tcpdump $n"
		return 1
	fi
}

# hexpcap FILE HEX...: an Ethernet pcap of the given packets (hex bytes), one a millisecond
hexpcap() {
	perl -e '
	my ($out, @p) = @ARGV;
	open(my $f, ">:raw", $out) or die "$out: $!\n";
	print $f pack("V v v l V V V", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1);
	my $i = 0;
	for my $h (@p) {
		my $d = pack("H*", $h);
		print $f pack("V V V V", 1700000000, 1000 * $i++, length $d, length $d), $d;
	}
	close $f or die;
	' "$@"
}
