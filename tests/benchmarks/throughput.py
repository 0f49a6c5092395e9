"""Throughput benchmark: onboarding executions per second on the local runtime.

Run: ``python -m tests.benchmarks.throughput [--n 200] [--repeat 3] [--profile]``

Method
------
``--n`` executions (default 200) of the onboarding workflow's happy path
(``statemachines/user_onboarding.json``: four Task states, the example workers of
``steplane.examples.onboarding``) run on ``steplane.local.LocalRuntime``: the real engine
handlers on in-process moto, one thread, a virtual clock. One execution runs first, unmeasured,
so imports, definition caches and moto's lazy set-up are warm. The timed section is:

1. start every execution with ``POST /executions`` (as ``LocalRuntime.start`` does, without
   re-publishing the definition each time), then
2. ``rt.run_all()``: deliver SQS batches (ten messages per batch) to the engine and worker
   handlers until no message is in flight.

Wall time covers both. The run is repeated ``--repeat`` times (default 3, each on a fresh
runtime) and the median run is reported. Executions/s is ``n / wall``; transitions/s counts state
transitions as Step Functions Standard bills them (one per state entered plus one per retry; four
per execution on this path, see ``tests/benchmarks/cost.py``). Every execution must succeed.

With ``--profile`` the timed run is repeated on a fresh runtime under cProfile (so the headline
figure is not slowed by the profiler) and the top ten functions by cumulative time are printed,
with the self time per package as a hint of where the time goes.

Caveats: this measures the engine plus moto's emulation in one Python process; it says nothing
about throughput on AWS, which scales with Lambda concurrency and DynamoDB partitions. The
reference figures (Temporal dev server 12 executions/s on the same four-activity workflow; moto's
Step Functions emulator 58 executions/s on a six-state Pass/Choice twin, which is not durable)
are given to this benchmark, not measured by it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from steplane.examples.onboarding import register_all
from steplane.local import LocalRuntime
from tests.benchmarks.common import (
    ONBOARDING,
    TEMPLATE,
    count_transitions,
    onboarding_input,
    quiet,
    results,
    start_via_api,
    total_commits,
)

DEFAULT_N = 200
# (system, workflow, durable, executions per second) - supplied reference figures.
REFERENCES: tuple[tuple[str, str, str, float], ...] = (
    ("Temporal dev server", "same four-activity workflow", "yes", 12.0),
    ("moto Step Functions emulator", "six-state Pass/Choice twin", "no", 58.0),
)


@dataclass(frozen=True)
class Throughput:
    """One timed run."""

    executions: int
    transitions: int
    commits: int
    start_seconds: float
    drain_seconds: float
    statuses: Counter[str]

    @property
    def wall_seconds(self) -> float:
        """Starting plus running to completion."""
        return self.start_seconds + self.drain_seconds

    def per_second(self, count: float) -> float:
        """``count`` per second of wall time."""
        return count / self.wall_seconds


def run(n: int, profiler: cProfile.Profile | None = None) -> Throughput:
    """Start ``n`` happy-path executions together and run them all to completion."""
    with LocalRuntime(TEMPLATE) as rt:
        register_all(rt.worker)
        workflow = rt.publish(ONBOARDING)
        inputs = [onboarding_input("happy", i) for i in range(n)]
        with quiet():
            warm_up = start_via_api(rt, workflow, [onboarding_input("happy", -1)])
            rt.run_until_complete(warm_up[0])
            if profiler is not None:
                profiler.enable()
            started = time.perf_counter()
            ids = start_via_api(rt, workflow, inputs)
            all_started = time.perf_counter()
            rt.run_all()
            finished_at = time.perf_counter()
            if profiler is not None:
                profiler.disable()
        finished = results(rt, ids)
        commits = total_commits(rt, ids)
    return Throughput(
        executions=n,
        transitions=sum(count_transitions(r.history) for r in finished),
        commits=commits,
        start_seconds=all_started - started,
        drain_seconds=finished_at - all_started,
        statuses=Counter(r.status for r in finished),
    )


def report(runs: Sequence[Throughput]) -> str:
    """The median run's figures and the comparison with the reference systems."""
    ordered = sorted(runs, key=lambda r: r.wall_seconds)
    result = ordered[len(ordered) // 2]
    rate = result.per_second(result.executions)
    statuses = " ".join(f"{k}={v}" for k, v in sorted(result.statuses.items()))
    rates = ", ".join(f"{r.per_second(r.executions):.1f}" for r in runs)
    lines = [
        f"steplane throughput: {result.executions} onboarding executions (happy path) on "
        "LocalRuntime (in-process moto, one thread, virtual clock)",
        f"  runs (executions/s)               {rates}  -> median run below",
        f"  statuses                          {statuses}",
        f"  start  ({result.executions} x POST /executions)  {result.start_seconds:8.2f} s",
        f"  drain  (rt.run_all)               {result.drain_seconds:8.2f} s",
        f"  wall time                         {result.wall_seconds:8.2f} s",
        f"  executions/s                      {rate:8.1f}",
        f"  transitions/s (SFN rule, {result.transitions / result.executions:.0f}/exec)"
        f"    {result.per_second(result.transitions):8.1f}",
        f"  engine commits/s                  {result.per_second(result.commits):8.1f}",
        "",
    ]
    header = ("system", "workflow", "durable", "executions/s", "steplane / it")
    rows = [
        ("steplane LocalRuntime (this run)", "onboarding, four Task states", "yes", rate, None),
        *((name, flow, durable, ref, rate / ref) for name, flow, durable, ref in REFERENCES),
    ]
    widths = (32, 29, 7, 12, 13)
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    for name, flow, durable, value, ratio in rows:
        ratio_text = f"{ratio:.2f}x" if ratio is not None else "-"
        lines.append(
            f"{name:<32}  {flow:<29}  {durable:<7}  {value:>12.1f}  {ratio_text:>13}".rstrip()
        )
    lines.append(
        "(reference figures supplied, not measured here; all three are local, single-machine runs)"
    )
    return "\n".join(lines)


def package_of(filename: str) -> str:
    """A profile entry's package: the directory after site-packages, or steplane, or stdlib."""
    parts = filename.replace("\\", "/").split("/")
    if "steplane" in parts:
        return "steplane"
    if "site-packages" in parts:
        index = parts.index("site-packages")
        return parts[index + 1].split(".")[0] if index + 1 < len(parts) else "site-packages"
    if filename.startswith("<") or filename == "~":
        return "(C built-ins)"
    return "stdlib"


def profile_report(profiler: cProfile.Profile, top: int = 10) -> str:
    """Top functions by cumulative time (all, then steplane's own), and self time per package."""
    overall, own = io.StringIO(), io.StringIO()
    pstats.Stats(profiler, stream=overall).sort_stats(pstats.SortKey.CUMULATIVE).print_stats(top)
    stats = pstats.Stats(profiler, stream=own).sort_stats(pstats.SortKey.CUMULATIVE)
    stats.print_stats("functions/steplane/(?!local/)", top)
    by_package: dict[str, float] = defaultdict(float)
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, object]] = stats.stats  # type: ignore[attr-defined]
    for (filename, _, _), (_, _, self_time, _, _) in raw.items():
        by_package[package_of(filename)] += self_time
    total = sum(by_package.values()) or 1.0
    shares = "\n".join(
        f"  {name:<24} {seconds:7.2f} s  {100 * seconds / total:5.1f}%"
        for name, seconds in sorted(by_package.items(), key=lambda kv: -kv[1])[:8]
    )
    return (
        f"profile (a second run under cProfile): top {top} by cumulative time\n"
        + _table_only(overall.getvalue())
        + f"\n\ntop {top} engine functions (steplane outside steplane.local) by cumulative time\n"
        + _table_only(own.getvalue())
        + "\n\nself time by package (where the time goes)\n"
        + shares
    )


def _table_only(text: str) -> str:
    """pstats output from its column header on (drops the banner and blank lines)."""
    lines = [line for line in text.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    return "\n".join(lines[start:])


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.throughput", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="executions (default 200)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed runs, each on a fresh runtime (median shown)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also profile a second run and print the top 10"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Time the run, print it beside the references, and optionally profile."""
    args = parse_args(argv)
    runs = [run(args.n) for _ in range(args.repeat)]
    print(report(runs))
    for result in runs:
        if result.statuses != Counter({"SUCCEEDED": args.n}):
            raise SystemExit(f"not every execution succeeded: {dict(result.statuses)}")
    if args.profile:
        profiler = cProfile.Profile()
        run(args.n, profiler)
        print()
        print(profile_report(profiler))


if __name__ == "__main__":
    main()
