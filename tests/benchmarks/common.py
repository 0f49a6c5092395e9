"""Pieces shared by the benchmarks: paths, inputs, starting executions, counting transitions.

Not a test module: pytest does not collect ``tests/benchmarks`` (``norecursedirs``).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import Any

import botocore.client

from steplane.handlers.observability import logger
from steplane.handlers.sqs_batch import QueueRecord
from steplane.local import LocalRuntime
from steplane.local.result import ExecutionResult, result_of

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
ONBOARDING = ROOT / "statemachines" / "user_onboarding.json"

# The onboarding paths: name -> extra input fields (every input also carries an email).
ONBOARDING_PATHS: dict[str, dict[str, Any]] = {
    "happy": {},
    "simulate_error": {"simulate_error": True},
    "provisioning_failures=2": {"provisioning_failures": 2},
    "simulate_provisioning_error": {"simulate_provisioning_error": True},
}


def onboarding_input(path: str, index: int) -> dict[str, Any]:
    """The input of execution ``index`` on onboarding path ``path``."""
    return {"email": f"user{index}@example.com", **ONBOARDING_PATHS[path]}


def count_transitions(history: Sequence[Mapping[str, Any]]) -> int:
    """State transitions as Step Functions Standard bills them (see the cost module docstring).

    One per state entered (the history's ``<Type>StateEntered`` events: Task, Pass, Choice,
    Wait, Succeed, Fail), plus one per retry (a ``TaskScheduled`` with ``attempt`` > 1:
    a retry re-runs the state without a new ``StateEntered`` event).
    """
    entered = sum(1 for event in history if str(event["type"]).endswith("StateEntered"))
    retries = sum(
        1
        for event in history
        if event["type"] == "TaskScheduled" and int(event.get("attempt", 1)) > 1
    )
    return entered + retries


@contextmanager
def quiet() -> Iterator[None]:
    """Swallow what the handlers print (Powertools EMF metric blobs) and log (the engine's
    logger writes to the stdout it found at import, which redirecting does not reach)."""
    std = logging.getLogger(logger.name)
    level = std.level
    std.setLevel(logging.CRITICAL + 1)
    try:
        with redirect_stdout(io.StringIO()):
            yield
    finally:
        std.setLevel(level)


def start_via_api(rt: LocalRuntime, workflow: str, inputs: Sequence[Any]) -> list[str]:
    """``POST /executions`` once per input (one API Gateway request each); the execution ids."""
    ids = []
    for execution_input in inputs:
        status, body = rt.http(
            "POST", "/executions", {"workflow": workflow, "input": execution_input}
        )
        if status not in (200, 201):
            raise RuntimeError(f"start failed with HTTP {status}: {body}")
        ids.append(str(body["executionId"]))
    return ids


def results(rt: LocalRuntime, execution_ids: Sequence[str]) -> list[ExecutionResult]:
    """Every execution's status and full history."""
    return [result_of(rt.store, execution_id) for execution_id in execution_ids]


def total_commits(rt: LocalRuntime, execution_ids: Sequence[str]) -> int:
    """Committed transitions across the executions (each head's version counts them)."""
    heads = (rt.store.get_head(execution_id) for execution_id in execution_ids)
    return sum(head.version for head in heads if head is not None)


@contextmanager
def watching_aws_calls(on_call: Callable[[Any, str, dict[str, Any]], None]) -> Iterator[None]:
    """While open, ``on_call(client, operation, params)`` sees every botocore API call in the
    process just before it is made (installed over any wrapper already there, such as the
    fault injector's, so a call that then crashes is seen too)."""
    client_class = botocore.client.BaseClient
    original = client_class._make_api_call

    def watched(client: Any, operation: str, params: dict[str, Any]) -> Any:
        on_call(client, operation, params)
        return original(client, operation, params)

    client_class._make_api_call = watched
    try:
        yield
    finally:
        client_class._make_api_call = original


def redelivered(event: Mapping[str, Any]) -> bool:
    """Whether SQS delivered some record of this Lambda event before (read as the engine
    reads records; not through ``sqs_batch._delivered_before``, which the chaos benchmark
    replaces to switch batch isolation off)."""
    return any(QueueRecord.of(raw).receive_count > 1 for raw in event.get("Records", []))
