# pkextract.bash - helpers for tests/pkextract.bats

# pk_stream FILE: FILE as a pk stream on stdout (pkread -r).
pk_stream() {
	pkread -q -r "$1"
}

# ours FILE: "src,dst,sport,dport" per packet from pkextract -T csv
ours() {
	pk_stream "$1" | pkextract -T csv -f source.ip,destination.ip,source.port,destination.port |
	    tr -d '\r' | tail -n +2
}

# theirs FILE: the same from tshark (outermost IP or ARP addresses; the
# ports of the first transport header after the first IP header, as
# frame.protocols lists it; no reassembly).
theirs() {
	tshark -r "$1" -o ip.defragment:FALSE -o ipv6.defragment:FALSE \
	    -o tcp.analyze_sequence_numbers:FALSE \
	    -T fields -E 'separator=;' -E occurrence=f \
	    -e frame.protocols -e ip.src -e ipv6.src -e arp.src.proto_ipv4 \
	    -e ip.dst -e ipv6.dst -e arp.dst.proto_ipv4 \
	    -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport \
	    -e sctp.srcport -e sctp.dstport 2>/dev/null |
	awk -F';' '{
		n = split($1, p, ":"); t = ""; net = ""
		for (i = 1; i <= n; i++) {
			if (p[i] == "ip" || p[i] == "ipv6" || p[i] == "arp") {
				if (net != "") break
				net = p[i]; continue
			}
			if (net != "" && (p[i] == "tcp" || p[i] == "udp" || p[i] == "sctp" || p[i] == "icmp" || p[i] == "icmpv6")) { t = p[i]; break }
		}
		s = d = sp = dp = ""
		if (net == "ip") { s = $2; d = $5 }
		if (net == "ipv6") { s = $3; d = $6 }
		if (net == "arp") { s = $4; d = $7 }
		if (t == "tcp") { sp = $8; dp = $9 }
		if (t == "udp") { sp = $10; dp = $11 }
		if (t == "sctp") { sp = $12; dp = $13 }
		print s "," d "," sp "," dp
	}'
}

# bpf_vs_fields FILE EXPR JQ MODE: the packets tcpdump's EXPR matches (by
# timestamp) against those whose pkextract fields satisfy the jq predicate
# JQ.  MODE "subset": every BPF match has the fields (what pkfind's index
# needs); MODE "equal": the same packets.
bpf_vs_fields() {
	local f=$1 expr=$2 pred=$3 mode=$4 d=$BATS_TEST_TMPDIR
	tcpdump -r "$f" -nn -tt --nano "$expr" 2>/dev/null | awk '/^[0-9]+\.[0-9]+ / { print $1 }' | sort >"$d/bpf"
	pk_stream "$f" | pkextract -T json |
	    jq -r "select($pred) | .[\"@timestamp\"] | (.[0:19] + \"Z\" | fromdate | tostring) + \".\" + .[20:29]" |
	    sort >"$d/fields"
	if [ ! -s "$d/bpf" ]; then
		[ "$mode" = subset ] && return 0
		echo "no BPF match for '$expr' in $f" >&2
		return 1
	fi
	if [ -n "$(comm -23 "$d/bpf" "$d/fields")" ]; then
		echo "'$expr' in $f: BPF matches packets the fields miss:" >&2
		comm -23 "$d/bpf" "$d/fields" | head -5 >&2
		return 1
	fi
	if [ "$mode" = equal ] && ! cmp -s "$d/bpf" "$d/fields"; then
		echo "'$expr' in $f: the fields match $(wc -l <"$d/fields") packets, BPF $(wc -l <"$d/bpf")" >&2
		return 1
	fi
}

# hexpcap FILE LINKTYPE HEX...: a classic pcap (little-endian, µs) with one
# packet per HEX argument (spaces allowed inside), timestamps 1 s apart
hexpcap() {
	local out=$1 lt=$2 i=0 h n
	shift 2
	{
		printf 'd4c3b2a1020004000000000000000000ffff0000'
		printf '%02x%02x%02x%02x' $((lt & 255)) $((lt >> 8 & 255)) 0 0
		for h in "$@"; do
			h=${h// /}
			n=$(( ${#h} / 2 ))
			i=$((i + 1))
			printf '%02x%02x%02x%02x00000000' $((i & 255)) $((i >> 8 & 255)) 0 0
			printf '%02x%02x%02x%02x' $((n & 255)) $((n >> 8 & 255)) 0 0
			printf '%02x%02x%02x%02x' $((n & 255)) $((n >> 8 & 255)) 0 0
			printf '%s' "$h"
		done
	} | xxd -r -p >"$out"
}
