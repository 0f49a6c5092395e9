"""Retry, Catch and the predefined error names, pinned to the documented rules.

Sources quoted below:
- [spec] Amazon States Language, "Retrying after error", "Complex retry scenarios",
  "Fallback states", "Error output", "Appendix A: Predefined Error Codes".
- [guide] AWS Step Functions Developer Guide, "Handling errors in Step Functions workflows".
- [cdk] AWS CDK API reference, "enum JitterType" (the values of the JitterStrategy field).
"""

from __future__ import annotations

from typing import Any

from steplane.definition.loader import load_definition
from steplane.errors import DefinitionError
from steplane.execution import ExecutionStatus
from steplane.interpreter.signals import Wake, WakePurpose
from tests.unit.interpreter.harness import Driver, task_machine


def retry_delay(run: Driver) -> float:
    """Seconds until the retried attempt is due (0 when it was dispatched at once)."""
    assert (run.head.state, run.head.status) == ("Work", ExecutionStatus.RUNNING), run.head
    return (run.head.due_at - run.now).total_seconds() if run.head.due_at else 0.0


def fail_times(run: Driver, errors: list[str]) -> list[float]:
    """Fail the current attempt once per error; collect each retry's delay."""
    delays = []
    for error in errors:
        run.fail(error, "boom")
        delays.append(retry_delay(run))
        run.advance(delays[-1])
    return delays


def retrying(**retrier: Any) -> Driver:
    run = Driver(task_machine(Retry=[{"ErrorEquals": ["States.ALL"], **retrier}]))
    run.begin({"in": 1})
    return run


# --- Retry arithmetic -----------------------------------------------------------------


def test_retrier_defaults_are_interval_1_max_attempts_3_backoff_2():
    # [spec] "IntervalSeconds ... (default value: 1)"; "MaxAttempts ... (default: 3)";
    # "BackoffRate ... (default: 2.0)"; "If the error recurs more times than allowed for by
    # the "MaxAttempts" field, retries cease and normal error handling resumes."
    run = retrying()
    assert fail_times(run, ["E", "E", "E"]) == [1, 2, 4]
    run.fail("E", "boom")
    assert (run.head.status, run.head.error) == (ExecutionStatus.FAILED, "E")


def test_fractional_backoff_rate_gives_the_documented_waits():
    # [guide] Errors (Amazon States Language section): "a Retry field that will make
    # four retry attempts after waits of 3, 4.5, 6.75 and 10.125 seconds" for
    # IntervalSeconds 3, MaxAttempts 4, BackoffRate 1.5.
    run = retrying(IntervalSeconds=3, MaxAttempts=4, BackoffRate=1.5)
    assert fail_times(run, ["E"] * 4) == [3, 4.5, 6.75, 10.125]


def test_max_delay_seconds_caps_the_interval():
    # [spec] "with a maximum limit of 4 seconds on the retry interval. In this case the
    # Retrier will make the second attempt after 4 seconds, rather than 6 seconds".
    run = retrying(IntervalSeconds=3, MaxAttempts=2, BackoffRate=2.0, MaxDelaySeconds=4)
    assert fail_times(run, ["E", "E"]) == [3, 4]


def test_max_delay_seconds_caps_even_a_very_long_backoff():
    # [spec] MaxDelaySeconds: "representing the maximum interval in seconds to wait before
    # the next retry attempt"; "MaxAttempts ... MUST be a non-negative integer", so a
    # 1025th retry is legal and must still wait at most 5 s.
    run = retrying(MaxAttempts=1100, MaxDelaySeconds=5)
    delays = fail_times(run, ["E"] * 1025)
    assert delays[-1] == 5


def test_max_attempts_zero_skips_retry_and_goes_to_catch():
    # [spec] "a "MaxAttempts" field whose value is 0 is legal, specifying that some error or
    # errors should never be retried" -- normal error handling (Catch) applies at once.
    run = Driver(
        task_machine(
            Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}],
            Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
        )
    )
    run.begin({})
    run.fail("E", "boom")
    assert (run.head.status, run.head.data) == (
        ExecutionStatus.SUCCEEDED,
        {"Error": "E", "Cause": "boom"},
    )


def test_full_jitter_draws_between_zero_and_the_backoff():
    # [cdk] JitterType FULL: "Calculates the delay to be a random number between 0 and the
    # computed backoff for the given retry attempt count."
    run = retrying(IntervalSeconds=100, BackoffRate=1.0, MaxAttempts=12, JitterStrategy="FULL")
    delays = fail_times(run, ["E"] * 12)
    assert all(0 <= d <= 100 for d in delays), delays
    assert len(set(delays)) > 1, delays  # actually randomised
    assert min(delays) < 100, delays


def test_full_jitter_stays_under_max_delay_seconds():
    # [spec] MaxDelaySeconds is "the maximum interval in seconds to wait before the next
    # retry attempt"; [cdk] FULL draws below the computed backoff.
    run = retrying(
        IntervalSeconds=100,
        BackoffRate=3,
        MaxAttempts=8,
        MaxDelaySeconds=150,
        JitterStrategy="FULL",
    )
    delays = fail_times(run, ["E"] * 8)
    assert all(0 <= d <= 150 for d in delays), delays
    assert delays[0] <= 100


def test_jitter_strategy_none_is_the_plain_backoff():
    # [cdk] NONE: "equivalent to if Jitter was not declared".
    run = retrying(IntervalSeconds=2, JitterStrategy="NONE")
    assert fail_times(run, ["E", "E"]) == [2, 4]


# --- Retrier selection and counting ---------------------------------------------------


def test_complex_retry_scenario_from_the_spec():
    # [spec] Complex retry scenarios: errors "ErrorA", "ErrorB", "ErrorC", "ErrorB": "The
    # first two errors match the first retrier and cause waits of one and two seconds. The
    # third error matches the second retrier and causes a wait of five seconds. The fourth
    # error would match the first retrier but its "MaxAttempts" ceiling of two retries has
    # already been reached, so that Retrier fails, and execution is redirected to the "Z"
    # state via the "Catch" field."
    machine = task_machine(
        Retry=[
            {
                "ErrorEquals": ["ErrorA", "ErrorB"],
                "IntervalSeconds": 1,
                "BackoffRate": 2,
                "MaxAttempts": 2,
            },
            {"ErrorEquals": ["ErrorC"], "IntervalSeconds": 5},
        ],
        Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
    )
    run = Driver(machine)
    run.begin({})
    assert fail_times(run, ["ErrorA", "ErrorB", "ErrorC"]) == [1, 2, 5]
    run.fail("ErrorB", "again")
    assert (run.head.status, run.head.data) == (
        ExecutionStatus.SUCCEEDED,
        {"Error": "ErrorB", "Cause": "again"},
    )


def test_retrier_counts_reset_when_the_state_is_left_and_re_entered():
    # [spec] "Note that once the interpreter transitions to another state in any way, all
    # the Retrier parameters reset."
    machine = {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": "r",
                "ResultPath": "$.r",
                "Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 1, "IntervalSeconds": 7}],
                "Next": "Again",
            },
            "Again": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.r.again", "BooleanEquals": True, "Next": "Work"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    run = Driver(machine)
    run.begin({})
    assert fail_times(run, ["E"]) == [7]
    run.succeed({"again": True})
    assert run.head.state == "Work"  # re-entered through the Choice
    assert fail_times(run, ["E"]) == [7]  # retried again: the count started over
    run.fail("E")
    assert (run.head.status, run.head.error) == (ExecutionStatus.FAILED, "E")


def test_states_runtime_is_never_retried_or_caught():
    # [guide] "A States.Runtime error isn't retriable, and will always cause the execution
    # to fail. A retry or catch on States.ALL won't catch States.Runtime errors."
    machine = task_machine(
        OutputPath="$.missing",
        Retry=[{"ErrorEquals": ["States.ALL"]}],
        Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
    )
    run = Driver(machine)
    run.begin({})
    run.succeed({"present": 1})
    assert (run.head.status, run.head.error) == (ExecutionStatus.FAILED, "States.Runtime")
    named = Driver(
        task_machine(
            InputPath="$.missing", Catch=[{"ErrorEquals": ["States.Runtime"], "Next": "Caught"}]
        )
    )
    named.begin({})
    assert (named.head.status, named.head.error) == (ExecutionStatus.FAILED, "States.Runtime")


# --- Catch ----------------------------------------------------------------------------


def test_catch_default_result_path_replaces_input_with_error_output():
    # [spec] JSONPath Catchers: "The default value, if the "ResultPath" field is not
    # provided, is "$", meaning that the output consists entirely of the Error Output";
    # Error output: "MUST have a string-valued field named "Error" ... SHOULD have a
    # string-valued field named "Cause"".
    run = Driver(task_machine(Catch=[{"ErrorEquals": ["Oops"], "Next": "Caught"}]))
    run.begin({"order": 7})
    run.fail("Oops", "it broke")
    assert run.head.data == {"Error": "Oops", "Cause": "it broke"}


def test_catch_result_path_adds_the_error_output_to_the_original_input():
    # [guide] ResultPath in a Catch: "with the following input: {"foo": "bar"} ... the state
    # output when catching an error" holds "foo" and an "error" node.
    machine = task_machine(
        InputPath="$.foo",
        Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught", "ResultPath": "$.error"}],
    )
    run = Driver(machine)
    run.begin({"foo": "bar"})
    run.fail("Error here", "why")
    assert run.head.data == {"foo": "bar", "error": {"Error": "Error here", "Cause": "why"}}


def test_catch_result_path_on_a_non_object_input_is_result_path_match_failure():
    # [spec] a Catcher's "ResultPath" "works exactly like a state's top-level ResultPath";
    # on the string "foo" with "$.x" "the interpreter fails the machine with an Error Name
    # of "States.ResultPathMatchFailure"".
    run = Driver(
        task_machine(Catch=[{"ErrorEquals": ["E"], "Next": "Caught", "ResultPath": "$.x"}])
    )
    run.begin("foo")
    run.fail("E")
    assert (run.head.status, run.head.error) == (
        ExecutionStatus.FAILED,
        "States.ResultPathMatchFailure",
    )


def test_catchers_are_scanned_in_array_order():
    # [spec] "the interpreter scans through the Catchers in array order, and when the Error
    # Name appears in the value of a Catcher's "ErrorEquals" field, transitions".
    machine = task_machine(
        Catch=[
            {"ErrorEquals": ["Other"], "Next": "Caught", "ResultPath": "$.first"},
            {"ErrorEquals": ["E", "Other"], "Next": "Caught", "ResultPath": "$.second"},
            {"ErrorEquals": ["States.ALL"], "Next": "Caught", "ResultPath": "$.last"},
        ]
    )
    run = Driver(machine)
    run.begin({})
    run.fail("E", "c")
    assert run.head.data == {"second": {"Error": "E", "Cause": "c"}}


def test_error_names_are_case_sensitive():
    # [spec] "Errors are identified by case-sensitive strings, called Error Names."
    run = Driver(task_machine(Catch=[{"ErrorEquals": ["oops"], "Next": "Caught"}]))
    run.begin({})
    run.fail("Oops")
    assert (run.head.status, run.head.error) == (ExecutionStatus.FAILED, "Oops")


# --- predefined error names -----------------------------------------------------------


def _timed_out(catch: list[str]) -> Driver:
    run = Driver(task_machine(TimeoutSeconds=10, Catch=[{"ErrorEquals": catch, "Next": "Caught"}]))
    run.begin({})
    run.advance(10)
    run.apply(Wake(run.head.version, WakePurpose.TIMEOUT))
    return run


def test_states_all_catches_states_timeout_and_task_failed_does_not():
    # [guide] "States.ALL: A wildcard that matches any known error name"; "States.TaskFailed
    # ... acts as a wildcard that matches any known error name except for States.Timeout."
    caught = _timed_out(["States.ALL"])
    assert caught.head.status is ExecutionStatus.SUCCEEDED
    assert caught.head.data["Error"] == "States.Timeout"
    missed = _timed_out(["States.TaskFailed"])
    assert (missed.head.status, missed.head.error) == (ExecutionStatus.FAILED, "States.Timeout")


def test_states_timeout_is_retried_like_any_other_error():
    # [guide] "Handling a Timeout Using Retry": "Retry": [{"ErrorEquals":
    # ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2.0}].
    machine = task_machine(
        TimeoutSeconds=2,
        Retry=[
            {
                "ErrorEquals": ["States.Timeout"],
                "IntervalSeconds": 1,
                "MaxAttempts": 2,
                "BackoffRate": 2.0,
            }
        ],
    )
    run = Driver(machine)
    run.begin({})
    delays = []
    for _ in range(2):
        run.advance(2)
        run.apply(Wake(run.head.version, WakePurpose.TIMEOUT))
        delays.append(retry_delay(run))
        run.advance(delays[-1])
    assert delays == [1, 2]
    run.advance(2)
    run.apply(Wake(run.head.version, WakePurpose.TIMEOUT))
    assert (run.head.status, run.head.error) == (ExecutionStatus.FAILED, "States.Timeout")


def test_task_failed_matches_other_task_errors():
    # [guide] "You can match on Lambda.Unknown, States.ALL, or States.TaskFailed to handle
    # these errors"; States.TaskFailed matches any known error name except States.Timeout.
    caught = []
    for error in ("States.Permissions", "Lambda.Unknown", "States.TaskFailed"):
        run = Driver(task_machine(Catch=[{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}]))
        run.begin({})
        run.fail(error, "x")
        caught.append((run.head.status, run.head.data and run.head.data["Error"]))
    assert caught == [
        (ExecutionStatus.SUCCEEDED, "States.Permissions"),
        (ExecutionStatus.SUCCEEDED, "Lambda.Unknown"),
        (ExecutionStatus.SUCCEEDED, "States.TaskFailed"),
    ]


# --- definition rules -----------------------------------------------------------------


def test_invalid_retriers_are_rejected_at_load():
    # [spec] "States.ALL ... MUST appear alone in the "ErrorEquals" array and MUST appear in
    # the last Retrier"; "ErrorEquals ... MUST be a non-empty array"; "IntervalSeconds ...
    # MUST be a positive integer"; "MaxAttempts ... MUST be a non-negative integer";
    # "MaxDelaySeconds ... MUST be positive integer"; "BackoffRate MUST be greater than or
    # equal to 1.0".
    invalid = {
        "all-not-alone": [{"ErrorEquals": ["States.ALL", "E"]}],
        "all-not-last": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["E"]}],
        "empty-error-equals": [{"ErrorEquals": []}],
        "backoff-below-1": [{"ErrorEquals": ["E"], "BackoffRate": 0.5}],
        "interval-not-positive": [{"ErrorEquals": ["E"], "IntervalSeconds": 0}],
        "negative-max-attempts": [{"ErrorEquals": ["E"], "MaxAttempts": -1}],
        "max-delay-not-positive": [{"ErrorEquals": ["E"], "MaxDelaySeconds": 0}],
    }
    accepted = []
    for name, retry in invalid.items():
        try:
            load_definition(task_machine(Retry=retry))
        except DefinitionError:
            continue
        accepted.append(name)
    assert accepted == []


def test_predefined_error_names_are_accepted_in_error_equals():
    # [spec] Appendix A: Predefined Error Codes; [guide] Error names.
    names = [
        "States.TaskFailed",
        "States.Timeout",
        "States.Permissions",
        "States.Runtime",
        "States.DataLimitExceeded",
        "States.NoChoiceMatched",
        "States.ResultPathMatchFailure",
        "States.HeartbeatTimeout",
    ]
    load_definition(
        task_machine(
            Catch=[
                {"ErrorEquals": names, "Next": "Caught"},
                {"ErrorEquals": ["States.ALL"], "Next": "Caught"},
            ]
        )
    )


def test_a_legal_but_enormous_backoff_is_held_to_the_longest_wait_asl_allows():
    # [spec] IntervalSeconds and MaxAttempts are positive / non-negative integers, with no
    # cap on their product; steplane holds any computed wait to 99,999,999 s (the largest
    # Seconds a Wait may give) instead of overflowing the clock.
    run = retrying(IntervalSeconds=99_999_999, MaxAttempts=14)
    delays = fail_times(run, ["E"] * 14)
    assert delays[0] == 99_999_999
    assert delays[-1] == 99_999_999
