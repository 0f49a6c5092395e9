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


DISTRIBUTED = {
    "StartAt": "M",
    "States": {
        "M": {
            "Type": "Map",
            "MaxConcurrency": 3,
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "Parameters": {"Bucket": "data", "Key.$": "$.key"},
                "ReaderConfig": {"InputType": "JSONL"},
            },
            "ItemBatcher": {"MaxItemsPerBatch": 2},
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                **_task("Batch"),
            },
            "ResultWriter": {
                "Resource": "arn:aws:states:::s3:putObject",
                "Parameters": {"Bucket": "data", "Prefix.$": "$.key"},
                "WriterConfig": {"Transformation": "COMPACT"},
            },
            "End": True,
        }
    },
}


def _sum_batch(data: Any, _context: Any) -> Any:
    return sum(data["Items"])


def test_map_runs_with_five_percent_of_aws_calls_crashing_all_finish_once() -> None:
    # The read (S3, the stored inputs, the parent's commit), the lanes, the children and
    # the export (S3) all die at random: each Map Run still reads its items once into the
    # same inputs, runs each batch once, exports every result, and resumes its parent once.
    crash = CrashAtAwsCalls(probability=0.05, seed=11)
    with crash, LocalRuntime(around_invocation=crash.around) as rt:
        rt.register("double", _sum_batch)
        s3 = rt.session.client("s3")
        s3.create_bucket(Bucket="data")
        workflow = rt.publish(DISTRIBUTED)
        runs = []
        for n in range(3):
            key = f"items-{n}.jsonl"
            s3.put_object(Bucket="data", Key=key, Body="".join(f"{i}\n" for i in range(ITEMS)))
            body = {"workflow": workflow, "name": f"run-{n}", "input": {"key": key}}
            rt.sqs.send_message(
                QueueUrl=rt.resources.ref("StartQueue"), MessageBody=json.dumps(body)
            )
            runs.append(f"{workflow}:run-{n}")
        rt.run_all()
        results = {e: rt.run_until_complete(e) for e in runs}
        manifests = {
            e: json.loads(
                s3.get_object(Bucket="data", Key=r.output["ResultWriterDetails"]["Key"])[
                    "Body"
                ].read()
            )
            for e, r in results.items()
            if r.status == "SUCCEEDED"
        }
        exported = {
            e: json.loads(
                s3.get_object(Bucket="data", Key=m["ResultFiles"]["SUCCEEDED"][0]["Key"])[
                    "Body"
                ].read()
            )
            for e, m in manifests.items()
        }
        children = {
            e: [rt.store.get_head(child_execution_id(e, 1, i)) for i in range(ITEMS // 2 + 1)]
            for e in runs
        }
    assert crash.crashes > 5  # the faults really happened
    expected = [2 * i + (2 * i + 1) for i in range(ITEMS // 2)]  # each batch's sum
    for execution_id, result in results.items():
        assert result.status == "SUCCEEDED", (execution_id, result.error, result.cause)
        types = [e["type"] for e in result.history]
        assert types.count("MapRunStarted") == 1, execution_id
        assert types.count("MapStateSucceeded") == 1, execution_id
        assert exported[execution_id] == expected, execution_id
    for execution_id, heads in children.items():
        assert all(h is not None and h.status == "SUCCEEDED" for h in heads[:-1]), execution_id
        assert heads[-1] is None  # no child beyond the batches
