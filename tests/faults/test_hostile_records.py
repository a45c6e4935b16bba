"""Every hostile record shape, in-process: each gives an output, none is an internal error.

The same shapes go through a real `fleetwire process` in test_hostile_processor.py; here
all of them (tens of thousands) are checked against the pure transform in seconds.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from fleetwire.topics import TopicNames
from processors.output import InRecord, Transformer
from tests.faults.hostile import Case, hostile_cases, out_of_range_cases, wrong_type_cases
from tests.support.providers import NORMALIZERS


def every_case() -> list[Case]:
    cases = list(hostile_cases())
    for provider in sorted(NORMALIZERS):
        cases.extend(wrong_type_cases(provider))
        cases.extend(out_of_range_cases(provider))
    return cases


def integers(value: Any) -> Iterator[int]:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield value
    children = (
        value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    )
    for child in children:
        yield from integers(child)


def fits_64_bits(value: bytes) -> bool:
    """What consumers of the canonical topics can read (int64, Java long)."""
    return all(-(1 << 63) <= number < (1 << 63) for number in integers(json.loads(value)))


def test_every_hostile_record_is_normalized_or_dead_lettered_with_a_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    transformer = Transformer(TopicNames("hostile"), NORMALIZERS)
    outcomes: Counter[str] = Counter()
    failures = []
    caplog.set_level(logging.CRITICAL)  # tens of thousands of dead-letter lines
    for offset, case in enumerate(every_case()):
        headers = [("fleetwire-source", case.provider.encode())]
        message = InRecord(
            topic=f"hostile.raw.{case.provider}",
            partition=0,
            offset=offset,
            key=b"key",
            value=case.body,
            headers=headers,
        )
        outputs = transformer.transform(case.provider, message)
        dead = [out for out in outputs if out.error_kind is not None]
        outcomes["dead-lettered" if dead else "normalized"] += 1
        for out in dead:
            outcomes[f"dlq:{out.error_kind}"] += 1
        reasons = [dict(out.headers).get("fleetwire-error", b"") for out in dead]
        if (
            not outputs
            or (case.must_dead_letter and not dead)
            or any(out.error_kind == "internal-error" for out in dead)
            or not all(reasons)
            or not all(fits_64_bits(out.value) for out in outputs if out.error_kind is None)
        ):
            failures.append((case.provider, case.what, [out.error_kind for out in outputs]))
    print(
        f"\n[hostile records, in-process] tried={sum(1 for _ in every_case())} "
        f"{dict(sorted(outcomes.items()))} failed={len(failures)}"
    )
    assert not failures, failures[:20]
