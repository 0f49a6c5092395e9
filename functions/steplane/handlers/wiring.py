"""Builds a handler's dependencies once per cold start, from its environment.

The local runtime builds the same dependencies from the template's environment, with its
virtual clock and moto clients, and passes them to the same ``handle`` functions.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from botocore.config import Config

from steplane.adapters.dynamodb_inputs import PUT_THREADS
from steplane.adapters.dynamodb_store import DynamoDBExecutionStore
from steplane.adapters.sqs_bus import BufferedBus, SqsInbox, SqsMessageBus
from steplane.handlers.observability import logger, workflow_metrics
from steplane.handlers.sqs_batch import QueueRecord
from steplane.limits import MAX_QUEUE_DELAY_SECONDS
from steplane.messages import OutboundMessage, TaskMessage, TaskResultMessage
from steplane.ports import Clock, ObjectStore, SystemClock
from steplane.routing import Routes
from steplane.service import Engine
from steplane.settings import Settings
from steplane.statistics import StateStatistics

if TYPE_CHECKING:
    from steplane.integrations.shell import IntegrationShell

R = TypeVar("R")
Handle = Callable[[dict[str, Any], Any, "Dependencies"], dict[str, Any]]


@dataclass
class Dependencies:
    """What a handler needs: the engine, the store, and the buffered bus it flushes."""

    engine: Engine
    store: DynamoDBExecutionStore
    bus: BufferedBus
    clock: Clock
    inbox: SqsInbox
    routes: Routes
    sqs: Any
    session: Any = None
    settings: Settings = field(default_factory=Settings)
    # Lambda's Invoke for the integrations; None: boto3's (the local runtime: the Python
    # functions registered with it).
    lambdas: Any = None
    # The role the integrations' calls are made with (INTEGRATION_CALL_ROLE_ARN); None:
    # the function's own credentials.
    integration_role: str | None = None
    # The per-state statistics of this invocation's commits (flushed at its end).
    statistics: StateStatistics = field(default_factory=StateStatistics)
    _integrations: Any = None
    # The API resolvers of this container, built once each (their routes and request
    # models are the same for every invocation).
    _resolvers: dict[Callable[..., Any], Any] = field(default_factory=dict)

    def resolver(self, build: Callable[[Dependencies], R]) -> R:
        """The resolver ``build`` makes for these dependencies, built on first use."""
        if build not in self._resolvers:
            self._resolvers[build] = build(self)
        built: R = self._resolvers[build]
        return built

    def integrations(self) -> IntegrationShell:
        """The integrations' shell, built (and its modules imported) on first use: only
        the IntegrationFunction needs it."""
        if self._integrations is None:
            from steplane.adapters.aws_clients import ClientCache, RoleClients  # noqa: PLC0415
            from steplane.integrations.calls import Ports  # noqa: PLC0415
            from steplane.integrations.shell import (  # noqa: PLC0415
                EngineExecutions,
                IntegrationShell,
            )

            session = self.session or boto3.session.Session()
            # The calls are made with the stack's call role (only the Integration* grants),
            # a Task's Credentials' role assumed by the function's own.
            calls = self.integration_role
            roles: dict[str, RoleClients] = {}

            def assume(role: str, name: str) -> Callable[[str], Any]:
                return roles.setdefault(role, RoleClients(session, role, name)).get

            ports = Ports(
                client=RoleClients(session, calls, "steplane-integrations").get
                if calls
                else ClientCache(session).get,
                lambdas=self.lambdas,
                executions=EngineExecutions(self.engine, self.store, self.settings),
                settings=self.settings,
                now=self.clock.now,
                assume=assume,
            )
            self._integrations = IntegrationShell(
                self.engine,
                self.store,
                ports,
                hand_over=self._hand_over,
                look_again=self._look_again,
            )
        shell: IntegrationShell = self._integrations
        return shell

    def _hand_over(self, result: TaskResultMessage) -> None:
        """Send a result to the TaskResultQueue (the TaskComplete function records it)."""
        queue = self.routes.task_result_queue_url
        self.bus.send([OutboundMessage(queue_url=queue, body=result.to_json())])
        self.bus.flush()

    def _look_again(self, task: TaskMessage, seconds: int) -> None:
        """Send a task back to IntegrationQueue in ``seconds`` (SQS caps it at 900)."""
        delay = min(seconds, MAX_QUEUE_DELAY_SECONDS)
        queue = self.routes.integration_queue_url
        self.bus.send([OutboundMessage(queue_url=queue, body=task.to_json(), delay_seconds=delay)])

    def flush_statistics(self) -> None:
        """Add this invocation's per-state tallies to the store. Statistics decide
        nothing: a failure to add them is logged, never a failed invocation (that would
        redeliver inputs whose commits went through)."""
        tallies = self.statistics.drain()
        if not tallies:
            return
        try:
            self.store.stats.add(tallies)
        except Exception:
            logger.exception("per-state statistics were not recorded")

    def settle(self, record: QueueRecord) -> None:
        """Acknowledge one record before its batch ends: send what it produced, delete it."""
        self.bus.flush()  # send before delete: a record is never gone while its sends are not
        self.inbox.delete(record.event_source_arn, record.receipt_handle)


def build_dependencies(
    environ: Mapping[str, str],
    clock: Clock,
    session: Any = None,
    new_id: Callable[[], str] | None = None,
) -> Dependencies:
    """Wire an Engine over DynamoDB and SQS clients made from ``session`` (or boto3's default)."""
    session = session or boto3.session.Session()
    settings = Settings.from_environment(environ)
    table = environ["EXECUTIONS_TABLE_NAME"]
    # A Map Run stores its child inputs on PUT_THREADS threads: one connection each.
    dynamodb = session.client("dynamodb", config=Config(max_pool_connections=PUT_THREADS))
    store = DynamoDBExecutionStore(dynamodb, table, settings)
    statistics = StateStatistics()

    def committed(previous: Any, execution: Any, events: Any) -> None:
        workflow_metrics.observe(previous, execution, events)
        statistics.observe(previous, execution, events)

    store.on_commit = committed
    sqs = session.client("sqs")
    bus = BufferedBus(SqsMessageBus(sqs))
    routes = Routes.from_environment(environ)
    new_id = new_id or (lambda: str(uuid.uuid4()))
    engine = Engine(
        store, bus, routes, clock, new_id, settings=settings, objects=_s3_objects(session)
    )
    return Dependencies(
        engine,
        store,
        bus,
        clock,
        SqsInbox(sqs),
        routes,
        sqs,
        session=session,
        settings=settings,
        integration_role=environ.get("INTEGRATION_CALL_ROLE_ARN") or None,
        statistics=statistics,
    )


def _s3_objects(session: Any) -> Callable[[], ObjectStore]:
    """S3 for Map Runs, its client made (and its adapter imported) on first use."""
    made: list[ObjectStore] = []

    def objects() -> ObjectStore:
        if not made:
            from steplane.adapters.s3_objects import S3Objects  # noqa: PLC0415 - Map Runs only

            made.append(S3Objects(session.client("s3")))
        return made[0]

    return objects


_cold_start: Dependencies | None = None


def entrypoint(handle: Handle) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """Turn ``handle(event, context, dependencies)`` into a Lambda handler."""

    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        global _cold_start  # noqa: PLW0603 - clients are created once per cold start
        if _cold_start is None:
            _cold_start = build_dependencies(os.environ, SystemClock())
        try:
            return handle(event, context, _cold_start)
        finally:
            _cold_start.flush_statistics()
            workflow_metrics.flush()

    return lambda_handler
