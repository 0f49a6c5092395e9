"""Task tokens: what a worker hands back to say which task attempt it completed."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from steplane.errors import InvalidTaskTokenError
from steplane.names import execution_id_problem

# Issued tokens are about 300 characters (two 80-character names, a version, a nonce).
MAX_TOKEN_LENGTH = 1024


@dataclass(frozen=True)
class TokenClaim:
    """The attempt a token names: an execution, the head version it was sent at, a nonce."""

    execution_id: str
    version: int
    nonce: str


def encode_task_token(claim: TokenClaim) -> str:
    """Encode a claim as a URL-safe string (it appears in ``/tasks/{token}/success``)."""
    raw = json.dumps([claim.execution_id, claim.version, claim.nonce], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_task_token(token: str) -> TokenClaim:
    """Decode a token; a token that is not exactly one we issued raises InvalidTaskTokenError.

    Only the issued spelling is accepted: a re-encoded copy (``true`` for the version, the
    standard base64 alphabet, padding, spaces in the JSON) is an alias and is refused, so
    one attempt has one token.
    """
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidTaskTokenError(token[:64], f"it is longer than {MAX_TOKEN_LENGTH} characters")
    try:
        padded = token + "=" * (-len(token) % 4)
        execution_id, version, nonce = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, TypeError, binascii.Error, RecursionError) as error:
        raise InvalidTaskTokenError(token, "it does not decode") from error
    # type() rather than isinstance: True is an int to isinstance, and would alias 1.
    if not (type(execution_id) is str and type(version) is int and type(nonce) is str):
        raise InvalidTaskTokenError(token, "it does not name a task attempt")
    claim = TokenClaim(execution_id, version, nonce)
    if encode_task_token(claim) != token or execution_id_problem(execution_id) is not None:
        raise InvalidTaskTokenError(token, "it is not a token this engine issued")
    return claim
