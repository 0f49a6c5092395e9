"""Reference path syntax at its edges: escapes inside quotes, where selectors are reported.

The spec (JSONPath Concepts > Reference Paths): "the operators "@", ",", ":", and "?" are
not supported"; a reference path's errors name the position of what is wrong (0-based).
"""

from __future__ import annotations

import pytest

from steplane.asl.path_errors import InvalidPathError, NonReferencePathError
from steplane.asl.path_syntax import format_path, parse_reference_path


def test_a_name_with_a_backslash_is_written_escaped_and_parses_back() -> None:
    steps = ("a\\b c", "it's")
    text = format_path(steps)
    assert text == "$['a\\\\b c']['it\\'s']"
    assert parse_reference_path(text) == steps


@pytest.mark.parametrize(
    ("path", "position", "reason"),
    [
        ("$.a[*]", 3, "'[*]' at position 3 is a wildcard"),
        ("$.ab[0:2]", 4, "'[0:2]' at position 4 is a slice"),
        ("$.a[-1]", 3, "'[-1]' at position 3 counts from the end"),
    ],
)
def test_a_bracket_selector_is_reported_at_its_opening_bracket(
    path: str, position: int, reason: str
) -> None:
    with pytest.raises(NonReferencePathError) as caught:
        parse_reference_path(path)
    assert (caught.value.position, caught.value.reason) == (position, reason)


@pytest.mark.parametrize(
    ("path", "position", "reason"),
    [
        # A backslash just before the end escapes the closing quote: the name never closes.
        ("$['a\\'", 2, "the quoted name starting at position 2 is never closed"),
        # A backslash as the last character escapes nothing and is kept.
        ("$['a\\", 2, "the quoted name starting at position 2 is never closed"),
        # Only a quote opens a quoted name.
        ("$[X1]", 2, "'X1' at position 2 is neither an array index nor a quoted field name"),
        (
            "$.a b",
            3,
            "white space at position 3; write names with spaces in bracket notation, e.g. $['a b']",
        ),
    ],
)
def test_an_invalid_path_gives_the_exact_reason_and_position(
    path: str, position: int, reason: str
) -> None:
    with pytest.raises(InvalidPathError) as caught:
        parse_reference_path(path)
    assert (caught.value.position, caught.value.reason) == (position, reason)
