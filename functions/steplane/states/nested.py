"""The type of a state machine nested in a state (a Parallel's branch, a Map's
ItemProcessor), for the state types' models.

A nested machine's states are of every registered type, a Parallel or a Map included, so
its model is built by the registration (``steplane.states``), after the state types'
modules; their fields name it here and pydantic resolves it when it first builds the
definition's schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import GetCoreSchemaHandler, GetPydanticSchema
from pydantic_core import CoreSchema


def _registered(name: str) -> GetPydanticSchema:
    def build(_source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        import steplane.states as registration  # noqa: PLC0415 - it imports this module

        return handler.generate_schema(getattr(registration, name))

    return GetPydanticSchema(build)


if TYPE_CHECKING:
    from steplane.states import Branch as BranchMachine
    from steplane.states import ItemProcessor as ProcessorMachine
else:
    BranchMachine = Annotated[object, _registered("Branch")]
    ProcessorMachine = Annotated[object, _registered("ItemProcessor")]

__all__ = ["BranchMachine", "ProcessorMachine"]
