"""SQS batches respect both limits: ten messages and 256 KiB of bodies."""

from __future__ import annotations

from steplane.adapters.sqs_bus import SQS_BATCH_BYTES, batches
from steplane.messages import OutboundMessage


def _messages(*sizes: int) -> list[OutboundMessage]:
    return [OutboundMessage(queue_url="q", body="x" * size) for size in sizes]


def test_small_messages_go_ten_to_a_batch() -> None:
    assert [len(b) for b in batches(_messages(*[10] * 23))] == [10, 10, 3]


def test_large_messages_split_by_total_size() -> None:
    split = batches(_messages(*[30_000] * 10))
    assert [len(b) for b in split] == [8, 2]
    assert all(sum(len(m.body) for m in b) <= SQS_BATCH_BYTES for b in split)


def test_a_message_at_the_limit_travels_alone() -> None:
    assert [len(b) for b in batches(_messages(10, SQS_BATCH_BYTES, 10))] == [1, 1, 1]
