"""Task tokens: what a worker hands back to say which task attempt it completed."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from steplane.errors import InvalidTaskTokenError


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
    """Decode a token; a token that is not one of ours raises InvalidTaskTokenError."""
    try:
        padded = token + "=" * (-len(token) % 4)
        execution_id, version, nonce = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError, binascii.Error) as error:
        raise InvalidTaskTokenError(token, "it does not decode") from error
    if not (isinstance(execution_id, str) and isinstance(version, int) and isinstance(nonce, str)):
        raise InvalidTaskTokenError(token, "it does not name a task attempt")
    return TokenClaim(execution_id, version, nonce)
