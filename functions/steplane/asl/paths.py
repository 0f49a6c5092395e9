"""Reference paths applied to state data: ResultPath, and reads of parsed steps.

The spec (Input and Output Processing with JSONPath) defines the three fields and their
``null`` forms; every function here is pure and never mutates its arguments.
"""

from __future__ import annotations

from steplane.asl.path_errors import (
    InvalidPathError,
    NonReferencePathError,
    PathError,
    PathNotFoundError,
    ResultPathMatchError,
)
from steplane.asl.path_syntax import PathStep, format_path, parse_reference_path
from steplane.jsontypes import Json

__all__ = [
    "InvalidPathError",
    "NonReferencePathError",
    "PathError",
    "PathNotFoundError",
    "PathStep",
    "ResultPathMatchError",
    "apply_result_path",
    "describe",
    "format_path",
    "is_reference_path",
    "parse_reference_path",
    "read_steps",
]


def is_reference_path(path: str) -> bool:
    """Whether ``path`` parses as a reference path."""
    try:
        parse_reference_path(path)
    except PathError:
        return False
    return True


def read_steps(data: Json, steps: tuple[PathStep, ...], path: str) -> Json:
    """Return the value ``steps`` (parsed from ``path``, named in errors) select in ``data``.

    Raises:
        PathNotFoundError: a field or index is missing, or a step meets a value of the
            wrong type (a field of a string, an index of an object).
    """
    node = data
    for depth, step in enumerate(steps):
        where = format_path(steps[:depth])
        if isinstance(step, int):
            if not isinstance(node, list):
                raise PathNotFoundError(path, f"{where} is {describe(node)}, not an array")
            if step >= len(node):
                raise PathNotFoundError(path, f"{where} has {len(node)} items, so no index {step}")
            node = node[step]
        else:
            if not isinstance(node, dict):
                raise PathNotFoundError(path, f"{where} is {describe(node)}, not an object")
            if step not in node:
                raise PathNotFoundError(path, f"{where} has no field {step!r}")
            node = node[step]
    return node


def apply_result_path(state_input: Json, path: str | None, result: Json) -> Json:
    """Combine the raw input with the state's result as ResultPath directs.

    The spec: "If the raw input has a field at the location addressed by the ResultPath
    value then in the output that field is discarded and overwritten by the state's
    result. Otherwise, a new field is created in the state output, with intervening
    fields constructed as necessary." and "If the value of ResultPath is ``null``, that
    means that the state's result is discarded and its raw input becomes its result."

    Only object fields are created: an index must name an existing array item, since
    no array can be "constructed as necessary" without inventing its other items.

    Returns:
        A new value. Neither ``state_input`` nor ``result`` is modified: only the
        containers along the path are copied, everything else is shared (JSON values are
        never modified in place anywhere in the engine), so the cost does not grow with
        the size of the data and no recursive copy can meet a deep document.

    Raises:
        InvalidPathError: ``path`` is not a reference path.
        ResultPathMatchError: a step meets a value that is not an object (or, for an
            index, not an array long enough) (``States.ResultPathMatchFailure``).
    """
    if path is None:
        return state_input
    steps = parse_reference_path(path)
    if not steps:
        return result
    output = _shallow_copy(state_input)
    parent = output
    for depth, step in enumerate(steps[:-1]):
        slot = _container_slot(parent, step, path, steps[:depth])
        missing = isinstance(step, str) and step not in slot
        child = {} if missing else _shallow_copy(slot[step])
        slot[step] = child
        parent = child
    _container_slot(parent, steps[-1], path, steps[:-1])[steps[-1]] = result
    return output


def _shallow_copy(value: Json) -> Json:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return value


def _container_slot(node: Json, step: PathStep, path: str, prefix: tuple[PathStep, ...]) -> Json:
    """Return ``node`` if ``step`` can be read or written in it, else fail the ResultPath."""
    where = format_path(prefix)
    if isinstance(step, str):
        if not isinstance(node, dict):
            raise ResultPathMatchError(path, f"{where} is {describe(node)}, not an object")
        return node
    if not isinstance(node, list):
        raise ResultPathMatchError(path, f"{where} is {describe(node)}, not an array")
    if step >= len(node):
        raise ResultPathMatchError(path, f"{where} has {len(node)} items, so no index {step}")
    return node


def describe(value: Json) -> str:
    """Name a JSON value's type for messages: ``"a string"``, ``"null"``, ``"an array"``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"
