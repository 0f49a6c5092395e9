"""``steplane console``: the web console, on a local demo or against a deployed stack, and
``steplane graph``: a definition (and an execution's path through it) as Mermaid."""

from __future__ import annotations

import argparse
import contextlib
import sys
import webbrowser
from collections.abc import Iterator
from typing import Any

from steplane.cli.api_client import Api, connect, every_page
from steplane.cli.arguments import definition_file, loaded_definition
from steplane.cli.errors import FAILED, CommandError


def console_command(args: argparse.Namespace) -> int:
    """Serve the console until Ctrl-C: for ``--stack``/``--endpoint``, else the demo."""
    from steplane.console.server import ConsoleServer  # noqa: PLC0415 - this command only

    with _target(args) as (api, what):
        try:
            server = ConsoleServer(api, args.host, args.port)
        except ValueError as error:
            raise CommandError(f"console: --host {error}") from error
        except OSError as error:
            message = f"console: cannot listen on {args.host}:{args.port}: {error}"
            raise CommandError(message) from error
        with server:
            print(f"steplane console ({what}): {server.url}  (Ctrl-C stops it)", flush=True)
            if args.open:
                webbrowser.open(server.url)
            server.serve_forever()
    return 0


@contextlib.contextmanager
def _target(args: argparse.Namespace) -> Iterator[tuple[Api, str]]:
    if args.stack or args.endpoint:
        yield connect(args, "console"), f"stack {args.stack}" if args.stack else args.endpoint
        return
    try:
        from steplane.console.demo import Demo  # noqa: PLC0415 - needs the local extra
    except ImportError as error:
        raise CommandError(
            f"console: the demo needs the local extra ({error.name} is missing): "
            "pip install 'steplane[local]', or pass --stack NAME"
        ) from error
    with Demo() as demo:
        yield demo.api, "demo: onboarding executions on a local runtime"


def graph_command(args: argparse.Namespace) -> int:
    """Print the definition as a Mermaid flowchart (with ``--execution``: its path)."""
    from steplane.graph import outcomes, to_mermaid  # noqa: PLC0415

    loaded = loaded_definition(definition_file(args.definition))
    if loaded is None:
        return FAILED
    found: Any = None
    if args.execution:
        from urllib.parse import quote  # noqa: PLC0415

        path = f"/executions/{quote(args.execution, safe='')}/history"
        found = outcomes(every_page(connect(args, "graph"), path, "events", "graph"))
    text = to_mermaid(loaded, found)
    if args.markdown:
        text = f"```mermaid\n{text.rstrip()}\n```"
    sys.stdout.write(text.rstrip() + "\n")
    return 0
