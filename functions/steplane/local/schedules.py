"""Scheduled functions on the virtual clock, as EventBridge Scheduler would invoke them.

moto never fires schedules, so the local runtime does: each ``rate(...)`` schedule a
function declares in the template fires when the virtual clock reaches its next tick
(once per clock move, however many ticks the move skipped: a sweep covers them all).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from steplane.handlers.observability import logger
from steplane.local.cfn import TemplateError
from steplane.local.clock import VirtualClock

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def rate_seconds(expression: str) -> int:
    """The period of a ``rate(N unit)`` schedule expression, in seconds.

    Raises:
        TemplateError: not a rate expression (cron and at() do not run locally).
    """
    match = _RATE.match(expression.strip())
    if match is None or int(match.group(1)) == 0:
        raise TemplateError(
            f"schedule {expression!r}: only rate(N minutes|hours|days) runs locally"
        )
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


@dataclass
class _Timer:
    handler: Handler
    period: timedelta
    next_at: datetime


class Schedules:
    """The runtime's scheduled functions and when each fires next."""

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock
        self._timers: list[_Timer] = []

    def add(self, expression: str, handler: Handler) -> None:
        """Fire ``handler`` every period of ``expression``, from one period after now."""
        period = timedelta(seconds=rate_seconds(expression))
        self._timers.append(_Timer(handler, period, self._clock.now() + period))

    def fire_due(self) -> int:
        """Invoke every handler whose tick has come; returns how many ran without failing."""
        now, fired = self._clock.now(), 0
        for timer in self._timers:
            if now < timer.next_at:
                continue
            skipped = (now - timer.next_at) // timer.period
            timer.next_at += timer.period * (skipped + 1)
            try:
                timer.handler({"source": "steplane.local.schedule", "time": now.isoformat()}, None)
            except Exception:
                # A failed scheduled invocation is logged and dropped, as Scheduler does
                # with no retries: the next tick runs the function again.
                logger.exception("a scheduled invocation failed; the next tick runs it again")
            else:
                fired += 1
        return fired

    def first_tick_at_or_after(self, moment: datetime) -> datetime | None:
        """The earliest tick of any schedule at or after ``moment`` (None: no schedules)."""
        ticks = []
        for timer in self._timers:
            behind = max(timedelta(0), moment - timer.next_at)
            periods = -(-behind // timer.period)  # ceiling division
            ticks.append(timer.next_at + timer.period * periods)
        return min(ticks, default=None)
