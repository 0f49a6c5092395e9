"""Large JSON attributes are stored compressed, and always read back exactly."""

from __future__ import annotations

import json
import random

import pytest
from boto3.dynamodb.types import Binary

from steplane.adapters.dynamodb_items import COMPRESS_ABOVE_BYTES, pack_text, unpack_text


def test_small_text_is_stored_as_it_is() -> None:
    text = json.dumps({"email": "a@example.com"})
    assert pack_text(text) == text


def test_repetitive_text_is_compressed_and_restored() -> None:
    text = json.dumps([{"output": {"pad": "y" * 2000}}] * 3)
    packed = pack_text(text)
    assert isinstance(packed, bytes)
    assert len(packed) < len(text) // 10
    assert unpack_text(Binary(packed)) == text  # as the DynamoDB deserialiser returns it


def test_packing_never_grows_what_is_stored() -> None:
    rng = random.Random(7)
    for size in (1025, 1100, 4000):
        text = json.dumps("".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(size)))
        stored = pack_text(text)
        assert len(stored if isinstance(stored, bytes) else stored.encode()) <= len(text.encode())


@pytest.mark.parametrize("size", [0, 1, COMPRESS_ABOVE_BYTES, COMPRESS_ABOVE_BYTES + 1, 300_000])
def test_round_trip_at_every_size(size: int) -> None:
    text = json.dumps({"é": "ü" * size}, ensure_ascii=False)
    stored = pack_text(text)
    assert unpack_text(Binary(stored) if isinstance(stored, bytes) else stored) == text
