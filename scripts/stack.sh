#!/usr/bin/env bash
# The real engines for tests and local runs, on loopback, as processes of our own:
#   Kafka 3.9 (KRaft, single node) from Maven Central, ClickHouse from Debian, Redis.
#
#   scripts/stack.sh up        start what does not answer yet, wait until each answers, write .stack/env
#   scripts/stack.sh down      stop what this script started (by pid file; never by name)
#   scripts/stack.sh status    say what answers where, and whether we started it
#   scripts/stack.sh logs [kafka|clickhouse|redis] [-f]
#   scripts/stack.sh start|stop kafka|clickhouse|redis
#                              one service alone (fault tests run private ones under their own
#                              STACK_DIR and ports, and stop and restart them)
#
# Settings (environment): STACK_DIR (.stack), STACK_KAFKA_PORT (19092),
# STACK_KAFKA_CONTROLLER_PORT (19093), STACK_KAFKA_HEAP (512m), STACK_CLICKHOUSE_HTTP_PORT (18123),
# STACK_CLICKHOUSE_TCP_PORT (19000), STACK_REDIS_PORT (6379), STACK_REDIS_APPENDONLY (no: yes keeps
# Redis' data across its restarts), STACK_WAIT_SECONDS (90).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK_DIR="${STACK_DIR:-$ROOT/.stack}"
mkdir -p "$STACK_DIR"
STACK_DIR="$(cd "$STACK_DIR" && pwd)"

HOST=127.0.0.1
KAFKA_PORT="${STACK_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${STACK_KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_HEAP="${STACK_KAFKA_HEAP:-512m}"
CH_HTTP_PORT="${STACK_CLICKHOUSE_HTTP_PORT:-18123}"
CH_TCP_PORT="${STACK_CLICKHOUSE_TCP_PORT:-19000}"
REDIS_PORT="${STACK_REDIS_PORT:-6379}"
REDIS_APPENDONLY="${STACK_REDIS_APPENDONLY:-no}"
WAIT_SECONDS="${STACK_WAIT_SECONDS:-90}"

KAFKA_DIR="$STACK_DIR/kafka"
CH_DIR="$STACK_DIR/clickhouse"
REDIS_DIR="$STACK_DIR/redis"

say() { printf '[stack] %s\n' "$*"; }
fail() {
  printf '[stack] ERROR: %s\n' "$*" >&2
  exit 1
}

# Print the last lines of the given log files to stderr (for failures).
show_logs() {
  local file
  for file in "$@"; do
    if [[ -s "$file" ]]; then
      printf -- '----- last lines of %s -----\n' "$file" >&2
      tail -n 40 "$file" >&2
    fi
  done
}

# --- probes -----------------------------------------------------------------------------------

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# Which process listens on a port (for "port taken" errors), when ss can tell.
who_listens() {
  command -v ss >/dev/null || return 0
  ss -Hltnp "sport = :$1" 2>/dev/null | sed 's/^/[stack]   listening: /' >&2 || true
}

redis_answers() {
  local reply
  reply="$( (
    exec 3<>"/dev/tcp/$HOST/$REDIS_PORT" || exit 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 3 line <&3 && printf '%s' "$line"
  ) 2>/dev/null)" || true
  [[ "$reply" == +PONG* ]]
}

clickhouse_answers() {
  local out
  out="$(curl -fsS --max-time 3 "http://$HOST:$CH_HTTP_PORT/?query=SELECT%201" 2>/dev/null)" || return 1
  [[ "$out" == "1" ]]
}

# Kafka answers when a metadata request succeeds (kafkajs admin). Without node_modules (before
# `npm ci`) fall back to "the log says started and the port accepts connections".
kafka_wait_ready() {
  local seconds="$1"
  if [[ -d "$ROOT/node_modules/kafkajs" && -x "$ROOT/node_modules/.bin/tsx" ]]; then
    "$ROOT/node_modules/.bin/tsx" "$ROOT/scripts/kafka/wait-ready.ts" "$HOST:$KAFKA_PORT" "$seconds"
  else
    local deadline=$((SECONDS + seconds))
    while ((SECONDS < deadline)); do
      if port_open "$KAFKA_PORT" && grep -q 'Kafka Server started' "$KAFKA_DIR/logs/server.log" 2>/dev/null; then
        return 0
      fi
      sleep 0.5
    done
    return 1
  fi
}

kafka_answers() { port_open "$KAFKA_PORT" && kafka_wait_ready 3 >/dev/null 2>&1; }

# --- pid files --------------------------------------------------------------------------------

# pid_alive FILE MARKER: the pid in FILE runs and its command line contains MARKER (guards
# against a recycled pid). Prints the pid.
pid_alive() {
  local file="$1" marker="$2" pid
  [[ -s "$file" ]] || return 1
  pid="$(cat "$file")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$marker" || return 1
  echo "$pid"
}

stop_pid_file() {
  local name="$1" file="$2" marker="$3" pid
  if ! pid="$(pid_alive "$file" "$marker")"; then
    rm -f "$file"
    say "$name: not running from $file (nothing to stop)"
    return 0
  fi
  say "$name: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 40))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.3; done
  if kill -0 "$pid" 2>/dev/null; then
    say "$name: still running after 40s, sending SIGKILL to $pid"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$file"
}

# Start a detached process (own session, so it outlives the calling shell and its Ctrl-C) and
# record its pid. The subshell execs the command, so $! is the service's own pid; the lock's fd 9
# is closed so a running service never holds the stack lock.
start_detached() {
  local pid_file="$1" out="$2"
  shift 2
  (
    exec 9>&-
    trap - INT TERM
    exec setsid "$@"
  ) </dev/null >>"$out" 2>&1 &
  echo $! >"$pid_file"
}

# --- installs ---------------------------------------------------------------------------------

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || fail "apt-get not found: install $* by hand"
  local sudo=''
  [[ "$(id -u)" == 0 ]] || sudo='sudo'
  if [[ "$APT_UPDATED" == 0 ]]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- Kafka ------------------------------------------------------------------------------------

KAFKA_PID="$KAFKA_DIR/kafka.pid"
KAFKA_MARKER="$KAFKA_DIR/server.properties"

kafka_fetch_libs() {
  local stamp="$KAFKA_DIR/libs/.pom.sha256" want
  want="$(sha256sum "$ROOT/scripts/kafka/pom.xml" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return 0; fi
  command -v mvn >/dev/null || fail "mvn not found: Maven is needed once to fetch the Kafka broker (apt-get install maven)"
  say "kafka: fetching broker jars from Maven Central into $KAFKA_DIR/libs"
  rm -rf "$KAFKA_DIR/libs"
  mkdir -p "$KAFKA_DIR/libs"
  if ! mvn -q -B -f "$ROOT/scripts/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_DIR/libs" >"$KAFKA_DIR/mvn.log" 2>&1; then
    show_logs "$KAFKA_DIR/mvn.log"
    fail "kafka: mvn dependency:copy-dependencies failed"
  fi
  echo "$want" >"$stamp"
}

kafka_write_config() {
  mkdir -p "$KAFKA_DIR/data" "$KAFKA_DIR/logs"
  cat >"$KAFKA_DIR/server.properties" <<EOF
# Generated by scripts/stack.sh: single-node KRaft broker+controller on loopback.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=4
default.replication.factor=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0
# Let tests use short consumer session timeouts (the broker default minimum is 6 s).
group.min.session.timeout.ms=1000
num.network.threads=2
num.io.threads=4
log.retention.hours=168
log.segment.bytes=134217728
EOF
  cat >"$KAFKA_DIR/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$KAFKA_DIR/logs/server.log
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.authorizer.logger=WARN
EOF
}

kafka_java_command() {
  KAFKA_JAVA=(java -Xms128m -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
    -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" -Dkafka.logs.dir="$KAFKA_DIR/logs"
    -cp "$KAFKA_DIR/libs/*")
}

kafka_up() {
  if pid="$(pid_alive "$KAFKA_PID" "$KAFKA_MARKER")"; then
    say "kafka: already running (pid $pid)"
    return 0
  fi
  if port_open "$KAFKA_PORT"; then
    if kafka_answers; then
      say "kafka: $HOST:$KAFKA_PORT already answers (not started by this script; left alone)"
      return 0
    fi
    who_listens "$KAFKA_PORT"
    fail "kafka: port $HOST:$KAFKA_PORT is taken by something that is not a Kafka broker (set STACK_KAFKA_PORT)"
  fi
  if port_open "$KAFKA_CONTROLLER_PORT"; then
    who_listens "$KAFKA_CONTROLLER_PORT"
    fail "kafka: controller port $HOST:$KAFKA_CONTROLLER_PORT is taken (set STACK_KAFKA_CONTROLLER_PORT)"
  fi
  command -v java >/dev/null || fail "kafka: java not found (Java 17 is needed: apt-get install openjdk-17-jre-headless)"
  kafka_fetch_libs
  kafka_write_config
  kafka_java_command
  if [[ ! -f "$KAFKA_DIR/data/meta.properties" ]]; then
    # A cluster id is a UUID in URL-safe base64. One that starts with '-' (1 in 64) reads as an
    # option to the storage tool and the format fails, so draw again (as Kafka's random-uuid does).
    local cluster_id="-"
    while [[ "$cluster_id" == -* ]]; do
      cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    done
    say "kafka: formatting KRaft storage (cluster id $cluster_id)"
    if ! "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DIR/server.properties" \
      >"$KAFKA_DIR/logs/format.log" 2>&1; then
      show_logs "$KAFKA_DIR/logs/format.log"
      fail "kafka: storage format failed"
    fi
  fi
  : >"$KAFKA_DIR/logs/stdout.log"
  start_detached "$KAFKA_PID" "$KAFKA_DIR/logs/stdout.log" "${KAFKA_JAVA[@]}" kafka.Kafka "$KAFKA_DIR/server.properties"
  say "kafka: started pid $(cat "$KAFKA_PID")"
}

kafka_wait() {
  # A broker that died at start (port race, bad config) should fail fast, not after the deadline.
  local deadline=$((SECONDS + WAIT_SECONDS))
  while ! port_open "$KAFKA_PORT"; do
    if [[ -s "$KAFKA_PID" ]] && ! pid_alive "$KAFKA_PID" "$KAFKA_MARKER" >/dev/null; then
      show_logs "$KAFKA_DIR/logs/stdout.log" "$KAFKA_DIR/logs/server.log"
      fail "kafka: the broker exited during start"
    fi
    if ((SECONDS >= deadline)); then
      show_logs "$KAFKA_DIR/logs/stdout.log" "$KAFKA_DIR/logs/server.log"
      fail "kafka: $HOST:$KAFKA_PORT did not open within ${WAIT_SECONDS}s"
    fi
    sleep 0.3
  done
  local left=$((deadline - SECONDS))
  ((left > 5)) || left=5
  if ! kafka_wait_ready "$left" >/dev/null; then
    show_logs "$KAFKA_DIR/logs/stdout.log" "$KAFKA_DIR/logs/server.log"
    fail "kafka: $HOST:$KAFKA_PORT does not answer metadata requests"
  fi
}

# --- ClickHouse -------------------------------------------------------------------------------

CH_PID="$CH_DIR/clickhouse.pid"
CH_MARKER="$CH_DIR/config.xml"

clickhouse_binary() {
  local candidate
  for candidate in "$(command -v clickhouse-server || true)" /usr/sbin/clickhouse-server /usr/bin/clickhouse-server; do
    if [[ -n "$candidate" && -x "$candidate" ]]; then
      echo "$candidate"
      return 0
    fi
  done
  for candidate in "$(command -v clickhouse || true)" /usr/bin/clickhouse; do
    if [[ -n "$candidate" && -x "$candidate" ]]; then
      echo "$candidate server"
      return 0
    fi
  done
  return 1
}

clickhouse_write_config() {
  mkdir -p "$CH_DIR/data" "$CH_DIR/tmp" "$CH_DIR/user_files" "$CH_DIR/format_schemas" "$CH_DIR/logs"
  cat >"$CH_DIR/config.xml" <<EOF
<?xml version="1.0"?>
<!-- Generated by scripts/stack.sh: ClickHouse on loopback with everything under $CH_DIR. -->
<yandex>
    <logger>
        <level>information</level>
        <log>$CH_DIR/logs/clickhouse-server.log</log>
        <errorlog>$CH_DIR/logs/clickhouse-server.err.log</errorlog>
        <size>50M</size>
        <count>2</count>
    </logger>
    <listen_host>$HOST</listen_host>
    <http_port>$CH_HTTP_PORT</http_port>
    <tcp_port>$CH_TCP_PORT</tcp_port>
    <max_connections>1024</max_connections>
    <keep_alive_timeout>10</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>$CH_DIR/data/</path>
    <tmp_path>$CH_DIR/tmp/</tmp_path>
    <user_files_path>$CH_DIR/user_files/</user_files_path>
    <format_schema_path>$CH_DIR/format_schemas/</format_schema_path>
    <users_config>$CH_DIR/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <!-- Bucket boundaries are UTC: make DateTime text and toYYYYMMDD() agree with that. -->
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
</yandex>
EOF
  cat >"$CH_DIR/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <use_uncompressed_cache>0</use_uncompressed_cache>
            <load_balancing>random</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
EOF
}

clickhouse_up() {
  if pid="$(pid_alive "$CH_PID" "$CH_MARKER")"; then
    say "clickhouse: already running (pid $pid)"
    return 0
  fi
  if port_open "$CH_HTTP_PORT"; then
    if clickhouse_answers; then
      say "clickhouse: $HOST:$CH_HTTP_PORT already answers (not started by this script; left alone)"
      return 0
    fi
    who_listens "$CH_HTTP_PORT"
    fail "clickhouse: port $HOST:$CH_HTTP_PORT is taken by something that is not ClickHouse (set STACK_CLICKHOUSE_HTTP_PORT)"
  fi
  if port_open "$CH_TCP_PORT"; then
    who_listens "$CH_TCP_PORT"
    fail "clickhouse: native port $HOST:$CH_TCP_PORT is taken (set STACK_CLICKHOUSE_TCP_PORT)"
  fi
  local bin
  if ! bin="$(clickhouse_binary)"; then
    apt_install clickhouse-server clickhouse-client
    bin="$(clickhouse_binary)" || fail "clickhouse: no clickhouse-server binary after apt-get install"
  fi
  clickhouse_write_config
  : >"$CH_DIR/logs/stdout.log"
  # shellcheck disable=SC2086 # $bin may be "clickhouse server"
  start_detached "$CH_PID" "$CH_DIR/logs/stdout.log" $bin --config-file="$CH_DIR/config.xml"
  say "clickhouse: started pid $(cat "$CH_PID")"
}

clickhouse_wait() {
  local deadline=$((SECONDS + WAIT_SECONDS))
  until clickhouse_answers; do
    if [[ -s "$CH_PID" ]] && ! pid_alive "$CH_PID" "$CH_MARKER" >/dev/null; then
      show_logs "$CH_DIR/logs/stdout.log" "$CH_DIR/logs/clickhouse-server.err.log"
      fail "clickhouse: the server exited during start"
    fi
    if ((SECONDS >= deadline)); then
      show_logs "$CH_DIR/logs/stdout.log" "$CH_DIR/logs/clickhouse-server.err.log" "$CH_DIR/logs/clickhouse-server.log"
      fail "clickhouse: http://$HOST:$CH_HTTP_PORT did not answer SELECT 1 within ${WAIT_SECONDS}s"
    fi
    sleep 0.3
  done
}

# --- Redis ------------------------------------------------------------------------------------

REDIS_PID="$REDIS_DIR/redis.pid"
REDIS_MARKER="redis-server"

redis_up() {
  if pid="$(pid_alive "$REDIS_PID" "$REDIS_MARKER")"; then
    say "redis: already running (pid $pid)"
    return 0
  fi
  if redis_answers; then
    say "redis: $HOST:$REDIS_PORT already answers PING (not started by this script; left alone)"
    return 0
  fi
  if port_open "$REDIS_PORT"; then
    who_listens "$REDIS_PORT"
    fail "redis: port $HOST:$REDIS_PORT is taken by something that does not answer PING (set STACK_REDIS_PORT)"
  fi
  if ! command -v redis-server >/dev/null; then
    apt_install redis-server
    # The package may have started its own service (where policy-rc.d allows it): use that one.
    sleep 1
    if redis_answers; then
      say "redis: the packaged service answers on $HOST:$REDIS_PORT (not started by this script)"
      return 0
    fi
  fi
  mkdir -p "$REDIS_DIR"
  : >"$REDIS_DIR/redis.log"
  # Redis writes its pid file itself too; ours (from $!) is the same pid since it does not daemonize.
  start_detached "$REDIS_PID" "$REDIS_DIR/redis.log" \
    redis-server --bind "$HOST" --port "$REDIS_PORT" --save '' --appendonly "$REDIS_APPENDONLY" --daemonize no \
    --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis-server.pid"
  say "redis: started pid $(cat "$REDIS_PID")"
}

redis_wait() {
  local deadline=$((SECONDS + 30))
  until redis_answers; do
    if [[ -s "$REDIS_PID" ]] && ! pid_alive "$REDIS_PID" "$REDIS_MARKER" >/dev/null; then
      show_logs "$REDIS_DIR/redis.log"
      fail "redis: the server exited during start"
    fi
    if ((SECONDS >= deadline)); then
      show_logs "$REDIS_DIR/redis.log"
      fail "redis: $HOST:$REDIS_PORT did not answer PING within 30s"
    fi
    sleep 0.2
  done
}

# --- commands ---------------------------------------------------------------------------------

write_env() {
  cat >"$STACK_DIR/env.tmp" <<EOF
KAFKA_BROKERS=$HOST:$KAFKA_PORT
REDIS_URL=redis://$HOST:$REDIS_PORT
CLICKHOUSE_URL=http://$HOST:$CH_HTTP_PORT
EOF
  mv "$STACK_DIR/env.tmp" "$STACK_DIR/env"
}

# Only one `up` or `down` at a time (tests started in parallel may all call `up`).
lock() {
  exec 9>"$STACK_DIR/.lock"
  if command -v flock >/dev/null; then flock -w 600 9 || fail "another stack.sh holds $STACK_DIR/.lock"; fi
}

cmd_up() {
  lock
  local started=$SECONDS
  command -v curl >/dev/null || apt_install curl ca-certificates
  # Start all three first (Kafka's JVM is the slowest), then wait for each.
  kafka_up
  clickhouse_up
  redis_up
  redis_wait
  clickhouse_wait
  kafka_wait
  write_env
  say "ready in $((SECONDS - started))s:"
  say "  kafka       $HOST:$KAFKA_PORT (controller $HOST:$KAFKA_CONTROLLER_PORT)"
  say "  clickhouse  http://$HOST:$CH_HTTP_PORT (native $HOST:$CH_TCP_PORT, user default, no password)"
  say "  redis       redis://$HOST:$REDIS_PORT"
  say "  settings in $STACK_DIR/env"
}

cmd_down() {
  lock
  stop_pid_file kafka "$KAFKA_PID" "$KAFKA_MARKER"
  stop_pid_file clickhouse "$CH_PID" "$CH_MARKER"
  stop_pid_file redis "$REDIS_PID" "$REDIS_MARKER"
  rm -f "$STACK_DIR/env"
}

cmd_start() {
  lock
  case "${1:-}" in
    kafka)
      kafka_up
      kafka_wait
      ;;
    clickhouse)
      command -v curl >/dev/null || apt_install curl ca-certificates
      clickhouse_up
      clickhouse_wait
      ;;
    redis)
      redis_up
      redis_wait
      ;;
    *) fail "start: unknown service '${1:-}' (kafka, clickhouse or redis)" ;;
  esac
}

cmd_stop() {
  lock
  case "${1:-}" in
    kafka) stop_pid_file kafka "$KAFKA_PID" "$KAFKA_MARKER" ;;
    clickhouse) stop_pid_file clickhouse "$CH_PID" "$CH_MARKER" ;;
    redis) stop_pid_file redis "$REDIS_PID" "$REDIS_MARKER" ;;
    *) fail "stop: unknown service '${1:-}' (kafka, clickhouse or redis)" ;;
  esac
}

status_line() {
  local name="$1" where="$2" answers="$3" pid_file="$4" marker="$5" pid owner
  if pid="$(pid_alive "$pid_file" "$marker")"; then owner="started by stack.sh, pid $pid"; else owner="not ours"; fi
  if [[ "$answers" == yes ]]; then
    printf '%-11s %-28s up    (%s)\n' "$name" "$where" "$owner"
  else
    printf '%-11s %-28s DOWN  (%s)\n' "$name" "$where" "$owner"
  fi
}

cmd_status() {
  local k=no c=no r=no
  kafka_answers && k=yes
  clickhouse_answers && c=yes
  redis_answers && r=yes
  status_line kafka "$HOST:$KAFKA_PORT" "$k" "$KAFKA_PID" "$KAFKA_MARKER"
  status_line clickhouse "http://$HOST:$CH_HTTP_PORT" "$c" "$CH_PID" "$CH_MARKER"
  status_line redis "redis://$HOST:$REDIS_PORT" "$r" "$REDIS_PID" "$REDIS_MARKER"
  [[ "$k$c$r" == yesyesyes ]]
}

cmd_logs() {
  local which="${1:-all}" follow="${2:-}"
  if [[ "$which" == -f ]]; then
    which=all
    follow=-f
  fi
  local files=()
  case "$which" in
    kafka) files=("$KAFKA_DIR/logs/server.log") ;;
    clickhouse) files=("$CH_DIR/logs/clickhouse-server.log") ;;
    redis) files=("$REDIS_DIR/redis.log") ;;
    all) files=("$KAFKA_DIR/logs/server.log" "$CH_DIR/logs/clickhouse-server.log" "$REDIS_DIR/redis.log") ;;
    *) fail "logs: unknown service '$which' (kafka, clickhouse or redis)" ;;
  esac
  local existing=()
  for f in "${files[@]}"; do [[ -f "$f" ]] && existing+=("$f"); done
  ((${#existing[@]})) || fail "no logs yet under $STACK_DIR"
  if [[ "$follow" == -f ]]; then
    exec tail -n 50 -F "${existing[@]}"
  fi
  tail -n 50 "${existing[@]}"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  logs)
    shift
    cmd_logs "$@"
    ;;
  start | stop)
    command="cmd_$1"
    shift
    "$command" "$@"
    ;;
  *)
    echo "usage: $0 up|down|status|logs [kafka|clickhouse|redis] [-f]|start|stop kafka|clickhouse|redis" >&2
    exit 2
    ;;
esac
