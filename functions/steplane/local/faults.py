"""Fault injection for the local runtime: Lambda invocations that die at their AWS calls.

A Lambda can die between any two AWS calls (a timeout, an out-of-memory kill, a lost
sandbox). :class:`CrashAtAwsCalls` makes every AWS call made inside an invocation kill
that invocation with a given probability, half of the time before the call is made and
half after it succeeded (the call took effect, its caller never learned it). The
invocation then ends as a dead Lambda does: it reports nothing, so SQS redelivers its whole
batch after the visibility timeout; an API request gets a 502.

Example::

    crash = CrashAtAwsCalls(probability=0.05, seed=7)
    with crash, LocalRuntime(around_invocation=crash.around) as rt:
        ...
    print(crash.crashes)
"""

from __future__ import annotations

import functools
import importlib
import random
import threading
from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


class _Death(BaseException):
    """Unwinds a dying invocation past every ``except Exception`` in the code under test."""


class LambdaCrashedError(RuntimeError):
    """An invocation died (injected): what the runtime's event source mapping sees."""


class CrashAtAwsCalls:
    """Kill invocations at AWS calls with ``probability`` each (reproducible with ``seed``)."""

    def __init__(self, probability: float, seed: int = 0) -> None:
        self.probability = probability
        self.crashes = 0
        self.calls = 0
        self._random = random.Random(seed)
        self._inside = threading.local()
        self._saved: Any = None

    def __enter__(self) -> CrashAtAwsCalls:
        client: Any = importlib.import_module("botocore.client").BaseClient
        original = client._make_api_call
        self._saved = (client, original)
        crash = self

        def make_api_call(client_self: Any, operation: str, params: Any) -> Any:
            crash._maybe_die()
            result = original(client_self, operation, params)
            crash._maybe_die()
            return result

        client._make_api_call = make_api_call
        return self

    def __exit__(self, *exc_info: object) -> None:
        client, original = self._saved
        client._make_api_call = original

    def around(self, handler: Handler) -> Handler:
        """``handler`` as an invocation that may die at any AWS call it makes."""

        @functools.wraps(handler)
        def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
            self._inside.active = True
            try:
                return handler(event, context)
            except _Death:
                raise LambdaCrashedError("the invocation died at an AWS call") from None
            finally:
                self._inside.active = False

        return invoke

    def _maybe_die(self) -> None:
        if not getattr(self._inside, "active", False):
            return  # calls made by the test itself, or by the runtime between invocations
        self.calls += 1
        # Two draws per call (before and after), each half the probability.
        if self._random.random() < self.probability / 2:
            self.crashes += 1
            raise _Death
