"""Definition fields that hold a payload template, compiled when the definition loads.

A template that does not compile is a validation problem located at the field inside the
template (``/States/Call/Parameters/id.$``), with the position inside the expression.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import PlainValidator
from pydantic_core import PydanticCustomError

from steplane.asl.templates import Template, TemplateError, compile_template
from steplane.jsontypes import Json

# The pydantic error type of a template problem; messages.py places it at ``where``.
TEMPLATE_ERROR = "asl_template"


def _payload_template(source: Json) -> Template:
    """The spec (Payload Template): "A Payload Template MUST be a JSON object"."""
    if not isinstance(source, dict):
        raise PydanticCustomError(
            TEMPLATE_ERROR, "{problems}", {"problems": [("", "must be a JSON object")]}
        )
    try:
        return compile_template(source)
    except TemplateError as error:
        raise PydanticCustomError(
            TEMPLATE_ERROR, "{problems}", {"problems": error.problems}
        ) from None


PayloadTemplate = Annotated[Template, PlainValidator(_payload_template)]
"""A ``Parameters``/``ResultSelector``-style field: a JSON object with ``.$`` fields."""
