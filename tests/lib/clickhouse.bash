# clickhouse.bash - a real clickhouse-server for a suite (tests/clickhouse.bats,
# tests/fleet.bats): started once in setup_file on 127.0.0.1, on free ports,
# in a temporary directory, and stopped in teardown_file.
#
#   ch_start      (setup_file) exports CH_URL, CH_DIR, CH_PID, CH_PORT
#   ch_stop       (teardown_file)
#   ch_kill, ch_restart   the server dies / comes back on the same ports and data
#   ch SQL        the answer (TSV) of a query, or fail

# free_port: a TCP port nothing listens on (the kernel's pick)
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

ch_config() {
	cat >"$CH_DIR/config.xml" <<-EOF
	<?xml version="1.0"?>
	<yandex>
	  <logger><level>warning</level><log>$CH_DIR/server.log</log><errorlog>$CH_DIR/error.log</errorlog></logger>
	  <http_port>$CH_PORT</http_port>
	  <tcp_port>$CH_TCP</tcp_port>
	  <listen_host>127.0.0.1</listen_host>
	  <path>$CH_DIR/data/</path>
	  <tmp_path>$CH_DIR/tmp/</tmp_path>
	  <user_files_path>$CH_DIR/user_files/</user_files_path>
	  <format_schema_path>$CH_DIR/format_schemas/</format_schema_path>
	  <users_config>$CH_DIR/users.xml</users_config>
	  <default_profile>default</default_profile>
	  <default_database>default</default_database>
	  <mark_cache_size>67108864</mark_cache_size>
	  <uncompressed_cache_size>67108864</uncompressed_cache_size>
	  <max_concurrent_queries>20</max_concurrent_queries>
	  <timezone>UTC</timezone>
	</yandex>
	EOF
	cat >"$CH_DIR/users.xml" <<-EOF
	<?xml version="1.0"?>
	<yandex>
	  <profiles><default><max_memory_usage>1000000000</max_memory_usage></default></profiles>
	  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
	    <profile>default</profile><quota>default</quota></default></users>
	  <quotas><default></default></quotas>
	</yandex>
	EOF
}

# ch_up: start the server on the configured ports and wait until it answers (bounded)
ch_up() {
	local i
	# not a job of the shell (whose "Killed" would clutter the output): a grandchild
	( clickhouse-server --config-file="$CH_DIR/config.xml" >>"$CH_DIR/stdout" 2>&1 3>&- &
	  echo $! >"$CH_DIR/pid" )
	CH_PID=$(cat "$CH_DIR/pid")
	for i in $(seq 1 300); do
		curl -sf "$CH_URL/?query=SELECT%201" >/dev/null 2>&1 && return 0
		kill -0 "$CH_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "clickhouse-server did not start:" >&2
	tail -n 20 "$CH_DIR/error.log" "$CH_DIR/stdout" >&2 2>/dev/null
	return 1
}

ch_start() {
	command -v clickhouse-server >/dev/null 2>&1 && command -v curl >/dev/null 2>&1 || return 0
	CH_DIR=$(mktemp -d "${BATS_TMPDIR:-/tmp}/pk-ch.XXXXXX")
	CH_PORT=$(free_port) CH_TCP=$(free_port)
	CH_URL=http://127.0.0.1:$CH_PORT
	export CH_DIR CH_PORT CH_TCP CH_URL
	ch_config
	ch_up
}

# need_ch: in a test, skip unless the server runs (only when it cannot be installed)
need_ch() {
	command -v clickhouse-server >/dev/null 2>&1 ||
	    skip "clickhouse-server is not installed (Debian package clickhouse-server; scripts/pk-deps installs it)"
	[ -n "${CH_URL:-}" ] || fail "clickhouse-server is installed but setup_file did not start it"
	CH_PID=$(cat "$CH_DIR/pid")
}

# ch_kill: the server dies (SIGKILL), as a crash or a power cut would do it
ch_kill() {
	local pid
	pid=$(cat "$CH_DIR/pid")
	kill -9 "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}

ch_restart() {
	ch_up
}

ch_stop() {
	[ -n "${CH_DIR:-}" ] || return 0
	local pid
	pid=$(cat "$CH_DIR/pid" 2>/dev/null)
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null
	fi
	rm -rf "$CH_DIR"
}

# ch SQL: the TSV answer; fails (with ClickHouse's message) on an error
ch() {
	local a
	a=$(curl -sS --fail-with-body --data-binary "$1" "$CH_URL/" 2>&1) || { echo "ch: $1: $a" >&2; return 1; }
	printf '%s\n' "$a"
}
