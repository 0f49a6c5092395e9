"""The JSON value type used across the engine."""

from __future__ import annotations

from typing import Any, TypeAlias

# JSON values are kept as plain Python values; ``Any`` because mypy cannot express a
# recursive union usefully across dict/list invariance.
Json: TypeAlias = Any
