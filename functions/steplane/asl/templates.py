"""Payload templates (``Parameters``, ``ResultSelector``, ``ItemSelector``, JSONPath
``Assign``), compiled once at load and evaluated per state visit.

The spec (Payload Template): "If any field within the Payload Template (however deeply
nested) has a name ending with the characters ".$", its value is transformed according to
rules below and the field is renamed to strip the ".$" suffix." Objects inside arrays are
templates too (the guide's ECS example passes ``"Value.$": "$$.Task.Token"`` two arrays
deep); a field without ``.$`` is a literal even when it reads like a path. "A JSON object
MUST NOT have duplicate field names after fields ending with the characters ".$" are
renamed."
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from steplane.asl.failures import ExpressionSyntaxError
from steplane.asl.paths import describe
from steplane.asl.references import CompiledPath
from steplane.asl.scope import Scope
from steplane.jsontypes import Json


class FieldExpression(Protocol):
    """A compiled expression of one field: a ``.$`` path or intrinsic, or JSONata."""

    def evaluate(self, scope: Scope, field: str) -> Json:
        """Its value in ``scope`` (``field`` names it in causes)."""
        ...


# "{% ... %}": the JSONata module (and its engine) load only for templates that use it.
OPEN, CLOSE = "{%", "%}"


class TemplateError(ValueError):
    """A template that cannot be compiled. ``problems`` lists each bad field as the JSON
    pointer inside the template (``/a/b.$``) and what is wrong with it."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{where or '/'}: {reason}" for where, reason in problems))
        self.problems = problems


def _token(key: str | int) -> str:
    return "/" + str(key).replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class _Static:
    value: Json

    def evaluate(self, scope: Scope) -> Json:
        return self.value


@dataclass(frozen=True)
class _Dynamic:
    expression: FieldExpression
    field: str  # the key as written, with its ".$", as causes name it
    where: str  # its pointer in the template: UUID/MathRandom draws differ per field

    def evaluate(self, scope: Scope) -> Json:
        return self.expression.evaluate(scope.salted(self.where), self.field)


@dataclass(frozen=True)
class _Object:
    entries: tuple[tuple[str, _Node], ...]

    def evaluate(self, scope: Scope) -> Json:
        return {key: node.evaluate(scope) for key, node in self.entries}


@dataclass(frozen=True)
class _Array:
    items: tuple[_Node, ...]

    def evaluate(self, scope: Scope) -> Json:
        return [node.evaluate(scope) for node in self.items]


@dataclass(frozen=True)
class _Jsonata:
    expression: FieldExpression
    field: str  # where the expression is, as causes name it ("Output", "Arguments/id")

    def evaluate(self, scope: Scope) -> Json:
        return self.expression.evaluate(scope.salted(self.field), self.field)


_Node = _Static | _Dynamic | _Object | _Array | _Jsonata


@dataclass(frozen=True)
class Template:
    """A compiled payload template.

    Attributes:
        source: the template as written (for messages and the definition's document).
        paths: every path its expressions read (what a definition needs loaded, which
            variables it reads).
    """

    source: Json
    root: _Node
    paths: tuple[CompiledPath, ...]
    # Whether some JSONata expression reads $states.context (it may read the input).
    reads_context: bool = False

    @cached_property
    def _salt(self) -> str:
        # Two templates of one state (Parameters, Assign) draw different UUIDs.
        text = json.dumps(self.source, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def evaluate(self, scope: Scope) -> Json:
        """The template's value in ``scope``: a new value; static parts are shared.

        Raises:
            AslError: ``States.Runtime`` when a path selects nothing or an intrinsic
                function fails (the cause names the field and the value).
        """
        if isinstance(self.root, _Static):
            return self.root.value
        return self.root.evaluate(scope.salted(self._salt))

    @property
    def reads_execution_input(self) -> bool:
        """Whether evaluating it reads ``$$.Execution.Input`` (so it must be loaded)."""
        return self.reads_context or any(path.reads_execution_input for path in self.paths)


def compile_jsonata_template(source: Json, field: str) -> Template:
    """Compile a JSONata-state value: any JSON, where each string written ``{% ... %}``
    (however deeply nested, in objects and arrays) is an expression ("The {% %}
    delimiters ... can be used in any string value").

    Raises:
        TemplateError: an expression that does not compile, located inside ``source``.
    """
    from steplane.asl.jsonata import (  # noqa: PLC0415 - JSONata definitions only
        JsonataSyntaxError,
        compile_jsonata,
        expression_text,
        is_expression,
    )

    problems: list[tuple[str, str]] = []
    reads_context = False

    def node(value: Json, where: str) -> _Node:
        nonlocal reads_context
        if is_expression(value):
            try:
                expression = compile_jsonata(expression_text(value))
            except JsonataSyntaxError as error:
                problems.append((where, str(error)))
                return _Static(None)
            reads_context = reads_context or expression.reads_context
            return _Jsonata(expression, field + where)
        stripped = value.strip() if isinstance(value, str) else ""
        if stripped.startswith(OPEN) and stripped.endswith(CLOSE):
            # The guide: "Improperly opening or closing the expression will result in a
            # validation error".
            problems.append((where, "no spaces before '{%' or after '%}'"))
        if isinstance(value, dict):
            entries = {k: node(v, where + _token(k)) for k, v in value.items()}
            if all(isinstance(n, _Static) for n in entries.values()):
                return _Static(value)
            return _Object(tuple(entries.items()))
        if isinstance(value, list):
            items = tuple(node(v, where + _token(i)) for i, v in enumerate(value))
            if all(isinstance(n, _Static) for n in items):
                return _Static(value)
            return _Array(items)
        return _Static(value)

    root = node(source, "")
    if problems:
        raise TemplateError(problems)
    return Template(source, root, (), reads_context)


def compile_template(source: Json) -> Template:
    """Compile a payload template (any JSON value; Parameters and the like are objects).

    Raises:
        TemplateError: a ``.$`` field whose value is not a string path or intrinsic
            call, or two fields named alike once ``.$`` is dropped.
    """
    compiler = _Compiler()
    root = compiler.node(source, "")
    if compiler.problems:
        raise TemplateError(compiler.problems)
    return Template(source, root, tuple(compiler.paths))


class _Compiler:
    """Compiles a whole template, collecting every problem rather than stopping at one."""

    def __init__(self) -> None:
        self.paths: list[CompiledPath] = []
        self.problems: list[tuple[str, str]] = []

    def node(self, value: Json, where: str) -> _Node:
        if isinstance(value, dict):
            return self.object(value, where)
        if isinstance(value, list):
            items = tuple(self.node(item, where + _token(i)) for i, item in enumerate(value))
            if all(isinstance(node, _Static) for node in items):
                return _Static(value)
            return _Array(items)
        return _Static(value)

    def object(self, value: dict[str, Json], where: str) -> _Node:
        entries: dict[str, _Node] = {}
        for key, item in value.items():
            at = where + _token(key)
            name = key[:-2] if key.endswith(".$") else key
            if name in entries:
                self.problems.append((at, f"two fields are named {name!r} once '.$' is dropped"))
            entries[name] = self.expression(key, item, at) if name != key else self.node(item, at)
        if all(isinstance(node, _Static) for node in entries.values()):
            return _Static(value)
        return _Object(tuple(entries.items()))

    def expression(self, key: str, value: Json, where: str) -> _Node:
        if not isinstance(value, str):
            self.problems.append(
                (
                    where,
                    "the value of a '.$' field must be a string (a path or an intrinsic "
                    f"function), got {describe(value)}",
                )
            )
            return _Static(None)
        from steplane.asl.expressions import compile_expression  # noqa: PLC0415 - on demand

        try:
            expression = compile_expression(value)
        except ExpressionSyntaxError as error:
            self.problems.append((where, str(error)))
            return _Static(None)
        self.paths.extend(expression.paths)
        return _Dynamic(expression, key, where)
