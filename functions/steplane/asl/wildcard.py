"""``StringMatches`` patterns: ``*`` wildcards, with ``\\*`` and ``\\\\`` as escapes.

The spec (Choice State, StringMatches): "'*' in the value matches zero or more characters
... No characters other than '*' have any special meaning during matching. If the
character '*' needs to appear as part of the value without serving as a wildcard, it MUST
be escaped with a backslash. If the character '\\' needs to appear as part of the value
without serving as an escape character, it MUST be escaped with a backslash."
"""

from __future__ import annotations

_ESCAPABLE = ("*", "\\")


class PatternError(ValueError):
    """A ``StringMatches`` pattern with an open escape: a backslash not followed by * or \\.

    The spec: "If an open escape backslash \\ is found in the StringMatches string, the
    interpreter will throw a runtime error."

    Attributes:
        pattern: the pattern as written.
        position: the index of the offending backslash.
    """

    def __init__(self, pattern: str, position: int) -> None:
        follower = pattern[position + 1 : position + 2]
        found = f"before {follower!r}" if follower else "at the end"
        super().__init__(
            f"open escape: the backslash at position {position} stands {found}; "
            "a backslash must be followed by '*' (a literal star) or '\\' (a literal backslash)"
        )
        self.pattern = pattern
        self.position = position


def split_pattern(pattern: str) -> tuple[str, ...]:
    """Split a pattern at its unescaped ``*``s into literal segments, escapes resolved.

    ``"log-*.txt"`` gives ``("log-", ".txt")``; ``"a\\*b"`` (an escaped star) gives
    ``("a*b",)``. A pattern with n wildcards has n + 1 segments.

    Raises:
        PatternError: the pattern has an open escape.
    """
    segments: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            if pattern[index + 1 : index + 2] not in _ESCAPABLE:
                raise PatternError(pattern, index)
            current.append(pattern[index + 1])
            index += 2
            continue
        if char == "*":
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    segments.append("".join(current))
    return tuple(segments)


def matches_pattern(pattern: str, text: str) -> bool:
    """Whether all of ``text`` matches ``pattern`` (``*`` matches zero or more characters).

    Raises:
        PatternError: the pattern has an open escape.
    """
    segments = split_pattern(pattern)
    if len(segments) == 1:
        return text == segments[0]
    head, *middle, tail = segments
    # The head must start the text and the tail end it, without overlapping.
    tail_start = len(text) - len(tail)
    if tail_start < len(head) or not text.startswith(head) or not text.endswith(tail):
        return False
    # Between them, taking each middle segment at its leftmost place is always safe:
    # with only "*" as a wildcard, an earlier match never rules out a later one.
    position = len(head)
    for segment in middle:
        found = text.find(segment, position, tail_start)
        if found < 0:
            return False
        position = found + len(segment)
    return True
