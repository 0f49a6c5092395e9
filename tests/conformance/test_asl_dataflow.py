"""InputPath, OutputPath, ResultPath, Pass Result, Succeed and Fail, and the payload quota.

Sources quoted below:
- [spec] Amazon States Language, "Input and Output Processing with JSONPath", "Pass State",
  "Succeed State", "Fail State", "JSONPath Runtime Errors".
- [guide] AWS Step Functions Developer Guide, "ResultPath" and "Handling errors in Step
  Functions workflows"; [api] AWS Step Functions API Reference, "StateExitedEventDetails".
"""

from __future__ import annotations

import json
from typing import Any

from steplane.execution import ExecutionStatus
from steplane.interpreter.signals import Wake, WakePurpose
from tests.unit.interpreter.harness import Driver


def run_pass(data: Any, **fields: Any) -> Driver:
    """Run a single Pass state ``P`` with ``fields`` on ``data``."""
    run = Driver({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True, **fields}}})
    run.begin(data)
    return run


def run_task(data: Any, result: Any, **fields: Any) -> Driver:
    """Run a single Task ``T`` with ``fields``; the worker returns ``result``."""
    run = Driver(
        {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": True, **fields}}}
    )
    run.begin(data)
    if run.head.status is ExecutionStatus.RUNNING:
        run.succeed(result)
    return run


def failed(run: Driver) -> str | None:
    assert run.head.status is ExecutionStatus.FAILED, run.head
    return run.head.error


# --- ResultPath -----------------------------------------------------------------------


def test_default_result_path_replaces_the_whole_input():
    # [guide] ResultPath: "If you don't specify a ResultPath, the default behavior is as if
    # you had specified "ResultPath": "$" ... the state input is completely replaced".
    assert run_task({"a": 1}, "Hello").head.data == "Hello"
    assert run_task({"a": 1}, {"b": 2}, ResultPath="$").head.data == {"b": 2}


def test_result_path_null_discards_the_result_and_keeps_the_raw_input():
    # [spec] "If the value of ResultPath is null, that means that the state's result is
    # discarded and its raw input becomes its result." -- raw, i.e. before InputPath.
    run = run_task({"args": {"x": 1}, "keep": True}, {"y": 2}, InputPath="$.args", ResultPath=None)
    assert run.head.data == {"args": {"x": 1}, "keep": True}


def test_result_path_into_a_new_nested_field_constructs_intervening_objects():
    # [spec] "Otherwise, a new field is created in the state output, with intervening fields
    # constructed as necessary" -- "$.master.result.sum" example.
    data = {"master": {"detail": [1, 2, 3]}}
    run = run_task(data, 6, ResultPath="$.master.result.sum")
    assert run.head.data == {"master": {"detail": [1, 2, 3], "result": {"sum": 6}}}


def test_result_path_onto_an_existing_field_overwrites_it():
    # [spec] "If the raw input has a field at the location addressed by the ResultPath value
    # then in the output that field is discarded and overwritten by the state's result."
    run = run_task({"master": {"detail": [1, 2, 3]}}, 6, ResultPath="$.master.detail")
    assert run.head.data == {"master": {"detail": 6}}


def test_result_path_on_a_non_object_input_is_result_path_match_failure():
    # [spec] JSONPath Runtime Errors: "Suppose a state's input is the string "foo", and its
    # "ResultPath" field has the value "$.x". Then ResultPath cannot apply and the
    # interpreter fails the machine with an Error Name of "States.ResultPathMatchFailure"."
    assert failed(run_task("foo", 1, ResultPath="$.x")) == "States.ResultPathMatchFailure"
    assert failed(run_pass("foo", Result=1, ResultPath="$.x")) == "States.ResultPathMatchFailure"


def test_result_path_places_into_the_raw_input_not_the_effective_input():
    # [spec] ResultPath "specifies the raw input's combination with or replacement by the
    # state's result" (the "numbers"/"sum" example keeps "title").
    data = {"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}}
    run = run_task(data, 7, InputPath="$.numbers", ResultPath="$.sum")
    assert run.head.data == {**data, "sum": 7}


# --- InputPath / OutputPath -----------------------------------------------------------


def test_input_path_selecting_a_non_object_is_the_task_input():
    # [spec] InputPath "is applied to a State's raw input to select some or all of it; that
    # selection is used by the state, for example in passing to Resources in Task States".
    run = Driver(
        {
            "StartAt": "T",
            "States": {"T": {"Type": "Task", "Resource": "r", "InputPath": "$.l[1]", "End": True}},
        }
    )
    run.begin({"l": ["a", 42]})
    assert run.dispatch().input == 42


def test_input_path_null_gives_an_empty_object_and_output_path_null_gives_an_empty_object():
    # [spec] "If the value of InputPath is null ... the effective input for the state is an
    # empty JSON object, {}." / "If the value of OutputPath is null ... the effective output
    # from the state is an empty JSON object, {}."
    run = Driver(
        {
            "StartAt": "T",
            "States": {"T": {"Type": "Task", "Resource": "r", "InputPath": None, "End": True}},
        }
    )
    run.begin({"dropped": 1})
    assert run.dispatch().input == {}
    assert run_task({"a": 1}, {"b": 2}, OutputPath=None).head.data == {}
    assert run_pass({"a": 1}, OutputPath=None).head.data == {}


def test_output_path_applies_after_result_path():
    # [spec] OutputPath "is applied to the state's output after the application of
    # ResultPath, producing the effective output".
    run = run_task({"a": 1}, {"deep": [10, 20]}, ResultPath="$.r", OutputPath="$.r.deep[1]")
    assert run.head.data == 20


def test_a_path_that_selects_nothing_fails_with_states_runtime():
    # [guide] States.Runtime: failures "such as attempting to apply InputPath or OutputPath
    # on a null JSON payload"; "A retry or catch on States.ALL won't catch States.Runtime".
    assert failed(run_pass({"a": 1}, InputPath="$.missing")) == "States.Runtime"
    assert failed(run_pass({"a": 1}, OutputPath="$.a.b")) == "States.Runtime"


# --- Pass -----------------------------------------------------------------------------


def test_pass_result_is_placed_by_result_path():
    # [spec] Pass State: "Result ... is treated as the output of a virtual task, and placed
    # as prescribed by the "ResultPath" field" (the "coords" example).
    coords = {"x-datum": 0.381018, "y-datum": 622.2269926397355}
    run = run_pass({"georefOf": "Home"}, Result=coords, ResultPath="$.coords")
    assert run.head.data == {"georefOf": "Home", "coords": coords}
    # A present "Result": null is a result too.
    assert run_pass({"a": 1}, Result=None).head.data is None


def test_pass_without_result_or_result_path_copies_input_to_output():
    # [spec] "if neither "Result" nor "ResultPath" are provided, the Pass State copies its
    # input through to its output."
    data = {"a": [1, {"b": None}], "c": "x"}
    assert run_pass(data).head.data == data


def test_pass_with_input_path_passes_the_selection_on():
    # [spec] "If "Result" is not provided, the output is the input" -- the effective input
    # after InputPath.
    assert run_pass({"a": {"b": 1}, "c": 2}, InputPath="$.a").head.data == {"b": 1}


# --- Succeed / Fail -------------------------------------------------------------------


def test_succeed_output_is_its_input_filtered_by_input_and_output_path():
    # [spec] "The output of a JSONPath Succeed State is the same as its input, possibly
    # modified by "InputPath" and/or "OutputPath"."
    run = Driver(
        {
            "StartAt": "S",
            "States": {"S": {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}},
        }
    )
    run.begin({"a": {"b": [1]}, "z": 0})
    assert (run.head.status, run.head.data) == (ExecutionStatus.SUCCEEDED, [1])


def test_fail_state_without_error_or_cause_still_fails():
    # [spec] "A Fail State MAY have a field named "Error" ... MAY have a field named "Cause"."
    run = Driver({"StartAt": "F", "States": {"F": {"Type": "Fail"}}})
    run.begin({})
    assert run.head.status is ExecutionStatus.FAILED


# --- payload quota --------------------------------------------------------------------

_QUOTA = 256 * 1024


def test_state_output_just_under_the_quota_passes_and_just_over_fails():
    # [guide] States.DataLimitExceeded is reported when "the output of a state is larger
    # than payload size quota" (256 KiB); [api] output "Maximum length of 262144".
    fits = "x" * (_QUOTA - 2)  # a JSON string: two quote characters plus the text
    assert run_pass({}, Result=fits).head.status is ExecutionStatus.SUCCEEDED
    assert failed(run_pass({}, Result=fits + "x")) == "States.DataLimitExceeded"


def test_data_limit_exceeded_is_not_caught_by_states_all():
    # [guide] "States.ALL ... can't catch the States.DataLimitExceeded terminal error".
    run = Driver(
        {
            "StartAt": "T",
            "States": {
                "T": {
                    "Type": "Task",
                    "Resource": "r",
                    "End": True,
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}],
                },
                "C": {"Type": "Pass", "End": True},
            },
        }
    )
    run.begin({})
    run.succeed("x" * _QUOTA)
    assert failed(run) == "States.DataLimitExceeded"


def test_data_limit_exceeded_is_caught_by_a_catcher_that_names_it():
    # [guide] Only "States.ALL ... can't catch the States.DataLimitExceeded terminal error";
    # a Catcher naming States.DataLimitExceeded explicitly catches the oversized output.
    catch = [{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "C", "ResultPath": "$.e"}]
    run = Driver(
        {
            "StartAt": "T",
            "States": {
                "T": {"Type": "Task", "Resource": "r", "End": True, "Catch": catch},
                "C": {"Type": "Pass", "End": True},
            },
        }
    )
    run.begin({"keep": 1})
    run.succeed("x" * _QUOTA)
    assert run.head.status is ExecutionStatus.SUCCEEDED
    assert run.head.data["keep"] == 1
    assert run.head.data["e"]["Error"] == "States.DataLimitExceeded"


def test_a_loop_that_nests_its_input_deeper_and_deeper_fails_with_data_limit_exceeded():
    # Each pass puts the whole input under "$.n": depth grows by one per loop. Past the
    # engine's depth limit (the one its doors enforce) the state fails; nothing crashes.
    run = Driver(
        {
            "StartAt": "Nest",
            "States": {
                "Nest": {"Type": "Pass", "ResultPath": "$.n", "Next": "Nest"},
            },
        }
    )
    run.begin({})
    while run.head.status is ExecutionStatus.RUNNING:  # a long chain yields, then continues
        run.apply(Wake(run.head.version, WakePurpose.CONTINUE))
    assert failed(run) == "States.DataLimitExceeded"
    assert "nested more than" in (run.head.cause or "")


def test_payload_quota_counts_utf8_bytes_not_ascii_escapes():
    # [api] StateExitedEventDetails output: "Length constraints apply to the payload size,
    # and are expressed as bytes in UTF-8 encoding. ... Maximum length of 262144."
    text = "\u00e9" * 120_000  # 240,000 bytes of UTF-8 (+2 quotes): under the quota
    assert len(json.dumps(text, ensure_ascii=False).encode()) < _QUOTA
    assert run_pass({}, Result=text).head.status is ExecutionStatus.SUCCEEDED
