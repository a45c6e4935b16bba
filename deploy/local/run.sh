#!/usr/bin/env bash
# `make run`: the whole pipeline on this machine. Starts the local broker unless
# KAFKA_BOOTSTRAP_SERVERS is set, creates the topics, runs the ingress and one processor,
# and stops everything on Ctrl-C. `make run GEOTAB=demo` also runs a local MyGeotab server
# with a live demo fleet and `fleetwire poll` for a pull source pointing at it.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
  deploy/kafka/broker.sh start
  KAFKA_BOOTSTRAP_SERVERS="$(deploy/kafka/broker.sh bootstrap)"
  export KAFKA_BOOTSTRAP_SERVERS
fi
export FLEETWIRE_SOURCES="${FLEETWIRE_SOURCES:-deploy/local/sources.toml}"
geotab_port="${GEOTAB_PORT:-8110}"
if [ "${GEOTAB:-}" = "demo" ]; then
  # The webhook sources plus one pull source; the ingress skips the pull source.
  sources="$(mktemp -t fleetwire-sources.XXXXXX.toml)"
  cat "$FLEETWIRE_SOURCES" - > "$sources" <<TOML

[[sources]]
name = "geotab-demo"
provider = "geotab"
server = "http://127.0.0.1:${geotab_port}"
database = "demo"
username = "demo@example.com"
password = "demo-password"
TOML
  export FLEETWIRE_SOURCES="$sources"
  export FLEETWIRE_POLL_INTERVAL="${FLEETWIRE_POLL_INTERVAL:-5}"
fi
.venv/bin/fleetwire topics

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "stopping ingress and processor${GEOTAB:+, poller and MyGeotab server}..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
  echo "stopped (the broker keeps running: make kafka-stop stops it)"
}
trap stop_all INT TERM EXIT

if [ "${GEOTAB:-}" = "demo" ]; then
  .venv/bin/python -m localgeotab --port "$geotab_port" --devices 5 --per-second 2 & pids+=($!)
fi
.venv/bin/fleetwire ingress & pids+=($!)
.venv/bin/fleetwire process & pids+=($!)
if [ "${GEOTAB:-}" = "demo" ]; then
  .venv/bin/fleetwire poll & pids+=($!)
fi

port="${FLEETWIRE_HTTP_PORT:-8080}"
cat <<MSG

fleetwire is running:
  webhooks   http://127.0.0.1:${port}/webhooks/{source}   (sources: ${FLEETWIRE_SOURCES})
  ingress    http://127.0.0.1:${FLEETWIRE_ADMIN_PORT:-9108}/metrics  /healthz  /readyz
  processor  http://127.0.0.1:${FLEETWIRE_ADMIN_PORT:-9109}/metrics  /healthz  /readyz
MSG
if [ "${GEOTAB:-}" = "demo" ]; then
  cat <<MSG
  poller     http://127.0.0.1:${FLEETWIRE_ADMIN_PORT:-9110}/metrics  /healthz  /readyz
  MyGeotab   http://127.0.0.1:${geotab_port}/apiv1 (local demo fleet; source geotab-demo)
MSG
fi
cat <<MSG
  kafka      ${KAFKA_BOOTSTRAP_SERVERS}   topics prefixed '${FLEETWIRE_TOPIC_PREFIX:-fleetwire}.'
try:       .venv/bin/fleetwire send zubie tests/samples/zubie/trip_end.json
watch:     .venv/bin/fleetwire tail
Ctrl-C stops them all.

MSG
wait -n "${pids[@]}" || true
