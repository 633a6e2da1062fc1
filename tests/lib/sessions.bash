# sessions.bash - tshark's conversation statistics as the oracle of
# pk-sessions(5) records (tests/sessions.bats).

# conv_tshark FILE tcp|udp: "A B frames bytes frames bytes" per conversation,
# endpoints A < B (tshark's order of sides is not ours): what A sent, then
# what B sent.  Fragments are not reassembled, tshark's tunnel decoders are
# off and packets with two IP layers left out: pk's sessions describe the
# outer header, as BPF does.
conv_tshark() {
	tshark -r "$1" -o ip.defragment:FALSE -o ipv6.defragment:FALSE --disable-protocol teredo \
	    --disable-protocol vxlan --disable-protocol geneve --disable-protocol gtp -q \
	    -z "conv,$2,!(ip && ipv6) && !(count(ip) > 1) && !(count(ipv6) > 1)" 2>/dev/null | awk '
	function fmt(v, u) { return u == "bytes" ? v : v " " u }
	$2 == "<->" { a = $1; b = $3; fba = $4; bba = fmt($5, $6); fab = $7; bab = fmt($8, $9)
	  if (a <= b) print a, b, fab, bab, fba, bba; else print b, a, fba, bba, fab, bab }' | LC_ALL=C sort
}

# conv_pk JSONL tcp|udp: the same from session records (sessions that differ
# only in MACs or VLAN tags are one conversation for tshark), bytes as
# tshark 4 prints them (whole kB at 10,000 bytes, whole MB at 10 MB)
conv_pk() {
	local p=6
	[ "$2" = udp ] && p=17
	jq -r --argjson p "$p" 'select(.proto == $p and has("port_a"))
	    | [.ip_a + ":" + (.port_a | tostring), .ip_b + ":" + (.port_b | tostring),
	       .packets_ab, .bytes_ab, .packets_ba, .bytes_ba] | @tsv' "$1" | awk -F '\t' '
	function fmt(b) { return b >= 10000000 ? int(b / 1000000) " MB" : b >= 10000 ? int(b / 1000) " kB" : b }
	{ a = $1; b = $2
	  if (a <= b) { k = a " " b; fl[k] += $3; bl[k] += $4; fh[k] += $5; bh[k] += $6 }
	  else { k = b " " a; fl[k] += $5; bl[k] += $6; fh[k] += $3; bh[k] += $4 } }
	END { for (k in fl) print k, fl[k], fmt(bl[k]), fh[k], fmt(bh[k]) }' | LC_ALL=C sort
}

# tcp_conv_pcap FILE [CLIENT SERVER START]: two TCP connections with replies,
# written by hand (pkgen's flows go one way): CLIENT.40000 > SERVER.80 opens,
# exchanges data and closes (4 packets each way, 100 and 300 payload bytes);
# then SERVER.80 sends first to CLIENT.40001 (a RST-ACK), and CLIENT.40001
# sends it one ACK.  One packet a second from START (default 1700000000);
# CLIENT and SERVER default to 10.1.0.1 and 10.1.0.2.
tcp_conv_pcap() {
	python3 - "$1" "${2:-10.1.0.1}" "${3:-10.1.0.2}" "${4:-1700000000}" <<'PY'
import struct, sys
c, s, t0 = sys.argv[2], sys.argv[3], int(sys.argv[4])
def pkt(src, dst, sport, dport, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1, 1, 5 << 4, flags, 65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0,
                     bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    mac = {c: "020000000001", s: "020000000002"}
    eth = bytes.fromhex(mac[dst] + mac[src] + "0800")
    return eth + ip + tcp
S, SA, A, PA, FA, RA = 0x02, 0x12, 0x10, 0x18, 0x11, 0x14
pkts = [pkt(c, s, 40000, 80, S), pkt(s, c, 80, 40000, SA), pkt(c, s, 40000, 80, A),
        pkt(c, s, 40000, 80, PA, b"q" * 100), pkt(s, c, 80, 40000, PA, b"r" * 300),
        pkt(s, c, 80, 40000, FA), pkt(c, s, 40000, 80, FA), pkt(s, c, 80, 40000, A),
        pkt(s, c, 80, 40001, RA), pkt(c, s, 40001, 80, A)]
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
    for i, p in enumerate(pkts):
        f.write(struct.pack("<IIII", t0 + i, 0, len(p), len(p)) + p)
PY
}
