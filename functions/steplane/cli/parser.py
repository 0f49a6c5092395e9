"""The command line's shape: sub-commands, their options and their help."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import steplane
from steplane.cli.operate_parser import add_operator_commands
from steplane.cli.publish import publish_command
from steplane.cli.redrive import redrive_command
from steplane.cli.run import run_command
from steplane.cli.validate import validate_command
from steplane.names import NAME_RULE


def build_parser() -> argparse.ArgumentParser:
    """The ``steplane`` parser; each sub-command sets ``command_handler(args) -> int``."""
    parser = argparse.ArgumentParser(
        prog="steplane", description="Run and check steplane workflows."
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"steplane {steplane.__version__} ({Path(steplane.__file__).parent})",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    _add_run(commands)
    _add_validate(commands)
    _add_publish(commands)
    _add_redrive(commands)
    add_operator_commands(commands)
    return parser


def _add_run(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser(
        "run", help="run a definition locally (moto, virtual clock, example workers)"
    )
    run.add_argument("definition", help="path to a definition (founding spelling or ASL)")
    run.add_argument(
        "--input",
        default="{}",
        help="execution input: JSON text, @FILE to read a file, or - to read stdin (default {})",
    )
    run.add_argument(
        "--name",
        default=None,
        # argparse formats help with %: the rule's own % must be doubled.
        help=f"execution name (idempotency key): {NAME_RULE.replace('%', '%%')}",
    )
    run.add_argument(
        "--json",
        action="store_true",
        help="print only the result, as one JSON document (what tasks print goes to stderr)",
    )
    run.add_argument(
        "--workers",
        action="append",
        metavar="MODULE",
        help="a module (dotted name or .py path) defining register(worker) that registers your "
        "task handlers; repeatable (default: the onboarding example workers)",
    )
    run.add_argument(
        "--s3",
        action="append",
        metavar="BUCKET/KEY=FILE",
        help="put FILE into the local S3 (moto) as s3://BUCKET/KEY before the run, for a "
        "distributed Map's ItemReader; repeatable",
    )
    run.add_argument(
        "--s3-out",
        metavar="DIR",
        help="after the run, copy every object of the local S3 into DIR/BUCKET/KEY (a "
        "ResultWriter's manifest and result files)",
    )
    run.add_argument(
        "--max-transitions",
        type=int,
        default=None,
        metavar="N",
        help="fail the execution after N state transitions (default 25000, as deployed)",
    )
    run.set_defaults(command_handler=run_command)


def _add_validate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    validate = commands.add_parser("validate", help="report every problem in definitions")
    validate.add_argument("files", nargs="+")
    validate.set_defaults(command_handler=validate_command)


def _add_publish(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    publish.add_argument(
        "--region", help="the stack's AWS region (default: $AWS_REGION, else the profile's)"
    )
    publish.add_argument("--profile", help="AWS credentials profile (default: $AWS_PROFILE)")
    publish.add_argument(
        "--stack",
        help="the deployed stack: its table (when --table is not given), and the "
        "Integration* parameters that grant the definition's service calls (default: the "
        "stack the table belongs to); publish warns about each call they do not grant",
    )
    publish.set_defaults(command_handler=publish_command)


def _add_redrive(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    redrive = commands.add_parser(
        "redrive",
        help="move a queue's dead-lettered messages back to it (always safe: every engine "
        "message is a hint, handled idempotently)",
    )
    redrive.add_argument("queue_url", help="URL of the source queue (its DLQ is found from it)")
    redrive.add_argument("--max", type=int, default=10_000, help="move at most this many")
    redrive.add_argument("--region", help="the stack's AWS region (default: $AWS_REGION)")
    redrive.add_argument("--profile", help="AWS credentials profile (default: $AWS_PROFILE)")
    redrive.set_defaults(command_handler=redrive_command)
