# pkrotate.bash - helpers for tests/pkrotate.bats: make pk streams from pcaps.

# pcap_craft PCAP [LINKTYPE]: pkcraft lines for every packet of PCAP
# (nanosecond timestamps, flag PKT_NSEC), read back with tcpdump.
pcap_craft() {
	local lt=${2:-1} fl=1
	# a microsecond file gives microsecond packets (flag PKT_NSEC clear)
	case $(head -c 4 "$1" | od -An -tx1 | tr -d ' ') in
	d4c3b2a1|a1b2c3d4) fl=0 ;;
	esac
	echo header 1
	tcpdump -r "$1" -nn -tt --nano -xx 2>/dev/null | awk -v lt="$lt" -v fl="$fl" '
	function out() { if (ts != "") print "packet", ts, lt, hex, fl }
	/^[0-9]/ { out(); split($1, t, "."); ts = t[1] t[2]; hex = ""; next }
	/^\t0x/ { for (i = 2; i <= NF; i++) hex = hex $i }
	END { out() }'
}

# to_stream PCAP [LINKTYPE]: PCAP as a pk stream on stdout.  pkread -r when it
# is built, else tcpdump text through pkcraft (same packets, same times).
to_stream() {
	if "$PK_BIN/pkread" -r "$1" 2>/dev/null </dev/null | head -c 8 | grep -q .; then
		"$PK_BIN/pkread" -q -r "$1"
	else
		pcap_craft "$@" | "$PK_TOOLS/pkcraft"
	fi
}

# craft_times TS...: a stream of small UDP packets at the given ns times
craft_times() {
	local ts
	echo header 1
	for ts in "$@"; do
		echo "packet $ts 1 020000000001020000000002080045000020000040004011000000000a0000010a00000200350035000c0000aabbccdd 1"
	done
}

# archive_files DIR: the finished pcaps under DIR, in name (= time) order
archive_files() {
	find "$1" -name '*.pcap' | sort
}

# archive_text DIR: every packet of the finished files, in file order, as text
archive_text() {
	local f
	for f in $(archive_files "$1"); do
		pcap_text "$f"
	done
}

# stream_dump: pk stream on stdin as one line per record (python3 as the
# independent oracle of the record layout in pk-stream(5)):
#   header | packet TS CAPLEN [loc ID OFF] [cut ORIGCAP] | open ID LT SNAP FLAGS PATH
#   close ID FLAGS PACKETS BYTES FIRST LAST PATH | remove ID PATH | note CODE ID TEXT | stats ... | type N
stream_dump() {
	python3 -c '
import struct, sys
d = sys.stdin.buffer.read(); o = 0
def s(b): return b.split(b"\0")[0].decode()
while o + 8 <= len(d):
    n, t, chk = struct.unpack_from("<IHH", d, o)
    if chk != 0x6b70 or n < 8 or o + n > len(d): print("garbage at", o); break
    b = d[o+8:o+n]; o += n
    if t == 1: print("header")
    elif t == 2:
        ts, cap = struct.unpack_from("<QI", b); fl, orig = struct.unpack_from("<II", b, 24)
        a = 32 + (cap + 7) // 8 * 8; loc = ""
        while a + 4 <= len(b):
            tag, ln = struct.unpack_from("<HH", b, a)
            if tag == 1: fid, _, off = struct.unpack_from("<IIQ", b, a + 4); loc = " loc %d %d" % (fid, off)
            if tag == 0 and ln == 0: break
            a += (4 + ln + 7) // 8 * 8
        # PKT_CUT (flag 2): CAP bytes of a packet captured with ORIG are here
        print("packet %d %d%s%s" % (ts, cap, loc, " cut %d" % orig if fl & 2 else ""))
    elif t == 3: print("open %d %d %d %d %s" % (struct.unpack_from("<IIII", b) + (s(b[16:]),)))
    elif t == 4: print("close %d %d %d %d %d %d %s" % (struct.unpack_from("<IIQQQQ", b) + (s(b[40:]),)))
    elif t == 5: print("remove %d %s" % (struct.unpack_from("<I", b)[0], s(b[8:])))
    elif t == 9: print("note %d %d %s" % (struct.unpack_from("<II", b) + (s(b[8:]),)))
    elif t == 6: print("stats %d %d %d %d" % struct.unpack_from("<QQQQ", b))
    else: print("type", t)
'
}
