"""The pure side of Parallel and Map: parking on children, and what their outcome does."""

from __future__ import annotations

from steplane.execution import ExecutionStatus, FanOut
from steplane.interpreter.decisions import Ignore, StepLanes, Transition
from steplane.interpreter.signals import ChildEnded, FanIn
from tests.unit.interpreter.harness import Driver

MAP = {
    "StartAt": "M",
    "States": {
        "M": {
            "Type": "Map",
            "MaxConcurrency": 2,
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
            "End": True,
        }
    },
}


def _parked() -> Driver:
    run = Driver(MAP)
    decision = run.begin([10, 20, 30])
    assert isinstance(decision, Transition)
    return run


def test_entering_a_map_parks_on_its_items_and_launches_its_lanes() -> None:
    run = _parked()
    assert run.head.waiting == FanOut(total=3, lanes=2)
    visit = run.head.entered_version
    assert run.last is not None
    assert isinstance(run.last, Transition)
    assert run.last.commands == (StepLanes("wf:x", visit, 0, 1),)


def test_the_fan_in_of_the_visit_moves_on_with_the_outputs_in_order() -> None:
    run = _parked()
    results = tuple(ChildEnded(i, True, output=v) for i, v in enumerate(["a", "b", "c"]))
    run.apply(FanIn(run.head.entered_version, results=results))
    assert run.head.status is ExecutionStatus.SUCCEEDED
    assert run.head.data == ["a", "b", "c"]


def test_a_fan_in_for_a_visit_that_has_passed_is_ignored() -> None:
    run = _parked()
    results = tuple(ChildEnded(i, True, output=i) for i in range(3))
    decision = run.apply(FanIn(run.head.entered_version - 1, results=results))
    assert isinstance(decision, Ignore)
    assert run.head.status is ExecutionStatus.RUNNING


def test_a_retry_of_a_map_that_failed_before_parking_is_not_the_previous_visits() -> None:
    # An empty Map entered right after a Parallel's fan-in fails in its Output; its
    # Retry must not take the Parallel's visit (three children) for its own.
    branches = [
        {"StartAt": f"B{n}", "States": {f"B{n}": {"Type": "Pass", "End": True}}} for n in range(3)
    ]
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {
            "P": {"Type": "Parallel", "Branches": branches, "Next": "M"},
            "M": {
                "Type": "Map",
                "Items": [],
                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
                "Output": "{% $error('no') %}",
                "Retry": [{"ErrorEquals": ["States.QueryEvaluationError"]}],
                "End": True,
            },
        },
    }
    run = Driver(definition)
    run.begin({})
    results = tuple(ChildEnded(i, True, output=i) for i in range(3))
    run.apply(FanIn(run.head.entered_version, results=results))
    assert run.head.status is ExecutionStatus.FAILED
    assert run.head.error == "States.QueryEvaluationError"
    assert run.head.waiting is None
