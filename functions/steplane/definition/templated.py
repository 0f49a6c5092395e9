"""Definition fields that hold a payload template, compiled when the definition loads.

A template that does not compile is a validation problem located at the field inside the
template (``/States/Call/Parameters/id.$``), with the position inside the expression.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import PlainValidator
from pydantic_core import PydanticCustomError

from steplane.asl.templates import Template, TemplateError, compile_template
from steplane.asl.variable_names import name_problem
from steplane.jsontypes import Json

# The pydantic error type of a template problem; messages.py places it at ``where``.
TEMPLATE_ERROR = "asl_template"


def _problems(found: list[tuple[str, str]]) -> PydanticCustomError:
    return PydanticCustomError(TEMPLATE_ERROR, "{problems}", {"problems": found})


def _payload_template(source: Json) -> Template:
    """The spec (Payload Template): "A Payload Template MUST be a JSON object"."""
    if not isinstance(source, dict):
        raise _problems([("", "must be a JSON object")])
    try:
        return compile_template(source)
    except TemplateError as error:
        raise _problems(error.problems) from None


def assign_template(source: Json) -> Template:
    """An ``Assign`` field: a template whose top-level fields name variables.

    Raises:
        TemplateError: not an object, a field that names no variable, a bad expression.
    """
    if not isinstance(source, dict):
        raise TemplateError([("", "must be a JSON object of variable names and values")])
    found = []
    for key in source:
        name = key[:-2] if key.endswith(".$") else key
        problem = name_problem(name)
        if problem is not None:
            found.append(("/" + key.replace("~", "~0").replace("/", "~1"), problem))
    try:
        template = compile_template(source)
    except TemplateError as error:
        found.extend(error.problems)
    if found:
        raise TemplateError(found)
    return template


def _assign_template(source: Json) -> Template:
    try:
        return assign_template(source)
    except TemplateError as error:
        raise _problems(error.problems) from None


PayloadTemplate = Annotated[Template, PlainValidator(_payload_template)]
"""A ``Parameters``/``ResultSelector``-style field: a JSON object with ``.$`` fields."""


def _credentials(source: Json) -> Template:
    """The guide (Task, Credentials): "Specifies a target role the state machine's
    execution role must assume before invoking the specified Resource", written
    ``{"RoleArn": "arn:..."}`` or ``{"RoleArn.$": <path or intrinsic function>}``."""
    if not isinstance(source, dict) or [k.removesuffix(".$") for k in source] != ["RoleArn"]:
        raise _problems([("", 'must be {"RoleArn": ...} or {"RoleArn.$": ...}')])
    return _payload_template(source)


CredentialsTemplate = Annotated[Template, PlainValidator(_credentials)]
"""A Task's ``Credentials``: the role (given, or read by a path or an intrinsic function)."""

AssignTemplate = Annotated[Template, PlainValidator(_assign_template)]
"""An ``Assign`` field (JSONPath): variable names and the values they take."""
