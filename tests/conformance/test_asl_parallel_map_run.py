"""Parallel and inline Map, run end to end on the local runtime (child executions on
lanes, see the README's design); each case cites the rule it pins (the ASL spec, the
Step Functions developer guide).
"""

from __future__ import annotations

import json
from typing import Any

from steplane.execution import ExecutionStatus
from steplane.local import LocalRuntime
from steplane.names import child_execution_id
from steplane.queries import describe_execution


def _pass(name: str, **fields: Any) -> dict[str, Any]:
    return {"StartAt": name, "States": {name: {"Type": "Pass", "End": True, **fields}}}


def _task(resource: str, **fields: Any) -> dict[str, Any]:
    return {
        "StartAt": "Work",
        "States": {"Work": {"Type": "Task", "Resource": resource, "End": True, **fields}},
    }


def _one(state: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "S", "States": {"S": {"End": True, **state}}}


def _run(definition: dict[str, Any], data: Any, **workers: Any) -> Any:
    with LocalRuntime() as rt:
        for resource, work in workers.items():
            rt.register(resource, work)
        return rt.run_until_complete(rt.start(definition, data))


def _double(data: Any, _context: Any) -> Any:
    return data * 2


def _boom(data: Any, _context: Any) -> Any:
    if data == "bad":
        raise ValueError("no good")
    return data


# -- Parallel ---------------------------------------------------------------------------


def test_a_parallel_outputs_its_branches_outputs_in_branch_order() -> None:
    # [spec] "The output of a Parallel State is an array containing the results of each
    # branch, in the same order as the branches."; each branch gets the state's input.
    definition = _one(
        {
            "Type": "Parallel",
            "Branches": [
                _task("double", InputPath="$.n"),
                _pass("Echo", Parameters={"got.$": "$.n"}),
                _pass("Fixed", Result="third"),
            ],
        }
    )
    result = _run(definition, {"n": 21}, double=_double)
    assert result.status == ExecutionStatus.SUCCEEDED
    assert result.output == [42, {"got": 21}, "third"]


def test_parameters_result_selector_and_result_path_shape_a_parallel() -> None:
    # [guide] Parallel supports Parameters (each branch's input), ResultSelector (on the
    # array of results) and ResultPath (into the state's input).
    definition = _one(
        {
            "Type": "Parallel",
            "Parameters": {"v.$": "$.value"},
            "Branches": [_pass("A"), _pass("B", Result=2)],
            "ResultSelector": {"first.$": "$[0].v", "second.$": "$[1]"},
            "ResultPath": "$.out",
        }
    )
    result = _run(definition, {"value": 5})
    assert result.output == {"value": 5, "out": {"first": 5, "second": 2}}


def test_a_failing_branch_fails_the_parallel_with_its_error_and_cause() -> None:
    # [spec] "If any branch fails, due to an unhandled error or by transitioning to a Fail
    # state, the entire Parallel State is considered to have failed".
    definition = _one(
        {
            "Type": "Parallel",
            "Branches": [
                _pass("Fine"),
                {
                    "StartAt": "No",
                    "States": {"No": {"Type": "Fail", "Error": "Bad", "Cause": "why"}},
                },
            ],
        }
    )
    result = _run(definition, {})
    assert result.status == ExecutionStatus.FAILED
    assert (result.error, result.cause) == ("Bad", "why")


def test_a_parallels_catch_takes_a_branch_failure() -> None:
    # [guide] Parallel has Catch: the branch's error is the state's.
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "No", "States": {"No": {"Type": "Fail", "Error": "Bad"}}}],
                "Catch": [{"ErrorEquals": ["Bad"], "ResultPath": "$.caught", "Next": "Done"}],
                "End": True,
            },
            "Done": {"Type": "Succeed"},
        },
    }
    result = _run(definition, {"k": 1})
    assert result.status == ExecutionStatus.SUCCEEDED
    assert result.output == {"k": 1, "caught": {"Error": "Bad", "Cause": ""}}


def test_a_parallels_retry_runs_every_branch_again() -> None:
    # [guide] Parallel has Retry: the whole state (all its branches) runs again.
    calls: list[int] = []

    def flaky(data: Any, _context: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first time")
        return "ok"

    definition = _one(
        {
            "Type": "Parallel",
            "Branches": [_task("flaky"), _pass("Other", Result="o")],
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3}],
        }
    )
    result = _run(definition, {}, flaky=flaky)
    assert result.status == ExecutionStatus.SUCCEEDED
    assert result.output == ["ok", "o"]
    assert len(calls) == 2


def test_the_other_branches_are_stopped_when_one_fails() -> None:
    # [spec] "... the entire Parallel State is considered to have failed and all the
    # branches are terminated": a branch still waiting is aborted, its task's later
    # result ignored.
    definition = _one(
        {
            "Type": "Parallel",
            "Branches": [
                _task("never"),
                {"StartAt": "No", "States": {"No": {"Type": "Fail", "Error": "Bad"}}},
            ],
        }
    )
    with LocalRuntime() as rt:
        execution_id = rt.start(definition, {})
        queue = rt.resources.ref("DefaultTaskQueue")
        messages: list[dict[str, Any]] = []
        while not messages:  # until the first branch's task is sent; nobody works it
            rt.step()
            messages = rt.sqs.receive_message(QueueUrl=queue).get("Messages", [])
        token = json.loads(messages[0]["Body"])["taskToken"]
        result = rt.run_until_complete(execution_id)
        rt.run_all()  # the abort messages the parent sent as it failed
        head = rt.store.get_head(child_execution_id(execution_id, 1, 0))
        late = rt.http("POST", f"/tasks/{token}/success", {"late": True})
    assert (result.status, result.error) == (ExecutionStatus.FAILED, "Bad")
    assert head.status == ExecutionStatus.ABORTED
    assert late[0] == 409  # the aborted branch's task has closed


# -- Map --------------------------------------------------------------------------------


def test_a_map_outputs_each_items_result_in_item_order() -> None:
    # [spec] "...an array containing one element for each element of the ItemsPath input
    # array, in the same order".
    definition = _one(
        {
            "Type": "Map",
            "ItemsPath": "$.numbers",
            "MaxConcurrency": 2,
            "ItemProcessor": _task("double"),
        }
    )
    result = _run(definition, {"numbers": [3, 1, 4, 1, 5, 9, 2, 6]}, double=_double)
    assert result.status == ExecutionStatus.SUCCEEDED
    assert result.output == [6, 2, 8, 2, 10, 18, 4, 12]


def test_item_selector_reads_the_map_item_index_and_value_and_the_input() -> None:
    # [guide] ItemSelector: "the Context Object ... $$.Map.Item.Index ... $$.Map.Item.Value",
    # and "$" is the Map state's effective input.
    definition = _one(
        {
            "Type": "Map",
            "ItemsPath": "$.xs",
            "ItemSelector": {
                "i.$": "$$.Map.Item.Index",
                "v.$": "$$.Map.Item.Value",
                "tag.$": "$.tag",
            },
            "ItemProcessor": _pass("Keep"),
        }
    )
    result = _run(definition, {"xs": ["a", "b"], "tag": "t"})
    assert result.output == [{"i": 0, "v": "a", "tag": "t"}, {"i": 1, "v": "b", "tag": "t"}]


def test_the_legacy_iterator_and_parameters_still_run() -> None:
    # [guide] "Iterator" and "Parameters" are the deprecated names of ItemProcessor and
    # ItemSelector.
    definition = _one(
        {
            "Type": "Map",
            "Parameters": {"v.$": "$$.Map.Item.Value"},
            "Iterator": _pass("Keep"),
        }
    )
    assert _run(definition, [7, 8]).output == [{"v": 7}, {"v": 8}]


def test_an_empty_map_outputs_an_empty_array() -> None:
    definition = _one(
        {"Type": "Map", "ItemProcessor": _pass("Keep"), "ResultPath": "$.r", "ItemsPath": "$.xs"}
    )
    assert _run(definition, {"xs": []}).output == {"xs": [], "r": []}


def test_items_path_that_is_not_an_array_fails_with_states_runtime() -> None:
    # [guide] "The ItemsPath must identify a field whose value is a JSON array."
    definition = _one({"Type": "Map", "ItemsPath": "$.xs", "ItemProcessor": _pass("Keep")})
    result = _run(definition, {"xs": {"not": "an array"}})
    assert (result.status, result.error) == (ExecutionStatus.FAILED, "States.Runtime")
    assert "not an array" in (result.cause or "")


def test_a_failing_item_fails_the_map_and_catch_takes_it() -> None:
    # [spec] "If any iteration fails, ... the entire Map State fails"; Map has Catch.
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemProcessor": _task("boom"),
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    result = _run(definition, ["good", "bad", "good"], boom=_boom)
    assert result.status == ExecutionStatus.SUCCEEDED
    assert result.output["Error"] == "ValueError"


def test_max_concurrency_bounds_the_children_running_at_once() -> None:
    # [guide] MaxConcurrency: "the maximum number of concurrent iterations". Each task
    # counts the items running as it runs: never more than 2, and 2 at once.
    definition = _one({"Type": "Map", "MaxConcurrency": 2, "ItemProcessor": _task("count")})
    running: list[int] = []
    with LocalRuntime() as rt:
        execution_id = rt.start(definition, list(range(6)))

        def count(data: Any, _context: Any) -> Any:
            heads = [rt.store.get_head(child_execution_id(execution_id, 1, i)) for i in range(6)]
            running.append(sum(1 for h in heads if h is not None and h.status == "RUNNING"))
            return data

        rt.register("count", count)
        result = rt.run_until_complete(execution_id)
    assert result.output == [0, 1, 2, 3, 4, 5]
    assert max(running) == 2


def test_a_map_nested_in_a_parallel_branch() -> None:
    # [spec] states nest: a Map in a Parallel branch runs as a grandchild fan-out, launched
    # at once (not by the sweeper, minutes later).
    inner = {
        "StartAt": "M",
        "States": {"M": {"Type": "Map", "ItemProcessor": _task("double"), "End": True}},
    }
    definition = _one({"Type": "Parallel", "Branches": [inner, _pass("Other", Result="x")]})
    with LocalRuntime() as rt:
        rt.register("double", _double)
        started = rt.clock.now()
        result = rt.run_until_complete(rt.start(definition, [1, 2]))
        elapsed = (rt.clock.now() - started).total_seconds()
    assert result.output == [[2, 4], "x"]
    assert elapsed < 60


def test_an_inner_state_reads_an_outer_variable() -> None:
    # [guide, Variables] "Inner scopes can read variables from outer scopes".
    definition = {
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"factor": 10}, "Next": "M"},
            "M": {
                "Type": "Map",
                "ItemProcessor": _pass("Use", Parameters={"v.$": "$", "f.$": "$factor"}),
                "End": True,
            },
        },
    }
    assert _run(definition, [1, 2]).output == [{"v": 1, "f": 10}, {"v": 2, "f": 10}]


def test_a_jsonata_map_uses_items_item_selector_and_output() -> None:
    # [guide, JSONata] Items, ItemSelector with $states.context.Map.Item, Output with
    # $states.result.
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "Items": "{% $states.input.xs %}",
                "ItemSelector": {"n": "{% $states.context.Map.Item.Value * 10 %}"},
                "ItemProcessor": _pass("Keep"),
                "Output": "{% $sum($states.result.n) %}",
                "End": True,
            }
        },
    }
    assert _run(definition, {"xs": [1, 2, 3]}).output == 60


def test_the_status_of_a_running_map_counts_its_children() -> None:
    # Operators see a running Map's items pending, running, succeeded and failed.
    definition = _one({"Type": "Map", "MaxConcurrency": 2, "ItemProcessor": _task("look")})
    seen: list[dict[str, Any]] = []
    with LocalRuntime() as rt:
        execution_id = rt.start(definition, list(range(5)))

        def look(data: Any, _context: Any) -> Any:
            seen.append(describe_execution(rt.store, execution_id)["children"])
            return data

        rt.register("look", look)
        result = rt.run_until_complete(execution_id)
        final = describe_execution(rt.store, execution_id)
        child = describe_execution(rt.store, child_execution_id(execution_id, 1, 3))
    assert result.status == ExecutionStatus.SUCCEEDED
    for counts in seen:
        parts = counts["pending"] + counts["running"] + counts["succeeded"] + counts["failed"]
        assert parts == counts["total"] == 5
        assert counts["running"] <= 2
    assert [c["succeeded"] for c in seen] == sorted(c["succeeded"] for c in seen)
    assert seen[-1]["succeeded"] >= 3
    assert seen[0]["ids"] == f"{execution_id}/1/{{index}}"
    assert "children" not in final  # no longer parked on them
    assert child["parent"] == {"executionId": execution_id, "state": "S", "index": 3}


def test_the_execution_context_inside_an_item_is_the_executions() -> None:
    # [guide, Context object] $$.Execution is the execution's; an inline Map's iterations
    # and a Parallel's branches run within it.
    reads = {
        "id.$": "$$.Execution.Id",
        "name.$": "$$.Execution.Name",
        "start.$": "$$.Execution.StartTime",
        "input.$": "$$.Execution.Input",
    }
    definition = {
        "StartAt": "Outer",
        "States": {
            "Outer": {
                "Type": "Pass",
                "Parameters": {"outer": reads},
                "ResultPath": "$.ctx",
                "Next": "M",
            },
            "M": {
                "Type": "Map",
                "ItemsPath": "$.xs",
                "ItemProcessor": _pass("Inner", Parameters=reads),
                "ResultPath": "$.inner",
                "End": True,
            },
        },
    }
    result = _run(definition, {"xs": [1]})
    assert result.output["inner"] == [result.output["ctx"]["outer"]]


def test_intrinsics_in_item_selector_draw_anew_for_each_item() -> None:
    # [guide] ItemSelector is evaluated for each item: States.UUID() gives each its own.
    definition = _one(
        {
            "Type": "Map",
            "ItemSelector": {"u.$": "States.UUID()"},
            "ItemProcessor": _pass("Keep"),
        }
    )
    output = _run(definition, [1, 2, 3]).output
    assert len({item["u"] for item in output}) == 3


def test_a_failed_item_stops_the_map_launching_more() -> None:
    # [spec] "If any iteration fails ... the entire Map State fails": the items after it
    # on its lane are not run.
    ran: list[Any] = []

    def boom(data: Any, context: Any) -> Any:
        ran.append(data)
        return _boom(data, context)

    definition = _one({"Type": "Map", "MaxConcurrency": 1, "ItemProcessor": _task("boom")})
    result = _run(definition, ["bad", "a", "b", "c"], boom=boom)
    assert (result.status, result.error) == (ExecutionStatus.FAILED, "ValueError")
    assert ran == ["bad"]


def test_an_execution_that_times_out_stops_its_children() -> None:
    # [spec] TimeoutSeconds: the execution fails with States.Timeout; nothing of it runs on.
    branch = {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 100, "End": True}}}
    definition = {
        "TimeoutSeconds": 10,
        "StartAt": "P",
        "States": {"P": {"Type": "Parallel", "Branches": [branch], "End": True}},
    }
    with LocalRuntime() as rt:
        execution_id = rt.start(definition, {})
        result = rt.run_until_complete(execution_id)
        rt.run_all()
        child = rt.store.get_head(child_execution_id(execution_id, 1, 0))
    assert result.status == ExecutionStatus.TIMED_OUT
    assert child.status == ExecutionStatus.ABORTED
    # Stopped when the execution timed out, not when its Wait would have ended.
    assert (child.stop_date - child.start_date).total_seconds() < 50


def test_an_aborted_branch_stops_its_own_children() -> None:
    # A Map inside the branch that is aborted is aborted too (grandchildren).
    nap = {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 100, "End": True}}}
    inner = {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": nap, "End": True}}}
    fail = {
        "StartAt": "No",
        "States": {
            "No": {"Type": "Wait", "Seconds": 5, "Next": "Die"},
            "Die": {"Type": "Fail", "Error": "Bad"},
        },
    }
    definition = _one({"Type": "Parallel", "Branches": [inner, fail]})
    with LocalRuntime() as rt:
        execution_id = rt.start(definition, [1, 2])
        result = rt.run_until_complete(execution_id)
        rt.run_all()
        branch = child_execution_id(execution_id, 1, 0)
        grandchildren = [rt.store.get_head(child_execution_id(branch, 1, i)) for i in (0, 1)]
    assert (result.status, result.error) == (ExecutionStatus.FAILED, "Bad")
    assert [g.status for g in grandchildren] == [ExecutionStatus.ABORTED] * 2
    # Stopped as their branch was, not when their Waits would have ended.
    assert all((g.stop_date - g.start_date).total_seconds() < 50 for g in grandchildren)


def test_a_child_whose_abort_was_lost_stops_at_its_next_step() -> None:
    # The abort messages are hints: lost, the child still stops when it next moves (its
    # parent no longer waits on it), and its work goes no further.
    nap = {
        "StartAt": "Nap",
        "States": {
            "Nap": {"Type": "Wait", "Seconds": 100, "Next": "Work"},
            "Work": {"Type": "Task", "Resource": "double", "End": True},
        },
    }
    fail = {"StartAt": "Die", "States": {"Die": {"Type": "Fail", "Error": "Bad"}}}
    definition = _one({"Type": "Parallel", "Branches": [nap, fail]})
    ran: list[Any] = []
    with LocalRuntime() as rt:
        rt.register("double", lambda data, context: ran.append(data))
        execution_id = rt.start(definition, 1)
        result = rt.run_until_complete(execution_id)
        rt.sqs.purge_queue(QueueUrl=rt.resources.ref("AdvanceQueue"))  # the aborts, lost
        rt.run_all()
        rt.advance(1000)  # the Wait's wake-up was lost too: the child's sweep moves it
        rt.run_all()
        child = rt.store.get_head(child_execution_id(execution_id, 1, 0))
    assert result.status == ExecutionStatus.FAILED
    assert child.status == ExecutionStatus.ABORTED
    assert ran == []


def test_a_jsonata_parallel_takes_arguments_and_shapes_its_output() -> None:
    # [guide, JSONata] Parallel: Arguments is each branch's input; Output reads
    # $states.result, the array of the branches' outputs.
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Arguments": {"n": "{% $states.input.n + 1 %}"},
                "Branches": [_pass("A"), _pass("B", Output="{% $states.input.n * 10 %}")],
                "Output": {
                    "first": "{% $states.result[0].n %}",
                    "second": "{% $states.result[1] %}",
                },
                "End": True,
            }
        },
    }
    assert _run(definition, {"n": 1}).output == {"first": 2, "second": 20}


def test_a_maps_assign_reads_its_results_for_the_next_state() -> None:
    # [guide, Variables] "In Task, Map, Parallel states, the $ refers to the API/sub-workflow
    # result": Assign sees the array of results; the next state reads the variable.
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemProcessor": _task("double"),
                "Assign": {"doubled.$": "$"},
                "ResultPath": None,
                "Next": "Use",
            },
            "Use": {"Type": "Pass", "Parameters": {"got.$": "$doubled"}, "End": True},
        },
    }
    assert _run(definition, [1, 2], double=_double).output == {"got": [2, 4]}
