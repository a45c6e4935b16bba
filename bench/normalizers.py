"""Phase: each provider's normalizer cost, CPU µs per record over its test samples.

The samples are those of the drain's mix (handshakes left out), with the raw headers the
ingress writes. The measuring runs in its own process (bench/normcost.py); with
`--compare-with` it runs a second time on that commit's normalizers, the same samples.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import normcost, rawmix, services
from bench.context import Run, say
from providers.registry import installed

SCRIPT = Path(normcost.__file__)
TIMEOUT_S = 300


def cost_request(run: Run) -> str:
    by_provider = rawmix.samples(run.sources, list(installed().normalizers))
    shaped = {
        provider: [
            (value, headers)
            for _, (_, value, headers) in rawmix.raw_records(
                found, run.run_id, len(found), lambda p: p
            )
        ]
        for provider, found in by_provider.items()
    }
    return normcost.request(shaped, run.options.normalizer_seconds)


def measure(stdin: str, tree: Path) -> dict[str, Any]:
    """bench/normcost.py with `tree`'s processors."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(  # noqa: S603 - this interpreter and our own script
        [sys.executable, "-P", str(SCRIPT)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tree,
        env=env,
        timeout=TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"measuring the normalizers failed:\n{done.stderr[-2000:]}")
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def normalizers(run: Run, tree: Path | None = None) -> dict[str, Any]:
    stdin = cost_request(run)
    result: dict[str, Any] = {"providers": measure(stdin, services.ROOT)}
    if tree is not None:
        result["before"] = measure(stdin, tree)
    say(
        "normalizers, CPU us per record: "
        + ", ".join(f"{p} {f['cpu_us_per_record']:.1f}" for p, f in result["providers"].items())
    )
    return result
