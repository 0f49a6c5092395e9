"""The naming rule for workflow and execution names, as Step Functions defines it.

Step Functions (StartExecution ``name``, state machine names): 1 to 80 characters, and
"A name must not contain: white space; brackets < > { } [ ]; wildcard characters ? *;
special characters " # % \\ ^ | ~ ` $ & , ; : /; control characters (U+0000-001F,
U+007F-009F, U+FFFE-FFFF); surrogates (U+D800-DFFF)".

steplane keeps the same rule for both names, and it matters beyond compatibility: an
execution id is ``{workflow}:{name}``, so a ``:`` in either would let two executions
share one id.
"""

from __future__ import annotations

import re

from steplane.errors import InvalidExecutionIdError, InvalidNameError

MAX_NAME_LENGTH = 80
FORBIDDEN_PUNCTUATION = '<>{}[]?*"#%\\^|~`$&,;:/'
NAME_RULE = (
    f"1 to {MAX_NAME_LENGTH} characters, no white space, no control characters and none of "
    + " ".join(FORBIDDEN_PUNCTUATION)
)

_FORBIDDEN = re.compile(
    "[\\s"
    + re.escape(FORBIDDEN_PUNCTUATION)
    + "\u0000-\u001f\u007f-\u009f\ufffe\uffff\ud800-\udfff]"
)


def name_problem(value: str) -> str | None:
    """Why ``value`` is not a valid workflow or execution name, or None when it is."""
    if not value:
        return "is empty"
    if len(value) > MAX_NAME_LENGTH:
        return f"is {len(value)} characters long; the limit is {MAX_NAME_LENGTH}"
    bad = _FORBIDDEN.search(value)
    if bad is not None:
        return f"contains {_describe(bad.group())}, which names may not contain ({NAME_RULE})"
    return None


def check_name(value: str, what: str = "name") -> str:
    """Return ``value`` if it is a valid name, else raise InvalidNameError (a ValueError)
    naming the problem."""
    problem = name_problem(value)
    if problem is not None:
        raise InvalidNameError(f"{what} {value[:100]!r} {problem}")
    return value


def safe_name(value: str) -> str:
    """A valid name made from ``value``: forbidden characters become ``-``, cut to 80."""
    cleaned = _FORBIDDEN.sub("-", value)[:MAX_NAME_LENGTH]
    return cleaned or "workflow"


def _describe(char: str) -> str:
    if char.isspace():
        return "white space"
    if char in FORBIDDEN_PUNCTUATION:
        return repr(char)
    return f"the character U+{ord(char):04X}"


def execution_id(workflow: str, name: str) -> str:
    """The id of execution ``name`` of ``workflow`` (both valid names, so it is unambiguous)."""
    return f"{workflow}:{name}"


# How deep Parallel and Map states may nest their child executions (each level adds
# "/{visit}/{index}" to the id; see child_execution_id).
MAX_CHILD_DEPTH = 16


def child_execution_id(parent_id: str, visit: int, index: int) -> str:
    """The id of the child execution that runs item (or branch) ``index`` of the parent's
    visit ``visit`` of a Parallel or Map state: addressable without a lookup."""
    return f"{parent_id}/{visit}/{index}"


def execution_id_problem(value: str) -> str | None:
    """Why ``value`` cannot be an execution id, or None (checked before any key is built)."""
    root, *nested = value.split("/")
    if nested:
        if len(nested) % 2 or len(nested) > 2 * MAX_CHILD_DEPTH:
            return "its child part is not '/{visit}/{index}', repeated at most 16 times"
        if not all(part.isdigit() and part.isascii() and len(part) <= 12 for part in nested):
            return "its child part is not '/{visit}/{index}' in decimal digits"
        value = root
    workflow, colon, name = value.partition(":")
    if not colon:
        return "it is not '{workflow}:{name}'"
    for part, what in ((workflow, "its workflow"), (name, "its name")):
        problem = name_problem(part)
        if problem is not None:
            return f"{what} {problem}"
    return None


def require_execution_id(value: str) -> str:
    """``value`` if it can be an execution id, else raise InvalidExecutionIdError (a 400).

    Checked before a key is built: an id over DynamoDB's 2,048-byte key limit would
    otherwise come back from DynamoDB as a 5xx, or dead-letter the message carrying it.
    """
    problem = execution_id_problem(value)
    if problem is not None:
        raise InvalidExecutionIdError(value, problem)
    return value
