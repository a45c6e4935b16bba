#!/usr/bin/env bash
# The local Kafka cluster for fleetwire development and tests: a thin wrapper around the
# `localkafka` package (standard library only) at the project root.
#
# Usage: deploy/kafka/broker.sh {fetch|start|stop|restart|status|describe|bootstrap|tool NAME|CLASS [ARGS...]|versions|help}
# Settings come from the environment: `deploy/kafka/broker.sh help`, deploy/kafka/README.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
  python=.venv/bin/python
fi
exec "$python" -m localkafka "$@"
