# pcapfile.bash - helpers for tests/pcapfile.bats: classic pcaps crafted
# byte by byte, the odd ones libpcap still reads.

# mkpcap FILE [-b] [-n] [-v MAJOR.MINOR] [-s SNAPLEN] [-l LINKTYPE] REC...
#   -b big-endian, -n nanosecond magic
#   REC: SEC:FRAC[:CAPLEN[:LEN[:DATALEN]]]  (numbers decimal or 0x hex)
#        CAPLEN defaults to the packet's length (a 60-byte Ethernet/IPv4/TCP
#        SYN, padded or cut to DATALEN bytes, default CAPLEN); LEN to CAPLEN.
#        Each record's data is that packet with its last byte set to the
#        record's number, so every record differs.
mkpcap() {
	perl -e '
	use strict;
	my ($out, @a) = @ARGV;
	my ($be, $ns, $maj, $min, $snap, $lt) = (0, 0, 2, 4, 65535, 1);
	while (@a && $a[0] =~ /^-/) {
		my $o = shift @a;
		if ($o eq "-b") { $be = 1 } elsif ($o eq "-n") { $ns = 1 }
		elsif ($o eq "-v") { ($maj, $min) = split /\./, shift @a }
		elsif ($o eq "-s") { $snap = oct_or_dec(shift @a) }
		elsif ($o eq "-l") { $lt = oct_or_dec(shift @a) }
		else { die "mkpcap: $o?\n" }
	}
	sub oct_or_dec { my ($v) = @_; $v =~ /^0x/i ? hex($v) : $v }
	my ($L, $S) = $be ? ("N", "n") : ("V", "v");
	# Ethernet, IPv4 10.0.0.1 > 10.0.0.2, TCP 1024 > 80 SYN
	my $syn = pack("H*", "0200000000020200000000010800" .
	    "4500002e00010000400600000a0000010a000002" .
	    "04000050000000010000000050020200000000000000") ;
	$syn .= "\0" x (60 - length $syn);
	open(my $f, ">:raw", $out) or die "$out: $!\n";
	print $f pack("$L $S $S l $L $L $L", $ns ? 0xa1b23c4d : 0xa1b2c3d4, $maj, $min, 0, 0, $snap, $lt);
	my $k = 0;
	for my $r (@a) {
		my ($sec, $frac, $cap, $len, $dl) = map { oct_or_dec($_) } split /:/, $r;
		$cap = length $syn unless defined $cap && $cap ne "";
		$len = $cap unless defined $len && $len ne "";
		$dl = $cap unless defined $dl && $dl ne "";
		my $d = $syn;
		$d .= "\xee" x ($dl - length $d) if $dl > length $d;
		$d = substr($d, 0, $dl);
		substr($d, -1, 1) = chr($k++ & 0xff) if $dl > 0;
		print $f pack("$L $L $L $L", $sec, $frac, $cap, $len), $d;
	}
	close $f or die;
	' "$@"
}

# rec_count FILE: records tcpdump reads (it says "truncated" on stderr at damage)
rec_count() {
	tcpdump -r "$1" -nn 2>/dev/null | wc -l
}
