#!/usr/bin/env bash
# Local single-node Apache Kafka broker (KRaft, combined broker+controller)
# for fleetwire development and tests. No Docker: the broker jars come from
# Maven Central via deploy/kafka/pom.xml and run on the local JVM.
#
# Usage: deploy/kafka/broker.sh {fetch|start|stop|restart|status|tool CLASS [ARGS...]}
#
# Environment (defaults in brackets):
#   KAFKA_PORT             client (PLAINTEXT) port                      [9092]
#   KAFKA_CONTROLLER_PORT  KRaft controller port                        [9093]
#   KAFKA_STATE_DIR        data/, server.properties, broker.log, broker.pid
#                                                     [<project root>/.kafka/broker]
#   KAFKA_LIBS_DIR         broker jars                [<project root>/.kafka/libs]
#   KAFKA_HEAP_OPTS        JVM heap options                     [-Xms512m -Xmx1g]
#   KAFKA_START_TIMEOUT    seconds to wait for the broker to answer          [90]
#   KAFKA_STOP_TIMEOUT     seconds to wait after SIGTERM before SIGKILL      [30]
#   KAFKA_JVM_PERFORMANCE_OPTS  GC/JIT flags  [G1, 20 ms pause goal, C1-only JIT]
#   KAFKA_CDS              1: reuse a class-data-sharing archive of the broker's
#                          classes (created on the first clean stop) to cut
#                          start time by ~40%; 0: off                        [1]
#   JAVA_HOME / JAVA       java to use                         [java on PATH]
set -euo pipefail

readonly KAFKA_VERSION="3.9.1"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
STATE_DIR="${KAFKA_STATE_DIR:-$PROJECT_ROOT/.kafka/broker}"
LIBS_DIR="${KAFKA_LIBS_DIR:-$PROJECT_ROOT/.kafka/libs}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms512m -Xmx1g}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
CDS="${KAFKA_CDS:-1}"
HOST="127.0.0.1"

if [[ -n "${JAVA:-}" ]]; then
  :
elif [[ -n "${JAVA_HOME:-}" && -x "${JAVA_HOME}/bin/java" ]]; then
  JAVA="${JAVA_HOME}/bin/java"
else
  JAVA="java"
fi

# JVM flags. G1 with a short pause target as in Kafka's own kafka-run-class.sh;
# C1-only JIT (TieredStopAtLevel=1) cuts broker start time on a 2-core machine
# and is plenty for a local dev/test broker.
# KAFKA_JVM_PERFORMANCE_OPTS (same name as in Kafka's scripts) replaces them.
if [[ -n "${KAFKA_JVM_PERFORMANCE_OPTS:-}" ]]; then
  read -r -a JVM_OPTS <<<"$KAFKA_JVM_PERFORMANCE_OPTS"
else
  JVM_OPTS=(
    -XX:+UseG1GC
    -XX:MaxGCPauseMillis=20
    -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExplicitGCInvokesConcurrent
    -XX:TieredStopAtLevel=1
    -Djava.awt.headless=true
  )
fi
JVM_OPTS+=(-XX:+ExitOnOutOfMemoryError)

POM="$SCRIPT_DIR/pom.xml"
LOG4J_CONFIG="$SCRIPT_DIR/log4j.properties"
TOOLS_LOG4J_CONFIG="$SCRIPT_DIR/tools-log4j.properties"
STAMP_FILE="$LIBS_DIR/.fleetwire-kafka.stamp"
DATA_DIR="$STATE_DIR/data"
CONFIG_FILE="$STATE_DIR/server.properties"
LOG_FILE="$STATE_DIR/broker.log"
PID_FILE="$STATE_DIR/broker.pid"
LOCK_FILE="$STATE_DIR/broker.lock"
CDS_DUMP_FILE="$STATE_DIR/cds-dump.jsa"
STARTED_PATTERN="Kafka Server started"

log() { printf '%s\n' "$*"; }
err() { printf '%s\n' "$*" >&2; }
die() { err "broker.sh: $*"; exit 1; }

now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
elapsed_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Take an exclusive lock on $1 for the rest of this script (fd 9).
# Child processes must close fd 9 (9>&-) or they would hold the lock.
lock() {
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$1"
    flock 9
  fi
}

# ---------------------------------------------------------------- fetch

stamp_content() {
  local pom_sum
  pom_sum="$(sha256sum "$POM" | cut -d' ' -f1)"
  printf 'kafka %s pom-sha256 %s\n' "$KAFKA_VERSION" "$pom_sum"
}

libs_ready() {
  [[ -f "$STAMP_FILE" ]] && [[ "$(cat "$STAMP_FILE")" == "$(stamp_content)" ]]
}

cmd_fetch() {
  libs_ready && return 0
  mkdir -p "$(dirname "$LIBS_DIR")"
  lock "$LIBS_DIR.lock"
  libs_ready && return 0   # another process fetched while we waited
  command -v mvn >/dev/null 2>&1 || die "mvn (Maven) is required to fetch Kafka jars"
  log "fetching Apache Kafka $KAFKA_VERSION from Maven Central..."
  local tmp="$LIBS_DIR.tmp.$$"
  rm -rf "$tmp"
  # Maven's output is shown only on failure (even -q -B prints ANSI resets).
  local mvn_out
  if ! mvn_out="$(mvn -B -q -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" 2>&1 9>&-)"; then
    err "$mvn_out"
    rm -rf "$tmp"
    die "fetching Kafka jars with Maven failed"
  fi
  ls "$tmp"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null 2>&1 \
    || { rm -rf "$tmp"; die "Maven did not produce kafka_2.13-$KAFKA_VERSION.jar"; }
  # Same jars as already there (e.g. only a comment in pom.xml changed): keep
  # the dir, and the CDS archive in it, and just renew the stamp.
  if [[ -d "$LIBS_DIR" ]] && diff -rq -x "$(basename "$STAMP_FILE")" -x cds \
      "$tmp" "$LIBS_DIR" >/dev/null 2>&1; then
    rm -rf "$tmp"
    stamp_content >"$STAMP_FILE"
    return 0
  fi
  # A running JVM opens its classpath jars lazily: replacing them under a
  # running broker could break it later with NoClassDefFoundError.
  local users
  users="$(libs_users)"
  if [[ -n "$users" ]]; then
    rm -rf "$tmp"
    die "the Kafka jars changed, but brokers using $LIBS_DIR are running (pids:$users); stop them first"
  fi
  stamp_content >"$tmp/$(basename "$STAMP_FILE")"
  rm -rf "$LIBS_DIR"
  mv "$tmp" "$LIBS_DIR"
}

# PIDs of running Kafka JVMs whose classpath is $LIBS_DIR (any state dir).
libs_users() {
  local f pid cmdline
  for f in /proc/[0-9]*/cmdline; do
    cmdline="$(tr '\0' ' ' 2>/dev/null <"$f")" || continue
    [[ "$cmdline" == *"-cp $LIBS_DIR/* kafka.Kafka "* ]] || continue
    pid="${f#/proc/}"
    printf ' %s' "${pid%/cmdline}"
  done
}

# ---------------------------------------------------------------- process helpers

# PID of the broker owned by this state dir, if it is alive (and really ours:
# guards against stale pid files and pid reuse).
broker_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(tr -dc '0-9' <"$PID_FILE")"
  [[ -n "$pid" ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  local cmdline
  cmdline="$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" || return 1
  [[ "$cmdline" == *"kafka.Kafka $CONFIG_FILE"* ]] || return 1
  printf '%s' "$pid"
}

port_open() {
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# Client port the running broker of this state dir was configured with.
configured_port() {
  sed -n "s#^listeners=PLAINTEXT://$HOST:\([0-9]*\),.*#\1#p" "$CONFIG_FILE" 2>/dev/null
}

log_has_started() {
  [[ -f "$LOG_FILE" ]] && grep -q "$STARTED_PATTERN" "$LOG_FILE"
}

broker_answering() {
  local port="$1"
  log_has_started && port_open "$port"
}

print_log_tail() {
  if [[ -f "$LOG_FILE" ]]; then
    err "---- last 40 lines of $LOG_FILE ----"
    tail -n 40 "$LOG_FILE" >&2 || true
    err "---- end of log ----"
    local cause
    cause="$(grep -E '^Caused by: |\] (ERROR|FATAL) ' "$LOG_FILE" | tail -n 1 | cut -c1-300 || true)"
    if [[ -n "$cause" ]]; then err "likely cause: $cause"; fi
  else
    err "(no log file at $LOG_FILE)"
  fi
}

# SIGTERM, wait up to STOP_TIMEOUT seconds, then SIGKILL. Returns 1 if it had
# to SIGKILL.
terminate() {
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$(( EPOCHSECONDS + STOP_TIMEOUT ))
  while kill -0 "$pid" 2>/dev/null; do
    if (( EPOCHSECONDS >= deadline )); then
      err "kafka (pid $pid) did not stop within ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
      return 1
    fi
    sleep 0.1
  done
  return 0
}

# ---------------------------------------------------------------- class data sharing
# A dynamic AppCDS archive (JDK 13+) of the classes the broker loads. The first
# broker run dumps one at exit (-XX:ArchiveClassesAtExit, into its state dir);
# a clean `stop` promotes it into the libs dir, shared by every state dir.
# It lives in the libs dir, so a re-fetch drops it, and its name depends on
# the java binary. The JVM validates it and silently runs without it if it
# does not match (-Xshare:auto), so a stale archive only costs the speed-up.

cds_archive() {
  local java_path key
  java_path="$(readlink -f "$(command -v "$JAVA")" 2>/dev/null || printf '%s' "$JAVA")"
  key="$(printf '%s' "$java_path" | cksum | cut -d' ' -f1)"
  printf '%s/cds/kafka-%s-%s.jsa' "$LIBS_DIR" "$KAFKA_VERSION" "$key"
}

# JVM flags for class data sharing on this start (none when disabled).
cds_flags() {
  [[ "$CDS" == "1" ]] || return 0
  local archive
  archive="$(cds_archive)"
  rm -f "$CDS_DUMP_FILE"
  if [[ -s "$archive" ]]; then
    printf '%s\n' "-XX:SharedArchiveFile=$archive"
  else
    # -Xlog:cds=off: the dump warns about every pre-Java-6 class it skips.
    printf '%s\n' "-XX:ArchiveClassesAtExit=$CDS_DUMP_FILE" "-Xlog:cds=off"
  fi
}

# After a clean exit, move a freshly dumped archive into the libs dir.
promote_cds_dump() {
  [[ -s "$CDS_DUMP_FILE" ]] || return 0
  local archive
  archive="$(cds_archive)"
  if [[ ! -s "$archive" ]] && mkdir -p "$(dirname "$archive")" \
      && cp "$CDS_DUMP_FILE" "$archive.tmp.$$"; then
    mv -f "$archive.tmp.$$" "$archive" || rm -f "$archive.tmp.$$"
  fi
  rm -f "$CDS_DUMP_FILE"
}

# ---------------------------------------------------------------- start

new_cluster_id() {
  # Same shape as kafka.tools.StorageTool random-uuid (16 random bytes,
  # URL-safe base64 without padding, never starting with '-'), without
  # paying for an extra JVM start.
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" != -* && ${#id} -eq 22 ]] && break
  done
  printf '%s' "$id"
}

write_config() {
  cat >"$CONFIG_FILE.tmp" <<EOF
# Generated by deploy/kafka/broker.sh on every start; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA_DIR

# Single node: everything replicated once. Topics are created by the app.
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
transaction.max.timeout.ms=900000
group.initial.rebalance.delay.ms=0

# The default 128 MiB dedupe buffer does not fit comfortably in a small heap.
log.cleaner.dedupe.buffer.size=8388608
EOF
  mv "$CONFIG_FILE.tmp" "$CONFIG_FILE"
}

format_storage() {
  [[ -f "$DATA_DIR/meta.properties" ]] && return 0
  local cluster_id out
  cluster_id="$(new_cluster_id)"
  if ! out="$("$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 \
      -Dlog4j.configuration="file:$TOOLS_LOG4J_CONFIG" \
      -cp "$LIBS_DIR/*" kafka.tools.StorageTool format \
      -t "$cluster_id" -c "$CONFIG_FILE" 2>&1 9>&-)"; then
    err "$out"
    die "formatting KRaft storage in $DATA_DIR failed"
  fi
}

wait_until_ready() {
  local pid="$1"
  local deadline=$(( EPOCHSECONDS + START_TIMEOUT ))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      err "kafka exited during startup (state dir $STATE_DIR)"
      print_log_tail
      rm -f "$PID_FILE"
      return 1
    fi
    if broker_answering "$PORT"; then
      return 0
    fi
    if (( EPOCHSECONDS >= deadline )); then
      err "kafka did not answer on $HOST:$PORT within ${START_TIMEOUT}s; stopping it (pid $pid)"
      print_log_tail
      terminate "$pid" || true
      rm -f "$PID_FILE" "$CDS_DUMP_FILE"
      return 1
    fi
    sleep 0.1
  done
}

cmd_start() {
  local t0
  t0="$(now)"
  cmd_fetch
  mkdir -p "$STATE_DIR"
  lock "$LOCK_FILE"

  local pid
  if pid="$(broker_pid)"; then
    local running_port
    running_port="$(configured_port)"
    if [[ -n "$running_port" && "$running_port" != "$PORT" ]]; then
      die "kafka from $STATE_DIR already running on $HOST:$running_port (pid $pid), not on KAFKA_PORT=$PORT; stop it first"
    fi
    if broker_answering "$PORT"; then
      log "kafka already running on $HOST:$PORT"
      return 0
    fi
    # Running but not answering yet (e.g. started a moment ago): wait for it.
    wait_until_ready "$pid" || exit 1
    log "kafka $KAFKA_VERSION ready on $HOST:$PORT (started in $(elapsed_since "$t0")s)"
    return 0
  fi
  rm -f "$PID_FILE"

  command -v "$JAVA" >/dev/null 2>&1 || die "java not found (install a JDK 17+ or set JAVA_HOME)"
  mkdir -p "$DATA_DIR"
  write_config
  format_storage

  # Keep the previous run's log for post-mortems; the new log must not contain
  # an old "Kafka Server started" line.
  [[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.prev"

  local -a cds_opts=()
  mapfile -t cds_opts < <(cds_flags)

  # The inner bash writes its own pid (= the java pid after exec) to the pid file.
  # shellcheck disable=SC2086,SC2016  # HEAP_OPTS is a list of JVM flags
  nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
    "$JAVA" $HEAP_OPTS "${JVM_OPTS[@]}" "${cds_opts[@]}" \
    -Dlog4j.configuration="file:$LOG4J_CONFIG" \
    -cp "$LIBS_DIR/*" kafka.Kafka "$CONFIG_FILE" \
    </dev/null >"$LOG_FILE" 2>&1 9>&- &
  local launcher=$!

  # The pid file is written by the launched process itself (same pid as java).
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -s "$PID_FILE" ]] && break
    sleep 0.02
  done
  pid="$(tr -dc '0-9' <"$PID_FILE" 2>/dev/null || true)"
  [[ -n "$pid" ]] || pid="$launcher"

  wait_until_ready "$pid" || exit 1
  log "kafka $KAFKA_VERSION ready on $HOST:$PORT (started in $(elapsed_since "$t0")s)"
}

# ---------------------------------------------------------------- stop / status

cmd_stop() {
  if [[ ! -d "$STATE_DIR" ]]; then
    log "kafka not running"
    return 0
  fi
  lock "$LOCK_FILE"
  local pid
  if ! pid="$(broker_pid)"; then
    rm -f "$PID_FILE"
    log "kafka not running"
    return 0
  fi
  local t0
  t0="$(now)"
  local clean=1
  terminate "$pid" || clean=0
  rm -f "$PID_FILE"
  if (( clean )); then
    promote_cds_dump
  else
    rm -f "$CDS_DUMP_FILE"   # possibly half written
  fi
  log "kafka stopped (pid $pid, ${HOST}:$(configured_port || echo "$PORT"), in $(elapsed_since "$t0")s)"
}

cmd_status() {
  local pid port
  if pid="$(broker_pid)"; then
    port="$(configured_port)"
    port="${port:-$PORT}"
    if broker_answering "$port"; then
      log "kafka $KAFKA_VERSION running on $HOST:$port (pid $pid, state dir $STATE_DIR)"
      return 0
    fi
    log "kafka process $pid is up but not answering on $HOST:$port yet"
    return 1
  fi
  log "kafka not running (state dir $STATE_DIR)"
  return 1
}

# Run a Kafka CLI class with the broker's jars, e.g.
#   broker.sh tool org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --list
cmd_tool() {
  [[ $# -ge 1 ]] || die "usage: broker.sh tool MAIN_CLASS [ARGS...]"
  cmd_fetch >&2
  exec "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$TOOLS_LOG4J_CONFIG" \
    -cp "$LIBS_DIR/*" "$@" 9>&-
}

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    fetch) cmd_fetch ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) (cmd_stop) && cmd_start ;;
    status) cmd_status ;;
    tool) cmd_tool "$@" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
