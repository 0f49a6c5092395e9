"""What the history records and what a failure says: events name their state and carry
their data; causes are exact; retries are charged as transitions; jitter spans the backoff.

The guide: each history event of a state names it, and ``...StateExited`` and
``TaskSucceeded`` carry the output; "each retry will be charged as an additional state
transition"; JitterStrategy FULL draws "a random number between 0 and the computed
backoff".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from steplane.definition.loader import load_definition
from steplane.execution import Execution, ExecutionStatus
from steplane.interpreter.decisions import Transition
from steplane.interpreter.engine import decide
from steplane.interpreter.signals import Begin, TaskResult
from steplane.limits import MAX_PAYLOAD_BYTES
from steplane.settings import Settings
from tests.unit.interpreter.harness import T0, Driver, nonce_of, task_machine


def test_state_and_task_events_name_their_state_and_carry_its_data():
    run = Driver(
        {
            "StartAt": "P",
            "States": {
                "P": {"Type": "Pass", "Result": {"p": 1}, "Next": "Work"},
                "Work": {"Type": "Task", "Resource": "r", "End": True},
            },
        }
    )
    run.begin({"in": 0})
    run.succeed({"done": True})
    recorded = [(e.type, e.state, e.details) for e in run.events if "Exited" in e.type]
    recorded += [(e.type, e.state, e.details) for e in run.events if e.type == "TaskSucceeded"]
    assert recorded == [
        ("PassStateExited", "P", {"output": {"p": 1}}),
        ("TaskStateExited", "Work", {"output": {"done": True}}),
        ("TaskSucceeded", "Work", {"output": {"done": True}}),
    ]


def test_a_result_that_cannot_be_placed_fails_with_the_exact_cause():
    # The guide: States.ResultPathMatchFailure "when a state's ResultPath field can't be
    # applied to the input the state received".
    run = Driver(task_machine(ResultPath="$.flag.result"))
    run.begin({"flag": True})
    run.succeed({"r": 1})
    assert (run.head.error, run.head.cause) == (
        "States.ResultPathMatchFailure",
        "Unable to apply ResultPath '$.flag.result' to the state input: "
        "$.flag is a boolean, not an object",
    )


def test_a_catcher_whose_result_path_cannot_apply_fails_with_the_exact_cause():
    run = Driver(
        task_machine(
            Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.s.e", "Next": "Caught"}]
        )
    )
    run.begin({"s": "text"})
    run.fail("Boom", "it broke")
    assert (run.head.error, run.head.cause) == (
        "States.ResultPathMatchFailure",
        "Unable to apply ResultPath '$.s.e' to the state input: $.s is a string, not an object",
    )


def _output_of_size(size: int) -> list[Any]:
    """A JSON array of exactly ``size`` bytes as Step Functions counts it (compact)."""
    return ["a" * (size - 12), {"b": 1}]  # ["aaa",{"b":1}]: the text plus 12 bytes


def test_an_output_of_exactly_the_quota_in_compact_json_passes():
    run = Driver(task_machine())
    run.begin()
    run.succeed(_output_of_size(MAX_PAYLOAD_BYTES))
    assert run.head.status is ExecutionStatus.SUCCEEDED


def test_an_output_over_the_quota_fails_with_its_size_in_the_cause():
    run = Driver(task_machine())
    run.begin()
    run.succeed(_output_of_size(MAX_PAYLOAD_BYTES + 1))
    assert (run.head.error, run.head.cause) == (
        "States.DataLimitExceeded",
        "the state output is 262145 bytes; the limit is 262144 bytes",
    )


def _retried(max_transitions: int, failures: int) -> Execution:
    """Run task_machine with a generous Retry, failing ``failures`` times then succeeding."""
    definition = load_definition(
        task_machine(
            Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 5}]
        )
    )
    settings = Settings(max_transitions=max_transitions)
    head = Execution("wf:x", "wf", "x", definition.hash, "h", T0)
    now = T0
    signals: list[Any] = [Begin({})]
    for n in range(failures + 1):
        decision = decide(definition, head, signals[-1], now, f"seed-{n}", settings=settings)
        assert isinstance(decision, Transition)
        head = decision.execution
        if head.status.is_terminal:
            return head
        now = head.due_at or now
        failed = n < failures
        signals.append(
            TaskResult(
                head.version,
                nonce_of(head),
                now,
                None if failed else {"ok": 1},
                "E" if failed else None,
                "boom" if failed else None,
            )
        )
    decision = decide(definition, head, signals[-1], now, "seed-last", settings=settings)
    assert isinstance(decision, Transition)
    return decision.execution


def test_each_retry_is_charged_as_a_state_transition():
    head = _retried(max_transitions=100, failures=2)
    assert (head.status, head.transitions) == (ExecutionStatus.SUCCEEDED, 3)


def test_a_retry_is_not_made_past_the_transition_limit():
    # With a limit of 2: the Task (1) and one retry (2); the second failure is final, and
    # the execution fails with the limit's error (its Retry still had attempts for "E").
    head = _retried(max_transitions=2, failures=2)
    assert (head.status, head.error, head.transitions) == (
        ExecutionStatus.FAILED,
        "Steplane.TransitionLimitExceeded",
        2,
    )


def test_full_jitter_spreads_over_the_whole_backoff():
    run = Driver(
        task_machine(
            Retry=[
                {
                    "ErrorEquals": ["States.ALL"],
                    "IntervalSeconds": 100,
                    "BackoffRate": 1.0,
                    "MaxAttempts": 12,
                    "JitterStrategy": "FULL",
                }
            ]
        )
    )
    run.begin()
    delays = []
    for _ in range(12):
        run.fail("E", "boom")
        delays.append((run.head.due_at - run.now).total_seconds())
        run.advance(delays[-1])
    assert min(delays) < 50 < max(delays), delays


def test_task_started_is_recorded_at_the_worker_start_time_with_its_attempt():
    # A worker reports when it started the attempt; the TaskStarted event carries that
    # time (not the moment the result arrived), the state and the attempt number (the
    # retried attempt is the second).
    run = Driver(task_machine(Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1}]))
    run.begin()
    run.fail("E", "boom")
    run.advance(4)
    started = run.now - timedelta(seconds=2)
    run.apply(TaskResult(run.head.version, nonce_of(run.head), started, {"ok": 1}))
    event = [e for e in run.events if e.type == "TaskStarted"][-1]
    assert (event.state, event.timestamp, event.details) == ("Work", started, {"attempt": 2})


def test_a_failed_attempt_is_recorded_against_its_state_with_its_error_and_cause():
    run = Driver(task_machine(Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1}]))
    run.begin()
    run.fail("E", "boom")
    failed = [(e.state, e.details) for e in run.events if e.type == "TaskFailed"]
    assert failed == [("Work", {"error": "E", "cause": "boom"})]
