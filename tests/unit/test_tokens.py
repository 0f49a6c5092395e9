"""Task tokens: one attempt has exactly one token; every re-encoding of it is refused."""

from __future__ import annotations

import base64
import itertools
import json

import pytest

from steplane.errors import InvalidTaskTokenError
from steplane.interpreter.tokens import (
    MAX_TOKEN_LENGTH,
    TokenClaim,
    decode_task_token,
    encode_task_token,
)


def _claim_with_url_safe_characters() -> TokenClaim:
    """A claim whose token uses '-' or '_', so the standard base64 alphabet spells it apart."""
    for n in itertools.count():
        claim = TokenClaim("wf:name", 3, f"nonce{n}??>>")
        if set(encode_task_token(claim)) & {"-", "_"}:
            return claim
    raise AssertionError("unreachable")


def test_an_issued_token_decodes_to_its_claim():
    claim = TokenClaim("wf:name", 7, "abc")
    assert decode_task_token(encode_task_token(claim)) == claim


def test_the_standard_base64_spelling_of_a_token_is_refused():
    token = encode_task_token(_claim_with_url_safe_characters())
    standard = token.replace("-", "+").replace("_", "/")
    assert standard != token
    with pytest.raises(InvalidTaskTokenError):
        decode_task_token(standard)


@pytest.mark.parametrize(
    "fields",
    [["wf:name", True, "abc"], ["wf:name", "1", "abc"], ["wf:name", 1.0, "abc"], [1, 1, "abc"]],
    ids=["boolean version", "string version", "float version", "numeric id"],
)
def test_a_token_whose_fields_have_the_wrong_types_is_refused(fields):
    raw = json.dumps(fields, separators=(",", ":")).encode()
    token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    with pytest.raises(InvalidTaskTokenError, match="does not name a task attempt"):
        decode_task_token(token)


def test_a_token_naming_an_impossible_execution_id_is_refused():
    token = encode_task_token(TokenClaim("no-colon", 1, "abc"))
    with pytest.raises(InvalidTaskTokenError, match="not a token this engine issued"):
        decode_task_token(token)


def test_a_token_over_the_length_limit_is_refused_before_decoding():
    token = encode_task_token(TokenClaim("wf:" + "x" * MAX_TOKEN_LENGTH, 1, "abc"))
    with pytest.raises(InvalidTaskTokenError, match="longer than"):
        decode_task_token(token)
