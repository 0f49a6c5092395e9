"""Loading and validating definitions: both spellings, every problem at once, with locations."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from steplane.cli import main
from steplane.definition.loader import load_definition
from steplane.errors import DefinitionError
from steplane.states.task_state import TaskState

ASL_TASK = {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:F", "End": True}


def _problems(document: dict[str, Any] | str) -> dict[str, str]:
    with pytest.raises(DefinitionError) as caught:
        load_definition(document)
    return {p.location: p.message for p in caught.value.problems}


def _machine(**states: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": next(iter(states)), "States": states}


def test_the_founding_definition_loads_in_its_own_spelling(onboarding_path: Path) -> None:
    definition = load_definition(onboarding_path)
    assert definition.name == "UserOnboardingWorkflow"
    assert definition.machine.start_at == "CreateUser"
    provision = definition.state("ProvisionResources")
    assert isinstance(provision, TaskState)
    assert (provision.route, provision.action_name) == (
        "ProvisioningService",
        "provisionUserResources",
    )
    # The founding Retry object is one retrier that applies to every error.
    (retrier,) = provision.retry
    assert retrier.error_equals == ("States.ALL",)
    assert (retrier.interval_seconds, retrier.max_attempts, retrier.backoff_rate) == (5, 3, 2.0)


def test_a_path_a_json_string_and_a_dict_give_the_same_pinned_definition(
    onboarding_path: Path,
) -> None:
    text = onboarding_path.read_text()
    hashes = {load_definition(s).hash for s in (onboarding_path, text, json.loads(text))}
    assert len(hashes) == 1


def test_the_hash_changes_with_the_content(onboarding_path: Path) -> None:
    document = json.loads(onboarding_path.read_text())
    edited = copy.deepcopy(document)
    edited["States"]["ProvisionResources"]["Retry"]["MaxAttempts"] = 4
    assert load_definition(document).hash != load_definition(edited).hash


def test_three_distinct_errors_are_all_reported_with_their_locations(
    tmp_path: Path, capsys
) -> None:
    broken = {
        "StartAt": "Missing",
        "States": {
            "A": {"Type": "Pass", "Next": "Nowhere"},
            "B": {"Type": "Pass", "End": True, "Colour": "blue"},
        },
    }
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    assert main(["validate", str(path)]) == 1
    printed = capsys.readouterr().out
    assert "/StartAt: start state 'Missing' does not exist" in printed
    assert "/States/A/Next: names state 'Nowhere', which does not exist" in printed
    assert "/States/B/Colour: unknown field 'Colour'" in printed


def test_validate_accepts_the_founding_file(onboarding_path: Path, capsys) -> None:
    assert main(["validate", str(onboarding_path)]) == 0
    assert "valid" in capsys.readouterr().out


def test_structural_errors_do_not_hide_cross_reference_errors() -> None:
    problems = _problems(
        _machine(
            A={
                "Type": "Task",
                "Resource": "r",
                "Next": "Gone",
                "Unknown": 1,
                "Retry": [{"ErrorEquals": ["States.ALL", "X"]}],
            },
        )
    )
    assert problems["/States/A/Unknown"] == "unknown field 'Unknown'"
    assert problems["/States/A/Next"] == "names state 'Gone', which does not exist"
    assert problems["/States/A/Retry/0/ErrorEquals"] == "States.ALL must appear alone"


def test_a_state_with_a_bad_field_still_gets_its_flow_and_route_checked() -> None:
    founding = {
        "WorkflowName": "W",
        "StartState": "A",
        "States": {
            "A": {"Type": "Task", "Service": "S", "TimeoutSeconds": -5, "Next": "B", "End": True},
            "B": {"Type": "Succeed"},
        },
    }
    with pytest.raises(DefinitionError) as caught:
        load_definition(founding)
    found = {(p.location, p.message) for p in caught.value.problems}
    assert ("/States/A", "has both Next and End; give exactly one") in found
    assert ("/States/A", "Service and Action go together; Action is missing") in found
    assert any(location == "/States/A/TimeoutSeconds" for location, _ in found)
    assert len(found) == 3


def test_start_at_and_start_state_together_is_one_problem() -> None:
    problems = _problems({"StartAt": "A", "StartState": "A", "States": {"A": {"Type": "Succeed"}}})
    assert problems == {"/StartState": "give StartAt or StartState, not both"}


def test_founding_spelling_problems_are_located_where_the_user_wrote_them() -> None:
    problems = _problems(
        {
            "WorkflowName": "W",
            "StartState": "Nope",
            "States": {
                "A": {
                    "Type": "Task",
                    "Service": "S",
                    "Action": "a",
                    "End": True,
                    "Retry": {"MaxAttempts": -1},
                },
            },
        }
    )
    assert "/StartState" in problems
    assert "/States/A/Retry/MaxAttempts" in problems


@pytest.mark.parametrize(
    ("state", "location", "message"),
    [
        ({"Type": "Pass", "Next": "B", "End": True}, "/States/A", "has both Next and End"),
        ({"Type": "Pass"}, "/States/A", "has neither Next nor End"),
        ({"Type": "Task", "End": True}, "/States/A", "a Task needs Resource"),
        ({**ASL_TASK, "Service": "S", "Action": "a"}, "/States/A", "not both"),
        ({**ASL_TASK, "TimeoutSeconds": 0}, "/States/A/TimeoutSeconds", "an integer >= 1"),
        (
            {"Type": "Wait", "Seconds": 1, "Timestamp": "2026-01-01T00:00:00Z", "End": True},
            "/States/A",
            "exactly one of Seconds",
        ),
        (
            {"Type": "Wait", "Timestamp": "tomorrow", "End": True},
            "/States/A/Timestamp",
            "not an RFC 3339 timestamp",
        ),
        (
            {"Type": "Pass", "InputPath": "foo", "End": True},
            "/States/A/InputPath",
            "'foo' is not a valid path: a path must start with '$'",
        ),
        (
            {"Type": "Pass", "ResultPath": "$.a[*]", "End": True},
            "/States/A/ResultPath",
            "not a valid reference path into the state's data",
        ),
        (
            {"Type": "Pass", "ResultPath": "$$.Execution.Id", "End": True},
            "/States/A/ResultPath",
            "'$$' starts a Context Object path",
        ),
        (
            {**ASL_TASK, "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["E"]}]},
            "/States/A/Retry/0/ErrorEquals",
            "States.ALL must be in the last entry",
        ),
        (
            {**ASL_TASK, "Catch": [{"ErrorEquals": ["States.Nope"], "Next": "B"}]},
            "/States/A/Catch/0/ErrorEquals",
            "'States.Nope' is not a States error",
        ),
        (
            {**ASL_TASK, "Retry": [{"ErrorEquals": ["E"], "BackoffRate": 0.5}]},
            "/States/A/Retry/0/BackoffRate",
            "a number >= 1.0",
        ),
        (
            {**ASL_TASK, "Retry": [{"ErrorEquals": ["E"], "JitterStrategy": "HALF"}]},
            "/States/A/Retry/0/JitterStrategy",
            "FULL",
        ),
        (
            {**ASL_TASK, "Retry": [{"ErrorEquals": []}]},
            "/States/A/Retry/0/ErrorEquals",
            "at least 1",
        ),
        (
            {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": "1", "Next": "B"}]},
            "/States/A/Choices/0/NumericEquals",
            "number",
        ),
        (
            {"Type": "Fail", "Error": "E", "Cause": "c", "Next": "B"},
            "/States/A/Next",
            "unknown field 'Next'",
        ),
        ({"Type": "Banana", "End": True}, "/States/A/Type", "unknown state type 'Banana'"),
        (
            {**ASL_TASK, "Parameters": {"deep": [{"id.$": "States.Fromat($.x)"}]}},
            "/States/A/Parameters/deep/0/id.$",
            "did you mean 'States.Format'?",
        ),
        (
            {**ASL_TASK, "ResultSelector": {"n.$": 5}},
            "/States/A/ResultSelector/n.$",
            "must be a string",
        ),
        ({**ASL_TASK, "Parameters": "$.x"}, "/States/A/Parameters", "must be a JSON object"),
    ],
)
def test_each_problem_names_its_location(
    state: dict[str, Any], location: str, message: str
) -> None:
    problems = _problems(_machine(A=state, B={"Type": "Succeed"}))
    assert location in problems, problems
    assert message in problems[location]


def test_unreachable_states_are_reported() -> None:
    problems = _problems(_machine(A={"Type": "Succeed"}, Orphan={"Type": "Succeed"}))
    assert problems == {"/States/Orphan": "state is unreachable from StartAt"}


def _reading(reader_config: dict[str, Any]) -> dict[str, Any]:
    return _machine(
        A={
            "Type": "Map",
            "End": True,
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "Parameters": {"Bucket": "b", "Key": "k"},
                "ReaderConfig": reader_config,
            },
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "B",
                "States": {"B": {"Type": "Succeed"}},
            },
        }
    )


@pytest.mark.parametrize(
    ("document", "location"),
    [
        (_reading({"InputType": "PARQUET"}), "/States/A/ItemReader/ReaderConfig/InputType"),
        (
            _reading({"InputType": "JSON", "Transformation": "LOAD_AND_FLATTEN"}),
            "/States/A/ItemReader/ReaderConfig/Transformation",
        ),
        (
            _reading({"ManifestType": "S3_INVENTORY"}),
            "/States/A/ItemReader/ReaderConfig/ManifestType",
        ),
    ],
)
def test_features_not_built_yet_are_refused_not_ignored(
    document: dict[str, Any], location: str
) -> None:
    problems = _problems(document)
    assert "not supported yet" in problems[location]


def test_malformed_json_names_the_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "truncated.json"
    path.write_text('{\n  "StartAt": "A",\n  "States": {\n')
    problems = _problems(str(path))
    (message,) = problems.values()
    assert "malformed JSON" in message
    assert "line 4 column 1" in message


def test_a_definition_that_is_not_an_object_is_refused() -> None:
    assert _problems("[1, 2]") == {"": "a definition must be a JSON object"}


def test_a_missing_file_is_named() -> None:
    (message,) = _problems("no/such/definition.json").values()
    assert "no/such/definition.json" in message
