"""The drawing of a definition: layout, outcomes of a run's states, Mermaid text."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from steplane import TaskFailed
from steplane.definition.loader import Definition, load_definition
from steplane.definition.machine import StateMachine
from steplane.graph import Graph, layout, outcomes, state_outcomes, to_json, to_mermaid

BOOM = "arn:aws:lambda:us-east-1:123456789012:function:Boom"
FLAKY = "arn:aws:lambda:us-east-1:123456789012:function:Flaky"

# Start -> Check; Check's rule -> Work, its Default -> Done; Work loops back to Check, and
# its Catch leads to Recover -> Done.
LOOP = {
    "StartAt": "Check",
    "States": {
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericLessThan": 3, "Next": "Work"}],
            "Default": "Done",
        },
        "Work": {
            "Type": "Task",
            "Resource": BOOM,
            "Catch": [{"ErrorEquals": ["Boom", "States.Timeout"], "Next": "Recover"}],
            "Next": "Check",
        },
        "Recover": {"Type": "Pass", "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}


def _layers(graph: Graph) -> dict[str, int]:
    return {node.id: node.layer for node in graph.nodes}


# -- layout ----------------------------------------------------------------------------


def test_a_loop_with_a_choice_and_a_catch_is_laid_out_in_rows_by_longest_path() -> None:
    graph = layout(load_definition(LOOP))
    assert _layers(graph) == {
        "__start__": 0,
        "Check": 1,
        "Work": 2,
        "Recover": 3,
        "Done": 4,  # below Recover, its longest way from Start
        "__end__": 5,
    }
    edges = [(e.source, e.target, e.kind, e.label) for e in graph.edges]
    assert edges == [
        ("__start__", "Check", "start", None),
        ("Check", "Work", "choice", "$.n < 3"),
        ("Check", "Done", "default", "Default"),
        ("Work", "Check", "next", None),
        ("Work", "Recover", "catch", "Boom, States.Timeout"),
        ("Recover", "Done", "next", None),
        ("Done", "__end__", "end", None),
    ]
    assert [(n.label, n.type) for n in graph.nodes][0::5] == [("Start", "Start"), ("End", "End")]


def test_every_edge_joins_nodes_of_the_graph_at_their_borders() -> None:
    graph = layout(load_definition(LOOP))
    ids = {node.id for node in graph.nodes}
    for edge in graph.edges:
        assert {edge.source, edge.target} <= ids
        source, target = graph.node(edge.source), graph.node(edge.target)
        (x0, y0), (x1, y1) = edge.points[0], edge.points[-1]
        assert source.x <= x0 <= source.x + source.width
        assert source.y <= y0 <= source.y + source.height
        assert target.x <= x1 <= target.x + target.width
        assert target.y <= y1 <= target.y + target.height


def test_a_back_edge_goes_round_the_right_of_every_box() -> None:
    graph = layout(load_definition(LOOP))
    back = next(e for e in graph.edges if (e.source, e.target) == ("Work", "Check"))
    right = max(node.x + node.width for node in graph.nodes)
    assert len(back.points) == 4
    assert right < back.points[1][0] == back.points[2][0] <= graph.width
    straight = next(e for e in graph.edges if (e.source, e.target) == ("Check", "Work"))
    check, work = graph.node("Check"), graph.node("Work")
    assert straight.points == (
        (check.x + check.width // 2, check.y + check.height),
        (work.x + work.width // 2, work.y),
    )


def test_no_two_nodes_overlap_and_all_are_inside_the_graph() -> None:
    for source in (LOOP, "statemachines/user_onboarding.json"):
        graph = layout(load_definition(source))
        for a, b in itertools.combinations(graph.nodes, 2):
            apart = (
                a.x + a.width <= b.x
                or b.x + b.width <= a.x
                or a.y + a.height <= b.y
                or b.y + b.height <= a.y
            )
            assert apart, (a, b)
        for node in graph.nodes:
            assert node.x >= 0
            assert node.x + node.width <= graph.width
            assert node.y >= 0
            assert node.y + node.height <= graph.height


def test_the_layout_is_the_same_every_time() -> None:
    first = layout(load_definition(LOOP))
    assert layout(load_definition(LOOP)) == first
    assert to_json(layout(load_definition(LOOP))) == to_json(first)


def test_a_row_is_ordered_under_its_predecessors() -> None:
    # Written E before D: left in definition order, B -> D and C -> E would cross.
    definition = {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.left", "BooleanEquals": True, "Next": "B"}],
                "Default": "C",
            },
            "E": {"Type": "Succeed"},
            "B": {"Type": "Pass", "Next": "D"},
            "C": {"Type": "Pass", "Next": "E"},
            "D": {"Type": "Succeed"},
        },
    }
    graph = layout(load_definition(definition))
    row = sorted((n for n in graph.nodes if n.layer == 3), key=lambda n: n.x)
    assert [n.id for n in row] == ["D", "E"]
    assert graph.node("B").x < graph.node("C").x


def test_states_nothing_reaches_are_in_a_last_row_and_self_loops_go_round() -> None:
    # The loader refuses unreachable states; a model built without its checks has them.
    document = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "End": True},
            "B": {"Type": "Pass", "Next": "A"},
            "C": {"Type": "Pass", "Next": "C"},
        },
    }
    machine = StateMachine.model_validate(document)
    graph = layout(Definition(machine, document, "hash"))
    assert _layers(graph) == {"__start__": 0, "A": 1, "__end__": 2, "B": 3, "C": 3}
    loop = next(e for e in graph.edges if e.source == e.target == "C")
    assert loop.points[0] != loop.points[-1]


def test_parallel_and_map_are_single_nodes_naming_their_type() -> None:
    def branch(name: str) -> dict[str, Any]:
        return {"StartAt": name, "States": {name: {"Type": "Pass", "End": True}}}

    definition = {
        "StartAt": "Fan",
        "States": {
            "Fan": {"Type": "Parallel", "Branches": [branch("One"), branch("Two")], "Next": "Each"},
            "Each": {"Type": "Map", "ItemProcessor": branch("Item"), "End": True},
        },
    }
    graph = layout(load_definition(definition))
    assert [(n.id, n.label, n.type) for n in graph.nodes[1:-1]] == [
        ("Fan", "Fan: Parallel (2 branches)", "Parallel"),
        ("Each", "Each: Map", "Map"),
    ]


def test_start_and_end_ids_never_take_a_state_name() -> None:
    definition = {"StartAt": "__start__", "States": {"__start__": {"Type": "Succeed"}}}
    graph = layout(load_definition(definition))
    assert [n.id for n in graph.nodes] == ["__start___", "__start__", "__end__"]
    assert graph.edges[0].source == "__start___"


def test_the_json_shape() -> None:
    definition = {"StartAt": "Only", "States": {"Only": {"Type": "Succeed"}}}
    shown = to_json(layout(load_definition(definition)), {"Only": "succeeded"})
    assert set(shown) == {"nodes", "edges", "width", "height"}
    assert shown["nodes"][1] == {
        "id": "Only",
        "label": "Only",
        "type": "Succeed",
        "x": 24,
        "y": 120,
        "width": 80,
        "height": 40,
        "outcome": "succeeded",
    }
    assert "outcome" not in shown["nodes"][0]
    assert shown["edges"][0] == {
        "source": "__start__",
        "target": "Only",
        "kind": "start",
        "points": [[64, 64], [64, 120]],
    }


# -- outcomes, from real runs ----------------------------------------------------------


def _task(resource: str, **fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": resource, **fields}


RUNS: dict[str, dict[str, Any]] = {
    "caught": {
        "StartAt": "Charge",
        "States": {
            "Charge": _task(BOOM, Catch=[{"ErrorEquals": ["Boom"], "Next": "Refund"}], End=True),
            "Refund": {"Type": "Pass", "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    },
    "retried": {
        "StartAt": "Provision",
        "States": {
            "Provision": _task(FLAKY, Retry=[{"ErrorEquals": ["Flaky"]}], End=True),
        },
    },
    "retried then caught": {
        "StartAt": "Charge",
        "States": {
            "Charge": _task(
                BOOM,
                Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1}],
                Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Refund"}],
                End=True,
            ),
            "Refund": {"Type": "Pass", "End": True},
        },
    },
    "failed in a task": {
        "StartAt": "Prepare",
        "States": {"Prepare": {"Type": "Pass", "Next": "Charge"}, "Charge": _task(BOOM, End=True)},
    },
    "failed in a Fail state": {
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Next": "Give up"},
            "Give up": {"Type": "Fail", "Error": "No", "Cause": "none"},
        },
    },
    "parallel retried then caught": {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "B", "States": {"B": _task(BOOM, End=True)}}],
                "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}],
                "End": True,
            },
            "Recover": {"Type": "Pass", "End": True},
        },
    },
    "loop": {
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericLessThan": 2, "Next": "Count"}],
                "Default": "Done",
            },
            "Count": {
                "Type": "Pass",
                "Parameters": {"n.$": "States.MathAdd($.n, 1)"},
                "Next": "Check",
            },
            "Done": {"Type": "Succeed"},
        },
    },
}
WAITING = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 3600, "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}


def _boom(task_input: Any, context: Any) -> Any:
    raise TaskFailed("Boom", "always")


def _history(rt: Any, execution_id: str) -> list[dict[str, Any]]:
    status, body = rt.http("GET", f"/executions/{execution_id}/history")
    assert status == 200
    assert not body.get("nextToken")
    return list(body["events"])


@pytest.fixture(scope="module")
def histories() -> dict[str, list[dict[str, Any]]]:
    """The API's history of a run of each of ``RUNS``, ``"running"`` (parked in a Wait)
    and ``"aborted"`` (stopped in that Wait), on one local runtime."""
    from steplane.local import LocalRuntime  # noqa: PLC0415 - moto only for these tests

    flaky_calls = itertools.count(1)

    def flaky(task_input: Any, context: Any) -> Any:
        if next(flaky_calls) < 3:
            raise TaskFailed("Flaky", "try again")
        return task_input

    found: dict[str, list[dict[str, Any]]] = {}
    with LocalRuntime() as rt:
        rt.register(BOOM, _boom)
        rt.register(FLAKY, flaky)
        for name, definition in RUNS.items():
            execution_id = rt.start(definition, {"n": 0})
            rt.run_until_complete(execution_id)
            found[name] = _history(rt, execution_id)
        for name in ("running", "aborted"):
            execution_id = rt.start(WAITING, {}, name=name)
            rt.advance(1)  # the Wait is an hour: it is still waiting
            found[name] = _history(rt, execution_id)
        stopped = rt.http("POST", f"/executions/{execution_id}/stop", {"error": "Halt"})
        assert stopped[0] == 200
        found["aborted"] = _history(rt, execution_id)
    return found


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        ("caught", {"Charge": "caught", "Refund": "succeeded", "Done": "succeeded"}),
        ("retried", {"Provision": "retried"}),
        ("retried then caught", {"Charge": "caught", "Refund": "succeeded"}),
        ("failed in a task", {"Prepare": "succeeded", "Charge": "failed"}),
        ("failed in a Fail state", {"Prepare": "succeeded", "Give up": "failed"}),
        ("parallel retried then caught", {"Fan": "caught", "Recover": "succeeded"}),
        ("loop", {"Check": "succeeded", "Count": "succeeded", "Done": "succeeded"}),
        ("running", {"Prepare": "succeeded", "Pause": "running"}),
        ("aborted", {"Prepare": "succeeded", "Pause": "failed"}),
    ],
)
def test_outcomes_of_real_runs(
    histories: dict[str, list[dict[str, Any]]], run: str, expected: dict[str, str]
) -> None:
    assert outcomes(histories[run]) == expected


def test_attempts_and_visits_of_real_runs(histories: dict[str, list[dict[str, Any]]]) -> None:
    retried = state_outcomes(histories["retried"])["Provision"]
    assert (retried.outcome, retried.attempts, retried.visits) == ("retried", 3, 1)
    caught = state_outcomes(histories["retried then caught"])["Charge"]
    assert (caught.attempts, caught.visits) == (2, 1)
    assert state_outcomes(histories["failed in a task"])["Charge"].attempts == 1
    looped = state_outcomes(histories["loop"])
    assert (looped["Check"].visits, looped["Count"].visits) == (3, 2)


# -- outcomes, from events shaped like a run's -----------------------------------------


def _events(*rows: tuple[str, str | None]) -> list[dict[str, Any]]:
    """Events as the API gives them, from ``(type, state)`` pairs."""
    return [
        {"id": i, "type": kind, "timestamp": "2030-01-01T00:00:00+00:00"}
        | ({"state": state} if state else {})
        for i, (kind, state) in enumerate(rows, 1)
    ]


def test_a_redriven_execution_runs_again_and_its_failed_state_can_succeed() -> None:
    failed = [
        ("ExecutionStarted", None),
        ("TaskStateEntered", "Charge"),
        ("TaskScheduled", "Charge"),
        ("TaskFailed", "Charge"),
        ("ExecutionFailed", None),
    ]
    assert outcomes(_events(*failed)) == {"Charge": "failed"}
    redriven = [*failed, ("ExecutionRedriven", None)]
    assert outcomes(_events(*redriven)) == {"Charge": "running"}
    entered_again = [
        *redriven,
        ("TaskStateEntered", "Charge"),
        ("TaskScheduled", "Charge"),
        ("TaskSucceeded", "Charge"),
        ("TaskStateExited", "Charge"),
        ("ExecutionSucceeded", None),
    ]
    assert outcomes(_events(*entered_again)) == {"Charge": "succeeded"}
    resumed = [*redriven, ("TaskScheduled", "Charge"), ("TaskStateExited", "Charge")]
    assert outcomes(_events(*resumed)) == {"Charge": "retried"}


def test_a_failure_followed_by_the_next_state_without_an_exit_was_caught() -> None:
    events = _events(
        ("TaskStateEntered", "Charge"),
        ("TaskFailed", "Charge"),
        ("PassStateEntered", "Refund"),
    )
    assert outcomes(events) == {"Charge": "caught", "Refund": "running"}


def test_a_retry_on_any_visit_wins_over_a_later_plain_success() -> None:
    visit = [("TaskStateEntered", "Work"), ("TaskScheduled", "Work")]
    events = _events(
        *visit,
        ("TaskFailed", "Work"),
        ("TaskScheduled", "Work"),
        ("TaskStateExited", "Work"),
        *visit,
        ("TaskStateExited", "Work"),
    )
    found = state_outcomes(events)["Work"]
    assert (found.outcome, found.attempts, found.visits) == ("retried", 1, 2)
    # A later visit that is caught is what the state ended with.
    caught = [*events, *_events(*visit, ("TaskFailed", "Work"), ("TaskStateExited", "Work"))]
    assert outcomes(caught) == {"Work": "caught"}


def test_a_timed_out_execution_failed_its_state() -> None:
    events = _events(("WaitStateEntered", "Pause"), ("ExecutionTimedOut", None))
    assert outcomes(events) == {"Pause": "failed"}


# -- Mermaid ---------------------------------------------------------------------------

THREE = {
    "StartAt": "Check",
    "States": {
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Ship"}],
            "Default": "Stop",
        },
        "Ship": _task(BOOM, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Stop"}], End=True),
        "Stop": {"Type": "Fail", "Error": "Refused"},
    },
}


def test_mermaid_text_of_a_small_definition() -> None:
    assert to_mermaid(load_definition(THREE)) == (
        "flowchart TD\n"
        '    sStart(["Start"])\n'
        '    s0{"Check"}\n'
        '    s1("Ship")\n'
        '    s2["Stop"]\n'
        '    sEnd(["End"])\n'
        "    sStart --> s0\n"
        '    s0 -->|"$.ok == true"| s1\n'
        '    s0 -->|"Default"| s2\n'
        '    s1 -.->|"States.ALL"| s2\n'
        "    s1 --> sEnd\n"
        "    s2 --> sEnd\n"
    )


def test_mermaid_classes_colour_the_visited_states() -> None:
    text = to_mermaid(
        load_definition(THREE), {"Check": "succeeded", "Ship": "caught", "Stop": "failed"}
    )
    lines = text.splitlines()
    assert "    classDef succeeded fill:#d4f7d4,stroke:#2e7d32" in lines
    assert {line.split()[1] for line in lines if line.startswith("    classDef ")} == {
        "succeeded",
        "failed",
        "caught",
        "retried",
        "running",
    }
    assert lines[-3:] == ["    class s0 succeeded", "    class s2 failed", "    class s1 caught"]
    assert "classDef" not in to_mermaid(load_definition(THREE))


def test_mermaid_escapes_a_state_name_with_quotes_and_brackets() -> None:
    name = 'Say "hi" [now] {#1} <b>'
    definition = {
        "StartAt": name,
        "States": {name: {"Type": "Task", "Resource": BOOM, "End": True}},
    }
    text = to_mermaid(load_definition(definition), {name: "running"})
    assert '    s0("Say #quot;hi#quot; [now] {#35;1} #60;b#62;")\n' in text
    assert "    sStart --> s0\n" in text
    assert text.endswith("    class s0 running\n")
