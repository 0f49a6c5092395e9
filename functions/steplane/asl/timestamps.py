"""ASL timestamps: strict RFC 3339 parsing into exact, comparable instants.

The spec (Concepts > Timestamps): timestamps "MUST conform to the RFC3339 profile of
ISO 8601, with the further restrictions that an uppercase "T" character MUST be used to
separate date and time, and an uppercase "Z" character MUST be present in the absence of
a numeric time zone offset, for example "2016-03-14T01:59:00Z"."
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

from steplane.jsontypes import Json

# RFC 3339 section 5.6 ``date-time``, with ASL's uppercase T and Z. ``re.ASCII`` keeps
# ``\d`` to 0-9: a full-width digit is not an RFC 3339 digit.
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)
_SECONDS_PER_DAY = 86_400


def parse_instant(text: str) -> Fraction | None:
    """Parse an ASL timestamp into an exact instant, or None if it is not one.

    Args:
        text: the candidate timestamp, e.g. ``"2016-03-14T01:59:00.25+01:00"``.

    Returns:
        Seconds since 0001-01-01T00:00:00Z as an exact fraction: fractional seconds of
        any precision (RFC 3339 sets no limit) compare exactly, which ``datetime``'s
        microseconds would not. None when ``text`` is not a valid timestamp.
    """
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction, sign, offset_hour, offset_minute = match.group(7, 8, 9, 10)
    # RFC 3339 5.7: time-hour 00-23, time-minute 00-59, time-second up to 60 (a leap
    # second), and a valid calendar date. A leap second counts as the next minute's first.
    if hour > 23 or minute > 59 or second > 60:
        return None
    offset = 0
    if sign is not None:
        if int(offset_hour) > 23 or int(offset_minute) > 59:
            return None
        offset = (int(offset_hour) * 3600 + int(offset_minute) * 60) * (-1 if sign == "-" else 1)
    try:
        days = date(year, month, day).toordinal()
    except ValueError:
        return None
    seconds = days * _SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - offset
    if fraction is None:
        return Fraction(seconds)
    return seconds + Fraction(int(fraction), 10 ** len(fraction))


def is_timestamp(value: Json) -> bool:
    """Whether ``value`` is a string holding a valid ASL timestamp (the ``IsTimestamp`` test)."""
    return isinstance(value, str) and parse_instant(value) is not None


def parse_datetime(text: str) -> datetime | None:
    """An ASL timestamp as an aware UTC datetime (to the microsecond), or None."""
    instant = parse_instant(text)
    if instant is None:
        return None
    days, rest = divmod(instant, _SECONDS_PER_DAY)
    if not 1 <= days <= date.max.toordinal():
        return None  # an offset pushed it outside what datetime represents
    midnight = datetime.fromordinal(int(days)).replace(tzinfo=UTC)
    return midnight + timedelta(microseconds=int(rest * 1_000_000))
