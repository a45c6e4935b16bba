#!/usr/bin/env bash
# `make test`: start the local broker unless KAFKA_BOOTSTRAP_SERVERS points elsewhere,
# run the suite, and stop the broker again if this script started it.
set -euo pipefail
cd "$(dirname "$0")/../.."
started_here=0
if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
  if ! deploy/kafka/broker.sh status >/dev/null 2>&1; then
    started_here=1
  fi
  deploy/kafka/broker.sh start
  KAFKA_BOOTSTRAP_SERVERS="$(deploy/kafka/broker.sh bootstrap)"
  export KAFKA_BOOTSTRAP_SERVERS
fi
stop_broker() {
  if [ "$started_here" = 1 ]; then deploy/kafka/broker.sh stop; fi
}
trap stop_broker EXIT
"${VENV:-.venv}/bin/python" -m pytest "$@"
