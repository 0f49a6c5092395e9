"""Cost benchmark: AWS requests, DynamoDB capacity units and Lambda invocations per transition.

Run: ``python -m tests.benchmarks.cost [--executions 100] [--duration-ms 50] [--memory-mb 128]``

Method
------
The onboarding workflow (``statemachines/user_onboarding.json``, the example workers of
``steplane.examples.onboarding``) runs on ``steplane.local.LocalRuntime`` (the real engine
handlers on in-process moto) along each of its paths: happy, ``simulate_error``,
``provisioning_failures: 2`` and ``simulate_provisioning_error``. Each path runs as a batch of
``--executions`` executions started together (so every SQS receive and send batch fills as it
would under production load), then as a single execution. The happy path also runs started
through the StartQueue (ten start requests per SendMessageBatch) instead of ``POST /executions``.
One execution of every path runs first, unmeasured, so each function's definition cache is warm
(a Lambda container reads a definition once per cold start).

What is counted, and how
------------------------
* AWS requests: botocore event hooks (``provide-client-params`` to keep the request parameters,
  ``after-call`` to see the parsed response) registered on the event system of the runtime's
  boto3 session (``rt.session``) before it creates its first client; every handler's clients are
  made from that session, which the benchmark checks: it records every client creation during
  ``LocalRuntime.__enter__`` and, while measuring, counts every botocore API call in the process
  (a wrapper around ``BaseClient._make_api_call``); the two totals must agree.
  Provisioning and ``publish`` (definitions, workflow names) are not measured: they are deploy-time
  costs. The executions are started by ``POST /executions`` (as ``LocalRuntime.start`` does) or by
  messages on the StartQueue; reading histories afterwards is not measured either.
* SQS: every request, billed as AWS does: one request per 64 KB chunk of payload (a batch of ten
  small messages is one request). ReceiveMessage and DeleteMessageBatch are made by the local
  event source mapping (``steplane.local.delivery``) exactly as Lambda's SQS poller makes them in
  production, and AWS bills them to the queue owner, so they are included. *Empty* receives are
  excluded and reported apart: locally they come from polling every queue in every delivery
  round; in production the poller's idle long polls are a fixed cost per queue, independent of
  the number of transitions.
* DynamoDB write units, from the items in the requests: item size is the sum over attributes of
  the UTF-8 length of the name plus the value size (S: UTF-8 bytes; N: 1 byte per two significant
  digits + 1; B: bytes; BOOL/NULL: 1; L/M: 3 + per element 1 + value (+ key name for M)).
  A PutItem costs 1 WCU per started KB of the larger of the item before and after (a shadow copy of
  every item's size is kept from the writes seen, all of which pass through the hooks); a
  conditional write that fails still costs the size of the existing item (minimum 1); writes
  inside a TransactWriteItems count double. UpdateItem is not modelled (the engine does not use
  it); it would be reported as unmodelled.
* DynamoDB read units, from the response items: GetItem 1 RCU per started 4 KB strongly
  consistent, half eventually consistent (minimum one unit, also when no item is found);
  Query sums the sizes of the items returned before rounding.
* Payload size: the example inputs are tiny (an email address); ``--pad-bytes N`` adds an N-byte
  string to every onboarding input to show how the cost grows with the data an execution carries.
* Head item size: the largest ``HEAD`` item (sk ``HEAD``, see ``adapters/dynamodb_items.py``)
  written while measuring; flagged at 2 KB or more.
* Lambda invocations: every SQS batch handed to a subscribed handler and every HTTP request is
  one invocation (the benchmark wraps the runtime's subscription and route handlers). Engine
  functions (Start, Advance, TaskComplete) are priced into the engine cost; the example worker
  functions are priced apart: a Step Functions workflow pays for its own task Lambdas too (one
  invocation per task, where the SQS-triggered workers here take up to ten tasks per invocation).
  Duration is *assumed* (default 50 ms at 128 MB, arm64), not measured: in-process moto timings say
  nothing about Lambda's. The template itself sets 256 MB; pass ``--memory-mb 256`` to price that.
* State transitions, as Step Functions Standard bills them: "Step Functions counts a state
  transition each time a step of your workflow is executed ... including retries" and "each retry
  will be charged as an additional state transition" (aws.amazon.com/step-functions/pricing).
  Rule used, from each execution's history: one transition per ``<Type>StateEntered`` event
  (``TaskStateEntered``, ``PassStateEntered``, ``ChoiceStateEntered``, ...) plus one per retry
  (a ``TaskScheduled`` event with ``attempt`` > 1; a retry emits no new ``StateEntered``).
  Execution start and end are not counted as transitions, which makes the per-transition figures
  here conservative (higher) if Step Functions counts them.

Prices (us-east-1 list prices, design.md "Cost"): SQS $0.40 per million requests; DynamoDB
on-demand $0.625 per million WCU and $0.125 per million RCU; Lambda $0.20 per million requests plus
$0.0000133334 per GB-s (arm64); Step Functions Standard $25 per million transitions. API Gateway is
not in design.md's list: a REST API request is assumed at $3.50 per million (``--apigw-price``) and
shown apart, for executions started by ``POST /executions``.

A Pass -> Choice -> Pass -> Task definition (and a longer Pass chain) is compared with a lone Task
to show that Pass and Choice states add transitions but no queue message, DynamoDB write or
invocation: the interpreter runs them inside the decision that enters them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.client

from steplane.examples.onboarding import register_all
from steplane.local import LocalRuntime
from steplane.local.runtime import ENGINE_HANDLERS
from tests.benchmarks.common import (
    ONBOARDING,
    ONBOARDING_PATHS,
    TEMPLATE,
    count_transitions,
    onboarding_input,
    quiet,
    results,
    start_via_api,
    total_commits,
)

KB = 1024
READ_UNIT_BYTES = 4 * KB
SQS_CHUNK_BYTES = 64 * KB
HEAD_FLAG_BYTES = 2 * KB
TARGET_PER_MILLION = 3.0
PARAMS_KEY = "steplane_benchmark_params"
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


# -- prices ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prices:
    """List prices in dollars per unit, and the Lambda duration assumption."""

    memory_mb: int = 128
    duration_ms: float = 50.0
    apigw_request: float = 3.50e-6
    sqs_request: float = 0.40e-6
    wcu: float = 0.625e-6
    rcu: float = 0.125e-6
    lambda_request: float = 0.20e-6
    lambda_gb_second: float = 0.0000133334
    sfn_transition: float = 25e-6

    def lambda_duration(self) -> float:
        """Dollars of compute per invocation at the assumed memory and duration."""
        return self.memory_mb / 1024 * self.duration_ms / 1000 * self.lambda_gb_second


# -- DynamoDB item size ------------------------------------------------------------------------
def number_size(text: str) -> int:
    """Bytes of a DynamoDB number: 1 per two significant digits, plus 1."""
    mantissa = text.lower().split("e")[0].lstrip("+-").replace(".", "")
    digits = len(mantissa.strip("0"))
    return math.ceil(digits / 2) + 1


def value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one DynamoDB-JSON attribute value (``{"S": ...}``, ``{"M": {...}}``, ...)."""
    ((kind, payload),) = value.items()
    if kind == "S":
        return len(str(payload).encode())
    if kind == "N":
        return number_size(str(payload))
    if kind == "B":
        return len(payload)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in payload)
    if kind == "NS":
        return sum(number_size(n) for n in payload)
    if kind == "BS":
        return sum(len(b) for b in payload)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in payload)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(v) for k, v in payload.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: Mapping[str, Any]) -> int:
    """DynamoDB's item size: UTF-8 attribute name lengths plus value sizes."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def item_kind(item: Mapping[str, Any]) -> str:
    """Which kind of engine item a key or item is (by its sort key)."""
    sk = str((item.get("sk") or {}).get("S", ""))
    if sk == "HEAD":
        return "head"
    prefixes = {"H#": "history", "P#": "payload", "DEF": "definition", "WF": "workflow"}
    return next((kind for prefix, kind in prefixes.items() if sk.startswith(prefix)), "other")


def write_units(size: int) -> int:
    """1 WCU per started KB, minimum 1."""
    return max(1, math.ceil(size / KB))


def read_units(size: int, consistent: bool) -> float:
    """1 RCU per started 4 KB strongly consistent, half that eventually consistent; minimum 1."""
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    return float(units) if consistent else units / 2


# -- the meter ---------------------------------------------------------------------------------
@dataclass
class Usage:
    """What one measured scenario consumed."""

    requests: Counter[str] = field(default_factory=Counter)
    sqs_billed: int = 0
    empty_receives: int = 0
    messages_sent: Counter[str] = field(default_factory=Counter)
    wcu: float = 0.0
    rcu: float = 0.0
    wcu_by_item: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    puts_by_item: Counter[str] = field(default_factory=Counter)
    failed_conditional_writes: int = 0
    head_max_bytes: int = 0
    unmodelled: Counter[str] = field(default_factory=Counter)
    invocations: Counter[str] = field(default_factory=Counter)
    engine_functions: set[str] = field(default_factory=set)
    handler_seconds: float = 0.0
    api_requests: int = 0
    hooked_calls: int = 0
    botocore_calls: int = 0

    @property
    def engine_invocations(self) -> int:
        """Invocations of the engine's own functions."""
        return sum(n for name, n in self.invocations.items() if name in self.engine_functions)

    @property
    def worker_invocations(self) -> int:
        """Invocations of task worker functions."""
        return sum(self.invocations.values()) - self.engine_invocations


class Meter:
    """botocore hooks and handler wrappers that add up a :class:`Usage` while counting."""

    def __init__(self) -> None:
        self.counting = False
        self.usage = Usage()
        self._scratch = Usage()  # what happens while not counting (keeps item sizes current)
        self._sizes: dict[tuple[str, ...], int] = {}
        self.key_attributes: dict[str, tuple[str, ...]] = {}
        self.sessions: list[Any] = []
        self.clients: list[tuple[Any, str]] = []
        self.measured: list[Usage] = []

    # -- switching on and off -------------------------------------------------------------------
    @property
    def _target(self) -> Usage:
        return self.usage if self.counting else self._scratch

    def begin(self) -> None:
        """Start a fresh Usage."""
        self.usage = Usage()
        self.counting = True

    def end(self) -> Usage:
        """Stop counting and return what was counted."""
        self.counting = False
        self.measured.append(self.usage)
        return self.usage

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
        usage = self._target
        usage.hooked_calls += 1
        service, operation = model.service_model.service_name, model.name
        params: dict[str, Any] = context.get(PARAMS_KEY, {})
        error = (
            (parsed.get("Error") or {}).get("Code") if http_response.status_code >= 300 else None
        )
        if service == "sqs":
            self._sqs(usage, operation, params, parsed)
        else:
            usage.requests[f"{service}.{operation}"] += 1
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
    def _key(self, table: str, item: Mapping[str, Any]) -> tuple[str, ...]:
        names = self.key_attributes.get(table, ("pk", "sk"))
        return (table, *(repr(sorted((item.get(n) or {}).items())) for n in names))

    def _write(
        self,
        usage: Usage,
        table: str,
        item: Mapping[str, Any],
        error: str | None,
        *,
        factor: int = 1,
        delete: bool = False,
    ) -> None:
        key = self._key(table, item)
        before = self._sizes.get(key, 0)
        if error == "ConditionalCheckFailedException":
            usage.failed_conditional_writes += 1
            units = write_units(before)
        elif error is not None:
            return  # a request DynamoDB refused outright consumes nothing
        elif delete:
            units = write_units(before)
            self._sizes.pop(key, None)
        else:
            after = item_size(item)
            units = write_units(max(before, after))
            self._sizes[key] = after
            kind = item_kind(item)
            usage.puts_by_item[kind] += 1
            if kind == "head":
                usage.head_max_bytes = max(usage.head_max_bytes, after)
        usage.wcu += units * factor
        usage.wcu_by_item[item_kind(item)] += units * factor

    def _dynamodb(
        self,
        usage: Usage,
        operation: str,
        params: dict[str, Any],
        parsed: dict[str, Any],
        error: str | None,
    ) -> None:
        table = params.get("TableName", "")
        if operation == "PutItem":
            self._write(usage, table, params["Item"], error)
        elif operation == "DeleteItem":
            self._write(usage, table, params["Key"], error, delete=True)
        elif operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                ((action, body),) = entry.items()
                if action == "Put":
                    self._write(usage, body["TableName"], body["Item"], error, factor=2)
                elif action in ("Delete", "ConditionCheck"):
                    self._write(usage, body["TableName"], body["Key"], error, factor=2, delete=True)
                else:
                    usage.unmodelled[f"TransactWriteItems.{action}"] += 1
        elif operation == "BatchWriteItem":
            for name, requests in params["RequestItems"].items():
                for request in requests:
                    if "PutRequest" in request:
                        self._write(usage, name, request["PutRequest"]["Item"], error)
                    else:
                        self._write(
                            usage, name, request["DeleteRequest"]["Key"], error, delete=True
                        )
        elif operation == "GetItem":
            size = item_size(parsed.get("Item") or {})
            usage.rcu += read_units(size, bool(params.get("ConsistentRead")))
        elif operation in ("Query", "Scan"):
            size = sum(item_size(item) for item in parsed.get("Items") or [])
            usage.rcu += read_units(size, bool(params.get("ConsistentRead")))
        elif operation in ("UpdateItem", "BatchGetItem", "TransactGetItems"):
            usage.unmodelled[operation] += 1

    # -- Lambda ---------------------------------------------------------------------------------
    def wrap(self, function: str, engine: bool, handler: Handler, api: bool = False) -> Handler:
        """A handler that counts each call as one invocation of ``function``."""

        def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
            usage = self._target
            usage.invocations[function] += 1
            usage.api_requests += int(api)
            if engine:
                usage.engine_functions.add(function)
            started = time.perf_counter()
            try:
                return handler(event, context)
            finally:
                usage.handler_seconds += time.perf_counter() - started

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
    original = botocore.client.BaseClient._make_api_call

    def counted(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if meter.counting:
            meter.usage.botocore_calls += 1
        return original(client, operation_name, api_params)

    botocore.client.BaseClient._make_api_call = counted
    try:
        yield
    finally:
        botocore.client.BaseClient._make_api_call = original


def instrument(rt: LocalRuntime, meter: Meter) -> None:
    """Wrap the runtime's subscriptions and routes so each invocation is counted.

    Reaches into ``rt._subscriptions`` and ``rt._routes``: LocalRuntime has no invocation hook.
    """
    by_queue: dict[str, tuple[str, bool]] = {}
    by_route: dict[tuple[str, str], tuple[str, bool]] = {}
    for spec in rt.template.functions():
        engine = spec.handler.startswith(ENGINE_HANDLERS)
        for event in spec.sqs_events:
            by_queue[rt.resources.ref(event.queue_logical_id)] = (spec.logical_id, engine)
        for route in spec.api_events:
            by_route[(route.method.upper(), route.path)] = (spec.logical_id, engine)
    for index, subscription in enumerate(rt._subscriptions):
        queue = subscription.queue_url.rsplit("/", 1)[-1]
        name, engine = by_queue.get(subscription.queue_url, (f"worker({queue})", False))
        wrapped = meter.wrap(name, engine, subscription.handler)
        rt._subscriptions[index] = dataclasses.replace(subscription, handler=wrapped)
    for index, (method, path, handler) in enumerate(rt._routes):
        name, engine = by_route.get((method, path), (f"{method} {path}", True))
        rt._routes[index] = (method, path, meter.wrap(name, engine, handler, api=True))
    for table in rt.template.tables():
        keys = tuple(str(k["AttributeName"]) for k in table.key_schema)
        meter.key_attributes[rt.resources.ref(table.logical_id)] = keys


# -- scenarios ---------------------------------------------------------------------------------
@dataclass
class Measured:
    """One scenario: its executions, the transitions they made, and what they consumed."""

    label: str
    executions: int
    transitions: int
    commits: int
    usage: Usage
    statuses: Counter[str]
    pass_choice_entered: int = 0

    def per_transition(self, value: float) -> float:
        """``value`` divided by the transitions."""
        return value / self.transitions if self.transitions else float("nan")


def start_via_queue(rt: LocalRuntime, workflow: str, inputs: Sequence[Any], tag: str) -> list[str]:
    """Send start requests to the StartQueue, ten per SendMessageBatch; the execution ids."""
    url = rt.resources.ref("StartQueue")
    names = [f"{tag}-{i}" for i in range(len(inputs))]
    for first in range(0, len(inputs), 10):
        entries = [
            {"Id": str(i), "MessageBody": json.dumps({"workflow": workflow, "input": x, "name": n})}
            for i, (x, n) in enumerate(
                zip(inputs[first : first + 10], names[first : first + 10], strict=True)
            )
        ]
        rt.sqs.send_message_batch(QueueUrl=url, Entries=entries)
    return [f"{workflow}:{name}" for name in names]


def measure(
    rt: LocalRuntime,
    meter: Meter,
    label: str,
    workflow: str,
    inputs: Sequence[Any],
    *,
    via: str = "api",
) -> Measured:
    """Start every input together, run until nothing is in flight, and read what it cost."""
    meter.begin()
    with quiet():
        if via == "api":
            ids = start_via_api(rt, workflow, inputs)
        else:
            ids = start_via_queue(rt, workflow, inputs, tag=f"q{len(meter.measured)}")
        rt.run_all()
    usage = meter.end()
    finished = results(rt, ids)
    commits = total_commits(rt, ids)
    return Measured(
        label=label,
        executions=len(ids),
        transitions=sum(count_transitions(r.history) for r in finished),
        commits=commits,
        usage=usage,
        statuses=Counter(r.status for r in finished),
        pass_choice_entered=sum(
            1
            for r in finished
            for e in r.history
            if e["type"] in ("PassStateEntered", "ChoiceStateEntered")
        ),
    )


# -- pricing and printing ----------------------------------------------------------------------
@dataclass(frozen=True)
class Cost:
    """Dollars per million transitions, by component."""

    sqs: float
    wcu: float
    rcu: float
    lambda_requests: float
    lambda_duration: float
    worker_lambda: float
    apigw: float

    @property
    def engine(self) -> float:
        """SQS + DynamoDB + engine Lambda: the figure to set beside Step Functions."""
        return self.sqs + self.wcu + self.rcu + self.lambda_requests + self.lambda_duration


def cost_of(m: Measured, prices: Prices) -> Cost:
    """Price a scenario per million transitions."""
    u, million = m.usage, 1e6

    def per_m(amount: float) -> float:
        return m.per_transition(amount) * million

    return Cost(
        sqs=per_m(u.sqs_billed * prices.sqs_request),
        wcu=per_m(u.wcu * prices.wcu),
        rcu=per_m(u.rcu * prices.rcu),
        lambda_requests=per_m(u.engine_invocations * prices.lambda_request),
        lambda_duration=per_m(u.engine_invocations * prices.lambda_duration()),
        worker_lambda=per_m(
            u.worker_invocations * (prices.lambda_request + prices.lambda_duration())
        ),
        apigw=per_m(u.api_requests * prices.apigw_request),
    )


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain fixed-width table: first column left-aligned, the others right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def path_table(columns: Sequence[Measured], prices: Prices) -> str:
    """Per-transition figures and dollars per million transitions, one column per scenario."""
    costs = [cost_of(m, prices) for m in columns]
    rows: list[list[str]] = []

    def row(label: str, values: Sequence[str]) -> None:
        rows.append([label, *values])

    def per_t(label: str, get: Callable[[Measured], float]) -> None:
        row(label, [f"{m.per_transition(get(m)):.3f}" for m in columns])

    def counts(label: str, values: Sequence[float]) -> None:
        row(label, [f"{m.per_transition(v):.3f}" for m, v in zip(columns, values, strict=True)])

    def dollars(label: str, get: Callable[[Cost], float]) -> None:
        row(label, [f"${get(c):.3f}" for c in costs])

    row("executions", [str(m.executions) for m in columns])
    row("statuses", [" ".join(f"{k}={v}" for k, v in sorted(m.statuses.items())) for m in columns])
    row("transitions (SFN rule)", [str(m.transitions) for m in columns])
    row("transitions per execution", [f"{m.transitions / m.executions:.2f}" for m in columns])
    row("engine commits per transition", [f"{m.per_transition(m.commits):.3f}" for m in columns])
    row("-- requests per transition", ["" for _ in columns])
    operations = sorted({op for m in columns for op in m.usage.requests})
    for op in operations:
        counts(f"  {op}", [m.usage.requests[op] for m in columns])
    per_t("  SQS billed requests (64 KB chunks)", lambda m: m.usage.sqs_billed)
    per_t("  SQS messages sent", lambda m: sum(m.usage.messages_sent.values()))
    row("  (empty receives, excluded)", [str(m.usage.empty_receives) for m in columns])
    row("-- capacity per transition", ["" for _ in columns])
    per_t("  DynamoDB WCU", lambda m: m.usage.wcu)
    for kind in ("head", "history", "payload"):
        counts(f"    of which {kind} items", [m.usage.wcu_by_item.get(kind, 0.0) for m in columns])
    per_t("  DynamoDB RCU", lambda m: m.usage.rcu)
    row("  failed conditional writes", [str(m.usage.failed_conditional_writes) for m in columns])
    row("-- Lambda invocations per transition", ["" for _ in columns])
    names = sorted({n for m in columns for n in m.usage.invocations})
    for name in names:
        counts(f"  {name}", [m.usage.invocations[name] for m in columns])
    per_t("  engine total", lambda m: m.usage.engine_invocations)
    per_t("  workers total", lambda m: m.usage.worker_invocations)
    row(
        "  measured in-process ms/invocation",
        [
            f"{1000 * m.usage.handler_seconds / max(1, sum(m.usage.invocations.values())):.1f}"
            for m in columns
        ],
    )
    row("-- $ per million transitions", ["" for _ in columns])
    dollars("  SQS", lambda c: c.sqs)
    dollars("  DynamoDB writes", lambda c: c.wcu)
    dollars("  DynamoDB reads", lambda c: c.rcu)
    dollars("  Lambda requests (engine)", lambda c: c.lambda_requests)
    dollars("  Lambda GB-s (engine, assumed)", lambda c: c.lambda_duration)
    dollars("  ENGINE TOTAL", lambda c: c.engine)
    row("  Step Functions Standard", ["$25.000" for _ in columns])
    row("  SFN / engine", [f"{25 / c.engine:.1f}x" for c in costs])
    row(
        f"  within ${TARGET_PER_MILLION:g} target",
        ["yes" if c.engine <= TARGET_PER_MILLION else "NO" for c in costs],
    )
    dollars("  + worker Lambdas (not in total)", lambda c: c.worker_lambda)
    dollars("  + API Gateway REST (not in total)", lambda c: c.apigw)
    row("head item max bytes", [str(m.usage.head_max_bytes) for m in columns])
    header = ["", *(m.label for m in columns)]
    return render_table(header, rows)


def write_check(m: Measured) -> str:
    """Plausibility: one history put and one head put per commit (the first one creates)."""
    heads, histories = m.usage.puts_by_item["head"], m.usage.puts_by_item["history"]
    ok = heads == m.commits and histories == m.commits
    return (
        f"  check {m.label}: head puts {heads}, history puts {histories} "
        f"(expected {m.commits} each, one per commit): {'OK' if ok else 'MISMATCH'}"
    )


# -- the Pass/Choice demonstration -------------------------------------------------------------
_TASK = {
    "Type": "Task",
    "Service": "NotificationService",
    "Action": "sendWelcomeEmail",
    "End": True,
}
CHAINS: dict[str, dict[str, Any]] = {
    "Task": {"StartAt": "Work", "States": {"Work": _TASK}},
    "Pass>Choice>Pass>Task": {
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Result": "gold", "ResultPath": "$.tier", "Next": "Route"},
            "Route": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.tier", "StringEquals": "gold", "Next": "Annotate"}],
                "Default": "Annotate",
            },
            "Annotate": {"Type": "Pass", "Result": True, "ResultPath": "$.seen", "Next": "Work"},
            "Work": _TASK,
        },
    },
    "Pass x8>Choice>Task": {
        "StartAt": "P0",
        "States": {
            **{
                f"P{i}": {"Type": "Pass", "Result": i, "ResultPath": f"$.p{i}", "Next": f"P{i + 1}"}
                for i in range(7)
            },
            "P7": {"Type": "Pass", "Next": "Route"},
            "Route": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.p3", "NumericEquals": 3, "Next": "Work"}],
                "Default": "Work",
            },
            "Work": _TASK,
        },
    },
}


def pass_choice_report(rt: LocalRuntime, meter: Meter, executions: int) -> str:
    """Show that Pass and Choice states cost transitions but no queue message."""
    rows = []
    messages = set()
    for index, (label, definition) in enumerate(CHAINS.items()):
        workflow = rt.publish(definition, workflow=f"bench-chain-{index}")
        inputs = [{"email": f"chain{i}@example.com"} for i in range(executions)]
        m = measure(rt, meter, label, workflow, inputs)
        u, n = m.usage, m.executions
        sent = sum(u.messages_sent.values()) / n
        messages.add(sent)
        by_kind = Counter[str]()
        for queue, count in u.messages_sent.items():
            kind = "advance" if "Advance" in queue else "result" if "Result" in queue else "task"
            by_kind[kind] += count
        rows.append(
            [
                label,
                f"{m.pass_choice_entered / n:.0f}",
                f"{m.transitions / n:.0f}",
                f"{sent:.1f}",
                "/".join(f"{by_kind[k] / n:.1f}" for k in ("task", "result", "advance")),
                f"{(u.requests['sqs.SendMessage'] + u.requests['sqs.SendMessageBatch']) / n:.2f}",
                f"{u.requests['dynamodb.PutItem'] / n:.1f}",
                f"{u.engine_invocations / n:.2f}",
                f"{m.commits / n:.0f}",
            ]
        )
    header = [
        f"definition ({executions} executions each)",
        "Pass/Choice entered",
        "transitions",
        "SQS msgs sent",
        "task/result/advance",
        "send requests",
        "PutItem",
        "engine invocations",
        "commits",
    ]
    verdict = (
        "SQS messages per execution do not grow with Pass/Choice states: OK"
        if len(messages) == 1
        else "SQS messages per execution GROW with Pass/Choice states"
    )
    return render_table(header, rows) + "\n(all figures per execution)\n" + verdict


# -- main --------------------------------------------------------------------------------------
def padded(execution_input: dict[str, Any], pad_bytes: int, seed: int = 0) -> dict[str, Any]:
    """The input with a ``pad`` string of ``pad_bytes`` random hex digits (none when 0).

    Hex digits carry 4 bits per byte, so the padding compresses about 2:1, like typical
    JSON records with ids and numbers; a run of one character would compress to nothing
    and flatter the figures.
    """
    if not pad_bytes:
        return execution_input
    digits = random.Random(seed).randbytes((pad_bytes + 1) // 2).hex()[:pad_bytes]
    return {**execution_input, "pad": digits}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.cost", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--executions", type=int, default=100, help="executions started together per path"
    )
    parser.add_argument("--memory-mb", type=int, default=128, help="assumed Lambda memory")
    parser.add_argument(
        "--duration-ms", type=float, default=50.0, help="assumed Lambda duration per invocation"
    )
    parser.add_argument(
        "--apigw-price", type=float, default=3.50, help="API Gateway $ per million requests"
    )
    parser.add_argument(
        "--pad-bytes",
        type=int,
        default=0,
        help="add a string of this many bytes to every onboarding input (payload sensitivity)",
    )
    parser.add_argument(
        "--chain-executions", type=int, default=10, help="executions per Pass/Choice definition"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Run every scenario and print the tables."""
    args = parse_args(argv)
    prices = Prices(
        memory_mb=args.memory_mb, duration_ms=args.duration_ms, apigw_request=args.apigw_price / 1e6
    )
    meter = Meter()
    wall = time.perf_counter()
    with ExitStack() as stack:
        with hooked_sessions(meter):  # only while the runtime creates its session and clients
            rt = stack.enter_context(LocalRuntime(TEMPLATE))
        stack.enter_context(all_botocore_calls(meter))
        register_all(rt.worker)
        instrument(rt, meter)
        report(rt, meter, prices, args)
    print(f"\n(benchmark wall time {time.perf_counter() - wall:.1f} s)")


def report(rt: LocalRuntime, meter: Meter, prices: Prices, args: argparse.Namespace) -> None:
    """Measure and print."""
    n = args.executions
    workflow = rt.publish(ONBOARDING)
    with quiet():  # warm every function's definition cache (once per Lambda cold start)
        for path in ONBOARDING_PATHS:
            rt.run_until_complete(start_via_api(rt, workflow, [onboarding_input(path, -1)])[0])

    print("steplane cost benchmark: onboarding workflow on LocalRuntime (moto)")
    print(
        f"Prices: SQS $0.40/M requests, DynamoDB $0.625/M WCU, $0.125/M RCU, Lambda $0.20/M "
        f"requests + $0.0000133334/GB-s; Lambda duration ASSUMED {prices.duration_ms:g} ms at "
        f"{prices.memory_mb} MB arm64 (${prices.lambda_duration() * 1e6:.4f}/M invocations; the "
        f"template sets 256 MB); Step Functions Standard $25/M transitions."
    )
    print(
        "Transitions: StateEntered events + retries (TaskScheduled attempt > 1). Engine total = "
        "SQS + DynamoDB + engine Lambdas (Start/Advance/TaskComplete)."
    )
    all_measured: list[Measured] = []
    summary: list[list[str]] = []
    for path in ONBOARDING_PATHS:
        inputs = [padded(onboarding_input(path, i), args.pad_bytes, i) for i in range(n)]
        columns = [
            measure(rt, meter, f"{n} concurrent", workflow, inputs),
            measure(rt, meter, "single", workflow, inputs[:1]),
        ]
        if path == "happy":
            columns.append(measure(rt, meter, f"{n} via StartQueue", workflow, inputs, via="queue"))
        shown = {
            **onboarding_input(path, 0),
            **({"pad": f"<{args.pad_bytes} bytes>"} if args.pad_bytes else {}),
        }
        print(f"\n== path: {path} (input {shown})")
        print(path_table(columns, prices))
        for m in columns:
            print(write_check(m))
            summary.append(summary_row(path, m, prices))
        all_measured.extend(columns)

    print("\n== summary ($ per million transitions)")
    print(
        render_table(
            [
                "path",
                "scenario",
                "transitions/exec",
                "engine $/M",
                "SFN/engine",
                "+workers",
                "+API GW",
            ],
            summary,
        )
    )

    happy = next(m for m in all_measured if m.label == f"{n} concurrent")
    happy_cost = cost_of(happy, prices).engine
    verdict = "met" if happy_cost <= TARGET_PER_MILLION else "NOT met"
    print(
        f"Happy path, {n} concurrent executions: ${happy_cost:.3f} per million transitions "
        f"(target <= ${TARGET_PER_MILLION:g}: {verdict}; Step Functions Standard $25)"
    )

    print("\n== Pass/Choice states and queue messages")
    print(pass_choice_report(rt, meter, args.chain_executions))

    head_max = max(u.head_max_bytes for u in meter.measured)
    flag = "FLAG: >= 2 KB" if head_max >= HEAD_FLAG_BYTES else "below 2 KB: OK"
    print(f"\n== head item: largest HEAD item written while measuring: {head_max} bytes ({flag})")
    print(instrumentation_check(rt, meter))


def summary_row(path: str, m: Measured, prices: Prices) -> list[str]:
    """One line of the summary table."""
    c = cost_of(m, prices)
    return [
        path,
        m.label,
        f"{m.transitions / m.executions:.2f}",
        f"${c.engine:.3f}",
        f"{25 / c.engine:.1f}x",
        f"${c.worker_lambda:.3f}",
        f"${c.apigw:.3f}",
    ]


def instrumentation_check(rt: LocalRuntime, meter: Meter) -> str:
    """Did the hooks see every AWS call, and were all clients made from ``rt.session``?"""
    hooked = sum(u.hooked_calls for u in meter.measured)
    seen = sum(u.botocore_calls for u in meter.measured)
    from_rt = all(session is rt.session for session, _ in meter.clients)
    services = Counter(service for _, service in meter.clients)
    requests = sum(sum(u.requests.values()) + u.empty_receives for u in meter.measured)
    invocations = sum(sum(u.invocations.values()) for u in meter.measured)
    lines = [
        "\n== instrumentation check",
        f"  boto3 sessions that created clients: {len(meter.sessions)}; all clients made from "
        f"rt.session: {'yes' if from_rt else 'NO'} ({dict(services)})",
        f"  AWS calls while measuring: botocore saw {seen}, the session hooks saw {hooked}: "
        f"{'all hooked' if seen == hooked else 'SOME CALLS ESCAPED THE HOOKS'}",
        f"  requests counted {requests}, Lambda invocations counted {invocations}: "
        f"{'non-zero' if requests and invocations else 'ZERO - instrumentation broken'}",
    ]
    unmodelled = sum((u.unmodelled for u in meter.measured), Counter[str]())
    if unmodelled:
        lines.append(
            f"  WARNING unmodelled DynamoDB operations (units not counted): {dict(unmodelled)}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
