"""The benchmark's own virtualenv, `.venv-bench`: the peer receiver and py-spy.

They are not part of fleetwire (not in uv.lock's main set), so they live beside `.venv`,
installed by uv from the pinned list in requirements/bench.txt; uv compares what is
there with the list and changes only what differs, so calling this each run is cheap.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-bench"
REQUIREMENTS = ROOT / "requirements" / "bench.txt"  # compiled from bench.in
PYTHON_VERSION = "3.11"


def bench_venv() -> Path:
    """The bin directory of `.venv-bench`, set up from requirements/bench.txt."""
    uv = subprocess.run(  # noqa: S603 - our own script
        [str(ROOT / "deploy" / "local" / "uv.sh")], capture_output=True, text=True, check=True
    ).stdout.strip()
    if not (VENV / "bin" / "python").exists():
        subprocess.run([uv, "venv", "--quiet", str(VENV)], check=True, cwd=ROOT)  # noqa: S603
    subprocess.run(  # noqa: S603 - uv with our own pinned list
        [uv, "pip", "sync", "--quiet", "--python", str(VENV / "bin" / "python"), str(REQUIREMENTS)],
        check=True,
        cwd=ROOT,
    )
    return VENV / "bin"


def py_spy() -> str:
    return str(bench_venv() / "py-spy")
