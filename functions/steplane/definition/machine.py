"""A whole definition: ``StartAt``, the ``States`` it names, and the top-level fields."""

from __future__ import annotations

from pydantic import Field

from steplane.definition.base import Spec
from steplane.definition.model import MAX_SECONDS, QueryLanguage
from steplane.states import State


class StateMachine(Spec):
    """A whole definition: ``StartAt`` and the ``States`` it names."""

    start_at: str = Field(alias="StartAt")
    states: dict[str, State] = Field(alias="States", min_length=1)
    comment: str | None = Field(None, alias="Comment")
    version: str | None = Field(None, alias="Version")
    timeout_seconds: int | None = Field(None, alias="TimeoutSeconds", ge=1, le=MAX_SECONDS)
    query_language: QueryLanguage = Field("JSONPath", alias="QueryLanguage")
    # The founding spelling names its workflow; ASL leaves naming to the caller.
    workflow_name: str | None = Field(None, alias="WorkflowName")
