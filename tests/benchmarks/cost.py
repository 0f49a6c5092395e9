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
  the number of transitions. Batch isolation (``handlers/sqs_batch.py``: a *redelivered* batch
  sends and deletes record by record) costs nothing here: no batch is redelivered without
  faults, which the "redelivered batches" row shows; ``tests.benchmarks.chaos`` measures faults.
* DynamoDB write units (``tests/benchmarks/dynamodb_capacity.py``, rules quoted there): a shadow
  copy of every item is kept from the writes seen, all of which pass through the hooks. Item
  size is the sum over attributes of the UTF-8 length of the name plus the value size (S: UTF-8
  bytes; N: 1 byte per two significant digits + 1; B: bytes; BOOL/NULL: 1; L/M: 3 + per element
  1 + value (+ key name for M)). A PutItem costs 1 WCU per started KB of the larger of the item
  before and after; a conditional write that fails still costs the size of the existing item
  (minimum 1); writes inside a TransactWriteItems count double (the engine makes none).
  UpdateItem (the sweeper's re-send records and retention top-ups) is applied to the shadow copy
  (``SET a = :v``, ``REMOVE a``; anything else is reported as unmodelled) and costs 1 WCU per
  started KB of the larger of the item before and after.
* Global secondary index writes: the template's ``SweepIndex`` (KEYS_ONLY, keys ``sws``/``sw``)
  is sparse: only heads someone must look at carry its keys. Each write is compared with the
  shadow's copy: a write that adds the index keys costs 1 index write, one that removes them 1,
  one that changes a key value 2 (delete + put), one that leaves them unchanged nothing. An
  index entry is the table's keys plus the index keys (about 80 bytes: 1 WCU per index write).
  They are part of "DynamoDB WCU" and shown apart. The executions here run in seconds of
  virtual time, so a head's ``sw`` (rounded up to 300 s) rarely changes between its
  transitions; an execution whose steps straddle a 300 s boundary pays 2 more index writes each
  time (see the note printed with the tables).
* "Before the sweeper": the same writes priced as if the items lacked the attributes added
  since the previous figures (``meter.NEW_ATTRIBUTES``: the index keys, due time, re-send
  count, children's expiry, commit time, transition count and TTL on heads; TTL and write time
  on history items; TTL on payloads) and the table had no index. An estimate from the same run,
  to show what the new design costs, not a run of the old code.
* DynamoDB read units, from the response items: GetItem 1 RCU per started 4 KB strongly
  consistent, half eventually consistent (minimum one unit, also when no item is found);
  Query sums the sizes of the items returned before rounding; a Query on an index is always
  eventually consistent (half an RCU per 4 KB, minimum 0.5).
* The sweeper (``SweepFunction``, ``rate(1 minute)``): it runs whether or not anything runs, so
  its ticks are a fixed cost per month, reported apart: one tick is measured on an empty index
  (``sweep_shards`` Queries on SweepIndex, one Lambda invocation) and priced at 43,800 ticks a
  month (730 hours), with an *assumed* duration (``--sweep-duration-ms``, default 100 ms: 16
  sequential queries). Locally its ticks fire when the virtual clock passes them; whatever they
  do besides the empty queries (re-sends, updates) is counted per transition as "sweeper work"
  (zero when nothing is stuck). EventBridge Scheduler's $1.00 per million invocations (14 million
  a month free) is shown apart.
* A lost message, healed: one happy-path execution whose CreateUser task message is deleted
  from its queue after the start (as a message dead-lettered by a dying worker would be);
  ``run_until_complete`` skips the virtual clock to the sweeper's tick, which re-sends it. What
  that tick did beyond its idle queries is priced per healing. The runtime's look-ahead for the
  next due entry (``next_due``: Limit=1 queries made outside any invocation) is not counted.
* Payload size: the example inputs are tiny (an email address); ``--pad-bytes N`` adds an N-byte
  string to every onboarding input to show how the cost grows with the data an execution carries.
* Head item size: the largest ``HEAD`` item (sk ``HEAD``, see ``adapters/dynamodb_items.py``)
  written while measuring, with the bytes of its new attributes; budget below 2 KB.
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
shown apart, for executions started by ``POST /executions``; so is EventBridge Scheduler.

A Pass -> Choice -> Pass -> Task definition (and a longer Pass chain) is compared with a lone Task
to show that Pass and Choice states add transitions but no queue message, DynamoDB write or
invocation: the interpreter runs them inside the decision that enters them.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from steplane.examples.onboarding import register_all
from steplane.local import LocalRuntime
from steplane.local.schedules import rate_seconds
from steplane.pricing import Prices
from steplane.settings import Settings
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
from tests.benchmarks.dynamodb_capacity import item_size, write_units
from tests.benchmarks.meter import (
    NEAR_BYTES,
    NEW_ATTRIBUTES,
    Meter,
    Usage,
    all_botocore_calls,
    hooked_sessions,
    instrument,
)

KB = 1024
HEAD_FLAG_BYTES = 2 * KB
TARGET_PER_MILLION = 3.0
HOURS_PER_MONTH = 730  # AWS's pricing month
SWEEP_INDEX = "SweepIndex"


# -- prices ------------------------------------------------------------------------------------
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
    sweeper_work: float
    worker_lambda: float
    apigw: float
    index_wcu: float  # part of ``wcu``: the SweepIndex's writes
    legacy_wcu: float  # ``wcu`` as the items were before the sweeper, and no index

    @property
    def engine(self) -> float:
        """SQS + DynamoDB + engine Lambda (+ sweeper work): the figure beside Step Functions."""
        return (
            self.sqs
            + self.wcu
            + self.rcu
            + self.lambda_requests
            + self.lambda_duration
            + self.sweeper_work
        )

    @property
    def engine_before_sweeper(self) -> float:
        """The engine total with the writes priced as before the sweeper (an estimate)."""
        return self.engine - self.wcu - self.sweeper_work + self.legacy_wcu


def sweeper_work_dollars(sweeper: Usage | None, prices: Prices) -> float:
    """What the scheduled ticks did besides their fixed part (empty index queries and the
    invocation): reads of items found, updates and re-sends. Zero when nothing is stuck."""
    if sweeper is None:
        return 0.0
    idle_rcu = 0.5 * sweeper.empty_index_queries
    return (
        sweeper.sqs_billed * prices.sqs_request
        + sweeper.wcu * prices.wcu
        + (sweeper.rcu - idle_rcu) * prices.rcu
    )


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
        sweeper_work=per_m(sweeper_work_dollars(u.sweeper, prices)),
        worker_lambda=per_m(
            u.worker_invocations * (prices.lambda_request + prices.lambda_duration())
        ),
        apigw=per_m(u.api_requests * prices.apigw_request),
        index_wcu=per_m(u.index_wcu * prices.wcu),
        legacy_wcu=per_m(u.legacy_wcu * prices.wcu),
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


class _Rows:
    """Rows of a table with one column per scenario."""

    def __init__(self, columns: Sequence[Measured], prices: Prices) -> None:
        self.columns = columns
        self.costs = [cost_of(m, prices) for m in columns]
        self.rows: list[list[str]] = []

    def row(self, label: str, values: Sequence[str]) -> None:
        self.rows.append([label, *values])

    def section(self, label: str) -> None:
        self.row(label, ["" for _ in self.columns])

    def each(self, label: str, get: Callable[[Measured], object]) -> None:
        self.row(label, [str(get(m)) for m in self.columns])

    def per_t(self, label: str, get: Callable[[Measured], float]) -> None:
        self.row(label, [f"{m.per_transition(get(m)):.3f}" for m in self.columns])

    def dollars(self, label: str, get: Callable[[Cost], float]) -> None:
        self.row(label, [f"${get(c):.3f}" for c in self.costs])


def path_table(columns: Sequence[Measured], prices: Prices) -> str:
    """Per-transition figures and dollars per million transitions, one column per scenario."""
    t = _Rows(columns, prices)
    t.each("executions", lambda m: m.executions)
    t.each("statuses", lambda m: " ".join(f"{k}={v}" for k, v in sorted(m.statuses.items())))
    t.each("transitions (SFN rule)", lambda m: m.transitions)
    t.each("transitions per execution", lambda m: f"{m.transitions / m.executions:.2f}")
    t.per_t("engine commits per transition", lambda m: m.commits)
    _request_rows(t)
    _capacity_rows(t)
    _sweeper_rows(t)
    _invocation_rows(t)
    _dollar_rows(t)
    t.each("head item max bytes", lambda m: m.usage.head_max_bytes)
    return render_table(["", *(m.label for m in columns)], t.rows)


def _request_rows(t: _Rows) -> None:
    t.section("-- requests per transition")
    for op in sorted({op for m in t.columns for op in m.usage.requests}):
        t.per_t(f"  {op}", lambda m, op=op: m.usage.requests[op])
    t.per_t("  SQS billed requests (64 KB chunks)", lambda m: m.usage.sqs_billed)
    t.per_t("  SQS messages sent", lambda m: sum(m.usage.messages_sent.values()))
    t.each("  (empty receives, excluded)", lambda m: m.usage.empty_receives)
    t.each("  redelivered batches (isolation path)", lambda m: m.usage.redelivered_batches)


def _capacity_rows(t: _Rows) -> None:
    t.section("-- capacity per transition")
    t.per_t("  DynamoDB WCU", lambda m: m.usage.wcu)
    for kind in ("head", "history", "payload"):
        t.per_t(f"    of which {kind} items", lambda m, k=kind: m.usage.wcu_by_item.get(k, 0.0))
    t.per_t(f"    of which {SWEEP_INDEX} (GSI, new)", lambda m: m.usage.index_wcu)
    t.per_t("  DynamoDB WCU before the sweeper (est.)", lambda m: m.usage.legacy_wcu)
    t.per_t("  DynamoDB RCU", lambda m: m.usage.rcu)
    t.each("  failed conditional writes", lambda m: m.usage.failed_conditional_writes)
    t.section(f"-- {SWEEP_INDEX} entries per transition")
    t.per_t("  added (1 write)", lambda m: m.usage.index_writes[SWEEP_INDEX].added)
    t.per_t("  removed (1 write)", lambda m: m.usage.index_writes[SWEEP_INDEX].removed)
    t.per_t("  re-keyed (sw moved: 2 writes)", lambda m: m.usage.index_writes[SWEEP_INDEX].rekeyed)


def _sweeper_rows(t: _Rows) -> None:
    t.section("-- sweeper ticks during the run (priced apart)")
    t.each("  ticks fired (virtual clock)", lambda m: sweeper(m).ticks)
    t.each(
        "  index queries (of which empty)",
        lambda m: f"{sweeper(m).index_queries} ({sweeper(m).empty_index_queries})",
    )
    t.each("  executions re-sent", lambda m: sweeper(m).resent)
    t.each(
        "  other requests",
        lambda m: sum(sweeper(m).requests.values()) - sweeper(m).index_queries,
    )


def _invocation_rows(t: _Rows) -> None:
    t.section("-- Lambda invocations per transition")
    for name in sorted({n for m in t.columns for n in m.usage.invocations}):
        t.per_t(f"  {name}", lambda m, n=name: m.usage.invocations[n])
    t.per_t("  engine total", lambda m: m.usage.engine_invocations)
    t.per_t("  workers total", lambda m: m.usage.worker_invocations)
    t.each(
        "  measured in-process ms/invocation",
        lambda m: (
            f"{1000 * m.usage.handler_seconds / max(1, sum(m.usage.invocations.values())):.1f}"
        ),
    )


def _dollar_rows(t: _Rows) -> None:
    t.section("-- $ per million transitions")
    t.dollars("  SQS", lambda c: c.sqs)
    t.dollars("  DynamoDB writes", lambda c: c.wcu)
    t.dollars(f"    of which {SWEEP_INDEX} writes (new)", lambda c: c.index_wcu)
    t.dollars("  DynamoDB reads", lambda c: c.rcu)
    t.dollars("  Lambda requests (engine)", lambda c: c.lambda_requests)
    t.dollars("  Lambda GB-s (engine, assumed)", lambda c: c.lambda_duration)
    t.dollars("  Sweeper work (beyond idle ticks)", lambda c: c.sweeper_work)
    t.dollars("  ENGINE TOTAL", lambda c: c.engine)
    t.dollars("  before the sweeper (est.)", lambda c: c.engine_before_sweeper)
    t.row(
        "  change from the new design",
        [f"{c.engine - c.engine_before_sweeper:+.3f}" for c in t.costs],
    )
    t.row("  Step Functions Standard", ["$25.000" for _ in t.columns])
    t.row("  SFN / engine", [f"{25 / c.engine:.1f}x" for c in t.costs])
    t.row(
        f"  within ${TARGET_PER_MILLION:g} target",
        ["yes" if c.engine <= TARGET_PER_MILLION else "NO" for c in t.costs],
    )
    t.dollars("  + worker Lambdas (not in total)", lambda c: c.worker_lambda)
    t.dollars("  + API Gateway REST (not in total)", lambda c: c.apigw)


def sweeper(m: Measured) -> Usage:
    """What the scheduled ticks did during a scenario."""
    return m.usage.sweeper or Usage()


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
        "--sweep-duration-ms",
        type=float,
        default=100.0,
        help="assumed duration of one idle sweeper tick (16 sequential index queries)",
    )
    parser.add_argument(
        "--chain-executions", type=int, default=10, help="executions per Pass/Choice definition"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Run every scenario and print the tables."""
    args = parse_args(argv)
    prices = Prices(
        memory_mb=args.memory_mb,
        duration_ms=args.duration_ms,
        sweep_duration_ms=args.sweep_duration_ms,
        apigw_request=args.apigw_price / 1e6,
    )
    meter = Meter()
    wall = time.perf_counter()
    with ExitStack() as stack:
        with hooked_sessions(meter):  # only while the runtime creates its session and clients
            # Settings(): production's, 16 sweep-index shards (the runtime's default is 1).
            rt = stack.enter_context(LocalRuntime(TEMPLATE, settings=Settings()))
        stack.enter_context(all_botocore_calls(meter))
        register_all(rt.worker)
        scheduled = instrument(rt, meter)
        measured = report(rt, meter, prices, args)
        text, monthly = sweeper_report(rt, meter, prices, scheduled)
        print(text)
        print(design_change_report(measured, monthly, prices, args.executions))
        print(healing_report(rt, meter, prices, rt.publish(ONBOARDING)))
        print(instrumentation_check(rt, meter))
    print(f"\n(benchmark wall time {time.perf_counter() - wall:.1f} s)")


def report(
    rt: LocalRuntime, meter: Meter, prices: Prices, args: argparse.Namespace
) -> list[Measured]:
    """Measure and print the scenarios; returns them."""
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
        "SQS + DynamoDB (the SweepIndex's writes included) + engine Lambdas "
        "(Start/Advance/TaskComplete) + sweeper work beyond its idle ticks; the idle sweeper is "
        "a fixed monthly cost, priced apart below."
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
                "GSI WCU/t",
                "before sweeper $/M",
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

    print(head_report(meter))
    return all_measured


def head_report(meter: Meter) -> str:
    """The largest head item, its new attributes' share, and what that does to its units."""
    largest = max(meter.measured, key=lambda u: u.head_max_bytes)
    size, new = largest.head_max_bytes, largest.head_max_new_bytes
    flag = "FLAG: >= 2 KB" if size >= HEAD_FLAG_BYTES else "below the 2 KB budget: OK"
    units = (
        "the same WCU per put as without them"
        if write_units(size) == write_units(size - new)
        else f"{write_units(size)} WCU per put instead of {write_units(size - new)}"
    )
    crossed = sum((u.crossed_by_new for u in meter.measured), Counter[str]())
    near = sum((u.near_boundary for u in meter.measured), Counter[str]())
    puts = sum((u.puts_by_item for u in meter.measured), Counter[str]())
    return (
        f"\n== head item: largest HEAD item written while measuring: {size} bytes ({flag})\n"
        f"  of which {new} bytes are attributes new with the sweeper "
        f"({', '.join(NEW_ATTRIBUTES['head'])}); without them {size - new} bytes: "
        f"{write_units(size)} KB started, {units}\n"
        f"  history items: {crossed['history']} of {puts['history']} puts start one more KB "
        f"(1 more WCU) only because of the new attributes "
        f"({', '.join(NEW_ATTRIBUTES['history'])}); {near['history']} more sit within "
        f"{NEAR_BYTES} bytes below a KB boundary"
    )


def sweeper_report(
    rt: LocalRuntime, meter: Meter, prices: Prices, scheduled: Sequence[tuple[str, str]]
) -> tuple[str, float]:
    """One sweeper tick on an index with nothing due, measured and priced per month.

    Returns the text and the idle dollars per month of all scheduled functions."""
    table = meter.tables[rt.resources.ref("ExecutionsTable")]
    left = table.index_entries(SWEEP_INDEX)
    lines = ["\n== sweeper: a fixed cost per month, whatever runs (priced apart)"]
    monthly = 0.0
    for index, (function, expression) in enumerate(scheduled):
        meter.begin()
        with quiet():
            rt.schedules._timers[index].handler(
                {"source": "steplane.local.schedule", "time": rt.clock.now().isoformat()}, None
            )
        tick = meter.end().sweeper or Usage()
        ticks = HOURS_PER_MONTH * 3600 // rate_seconds(expression)
        reads = tick.rcu * prices.rcu
        other = tick.wcu * prices.wcu + tick.sqs_billed * prices.sqs_request
        invocation = prices.lambda_request
        duration = prices.lambda_duration(prices.sweep_duration_ms)
        per_tick = reads + other + tick.ticks * (invocation + duration)
        scheduler = ticks * prices.scheduler_invocation
        requests = ", ".join(f"{n} {op}" for op, n in sorted(tick.requests.items())) or "none"
        lines += [
            f"  {function}, {expression}: {ticks:,} ticks a month ({HOURS_PER_MONTH} h)",
            f"  index entries before the tick: {left} "
            + ("(nothing running: the idle case)" if not left else "(NOT the idle case)"),
            f"  one tick, measured: {requests}; {tick.index_queries} index queries "
            f"({tick.empty_index_queries} empty), {tick.rcu:g} RCU, {tick.wcu:g} WCU, "
            f"{sum(tick.messages_sent.values())} messages, {tick.ticks} Lambda invocation, "
            f"{tick.resent} executions re-sent",
            f"  $ per month idle: DynamoDB reads ${ticks * reads:.4f} + Lambda requests "
            f"${ticks * invocation:.4f} + Lambda GB-s (ASSUMED {prices.sweep_duration_ms:g} ms at "
            f"{prices.memory_mb} MB) ${ticks * duration:.4f}"
            + (f" + other ${ticks * other:.4f}" if other else "")
            + f" = ${ticks * per_tick:.3f} per month",
            f"  + EventBridge Scheduler (not in total): ${scheduler:.3f} per month at $1.00/M "
            f"invocations; $0 within its {prices.scheduler_free_per_month / 1e6:g} M free a month",
            "  (Step Functions has no idle cost; see below what this buys in transitions.)",
        ]
        monthly += ticks * per_tick
    return "\n".join(lines), monthly


def design_change_report(
    measured: Sequence[Measured], monthly: float, prices: Prices, executions: int
) -> str:
    """What the sweeper design changed in the figures, said plainly."""
    happy = next(m for m in measured if m.label == f"{executions} concurrent")
    c = cost_of(happy, prices)
    u, index = happy.usage, happy.usage.index_writes[SWEEP_INDEX]
    per_t = happy.per_transition
    return "\n".join(
        [
            f"\n== what the sweeper design changed (happy path, {executions} concurrent)",
            f"  DynamoDB WCU per transition: {per_t(u.wcu):.3f}, of which SweepIndex "
            f"{per_t(u.index_wcu):.3f} (entries added {per_t(index.added):.3f}, removed "
            f"{per_t(index.removed):.3f}, re-keyed {per_t(index.rekeyed):.3f}); before the "
            f"sweeper (same items without its attributes, no index): {per_t(u.legacy_wcu):.3f}",
            f"  engine $ per million transitions: ${c.engine:.3f} (before the sweeper, est. "
            f"${c.engine_before_sweeper:.3f}: {c.engine - c.engine_before_sweeper:+.3f}); "
            f"Step Functions $25 ({25 / c.engine:.1f}x ours)",
            f"  sweeper work while nothing is stuck: ${c.sweeper_work:.3f} per million "
            "transitions; its idle ticks: "
            f"${monthly:.3f} per month, the price of {monthly / c.engine * 1e6:,.0f} transitions "
            "a month at this path's rate",
            "  on AWS an execution's index entry is re-keyed (2 more writes) each time a "
            "transition moves its due time across a 300 s boundary: a task of d seconds does so "
            "with probability ~d/300 (d=1: +0.007 WCU, d=30: +0.2 WCU, $0.125/M); here the "
            "virtual clock hardly moves between transitions, so that share is not in the table",
        ]
    )


def summary_row(path: str, m: Measured, prices: Prices) -> list[str]:
    """One line of the summary table."""
    c = cost_of(m, prices)
    return [
        path,
        m.label,
        f"{m.transitions / m.executions:.2f}",
        f"${c.engine:.3f}",
        f"{25 / c.engine:.1f}x",
        f"{m.per_transition(m.usage.index_wcu):.3f}",
        f"${c.engine_before_sweeper:.3f}",
        f"${c.worker_lambda:.3f}",
        f"${c.apigw:.3f}",
    ]


def instrumentation_check(rt: LocalRuntime, meter: Meter) -> str:
    """Did the hooks see every AWS call, were all clients made from ``rt.session``, and do
    the shadow copies the units were priced on match the table's items?"""
    usages = [*meter.measured, *(u.sweeper for u in meter.measured if u.sweeper is not None)]
    hooked = sum(u.hooked_calls for u in usages)
    seen = sum(u.botocore_calls for u in usages)
    from_rt = all(session is rt.session for session, _ in meter.clients)
    services = Counter(service for _, service in meter.clients)
    requests = sum(sum(u.requests.values()) + u.empty_receives for u in usages)
    invocations = sum(sum(u.invocations.values()) for u in usages)
    lines = [
        "\n== instrumentation check",
        f"  boto3 sessions that created clients: {len(meter.sessions)}; all clients made from "
        f"rt.session: {'yes' if from_rt else 'NO'} ({dict(services)})",
        f"  AWS calls while measuring: botocore saw {seen}, the session hooks saw {hooked}: "
        f"{'all hooked' if seen == hooked else 'SOME CALLS ESCAPED THE HOOKS'}",
        f"  requests counted {requests}, Lambda invocations counted {invocations}: "
        f"{'non-zero' if requests and invocations else 'ZERO - instrumentation broken'}",
        shadow_check(rt, meter),
    ]
    unmodelled = sum((u.unmodelled for u in usages), Counter[str]())
    if unmodelled:
        lines.append(
            f"  WARNING unmodelled DynamoDB operations (units not counted): {dict(unmodelled)}"
        )
    return "\n".join(lines)


def shadow_check(rt: LocalRuntime, meter: Meter) -> str:
    """Compare the meter's shadow copies with the items and index entries moto holds (Scans,
    made while the meter is not counting)."""
    name = rt.resources.ref("ExecutionsTable")
    shadow = meter.tables[name]
    client = rt.session.client("dynamodb")
    scan = client.get_paginator("scan")
    items = [i for page in scan.paginate(TableName=name) for i in page["Items"]]
    in_moto = {
        _entry_key(i)
        for page in scan.paginate(TableName=name, IndexName=SWEEP_INDEX)
        for i in page["Items"]
    }
    spec = next(s for s in shadow.indexes if s.name == SWEEP_INDEX)
    in_shadow = {
        _entry_key(e) for i in shadow.items() if (e := spec.entry(i, shadow.keys)) is not None
    }
    differ = sum(1 for i in items if item_size(i) != item_size(shadow.get(i) or {}))
    agree = differ == 0 and len(items) == len(shadow.items()) and in_moto == in_shadow
    return (
        f"  shadow copies vs the table: {len(items)} items in moto, {len(shadow.items())} in the "
        f"shadow, {differ} of a different size; {SWEEP_INDEX} entries (keys and values): "
        f"{len(in_moto)} in moto, {len(in_shadow)} in the shadow: "
        f"{'agree' if agree else 'DISAGREE'}"
    )


def _entry_key(entry: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(entry.get(n)) for n in ("pk", "sk", "sws", "sw"))


def healing_report(rt: LocalRuntime, meter: Meter, prices: Prices, workflow: str) -> str:
    """One execution whose first task message is lost, healed by the sweeper: its cost."""
    sweep = rt.store.sweep
    next_due = sweep.next_due

    def uncounted_next_due() -> Any:  # the local runtime's look-ahead, not a Lambda's call
        counting, meter.counting = meter.counting, False
        try:
            return next_due()
        finally:
            meter.counting = counting

    meter.begin()
    with quiet():
        execution_id = start_via_api(rt, workflow, [onboarding_input("happy", 999_999)])[0]
        meter.counting = False  # losing the message is the benchmark's doing
        url = rt.resources.ref("AuthServiceTaskQueue")
        lost = rt.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        for message in lost:
            rt.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        running_check = shadow_check(rt, meter)
        meter.counting = True
        started = rt.clock.now()
        sweep.next_due = uncounted_next_due  # type: ignore[method-assign]
        try:
            result = rt.run_until_complete(execution_id)
        finally:
            del sweep.next_due
        waited = (rt.clock.now() - started).total_seconds()
    usage = meter.end()
    work = usage.sweeper or Usage()
    requests = ", ".join(f"{n} {op}" for op, n in sorted(work.requests.items()))
    healing = sweeper_work_dollars(work, prices)
    updated = ", ".join(f"{n} {kind}" for kind, n in sorted(work.updates_by_item.items()))
    lines = [
        "\n== one lost task message, healed by the sweeper (happy path, one execution)",
        f"  lost: {len(lost)} CreateUser task message(s), deleted from the queue after the "
        f"start; status {result.status} after {waited / 60:.0f} min of virtual time "
        "(the task lease, 900 s, rounded up to the index's 300 s, then the next tick: "
        "15 to 20 min)",
        f"  while it waited (one running execution):\n  {running_check.strip()}",
        f"  the sweeper's ticks: {work.ticks} fired locally (the clock skips the idle ones), "
        f"{work.resent} re-send; their requests: {requests}",
        f"  beyond the idle queries: {work.wcu:g} WCU (UpdateItem on: {updated}; "
        f"{work.index_wcu:g} of them SweepIndex writes), "
        f"{work.rcu - 0.5 * work.empty_index_queries:g} RCU, {work.sqs_billed} SQS request: "
        f"${healing * 1e6:.2f} per million healings",
        "  (besides recording the re-send, the sweeper raised the expiry of the execution's "
        "items: Engine.sweep calls keep_items, whose due time is the overdue progress, so a "
        "retention top-up - a Query of the partition, an UpdateItem per item and one on the "
        "head - comes with every re-send, however young the execution)"
        if work.updates_by_item.get("history")
        else "",
    ]
    return "\n".join(line for line in lines if line)


if __name__ == "__main__":
    main()
