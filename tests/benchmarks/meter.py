"""The cost benchmark's meter: botocore hooks and handler wrappers that add up a Usage.

See ``tests/benchmarks/cost.py`` for the method; ``dynamodb_capacity.py`` for the DynamoDB
rules. Calls made inside a scheduled invocation (the sweeper) are added to a Usage of their
own, so a scenario's per-transition figures never include the sweeper's fixed cost.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import boto3

from steplane.local import LocalRuntime
from steplane.local.runtime import ENGINE_HANDLERS
from tests.benchmarks.common import redelivered, watching_aws_calls
from tests.benchmarks.dynamodb_capacity import (
    IndexSpec,
    IndexWrites,
    ShadowTable,
    WriteCharge,
    item_size,
    read_units,
    write_units,
)

KB = 1024
SQS_CHUNK_BYTES = 64 * KB
PARAMS_KEY = "steplane_benchmark_params"
NEAR_BYTES = 32
_PK_ONLY = re.compile(r"^\s*pk\s*=\s*(:\w+)\s*$")
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

# Attributes added to the items since the README's previous cost figures (the sweeper
# foundations and batch-isolation commits): on the head, the sweep index keys (sws, sw),
# when progress is overdue (sa), the re-send count (swn), the children's expiry (cx), the
# commit time (at), the transition count (tc) and its TTL (expiresAt); on history items
# their TTL and write time (at, for taking over an orphan); on payloads their TTL. The
# "before the sweeper" figures price the same items without them, and no index.
NEW_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "head": ("sws", "sw", "sa", "swn", "cx", "at", "tc", "expiresAt"),
    "history": ("expiresAt", "at"),
    "payload": ("expiresAt",),
}


def item_kind(item: Mapping[str, Any]) -> str:
    """Which kind of engine item a key or item is (by its sort key)."""
    sk = str((item.get("sk") or {}).get("S", ""))
    if sk == "HEAD":
        return "head"
    prefixes = {"H#": "history", "P#": "payload", "DEF": "definition", "WF": "workflow"}
    return next((kind for prefix, kind in prefixes.items() if sk.startswith(prefix)), "other")


@dataclass
class Usage:
    """What one measured scenario consumed (``sweeper``: what its scheduled ticks did)."""

    requests: Counter[str] = field(default_factory=Counter)
    sqs_billed: int = 0
    empty_receives: int = 0
    messages_sent: Counter[str] = field(default_factory=Counter)
    wcu: float = 0.0
    rcu: float = 0.0
    wcu_by_item: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    legacy_wcu: float = 0.0
    index_writes: dict[str, IndexWrites] = field(default_factory=lambda: defaultdict(IndexWrites))
    index_queries: int = 0
    empty_index_queries: int = 0
    index_rcu: float = 0.0
    puts_by_item: Counter[str] = field(default_factory=Counter)
    updates_by_item: Counter[str] = field(default_factory=Counter)
    failed_conditional_writes: int = 0
    head_max_bytes: int = 0
    head_max_new_bytes: int = 0  # of the largest head, the bytes of NEW_ATTRIBUTES["head"]
    crossed_by_new: Counter[str] = field(default_factory=Counter)  # puts a KB up by them
    near_boundary: Counter[str] = field(default_factory=Counter)  # puts <= NEAR bytes below a KB
    unmodelled: Counter[str] = field(default_factory=Counter)
    invocations: Counter[str] = field(default_factory=Counter)
    engine_functions: set[str] = field(default_factory=set)
    redelivered_batches: int = 0
    resent: int = 0
    handler_seconds: float = 0.0
    api_requests: int = 0
    hooked_calls: int = 0
    botocore_calls: int = 0
    sweeper: Usage | None = None

    @property
    def engine_invocations(self) -> int:
        """Invocations of the engine's own functions (scheduled ones are in ``sweeper``)."""
        return sum(n for name, n in self.invocations.items() if name in self.engine_functions)

    @property
    def worker_invocations(self) -> int:
        """Invocations of task worker functions."""
        return sum(self.invocations.values()) - self.engine_invocations

    @property
    def index_wcu(self) -> float:
        """Write units spent on global secondary indexes."""
        return float(sum(w.units for w in self.index_writes.values()))

    @property
    def ticks(self) -> int:
        """Scheduled invocations (only meaningful on a ``sweeper`` Usage)."""
        return sum(self.invocations.values())


class Meter:
    """botocore hooks and handler wrappers that add up a :class:`Usage` while counting."""

    def __init__(self) -> None:
        self.counting = False
        self.usage = Usage(sweeper=Usage())
        self._scratch = Usage()  # what happens while not counting (keeps the shadows current)
        self._scheduled = False  # inside a scheduled invocation (the sweeper)
        self.tables: dict[str, ShadowTable] = {}
        self.sessions: list[Any] = []
        self.clients: list[tuple[Any, str]] = []
        self.measured: list[Usage] = []

    # -- switching on and off -------------------------------------------------------------------
    @property
    def target(self) -> Usage:
        """Where a call made now is added up."""
        if not self.counting:
            return self._scratch
        if self._scheduled and self.usage.sweeper is not None:
            return self.usage.sweeper
        return self.usage

    def begin(self) -> None:
        """Start a fresh Usage."""
        self.usage = Usage(sweeper=Usage())
        self.counting = True

    def end(self) -> Usage:
        """Stop counting and return what was counted."""
        self.counting = False
        self.measured.append(self.usage)
        return self.usage

    def table(self, name: str) -> ShadowTable:
        """The shadow of table ``name`` (one with pk/sk keys and no index if undeclared)."""
        if name not in self.tables:
            self.tables[name] = ShadowTable(("pk", "sk"), kind_of=item_kind)
        return self.tables[name]

    # -- botocore hooks --------------------------------------------------------------------------
    def attach(self, events: Any) -> None:
        """Register the hooks on a botocore event emitter (a session's, before its clients)."""
        events.register("provide-client-params", self._keep_params)
        events.register("after-call", self._after_call)

    def _keep_params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[PARAMS_KEY] = params

    def _after_call(
        self,
        http_response: Any,
        parsed: dict[str, Any],
        model: Any,
        context: dict[str, Any],
        **_: Any,
    ) -> None:
        usage = self.target
        usage.hooked_calls += 1
        service, operation = model.service_model.service_name, model.name
        params: dict[str, Any] = context.get(PARAMS_KEY, {})
        error = (
            (parsed.get("Error") or {}).get("Code") if http_response.status_code >= 300 else None
        )
        if service == "sqs":
            self._sqs(usage, operation, params, parsed)
        else:
            index = f"[{params['IndexName']}]" if params.get("IndexName") else ""
            usage.requests[f"{service}.{operation}{index}"] += 1
            if service == "dynamodb":
                self._dynamodb(usage, operation, params, parsed, error)

    # -- SQS ------------------------------------------------------------------------------------
    def _sqs(
        self, usage: Usage, operation: str, params: dict[str, Any], parsed: dict[str, Any]
    ) -> None:
        queue = str(params.get("QueueUrl", "")).rsplit("/", 1)[-1]
        payload = 0
        if operation == "ReceiveMessage":
            messages = parsed.get("Messages") or []
            if not messages:
                usage.empty_receives += 1
                return
            payload = sum(len(m.get("Body", "").encode()) for m in messages)
        elif operation == "SendMessage":
            payload = len(params["MessageBody"].encode())
            usage.messages_sent[queue] += 1
        elif operation == "SendMessageBatch":
            payload = sum(len(e["MessageBody"].encode()) for e in params["Entries"])
            usage.messages_sent[queue] += len(params["Entries"])
        usage.requests[f"sqs.{operation}"] += 1
        usage.sqs_billed += max(1, math.ceil(payload / SQS_CHUNK_BYTES))

    # -- DynamoDB -------------------------------------------------------------------------------
    def _charge(
        self,
        usage: Usage,
        table: str,
        key_item: Mapping[str, Any],
        charge: WriteCharge,
        error: str | None,
        *,
        action: str,
        factor: int = 1,
    ) -> None:
        """Add one write's units (``factor`` 2 inside a transaction; index writes once)."""
        kind = item_kind(key_item)
        usage.wcu += charge.table_units * factor + charge.index_units
        usage.wcu_by_item[kind] += charge.table_units * factor
        usage.legacy_wcu += charge.legacy_units * factor
        for name, writes in charge.index.items():
            usage.index_writes[name].add(writes)
            usage.wcu_by_item[f"index {name}"] += writes.units
        if error == "ConditionalCheckFailedException":
            usage.failed_conditional_writes += 1
            return
        if error is not None:
            return
        if not charge.modelled:
            usage.unmodelled[f"{action} (priced on the item before)"] += 1
        if action == "put":
            usage.puts_by_item[kind] += 1
        elif action == "update":
            usage.updates_by_item[kind] += 1
        after = self.table(table).get(dict(key_item))
        if after is None:
            return
        size = item_size(after)
        new = size - item_size(after, NEW_ATTRIBUTES.get(kind, ()))
        usage.crossed_by_new[kind] += int(write_units(size) > write_units(size - new))
        usage.near_boundary[kind] += int(0 < -size % KB <= NEAR_BYTES)
        if kind == "head" and size > usage.head_max_bytes:
            usage.head_max_bytes, usage.head_max_new_bytes = size, new

    def _write(
        self,
        usage: Usage,
        table: str,
        action: str,
        body: dict[str, Any],
        error: str | None,
        *,
        factor: int = 1,
    ) -> None:
        shadow = self.table(table)
        if action == "put":
            key_item = body["Item"]
            charge = shadow.put(key_item, error)
        elif action == "delete":
            key_item = body["Key"]
            charge = shadow.delete(key_item, error)
        elif action == "update" and "UpdateExpression" in body:
            key_item = body["Key"]
            charge = shadow.update(
                key_item,
                body["UpdateExpression"],
                body.get("ExpressionAttributeValues"),
                body.get("ExpressionAttributeNames"),
                error,
            )
        else:  # a ConditionCheck, or an UpdateItem with the legacy AttributeUpdates
            key_item = body["Key"]
            charge = shadow.charge_failed(key_item)  # priced on the item as it is
            if action != "check":
                usage.unmodelled[f"{action} without UpdateExpression"] += 1
            error = error or "unchanged"
        self._charge(usage, table, key_item, charge, error, action=action, factor=factor)

    def _dynamodb(
        self,
        usage: Usage,
        operation: str,
        params: dict[str, Any],
        parsed: dict[str, Any],
        error: str | None,
    ) -> None:
        table = params.get("TableName", "")
        writes = {"PutItem": "put", "DeleteItem": "delete", "UpdateItem": "update"}
        if operation in writes:
            self._write(usage, table, writes[operation], params, error)
        elif operation == "TransactWriteItems":
            actions = {
                "Put": "put",
                "Delete": "delete",
                "Update": "update",
                "ConditionCheck": "check",
            }
            for entry in params["TransactItems"]:
                ((action, body),) = entry.items()
                self._write(usage, body["TableName"], actions[action], body, error, factor=2)
        elif operation == "BatchWriteItem":
            for name, requests in params["RequestItems"].items():
                for request in requests:
                    if "PutRequest" in request:
                        self._write(usage, name, "put", request["PutRequest"], error)
                    else:
                        self._write(usage, name, "delete", request["DeleteRequest"], error)
        elif operation == "GetItem":
            size = item_size(parsed.get("Item") or {})
            usage.rcu += read_units(size, bool(params.get("ConsistentRead")))
        elif operation in ("Query", "Scan"):
            self._read_many(usage, params, parsed)
        elif operation in ("BatchGetItem", "TransactGetItems"):
            usage.unmodelled[operation] += 1

    def _read_many(self, usage: Usage, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        items = parsed.get("Items") or []
        # An index is read eventually consistent whatever the request says.
        consistent = bool(params.get("ConsistentRead")) and not params.get("IndexName")
        size = sum(item_size(item) for item in items)
        if params.get("FilterExpression") or params.get("ProjectionExpression"):
            # DynamoDB bills the whole items read before the filter and the projection.
            read = self._partition_size(params)
            if read is None:
                usage.unmodelled["Query/Scan with a filter or projection (RCU low)"] += 1
            else:
                size = read
        units = read_units(size, consistent)
        usage.rcu += units
        if params.get("IndexName"):
            usage.index_queries += 1
            usage.empty_index_queries += int(not items)
            usage.index_rcu += units

    def _partition_size(self, params: dict[str, Any]) -> int | None:
        """Bytes a base-table ``pk = :v`` Query reads (the whole partition, from the shadow);
        None for any other read."""
        match = _PK_ONLY.match(str(params.get("KeyConditionExpression", "")))
        if params.get("IndexName") or params.get("ExclusiveStartKey") or match is None:
            return None
        value = (params.get("ExpressionAttributeValues") or {}).get(match.group(1))
        shadow = self.table(params.get("TableName", ""))
        return sum(item_size(i) for i in shadow.items() if i.get(shadow.keys[0]) == value)

    # -- Lambda ---------------------------------------------------------------------------------
    def wrap(self, function: str, engine: bool, handler: Handler, api: bool = False) -> Handler:
        """A handler that counts each call as one invocation of ``function``."""

        def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
            usage = self.target
            usage.invocations[function] += 1
            usage.api_requests += int(api)
            usage.redelivered_batches += int(redelivered(event))
            if engine:
                usage.engine_functions.add(function)
            started = time.perf_counter()
            try:
                return handler(event, context)
            finally:
                usage.handler_seconds += time.perf_counter() - started

        return invoke

    def wrap_scheduled(self, function: str, handler: Handler) -> Handler:
        """A scheduled handler whose calls are added to the scenario's ``sweeper`` Usage."""

        def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
            self._scheduled = True
            try:
                usage = self.target
                usage.invocations[function] += 1
                usage.engine_functions.add(function)
                response = handler(event, context)
                usage.resent += int((response or {}).get("resent", 0))
                return response
            finally:
                self._scheduled = False

        return invoke


@contextmanager
def hooked_sessions(meter: Meter) -> Iterator[None]:
    """While open, every boto3 session gets the meter's hooks before it creates a client."""
    original = boto3.session.Session.client

    def client(session: Any, *args: Any, **kwargs: Any) -> Any:
        if not any(known is session for known in meter.sessions):
            meter.attach(session.events)
            meter.sessions.append(session)
        made = original(session, *args, **kwargs)
        meter.clients.append((session, made.meta.service_model.service_name))
        return made

    boto3.session.Session.client = client
    try:
        yield
    finally:
        boto3.session.Session.client = original


@contextmanager
def all_botocore_calls(meter: Meter) -> Iterator[None]:
    """Count every botocore API call in the process (to check no client escapes the hooks)."""

    def count(client: Any, operation: str, params: dict[str, Any]) -> None:
        if meter.counting:
            meter.target.botocore_calls += 1

    with watching_aws_calls(count):
        yield


def instrument(rt: LocalRuntime, meter: Meter) -> list[tuple[str, str]]:
    """Wrap the runtime's subscriptions, routes and schedules so each invocation is counted,
    and give the meter each table's keys and indexes. Returns the schedules (function,
    expression).

    Reaches into ``rt._subscriptions``, ``rt._routes`` and ``rt.schedules._timers``:
    LocalRuntime has no invocation hook that names the function.
    """
    by_queue: dict[str, tuple[str, bool]] = {}
    by_route: dict[tuple[str, str], tuple[str, bool]] = {}
    scheduled: list[tuple[str, str]] = []
    for spec in rt.template.functions():
        engine = spec.handler.startswith(ENGINE_HANDLERS)
        for event in spec.sqs_events:
            by_queue[rt.resources.ref(event.queue_logical_id)] = (spec.logical_id, engine)
        for route in spec.api_events:
            by_route[(route.method.upper(), route.path)] = (spec.logical_id, engine)
        if engine:  # the runtime adds the engine's schedules in this order (LocalRuntime._wire)
            scheduled.extend((spec.logical_id, s.expression) for s in spec.schedule_events)
    for index, subscription in enumerate(rt._subscriptions):
        queue = subscription.queue_url.rsplit("/", 1)[-1]
        name, engine = by_queue.get(subscription.queue_url, (f"worker({queue})", False))
        wrapped = meter.wrap(name, engine, subscription.handler)
        rt._subscriptions[index] = replace(subscription, handler=wrapped)
    for index, (method, path, handler) in enumerate(rt._routes):
        name, engine = by_route.get((method, path), (f"{method} {path}", True))
        rt._routes[index] = (method, path, meter.wrap(name, engine, handler, api=True))
    timers = rt.schedules._timers
    if len(timers) != len(scheduled):
        raise RuntimeError(f"{len(timers)} local schedules, the template declares {scheduled}")
    for timer, (name, _) in zip(timers, scheduled, strict=True):
        timer.handler = meter.wrap_scheduled(name, timer.handler)
    for table in rt.template.tables():
        keys = tuple(str(k["AttributeName"]) for k in table.key_schema)
        indexes = [IndexSpec.from_template(gsi) for gsi in table.global_secondary_indexes]
        meter.tables[rt.resources.ref(table.logical_id)] = ShadowTable(
            keys, indexes, NEW_ATTRIBUTES, kind_of=item_kind
        )
    return scheduled
