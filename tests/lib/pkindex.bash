# pkindex.bash - helpers for tests/pkindex.bats.

# pcap_craft PCAP ID [CLOSEFLAGS [PACKETS_DELTA [FINALPATH]]]: a pkcraft
# script announcing PCAP as file ID with every packet located in it, as
# pkread -r / pkrotate would.  PACKETS_DELTA alters the close count.
pcap_craft() {
	local pcap=$1 id=$2 cflags=${3:-0} delta=${4:-0} final=${5:-}
	local path lt nsec
	path=$(realpath "$pcap")
	lt=$(od -An -tu4 -j20 -N4 "$pcap" | tr -d ' ')
	nsec=$(od -An -tx4 -N4 "$pcap" | tr -d ' ')
	[ "$nsec" = a1b23c4d ] && nsec=1 || nsec=0
	echo "header"
	echo "open $id $lt 262144 $nsec $path"
	tcpdump -r "$pcap" -tt --nano -nn -xx 2>/dev/null | awk -v id="$id" -v lt="$lt" \
	    -v cflags="$cflags" -v delta="$delta" -v final="$final" -v size="$(stat -c %s "$pcap")" '
	function flush() {
		if (ts == "") return
		print "packet " ts " " lt " " hex " 1 " id " " off
		off += 16 + length(hex) / 2; n++
	}
	BEGIN { off = 24; n = 0; ts = "" }
	/^[0-9]/ { flush(); split($1, t, "."); ts = t[1] t[2]; hex = ""; next }
	/^\t0x/ { for (i = 2; i <= NF; i++) hex = hex $i }
	END { flush(); print "close " id " " cflags " " (n + delta) " " size " 0 0 " final }'
}

# dump_count IDX TAG VALUE: number of packets the index lists for a key
dump_count() {
	pkindex --dump "$1" | awk -v t="$2" -v v="$3" '$1 == "key" && $2 == t && $3 == v { sub(":", "", $7); print $7; f = 1 } END { if (!f) print 0 }'
}
