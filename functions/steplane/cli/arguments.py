"""Reading what the user typed: the execution input, definition files, names."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from steplane.cli.errors import CommandError
from steplane.definition.loader import Definition, load_definition
from steplane.errors import DefinitionError
from steplane.names import name_problem


def read_input(raw: str, stdin: TextIO) -> Any:
    """The execution input from ``--input``: JSON text, ``@FILE``, or ``-`` for stdin."""
    if raw == "-":
        where, text = "--input - (stdin)", stdin.read()
    elif raw.startswith("@"):  # JSON text never starts with "@"
        where, text = f"--input {raw}", _read_file(raw[1:], f"--input {raw}")
    else:
        where, text = "--input", raw
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(
            f"{where} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from error


def _read_file(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise CommandError(f"{what}: cannot read {path!r}: {reason}") from error


def file_problem(path: str) -> str | None:
    """Why ``path`` cannot be a definition file, or None when it is a file."""
    candidate = Path(path)
    if candidate.is_dir():
        return "is a directory, not a definition file"
    if not candidate.is_file():
        return "no such file"
    return None


def definition_file(path: str) -> Path:
    """``path`` as a definition file; raises CommandError (one line) when it is not one."""
    problem = file_problem(path)
    if problem is not None:
        raise CommandError(f"{path}: {problem}")
    return Path(path)


def loaded_definition(path: Path) -> Definition | None:
    """The definition at ``path``, or None after printing every problem, one per line."""
    try:
        return load_definition(path)
    except DefinitionError as error:
        print(f"{path}: {error}", file=sys.stderr)
        return None


def check_name(value: str | None, what: str) -> None:
    """Refuse, before anything starts, a name that breaks the naming rule."""
    if value is None:
        return
    problem = name_problem(value)
    if problem is not None:
        shown = value if len(value) <= 40 else f"{value[:40]}..."
        raise CommandError(f"{what} {shown!r} {problem}")
