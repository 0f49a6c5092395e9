"""The JSON value type used across the engine."""

from __future__ import annotations

from typing import Any, TypeAlias

# JSON values are kept as plain Python values; ``Any`` because mypy cannot express a
# recursive union usefully across dict/list invariance.
Json: TypeAlias = Any

# A JSON value as a type checker can follow it, for the records that must say exactly
# what they hold (the execution head).
JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"
