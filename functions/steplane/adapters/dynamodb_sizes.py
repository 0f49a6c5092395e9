"""DynamoDB item sizes and write units as AWS bills them (developer guide, "Item sizes and
formats"): each attribute name's UTF-8 length plus its value's size; 1 write unit per
started KB of an item. The engine counts each execution's write units with these (its
cost so far); the cost benchmark prices every request with them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

KB = 1024


def number_size(text: str) -> int:
    """Bytes of a DynamoDB number: 1 per two significant digits, plus 1."""
    mantissa = text.lower().split("e")[0].lstrip("+-").replace(".", "")
    digits = len(mantissa.strip("0"))
    return math.ceil(digits / 2) + 1


def value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one DynamoDB-JSON attribute value (``{"S": ...}``, ``{"M": {...}}``, ...)."""
    ((kind, payload),) = value.items()
    if kind == "S":
        return len(str(payload).encode())
    if kind == "N":
        return number_size(str(payload))
    if kind == "B":
        return len(payload)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in payload)
    if kind == "NS":
        return sum(number_size(n) for n in payload)
    if kind == "BS":
        return sum(len(b) for b in payload)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in payload)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(v) for k, v in payload.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: Mapping[str, Any], leave_out: Iterable[str] = ()) -> int:
    """DynamoDB's item size: UTF-8 attribute name lengths plus value sizes.

    ``leave_out`` names attributes not to count (to price an item as an older design wrote it).
    """
    skip = set(leave_out)
    return sum(
        len(name.encode()) + value_size(value) for name, value in item.items() if name not in skip
    )


def write_units(size: int) -> int:
    """1 WCU per started KB, minimum 1."""
    return max(1, math.ceil(size / KB))
