#!/usr/bin/env bash
# `make run`: the whole pipeline on this machine. Starts the local broker unless
# KAFKA_BOOTSTRAP_SERVERS is set, creates the topics, runs the ingress and one processor,
# and stops everything on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
  deploy/kafka/broker.sh start
  KAFKA_BOOTSTRAP_SERVERS="$(deploy/kafka/broker.sh bootstrap)"
  export KAFKA_BOOTSTRAP_SERVERS
fi
export FLEETWIRE_SOURCES="${FLEETWIRE_SOURCES:-deploy/local/sources.toml}"
.venv/bin/fleetwire topics

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "stopping ingress and processor..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
  echo "stopped (the broker keeps running: make kafka-stop stops it)"
}
trap stop_all INT TERM EXIT

.venv/bin/fleetwire ingress & pids+=($!)
.venv/bin/fleetwire process & pids+=($!)

port="${FLEETWIRE_HTTP_PORT:-8080}"
cat <<MSG

fleetwire is running:
  webhooks   http://127.0.0.1:${port}/webhooks/{source}   (sources: ${FLEETWIRE_SOURCES})
  ingress    http://127.0.0.1:${FLEETWIRE_ADMIN_PORT:-9108}/metrics  /healthz  /readyz
  processor  http://127.0.0.1:${FLEETWIRE_ADMIN_PORT:-9109}/metrics  /healthz  /readyz
  kafka      ${KAFKA_BOOTSTRAP_SERVERS}   topics prefixed '${FLEETWIRE_TOPIC_PREFIX:-fleetwire}.'
try:       .venv/bin/fleetwire send zubie tests/samples/zubie/trip_end.json
watch:     .venv/bin/fleetwire tail
Ctrl-C stops the ingress and the processor.

MSG
wait -n "${pids[@]}" || true
