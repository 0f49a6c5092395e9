"""Guess which existing name a misspelled one meant, for "did you mean" suggestions."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# difflib's own default: "Possibilities that don't score at least that similar to word
# are ignored." High enough that 'Colour' suggests nothing among a Task's fields.
_CUTOFF = 0.6


def close_match(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate ``word`` most likely misspells, or None when none is close.

    A candidate equal but for letter case wins outright (``task`` means ``Task``);
    otherwise the most similar one above the cutoff, ties broken alphabetically.
    """
    options = sorted(set(candidates))
    for option in options:
        if option.casefold() == word.casefold():
            return option
    matches = difflib.get_close_matches(word, options, n=1, cutoff=_CUTOFF)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'X'?"`` to append to a message, or ``""`` when nothing is close."""
    match = close_match(word, candidates)
    return "" if match is None else f"; did you mean {match!r}?"
