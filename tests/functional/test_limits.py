"""Limits a demanding user relies on: transitions per execution, TimeoutSeconds, retention."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import Any

import pytest

from steplane import TaskFailed
from steplane.adapters.dynamodb_items import epoch_seconds
from steplane.cli import main
from steplane.local import LocalRuntime
from steplane.settings import Settings

LOOP = {
    "StartAt": "Ping",
    "States": {
        "Ping": {"Type": "Pass", "Next": "Again"},
        "Again": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.stop", "BooleanEquals": True, "Next": "Done"}],
            "Default": "Ping",
        },
        "Done": {"Type": "Succeed"},
    },
}
SLOW = "arn:aws:lambda:us-east-1:123456789012:function:Slow"


def test_a_loop_that_never_waits_fails_at_the_transition_limit():
    with LocalRuntime(settings=Settings(max_transitions=600)) as rt:
        result = rt.run_until_complete(rt.start(LOOP, {"stop": False}))
    entered = [e for e in result.history if e["type"].endswith("StateEntered")]
    assert (result.status, result.error) == ("FAILED", "Steplane.TransitionLimitExceeded")
    assert "made 600 state transitions" in result.cause
    assert len(entered) == 600


def test_the_cli_ends_an_endless_loop_with_one_clear_message_and_bounded_output(tmp_path, capsys):
    import json  # noqa: PLC0415

    path = tmp_path / "loop.json"
    path.write_text(json.dumps(LOOP))
    code = main(["run", str(path), "--input", '{"stop": false}', "--max-transitions", "5000"])
    out = capsys.readouterr().out
    assert code == 1
    assert "error: Steplane.TransitionLimitExceeded" in out
    assert "events not shown (--json prints them all)" in out
    assert len(out.splitlines()) < 300


@pytest.mark.parametrize("caught", [False, True], ids=["uncaught", "with a Catch"])
def test_retries_count_as_transitions_and_the_limit_ends_the_retrying(caught):
    # The retry that would pass the limit is not made; the execution fails with the
    # limit's error (not the task's, which its Retry still had attempts for), and no
    # Catch takes it: going on would be another transition.
    definition: dict[str, Any] = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": SLOW,
                "Retry": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "MaxAttempts": 50,
                        "IntervalSeconds": 1,
                        "BackoffRate": 1.0,
                    }
                ],
                "End": True,
            }
        },
    }
    if caught:
        definition["States"]["T"]["Catch"] = [{"ErrorEquals": ["States.ALL"], "Next": "Handle"}]
        definition["States"]["Handle"] = {"Type": "Pass", "End": True}
    with LocalRuntime(settings=Settings(max_transitions=4)) as rt:
        rt.register(SLOW, _always_fails)
        result = rt.run_until_complete(rt.start(definition, {}))
    attempts = [e["attempt"] for e in result.history if e["type"] == "TaskScheduled"]
    # One state entered plus three retries make four transitions: no fifth attempt.
    assert attempts == [1, 2, 3, 4]
    assert (result.status, result.error) == ("FAILED", "Steplane.TransitionLimitExceeded")
    assert "made 4 state transitions" in result.cause
    assert not [e for e in result.history if e.get("state") == "Handle"]


def test_a_handler_that_runs_past_timeout_seconds_times_out_locally():
    definition = {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": SLOW, "TimeoutSeconds": 1, "End": True}},
    }

    def slow(task_input: Any, context: Any) -> Any:
        time.sleep(1.5)  # really longer than its TimeoutSeconds
        return {"late": True}

    with LocalRuntime() as rt:
        rt.register(SLOW, slow)
        result = rt.run_until_complete(rt.start(definition, {}))
    assert (result.status, result.error) == ("FAILED", "States.Timeout")
    assert "TaskSucceeded" not in [e["type"] for e in result.history]


def test_a_handler_that_finishes_in_time_keeps_exact_virtual_offsets():
    definition = {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": SLOW, "TimeoutSeconds": 30, "End": True}},
    }
    with LocalRuntime() as rt:
        rt.register(SLOW, lambda task_input, context: {"deadline": str(context.deadline)})
        start = rt.clock.now()
        result = rt.run_until_complete(rt.start(definition, {}))
    assert result.status == "SUCCEEDED"
    assert result.output["deadline"] == str(start + timedelta(seconds=30))


def _always_fails(task_input: Any, context: Any) -> Any:
    raise TaskFailed("Boom", "always")


def _items(rt: LocalRuntime, execution_id: str) -> list[dict[str, Any]]:
    response = rt.session.client("dynamodb").query(
        TableName=rt.resources.ref("ExecutionsTable"),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"X#{execution_id}"}},
    )
    return response["Items"]


def test_a_closed_execution_and_all_its_items_expire_after_the_retention():
    with LocalRuntime(settings=Settings(retention_days=30)) as rt:
        # Random data does not compress: the output is stored apart, as a payload item.
        execution_id = rt.start(LOOP, {"stop": True, "pad": secrets.token_hex(2000)})
        result = rt.run_until_complete(execution_id)
        head = rt.store.get_head(execution_id)
        items = _items(rt, execution_id)
    assert result.status == "SUCCEEDED"
    expiry = {item["sk"]["S"][:2]: int(item["expiresAt"]["N"]) for item in items}
    assert expiry["HE"] == epoch_seconds(head.stop_date + timedelta(days=30))
    assert {"HE", "H#", "P#"} <= set(expiry)  # the head, history and a spilled payload
    assert all(int(i["expiresAt"]["N"]) >= expiry["HE"] for i in items)
    assert "sws" not in next(i for i in items if i["sk"]["S"] == "HEAD")  # left the index


def test_an_execution_running_longer_than_the_horizon_keeps_its_items_until_retention_ends():
    # Retention 1 day, horizon 1 day: the first items would expire 2 days after the start,
    # while the 2-day Wait still runs, unless the sweeper raises them (due 1 day before).
    day = 86400
    definition = {
        "StartAt": "Long",
        "States": {"Long": {"Type": "Wait", "Seconds": 2 * day, "End": True}},
    }
    with LocalRuntime(settings=Settings(retention_days=1, item_horizon_days=1)) as rt:
        execution_id = rt.start(definition, {"a": 1})
        rt.advance(1.5 * day)
        midway = rt.clock.now()
        midway_status = rt.store.get_head(execution_id).status
        # A running head never expires; every other item must outlive the next day.
        while_running = [i for i in _items(rt, execution_id) if i["sk"]["S"] != "HEAD"]
        result = rt.run_until_complete(execution_id)
        rt.advance(120)  # the sweeper tops the items up once more after the close, if due
        head = rt.store.get_head(execution_id)
        items = _items(rt, execution_id)
    assert (midway_status, result.status) == ("RUNNING", "SUCCEEDED")
    assert while_running
    at_least = epoch_seconds(midway + timedelta(days=1))  # a day's margin, at the least
    assert all(int(i["expiresAt"]["N"]) >= at_least for i in while_running), while_running
    kept_until = epoch_seconds(head.stop_date + timedelta(days=1))
    assert all(int(item["expiresAt"]["N"]) >= kept_until for item in items), items
    assert "sws" not in next(i for i in items if i["sk"]["S"] == "HEAD")


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_a_setting_that_is_not_a_positive_number_is_refused_with_its_name(value):
    with pytest.raises(ValueError, match="STEPLANE_MAX_TRANSITIONS"):
        Settings.from_environment({"STEPLANE_MAX_TRANSITIONS": value})


def test_an_execution_past_its_timeout_seconds_ends_timed_out_on_the_virtual_clock():
    definition = {
        "TimeoutSeconds": 60,
        "StartAt": "Nap",
        "States": {"Nap": {"Type": "Wait", "Seconds": 3600, "End": True}},
    }
    with LocalRuntime() as rt:
        started = rt.clock.now()
        execution_id = rt.start(definition, {})
        result = rt.run_until_complete(execution_id)
        status, body = rt.http("GET", f"/executions/{execution_id}")
    assert (result.status, result.error) == ("TIMED_OUT", "States.Timeout")
    assert result.history[-1]["type"] == "ExecutionTimedOut"
    assert (status, body["status"]) == (200, "TIMED_OUT")
    assert rt.clock.now() - started < timedelta(seconds=3600)
