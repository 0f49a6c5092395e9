"""A whole definition: ``StartAt``, the ``States`` it names, and the top-level fields."""

from __future__ import annotations

from pydantic import Field

from steplane.definition.model import MAX_SECONDS, QueryLanguage
from steplane.states import Branch


class StateMachine(Branch):
    """A whole definition: ``StartAt``, the ``States`` it names, and the top-level fields."""

    version: str | None = Field(None, alias="Version")
    timeout_seconds: int | None = Field(None, alias="TimeoutSeconds", ge=1, le=MAX_SECONDS)
    query_language: QueryLanguage = Field("JSONPath", alias="QueryLanguage")
    # The founding spelling names its workflow; ASL leaves naming to the caller.
    workflow_name: str | None = Field(None, alias="WorkflowName")
