"""The ``steplane`` command: ``run`` a workflow locally, ``validate`` definitions."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from steplane.adapters.dynamodb_store import DynamoDBExecutionStore
from steplane.definition.loader import default_workflow_name, load_definition
from steplane.errors import DefinitionError


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``steplane`` console script."""
    parser = argparse.ArgumentParser(
        prog="steplane", description="Run and check steplane workflows."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="run a definition locally (moto, virtual clock, example workers)"
    )
    run.add_argument("definition", help="path to a definition (founding spelling or ASL)")
    run.add_argument("--input", default="{}", help="execution input as JSON (default {})")
    run.add_argument("--name", default=None, help="execution name (idempotency key)")
    run.add_argument("--json", action="store_true", help="print the result as one JSON document")
    run.add_argument(
        "--workers",
        action="append",
        metavar="MODULE",
        help="a module (dotted name or .py path) defining register(worker) that registers your "
        "task handlers; repeatable (default: the onboarding example workers)",
    )
    validate = commands.add_parser("validate", help="report every problem in definitions")
    validate.add_argument("files", nargs="+")
    publish = commands.add_parser(
        "publish", help="store a definition in a deployed stack's table and name it a workflow"
    )
    publish.add_argument("definition")
    publish.add_argument("--workflow", help="workflow name (default: WorkflowName, else file stem)")
    publish.add_argument(
        "--table",
        default=os.environ.get("EXECUTIONS_TABLE_NAME"),
        help="the stack's executions table (default: $EXECUTIONS_TABLE_NAME)",
    )
    args = parser.parse_args(argv)
    if args.command == "validate":
        return _validate(args.files)
    if args.command == "publish":
        return _publish(args.definition, args.workflow, args.table)
    return _run(args.definition, args.input, args.name, args.json, args.workers or [EXAMPLES])


def _validate(files: list[str]) -> int:
    status = 0
    for path in files:
        try:
            load_definition(path)
        except DefinitionError as error:
            status = 1
            count = len(error.problems)
            print(f"{path}: {count} problem{'' if count == 1 else 's'}")
            for problem in error.problems:
                print(f"  {problem}")
        else:
            print(f"{path}: valid")
    return status


def _publish(definition: str, workflow: str | None, table: str | None) -> int:
    if not table:
        print("publish needs --table or EXECUTIONS_TABLE_NAME", file=sys.stderr)
        return 2
    try:
        loaded = load_definition(definition)
    except DefinitionError as error:
        print(error, file=sys.stderr)
        return 1
    import boto3  # noqa: PLC0415 - only this command talks to a real account

    name = workflow or default_workflow_name(definition, loaded)
    store = DynamoDBExecutionStore(boto3.client("dynamodb"), table)
    store.put_definition(loaded)
    store.publish(name, loaded.hash)
    print(f"published {name} -> {loaded.hash}")
    return 0


def _run(
    definition: str, raw_input: str, name: str | None, as_json: bool, workers: list[str]
) -> int:
    try:
        execution_input = json.loads(raw_input)
    except json.JSONDecodeError as error:
        print(
            f"--input is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}",
            file=sys.stderr,
        )
        return 2
    try:
        load_definition(definition)
    except DefinitionError as error:
        print(error, file=sys.stderr)
        return 1
    try:
        registrars = [_registrar(module) for module in workers]
    except WorkersError as error:
        print(error, file=sys.stderr)
        return 2
    try:
        from steplane.local import LocalRuntime  # noqa: PLC0415 - needs the local extra
    except ImportError as error:
        print(
            f"steplane run needs the local runtime ({error.name} is missing): "
            "python -m pip install 'steplane[local]'",
            file=sys.stderr,
        )
        return 2

    with LocalRuntime() as runtime:
        for register in registrars:
            register(runtime.worker)
        start = runtime.clock.now()
        execution_id = runtime.start(definition, execution_input, name=name)

        def show(event: dict[str, Any]) -> None:
            if not as_json and event["type"].endswith(
                ("StateExited", "TaskFailed", "TaskTimedOut")
            ):
                print(
                    f"  +{_offset(event, start):>8}  {event.get('state', ''):<28} {event['type']}"
                )

        if not as_json:
            print(f"execution {execution_id}")
        result = runtime.run_until_complete(execution_id, progress=show)
    if as_json:
        print(json.dumps(result.to_json(), indent=2, default=str))
    else:
        print("\nhistory:")
        for event in result.history:
            state = event.get("state", "")
            print(f"  {event['id']:>3}  +{_offset(event, start):>8}  {state:<28} {event['type']}")
        print(f"\nstatus: {result.status}")
        if result.status == "SUCCEEDED":
            print(f"output: {json.dumps(result.output)}")
        else:
            print(f"error: {result.error}\ncause: {result.cause}")
    return 0 if result.status == "SUCCEEDED" else 1


EXAMPLES = "steplane.examples.onboarding"


class WorkersError(Exception):
    """A --workers module that cannot be loaded or registers nothing."""


def _registrar(module_name: str) -> Callable[[Any], None]:
    """The ``register(worker)`` (or ``register_all``) function of a --workers module."""
    try:
        if module_name.endswith(".py"):
            spec = importlib.util.spec_from_file_location(Path(module_name).stem, module_name)
            if spec is None or spec.loader is None:
                raise WorkersError(f"--workers {module_name}: not a Python file")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except (ImportError, OSError, SyntaxError) as error:
        raise WorkersError(f"--workers {module_name}: cannot load it: {error}") from error
    for attribute in ("register", "register_all"):
        function = getattr(module, attribute, None)
        if callable(function):
            return function  # type: ignore[no-any-return]
    raise WorkersError(
        f"--workers {module_name}: define register(worker) to register your task handlers, "
        "e.g. worker.register('arn:...:function:F', handler)"
    )


def _offset(event: dict[str, Any], start: datetime) -> str:
    seconds = (datetime.fromisoformat(event["timestamp"]) - start).total_seconds()
    return f"{seconds:.0f}s"


if __name__ == "__main__":
    raise SystemExit(main())
