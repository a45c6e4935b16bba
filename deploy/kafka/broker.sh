#!/usr/bin/env bash
# The local Kafka cluster for fleetwire development and tests: a thin wrapper around the
# `localkafka` package (standard library only) at the project root.
#
# Usage: deploy/kafka/broker.sh {fetch|start|stop|restart|status|describe|tool NAME|CLASS [ARGS...]|versions|help}
# Settings come from the environment: `deploy/kafka/broker.sh help`, deploy/kafka/README.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# The same interpreter lookup as make's (a pyenv shim of an unselected version fails when
# run); the virtualenv's Python when none is found.
if ! python="$(deploy/local/python.sh "${PYTHON:-python3}" 2>/dev/null)"; then
  python=.venv/bin/python
fi
exec "$python" -m localkafka "$@"
