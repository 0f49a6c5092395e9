"""Wait state conformance: Seconds, Timestamp, SecondsPath, TimestampPath.

Sources quoted below:
- [spec] Amazon States Language, "Wait State" and "Timestamps".
- [guide] AWS Step Functions Developer Guide, "Wait workflow state".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from steplane.definition.loader import load_definition
from steplane.errors import DefinitionError
from steplane.execution import ExecutionStatus
from steplane.interpreter.decisions import WakeAt
from steplane.interpreter.signals import Wake, WakePurpose
from tests.unit.interpreter.harness import T0, Driver


def wait_machine(**wait: Any) -> dict[str, Any]:
    return {
        "StartAt": "W",
        "States": {
            "W": {"Type": "Wait", "Next": "Done", **wait},
            "Done": {"Type": "Succeed"},
        },
    }


def start(data: Any = None, **wait: Any) -> Driver:
    run = Driver(wait_machine(**wait))
    run.begin({} if data is None else data)
    return run


def parked_until(run: Driver) -> timedelta:
    """How long after T0 the Wait is due (it must be parked in ``W``)."""
    assert (run.head.status, run.head.state) == (ExecutionStatus.RUNNING, "W"), run.head
    assert run.wake_at().due_at == run.head.due_at
    return run.head.due_at - T0


def test_seconds_waits_that_long_then_passes_its_input_on():
    # [spec] "the following Wait State introduces a ten-second delay"; [guide] "A time, in
    # seconds, to wait before beginning the state specified in the Next field".
    run = start({"a": 1}, Seconds=10)
    assert parked_until(run) == timedelta(seconds=10)
    run.advance(10)
    run.apply(Wake(run.head.version, WakePurpose.WAIT))
    assert (run.head.status, run.head.data) == (ExecutionStatus.SUCCEEDED, {"a": 1})


def test_seconds_zero_continues_without_parking():
    # [guide] Seconds: "an integer value from 0 to 99999999" -- zero is no delay.
    run = start({"a": 1}, Seconds=0)
    assert (run.head.status, run.head.data) == (ExecutionStatus.SUCCEEDED, {"a": 1})
    assert not any(isinstance(c, WakeAt) for c in run.commands())


def test_timestamp_in_the_future_waits_until_that_instant_whatever_its_offset():
    # [spec] "an absolute expiry time, which MUST conform to the RFC3339 profile of ISO 8601"
    # -- 2026-01-01T02:00:00+01:00 is 01:00Z, one hour after the execution starts (T0).
    run = start(Timestamp="2026-01-01T02:00:00+01:00")
    assert parked_until(run) == timedelta(hours=1)


def test_timestamp_in_the_past_continues_immediately():
    # [spec] the Wait delays the machine "until" the absolute time; a time already passed
    # delays nothing.
    run = start({"k": 1}, Timestamp="2016-03-14T01:59:00Z")
    assert (run.head.status, run.head.data) == (ExecutionStatus.SUCCEEDED, {"k": 1})


def test_timestamp_milliseconds_are_truncated():
    # [guide] Wait workflow state, Timestamp: "Note: Currently, if you specify the wait time
    # as a timestamp, Step Functions considers the time value up to seconds and truncates
    # milliseconds."
    fixed = start(Timestamp="2026-01-01T00:00:10.900Z")
    assert parked_until(fixed) == timedelta(seconds=10)
    by_path = start({"t": "2026-01-01T00:00:10.900Z"}, TimestampPath="$.t")
    assert parked_until(by_path) == timedelta(seconds=10)


def test_seconds_path_reads_the_delay_from_the_input():
    # [guide] SecondsPath: "A path in the states input data to an integer value that
    # specifies the time to wait, in seconds".
    run = start({"delay": 42}, SecondsPath="$.delay")
    assert parked_until(run) == timedelta(seconds=42)


def test_seconds_path_without_a_non_negative_integer_fails_with_states_runtime():
    # [spec] SecondsPath "MUST be a Reference Path which, when resolved, MUST select a field
    # whose value is a non-negative integer".
    cases = [{"delay": -1}, {"delay": "10"}, {"delay": None}, {"delay": True}, {"other": 1}]
    outcomes = [start(data, SecondsPath="$.delay").head.error for data in cases]
    assert outcomes == ["States.Runtime"] * len(cases)


def test_seconds_path_with_a_fractional_number_fails_with_states_runtime():
    # [spec] SecondsPath "MUST select a field whose value is a non-negative integer";
    # [guide] "A path in the states input data to an integer value".
    run = start({"delay": 1.5}, SecondsPath="$.delay")
    assert (run.head.status, run.head.error) == (ExecutionStatus.FAILED, "States.Runtime")


def test_timestamp_path_reads_the_instant_from_the_input():
    # [spec] example: "TimestampPath": "$.expirydate" with input
    # { "expirydate": "2016-03-14T01:59:00Z" }.
    run = start({"expirydate": "2026-01-01T00:30:00Z"}, TimestampPath="$.expirydate")
    assert parked_until(run) == timedelta(minutes=30)


def test_timestamp_path_to_a_non_rfc3339_value_fails_with_states_runtime():
    # [spec] TimestampPath "MUST select a field whose value is a valid timestamp"; an
    # uppercase "T" MUST separate date and time, an uppercase "Z" MUST be present in the
    # absence of a numeric offset, and RFC 3339 requires seconds.
    stamps = [
        "2026-01-01t01:00:00z",
        "2026-01-01T01:00:00",
        "2026-01-01 01:00:00Z",
        "2026-01-01T01:00Z",
        "20260101T010000Z",
        1767229200,
    ]
    outcomes = {str(t): start({"t": t}, TimestampPath="$.t").head.error for t in stamps}
    assert outcomes == dict.fromkeys(outcomes, "States.Runtime")


def test_wait_input_and_output_path_filter_the_data_passed_on():
    # [spec] Table of State Types and Fields (JSONPath): Wait allows InputPath, OutputPath.
    run = start({"inner": {"keep": 1, "d": 0}, "drop": 2}, InputPath="$.inner", SecondsPath="$.d")
    assert (run.head.status, run.head.data) == (ExecutionStatus.SUCCEEDED, {"keep": 1, "d": 0})


def test_invalid_wait_definitions_are_rejected_at_load():
    # [spec] "A JSONPath Wait State MUST contain exactly one of "Seconds", "SecondsPath",
    # "Timestamp", or "TimestampPath""; [guide] Seconds "from 0 to 99999999"; Timestamp
    # "must conform to the RFC3339 profile of ISO 8601".
    invalid = {
        "none": {},
        "two": {"Seconds": 1, "SecondsPath": "$.s"},
        "negative": {"Seconds": -1},
        "too-long": {"Seconds": 100_000_000},
        "no-seconds": {"Timestamp": "2016-03-14T01:59Z"},
        "no-offset": {"Timestamp": "2016-03-14T01:59:00"},
    }
    accepted = []
    for name, wait in invalid.items():
        try:
            load_definition(wait_machine(**wait))
        except DefinitionError:
            continue
        accepted.append(name)
    assert accepted == []


def test_seconds_path_beyond_the_longest_wait_fails_with_states_runtime():
    # [spec] SecondsPath must select "a non-negative integer"; steplane's ceiling for any
    # wait is the largest Seconds it accepts (99,999,999), so a larger SecondsPath value is
    # an error naming the limit rather than an overflow.
    run = start({"delay": 10**20}, SecondsPath="$.delay")
    assert run.head.error == "States.Runtime"
    assert "99999999" in (run.head.cause or "")
