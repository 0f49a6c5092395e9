"""``steplane run``: one execution on the local runtime, its progress, history and outcome."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from steplane.cli.arguments import check_name, definition_file, loaded_definition, read_input
from steplane.cli.errors import FAILED, CommandError
from steplane.cli.history import HistoryLines, cause_text
from steplane.cli.workers import EXAMPLES, Registrar, load_registrar, register_workers
from steplane.definition.loader import Definition, default_workflow_name
from steplane.definition.model import all_states
from steplane.settings import DEFAULT_SETTINGS, Settings
from steplane.worker.client import HANDLER_NOT_FOUND

if TYPE_CHECKING:
    from steplane.local import ExecutionResult


def run_command(args: argparse.Namespace) -> int:
    """Run ``args.definition`` to completion; exit 0 only if it succeeded."""
    execution_input = read_input(args.input, sys.stdin)
    check_name(args.name, "--name")
    definition = definition_file(args.definition)
    loaded = loaded_definition(definition)
    if loaded is None:
        return FAILED
    check_name(default_workflow_name(definition, loaded), f"{definition}: WorkflowName")
    # With --json, stdout carries the result alone: what workers print goes to stderr.
    quiet = contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext()
    with quiet:
        registrars = {module: load_registrar(module) for module in args.workers or [EXAMPLES]}
        settings = Settings(max_transitions=_positive(args.max_transitions, "--max-transitions"))
        objects = [_s3_object(spec) for spec in args.s3 or []]
        result = _execute(
            definition,
            loaded,
            execution_input,
            args.name,
            registrars,
            quiet=args.json,
            settings=settings,
            s3=LocalS3(objects, Path(args.s3_out) if args.s3_out else None),
        )
    if args.json:
        print(json.dumps(result.to_json(), indent=2, default=str))
    return 0 if result.status == "SUCCEEDED" else FAILED


def _execute(
    definition: Path,
    loaded: Definition,
    execution_input: Any,
    name: str | None,
    registrars: dict[str, Registrar],
    *,
    quiet: bool,
    settings: Settings,
    s3: LocalS3,
) -> ExecutionResult:
    """Start and drive the execution; in text mode print progress, then the history."""
    local = _local_runtime()
    with _runtime_errors(), local.LocalRuntime(settings=settings) as runtime:
        register_workers(registrars, runtime.worker)
        _warn_unhandled(loaded, runtime.worker)
        s3.put_all(runtime.session.client("s3"))
        start = runtime.clock.now()
        execution_id = runtime.start(definition, execution_input, name=name)
        if not quiet:
            print(f"execution {execution_id}")
        progress = None if quiet else _progress_printer(HistoryLines(start))
        children = None if quiet else _children_printer()
        result: ExecutionResult = runtime.run_until_complete(
            execution_id, progress=progress, children=children
        )
        s3.copy_out(runtime.session.client("s3"))
    if not quiet:
        _print_outcome(result, start)
    return result


@dataclass(frozen=True)
class LocalS3:
    """What ``--s3`` puts into the local S3 before the run (bucket, key, file), and where
    ``--s3-out`` copies its objects after it."""

    objects: list[tuple[str, str, Path]]
    out: Path | None = None

    def put_all(self, client: Any) -> None:
        """Create each bucket (once) and put each file."""
        from botocore.exceptions import ClientError  # noqa: PLC0415 - with the runtime

        made: set[str] = set()
        for bucket, key, path in self.objects:
            try:
                if bucket not in made:
                    client.create_bucket(Bucket=bucket)
                    made.add(bucket)
                client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
            except ClientError as error:
                raise CommandError(f"--s3 {bucket}/{key}: {error}") from error

    def copy_out(self, client: Any) -> None:
        """Copy every object of every bucket into ``out/bucket/key``."""
        if self.out is None:
            return
        for bucket in client.list_buckets().get("Buckets", []):
            name = bucket["Name"]
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
                for entry in page.get("Contents", []):
                    target = self.out / name / entry["Key"]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    body = client.get_object(Bucket=name, Key=entry["Key"])["Body"].read()
                    target.write_bytes(body)


def _s3_object(spec: str) -> tuple[str, str, Path]:
    """``BUCKET/KEY=FILE`` as (bucket, key, path), the file checked to exist."""
    location, separator, file_name = spec.partition("=")
    bucket, slash, key = location.partition("/")
    if not separator or not slash or not bucket or not key or not file_name:
        raise CommandError(f"--s3 {spec!r}: expected BUCKET/KEY=FILE")
    path = Path(file_name)
    if not path.is_file():
        raise CommandError(f"--s3 {spec!r}: no such file {file_name!r}")
    return bucket, key, path


def _warn_unhandled(loaded: Definition, worker: Any) -> None:
    """Say, before the run starts, which tasks no registered handler does: each would
    fail with Steplane.HandlerNotFound (unless a Retry or Catch is meant for that)."""
    missing = sorted(
        {
            route if route == action else f"{route} {action}"
            for _, _, state in all_states(loaded.machine)
            if (found := state.worker_route()) is not None
            for route, action in [found]
            if not worker.handles(route, action)
        }
    )
    if missing:
        print(
            f"steplane run: no handler is registered for {', '.join(missing)}: these tasks "
            f"will fail with {HANDLER_NOT_FOUND} (a Lambda function: "
            "Lambda.ResourceNotFoundException; --workers registers handlers)",
            file=sys.stderr,
        )


def _positive(value: int | None, option: str) -> int:
    if value is None:
        return DEFAULT_SETTINGS.max_transitions
    if value <= 0:
        raise CommandError(f"{option} must be a positive whole number, got {value}")
    return value


# A long-running loop must not flood the terminal: text output shows the start and the
# end of long progress and history (``--json`` always carries every event).
PROGRESS_SHOWN = 100
HISTORY_HEAD, HISTORY_TAIL = 100, 20


def _progress_printer(lines: HistoryLines) -> Callable[[dict[str, Any]], None]:
    shown = 0

    def show(event: dict[str, Any]) -> None:
        nonlocal shown
        line = lines.progress_line(event)
        if line is None or shown > PROGRESS_SHOWN:
            return
        shown += 1
        print(line if shown <= PROGRESS_SHOWN else "  ... (more progress; the history follows)")

    return show


# The width of a fan-out's progress bar, and how often it is printed (each 5% done).
BAR_WIDTH = 30
BAR_STEPS = 20


def _children_printer() -> Callable[[dict[str, Any]], None]:
    """Print a Parallel's or Map's progress as its children end: a bar with the items
    done (succeeded or failed) of the total, at most every 5%."""
    printed: set[tuple[str, int]] = set()

    def show(counts: dict[str, Any]) -> None:
        if counts.get("readingItems"):
            return  # a Map Run still reading its items: no total yet
        total = counts["total"]
        done = counts["succeeded"] + counts["failed"]
        step = done * BAR_STEPS // total if total else BAR_STEPS
        key = (str(counts["state"]), step)
        if key in printed:
            return
        printed.add(key)
        print(f"  {counts['state']}: {progress_bar(done, total)}{_failed(counts['failed'])}")

    return show


def progress_bar(done: int, total: int) -> str:
    """``[#########.....................] 300/1000`` for ``done`` of ``total``."""
    filled = done * BAR_WIDTH // total if total else BAR_WIDTH
    return f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total}"


def _failed(count: int) -> str:
    return f", {count} failed" if count else ""


def _print_outcome(result: ExecutionResult, start: datetime) -> None:
    print("\nhistory:")
    lines = HistoryLines(start)
    events = result.history
    if len(events) > HISTORY_HEAD + HISTORY_TAIL:
        hidden = len(events) - HISTORY_HEAD - HISTORY_TAIL
        for event in events[:HISTORY_HEAD]:
            print(lines.history_line(event))
        print(f"  ... {hidden} events not shown (--json prints them all)")
        events = events[-HISTORY_TAIL:]
    for event in events:
        print(lines.history_line(event))
    print(f"\nstatus: {result.status}")
    if result.status == "SUCCEEDED":
        print(f"output: {json.dumps(result.output)}")
    else:
        print(f"error: {result.error}\ncause: {cause_text(result.cause)}")


def _local_runtime() -> Any:
    try:
        import steplane.local  # noqa: PLC0415 - the local extra (moto, PyYAML), not in Lambda
    except ImportError as error:
        raise CommandError(
            f"steplane run needs the local runtime ({error.name} is missing): "
            "python -m pip install 'steplane[local]'"
        ) from error
    return steplane.local


@contextlib.contextmanager
def _runtime_errors() -> Iterator[None]:
    """The local runtime's own failures, as one line each."""
    from steplane.local.result import StalledError, StartRefusedError  # noqa: PLC0415
    from steplane.local.template import TemplateError  # noqa: PLC0415

    try:
        yield
    except StartRefusedError as error:
        raise CommandError(f"the engine refused to start the execution: {error.reason}") from error
    except (FileNotFoundError, TemplateError) as error:
        raise CommandError(f"steplane run: cannot build the local stack: {error}") from error
    except StalledError as error:
        raise CommandError(f"steplane run: {error}", FAILED) from error
