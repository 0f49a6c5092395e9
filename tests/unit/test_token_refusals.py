"""Why a task token is refused: the exact reason each check gives, and the length limit.

A refused token answers HTTP 400 with the reason (``invalid task token: <reason>``), so a
worker's author can tell a truncated token from a forged one.
"""

from __future__ import annotations

import base64
import json

import pytest

from steplane.errors import InvalidTaskTokenError
from steplane.interpreter.tokens import MAX_TOKEN_LENGTH, TokenClaim, decode_task_token
from steplane.interpreter.tokens import encode_task_token as encode


def _raw(fields: object) -> str:
    text = json.dumps(fields, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("!!not base64!!", "it does not decode"),
        (_raw(["wf:name", "1", "abc"]), "it does not name a task attempt"),
        (encode(TokenClaim("no-colon", 1, "abc")), "it is not a token this engine issued"),
        ("A" * (MAX_TOKEN_LENGTH + 1), "it is longer than 1024 characters"),
        # At the limit a token is still read (and this one then does not decode).
        ("A" * MAX_TOKEN_LENGTH, "it does not decode"),
    ],
    ids=["not base64", "wrong types", "impossible id", "over the limit", "at the limit"],
)
def test_a_refused_token_gives_the_exact_reason(token: str, reason: str) -> None:
    with pytest.raises(InvalidTaskTokenError) as caught:
        decode_task_token(token)
    assert caught.value.reason == reason
    assert str(caught.value) == f"invalid task token: {reason}"


def test_a_token_over_the_limit_is_quoted_by_its_first_64_characters_only() -> None:
    token = "B" * (MAX_TOKEN_LENGTH + 1)
    with pytest.raises(InvalidTaskTokenError) as caught:
        decode_task_token(token)
    assert caught.value.token == "B" * 64
