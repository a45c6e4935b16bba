#!/usr/bin/env bash
# Print the path of uv, the installer of the locked set, installing the version pinned by
# hash in requirements/uv.txt into .tools/uv first when it is missing or another version.
set -euo pipefail
cd "$(dirname "$0")/../.."
want="$(sed -n 's/^uv==\([0-9.]*\).*/\1/p' requirements/uv.txt)"
uv=".tools/uv/bin/uv"
if [ -x "$uv" ] && [ "$("$uv" --version | cut -d' ' -f2)" = "$want" ]; then
  printf '%s\n' "$PWD/$uv"
  exit 0
fi
python="$(deploy/local/python.sh "${PYTHON:-python3}")"
echo "installing uv $want into .tools/uv..." >&2
rm -rf .tools/uv
if ! PIP_ROOT_USER_ACTION=ignore "$python" -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
    --require-hashes --target .tools/uv -r requirements/uv.txt >&2; then
  echo "uv.sh: installing uv $want with pip failed (see above)" >&2
  exit 1
fi
printf '%s\n' "$PWD/$uv"
