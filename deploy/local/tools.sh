#!/usr/bin/env bash
# `make tools`: the system tools the test suite needs beyond Python: promtool and
# prometheus, from Debian's `prometheus` package. Does nothing when both are on PATH.
# When they cannot be installed it says so and carries on: the tests that need them then
# fail with a message naming what is missing, while the rest of the suite still runs.
set -euo pipefail

missing() {
  ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1
}

if ! missing; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "tools: promtool/prometheus not found and apt-get is not available;" \
       "install Prometheus 2.x (promtool and prometheus on PATH) to run the monitoring tests" >&2
  exit 0
fi

as_root=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "tools: promtool/prometheus not found; run 'sudo apt-get install prometheus'" \
         "(needs root) to run the monitoring tests" >&2
    exit 0
  fi
fi

echo "tools: installing Debian's prometheus package (promtool, prometheus)..."
export DEBIAN_FRONTEND=noninteractive
# The package would start a system Prometheus where services may start; the tests start
# their own on a free port, so that one is stopped and disabled again right away.
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends prometheus >/dev/null
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  "${as_root[@]}" systemctl disable --now prometheus.service >/dev/null 2>&1 || true
fi
if missing; then
  echo "tools: the prometheus package is installed but promtool or prometheus is not on PATH" >&2
fi
