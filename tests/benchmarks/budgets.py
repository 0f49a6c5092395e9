"""Budgets every change keeps, printed beside their limits (not asserted: a benchmark).

Run: ``python -m tests.benchmarks.budgets [--repeat 7] [--executions 50]``

Method
------
1. **Handler cold import** (budget 300 ms): each engine handler module of template.yaml is
   imported in a fresh ``python`` process, the Lambda environment set (function name,
   region, the template's variables), and the import timed inside that process; the median
   of ``--repeat`` processes is printed. Twice: as deployed (X-Ray SDK off; Lambda's active
   tracing still records every invocation) and with ``STEPLANE_XRAY_SDK=true`` (Powertools'
   Tracer, whose X-Ray SDK builds two botocore clients at import).
2. **Interpreter CPU per transition** (budget 0.2 ms): the pure ``decide`` drives
   ``--executions`` onboarding executions on the happy path (Begin, then each task's
   success, four transitions each), as many Pass/Choice loops (one decision each, until
   it yields), and as many runs of two data-flow workflows of the same shape (Task, Pass,
   Choice, Task, Succeed): one heavy with Parameters, ResultSelector, intrinsic functions,
   the Context Object and variables (JSONPath), one with Arguments, Output, Assign and
   Conditions (JSONata); with no I/O; process CPU time divided by the transitions made.
3. **Head item size** (budget under 2 KB) and **no DynamoDB Scan**: the onboarding workflow
   runs ``--executions`` times on the local runtime (every path of the founding document);
   every HEAD item put is sized by DynamoDB's rules (attribute names plus values) and every
   DynamoDB operation counted by name.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from steplane.definition.loader import Definition, load_definition
from steplane.examples.onboarding import register_all
from steplane.execution import Execution
from steplane.interpreter.decisions import Transition
from steplane.interpreter.engine import decide
from steplane.interpreter.signals import Begin, TaskResult
from steplane.local import LocalRuntime
from tests.benchmarks.common import (
    ONBOARDING,
    ONBOARDING_PATHS,
    ROOT,
    onboarding_input,
    quiet,
    watching_aws_calls,
)
from tests.benchmarks.dynamodb_capacity import item_size
from tests.unit.interpreter.harness import T0

IMPORT_BUDGET_MS = 300.0
CPU_BUDGET_MS = 0.2
HEAD_BUDGET_BYTES = 2048
HANDLERS = ("start", "advance", "task_complete", "status", "sweep", "redrive", "integrate")
LAMBDA_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "steplane-budget",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "EXECUTIONS_TABLE_NAME": "executions",
    "POWERTOOLS_SERVICE_NAME": "steplane",
    "POWERTOOLS_METRICS_NAMESPACE": "Steplane",
}
LOOP = {
    "StartAt": "Count",
    "States": {
        "Count": {"Type": "Pass", "Next": "Again"},
        "Again": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.stop", "BooleanEquals": True, "Next": "Done"}],
            "Default": "Count",
        },
        "Done": {"Type": "Succeed"},
    },
}
# Task, Pass, Choice, Task, Succeed, with every data-flow feature on each state.
DATA_FLOW = {
    "StartAt": "Quote",
    "States": {
        "Quote": {
            "Type": "Task",
            "Resource": "quote",
            "Parameters": {
                "id.$": "States.Format('order-{}', $.order.id)",
                "lines.$": "States.ArrayLength($.order.lines)",
                "hash.$": "States.Hash($.order.customer, 'SHA-256')",
                "token.$": "$$.Task.Token",
                "execution.$": "$$.Execution.Name",
            },
            "ResultSelector": {"total.$": "$.total", "currency": "EUR"},
            "ResultPath": "$.quote",
            "Assign": {"customer.$": "$.customer", "tries.$": "$$.State.RetryCount"},
            "Next": "Shape",
        },
        "Shape": {
            "Type": "Pass",
            "Parameters": {
                "summary.$": "States.Format('{} pays {}', $customer, $.quote.total)",
                "parts.$": "States.ArrayPartition($.order.lines, 2)",
                "merged.$": "States.JsonMerge($.order, $.quote, false)",
            },
            "ResultPath": "$.shaped",
            "Next": "Route",
        },
        "Route": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.quote.total", "NumericGreaterThan": 100, "Next": "Charge"}],
            "Default": "Charge",
        },
        "Charge": {
            "Type": "Task",
            "Resource": "charge",
            "InputPath": "$.shaped",
            "Parameters": {"summary.$": "$.summary", "who.$": "$customer"},
            "ResultPath": None,
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
    },
}
JSONATA_FLOW = {
    "QueryLanguage": "JSONata",
    "StartAt": "Quote",
    "States": {
        "Quote": {
            "Type": "Task",
            "Resource": "quote",
            "Arguments": {
                "id": "{% 'order-' & $states.input.order.id %}",
                "lines": "{% $count($states.input.order.lines) %}",
                "token": "{% $states.context.Task.Token %}",
            },
            "Assign": {"customer": "{% $states.result.customer %}"},
            "Output": "{% $merge([$states.input, {'quote': {'total': $states.result.total}}]) %}",
            "Next": "Shape",
        },
        "Shape": {
            "Type": "Pass",
            "Output": {
                "summary": "{% $customer & ' pays ' & $states.input.quote.total %}",
                "parts": "{% $partition($states.input.order.lines, 2) %}",
                "total": "{% $states.input.quote.total %}",
            },
            "Next": "Route",
        },
        "Route": {
            "Type": "Choice",
            "Choices": [{"Condition": "{% $states.input.total > 100 %}", "Next": "Charge"}],
            "Default": "Charge",
        },
        "Charge": {
            "Type": "Task",
            "Resource": "charge",
            "Arguments": {"summary": "{% $states.input.summary %}", "who": "{% $customer %}"},
            "Output": "{% $states.input %}",
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
    },
}
DATA_FLOW_INPUT = {"order": {"id": 7, "customer": "ana", "lines": [1, 2, 3, 4, 5]}}
DATA_FLOW_RESULT = {"total": 120, "customer": "ana", "ok": True}


def import_ms(module: str, xray_sdk: bool) -> float:
    """Milliseconds to import ``module`` in a fresh interpreter with a Lambda environment."""
    code = (
        "import sys, time; sys.path.insert(0, 'functions'); t = time.perf_counter(); "
        f"import {module}; print((time.perf_counter() - t) * 1000)"
    )
    env = {**os.environ, **LAMBDA_ENV, "STEPLANE_XRAY_SDK": "true" if xray_sdk else "false"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip())


def cold_imports(repeat: int) -> dict[str, tuple[float, float, float]]:
    """Each handler's import time, (min, median) as deployed and the median with the X-Ray
    SDK, and the same for the floor: boto3 alone, which every handler needs."""

    def times(module: str, xray: bool) -> list[float]:
        return [import_ms(module, xray) for _ in range(repeat)]

    measured = {}
    for name, module in [*((h, f"steplane.handlers.{h}") for h in HANDLERS), ("(boto3)", "boto3")]:
        plain = times(module, False)
        xray = statistics.median(times(module, True))
        measured[name] = (min(plain), statistics.median(plain), xray)
    return measured


def drive_tasks(definition: Definition, data: Any, result: Any, n: int) -> int:
    """Run ``definition`` through ``decide`` alone, every task succeeding with ``result``;
    the transitions it made (commands derived too, as the shell would send them)."""
    head = Execution(f"wf:{n}", "wf", str(n), definition.hash, "h", T0)
    signal: Any = Begin(data)
    for step in range(100):
        decision = decide(definition, head, signal, T0, f"seed-{n}-{step}")
        assert isinstance(decision, Transition), decision
        head = decision.execution
        if head.status.is_terminal:
            assert head.status == "SUCCEEDED", head
            return head.transitions
        assert head.task_attempt is not None, "these workflows park in Tasks only"
        signal = TaskResult(head.version, head.task_attempt.nonce, T0, result)
    raise AssertionError("the execution did not end")


def interpreter_cpu(executions: int) -> list[tuple[str, float, int]]:
    """CPU ms per transition, and transitions, of each workflow."""
    onboarding = load_definition(json.loads(ONBOARDING.read_text()))
    loop = load_definition(LOOP)
    data_flow, jsonata = load_definition(DATA_FLOW), load_definition(JSONATA_FLOW)

    def drive_onboarding(n: int) -> int:
        return drive_tasks(onboarding, onboarding_input("happy", n), {"ok": True}, n)

    def drive_data_flow(n: int) -> int:
        return drive_tasks(data_flow, DATA_FLOW_INPUT, DATA_FLOW_RESULT, n)

    def drive_jsonata(n: int) -> int:
        return drive_tasks(jsonata, DATA_FLOW_INPUT, DATA_FLOW_RESULT, n)

    def drive_loop(n: int) -> int:
        head = Execution(f"loop:{n}", "loop", str(n), loop.hash, "h", T0)
        decision = decide(loop, head, Begin({"stop": False}), T0, f"seed-{n}")
        assert isinstance(decision, Transition)
        return decision.execution.transitions

    drive_jsonata(0)  # compile the expressions once, as the first decision of a process does
    measured = []
    for label, drive in (
        ("onboarding happy path", drive_onboarding),
        ("Pass/Choice loop", drive_loop),
        ("JSONPath data flow", drive_data_flow),
        ("JSONata data flow", drive_jsonata),
    ):
        start = time.process_time()
        transitions = sum(drive(n) for n in range(executions))
        elapsed = time.process_time() - start
        measured.append((label, elapsed * 1000 / transitions, transitions))
    return measured


@contextmanager
def dynamodb_calls(heads: list[int], operations: Counter[str]) -> Iterator[None]:
    """Count every DynamoDB operation and size every HEAD item put, while inside."""

    def count(client: Any, operation: str, params: dict[str, Any]) -> None:
        if client.meta.service_model.service_name == "dynamodb":
            operations[operation] += 1
            for item in _items_put(operation, params):
                if item.get("sk") == {"S": "HEAD"}:
                    heads.append(item_size(item))

    with watching_aws_calls(count):
        yield


def _items_put(operation: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    if operation == "PutItem":
        return [params["Item"]]
    if operation == "TransactWriteItems":
        return [entry["Put"]["Item"] for entry in params["TransactItems"] if "Put" in entry]
    return []


def onboarding_run(executions: int) -> tuple[list[int], Counter[str], Counter[str]]:
    """Run the onboarding workflow on every path (the founding document's example workers):
    HEAD item sizes, DynamoDB operations, and how the executions ended."""
    heads: list[int] = []
    operations: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    with quiet(), LocalRuntime() as rt, dynamodb_calls(heads, operations):
        register_all(rt.worker)
        for n in range(executions):
            path = list(ONBOARDING_PATHS)[n % len(ONBOARDING_PATHS)]
            result = rt.run_until_complete(rt.start(ONBOARDING, onboarding_input(path, n)))
            statuses[result.status] += 1
    return heads, operations, statuses


def main(argv: list[str] | None = None) -> None:
    """Measure and print every budget beside its limit."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="processes per import timing")
    parser.add_argument("--executions", type=int, default=50, help="executions per measure")
    args = parser.parse_args(argv)

    print(f"steplane budgets (Python {sys.version.split()[0]}); method: module docstring\n")
    budget = f"budget {IMPORT_BUDGET_MS:.0f} ms"
    print(f"1. handler cold import, {args.repeat} fresh processes each ({budget})")
    print(
        f"   {'handler':<15}{'min':>8}{'median':>9}{'X-Ray SDK on':>14}"
        f"{'over boto3':>12}  within budget (median)"
    )
    imports = cold_imports(args.repeat)
    floor = imports["(boto3)"][1]
    for name, (least, median, xray) in imports.items():
        verdict = "yes" if median <= IMPORT_BUDGET_MS else "NO"
        print(
            f"   {name:<15}{least:>5.0f} ms{median:>6.0f} ms{xray:>11.0f} ms"
            f"{median - floor:>9.0f} ms  {verdict if name != '(boto3)' else ''}"
        )
    print("   (timings on a shared machine vary by a third from run to run; compare in one run)")

    measured = interpreter_cpu(args.executions)
    print(f"\n2. interpreter CPU per transition (budget {CPU_BUDGET_MS} ms)")
    base = measured[0][1]
    for label, per, count in measured:
        ratio = f"{per / base:4.1f}x onboarding"
        verdict = "yes" if per <= CPU_BUDGET_MS else "NO"
        print(
            f"   {label:<24}{per:.4f} ms over {count:>5} transitions ({ratio})  "
            f"within budget: {verdict}"
        )

    heads, operations, statuses = onboarding_run(args.executions)
    largest = max(heads)
    ended = ", ".join(f"{status} {count}" for status, count in sorted(statuses.items()))
    print(f"\n3. {args.executions} onboarding executions on the local runtime ({ended})")
    verdict = "yes" if largest < HEAD_BUDGET_BYTES else "NO"
    print(
        f"   head item: largest {largest} bytes, median {statistics.median(heads):.0f} "
        f"({len(heads)} written; budget under {HEAD_BUDGET_BYTES})  within budget: {verdict}"
    )
    print(f"   DynamoDB Scan calls: {operations['Scan']} (budget 0)")
    calls = ", ".join(f"{name} {count}" for name, count in sorted(operations.items()))
    print(f"   DynamoDB operations: {calls}")


if __name__ == "__main__":
    main()
