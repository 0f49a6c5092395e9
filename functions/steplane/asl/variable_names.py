"""What may name a workflow variable (the Step Functions guide, Variables): "Variable
names follow the rules for Unicode Identifiers ... The maximum length of a variable name is
80", and "Step Functions defines a single reserved variable called $states"."""

from __future__ import annotations

import re

MAX_NAME_LENGTH = 80
RESERVED_NAMES = frozenset({"states"})
# Where a variable's name ends in a path ($name.field): identifier characters.
NAME_PATTERN = re.compile(r"[^\W\d]\w*")


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a variable, or None when it can."""
    if not name:
        return "a variable name must not be empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"a variable name has at most {MAX_NAME_LENGTH} characters"
    # str.isidentifier is ID_Start + ID_Continue (XID, NFKC), plus a leading underscore,
    # which is not ID_Start.
    if not name.isidentifier() or name.startswith("_"):
        return (
            f"{name!r} is not a variable name: a letter first, then letters, digits or "
            "underscores (no '.', '[' or '$': a variable is assigned whole)"
        )
    if name in RESERVED_NAMES:
        return f"${name} is reserved by Step Functions"
    return None
