"""Provider times to RFC 3339 UTC with a `Z`, the only form canonical events carry."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache

from fleetwire.errors import RejectedRecord

MIN_YEAR = 2000  # earlier years are clock or sample errors (ZF shows a 1970 batch time)
MAX_YEAR = 2100


def format_utc(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.mmmZ`, milliseconds truncated like `isoformat` does.

    Every event pays this two or three times: %-formatting of the fields costs about
    two thirds of `isoformat(timespec="milliseconds")` and a third of `strftime`.
    """
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031 - the fastest form here
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
        moment.microsecond // 1000,
    )


def parse_iso(text: str, field: str, assume_utc: bool = True) -> datetime:
    """Parse ISO 8601 with any offset, `Z`, long fractions; a missing zone means UTC.

    Python 3.11's `fromisoformat` takes all of these itself, including the seven
    fractional digits of .NET's ticks (cut to the microseconds a datetime holds).
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise RejectedRecord(
                "invalid-time", f"{field}: {text!r} is not an ISO 8601 time"
            ) from None
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


# Epoch milliseconds whose UTC year is inside the sane range, as `_sane` tests it.
_SANE_MS_FROM = int(datetime(MIN_YEAR + 1, 1, 1, tzinfo=UTC).timestamp()) * 1000
_SANE_MS_TO = int(datetime(MAX_YEAR, 1, 1, tzinfo=UTC).timestamp()) * 1000
_MS_PER_DAY = 86_400_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def epoch_ms_utc(value: float, field: str) -> str:
    """`format_utc(from_epoch_ms(value, field))`, without a datetime for a sane integer.

    Smartcar stamps every signal twice in epoch milliseconds: a datetime and its fields
    cost twice the integer arithmetic here. Anything else takes the datetime path.
    """
    if type(value) is not int or not _SANE_MS_FROM <= value < _SANE_MS_TO:
        return format_utc(from_epoch_ms(value, field))
    days, millis = divmod(value, _MS_PER_DAY)
    seconds, millis = divmod(millis, 1000)
    return "%sT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031 - the fastest form here
        _day(days),
        seconds // 3600,
        seconds // 60 % 60,
        seconds % 60,
        millis,
    )


def epoch_s_utc(value: float, field: str) -> str:
    """`format_utc(from_epoch_s(value, field))`, likewise."""
    if type(value) is int:
        return epoch_ms_utc(value * 1000, field)
    return format_utc(from_epoch_s(value, field))


@lru_cache(maxsize=4096)  # events of a backlog span days, not years
def _day(days_since_epoch: int) -> str:
    return date.fromordinal(_EPOCH_ORDINAL + days_since_epoch).isoformat()


def _sane(moment: datetime, field: str, text: str) -> datetime:
    if MIN_YEAR < moment.year < MAX_YEAR:
        return moment  # an offset moves a time by under a day: its UTC year is in range too
    try:
        year = moment.astimezone(UTC).year
    except OverflowError:  # year 1 or 9999 with an offset leaves datetime's range
        year = moment.year
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise RejectedRecord("invalid-time", f"{field}: {text!r} is outside {MIN_YEAR}-{MAX_YEAR}")
    return moment


def iso_utc(text: str, field: str) -> str:
    return format_utc(parse_iso(text, field))
