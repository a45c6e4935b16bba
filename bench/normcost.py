"""What normalizing one record costs, per provider, over its test samples: no Kafka.

Runs in a process of its own, by path with `python -P`, so that `PYTHONPATH` alone says
whose normalizers are measured: this checkout's, or an earlier commit's for
`--compare-with`. It imports nothing of the benchmark. The samples come on stdin as
JSON (`request`), the figures go to stdout as JSON:

    {"provider": {"records": N, "cpu_us_per_record": X, "rejected": K}, ...}

The time is this thread's CPU time over whole passes through a provider's samples, after
one pass to warm up, until `seconds` of CPU time are spent.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any


def request(
    by_provider: Mapping[str, Sequence[tuple[bytes, Sequence[tuple[str, bytes]]]]],
    seconds: float,
) -> str:
    """The stdin document: each provider's (body, raw headers) samples."""
    return json.dumps(
        {
            "seconds": seconds,
            "providers": {
                provider: [
                    {
                        "body": body.decode("latin-1"),
                        "headers": [[n, v.decode("latin-1")] for n, v in headers],
                    }
                    for body, headers in found
                ]
                for provider, found in by_provider.items()
            },
        }
    )


def _measure(normalize: Any, records: Sequence[Any], seconds: float) -> tuple[float, int]:
    def one_pass() -> int:
        rejected = 0
        for record in records:
            try:
                normalize(record)
            except Exception:  # a rejection costs what it costs; the processor pays it too
                rejected += 1
        return rejected

    rejected = one_pass()
    passes = 0
    started = time.thread_time()
    while True:
        one_pass()
        passes += 1
        spent = time.thread_time() - started
        if spent >= seconds:
            return 1e6 * spent / (passes * len(records)), rejected


def _registry() -> tuple[dict[str, Any], Any]:
    """The normalizers and the raw-record envelope of whichever tree PYTHONPATH names: the
    provider registry, or the lists that came before it (an earlier commit)."""
    # Imported here, not at the top: PYTHONPATH decides whose they are.
    try:
        from fleetwire.envelope import RawRecord  # noqa: PLC0415
        from providers.registry import installed  # noqa: PLC0415
    except ImportError:
        from processors.record import RawRecord  # type: ignore[import-not-found,no-redef]  # noqa: PLC0415
        from processors.registry import NORMALIZERS  # type: ignore[import-not-found]  # noqa: PLC0415

        return dict(NORMALIZERS), RawRecord
    return dict(installed().normalizers), RawRecord


def main() -> None:
    normalizers, raw_record = _registry()
    asked = json.load(sys.stdin)
    found: dict[str, Any] = {}
    for provider, samples in sorted(asked["providers"].items()):
        normalize = normalizers.get(provider)
        if normalize is None or not samples:
            continue
        records = [
            raw_record.from_kafka(
                provider,
                b"key",
                s["body"].encode("latin-1"),
                [(n, v.encode("latin-1")) for n, v in s["headers"]],
            )
            for s in samples
        ]
        cost, rejected = _measure(normalize, records, asked["seconds"])
        found[provider] = {
            "records": len(records),
            "cpu_us_per_record": round(cost, 2),
            "rejected": rejected,
        }
    json.dump(found, sys.stdout)


if __name__ == "__main__":
    main()
