"""JSON pointers (RFC 6901): how every problem names where it is."""

from __future__ import annotations


def escape(token: str) -> str:
    """Escape a JSON-pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*parts: str | int) -> str:
    """Build an RFC 6901 JSON pointer from path parts."""
    return "".join(f"/{escape(str(p))}" for p in parts)
