"""Every expression a definition's state holds, wherever it is: payload templates and the
paths written as text, each with its JSON location.

The whole-machine questions (which templates read ``$$.Execution.Input``, which variables
a state reads) ask it instead of knowing each state type's fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

from steplane.asl.templates import Template
from steplane.definition.model import EXPRESSION_PREFIX

Location = tuple[str | int, ...]


@runtime_checkable
class WritesPaths(Protocol):
    """A parsed part (a Choice Rule) that reads paths written as text."""

    def path_texts(self) -> Iterator[str]:
        """Each path it reads."""
        ...


Found = tuple[Location, str, Template | str]


def expressions(node: object, where: Location = ()) -> Iterator[Found]:
    """``(location, attribute, template or path text)`` for each expression below ``node``.

    A path is a field whose attribute ends in ``_path`` (InputPath, ErrorPath, ...) or a
    part's :class:`WritesPaths`; a parsed part (a dataclass) is located where it stands.
    """
    if isinstance(node, BaseModel):
        for name, info in type(node).model_fields.items():
            value = getattr(node, name)
            at = (*where, (info.alias or name).removeprefix(EXPRESSION_PREFIX))
            if isinstance(value, Template) or (isinstance(value, str) and name.endswith("_path")):
                yield at, name, value
            else:
                yield from expressions(value, at)
    elif isinstance(node, tuple):
        for index, item in enumerate(node):
            yield from expressions(item, (*where, index))
    elif is_dataclass(node) and not isinstance(node, type):
        if isinstance(node, WritesPaths):
            yield from ((where, "rule", text) for text in node.path_texts())
        for field in fields(node):
            value = getattr(node, field.name)
            if isinstance(value, Template):
                yield where, field.name, value
