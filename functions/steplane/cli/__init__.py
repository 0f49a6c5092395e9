"""The ``steplane`` command: ``run`` a workflow locally, ``validate`` and ``publish`` definitions.

Every failure the user can cause ends as one line on stderr and a non-zero exit code,
never a traceback: commands raise :class:`CommandError`, and :func:`main` also turns
Ctrl-C (130) and a closed pipe (141, as a shell reports SIGPIPE) into quiet exits.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from steplane.cli.errors import CommandError
from steplane.cli.parser import build_parser

__all__ = ["CommandError", "main"]

INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C
BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports when the reader went away
DEBUG_ENV_VAR = "STEPLANE_DEBUG"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``steplane`` console script; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help, --version, a usage error: argparse has printed
        return done.code if isinstance(done.code, int) else 0 if done.code is None else 2
    try:
        code: int = args.command_handler(args)
        sys.stdout.flush()  # a closed pipe fails here, inside the guard, not at exit
    except CommandError as error:
        _say(str(error))
        return error.code
    except KeyboardInterrupt:
        _say("steplane: interrupted")
        return INTERRUPTED
    except BrokenPipeError:
        _discard_stdout()
        return BROKEN_PIPE
    except Exception as error:
        if os.environ.get(DEBUG_ENV_VAR):
            raise
        _say(f"steplane: unexpected {type(error).__name__}: {error} ({DEBUG_ENV_VAR}=1 shows it)")
        return 1
    return code


def _say(message: str) -> None:
    # One line, whatever the message held, so a caller can read errors line by line.
    print(" ".join(message.split()), file=sys.stderr)


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush cannot fail again.

    The recipe of Python's documentation (signal module, "Note on SIGPIPE").
    """
    try:
        stdout = sys.stdout.fileno()
    except (OSError, ValueError):  # not a real file (a test's capture): nothing will flush it
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, stdout)
