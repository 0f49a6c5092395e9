"""LocalRuntime: the real handlers on in-process moto, driven by a virtual clock.

It plays the parts AWS plays: provisions the tables and queues that ``template.yaml``
declares, delivers SQS batches to the handlers in the Lambda event shape (honouring
partial batch failures, visibility timeouts and DLQs), turns HTTP requests into API
Gateway proxy events, and skips time to the next due message instead of waiting.
"""

from __future__ import annotations

import importlib
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

from steplane.adapters.sqs_bus import SqsMessageBus
from steplane.adapters.sqs_redrive import redrive
from steplane.definition.loader import (
    DefinitionSource,
    default_workflow_name,
    load_definition,
)
from steplane.errors import ExecutionNotFoundError
from steplane.execution import Execution
from steplane.handlers.observability import metrics, workflow_metrics
from steplane.handlers.wiring import Dependencies, build_dependencies
from steplane.local.clock import VirtualClock
from steplane.local.delivery import Subscription, deliver_round, queue_name
from steplane.local.http import api_event, parse_response
from steplane.local.lambdas import LocalLambdas
from steplane.local.moto_patches import next_message_due, patched_moto, receivable_queues
from steplane.local.result import (
    ExecutionResult,
    StalledError,
    StartRefusedError,
    history_since,
    result_of,
    resume_token,
)
from steplane.local.schedules import Handler, Schedules
from steplane.local.template import (
    ENGINE_HANDLERS,
    Template,
    check_engine_functions,
    find_template,
    function_environment,
    load_template,
    provision,
)
from steplane.names import check_name
from steplane.queries import children_counts, event_to_api
from steplane.settings import Settings
from steplane.worker.client import WorkerClient
from steplane.worker.runner import make_lambda_handler, task_queue_urls

_LOCAL_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
}
__all__ = ["ENGINE_HANDLERS", "LocalRuntime"]


class LocalRuntime:
    """Runs workflows locally on the real engine handlers. Use as a context manager.

    Args:
        template: the SAM template to build from. Default: the file ``STEPLANE_TEMPLATE``
            names, else the template packaged with steplane (:func:`find_template`); never
            the working directory's.
        region: the region of the moto resources.
        start_time: the virtual clock's start (default: now).
        deliver_twice: deliver every message twice, to test idempotency.
        settings: engine settings (limits, lease, retention) for every function, instead
            of the template's (``steplane.settings.Settings``; default: the template's,
            with one sweep-index shard).
        around_invocation: wraps every Lambda invocation (engine, workers, schedules), for
            fault injection (``steplane.local.faults.CrashAtAwsCalls.around``).

    Raises:
        FileNotFoundError: there is no template file.
        TemplateError: the template cannot be read, or lacks the engine's functions.
    """

    def __init__(
        self,
        template: str | Path | None = None,
        *,
        region: str = "us-east-1",
        start_time: datetime | None = None,
        deliver_twice: bool = False,
        settings: Settings | None = None,
        around_invocation: Callable[[Handler], Handler] | None = None,
    ) -> None:
        self.template: Template = load_template(template or find_template())
        check_engine_functions(self.template)  # before moto: fail fast, and name what is missing
        self.region = region
        self.clock = VirtualClock(start_time)
        self.deliver_twice = deliver_twice
        # Given settings replace the template's; else the template's hold, but for one
        # sweep-index shard: locally there is no hot partition to spread, and each shard is
        # one query per sweep, which a long virtual wait makes many of.
        self._overrides = settings.to_environment() if settings else {"STEPLANE_SWEEP_SHARDS": "1"}
        # Wraps every Lambda invocation (engine, workers, schedules): fault injection.
        self._around: Callable[[Handler], Handler] = around_invocation or (lambda h: h)
        self.schedules = Schedules(self.clock)
        self.worker = WorkerClient(clock=self.clock)
        self.worker.on_overrun = self.clock.advance_to
        self._stack = ExitStack()
        self._subscriptions: list[Subscription] = []
        self._routes: list[tuple[str, str, Callable[[dict[str, Any], Any], dict[str, Any]]]] = []
        self._deps: dict[str, Dependencies] = {}
        self._ids = 0

    # -- lifecycle -------------------------------------------------------------
    def __enter__(self) -> LocalRuntime:
        import boto3  # noqa: PLC0415
        from moto import mock_aws  # noqa: PLC0415 - moto is the local extra, not a Lambda dependency

        self._stack.enter_context(_environment({**_LOCAL_ENV, "AWS_DEFAULT_REGION": self.region}))
        self._stack.enter_context(mock_aws())
        self._stack.enter_context(patched_moto(self.clock))
        self.session = boto3.session.Session(region_name=self.region)
        self.sqs = self.session.client("sqs")
        self.resources = provision(self.template, self.session.client("dynamodb"), self.sqs)
        self._wire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def _wire(self) -> None:
        task_queues: set[str] = set()
        for spec in self.template.functions():
            if not spec.handler.startswith(ENGINE_HANDLERS):
                continue  # example workers are replaced by what is registered with the runtime
            env = function_environment(self.template, spec.logical_id, self.resources)
            env.update(self._overrides)
            deps = build_dependencies(env, self.clock, self.session, self._new_id)
            # Lambda functions are the callables registered with the runtime.
            deps.lambdas = LocalLambdas(self.worker, deps.settings)
            self._deps[spec.logical_id] = deps
            module = importlib.import_module(spec.handler.rsplit(".", 1)[0])
            handler = self._around(_bind(module.handle, deps))
            for event in spec.sqs_events:
                self._subscribe(event.queue_logical_id, handler, event.batch_size)
            for route in spec.api_events:
                self._routes.append((route.method.upper(), route.path, handler))
            for schedule in spec.schedule_events:
                self.schedules.add(schedule.expression, handler)
            task_queues.update(task_queue_urls(env))
            self.worker.configure(
                result_queue_url=env["TASK_RESULT_QUEUE_URL"], bus=SqsMessageBus(self.sqs)
            )
        worker_handler = self._around(make_lambda_handler(self.worker))
        for url in sorted(task_queues):
            self._subscriptions.append(
                Subscription(url, _arn_of(url, self.region), worker_handler, 10)
            )

    def _subscribe(
        self, queue_logical_id: str, handler: Callable[..., dict[str, Any]], batch_size: int
    ) -> None:
        url = self.resources.ref(queue_logical_id)
        self._subscriptions.append(
            Subscription(url, self.resources.get_att(queue_logical_id, "Arn"), handler, batch_size)
        )

    def _new_id(self) -> str:
        self._ids += 1
        return str(uuid.UUID(int=self._ids))

    @property
    def store(self) -> Any:
        """The execution store the handlers use (for inspection in tests)."""
        return next(iter(self._deps.values())).store

    # -- the public contract ---------------------------------------------------
    def register(
        self,
        route: str,
        action_or_fn: str | Callable[..., Any],
        fn: Callable[..., Any] | None = None,
    ) -> None:
        """Register ``fn(task_input, context)`` for Service + Action, or for a Resource."""
        self.worker.register(route, action_or_fn, fn)

    def publish(self, definition: DefinitionSource, workflow: str | None = None) -> str:
        """Store a definition and point a workflow name at it; returns the workflow name.

        Raises:
            ValueError: the workflow name breaks the naming rule (steplane.names).
        """
        loaded = load_definition(definition)
        name = check_name(workflow or default_workflow_name(definition, loaded), "workflow name")
        self.store.put_definition(loaded)
        self.store.publish(name, loaded.hash, self.clock.now())
        return name

    def start(
        self, definition: DefinitionSource, input: Any = None, name: str | None = None
    ) -> str:
        """Publish ``definition``, start it via ``POST /executions``; return the execution id."""
        workflow = self.publish(definition)
        body = {
            "workflow": workflow,
            "input": {} if input is None else input,
            **({"name": name} if name else {}),
        }
        status, response = self.http("POST", "/executions", body)
        if status not in (200, 201):
            raise StartRefusedError(status, response)
        return str(response["executionId"])

    def redrive(self, queue: str, max_messages: int = 10_000) -> int:
        """Move the messages dead-lettered from ``queue`` (a logical id such as
        ``"AdvanceQueue"``) back to it, as ``steplane redrive`` does; returns how many."""
        return redrive(self.sqs, self.resources.ref(queue), max_messages).moved

    def http(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Send an HTTP request to the API as an API Gateway proxy event."""
        for route_method, pattern, handler in self._routes:
            event = api_event(method, path, body, route_method, pattern)
            if event is not None:
                return parse_response(handler(event, None))
        return 404, {"message": f"no route for {method} {path}"}

    def run_until_complete(
        self,
        execution_id: str,
        *,
        max_rounds: int = 100_000,
        progress: Callable[[dict[str, Any]], None] | None = None,
        children: Callable[[dict[str, Any]], None] | None = None,
    ) -> ExecutionResult:
        """Deliver messages and skip time until the execution stops; return its result.

        ``progress`` sees each new history event; ``children`` the counts of the children
        a Parallel or Map is parked on, each time they change (see queries.children_counts).
        """
        # Each round reads the head only, and new events only when someone is watching.
        reported: Execution | None = None
        last_counts: dict[str, Any] | None = None
        idle = _IdleSweeps()
        moved = _Moved.DELIVERED
        head: Execution | None = None
        for _ in range(max_rounds):
            if moved is not _Moved.JUMPED or head is None:  # a bare clock jump changes no head
                head = self.store.get_head(execution_id)
            if head is None:
                raise ExecutionNotFoundError(execution_id)
            if progress is not None and (reported is None or head.version > reported.version):
                token = resume_token(reported) if reported is not None else None
                for event in history_since(self.store, head, token):
                    progress(event_to_api(event))
                reported = head
            if children is not None and head.fan_out is not None:
                counts = children_counts(self.store, head)
                if counts is not None and counts != last_counts:
                    children(counts)
                    last_counts = counts
            if head.status.is_terminal:
                return result_of(self.store, execution_id)
            moved = self._move()
            if moved is _Moved.IDLE:
                self._sweep_when_due(head, idle)
        raise StalledError(f"execution {execution_id!r} still running after {max_rounds} rounds")

    def run_all(self, max_rounds: int = 1_000_000) -> None:
        """Deliver until no message is in flight anywhere."""
        for _ in range(max_rounds):
            if not self.step(raise_when_idle=False):
                return

    def step(self, raise_when_idle: bool = True) -> bool:
        """Deliver one round of visible messages, or skip time to the next due one."""
        moved = self._move()
        if moved is _Moved.IDLE and raise_when_idle:
            raise StalledError("no message is in flight: the execution cannot make progress")
        return moved is not _Moved.IDLE

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of virtual time pass: deliver what comes due, fire schedules."""
        until = self.clock.now() + timedelta(seconds=seconds)
        while self._move(until) is not _Moved.IDLE:
            pass
        self.clock.advance_to(until)
        self.schedules.fire_due()
        # Deliver what is due by ``until`` (a sweep's re-sends), and nothing later: the
        # clock stops where it was asked to.
        while self._move(until) is not _Moved.IDLE:
            pass

    def _move(self, until: datetime | None = None) -> _Moved:
        """Deliver one round, or jump the clock to the next due message (not past ``until``)."""
        account, region = self.resources.account_id, self.region

        def receivable(names: set[str]) -> set[str]:
            return receivable_queues(account, region, names)

        if deliver_round(self.sqs, self._subscriptions, self.deliver_twice, receivable):
            return _Moved.DELIVERED
        consumed = {queue_name(s.queue_url) for s in self._subscriptions}
        due = next_message_due(account, region, consumed)
        if due is None or (until is not None and due > until):
            return _Moved.IDLE
        # Always move forward, so a message moto still hides at ``due`` cannot stall the loop.
        self.clock.advance_to(max(due, self.clock.now() + timedelta(milliseconds=1)))
        self.schedules.fire_due()
        return _Moved.JUMPED

    def _sweep_when_due(self, head: Execution, idle: _IdleSweeps) -> None:
        """Nothing is in flight, yet ``head`` runs: skip to the sweeper's next work, as the
        deployed sweeper would heal a lost message; stall if that brings no progress."""
        due = self.store.sweep.next_due()
        tick = self.schedules.first_tick_at_or_after(max(due, self.clock.now())) if due else None
        if tick is None or idle.exhausted(head):
            raise StalledError(
                f"execution {head.execution_id!r} is {head.status} in state {head.state!r}, "
                "nothing is in flight, and re-sending what it waits for brought no progress "
                "(is a task waiting for a callback?)"
            )
        self.clock.advance_to(tick)
        idle.swept(ok=self.schedules.fire_due() > 0)


class _Moved(Enum):
    """What one move of the runtime did."""

    DELIVERED = "delivered"  # handlers ran
    JUMPED = "jumped"  # the clock skipped to the next due message (schedules may have run)
    IDLE = "idle"  # nothing is in flight


class _IdleSweeps:
    """Counts sweeps that found an execution where they left it (its version unchanged)."""

    LIMIT = 3  # sweeps that ran and did not move the execution
    FAILED_LIMIT = 25  # sweeps that died themselves (a fault-injection run), in a row

    def __init__(self) -> None:
        self._version = -1
        self._count = 0
        self._failed = 0
        self._last_ok: bool | None = None

    def swept(self, *, ok: bool) -> None:
        """Note a sweep, and whether it ran without failing itself."""
        self._last_ok = ok

    def exhausted(self, head: Execution) -> bool:
        """Whether LIMIT sweeps ran, or FAILED_LIMIT sweeps died, without moving ``head``."""
        if head.version != self._version:
            self._version, self._count, self._failed = head.version, 0, 0
        elif self._last_ok is True:
            self._count += 1
        elif self._last_ok is False:
            self._failed += 1
        self._last_ok = None
        return self._count >= self.LIMIT or self._failed >= self.FAILED_LIMIT


def _bind(
    handle: Callable[..., dict[str, Any]], deps: Dependencies
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            return handle(event, context, deps)
        finally:
            deps.flush_statistics()
            # In Lambda, log_metrics flushes once per invocation; here the metrics would
            # pile up in module state and powertools would print them every 100 values.
            metrics.clear_metrics()
            workflow_metrics.clear()

    return invoke


def _arn_of(queue_url: str, region: str) -> str:
    account, name = queue_url.rstrip("/").split("/")[-2:]
    return f"arn:aws:sqs:{region}:{account}:{name}"


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
