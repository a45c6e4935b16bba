"""Phase: each provider's normalizer cost, CPU µs per record over its test samples.

The samples are those of the drain's mix (handshakes left out), with the raw headers the
ingress writes. The measuring runs in its own process (bench/normcost.py); with
`--compare-with` it runs on that commit's normalizers too, the same samples.

Each tree is measured in `ROUNDS` rounds, alternated with the other's, and each
provider's median round is kept: on a shared VM one pass through a provider's samples
varied by half between two runs of the same code, the median of alternated rounds by
far less.
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
ROUNDS = 3


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


def median_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Per provider, its median round's figures, with every round's CPU per record."""
    merged: dict[str, Any] = {}
    for provider in rounds[0]:
        each = sorted((r[provider] for r in rounds), key=lambda f: f["cpu_us_per_record"])
        merged[provider] = {
            **each[(len(each) - 1) // 2],
            "cpu_us_rounds": [r[provider]["cpu_us_per_record"] for r in rounds],
        }
    return merged


def normalizers(run: Run, tree: Path | None = None) -> dict[str, Any]:
    stdin = cost_request(run)
    trees = {"providers": services.ROOT, **({"before": tree} if tree is not None else {})}
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    for _ in range(ROUNDS):
        for name, where in trees.items():
            rounds[name].append(measure(stdin, where))
    result: dict[str, Any] = {name: median_rounds(found) for name, found in rounds.items()}
    say(
        "normalizers, CPU us per record: "
        + ", ".join(f"{p} {f['cpu_us_per_record']:.1f}" for p, f in result["providers"].items())
    )
    return result
