"""What the local runtime changes inside moto while it runs, and undoes afterwards.

- SQS delays and visibility timeouts follow the virtual clock (moto reads the wall clock).
- Every moto request is serialised by one lock: moto is not thread-safe (a worker polling
  in a thread beside the runtime would otherwise race it).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from steplane.local.clock import VirtualClock

_MOTO_LOCK = threading.RLock()


@contextmanager
def patched_moto(clock: VirtualClock) -> Iterator[None]:
    """Apply the patches for the duration of the block."""
    # moto is a local-only dependency, imported here so the Lambda bundle never needs it;
    # its module-level clock functions are private, hence the untyped module handle.
    sqs_models: Any = importlib.import_module("moto.sqs.models")
    stubber: Any = importlib.import_module("moto.core.botocore_stubber").BotocoreStubber

    saved = (sqs_models.unix_time_millis, sqs_models.unix_time, stubber.__call__)
    original_call = stubber.__call__

    def locked_call(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _MOTO_LOCK:
            return original_call(self, *args, **kwargs)

    sqs_models.unix_time_millis = lambda *_: clock.epoch_seconds() * 1000.0
    sqs_models.unix_time = lambda *_: clock.epoch_seconds()
    stubber.__call__ = locked_call
    try:
        yield
    finally:
        sqs_models.unix_time_millis, sqs_models.unix_time, stubber.__call__ = saved


def next_message_due(account_id: str, region: str, queue_names: Collection[str]) -> datetime | None:
    """The earliest moment a delayed or in-flight message of ``queue_names`` becomes receivable.

    Only queues something consumes count: a message parked in a dead-letter queue is due
    for ever and would otherwise hold the clock still.
    """
    from moto.sqs.models import sqs_backends  # noqa: PLC0415

    due_ms: float | None = None
    with _MOTO_LOCK:
        queues = sqs_backends[account_id][region].queues
        for queue in (queues[name] for name in queue_names if name in queues):
            for message in list(queue._messages):
                # A delay ends exactly at ``delayed_until``; moto counts a message visible
                # only strictly after ``visible_at``, so step one millisecond past that.
                moment = max(float(message.delayed_until or 0), float(message.visible_at or 0) + 1)
                due_ms = moment if due_ms is None else min(due_ms, moment)
    if due_ms is None:
        return None
    return datetime.fromtimestamp(due_ms / 1000.0, UTC)


def receivable_queues(account_id: str, region: str, queue_names: Collection[str]) -> set[str]:
    """The queues among ``queue_names`` holding a message receivable now (moto's own test).

    Lets the local event source mapping skip empty queues without a ReceiveMessage call:
    moto scans every message on each receive, and most queues are empty most rounds.
    """
    from moto.sqs.models import sqs_backends  # noqa: PLC0415

    with _MOTO_LOCK:
        queues = sqs_backends[account_id][region].queues
        return {
            name
            for name in queue_names
            if name in queues
            and any(m.visible and not m.delayed for m in list(queues[name]._messages))
        }
