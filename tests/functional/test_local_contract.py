"""The LocalRuntime contract of design.md, for both spellings and every definition form."""

from __future__ import annotations

import json

import pytest

import steplane
from steplane.local import LocalRuntime

ECHO = "arn:aws:lambda:us-east-1:123456789012:function:Echo"
ASL = {
    "StartAt": "Echo",
    "States": {
        "Echo": {"Type": "Task", "Resource": ECHO, "ResultPath": "$.echo", "Next": "Wait"},
        "Wait": {"Type": "Wait", "Seconds": 86400, "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}
FOUNDING = {
    "WorkflowName": "Greeter",
    "StartState": "Greet",
    "States": {"Greet": {"Type": "Task", "Service": "Greeting", "Action": "greet", "End": True}},
}


def echo(task_input, context):
    return {"seen": task_input, "attempt": context.attempt}


@pytest.mark.parametrize("form", ["dict", "json", "path"])
def test_asl_definition_runs_from_a_dict_a_json_string_or_a_path(form, tmp_path):
    source = {"dict": ASL, "json": json.dumps(ASL), "path": tmp_path / "echo.json"}[form]
    (tmp_path / "echo.json").write_text(json.dumps(ASL))
    with LocalRuntime() as rt:
        rt.register(ECHO, echo)
        result = rt.run_until_complete(rt.start(source, {"x": 1}))
    assert (result.status, result.error, result.cause) == ("SUCCEEDED", None, None)
    assert result.output == {"x": 1, "echo": {"seen": {"x": 1}, "attempt": 1}}
    waited = [e for e in result.history if e["type"] in ("WaitStateEntered", "WaitStateExited")]
    assert len(waited) == 2  # a one-day Wait, skipped by the virtual clock


@pytest.mark.parametrize("form", ["dict", "json"])
def test_founding_spelling_runs_with_service_and_action(form):
    source = FOUNDING if form == "dict" else json.dumps(FOUNDING)
    with LocalRuntime() as rt:
        rt.register("Greeting", "greet", lambda data, ctx: {"hello": data["who"]})
        result = rt.run_until_complete(rt.start(source, {"who": "ada"}))
    assert (result.status, result.output) == ("SUCCEEDED", {"hello": "ada"})


def test_task_failed_sets_the_error_name_and_other_exceptions_a_lambda_error_document():
    def refuse(data, ctx):
        raise steplane.TaskFailed("Refused", "not today")

    def crash(data, ctx):
        raise KeyError("missing")

    with LocalRuntime() as rt:
        rt.register("Greeting", "greet", refuse)
        refused = rt.run_until_complete(rt.start(FOUNDING, {}))
    with LocalRuntime() as rt:
        rt.register("Greeting", "greet", crash)
        crashed = rt.run_until_complete(rt.start(FOUNDING, {}))
    assert (refused.status, refused.error, refused.cause) == ("FAILED", "Refused", "not today")
    assert (crashed.status, crashed.error) == ("FAILED", "KeyError")
    # As Step Functions records a Lambda function error: the runtime's error document.
    crash_report = json.loads(crashed.cause or "")
    assert (crash_report["errorMessage"], crash_report["errorType"]) == ("'missing'", "KeyError")
    assert "in crash" in crash_report["stackTrace"][0]


def test_a_task_with_no_registered_handler_fails_with_a_clear_error():
    with LocalRuntime() as rt:
        result = rt.run_until_complete(rt.start(FOUNDING, {}))
    assert result.status == "FAILED"
    assert result.error == "Steplane.HandlerNotFound"
    assert "greet" in (result.cause or "")


@pytest.mark.parametrize(
    ("returned", "error", "cause"),
    [
        (object(), "Steplane.ResultNotSerializable", "not JSON-serialisable"),
        ({"blob": "x" * 300_000}, "States.DataLimitExceeded", "the limit is 262144 bytes"),
    ],
)
def test_a_result_that_cannot_be_sent_fails_only_its_task(returned, error, cause):
    # The other tasks of the same worker batch still report; the bad one fails clearly
    # instead of crashing the batch into redelivery.
    with LocalRuntime() as rt:
        rt.register("Greeting", "greet", lambda data, ctx: returned if data["bad"] else data)
        bad = rt.start(FOUNDING, {"bad": True}, name="bad")
        good = rt.start(FOUNDING, {"bad": False}, name="good")
        bad_result = rt.run_until_complete(bad)
        good_result = rt.run_until_complete(good)
    assert (bad_result.status, bad_result.error) == ("FAILED", error)
    assert cause in (bad_result.cause or "")
    assert (good_result.status, good_result.output) == ("SUCCEEDED", {"bad": False})
