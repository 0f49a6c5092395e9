"""Chaos benchmark: do executions finish, once each, while Lambdas die at random AWS calls?

Run: ``python -m tests.benchmarks.chaos [--executions 200] [--probability 0.05] [--seed 2026]``

Method
------
``--executions`` onboarding executions (``statemachines/user_onboarding.json``, happy path,
the example workers of ``steplane.examples.onboarding``) are started through the StartQueue,
ten start requests per SendMessageBatch, each with its own name, as
``tests/functional/test_chaos.py`` does. Every Lambda invocation (engine functions, workers and
the scheduled sweeper) dies at each AWS call it makes with probability ``--probability``
(``steplane.local.faults.CrashAtAwsCalls``: half of it before the call, half after the call
took effect; a dead invocation reports nothing, so SQS redelivers its whole batch after the
visibility timeout). No human acts: ``rt.run_all()`` delivers until nothing is in flight, then
``rt.run_until_complete`` per execution lets the local sweeper (template schedule,
``rate(1 minute)`` on the virtual clock) heal what is left. A run that stalls raises
``StalledError`` (or ``ExecutionNotFoundError`` for a start that never committed); it is
caught and counted as stuck, so the benchmark never hangs.

Three variants run side by side, each on a fresh runtime with the same fault seed and the
same virtual start time (the faults then fall on different calls as soon as the variants'
calls differ):

a) the template's batch sizes (StartQueue 1, the other engine queues and the workers 10),
   with batch isolation as the code is (``handlers/sqs_batch.py``: a redelivered batch sends
   and acknowledges record by record);
b) the same with batch isolation switched off: ``steplane.handlers.sqs_batch._delivered_before``
   is replaced for the run by a function returning False (``process_batch`` looks it up at
   call time), so a redelivered batch takes the first-delivery path: one flush and one
   acknowledgement for the whole batch;
c) batch size 1 on the engine's queues (those the template subscribes engine functions to:
   StartQueue, AdvanceQueue, TaskResultQueue): the runtime's subscriptions are replaced by
   copies with ``batch_size=1`` after the runtime starts (workers keep 10). Isolation is on.

Figures per variant: executions finished correctly (SUCCEEDED; each Task state entered exactly
once and succeeded exactly once, in order; the output carries the input's email and the fields
each task adds), finished otherwise, stuck; messages left in each dead-letter queue; crashes
injected and AWS calls made inside invocations; Lambda invocations by function (and how many
died); SQS batches redelivered to engine functions; per-record acknowledgements
(``DeleteMessage``, the isolation path); executions that needed the sweeper: those still
running when ``run_all`` ended (nothing in flight could move them), and apart, those the sweeper
re-sent for at any time (each re-send is recorded by its ``defer`` call; a task that is only
slow past its 900 s lease, its result stuck in crashing batches, is re-sent too, so this
counts the sweeper's actions, not only lost messages); virtual time to finish (from the starts
to the last execution's end, and to the end of ``run_all``); wall time. Wall times are of
one Python process on in-process moto; they compare the variants, not AWS.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from steplane.adapters.sqs_redrive import dead_letter_url
from steplane.errors import ExecutionNotFoundError
from steplane.examples.onboarding import register_all
from steplane.handlers import sqs_batch
from steplane.local import LocalRuntime
from steplane.local.faults import CrashAtAwsCalls, LambdaCrashedError
from steplane.local.result import ExecutionResult, StalledError
from steplane.local.runtime import ENGINE_HANDLERS
from steplane.settings import Settings
from tests.benchmarks.common import ONBOARDING, TEMPLATE, quiet, redelivered, watching_aws_calls

STATES = ["CreateUser", "ProvisionResources", "SendWelcomeEmail", "NotifyInternalTeams"]
OUTPUT_FIELDS = {"userId", "tenantId", "welcomeEmailSent", "teamsNotified"}
START_TIME = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass(frozen=True)
class Variant:
    """One way to run: batch isolation on or off, and the engine queues' batch size."""

    label: str
    isolation: bool = True
    engine_batch_size: int | None = None  # None: the template's


VARIANTS = (
    Variant("a) template batches, isolation"),
    Variant("b) template batches, NO isolation", isolation=False),
    Variant("c) engine batch size 1", engine_batch_size=1),
)


@dataclass
class Outcome:
    """What one variant's run produced."""

    variant: Variant
    executions: int
    correct: int = 0
    finished_wrong: int = 0
    stuck: int = 0
    never_created: int = 0  # stuck because no head exists: the start never committed
    statuses: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    dead_lettered: dict[str, int] = field(default_factory=dict)
    crashes: int = 0
    calls_inside: int = 0
    calls_outside: int = 0
    invocations: Counter[str] = field(default_factory=Counter)
    died: Counter[str] = field(default_factory=Counter)
    redelivered_batches: int = 0
    operations: Counter[str] = field(default_factory=Counter)
    needed_sweeper: int = 0
    sweeper_resent: int = 0
    swept: set[str] = field(default_factory=set)
    virtual_run_all_s: float = 0.0
    virtual_total_s: float = 0.0
    wall_s: float = 0.0


# -- counting invocations ------------------------------------------------------------------------
class Invocations:
    """Counts invocations by function (from the event) and those that died."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.by_queue: dict[str, tuple[str, bool]] = {}
        self.active = False  # inside an invocation (its AWS calls are the ones that may crash)

    def around(self, crash: CrashAtAwsCalls) -> Callable[[Handler], Handler]:
        """The runtime's ``around_invocation``: count outside, crash inside."""

        def wrap(handler: Handler) -> Handler:
            inner = crash.around(handler)

            def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
                name, engine = self._function(event)
                self.outcome.invocations[name] += 1
                if engine and redelivered(event):
                    self.outcome.redelivered_batches += 1
                self.active = True
                try:
                    response = inner(event, context)
                except LambdaCrashedError:
                    self.outcome.died[name] += 1
                    raise
                finally:
                    self.active = False
                return response

            return invoke

        return wrap

    def _function(self, event: dict[str, Any]) -> tuple[str, bool]:
        records = event.get("Records") or []
        if records:
            queue = str(records[0].get("eventSourceARN", "")).rsplit(":", 1)[-1]
            return self.by_queue.get(queue, ("workers", False))
        if event.get("source") == "steplane.local.schedule":
            return "SweepFunction", True
        return "API", True


@contextmanager
def counted_operations(invocations: Invocations) -> Iterator[None]:
    """Count every AWS call in the process by operation, and whether an invocation made it
    (installed over the fault injector's wrapper, so a call that crashes is counted too)."""
    outcome = invocations.outcome

    def count(client: Any, operation: str, params: dict[str, Any]) -> None:
        outcome.operations[operation] += 1
        if invocations.active:
            outcome.calls_inside += 1
        else:
            outcome.calls_outside += 1

    with watching_aws_calls(count):
        yield


def record_sweeps(rt: LocalRuntime, outcome: Outcome) -> None:
    """Note each execution the sweeper re-sent for: wraps the SweepFunction store's ``defer``,
    which records a re-send right after it was sent (reaches into ``rt._deps``)."""
    sweep = rt._deps["SweepFunction"].store.sweep
    defer = sweep.defer

    def recorded(head: Any, sweep_at: Any) -> None:
        outcome.swept.add(head.execution_id)
        outcome.sweeper_resent += 1
        defer(head, sweep_at)

    sweep.defer = recorded  # type: ignore[method-assign]


@contextmanager
def batch_isolation(enabled: bool) -> Iterator[None]:
    """Leave batch isolation as it is, or switch it off for the run (see the docstring)."""
    original = sqs_batch._delivered_before
    if not enabled:
        sqs_batch._delivered_before = lambda records: False
    try:
        yield
    finally:
        sqs_batch._delivered_before = original


# -- one run ------------------------------------------------------------------------------------
def engine_queues(rt: LocalRuntime) -> dict[str, str]:
    """Queue name -> the engine function the template subscribes to it."""
    queues = {}
    for spec in rt.template.functions():
        if spec.handler.startswith(ENGINE_HANDLERS):
            for event in spec.sqs_events:
                url = rt.resources.ref(event.queue_logical_id)
                queues[url.rsplit("/", 1)[-1]] = spec.logical_id
    return queues


def set_engine_batch_size(rt: LocalRuntime, size: int) -> None:
    """Deliver the engine's queues in batches of ``size`` (reaches into ``rt._subscriptions``)."""
    names = engine_queues(rt)
    for index, subscription in enumerate(rt._subscriptions):
        if subscription.queue_url.rsplit("/", 1)[-1] in names:
            rt._subscriptions[index] = replace(subscription, batch_size=size)


def start_all(rt: LocalRuntime, workflow: str, names: Sequence[str]) -> None:
    """Ten start requests per SendMessageBatch on the StartQueue (outside any invocation)."""
    url = rt.resources.ref("StartQueue")
    for first in range(0, len(names), 10):
        entries = [
            {
                "Id": str(i),
                "MessageBody": json.dumps(
                    {"workflow": workflow, "name": name, "input": {"email": f"{name}@x.io"}}
                ),
            }
            for i, name in enumerate(names[first : first + 10])
        ]
        rt.sqs.send_message_batch(QueueUrl=url, Entries=entries)


def check(result: ExecutionResult, name: str) -> str | None:
    """Why ``result`` is not a correct finish (None when it is)."""
    if result.status != "SUCCEEDED":
        return f"{name}: {result.status} ({result.error}: {result.cause})"
    entered = [e["state"] for e in result.history if e["type"] == "TaskStateEntered"]
    succeeded = [e["state"] for e in result.history if e["type"] == "TaskSucceeded"]
    if entered != STATES or succeeded != STATES:
        return f"{name}: task states entered {entered}, succeeded {succeeded}"
    output = result.output if isinstance(result.output, dict) else {}
    if output.get("email") != f"{name}@x.io" or not set(output) >= OUTPUT_FIELDS:
        return f"{name}: output {output}"
    return None


def run_variant(
    variant: Variant, executions: int, probability: float, seed: int, max_rounds: int
) -> Outcome:
    """Run one variant on a fresh runtime and collect its outcome."""
    outcome = Outcome(variant, executions)
    crash = CrashAtAwsCalls(probability=probability, seed=seed)
    invocations = Invocations(outcome)
    names = [f"chaos-{i}" for i in range(executions)]
    with ExitStack() as stack:
        stack.enter_context(crash)
        stack.enter_context(counted_operations(invocations))
        stack.enter_context(batch_isolation(variant.isolation))
        rt = stack.enter_context(
            LocalRuntime(
                TEMPLATE,
                start_time=START_TIME,
                around_invocation=invocations.around(crash),
                settings=Settings(),  # production's: 16 sweep-index shards
            )
        )
        invocations.by_queue = {q: (f, True) for q, f in engine_queues(rt).items()}
        record_sweeps(rt, outcome)
        if variant.engine_batch_size is not None:
            set_engine_batch_size(rt, variant.engine_batch_size)
        register_all(rt.worker)
        workflow = rt.publish(ONBOARDING)
        outcome.operations.clear()  # count from the starts on
        outcome.calls_inside = outcome.calls_outside = 0
        started_wall, started = time.perf_counter(), rt.clock.now()
        with quiet():
            start_all(rt, workflow, names)
            rt.run_all()
            outcome.virtual_run_all_s = (rt.clock.now() - started).total_seconds()
            outcome.needed_sweeper = sum(
                1 for name in names if not _closed(rt, f"{workflow}:{name}")
            )
            for name in names:
                _finish(rt, f"{workflow}:{name}", name, outcome, max_rounds)
        outcome.virtual_total_s = (rt.clock.now() - started).total_seconds()
        outcome.wall_s = time.perf_counter() - started_wall
        outcome.crashes = crash.crashes
        outcome.dead_lettered = dead_letters(rt)
    return outcome


def _closed(rt: LocalRuntime, execution_id: str) -> bool:
    head = rt.store.get_head(execution_id)
    return head is not None and head.status.is_terminal


def _finish(rt: LocalRuntime, execution_id: str, name: str, outcome: Outcome, rounds: int) -> None:
    try:
        result = rt.run_until_complete(execution_id, max_rounds=rounds)
    except (StalledError, ExecutionNotFoundError) as error:
        outcome.stuck += 1
        outcome.statuses["stuck"] += 1
        outcome.never_created += isinstance(error, ExecutionNotFoundError)
        outcome.problems.append(f"{name}: stuck ({type(error).__name__}: {error})")
        return
    outcome.statuses[result.status] += 1
    problem = check(result, name)
    if problem is None:
        outcome.correct += 1
    else:
        outcome.finished_wrong += 1
        outcome.problems.append(problem)


def dead_letters(rt: LocalRuntime) -> dict[str, int]:
    """Messages in each subscribed queue's dead-letter queue, by source queue name."""
    depths = {}
    for subscription in rt._subscriptions:
        dlq = dead_letter_url(rt.sqs, subscription.queue_url)
        attributes = rt.sqs.get_queue_attributes(
            QueueUrl=dlq,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        depths[subscription.queue_url.rsplit("/", 1)[-1]] = int(
            attributes["ApproximateNumberOfMessages"]
        ) + int(attributes["ApproximateNumberOfMessagesNotVisible"])
    return depths


# -- printing -----------------------------------------------------------------------------------
def table(outcomes: Sequence[Outcome]) -> str:
    """The variants side by side."""
    rows: list[list[str]] = []

    def row(label: str, get: Callable[[Outcome], object]) -> None:
        rows.append([label, *(str(get(o)) for o in outcomes)])

    row("executions", lambda o: o.executions)
    row("finished correctly", lambda o: o.correct)
    row("finished otherwise", lambda o: o.finished_wrong)
    row("stuck", lambda o: o.stuck)
    row("  of which never created (start lost)", lambda o: o.never_created)
    row("statuses", lambda o: " ".join(f"{k}={v}" for k, v in sorted(o.statuses.items())))
    row("needed the sweeper (running after run_all)", lambda o: o.needed_sweeper)
    row("executions the sweeper re-sent for", lambda o: len(o.swept))
    row("sweeper re-sends (recorded)", lambda o: o.sweeper_resent)
    row("-- dead-lettered messages (left in DLQs)", lambda o: "")
    for queue in sorted({q for o in outcomes for q in o.dead_lettered}):
        row(f"  {queue}", lambda o, q=queue: o.dead_lettered.get(q, 0))
    row("  total", lambda o: sum(o.dead_lettered.values()))
    row("-- faults", lambda o: "")
    row("  crashes injected", lambda o: o.crashes)
    row("  AWS calls inside invocations (may crash)", lambda o: o.calls_inside)
    row("  AWS calls outside (runtime: polling, reads)", lambda o: o.calls_outside)
    row("-- Lambda invocations (of which died)", lambda o: "")
    for name in sorted({n for o in outcomes for n in o.invocations}):
        row(f"  {name}", lambda o, n=name: f"{o.invocations[n]} ({o.died[n]})")
    row("  total", lambda o: f"{sum(o.invocations.values())} ({sum(o.died.values())})")
    row("  engine batches redelivered", lambda o: o.redelivered_batches)
    row("  per-record DeleteMessage (isolation)", lambda o: o.operations["DeleteMessage"])
    row("-- time", lambda o: "")
    row("  virtual time, run_all", lambda o: _duration(o.virtual_run_all_s))
    row("  virtual time to finish", lambda o: _duration(o.virtual_total_s))
    row("  wall time", lambda o: f"{o.wall_s:.1f} s")
    header = ["", *(o.variant.label for o in outcomes)]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.chaos", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--executions", type=int, default=200, help="executions (default 200)")
    parser.add_argument(
        "--probability",
        type=float,
        default=0.05,
        help="chance that an invocation dies at each AWS call it makes (default 0.05)",
    )
    parser.add_argument("--seed", type=int, default=2026, help="fault seed, the same per variant")
    parser.add_argument(
        "--max-rounds", type=int, default=100_000, help="delivery rounds per run_until_complete"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the variants and print them side by side."""
    args = parse_args(argv)
    print(
        f"steplane chaos benchmark: {args.executions} onboarding executions started through the "
        f"StartQueue; every Lambda invocation dies at each AWS call with p={args.probability:g} "
        f"(CrashAtAwsCalls, seed {args.seed}); no human action (run_all, then "
        "run_until_complete per execution with the local sweeper). Method: module docstring."
    )
    outcomes = []
    for variant in VARIANTS:
        outcome = run_variant(
            variant, args.executions, args.probability, args.seed, args.max_rounds
        )
        outcomes.append(outcome)
        print(f"  ran {variant.label}: {outcome.wall_s:.1f} s wall", flush=True)
    print()
    print(table(outcomes))
    for outcome in outcomes:
        for problem in outcome.problems[:5]:
            print(f"  {outcome.variant.label}: {problem}")
        if len(outcome.problems) > 5:
            print(f"  {outcome.variant.label}: ... {len(outcome.problems) - 5} more")


if __name__ == "__main__":
    main()
