"""Provider times to RFC 3339 UTC with a `Z`, the only form canonical events carry."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fleetwire.errors import RejectedRecord

# Seven or more fractional digits (.NET's ticks) are cut to microseconds, which is all
# Python's datetime holds.
_FRACTION = re.compile(r"(\.\d{6})\d+")
MIN_YEAR = 2000  # earlier years are clock or sample errors (ZF shows a 1970 batch time)
MAX_YEAR = 2100


def format_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def parse_iso(text: str, field: str, assume_utc: bool = True) -> datetime:
    """Parse ISO 8601 with any offset, `Z`, long fractions; a missing zone means UTC."""
    cleaned = _FRACTION.sub(r"\1", text.strip())
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise RejectedRecord("invalid-time", f"{field}: {text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        if not assume_utc:
            raise RejectedRecord("invalid-time", f"{field}: {text!r} has no time zone")
        moment = moment.replace(tzinfo=UTC)
    return _sane(moment, field, text)


def from_epoch_ms(value: float, field: str) -> datetime:
    try:
        moment = datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        raise RejectedRecord(
            "invalid-time", f"{field}: {value!r} is not epoch milliseconds"
        ) from None
    return _sane(moment, field, str(value))


def from_epoch_s(value: float, field: str) -> datetime:
    return from_epoch_ms(value * 1000, field)


def _sane(moment: datetime, field: str, text: str) -> datetime:
    try:
        year = moment.astimezone(UTC).year
    except OverflowError:  # year 1 or 9999 with an offset leaves datetime's range
        year = moment.year
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise RejectedRecord("invalid-time", f"{field}: {text!r} is outside {MIN_YEAR}-{MAX_YEAR}")
    return moment


def iso_utc(text: str, field: str) -> str:
    return format_utc(parse_iso(text, field))
