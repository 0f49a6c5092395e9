"""The pure side of Parallel and Map: parking on children, and what their outcome does."""

from __future__ import annotations

from steplane.execution import ExecutionStatus, FanOut
from steplane.interpreter.decisions import Ignore, StepLanes, Transition
from steplane.interpreter.signals import ChildEnded, FanIn, ItemsRead
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


DISTRIBUTED = {
    "StartAt": "M",
    "States": {
        "M": {
            **MAP["States"]["M"],
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "P",
                "States": {"P": {"Type": "Pass", "End": True}},
            },
        }
    },
}


def test_a_map_run_parks_reading_its_items_then_runs_them_on_lanes() -> None:
    run = Driver(DISTRIBUTED)
    run.begin([10, 20, 30])
    visit = run.head.entered_version
    assert run.head.waiting == FanOut(3, 2, reading=True)
    assert isinstance(run.last, Transition)
    assert run.last.commands == (StepLanes("wf:x", visit, 0, 0, read=True),)
    run.apply(ItemsRead(visit, total=2, items=3))  # batched into two children
    assert run.head.waiting == FanOut(2, 2, stored=True, items=3)
    assert run.head.entered_version == visit  # the same visit: its children's names
    assert run.last.commands == (StepLanes("wf:x", visit, 0, 1),)


def test_items_read_for_a_visit_not_reading_are_ignored() -> None:
    # A late copy of the read's signal (the parent already runs its children) changes
    # nothing: the lanes are not re-planned.
    run = Driver(DISTRIBUTED)
    run.begin([10, 20, 30])
    visit = run.head.entered_version
    run.apply(ItemsRead(visit, total=3, items=3))
    decision = run.apply(ItemsRead(visit, total=1, items=1))
    assert isinstance(decision, Ignore)
    assert run.head.waiting == FanOut(3, 2, stored=True, items=3)


def test_an_inline_map_with_no_tolerance_fails_with_its_items_error() -> None:
    # [spec] "If any iteration fails ... the entire Map State is considered to have
    # failed": the item's own error, not a Map Run's threshold error.
    run = _parked()
    failure = ChildEnded(1, False, error="Boom", cause="it broke")
    run.apply(FanIn(run.head.entered_version, failures=(failure,), failed=1))
    assert (run.head.status, run.head.error) == (ExecutionStatus.FAILED, "Boom")
