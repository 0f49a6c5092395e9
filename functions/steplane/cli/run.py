"""``steplane run``: one execution on the local runtime, its progress, history and outcome."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from steplane.cli.arguments import check_name, definition_file, read_input
from steplane.cli.errors import FAILED, CommandError
from steplane.cli.history import HistoryLines, cause_text
from steplane.cli.workers import EXAMPLES, Registrar, load_registrar, register_workers
from steplane.definition.loader import default_workflow_name, load_definition
from steplane.errors import DefinitionError

if TYPE_CHECKING:
    from steplane.local import ExecutionResult


def run_command(args: argparse.Namespace) -> int:
    """Run ``args.definition`` to completion; exit 0 only if it succeeded."""
    execution_input = read_input(args.input, sys.stdin)
    check_name(args.name, "--name")
    definition = definition_file(args.definition)
    try:
        loaded = load_definition(definition)
    except DefinitionError as error:
        print(f"{definition}: {error}", file=sys.stderr)  # every problem, one per line
        return FAILED
    check_name(default_workflow_name(definition, loaded), f"{definition}: WorkflowName")
    # With --json, stdout carries the result alone: what workers print goes to stderr.
    quiet = contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext()
    with quiet:
        registrars = {module: load_registrar(module) for module in args.workers or [EXAMPLES]}
        result = _execute(definition, execution_input, args.name, registrars, args.json)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, default=str))
    return 0 if result.status == "SUCCEEDED" else FAILED


def _execute(
    definition: Path,
    execution_input: Any,
    name: str | None,
    registrars: dict[str, Registrar],
    quiet: bool,
) -> ExecutionResult:
    """Start and drive the execution; in text mode print progress, then the history."""
    local = _local_runtime()
    with _runtime_errors(), local.LocalRuntime() as runtime:
        register_workers(registrars, runtime.worker)
        start = runtime.clock.now()
        execution_id = runtime.start(definition, execution_input, name=name)
        if not quiet:
            print(f"execution {execution_id}")
        progress = None if quiet else _progress_printer(HistoryLines(start))
        result: ExecutionResult = runtime.run_until_complete(execution_id, progress=progress)
    if not quiet:
        _print_outcome(result, start)
    return result


def _progress_printer(lines: HistoryLines) -> Callable[[dict[str, Any]], None]:
    def show(event: dict[str, Any]) -> None:
        line = lines.progress_line(event)
        if line is not None:
            print(line)

    return show


def _print_outcome(result: ExecutionResult, start: datetime) -> None:
    print("\nhistory:")
    lines = HistoryLines(start)
    for event in result.history:
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
