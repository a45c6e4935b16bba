"""The rebalance pause: a second `fleetwire process` joins the group mid-drain.

One exactly-once processor drains a backlog of the raw-record mix; once it has committed
`JOIN_AT` of it, a second one starts with the same settings. Joining makes the group
rebalance: every member gives up its partitions (and, exactly once, closes their
transactional producers) and takes up its new share. The pause is the longest time
without any commit progress from the second process's start until the backlog is done,
beside the longest such gap while the first ran alone (its normal rhythm of commits).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import uvloop

from bench import drain, services
from bench.context import Run, say

JOIN_AT = 0.2  # share of the backlog committed before the second process starts
MODE = "exactly-once"


def longest_stall(
    progress: Sequence[tuple[float, int]], since: float, until: float
) -> float | None:
    """The longest time between two advances of the committed count that ends after
    `since` and starts before `until`; None if the count never advanced twice there."""
    advances = [t for (_, before), (t, n) in pairwise(progress) if n > before]
    gaps = [b - a for a, b in pairwise(advances) if b > since and a < until]
    return max(gaps) if gaps else None


def pause_figures(
    progress: Sequence[tuple[float, int]], joined: float | None, expect: int
) -> dict[str, Any]:
    """The stall around the join, the usual gap before it, and the rates either side."""
    if joined is None:
        return {"joined_after_s": None, "pause_s": None, "note": "the drain ended before the join"}
    alone = [(t, n) for t, n in progress if t <= joined]
    after = [(t, n) for t, n in progress if t >= joined]
    end = progress[-1][0] if progress else joined
    pause = longest_stall(progress, joined, end)
    usual = longest_stall(alone, alone[0][0] if alone else 0.0, joined)
    complete = bool(progress) and progress[-1][1] >= expect
    result: dict[str, Any] = {
        "joined_after_s": round(joined, 2),
        "pause_s": None if pause is None else round(pause, 2),
        "usual_gap_s": None if usual is None else round(usual, 2),
        "complete": complete,
        "rate_alone": _rate(alone),
        "rate_after_join": _rate(after),
    }
    if pause is None:
        result["note"] = "no progress after the join: give the drain more records"
    return result


def _rate(progress: Sequence[tuple[float, int]]) -> float | None:
    """Records per second from the first advance to the last one."""
    moving = [(t, n) for (_, before), (t, n) in pairwise(progress) if n > before]
    if len(moving) < 2 or moving[-1][0] <= moving[0][0]:
        return None
    return round((moving[-1][1] - moving[0][1]) / (moving[-1][0] - moving[0][0]), 1)


def rebalance(run: Run, tree: Path | None = None, label: str = "rebalance") -> dict[str, Any]:
    records = run.options.rebalance_records
    period = drain.mix_period(run)
    backlog = drain.preload(run, period, label, records)

    def start(name: str) -> services.Service:
        return drain.start_processor(run, backlog.prefix, MODE, name, tree)

    first = start(f"{label}-first")
    second: list[services.Service] = []
    joined: list[float] = []

    def join(now: float, committed: int) -> None:
        if not second and committed >= JOIN_AT * records:
            say(f"{label}: {committed:,} of {records:,} committed; a second processor joins")
            second.append(start(f"{label}-second"))
            joined.append(now)

    try:
        samples = uvloop.run(
            drain.watch(
                run,
                drain.group_with_prefix(backlog.prefix),
                backlog.raw_topics,
                records,
                [first],
                also=join,
            )
        )
    finally:
        for service in [first, *second]:
            service.stop()
    result = pause_figures([(t, n) for t, n, _ in samples], joined[0] if joined else None, records)
    result.update({"records": records, "mode": MODE})
    say(f"{label}: pause {result['pause_s']} s (usual gap {result.get('usual_gap_s')} s)")
    return result
