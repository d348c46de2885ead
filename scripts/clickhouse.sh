#!/usr/bin/env bash
# Starts a throwaway ClickHouse server for the tests: installs it from Debian
# when missing (clickhouse-server 18.16 there), writes a config and a data dir
# under a temporary directory, listens on 127.0.0.1 only, and prints the
# variables the tests read. Usage:
#   eval "$(scripts/clickhouse.sh start)"   # sets LOQUAT_TEST_CLICKHOUSE_DSN, CLICKHOUSE_PID, CLICKHOUSE_DIR
#   scripts/clickhouse.sh stop "$CLICKHOUSE_PID" "$CLICKHOUSE_DIR"
set -euo pipefail

# free_port prints the first port from $1 on that nothing listens on.
free_port() {
	p=$1
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do
		p=$((p + 1))
	done
	echo "$p"
}

start() {
	if ! command -v clickhouse-server >/dev/null 2>&1; then
		echo "installing clickhouse-server from Debian..." >&2
		sudo_cmd=""
		[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
		$sudo_cmd apt-get update -qq >&2 || true
		DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq clickhouse-server clickhouse-client >&2
	fi
	# tmpfs when there is one: ClickHouse creates files for every insert, and
	# on a slow disk that is most of an insert's time.
	base=/tmp
	[ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
	dir=$(mktemp -d "$base/loquat-clickhouse-XXXXXX")
	tcp=${CLICKHOUSE_TCP_PORT:-$(free_port 19000)}
	http=${CLICKHOUSE_HTTP_PORT:-$(free_port 18123)}
	mkdir -p "$dir/data" "$dir/tmp" "$dir/log" "$dir/user_files" "$dir/format_schemas"
	cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>$dir/log/clickhouse-server.log</log>
    <errorlog>$dir/log/clickhouse-server.err.log</errorlog>
    <size>100M</size>
    <count>2</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>$tcp</tcp_port>
  <http_port>$http</http_port>
  <max_connections>256</max_connections>
  <keep_alive_timeout>3</keep_alive_timeout>
  <max_concurrent_queries>100</max_concurrent_queries>
  <uncompressed_cache_size>1073741824</uncompressed_cache_size>
  <mark_cache_size>1073741824</mark_cache_size>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>Asia/Shanghai</timezone>
  <mlock_executable>false</mlock_executable>
  <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
  <max_session_timeout>3600</max_session_timeout>
  <default_session_timeout>60</default_session_timeout>
</yandex>
XML
	cat >"$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <max_memory_usage>4000000000</max_memory_usage>
      <load_balancing>random</load_balancing>
      <allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type>
    </default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas>
    <default>
      <interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval>
    </default>
  </quotas>
</yandex>
XML
	clickhouse-server --config-file="$dir/config.xml" >"$dir/log/stdout.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 100); do
		if curl -fsS "http://127.0.0.1:$http/ping" >/dev/null 2>&1; then
			echo "export LOQUAT_TEST_CLICKHOUSE_DSN=clickhouse://127.0.0.1:$tcp/default"
			echo "export CLICKHOUSE_PID=$pid CLICKHOUSE_DIR=$dir"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "clickhouse-server exited; its log:" >&2
			tail -30 "$dir/log/stdout.log" "$dir/log/clickhouse-server.err.log" >&2 || true
			return 1
		fi
		sleep 0.1
	done
	echo "clickhouse-server did not answer on 127.0.0.1:$http within 10s" >&2
	return 1
}

stop() {
	pid=${1:-${CLICKHOUSE_PID:-}}
	dir=${2:-${CLICKHOUSE_DIR:-}}
	if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	[ -n "$dir" ] && rm -rf "$dir"
}

case "${1:-}" in
start) start ;;
stop) shift; stop "$@" ;;
*) echo "usage: $0 start | stop PID DIR" >&2; exit 2 ;;
esac
