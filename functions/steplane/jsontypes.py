"""The JSON value type used across the engine, and its compact text."""

from __future__ import annotations

import json
from typing import Any, TypeAlias

# JSON values are kept as plain Python values; ``Any`` because mypy cannot express a
# recursive union usefully across dict/list invariance.
Json: TypeAlias = Any

# A JSON value as a type checker can follow it, for the records that must say exactly
# what they hold (the execution head).
JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"


def compact_json(value: Json) -> str:
    """``value`` as compact JSON text, non-ASCII kept as it is: how Step Functions counts
    a payload's size (UTF-8 bytes), and how steplane stores and exports values."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
