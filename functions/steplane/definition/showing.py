"""How a problem message shows the value the user gave."""

from __future__ import annotations

import json
from typing import Any

_SHOWN_CHARACTERS = 40


def show(value: Any) -> str:
    """A JSON value as the user wrote it, shortened: ``true``, ``"abc"``, ``null``."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= _SHOWN_CHARACTERS:
        return text
    return text[: _SHOWN_CHARACTERS - 3] + "..."
