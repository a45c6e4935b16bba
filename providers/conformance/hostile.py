"""What a normalizer does with what it cannot read: a dead letter with a reason, never a crash.

A normalizer returns canonical events (at least one), raises RejectedRecord (a kind and a
reason: the record is dead-lettered) or Ping (a test delivery: counted, nothing written).
Anything else it raises is a bug the processors catch as an `internal-error`: here it
fails the rule. Inputs are drawn with hypothesis: arbitrary bytes, arbitrary JSON, a
sample with one value replaced, removed or added, a sample with one byte changed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetwire.envelope import RawRecord
from fleetwire.errors import Ping, RejectedRecord
from providers import golden
from providers.conformance.events import check_event
from providers.spec import Provider

# The kinds a rejection may have (fleetwire.envelope documents them); `internal-error`
# is the processors' own, for a normalizer that raised something else.
KINDS = frozenset(
    {
        "invalid-json",
        "invalid-payload",
        "unsupported-event",
        "invalid-time",
        "no-subject",
        "too-large",
    }
)
UNKNOWN_TYPE = "fleetwire.conformance.no-such-event"

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**64, -(2**63) - 1, 10**30, 10**400, 1e308, -1e308])  # number edges
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
# Values a provider field plausibly holds, so that damage gets past decoding and into the
# time, unit and subject rules.
plausible_values = st.one_of(
    st.datetimes(timezones=st.timezones() | st.none()).map(lambda d: d.isoformat()),
    st.sampled_from(
        ["", " ", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1970-01-01T00:00Z"]
    ),
    st.integers(min_value=-(10**15), max_value=10**15),
    json_values,
)

Path = tuple[str | int, ...]


def outcome(provider: Provider, body: bytes, headers: Mapping[str, str] | None = None) -> Any:
    """What the normalizer makes of `body`: the events as JSON, ("rejected", kind) or
    ("ping",); AssertionError for anything else."""
    record = RawRecord(
        provider=provider.name,
        source=provider.name,
        key="delivery-1",
        body=body,
        headers=dict(provider.sample_headers if headers is None else headers),
        received_at=golden.RECEIVED_AT,
    )
    try:
        events = provider.normalizer(record)
    except RejectedRecord as exc:
        if exc.kind not in KINDS or not str(exc):
            raise AssertionError(
                f"{provider.name}: rejected as {exc.kind!r} with reason {str(exc)!r}; a "
                f"rejection has one of the kinds {', '.join(sorted(KINDS))} and a reason"
            ) from None
        return ("rejected", exc.kind)
    except Ping:
        return ("ping",)
    except Exception as exc:
        raise AssertionError(
            f"{provider.name}: the normalizer raised {type(exc).__name__}: {exc} on "
            f"{body[:80]!r}; it must raise RejectedRecord (the record is dead-lettered)"
        ) from None
    if not events:
        raise AssertionError(
            f"{provider.name}: no event and no rejection for {body[:80]!r}: the record would "
            "vanish; raise RejectedRecord (or Ping for a test delivery)"
        )
    written = [json.loads(msgspec.json.encode(event)) for event in events]
    for event in written:
        check_event(provider, event, reviewed=False)
    return written


def _fuzz(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        report_multiple_bugs=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


def _header_values(provider: Provider) -> st.SearchStrategy[dict[str, str]]:
    """The delivery headers the normalizer reads, with anything in them, or absent."""
    names = sorted({*provider.sample_headers, *provider.delivery_headers})
    if not names:
        return st.just({})
    return st.dictionaries(st.sampled_from(names), st.text(max_size=25), max_size=len(names))


def non_json_is_dead_lettered(provider: Provider, max_examples: int = 300) -> None:
    """Arbitrary bytes, and a sample with any one byte replaced: events or a rejection."""
    samples = [p.read_bytes() for p in golden.valid_samples(provider)] or [b"{}"]

    @_fuzz(max_examples)
    @given(
        body=st.binary(max_size=2000) | st.sampled_from(samples).flatmap(flipped),
        headers=_header_values(provider),
    )
    def run(body: bytes, headers: dict[str, str]) -> None:
        outcome(provider, body, headers)

    run()


def wrong_shape_is_dead_lettered(provider: Provider, max_examples: int = 300) -> None:
    """Arbitrary JSON, and a sample damaged anywhere: events or a rejection, the same
    each time."""
    documents = [json.loads(p.read_bytes()) for p in golden.valid_samples(provider)] or [{}]

    @_fuzz(max_examples)
    @given(
        value=json_values | st.sampled_from(documents).flatmap(damaged),
        headers=_header_values(provider),
    )
    def run(value: Any, headers: dict[str, str]) -> None:
        body = json.dumps(value).encode()
        result = outcome(provider, body, headers)
        if result != outcome(provider, body, headers):
            raise AssertionError(f"{provider.name}: {body[:80]!r} gave two different outcomes")

    run()


def unknown_event_type_is_dead_lettered(provider: Provider) -> None:
    """Each event sample with its event type's name replaced by one no provider sends is
    rejected, not normalized and not a crash."""
    for sample in golden.event_samples(provider):
        names = {
            e["providereventtype"] for e in golden.read_golden(golden.golden_path(provider, sample))
        }
        document = json.loads(sample.read_bytes())
        renamed = _renamed(document, names)
        if renamed == document:
            continue  # the type is not spelled in the body (a ping, a name from a header)
        result = outcome(provider, json.dumps(renamed).encode())
        if not (isinstance(result, tuple) and result[0] == "rejected"):
            made = result if isinstance(result, tuple) else "events"
            raise AssertionError(
                f"{provider.name}: {sample.name} with its event type renamed to "
                f"{UNKNOWN_TYPE!r} was not rejected but made {made}"
            )


def _renamed(value: Any, names: set[str]) -> Any:
    """`value` with every string that is one of `names` replaced by UNKNOWN_TYPE."""
    if isinstance(value, str):
        return UNKNOWN_TYPE if value in names else value
    if isinstance(value, dict):
        return {key: _renamed(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [_renamed(item, names) for item in value]
    return value


def paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Every position in a JSON document, the root included."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(paths(item, (*prefix, index)))
    return found


@st.composite
def damaged(draw: st.DrawFn, document: Any) -> Any:
    """`document` with one to three values replaced, keys or elements removed, keys added."""
    result = copy.deepcopy(document)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(paths(result)))
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        target: Any = result
        for step in path[:-1]:
            target = target[step]
        if action == "delete" and path:
            del target[path[-1]]
        elif action == "add" and isinstance(_at(result, path), dict):
            _at(result, path)[draw(st.text(max_size=12))] = draw(json_values)
        elif action == "add" and isinstance(_at(result, path), list):
            _at(result, path).append(draw(json_values))
        elif path:
            target[path[-1]] = draw(plausible_values)
        else:
            result = draw(json_values)
    return result


def _at(document: Any, path: Path) -> Any:
    for step in path:
        document = document[step]
    return document


@st.composite
def flipped(draw: st.DrawFn, body: bytes) -> bytes:
    """`body` with one byte replaced: broken UTF-8, stray quotes, truncated tokens."""
    if not body:
        return draw(st.binary(min_size=1, max_size=1))
    index = draw(st.integers(min_value=0, max_value=len(body) - 1))
    return body[:index] + bytes([draw(st.integers(min_value=0, max_value=255))]) + body[index + 1 :]
