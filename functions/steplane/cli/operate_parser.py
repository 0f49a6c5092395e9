"""The operators' sub-commands' arguments (steplane.cli.operate)."""

from __future__ import annotations

import argparse
from typing import Any

from steplane.cli import operate
from steplane.cli.api_client import add_target_arguments


def add_operator_commands(commands: Any) -> None:
    """``executions``, ``start``, ``workflows``, ``console`` and ``graph``."""
    _add_executions(commands)
    _add_console(commands)
    start = _command(commands, "start", "start an execution of a published workflow")
    start.add_argument("workflow")
    start.add_argument(
        "--input", default="{}", help="JSON text, @FILE, or - for stdin (default {})"
    )
    start.add_argument("--name", help="execution name (idempotency key; default: generated)")
    start.add_argument("--business-key", help="what operators will find it by (an order id)")
    start.set_defaults(command_handler=operate.start_command)
    workflows = _command(commands, "workflows", "list published workflows, or one's revisions")
    workflows.add_argument("name", nargs="?", help="a workflow: its revisions")
    workflows.set_defaults(command_handler=operate.workflows_command)


def _add_executions(commands: Any) -> None:
    executions = commands.add_parser(
        "executions", help="find, inspect, stop and redrive executions"
    )
    actions = executions.add_subparsers(dest="action", required=True)
    listing = _command(actions, "list", "executions, newest first")
    listing.add_argument("--workflow")
    listing.add_argument("--status", type=operate.check_status, help="RUNNING, FAILED, ...")
    listing.add_argument("--business-key")
    listing.add_argument("--started-after", metavar="ISO8601")
    listing.add_argument("--started-before", metavar="ISO8601")
    listing.add_argument("--max-results", type=int, default=None, metavar="N")
    listing.add_argument("--next-token")
    listing.add_argument("--all", action="store_true", help="follow every page")
    listing.set_defaults(command_handler=operate.list_command)
    for name, help_text, handler in (
        (
            "describe",
            "an execution's status, state, error, input and output",
            operate.describe_command,
        ),
        ("history", "an execution's events, oldest first", operate.history_command),
    ):
        command = _command(actions, name, help_text)
        command.add_argument("execution_id")
        command.set_defaults(command_handler=handler)
    stop = _command(actions, "stop", "stop a running execution (it ends ABORTED)")
    stop.add_argument("execution_id")
    stop.add_argument("--error")
    stop.add_argument("--cause")
    stop.set_defaults(command_handler=operate.stop_command)
    redrive = _command(
        actions,
        "redrive",
        "run a FAILED, TIMED_OUT or ABORTED execution again from where it stopped",
    )
    redrive.add_argument("execution_id")
    redrive.add_argument("--from-state", help="from this state instead")
    redrive.add_argument("--input", help="the state's input instead: JSON text, @FILE or -")
    redrive.add_argument(
        "--latest-definition", action="store_true", help="on the workflow's newest definition"
    )
    redrive.set_defaults(command_handler=operate.redrive_command)


def _command(parent: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    command: argparse.ArgumentParser = parent.add_parser(
        name, help=help_text, description=help_text
    )
    add_target_arguments(command)
    command.add_argument("--json", action="store_true", help="print the API's answer as JSON")
    return command


def _add_console(commands: Any) -> None:
    from steplane.cli.console import console_command, graph_command  # noqa: PLC0415

    console = commands.add_parser(
        "console",
        help="the web console: a local demo, or a deployed stack's executions",
        description="Serve the web console on this machine. Without --stack or --endpoint it "
        "runs a demo (onboarding executions on a local runtime); with --stack it is a local "
        "proxy that signs the console's requests with your AWS credentials.",
    )
    add_target_arguments(console)
    console.add_argument(
        "--host",
        default="127.0.0.1",
        help="loopback address to listen on (default 127.0.0.1; only this machine)",
    )
    console.add_argument("--port", type=int, default=8765, help="port (default 8765; 0: any)")
    console.add_argument("--open", action="store_true", help="open it in the default browser")
    console.set_defaults(command_handler=console_command)
    graph = commands.add_parser(
        "graph", help="print a definition as a Mermaid flowchart (--execution: its path)"
    )
    graph.add_argument("definition")
    graph.add_argument("--execution", help="colour the states by this execution's outcomes")
    graph.add_argument("--markdown", action="store_true", help="wrap it in a ```mermaid block")
    add_target_arguments(graph)
    graph.set_defaults(command_handler=graph_command)
