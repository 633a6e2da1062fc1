# pkread.bash - helpers for tests/pkread.bats.

# stream_dump: a pk stream on stdin as one line per record (perl, no pk
# program involved, so pkread is checked against an independent reader):
#   HEADER flags=N producer
#   PACKET ts cap wire linktype source flags [data=HEX64] [loc=FILE:OFFSET]
#   (data= when STREAM_DUMP_HEX=1: the first 64 bytes)
#   FILE_OPEN id linktype snaplen flags path
#   FILE_CLOSE id flags packets bytes first_ns last_ns
#   STATS recv drop ifdrop source flags name
stream_dump() {
	perl -e '
	binmode STDIN; local $/; my $d = <STDIN>; my $o = 0;
	sub str { my ($s) = @_; $s =~ s/\0.*//s; $s }
	while ($o + 8 <= length $d) {
		my ($len, $type, $chk) = unpack("V v v", substr($d, $o, 8));
		die "bad record at $o\n" if $chk != 0x6b70 || $len < 8 || $len % 8 || $o + $len > length $d;
		my $b = substr($d, $o + 8, $len - 8);
		if ($type == 1) {
			my ($m, $v, $mi, $fl) = unpack("a8 v v V", $b);
			printf "HEADER flags=%d %s\n", $fl, str(substr($b, 16));
		} elsif ($type == 2) {
			my ($lo, $hi, $cap, $wire, $lt, $src, $fl) = unpack("V V V V V V V", $b);
			my $ts = $hi * 4294967296 + $lo;
			my $line = sprintf "PACKET %d %d %d %d %d %d", $ts, $cap, $wire, $lt, $src, $fl;
			$line .= " data=" . unpack("H*", substr($b, 32, $cap < 64 ? $cap : 64)) if $ENV{STREAM_DUMP_HEX};
			my $a = 32 + (($cap + 7) & ~7);
			while ($a + 4 <= length $b) {
				my ($tag, $alen) = unpack("v v", substr($b, $a, 4));
				if ($tag == 1) {
					my ($f, $z, $olo, $ohi) = unpack("V V V V", substr($b, $a + 4, 16));
					$line .= sprintf " loc=%d:%d", $f, $ohi * 4294967296 + $olo;
				}
				$a += (4 + $alen + 7) & ~7;
			}
			print "$line\n";
		} elsif ($type == 3) {
			my ($id, $lt, $sn, $fl) = unpack("V V V V", $b);
			printf "FILE_OPEN %d %d %d %d %s\n", $id, $lt, $sn, $fl, str(substr($b, 16));
		} elsif ($type == 4) {
			my ($id, $fl, $pl, $ph, $bl, $bh, $fl1, $fh, $ll, $lh) = unpack("V10", $b);
			printf "FILE_CLOSE %d %d %d %d %d %d\n", $id, $fl, $ph * 4294967296 + $pl,
			    $bh * 4294967296 + $bl, $fh * 4294967296 + $fl1, $lh * 4294967296 + $ll;
		} elsif ($type == 6) {
			my (@q) = unpack("V8 V V", $b);
			printf "STATS %d %d %d %d %d %s\n", $q[3] * 4294967296 + $q[2], $q[5] * 4294967296 + $q[4],
			    $q[7] * 4294967296 + $q[6], $q[8], $q[9], str(substr($b, 40));
		} else {
			printf "TYPE%d %d\n", $type, $len;
		}
		$o += $len;
	}
	print "TRAILING ", length($d) - $o, "\n" if $o != length $d;
	'
}

# pcap_offsets FILE: the byte offset of every record header of a classic
# pcap, one a line (the truth for ANN_LOCATION), either byte order.
pcap_offsets() {
	perl -e '
	open(my $f, "<:raw", $ARGV[0]) or die "$ARGV[0]: $!\n"; local $/; my $d = <$f>;
	my $m = unpack("V", substr($d, 0, 4));
	my $fmt = ($m == 0xa1b2c3d4 || $m == 0xa1b23c4d) ? "V" : "N";
	my $o = 24;
	while ($o + 16 <= length $d) {
		my $cap = unpack($fmt, substr($d, $o + 8, 4));
		last if $o + 16 + $cap > length $d;
		print "$o\n"; $o += 16 + $cap;
	}' "$1"
}

# gen FILE [pkgen args]: a pkgen capture
gen() {
	local f=$1; shift
	"$PK_TOOLS/pkgen" "$@" "$f"
}

# ---- live capture inside two network namespaces joined by a veth pair ----
# NS_A (pkv0, 10.99.0.1) sends; NS_B (pkv1, 10.99.0.2) captures.  Static
# MACs and neighbours, IPv6 off: the link carries only what a test sends.

ns_setup() {
	NS_A=pkra$$; NS_B=pkrb$$
	export NS_A NS_B
	ip netns add "$NS_A" && ip netns add "$NS_B" || return 1
	local n
	for n in "$NS_A" "$NS_B"; do
		ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
	ip -n "$NS_A" link add pkv0 address 02:99:00:00:00:01 type veth \
	    peer name pkv1 address 02:99:00:00:00:02 netns "$NS_B" &&
	ip -n "$NS_A" addr add 10.99.0.1/24 dev pkv0 &&
	ip -n "$NS_B" addr add 10.99.0.2/24 dev pkv1 &&
	ip -n "$NS_A" link set pkv0 up && ip -n "$NS_B" link set pkv1 up &&
	ip -n "$NS_A" neigh replace 10.99.0.2 lladdr 02:99:00:00:00:02 dev pkv0 nud permanent &&
	ip -n "$NS_B" neigh replace 10.99.0.1 lladdr 02:99:00:00:00:01 dev pkv1 nud permanent
}

ns_teardown() {
	[ -n "${NS_A:-}" ] && ip netns del "$NS_A" 2>/dev/null
	[ -n "${NS_B:-}" ] && ip netns del "$NS_B" 2>/dev/null
	return 0
}

# in_b CMD...: run in the capturing namespace
in_b() { ip netns exec "$NS_B" "$@"; }

# send_udp COUNT PORT [PAYLOAD]: COUNT datagrams from NS_A to 10.99.0.2:PORT
send_udp() {
	ip netns exec "$NS_A" bash -c '
	for ((i = 0; i < $1; i++)); do printf "%s" "$3" >/dev/udp/10.99.0.2/$2 || exit 1; done' \
	    send "$1" "$2" "${3:-pk-test-payload}"
}

# wait_capturing PID: until PID has a packet socket in NS_B (handle active)
wait_capturing() {
	local pid=$1 i ino p
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		for ino in $(in_b awk 'NR > 1 { print $NF }' /proc/net/packet); do
			for p in "$pid" $(pgrep -P "$pid"); do
				ls -l "/proc/$p/fd" 2>/dev/null | grep -q "socket:\[$ino\]" || continue
				sleep 0.2   # filter set, ring mapped
				return 0
			done
		done
		sleep 0.1
	done
	return 1
}

# packets FILE: how many packet records a stream file holds
packets() { stream_dump <"$1" | grep -c '^PACKET'; }

# for `run bash -c "... | stream_dump"`
export -f stream_dump pcap_offsets packets

# reap PID [TENTHS]: wait for PID to end by itself (default 30 s), its
# status is reap's; a capture that does not stop is killed and fails the test
reap() {
	local pid=$1 i
	for ((i = 0; i < ${2:-300}; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid"
		wait "$pid" 2>/dev/null
		echo "pkread (pid $pid) did not stop by itself" >&2
		return 99
	fi
	wait "$pid"
}
