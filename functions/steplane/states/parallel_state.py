"""Parallel: runs its ``Branches`` at once, each on the state's input; its result is the
array of the branches' outputs, in branch order."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any, Literal

from pydantic import Field

from steplane.definition.checks import check_error_lists
from steplane.definition.model import Catcher, DataFlow, Exit, MachineSpec, Retrier, given
from steplane.definition.templated import ArgumentsTemplate, PayloadTemplate
from steplane.errors import Problem
from steplane.states.lifecycle import RefusedAtLoad
from steplane.states.nested import BranchMachine
from steplane.states.state_type import StateType


class ParallelState(DataFlow):
    """``Branches``, each a state machine, run on the state's (effective) input."""

    type: Literal["Parallel"] = Field(alias="Type")
    branches: tuple[BranchMachine, ...] = Field(alias="Branches", min_length=1)
    parameters: PayloadTemplate | None = Field(None, alias="Parameters")
    arguments: ArgumentsTemplate | None = Field(None, alias="Arguments")
    result_selector: PayloadTemplate | None = Field(None, alias="ResultSelector")
    result_path: str | None = Field("$", alias="ResultPath")
    retry: tuple[Retrier, ...] = Field((), alias="Retry")
    catch: tuple[Catcher, ...] = Field((), alias="Catch")

    def exits(self) -> Iterator[Exit]:
        """``Next``, and each Catcher's ``Next`` with the Catcher's ``Assign``."""
        yield from super().exits()
        for index, catcher in enumerate(self.catch):
            yield Exit(f"/Catch/{index}/Next", catcher.next, given(catcher.assign))

    def machines(self) -> Iterator[tuple[str, MachineSpec]]:
        """Each branch."""
        for index, branch in enumerate(self.branches):
            yield f"/Branches/{index}", branch


def check(names: Collection[str], where: str, state: ParallelState) -> Iterator[Problem]:
    """Its Retry and Catch lists; and, until the fan-out engine lands, that it cannot run."""
    yield from check_error_lists(f"{where}/Retry", state.retry)
    yield from check_error_lists(f"{where}/Catch", state.catch)
    yield Problem(f"{where}/Type", RefusedAtLoad.REASON.format(kind="Parallel"))


def _check_raw(raw: Mapping[str, Any], where: str) -> Iterator[Problem]:
    yield Problem(f"{where}/Type", RefusedAtLoad.REASON.format(kind="Parallel"))


TYPE = StateType(
    "Parallel", ParallelState, RefusedAtLoad[ParallelState](), check=check, check_raw=_check_raw
)
