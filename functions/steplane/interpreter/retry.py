"""Retry and Catch matching, as the Step Functions developer guide defines them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from steplane.definition.model import Catcher, Retrier
from steplane.errors import StatesError
from steplane.limits import MAX_WAIT_SECONDS

# "A States.Runtime error isn't retriable, and will always cause the execution to fail.
# A retry or catch on States.ALL won't catch States.Runtime errors."
TERMINAL_ERRORS = frozenset({StatesError.RUNTIME.value})
# "States.ALL ... can't catch the States.DataLimitExceeded terminal error" (it can still
# be named explicitly).
_WILDCARD_EXCLUDED = frozenset({StatesError.DATA_LIMIT_EXCEEDED.value})


def error_matches(error_equals: Sequence[str], error: str) -> bool:
    """Whether a Retrier's or Catcher's ``ErrorEquals`` matches ``error``."""
    if error in TERMINAL_ERRORS:
        return False
    if error in error_equals:
        return True
    if error == StatesError.HEARTBEAT_TIMEOUT and StatesError.TIMEOUT in error_equals:
        # A heartbeat timeout is a kind of timeout: "Step Functions only supports a Catch
        # on States.Timeout that includes both Task timeout and Task Heartbeat timeout"
        # was the rule before States.HeartbeatTimeout existed; definitions rely on it.
        return True
    if error in _WILDCARD_EXCLUDED:
        return False
    if StatesError.ALL in error_equals:
        return True
    # "States.TaskFailed ... acts as a wildcard that matches any known error name except
    # for States.Timeout."
    timeouts = (StatesError.TIMEOUT, StatesError.HEARTBEAT_TIMEOUT)
    return StatesError.TASK_FAILED in error_equals and error not in timeouts


@dataclass(frozen=True)
class RetryPlan:
    """Retry after ``delay_seconds``; ``retry_counts`` are the per-Retrier counts afterwards."""

    delay_seconds: float
    retry_counts: tuple[int, ...]
    retrier_index: int


def plan_retry(
    retriers: Sequence[Retrier], counts: Sequence[int], error: str, jitter: float
) -> RetryPlan | None:
    """Decide whether ``error`` is retried, and after how long.

    The first Retrier whose ErrorEquals matches is the only one consulted; it keeps its
    own count. "MaxAttempts ... 0 is permitted and indicates that the error or errors
    should never be retried"; so a matched but exhausted Retrier returns None and the
    error goes on to Catch. The n-th retry waits ``IntervalSeconds * BackoffRate**(n-1)``,
    capped by ``MaxDelaySeconds``; with ``JitterStrategy: FULL`` the wait is drawn
    uniformly below that (``jitter`` is a number in [0, 1) supplied by the caller, which
    keeps this function pure).
    """
    for index, retrier in enumerate(retriers):
        if not error_matches(retrier.error_equals, error):
            continue
        used = counts[index] if index < len(counts) else 0
        if used >= retrier.max_attempts:
            return None
        delay = _backoff(retrier.interval_seconds, retrier.backoff_rate, used)
        if retrier.max_delay_seconds is not None:
            delay = min(delay, float(retrier.max_delay_seconds))
        if retrier.jitter_strategy == "FULL":
            delay *= jitter
        updated = list(counts) + [0] * (len(retriers) - len(counts))
        updated[index] = used + 1
        return RetryPlan(delay, tuple(updated), index)
    return None


def _backoff(interval: int, rate: float, retries_so_far: int) -> float:
    """``interval * rate**retries_so_far``, held to MAX_WAIT_SECONDS (and never overflowing)."""
    try:
        delay = interval * rate**retries_so_far
    except OverflowError:  # the 1025th retry at rate 2.0: far beyond any cap
        return float(MAX_WAIT_SECONDS)
    return min(delay, float(MAX_WAIT_SECONDS))


def find_catcher(catchers: Sequence[Catcher], error: str) -> Catcher | None:
    """The first Catcher whose ErrorEquals matches ``error`` (Catch is consulted after Retry)."""
    return next((c for c in catchers if error_matches(c.error_equals, error)), None)
