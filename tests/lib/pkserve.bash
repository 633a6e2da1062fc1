# pkserve.bash - helpers for tests/pkserve.bats: certificates, a server on
# 127.0.0.1, clients (curl, Debian's stenoread/stenocurl), the oracle.

# ps_keys DIR [CN]: a CA, server and client certificates in DIR (pk-serve-keys)
ps_keys() {
	"$PK_ROOT/scripts/pk-serve-keys" -c "${2:-client}" "$1"
}

# ps_start NAME ARGS...: pkserve on 127.0.0.1 (a port the kernel picks) in
# the background; sets PS_PORT_<NAME> and PS_PID_<NAME>; its log in $PS/NAME.log
ps_start() {
	local name=$1 port i
	shift
	pkserve -l 127.0.0.1:0 "$@" 2>"$PS/$name.log" &
	eval "PS_PID_$name=$!"
	for i in $(seq 100); do
		port=$(sed -n 's/^pkserve: listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$PS/$name.log")
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || { cat "$PS/$name.log"; return 1; }
	eval "PS_PORT_$name=$port"
	export "PS_PORT_$name" "PS_PID_$name"
}

# ps_curl KEYDIR PORT PATH [curl args]: curl with the client certificate of KEYDIR
ps_curl() {
	local k=$1 port=$2 path=$3
	shift 3
	curl -sS --max-time 20 --cert "$k/client_cert.pem" --key "$k/client_key.pem" --cacert "$PS/keys/ca_cert.pem" \
	    "$@" "https://127.0.0.1:$port$path"
}

# ps_epoch RFC3339: epoch seconds.nanoseconds
ps_epoch() {
	date -u -d "$1" +%s.%N
}

# ps_window FROM TO: keep the packet lines (pf_pktlines) with FROM <= time < TO
# (epoch seconds with a fraction; "" = open), compared exactly as 19-digit strings
ps_window() {
	local a=0000000000000000000 b=9999999999999999999
	[ -z "$1" ] || a=$(ps_ns "$1")
	[ -z "$2" ] || b=$(ps_ns "$2")
	awk -v a="$a" -v b="$b" '{ split($1, t, "."); ns = sprintf("%010d", t[1]) substr(t[2] "000000000", 1, 9)
		if (ns "" >= a "" && ns "" < b "") print }'
}

# ps_ns S.F: nanoseconds as a digit string
ps_ns() {
	local s=${1%.*} f=0
	case $1 in *.*) f=${1#*.} ;; esac
	f=${f}000000000
	printf '%010d%s\n' "$s" "${f:0:9}"
}

# ps_oracle EXPR FROM TO: tcpdump over the archive's files, in the window
ps_oracle() {
	pf_oracle "$PS/arch" "$1" | ps_window "$2" "$3"
}

# ps_steno QUESTION: what Debian's stenoread gets from pkserve, as oracle lines
ps_steno() {
	STENOGRAPHER_CONFIG=$PS/steno.json stenoread "$1" --nano -w "$PS/steno.out.pcap" 2>"$PS/stenoread.err" || return 1
	pcap_text "$PS/steno.out.pcap" | pf_pktlines
}

# ps_same QUESTION EXPR [FROM TO]: stenoread's packets = tcpdump's EXPR in [FROM, TO)
ps_same() {
	local want got
	want=$(ps_oracle "$2" "${3:-}" "${4:-}") || return 1
	got=$(ps_steno "$1") || { echo "stenoread failed: $(cat "$PS/stenoread.err")"; return 1; }
	if [ "$want" != "$got" ]; then
		echo "question: $1 (tcpdump: $2)"
		echo "tcpdump: $(printf '%s' "$want" | grep -c .) packets, stenoread: $(printf '%s' "$got" | grep -c .)"
		diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | cut -c1-160 | head -6
		return 1
	fi
	[ -n "$want" ] || [ -n "${PS_EMPTY_OK:-}" ] || { echo "question: $1: no packet on either side (a test that cannot fail)"; return 1; }
}
