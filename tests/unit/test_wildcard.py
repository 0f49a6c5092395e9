"""StringMatches patterns: where the middle segments may be found, and open escapes.

The spec: "The value MUST be a String which MAY contain one or more "*" characters. The
expression yields true if the data value selected by the Variable Path matches the value,
where "*" in the value matches zero or more characters."
"""

from __future__ import annotations

import pytest

from steplane.asl.wildcard import PatternError, matches_pattern


@pytest.mark.parametrize(
    ("text", "pattern", "expected"),
    [
        # A middle segment must lie after the head: "ab" has used the only "b".
        ("abc", "ab*b*c", False),
        # ... and before the tail: the only "c" is the tail's.
        ("abc", "a*c*c", False),
        # ... and after the middle segment before it.
        ("abc", "a*b*b*c", False),
        # A middle segment that is not there at all.
        ("abc", "a*x*c", False),
        # The leftmost place of "b" leaves room for "x"; the rightmost would not.
        ("abxbc", "a*b*x*c", True),
        # With an empty head, a middle segment may start the text.
        ("ab", "*a*", True),
    ],
)
def test_middle_segments_match_in_order_between_head_and_tail(
    text: str, pattern: str, expected: bool
) -> None:
    assert matches_pattern(pattern, text) is expected


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("a\\bc", "the backslash at position 1 stands before 'b'"),
        ("trailing\\", "the backslash at position 8 stands at the end"),
    ],
)
def test_an_open_escape_names_its_position_and_what_follows_it(pattern: str, message: str) -> None:
    # The spec: "If an open escape backslash \ is found in the StringMatches string, the
    # interpreter will throw a runtime error." The cause says where, and what is allowed.
    with pytest.raises(PatternError) as caught:
        matches_pattern(pattern, "ab")
    assert str(caught.value) == (
        f"open escape: {message}; a backslash must be followed by '*' (a literal star) "
        "or '\\' (a literal backslash)"
    )
