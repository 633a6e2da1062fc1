#!/usr/bin/env bats
# clickhouse.bats - the fleet catalog in a real ClickHouse: Debian's
# clickhouse-server (18.16, or whatever is installed), started once for the
# suite on 127.0.0.1 on free ports in a temporary directory.  The schema,
# pk-ship-clickhouse (sessions from an archive, idempotent, retrying across
# a server crash; packets from a stream), and pkfind -E -T sql run as SQL
# against shipped sessions: never less than the exact answer.

load helpers
load lib/clickhouse

S=$PK_ROOT/scripts

setup_file() {
	ch_start || return 1
	local d=$BATS_FILE_TMPDIR
	export CD=$d
	# an archive of 12 files with sidecars, sensor "alpha"
	"$PK_TOOLS/pkgen" -n 2400 -N -i 800 -s 5 "$d/gen.pcap"
	mkdir -p "$d/arch"
	pkread -r "$d/gen.pcap" | pkrotate -d "$d/arch" -c 200 | PK_SENSOR=alpha pkindex -S -d "$d/arch" 2>"$d/arch.log"
}

teardown_file() {
	ch_stop
}

# tdb: this test's own database, with the schema
tdb() {
	DB=t$BATS_TEST_NUMBER
	"$S/pk-ship-clickhouse" -u "$CH_URL" -D "$DB" -I
}

# expect_archive DIR: sessions and files of DIR as the catalog must hold them
expect_archive() {
	local f
	EXP_FILES=$(find "$1" -name '*.pcap' | wc -l)
	EXP_PKTS=$(for f in $(find "$1" -name '*.pcap'); do tcpdump -r "$f" -nn 2>/dev/null; done | wc -l)
	EXP_SESS=$(for f in $(find "$1" -name '*.pcap' | LC_ALL=C sort); do
		printf '%s\n' "$f" >"$CD/one"
		pkfind -q -d "$1" -F "$CD/one" -T sessions-json ''
	done | wc -l)
}

# catalog_is SENSOR: the catalog holds exactly EXP_* for SENSOR, with and without FINAL
catalog_is() {
	local fin
	for fin in "" FINAL; do
		[ "$(ch "SELECT count() FROM $DB.files $fin WHERE sensor = '$1'")" -eq "$EXP_FILES" ] || return 1
		[ "$(ch "SELECT count() FROM $DB.sessions $fin WHERE sensor = '$1'")" -eq "$EXP_SESS" ] || return 1
		[ "$(ch "SELECT sum(packets_ab + packets_ba) FROM $DB.sessions $fin WHERE sensor = '$1'")" -eq "$EXP_PKTS" ] ||
		    return 1
		[ "$(ch "SELECT sum(packets) FROM $DB.files $fin WHERE sensor = '$1'")" -eq "$EXP_PKTS" ] || return 1
	done
}

@test "the server runs; the schema applies, twice, to what this ClickHouse version accepts" {
	need_ch
	ch 'SELECT version()'
	tdb
	"$S/pk-ship-clickhouse" -u "$CH_URL" -D "$DB" -I
	run ch "SELECT name FROM system.tables WHERE database = '$DB' ORDER BY name"
	assert_output $'files\npackets\nsessions'
	run ch "SELECT engine FROM system.tables WHERE database = '$DB' AND name = 'sessions'"
	assert_output ReplacingMergeTree
	# the TTL: on a server that has TTL (19.6+) applied, on 18.16 refused with the way out
	run "$S/pk-ship-clickhouse" -u "$CH_URL" -D "$DB" -I -T 30
	case $(ch 'SELECT version()') in
	1[0-8].*|19.[0-5].*) [ "$status" -eq 65 ]; assert_output --partial "drop old partitions instead" ;;
	*) assert_success ;;
	esac
}

@test "sessions of an archive: SQL counts equal the archive's; sidecars shipped are removed" {
	need_ch
	tdb
	cp -a "$CD/arch" "$CD/a2"
	expect_archive "$CD/a2"
	[ "$EXP_FILES" -eq 12 ]
	[ "$(find "$CD/a2" -name '*.sessions' | wc -l)" -eq 12 ]
	run "$S/pk-ship-clickhouse" -u "$CH_URL" -D "$DB" -s alpha -n 300 -d "$CD/a2"
	echo "$output"
	assert_success
	assert_output --partial "shipped 12 file(s), $EXP_SESS session(s)"
	catalog_is alpha
	[ "$(find "$CD/a2" -name '*.sessions' | wc -l)" -eq 0 ]
	# per file: the files row matches tcpdump and the file's own sessions
	local f
	f=$(find "$CD/a2" -name '*.pcap' | LC_ALL=C sort | sed -n 3p)
	[ "$(ch "SELECT packets FROM $DB.files WHERE file = '$f'")" -eq "$(tcpdump -nn -r "$f" 2>/dev/null | wc -l)" ]
	[ "$(ch "SELECT root FROM $DB.files WHERE file = '$f'")" = "$(realpath "$CD/a2")" ]
	[ "$(ch "SELECT first_ns FROM $DB.files WHERE file = '$f'")" = "$(tcpdump -r "$f" -tt --nano -nn 2>/dev/null | head -n 1 | cut -d ' ' -f 1 | tr -d .)" ]
	# the readable columns
	ch "SELECT toString(first) FROM $DB.sessions LIMIT 1" | grep -Eq '^20[0-9]{2}-[0-9]{2}-[0-9]{2} '
}

@test "a second shipping of the same files adds nothing, with or without sidecars" {
	need_ch
	tdb
	cp -a "$CD/arch" "$CD/a3"
	expect_archive "$CD/a3"
	"$S/pk-ship-clickhouse" -u "$CH_URL" -D "$DB" -s alpha -d "$CD/a3"
	catalog_is alpha
	local parts
	parts=$(ch "SELECT count() FROM system.parts WHERE database = '$DB' AND active")
	run "$S/pk-ship-clickhouse" -u "$CH_URL" -D "$DB" -s alpha -d "$CD/a3"
	assert_success
	refute_output --partial shipped
	# sidecars written again (pkindex -S run twice) are not shipped twice either
	cp "$CD"/arch/*/*.sessions "$(dirname "$(find "$CD/a3" -name '*.pcap' | head -n 1)")/"
	"$S/pk-ship-clickhouse" -u "$CH_URL" -D "$DB" -s alpha -d "$CD/a3"
	catalog_is alpha
	[ "$(ch "SELECT count() FROM system.parts WHERE database = '$DB' AND active")" -le "$parts" ]
	[ "$(find "$CD/a3" -name '*.sessions' | wc -l)" -eq 0 ]
	# a batch a broken try stored in part: its sessions are not sent again, its files row is
	ch "ALTER TABLE $DB.files DELETE WHERE file = '$(find "$CD/a3" -name '*.pcap' | LC_ALL=C sort | tail -n 1)'" >/dev/null
	local i
	for i in $(seq 1 100); do [ "$(ch "SELECT count() FROM $DB.files")" -lt "$EXP_FILES" ] && break; sleep 0.1; done
	"$S/pk-ship-clickhouse" -u "$CH_URL" -D "$DB" -s alpha -d "$CD/a3"
	catalog_is alpha
}

@test "the server killed mid-shipping and restarted: nothing lost, nothing doubled" {
	need_ch
	tdb
	cp -a "$CD/arch" "$CD/a4"
	expect_archive "$CD/a4"
	# one file a batch, a pause between batches, so that the kill lands in the middle
	"$S/pk-ship-clickhouse" -u "$CH_URL" -D "$DB" -s alpha -n 1 -P 0.5 -r 8 -d "$CD/a4" 2>"$CD/ship4.log" &
	local ship=$! i
	for i in $(seq 1 200); do
		[ "$(ch "SELECT count() FROM $DB.files" 2>/dev/null || echo 0)" -ge 3 ] && break
		sleep 0.1
	done
	ch_kill
	local n
	n=$(find "$CD/a4" -name '*.sessions' | wc -l)
	[ "$n" -gt 0 ] && [ "$n" -lt 12 ]
	# the shipper waits and retries while the server is down
	for i in $(seq 1 100); do grep -q 'retrying' "$CD/ship4.log" && break; sleep 0.1; done
	grep -q 'ClickHouse unreachable' "$CD/ship4.log"
	ch_restart
	wait "$ship"
	cat "$CD/ship4.log"
	catalog_is alpha
	[ "$(find "$CD/a4" -name '*.sessions' | wc -l)" -eq 0 ]
}

@test "server down: the shipper gives up after its tries with 75 and keeps every sidecar for the next run" {
	need_ch
	tdb
	cp -a "$CD/arch" "$CD/a5"
	expect_archive "$CD/a5"
	run "$S/pk-ship-clickhouse" -u "http://127.0.0.1:$(free_port)" -D "$DB" -s alpha -r 2 -d "$CD/a5"
	[ "$status" -eq 75 ]
	assert_output --partial "giving up after 2 tries"
	[ "$(find "$CD/a5" -name '*.sessions' | wc -l)" -eq 12 ]
	"$S/pk-ship-clickhouse" -u "$CH_URL" -D "$DB" -s alpha -d "$CD/a5"
	catalog_is alpha
	# a refused insert (no such table) is an error, not a retry
	run "$S/pk-ship-clickhouse" -u "$CH_URL" -D nosuchdb -s alpha -d "$CD/a5"
	[ "$status" -eq 65 ]
	assert_output --partial "ClickHouse refused"
}

@test "-w: watching, new files are shipped as they are indexed, TERM ends it" {
	need_ch
	tdb
	mkdir -p "$CD/a6"
	"$S/pk-ship-clickhouse" -u "$CH_URL" -D "$DB" -s beta -w 1 -d "$CD/a6" 2>"$CD/ship6.log" &
	local ship=$! i
	"$PK_TOOLS/pkgen" -n 300 -s 9 "$CD/w.pcap"
	pkread -r "$CD/w.pcap" | pkrotate -d "$CD/a6" -c 100 | PK_SENSOR=beta pkindex -S -d "$CD/a6"
	for i in $(seq 1 100); do [ "$(ch "SELECT count() FROM $DB.files")" -eq 3 ] && break; sleep 0.1; done
	kill -TERM "$ship"
	wait "$ship" || true
	expect_archive "$CD/a6"
	catalog_is beta
}

@test "-p: packets from a stream in batches, rows fit the schema (18.16's types: UInt64 ns, UInt8)" {
	need_ch
	need_cmd jq
	tdb
	pkread -r "$CD/gen.pcap" | "$S/pk-ship-clickhouse" -u "$CH_URL" -D "$DB" -p -n 1000
	[ "$(ch "SELECT count() FROM $DB.packets")" -eq 2400 ]
	[ "$(ch "SELECT count(DISTINCT pk_file) FROM $DB.packets")" -eq 1 ]
	[ "$(ch "SELECT min(timestamp) FROM $DB.packets")" = \
	    "$(tcpdump -r "$CD/gen.pcap" -tt --nano -nn 2>/dev/null | head -n 1 | cut -d ' ' -f 1 | tr -d .)" ]
	[ "$(ch "SELECT count() FROM $DB.packets WHERE ip_fragment = 1")" -eq \
	    "$(pkread -r "$CD/gen.pcap" | pkextract -T json | jq -s 'map(select(."ip.fragment" == true)) | length')" ]
	# pkextract's failure is the shipper's
	run bash -c "echo garbage | '$S/pk-ship-clickhouse' -u '$CH_URL' -D '$DB' -p"
	[ "$status" -eq 65 ]
}

@test "pk-clickhouse-schema.sql's packets table: the columns and types of pkextract's field table (libcommon/packet/print.c)" {
	grep -o '{ "[^"]*", g_[a-z0-9_]*, "[^"]*" }' "$PK_ROOT/libcommon/packet/print.c" |
	    sed -E 's/\{ "@?([^"]*)", g_[a-z0-9_]*, "([^"]*)" \}/\1 \2/; s/\./_/g' | sort >"$BATS_TEST_TMPDIR/want"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/want")" -ge 20 ] || fail "print.c's field table has another shape: update this test"
	sed -n '/^CREATE TABLE IF NOT EXISTS pk.packets/,/^)/p' "$S/pk-clickhouse-schema.sql" |
	    awk '$1 ~ /^[a-z_]+$/ && $0 !~ /MATERIALIZED/ { sub(/,$/, ""); n = $1; $1 = ""; sub(/^ +/, ""); print n, $0 }' |
	    sort >"$BATS_TEST_TMPDIR/have"
	run diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/have"
	echo "$output"
	[ "$status" -eq 0 ]
	# and the sessions table: the keys of pk-sessions(5) records
	pkfind -q -d "$CD/arch" -T sessions-json '' | jq -r 'keys[]' | sort -u >"$BATS_TEST_TMPDIR/keys"
	sed -n '/^CREATE TABLE IF NOT EXISTS pk.sessions/,/^)/p' "$S/pk-clickhouse-schema.sql" |
	    awk '$1 ~ /^[a-z_0-9]+$/ && $0 !~ /MATERIALIZED|ALIAS/ { print $1 }' | sort >"$BATS_TEST_TMPDIR/cols"
	run comm -3 "$BATS_TEST_TMPDIR/keys" "$BATS_TEST_TMPDIR/cols"
	echo "$output"
	[ -z "$output" ]
}

# ---- pkfind -E -T sql against the catalog: a superset of the exact answer ----

# sql_superset EXPR: every file with an exact match has a catalog session matching the condition
sql_superset() {
	local where want got
	where=$(pkfind -E -T sql "$1" | sed -n 's/^where //p')
	want=$(pkfind -q -d "$CD/asql" -l "$1" | LC_ALL=C sort)
	got=$(ch "SELECT DISTINCT file FROM $SQLDB.sessions WHERE $where" | LC_ALL=C sort) || return 1
	[ -z "$(LC_ALL=C comm -23 <(printf '%s\n' "$want" | sed '/^$/d') <(printf '%s\n' "$got"))" ] ||
	    { echo "$1: files with matches the catalog missed"; return 1; }
	# and the sessions too: each flow with a match satisfies the condition
	pkfind -q -d "$CD/asql" -T sessions-json "$1" | jq -r '.flow' | LC_ALL=C sort -u >"$CD/want.flows"
	ch "SELECT DISTINCT toString(flow) FROM $SQLDB.sessions WHERE $where" | LC_ALL=C sort -u >"$CD/got.flows"
	[ -z "$(LC_ALL=C comm -23 "$CD/want.flows" "$CD/got.flows")" ] || { echo "$1: flows missed"; return 1; }
	# narrowing is the point: a selective expression must not match everything
	NARROW=$(wc -l <"$CD/got.flows")
}

@test "pkfind -E -T sql in ClickHouse: never misses a file or session that matches (the pkfind table's expressions)" {
	need_ch
	need_cmd jq
	SQLDB=tsql
	"$S/pk-ship-clickhouse" -u "$CH_URL" -D "$SQLDB" -I
	cp -a "$CD/arch" "$CD/asql"
	"$S/pk-ship-clickhouse" -u "$CH_URL" -D "$SQLDB" -s alpha -d "$CD/asql"
	local q all
	all=$(ch "SELECT count(DISTINCT flow) FROM $SQLDB.sessions")
	while IFS= read -r q; do
		[ -n "$q" ] || continue
		sql_superset "$q" || return 1
	done <<-'EOF'
	host 10.0.0.1
	src host 10.0.0.2
	dst host 192.168.1.3
	host 10.0.0.5 or 10.0.0.6
	src and dst net 10.0.0.0/8
	net 192.168.1.0/28
	net 10.0.0.0 mask 255.255.255.240
	dst net 192.168
	host 2001:db8::3
	src net 2001:db8::/120
	port 53
	tcp dst port 80
	udp and src host 10.0.0.1
	ip6 and tcp port 22
	port domain or https
	portrange 400-450
	src port 53 or dst port 443
	icmp
	icmp6
	sctp
	arp
	ip proto 17
	ip6 proto 0
	ether proto 0x86dd
	ether host 02:00:00:00:00:01
	ether src 02:00:00:00:00:02 and ether dst 02:00:00:00:00:03
	vlan 10
	vlan 100 and vlan 20
	host 192.168.1.9 and tcp
	mpls and udp
	ip[6:2] & 0x1fff != 0
	tcp and not port 80
	!icmp && (arp || udp port 123)
	host (10.0.0.2 or 10.0.0.3)
	EOF
	# and it narrows: one host is not everything
	sql_superset 'host 10.0.0.1'
	[ "$NARROW" -lt "$all" ]
	sql_superset 'udp port 53 and src net 10.0.0.0/24'
	[ "$NARROW" -lt "$all" ]
}
