"""Read a definition from a path, a JSON text or a mapping, into one JSON object."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from steplane.errors import DefinitionError, Problem

DefinitionSource = str | Path | Mapping[str, Any]


def is_json_text(source: str) -> bool:
    """Whether ``source`` is a JSON text rather than a path (paths do not start with { or [)."""
    return source.lstrip().startswith(("{", "["))


def read_document(source: DefinitionSource) -> dict[str, Any]:
    """The definition as a JSON object (a mapping is copied through JSON, so it is one).

    Raises:
        DefinitionError: the file cannot be read, is not JSON, or is not a JSON object.
    """
    if isinstance(source, Mapping):
        return _expect_object(json.loads(json.dumps(source)))
    if isinstance(source, str) and is_json_text(source):
        return _expect_object(_parse_json(source, "the definition text"))
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DefinitionError(
            [Problem("", f"cannot read {str(path)!r}: {error.strerror}")]
        ) from error
    return _expect_object(_parse_json(text, str(path)))


def _parse_json(text: str, origin: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DefinitionError(
            [
                Problem(
                    "",
                    f"malformed JSON in {origin} at line {error.lineno} column "
                    f"{error.colno}: {error.msg}",
                )
            ]
        ) from error


def _expect_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DefinitionError([Problem("", "a definition must be a JSON object")])
    return value
