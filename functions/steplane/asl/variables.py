"""Workflow variables: ``Assign`` and its rules, as the Step Functions guide gives them
(Passing data between states with variables).

- Names: "Variable names follow the rules for Unicode Identifiers ... The first character
  ... must be a Unicode ID_Start character ... The maximum length of a variable name is
  80." "Step Functions defines a single reserved variable called $states." "You cannot
  assign a value to a part of a variable" (no ``x.y`` or ``x[2]``).
- Evaluation: "All variable references in Step Functions states use the values as they
  were on state entry." "First, new values are calculated, then Step Functions assigns
  the new values to the variables. The new variable values will be available starting
  with the next state." So assignments in one ``Assign`` never see each other.
- Limits: "The maximum size of a single variable is 256Kib"; "The maximum combined size
  for all variables in a single Assign field is also 256Kib"; "The total size of all
  stored variables cannot exceed 10MiB per execution." A breach fails the state with
  ``States.DataLimitExceeded`` (sizes count the UTF-8 bytes of the compact JSON).
"""

from __future__ import annotations

from collections.abc import Mapping

from steplane.asl.failures import AslError
from steplane.asl.scope import Scope
from steplane.asl.templates import Template
from steplane.asl.variable_names import name_problem
from steplane.errors import StatesError
from steplane.jsontypes import Json, compact_json

MAX_VARIABLE_BYTES = 256 * 1024
MAX_ASSIGN_BYTES = 256 * 1024
MAX_TOTAL_BYTES = 10 * 1024 * 1024

Variables = Mapping[str, Json]

__all__ = ["VariableLimitError", "Variables", "assign", "merged", "name_problem"]


class VariableLimitError(AslError):
    """An assignment over one of the size limits (``States.DataLimitExceeded``)."""

    error = StatesError.DATA_LIMIT_EXCEEDED.value


def _size(value: Json) -> int:
    return len(compact_json(value).encode())


def assign(template: Template, scope: Scope) -> dict[str, Json]:
    """The values ``template`` (an ``Assign`` field) gives, all read from ``scope`` (the
    variables as they were on state entry).

    Raises:
        AslError: an expression failed (``States.Runtime``), or a value is over the
            limits (``States.DataLimitExceeded``).
    """
    values = template.evaluate(scope)
    assert isinstance(values, dict), "an Assign template is an object (checked at load)"
    total = 0
    for name, value in values.items():
        size = _size(value)
        if size > MAX_VARIABLE_BYTES:
            raise VariableLimitError(
                f"the variable ${name} would be {size} bytes; a variable holds at most "
                f"{MAX_VARIABLE_BYTES} bytes"
            )
        total += size
    if total > MAX_ASSIGN_BYTES:
        raise VariableLimitError(
            f"the Assign field's values are {total} bytes together; at most "
            f"{MAX_ASSIGN_BYTES} bytes"
        )
    return values


def merged(current: Variables, assigned: Variables) -> dict[str, Json]:
    """The variables once ``assigned`` is applied.

    Raises:
        VariableLimitError: all variables together would be over 10 MiB.
    """
    result = {**current, **assigned}
    total = sum(_size(value) for value in result.values())
    if total > MAX_TOTAL_BYTES:
        raise VariableLimitError(
            f"the execution's variables would be {total} bytes together; at most "
            f"{MAX_TOTAL_BYTES} bytes"
        )
    return result
