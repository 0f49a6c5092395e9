"""Definition problems in steplane's own words: what was expected, what was given, and a
suggestion when a name looks like a typo of one that exists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from steplane.definition.loader import load_definition
from steplane.errors import DefinitionError, Problem

TASK = {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:F"}
ENDING_TASK = {**TASK, "End": True}


def _problems(document: dict[str, Any]) -> list[Problem]:
    with pytest.raises(DefinitionError) as caught:
        load_definition(document)
    return caught.value.problems


def _by_location(document: dict[str, Any]) -> dict[str, str]:
    return {p.location: p.message for p in _problems(document)}


def _task_machine(**fields: Any) -> dict[str, Any]:
    return {"StartAt": "A", "States": {"A": {**ENDING_TASK, **fields}}}


# One broken definition per kind of structural error the models can raise.
BROKEN = {
    "start-not-a-string": {"StartAt": 5, "States": {"A": {"Type": "Succeed"}}},
    "no-start": {"States": {"A": {"Type": "Succeed"}}},
    "states-an-array": {"StartAt": "A", "States": []},
    "states-empty": {"StartAt": "A", "States": {}},
    "state-not-an-object": {"StartAt": "A", "States": {"A": 5}},
    "type-not-a-string": {"StartAt": "A", "States": {"A": {"Type": 5}}},
    "no-type": {"StartAt": "A", "States": {"A": {"End": True}}},
    "timeout-not-a-number": _task_machine(TimeoutSeconds="x"),
    "timeout-zero": _task_machine(TimeoutSeconds=0),
    "timeout-too-large": _task_machine(TimeoutSeconds=10**12),
    "end-not-a-boolean": _task_machine(End="maybe"),
    "comment-not-a-string": _task_machine(Comment=5),
    "retry-a-string": _task_machine(Retry="x"),
    "retrier-not-an-object": _task_machine(Retry=[5]),
    "error-equals-a-string": _task_machine(Retry=[{"ErrorEquals": "E"}]),
    "error-equals-empty": _task_machine(Retry=[{"ErrorEquals": []}]),
    "error-name-not-a-string": _task_machine(Retry=[{"ErrorEquals": [5]}]),
    "interval-zero": _task_machine(Retry=[{"ErrorEquals": ["E"], "IntervalSeconds": 0}]),
    "interval-huge": _task_machine(Retry=[{"ErrorEquals": ["E"], "IntervalSeconds": 1e30}]),
    "attempts-fractional": _task_machine(Retry=[{"ErrorEquals": ["E"], "MaxAttempts": 1.5}]),
    "attempts-negative": _task_machine(Retry=[{"ErrorEquals": ["E"], "MaxAttempts": -1}]),
    "backoff-a-string": _task_machine(Retry=[{"ErrorEquals": ["E"], "BackoffRate": "x"}]),
    "backoff-below-one": _task_machine(Retry=[{"ErrorEquals": ["E"], "BackoffRate": 0.5}]),
    "max-delay-too-large": _task_machine(Retry=[{"ErrorEquals": ["E"], "MaxDelaySeconds": 10**9}]),
    "jitter-unknown": _task_machine(Retry=[{"ErrorEquals": ["E"], "JitterStrategy": "HALF"}]),
    "catch-an-object": _task_machine(Catch={"ErrorEquals": ["E"], "Next": "A"}),
    "catcher-without-next": _task_machine(Catch=[{"ErrorEquals": ["E"]}]),
    "catch-result-path-an-array": _task_machine(
        Catch=[{"ErrorEquals": ["E"], "Next": "A", "ResultPath": []}]
    ),
    "wait-negative": {
        "StartAt": "A",
        "States": {"A": {"Type": "Wait", "Seconds": -1, "End": True}},
    },
    "choices-empty": {"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": []}}},
    "choices-an-object": {"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": {}}}},
    "machine-timeout-zero": {"StartAt": "A", "TimeoutSeconds": 0, "States": {"A": ENDING_TASK}},
    "version-a-number": {"StartAt": "A", "Version": 1, "States": {"A": ENDING_TASK}},
    "workflow-name-an-array": {"WorkflowName": [], "StartAt": "A", "States": {"A": ENDING_TASK}},
}
PYDANTIC_PHRASES = (
    "Input should",
    "Field required",
    "validation error",
    "type=",
    "should have at least",
    "Unable to",
    "after validation",
    "discriminator",
)


def test_no_problem_message_uses_pydantic_phrasing() -> None:
    offending = [
        (name, str(problem))
        for name, document in BROKEN.items()
        for problem in _problems(document)
        if any(phrase in problem.message for phrase in PYDANTIC_PHRASES)
    ]
    assert offending == []


@pytest.mark.parametrize(
    ("document", "location", "message"),
    [
        (
            BROKEN["attempts-negative"],
            "/States/A/Retry/0/MaxAttempts",
            "must be an integer >= 0, got -1",
        ),
        (BROKEN["timeout-zero"], "/States/A/TimeoutSeconds", "must be an integer >= 1, got 0"),
        (
            BROKEN["timeout-too-large"],
            "/States/A/TimeoutSeconds",
            "must be an integer <= 99999999, got 1000000000000",
        ),
        (
            BROKEN["backoff-below-one"],
            "/States/A/Retry/0/BackoffRate",
            "must be a number >= 1.0, got 0.5",
        ),
        (BROKEN["timeout-not-a-number"], "/States/A/TimeoutSeconds", 'must be an integer, got "x"'),
        (
            BROKEN["attempts-fractional"],
            "/States/A/Retry/0/MaxAttempts",
            "must be an integer, got 1.5",
        ),
        (BROKEN["backoff-a-string"], "/States/A/Retry/0/BackoffRate", 'must be a number, got "x"'),
        (BROKEN["end-not-a-boolean"], "/States/A/End", 'must be true or false, got "maybe"'),
        (BROKEN["comment-not-a-string"], "/States/A/Comment", "must be a string, got 5"),
        (
            BROKEN["error-equals-a-string"],
            "/States/A/Retry/0/ErrorEquals",
            'must be an array, got "E"',
        ),
        (
            BROKEN["error-equals-empty"],
            "/States/A/Retry/0/ErrorEquals",
            "must be an array with at least 1 item, got []",
        ),
        (BROKEN["retrier-not-an-object"], "/States/A/Retry/0", "must be a JSON object, got 5"),
        (
            BROKEN["jitter-unknown"],
            "/States/A/Retry/0/JitterStrategy",
            'must be "FULL" or "NONE", got "HALF"',
        ),
        (BROKEN["states-an-array"], "/States", "must be a JSON object, got []"),
        (BROKEN["states-empty"], "/States", "must be an object with at least 1 entry, got {}"),
        (
            BROKEN["type-not-a-string"],
            "/States/A/Type",
            "must be a state type "
            "(one of Task, Pass, Choice, Wait, Succeed, Fail, Parallel, Map), got 5",
        ),
    ],
)
def test_a_structural_problem_names_what_was_expected_and_what_was_given(
    document: dict[str, Any], location: str, message: str
) -> None:
    assert _by_location(document)[location] == message


def test_an_array_with_one_bad_item_is_not_also_called_too_short() -> None:
    problems = _by_location(BROKEN["error-name-not-a-string"])
    assert problems == {"/States/A/Retry/0/ErrorEquals/0": "must be a string, got 5"}


def test_choices_given_as_an_object_is_one_problem_not_a_rule_per_key() -> None:
    document = {
        "StartAt": "A",
        "States": {"A": {"Type": "Choice", "Choices": {"Variable": "$.x", "Next": "A"}}},
    }
    assert _by_location(document) == {
        "/States/A/Choices": 'must be an array, got {"Variable": "$.x", "Next": "A"}'
    }


def test_a_long_value_is_shown_shortened() -> None:
    (message,) = _by_location(_task_machine(Comment=["x" * 100])).values()
    assert message.startswith('must be a string, got ["xxx')
    assert message.endswith("...")
    assert len(message) < 80


# --- references between states ---------------------------------------------------------


def _onboarding(onboarding_path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(onboarding_path.read_text())
    return document


def test_a_misspelled_next_is_one_problem_with_a_suggestion(onboarding_path: Path) -> None:
    document = _onboarding(onboarding_path)
    document["States"]["ProvisionResources"]["Next"] = "SendWelcomEmail"
    assert _by_location(document) == {
        "/States/ProvisionResources/Next": (
            "names state 'SendWelcomEmail', which does not exist; did you mean 'SendWelcomeEmail'?"
        )
    }


def test_a_misspelled_start_state_is_one_problem_where_the_user_wrote_it(
    onboarding_path: Path,
) -> None:
    document = _onboarding(onboarding_path)
    document["StartState"] = "CreateUsr"
    assert _by_location(document) == {
        "/StartState": "start state 'CreateUsr' does not exist; did you mean 'CreateUser'?"
    }


def _flow(first: dict[str, Any], start: str = "First") -> dict[str, Any]:
    """First -> (its own references) -> Second -> Third: Third is reached only via Second."""
    return {
        "StartAt": start,
        "States": {
            "First": first,
            "Second": {**TASK, "Next": "Third"},
            "Third": {"Type": "Succeed"},
        },
    }


@pytest.mark.parametrize(
    ("document", "location"),
    [
        (_flow({**TASK, "Next": "Secnd"}), "/States/First/Next"),
        (
            _flow(
                {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.x", "IsNull": True, "Next": "Secnd"}],
                }
            ),
            "/States/First/Choices/0/Next",
        ),
        (
            _flow(
                {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.x", "IsNull": True, "Next": "Third"}],
                    "Default": "second",
                }
            ),
            "/States/First/Default",
        ),
        (
            _flow({**TASK, "Next": "Third", "Catch": [{"ErrorEquals": ["E"], "Next": "Secnd"}]}),
            "/States/First/Catch/0/Next",
        ),
        # A state that fails structural validation still has its references followed.
        (_flow({**TASK, "TimeoutSeconds": 0, "Next": "Secnd"}), "/States/First/Next"),
    ],
)
def test_a_dangling_target_suggests_the_close_state_and_invents_no_unreachable_ones(
    document: dict[str, Any], location: str
) -> None:
    problems = _by_location(document)
    assert problems[location].endswith("which does not exist; did you mean 'Second'?")
    assert not any("unreachable" in message for message in problems.values()), problems


def test_a_misspelled_start_at_suggests_the_close_state_and_invents_no_unreachable_ones() -> None:
    problems = _by_location(_flow({**TASK, "Next": "Second"}, start="Frist"))
    assert problems == {"/StartAt": "start state 'Frist' does not exist; did you mean 'First'?"}


def test_a_dangling_target_with_no_close_state_is_the_only_problem() -> None:
    problems = _by_location(_flow({**TASK, "Next": "Elsewhere"}))
    assert problems == {"/States/First/Next": "names state 'Elsewhere', which does not exist"}


def test_an_unreachable_state_is_still_reported_past_a_misspelled_target() -> None:
    document = _flow({**TASK, "Next": "Secnd"})
    document["States"]["Orphan"] = {"Type": "Succeed"}
    problems = _by_location(document)
    assert problems == {
        "/States/First/Next": "names state 'Secnd', which does not exist; did you mean 'Second'?",
        "/States/Orphan": "state is unreachable from StartAt",
    }


def test_an_unreachable_state_hidden_by_an_unguessable_target_shows_once_it_is_fixed() -> None:
    document = _flow({**TASK, "Next": "Elsewhere"})
    document["States"]["Orphan"] = {"Type": "Succeed"}
    assert list(_by_location(document)) == ["/States/First/Next"]
    document["States"]["First"]["Next"] = "Second"
    assert _by_location(document) == {"/States/Orphan": "state is unreachable from StartAt"}


def _choice(*rules: dict[str, Any]) -> dict[str, Any]:
    return {
        "StartAt": "A",
        "States": {"A": {"Type": "Choice", "Choices": list(rules)}, "B": {"Type": "Succeed"}},
    }


def test_a_choice_rule_with_a_problem_still_has_its_next_checked_and_followed() -> None:
    broken_rule = {"Variable": "$.x", "NumericEquals": "1"}
    problems = _by_location(
        _choice({**broken_rule, "Next": "B"}, {**broken_rule, "Next": "Nowhere"})
    )
    assert problems == {
        "/States/A/Choices/0/NumericEquals": 'must be a number (got "1")',
        "/States/A/Choices/1/NumericEquals": 'must be a number (got "1")',
        "/States/A/Choices/1/Next": "names state 'Nowhere', which does not exist",
    }


def test_a_dangling_choice_next_is_located_at_its_own_rule_after_a_broken_one() -> None:
    problems = _by_location(
        _choice(
            {"Variable": "$.x", "NumericEquals": "1", "Next": "B"},
            {"Variable": "$.x", "IsNull": True, "Next": "C"},
        )
    )
    assert problems["/States/A/Choices/1/Next"] == "names state 'C', which does not exist"
    assert "/States/A/Choices/0/Next" not in problems


# --- misspelled fields and state types --------------------------------------------------


def _two_tasks(first: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "A", "States": {"A": first, "B": ENDING_TASK}}


@pytest.mark.parametrize(
    ("first", "location", "message"),
    [
        ({**TASK, "Nxt": "B"}, "/States/A/Nxt", "unknown field 'Nxt'; did you mean 'Next'?"),
        (
            {**TASK, "Next": "B", "Retyr": [{"ErrorEquals": ["E"]}]},
            "/States/A/Retyr",
            "unknown field 'Retyr'; did you mean 'Retry'?",
        ),
        (
            {**TASK, "Next": "B", "Retry": [{"ErorEquals": ["E"]}]},
            "/States/A/Retry/0/ErorEquals",
            "unknown field 'ErorEquals'; did you mean 'ErrorEquals'?",
        ),
        (
            {**TASK, "Next": "B", "Catch": [{"ErrorEqual": ["E"], "Next": "B"}]},
            "/States/A/Catch/0/ErrorEqual",
            "unknown field 'ErrorEqual'; did you mean 'ErrorEquals'?",
        ),
        (
            {"Type": "Tsk", "Resource": "r", "Next": "B"},
            "/States/A/Type",
            "unknown state type 'Tsk'; did you mean 'Task'?",
        ),
        (
            {"Type": "task", "Resource": "r", "Next": "B"},
            "/States/A/Type",
            "unknown state type 'task'; did you mean 'Task'?",
        ),
        (
            {"Typ": "Task", "Resource": "r", "Next": "B"},
            "/States/A/Typ",
            "unknown field 'Typ'; did you mean 'Type'?",
        ),
        (
            {"Type": "Choice", "Choices": [{"Variable": "$.x", "StringEqual": "y", "Next": "B"}]},
            "/States/A/Choices/0/StringEqual",
            "unknown field 'StringEqual'; did you mean 'StringEquals'?",
        ),
        (
            {
                "Type": "Choice",
                "Choices": [{"Not": {"Varible": "$.x", "IsNull": True}, "Next": "B"}],
            },
            "/States/A/Choices/0/Not/Varible",
            "unknown field 'Varible'; did you mean 'Variable'?",
        ),
    ],
)
def test_a_misspelled_field_or_type_is_one_problem_with_a_suggestion(
    first: dict[str, Any], location: str, message: str
) -> None:
    assert _by_location(_two_tasks(first)) == {location: message}


def test_fields_inside_a_misspelled_field_are_still_checked_where_written() -> None:
    problems = _by_location(_task_machine(Retyr=[{"ErrorEquals": ["E"], "MaxAttempts": -1}]))
    assert problems == {
        "/States/A/Retyr": "unknown field 'Retyr'; did you mean 'Retry'?",
        "/States/A/Retyr/0/MaxAttempts": "must be an integer >= 0, got -1",
    }


def test_a_field_with_no_close_match_is_unknown_without_a_suggestion() -> None:
    problems = _by_location(_two_tasks({**TASK, "Nxt": "B", "Colour": "blue"}))
    assert problems == {
        "/States/A/Nxt": "unknown field 'Nxt'; did you mean 'Next'?",
        "/States/A/Colour": "unknown field 'Colour'",
    }


def test_a_misspelling_beside_the_field_it_misspells_is_reported_once() -> None:
    problems = _problems(_two_tasks({**TASK, "Next": "B", "Nxt": "B"}))
    assert [str(p) for p in problems] == [
        "/States/A/Nxt: unknown field 'Nxt'; did you mean 'Next'?"
    ]


def test_a_misspelled_next_in_a_nested_rule_is_told_next_belongs_at_the_top() -> None:
    rule = {"And": [{"Variable": "$.a", "IsNull": True, "Nxt": "B"}], "Next": "B"}
    problems = _problems(_two_tasks({"Type": "Choice", "Choices": [rule]}))
    assert [str(p) for p in problems] == [
        "/States/A/Choices/0/And/0/Nxt: unknown field 'Nxt'; did you mean 'Next'?",
        "/States/A/Choices/0/And/0/Nxt: "
        "Next belongs only in a top-level Choice Rule, not inside And, Or or Not",
    ]


# --- the founding spelling, spoken back -------------------------------------------------


def test_a_misspelled_founding_retry_field_is_located_and_suggested_as_written(
    onboarding_path: Path,
) -> None:
    document = _onboarding(onboarding_path)
    retry = document["States"]["ProvisionResources"]["Retry"]
    retry["IntervalSecond"] = retry.pop("IntervalSeconds")
    assert _by_location(document) == {
        "/States/ProvisionResources/Retry/IntervalSecond": (
            "unknown field 'IntervalSecond'; did you mean 'IntervalSeconds'?"
        )
    }


def test_a_bad_value_in_a_misspelled_founding_retry_field_is_located_as_written(
    onboarding_path: Path,
) -> None:
    document = _onboarding(onboarding_path)
    retry = document["States"]["ProvisionResources"]["Retry"]
    retry.pop("IntervalSeconds")
    retry["IntervalSecond"] = 0
    assert [str(p) for p in _problems(document)] == [
        "/States/ProvisionResources/Retry/IntervalSecond: "
        "unknown field 'IntervalSecond'; did you mean 'IntervalSeconds'?",
        "/States/ProvisionResources/Retry/IntervalSecond: must be an integer >= 1, got 0",
    ]


def test_a_misspelled_start_state_field_suggests_start_state(onboarding_path: Path) -> None:
    document = _onboarding(onboarding_path)
    document["StartStat"] = document.pop("StartState")
    assert _by_location(document) == {
        "/StartStat": "unknown field 'StartStat'; did you mean 'StartState'?"
    }


def test_a_founding_document_without_a_start_misses_start_state(onboarding_path: Path) -> None:
    document = _onboarding(onboarding_path)
    del document["StartState"]
    assert _by_location(document) == {"/StartState": "missing required field 'StartState'"}


def test_an_asl_document_with_a_misspelled_start_at_field_suggests_start_at() -> None:
    problems = _by_location({"StartAtt": "A", "States": {"A": {"Type": "Succeed"}}})
    assert problems == {"/StartAtt": "unknown field 'StartAtt'; did you mean 'StartAt'?"}


def test_misspelled_service_and_action_are_suggested_without_a_route_problem(
    onboarding_path: Path,
) -> None:
    document = _onboarding(onboarding_path)
    state = document["States"]["CreateUser"]
    state["Servce"], state["Acton"] = state.pop("Service"), state.pop("Action")
    assert _by_location(document) == {
        "/States/CreateUser/Servce": "unknown field 'Servce'; did you mean 'Service'?",
        "/States/CreateUser/Acton": "unknown field 'Acton'; did you mean 'Action'?",
    }


# --- the founding WorkflowName ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("User Onboarding", "contains white space"),
        ("onboarding:v2", "contains ':'"),
        ("", "is empty"),
        ("w" * 81, "is 81 characters long; the limit is 80"),
    ],
)
def test_a_workflow_name_that_breaks_the_naming_rule_is_a_problem_at_workflow_name(
    onboarding_path: Path, name: str, reason: str
) -> None:
    document = _onboarding(onboarding_path)
    document["WorkflowName"] = name
    problems = _by_location(document)
    assert list(problems) == ["/WorkflowName"]
    assert problems["/WorkflowName"].startswith(f"workflow name {name!r} {reason}")


def test_state_names_may_hold_what_workflow_names_may_not() -> None:
    document = {
        "WorkflowName": "Onboarding",
        "StartState": "Send welcome: email",
        "States": {"Send welcome: email": {"Type": "Succeed"}},
    }
    assert load_definition(document).machine.start_at == "Send welcome: email"
