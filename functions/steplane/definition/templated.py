"""Definition fields that hold a payload template, compiled when the definition loads.

A template that does not compile is a validation problem located at the field inside the
template (``/States/Call/Parameters/id.$``), with the position inside the expression.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import GetPydanticSchema, ValidationInfo
from pydantic_core import PydanticCustomError, core_schema

from steplane.asl.templates import (
    Template,
    TemplateError,
    compile_jsonata_template,
    compile_template,
)
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


JSONATA = "JSONata"


def language_of(info: ValidationInfo) -> str:
    """The query language of the state being validated (its QueryLanguage field, which
    the spelling pass sets on every state and Catcher from the top-level default)."""
    return str(info.data.get("query_language", "JSONPath"))


def assign_template(source: Json, language: str = "JSONPath") -> Template:
    """An ``Assign`` field: variable names and their values, ``.$`` fields in JSONPath,
    ``{% %}`` expressions in JSONata.

    Raises:
        TemplateError: not an object, a field that names no variable, a bad expression.
    """
    if not isinstance(source, dict):
        raise TemplateError([("", "must be a JSON object of variable names and values")])
    found = []
    for key in source:
        name = key[:-2] if key.endswith(".$") and language != JSONATA else key
        problem = name_problem(name)
        if problem is not None:
            found.append(("/" + key.replace("~", "~0").replace("/", "~1"), problem))
    try:
        if language == JSONATA:
            template = compile_jsonata_template(source, "Assign")
        else:
            template = compile_template(source)
    except TemplateError as error:
        found.extend(error.problems)
    if found:
        raise TemplateError(found)
    return template


def _assign_template(source: Json, info: ValidationInfo) -> Template:
    try:
        return assign_template(source, language_of(info))
    except TemplateError as error:
        raise _problems(error.problems) from None


def jsonata_value(source: Json, field: str) -> Template:
    """A JSONata state's ``Arguments``/``Output``-style value: any JSON, with ``{% %}``
    expressions anywhere in it.

    Raises:
        TemplateError: an expression that does not compile, located inside the value.
    """
    return compile_jsonata_template(source, field)


def _validated_by(build: Callable[[Json], Template]) -> GetPydanticSchema:
    """A field compiled by ``build``: pydantic calls it and never looks inside Template
    (generating a schema for the compiled tree costs import time in every handler)."""
    return GetPydanticSchema(
        lambda _type, _handler: core_schema.no_info_plain_validator_function(build)
    )


def _validated_with_info(build: Callable[[Json, ValidationInfo], Template]) -> GetPydanticSchema:
    """As :func:`_validated_by`, for a compiler that reads the state's other fields."""
    return GetPydanticSchema(
        lambda _type, _handler: core_schema.with_info_plain_validator_function(build)
    )


def _jsonata(source: Json, field: str) -> Template:
    """:func:`jsonata_value`, its problems as the field's validation error."""
    try:
        return jsonata_value(source, field)
    except TemplateError as error:
        raise _problems(error.problems) from None


def _jsonata_field(field: str) -> GetPydanticSchema:
    return _validated_by(lambda source: _jsonata(source, field))


PayloadTemplate = Annotated[Template, _validated_by(_payload_template)]
"""A ``Parameters``/``ResultSelector``-style field: a JSON object with ``.$`` fields."""


def _credentials(source: Json, info: ValidationInfo) -> Template:
    """The guide (Task, Credentials): "Specifies a target role the state machine's
    execution role must assume before invoking the specified Resource", written
    ``{"RoleArn": "arn:..."}`` or ``{"RoleArn.$": <path or intrinsic function>}``."""
    if language_of(info) == JSONATA:
        # JSONata: {"RoleArn": "arn:..." or "{% ... %}"}, no ".$" keys.
        if not isinstance(source, dict) or list(source) != ["RoleArn"]:
            raise _problems([("", 'must be {"RoleArn": ...} (a role ARN or "{% ... %}")')])
        return _jsonata(source, "Credentials")
    if not isinstance(source, dict) or [k.removesuffix(".$") for k in source] != ["RoleArn"]:
        raise _problems([("", 'must be {"RoleArn": ...} or {"RoleArn.$": ...}')])
    return _payload_template(source)


CredentialsTemplate = Annotated[Template, _validated_with_info(_credentials)]
"""A Task's ``Credentials``: the role (given, or read by a path or an intrinsic function)."""

AssignTemplate = Annotated[Template, _validated_with_info(_assign_template)]
"""An ``Assign`` field (JSONPath): variable names and the values they take."""

ArgumentsTemplate = Annotated[Template, _jsonata_field("Arguments")]
"""A JSONata Task's ``Arguments``."""

OutputTemplate = Annotated[Template, _jsonata_field("Output")]
"""A JSONata state's ``Output`` (and a Choice rule's or a Catcher's)."""

ConditionTemplate = Annotated[Template, _jsonata_field("Condition")]
"""A JSONata Choice rule's ``Condition``."""

# A JSONata state's "{% ... %}" value of a field that otherwise holds a number, a
# timestamp or a fixed text.
TimeoutSecondsExpression = Annotated[Template, _jsonata_field("TimeoutSeconds")]
HeartbeatSecondsExpression = Annotated[Template, _jsonata_field("HeartbeatSeconds")]
SecondsExpression = Annotated[Template, _jsonata_field("Seconds")]
TimestampExpression = Annotated[Template, _jsonata_field("Timestamp")]
ErrorExpression = Annotated[Template, _jsonata_field("Error")]
CauseExpression = Annotated[Template, _jsonata_field("Cause")]

# A JSONata Map's "{% ... %}" values of MaxConcurrency and the tolerated failures.
MaxConcurrencyExpression = Annotated[Template, _jsonata_field("MaxConcurrency")]
FailureCountExpression = Annotated[Template, _jsonata_field("ToleratedFailureCount")]
FailurePercentageExpression = Annotated[Template, _jsonata_field("ToleratedFailurePercentage")]

ItemsTemplate = Annotated[Template, _jsonata_field("Items")]
"""A JSONata Map's ``Items``: an array, or an expression that gives one."""


def _item_selector(source: Json, info: ValidationInfo) -> Template:
    """A Map's ``ItemSelector``: a payload template (JSONPath), or any JSON with ``{% %}``
    expressions (JSONata); either way it builds each item's input."""
    if language_of(info) == JSONATA:
        return _jsonata(source, "ItemSelector")
    return _payload_template(source)


ItemSelectorTemplate = Annotated[Template, _validated_with_info(_item_selector)]
"""A Map's ``ItemSelector`` (and its legacy ``Parameters``), in the state's language."""
