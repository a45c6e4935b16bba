#!/usr/bin/env bash
# `make venv`: the virtualenv $VENV (default .venv) holding exactly the set locked in
# uv.lock, for the interpreter $PYTHON. Idempotent and quick when nothing changed: uv
# compares the environment with the lock and installs, removes or recreates only what
# differs (another Python version recreates it).
#
#   deploy/local/venv.sh            the locked set (what make run, make test, the image use)
#   deploy/local/venv.sh --latest   the newest releases the pyproject.toml ranges allow,
#                                   ignoring the lock (make test-latest), in .venv-latest
set -euo pipefail
cd "$(dirname "$0")/../.."
python="$(deploy/local/python.sh "${PYTHON:-python3}")"
uv="$(deploy/local/uv.sh)"

if [ "${1:-}" = "--latest" ]; then
  venv="${VENV:-.venv-latest}"
  echo "setting up $venv with the newest releases for $("$python" -V)..."
  "$uv" venv --quiet --allow-existing --python "$python" "$venv"
  "$uv" pip install --quiet --python "$venv/bin/python" --upgrade -e '.[dev]'
  "$uv" pip list --python "$venv/bin/python" --format freeze > "$venv/versions.txt"
  exit 0
fi

venv="${VENV:-.venv}"
# --locked: a pyproject.toml changed without `make upgrade` is an error, not a silent
# re-resolution that would install versions nobody tested.
UV_PROJECT_ENVIRONMENT="$venv" "$uv" sync --quiet --locked --extra dev --python "$python"
