"""The one exception a command raises to stop with a message and an exit code."""

from __future__ import annotations

USAGE = 2  # a bad argument or environment: the run never started
FAILED = 1  # the work ran (or was checked) and failed


class CommandError(Exception):
    """Stop the command: ``main`` prints ``message`` as one line on stderr, exits ``code``."""

    def __init__(self, message: str, code: int = USAGE) -> None:
        super().__init__(message)
        self.code = code
