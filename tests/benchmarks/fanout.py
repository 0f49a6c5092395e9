"""Fan-out figures, printed side by side (not asserted: a benchmark).

Run: ``python -m tests.benchmarks.fanout [--items 1000] [--branches 10]``

Method
------
On the local runtime (moto, virtual clock), each workflow runs once:
1. an inline Map of ``--items`` items, each a one-Pass child, ``MaxConcurrency`` 40;
2. the same Map whose items are one-Task children (a worker doubles the item);
3. a Parallel of ``--branches`` branches, each one Task.
Every DynamoDB and SQS call is counted by operation (a botocore hook); every item put is
sized by DynamoDB's rules (an UpdateItem, always of a small item here, is one unit);
every Lambda invocation (engine and workers) is counted. Publishing the definition is a
deploy-time cost, left out (as the cost benchmark does).
Printed per item: DynamoDB writes and reads, SQS requests, Lambda invocations, the
largest item written other than a spilled payload (and its kind: HEAD, H history, L lane
record), wall time and peak RSS; and the cost per 1,000 items at the list prices of
``tests.benchmarks.cost`` (design.md: DynamoDB on-demand per write unit, 1 per KB
rounded up, and per read, counted as one unit each; SQS per request; Lambda per request
plus 128 MB for 50 ms) beside Step Functions Standard's price for the transitions it
would bill for the same run (for an inline Map, the Map's and each iteration's states).

4. a distributed Map (``--distributed`` items, default 10,000) whose items are read from a
   JSON Lines object in S3 (moto), each a one-Task child, ``MaxConcurrency`` 1,000 (run
   first, so the peak RSS printed after it is its own).
S3 requests are priced too (GET $0.0004, PUT and LIST $0.005 per 1,000). Step Functions
bills a distributed Map one transition per child it starts, and each STANDARD child its
own states' transitions: 1 + 2 per item here.
"""

from __future__ import annotations

import argparse
import math
import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from steplane.execution import ExecutionStatus
from steplane.local import LocalRuntime
from tests.benchmarks.common import quiet, watching_aws_calls
from tests.benchmarks.cost import Prices
from tests.benchmarks.dynamodb_capacity import item_size

PRICES = Prices()
READS = {"GetItem", "Query", "BatchGetItem"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


@dataclass
class Meter:
    """What one run cost, counted from its AWS calls."""

    operations: Counter[str] = field(default_factory=Counter)
    write_units: int = 0
    # The largest item written that is not a spilled payload (P#: content-addressed, as
    # large as the data it holds), by its kind (HEAD, H# history, L# lane record).
    largest_item: int = 0
    largest_kind: str = ""

    def __call__(self, client: Any, operation: str, params: dict[str, Any]) -> None:
        service = client.meta.service_model.service_name
        self.operations[f"{service}:{operation}"] += 1
        if operation == "UpdateItem":
            # The engine updates only small items (lane records, a visit's counts, a
            # head's sweep bookkeeping): one write unit each.
            self.write_units += 1
        for item in _items(operation, params):
            size = item_size(item)
            self.write_units += math.ceil(size / 1024)
            kind = item["sk"]["S"].split("#")[0]
            if kind != "P" and size > self.largest_item:
                self.largest_item, self.largest_kind = size, kind

    def count(self, names: set[str], service: str = "dynamodb") -> int:
        return sum(
            n
            for op, n in self.operations.items()
            if op.split(":")[1] in names and op.startswith(service)
        )


def _items(operation: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    if operation == "PutItem":
        return [params["Item"]]
    if operation == "TransactWriteItems":
        return [part["Put"]["Item"] for part in params["TransactItems"] if "Put" in part]
    return []


def _double(data: Any, _context: Any) -> Any:
    return data * 2


def _map(items: int, child: dict[str, Any]) -> tuple[dict[str, Any], Any, int]:
    definition = {
        "StartAt": "M",
        "States": {"M": {"Type": "Map", "MaxConcurrency": 40, "ItemProcessor": child, "End": True}},
    }
    # Step Functions bills the Map state and each iteration's one state.
    return definition, list(range(items)), 1 + items


def _parallel(branches: int) -> tuple[dict[str, Any], Any, int]:
    def branch(n: int) -> dict[str, Any]:  # state names are unique in a definition
        return {
            "StartAt": f"T{n}",
            "States": {f"T{n}": {"Type": "Task", "Resource": "double", "End": True}},
        }

    parallel = {"Type": "Parallel", "Branches": [branch(n) for n in range(branches)], "End": True}
    definition = {"StartAt": "P", "States": {"P": parallel}}
    return definition, 1, 1 + branches


def _distributed(items: int) -> tuple[dict[str, Any], Any, int]:
    child = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": "double", "End": True}},
    }
    reader = {
        "Resource": "arn:aws:states:::s3:getObject",
        "Parameters": {"Bucket": "bench", "Key": "items.jsonl"},
        "ReaderConfig": {"InputType": "JSONL"},
    }
    state = {
        "Type": "Map",
        "ItemReader": reader,
        "MaxConcurrency": 1000,
        "ItemProcessor": child,
        "ResultSelector": {"count.$": "States.ArrayLength($)"},
        "End": True,
    }
    return {"StartAt": "M", "States": {"M": state}}, {}, 1 + 2 * items


def _put_items(items: int) -> Any:
    def setup(rt: LocalRuntime) -> None:
        s3 = rt.session.client("s3")
        s3.create_bucket(Bucket="bench")
        body = "".join(f"{n}\n" for n in range(items))
        s3.put_object(Bucket="bench", Key="items.jsonl", Body=body.encode())

    return setup


def run(  # noqa: PLR0917 - a run's whole description
    label: str,
    definition: dict[str, Any],
    data: Any,
    transitions: int,
    items: int,
    setup: Any = None,
) -> str:
    meter = Meter()
    invocations = [0]

    def counted(handler: Any) -> Any:
        def invoke(event: Any, context: Any) -> Any:
            invocations[0] += 1
            return handler(event, context)

        return invoke

    with quiet(), LocalRuntime(around_invocation=counted) as rt:
        if setup is not None:
            setup(rt)  # unmeasured: the data is there before the run
        workflow = rt.publish(definition)  # unmeasured: a deploy-time cost
        with watching_aws_calls(meter):
            return _measured(label, rt, meter, invocations, workflow, data, transitions, items)


def _measured(  # noqa: PLR0917 - one run's whole context
    label: str,
    rt: LocalRuntime,
    meter: Meter,
    invocations: list[int],
    workflow: str,
    data: Any,
    transitions: int,
    items: int,
) -> str:
    rt.register("double", _double)
    started = time.perf_counter()
    status, response = rt.http("POST", "/executions", {"workflow": workflow, "input": data})
    assert status in (200, 201), response
    result = rt.run_until_complete(response["executionId"], max_rounds=10_000_000)
    wall = time.perf_counter() - started
    assert result.status == ExecutionStatus.SUCCEEDED, result
    writes, reads = meter.count(WRITES), meter.count(READS)
    sqs = sum(n for op, n in meter.operations.items() if op.startswith("sqs:"))
    s3_gets = meter.count({"GetObject", "HeadObject"}, "s3")
    s3_puts = meter.count({"PutObject", "ListObjectsV2"}, "s3")
    lambdas = invocations[0]
    cost = (
        meter.write_units * PRICES.wcu
        + reads * PRICES.rcu
        + sqs * PRICES.sqs_request
        + lambdas * (PRICES.lambda_request + PRICES.lambda_duration())
        + s3_gets * PRICES.s3_get
        + s3_puts * PRICES.s3_put
    )
    sfn = transitions * PRICES.sfn_transition
    per_1000 = 1000 / items
    return (
        f"{label:<34} {wall:7.1f} s  {writes / items:5.2f} {meter.write_units / items:5.2f} "
        f"{reads / items:5.2f} "
        f"{sqs / items:5.2f} {lambdas / items:5.2f}  "
        f"{meter.largest_item:6d} B {meter.largest_kind:<4}  "
        f"${cost * per_1000:8.4f}  "
        f"${sfn * per_1000:7.4f}  {sfn / cost if cost else 0:6.1f}x"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--branches", type=int, default=10)
    parser.add_argument("--distributed", type=int, default=10_000)
    args = parser.parse_args(argv)
    pass_child = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    task_child = {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": "double", "End": True}},
    }
    print(
        "steplane fan-out (local runtime, moto); per item: DynamoDB writes, write units, "
        "reads, SQS requests, Lambda invocations"
    )
    print(
        f"{'run':<34} {'wall':>9}  {'wr':>5} {'wcu':>5} {'rd':>5} {'sqs':>5} {'λ':>5}  "
        f"{'largest':>13}  "
        f"{'$/1000':>9}  {'SFN $/1000':>8}  {'SFN/us':>7}"
    )
    if args.distributed:
        label = f"distributed Map, {args.distributed} S3 items"
        setup = _put_items(args.distributed)
        print(run(label, *_distributed(args.distributed), args.distributed, setup))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(f"peak RSS after the distributed Map: {peak} MiB")
    print(run(f"inline Map, {args.items} Pass items", *_map(args.items, pass_child), args.items))
    print(run(f"inline Map, {args.items} Task items", *_map(args.items, task_child), args.items))
    print(run(f"Parallel, {args.branches} Task branches", *_parallel(args.branches), args.branches))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"peak RSS of the whole run: {peak} MiB")


if __name__ == "__main__":
    main()
