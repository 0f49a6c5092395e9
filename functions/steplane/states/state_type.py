"""A state type, whole: its model, its lifecycle, and the checks only it needs.

Each module of ``steplane.states`` builds one :class:`StateType` and the package's
``__init__`` registers it; nothing else in the house names state types.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from steplane.definition.model import StateSpec
from steplane.errors import Problem
from steplane.states.lifecycle import StateLifecycle

S = TypeVar("S", bound=StateSpec)

# (the names of the machine's states, the state's JSON location, the state) -> problems.
OwnCheck = Callable[[Collection[str], str, S], Iterator[Problem]]
# (the state's JSON as written, its location) -> problems; for a state whose model failed.
RawCheck = Callable[[Mapping[str, Any], str], Iterator[Problem]]
# (the state's JSON, its location) -> problems; may add "%Field" values for the model.
Prepare = Callable[[dict[str, Any], str], list[Problem]]


@dataclass(frozen=True)
class StateType(Generic[S]):
    """One ASL state type.

    Attributes:
        name: its ``Type``, as written in a definition.
        model: the pydantic model of its fields.
        lifecycle: what entering it does and, if it parks, what it waits for.
        check: the cross-field checks its model cannot state (beside those every state
            gets: Next/End, targets, paths, reachability).
        check_raw: the checks that still apply when its model failed to validate.
        prepare: a pass over its JSON before validation, for what the model takes
            compiled from several fields (Choice rules).
    """

    name: str
    model: type[S]
    lifecycle: StateLifecycle[S]
    check: OwnCheck[S] | None = None
    check_raw: RawCheck | None = None
    prepare: Prepare | None = None
