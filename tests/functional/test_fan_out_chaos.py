"""Crash anywhere in a fan-out, lose nothing: Lambdas dying at random AWS calls while
Maps and Parallels launch children, move lanes on, and fan in.

GIVEN Map and Parallel executions whose children are Tasks, and every Lambda invocation
(engine, workers, sweeper) dying at 5% of the AWS calls it makes (before or after the
call), WHEN the runtime runs with no human action, THEN every execution succeeds with
the output of a run without crashes; each item has exactly one child execution (ids are
deterministic, creation conditional); each child's task succeeded once in its history;
and the parent resumed once (one ...StateSucceeded, one ...StateExited).
"""

from __future__ import annotations

import json
from typing import Any

from steplane.local import LocalRuntime
from steplane.local.faults import CrashAtAwsCalls
from steplane.names import child_execution_id

ITEMS = 12


def _double(data: Any, _context: Any) -> Any:
    return data * 2


def _task(name: str) -> dict[str, Any]:
    return {"StartAt": name, "States": {name: {"Type": "Task", "Resource": "double", "End": True}}}


MAP = {
    "StartAt": "M",
    "States": {
        "M": {"Type": "Map", "MaxConcurrency": 3, "ItemProcessor": _task("Item"), "End": True}
    },
}
PARALLEL = {
    "StartAt": "P",
    "States": {
        "P": {"Type": "Parallel", "Branches": [_task("A"), _task("B"), _task("C")], "End": True}
    },
}


def _queue_starts(
    rt: LocalRuntime, definition: dict[str, Any], data: Any, prefix: str
) -> list[str]:
    """Four starts through the StartQueue (an API call could die too; a queued start is
    retried by SQS)."""
    workflow = rt.publish(definition)
    names = [f"{prefix}-{n}" for n in range(4)]
    rt.sqs.send_message_batch(
        QueueUrl=rt.resources.ref("StartQueue"),
        Entries=[
            {
                "Id": name,
                "MessageBody": json.dumps({"workflow": workflow, "name": name, "input": data}),
            }
            for name in names
        ],
    )
    return [f"{workflow}:{name}" for name in names]


def test_fan_outs_with_five_percent_of_aws_calls_crashing_all_finish_once() -> None:
    crash = CrashAtAwsCalls(probability=0.05, seed=7)
    with crash, LocalRuntime(around_invocation=crash.around) as rt:
        rt.register("double", _double)
        maps = _queue_starts(rt, MAP, list(range(ITEMS)), "map")
        parallels = _queue_starts(rt, PARALLEL, 5, "par")
        rt.run_all()
        results = {e: rt.run_until_complete(e) for e in [*maps, *parallels]}
        children = {
            e: [rt.store.get_head(child_execution_id(e, 1, i)) for i in range(ITEMS + 1)]
            for e in maps
        }
        child_histories = [
            [event.type for event in rt.store.history(head, None, 100).events]
            for heads in children.values()
            for head in heads[:ITEMS]
        ]
    assert crash.crashes > 20  # the faults really happened
    for execution_id, result in results.items():
        assert result.status == "SUCCEEDED", (execution_id, result.error, result.cause)
        kind = "Map" if execution_id in maps else "Parallel"
        expected = [n * 2 for n in range(ITEMS)] if kind == "Map" else [10, 10, 10]
        assert result.output == expected, execution_id
        types = [e["type"] for e in result.history]
        assert types.count(f"{kind}StateSucceeded") == 1, execution_id
        assert types.count(f"{kind}StateExited") == 1, execution_id
    for execution_id, heads in children.items():
        assert all(h is not None and h.status == "SUCCEEDED" for h in heads[:ITEMS]), execution_id
        assert heads[ITEMS] is None  # no child beyond the items
    for types in child_histories:
        assert types.count("TaskSucceeded") == 1
