"""RFC 3339 timestamps as ASL reads them: the field ranges, offsets and fractions.

The spec (Concepts > Timestamps): timestamps "MUST conform to the RFC3339 profile of ISO
8601". RFC 3339 5.6/5.7: time-minute 00-59, time-second 00-60 (a leap second), and a
numeric offset "+hh:mm" / "-hh:mm" with hours 00-23 and minutes 00-59.
"""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

import pytest

from steplane.asl.timestamps import parse_datetime, parse_instant


@pytest.mark.parametrize(
    "text",
    [
        "2016-03-14T01:59:00Z",  # the spec's example
        "2016-03-14T01:59:60Z",  # a leap second
        "2016-03-14T01:59:00+23:00",
        "2016-03-14T01:59:00-00:59",
    ],
)
def test_a_timestamp_at_the_top_of_each_field_range_is_valid(text: str) -> None:
    assert parse_instant(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "2016-03-14T01:60:00Z",  # minute 60, second 00: the minute alone is out of range
        "2016-03-14T01:59:61Z",
        "2016-03-14T01:59:00+24:00",
        "2016-03-14T01:59:00+01:60",
    ],
)
def test_a_timestamp_one_past_a_field_range_is_not_a_timestamp(text: str) -> None:
    assert parse_instant(text) is None


def test_an_offset_with_minutes_is_subtracted_hours_and_minutes_alike() -> None:
    # RFC 3339 4.2: "1996-12-19T16:39:57-08:00" is "1996-12-20T00:39:57Z".
    assert parse_instant("2016-03-14T01:59:00+01:30") == parse_instant("2016-03-14T00:29:00Z")
    assert parse_instant("1996-12-19T16:39:57-08:00") == parse_instant("1996-12-20T00:39:57Z")


def test_fractional_seconds_are_decimal_fractions() -> None:
    whole = parse_instant("2016-03-14T01:59:00Z")
    assert whole is not None
    assert parse_instant("2016-03-14T01:59:00.5Z") == whole + Fraction(1, 2)
    assert parse_instant("2016-03-14T01:59:00.25Z") == whole + Fraction(1, 4)


def test_a_datetime_keeps_the_time_of_day_to_the_microsecond() -> None:
    assert parse_datetime("2016-03-14T01:59:00.25Z") == datetime(
        2016, 3, 14, 1, 59, 0, 250_000, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
        ("9999-12-31T00:00:00Z", datetime(9999, 12, 31, tzinfo=UTC)),
        ("0001-01-01T00:00:00+00:01", None),  # a minute before datetime's first day
    ],
)
def test_a_datetime_covers_exactly_the_days_datetime_can_hold(
    text: str, expected: datetime | None
) -> None:
    assert parse_datetime(text) == expected
