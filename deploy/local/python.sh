#!/usr/bin/env bash
# Print the path of a working Python interpreter named $1 (python3, python3.13, a path).
# A pyenv shim for a version that is installed but not selected fails when run, so such
# a name is looked up among pyenv's installed versions as well.
set -euo pipefail
name="${1:-python3}"
works() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }

if works "$name"; then
  "$name" -c 'import sys; print(sys.executable)'
  exit 0
fi
if command -v pyenv >/dev/null 2>&1; then
  root="$(pyenv root)"
  while read -r version; do
    candidate="$root/versions/$version/bin/$name"
    if [ -x "$candidate" ] && works "$candidate"; then
      printf '%s\n' "$candidate"
      exit 0
    fi
  done < <(pyenv versions --bare 2>/dev/null | sort -rV)
fi
echo "python.sh: no Python 3.11 or newer called '$name' found; install one or set PYTHON=" \
     "to its path (for example make test PYTHON=python3.13)" >&2
exit 1
