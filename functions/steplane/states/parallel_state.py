"""Parallel: runs its ``Branches`` at once, each on the state's input; its result is the
array of the branches' outputs, in branch order."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Literal

from pydantic import Field

from steplane.asl.scope import Scope
from steplane.definition.checks import check_error_lists
from steplane.definition.model import Catcher, DataFlow, Exit, MachineSpec, Retrier, given
from steplane.definition.templated import ArgumentsTemplate, PayloadTemplate
from steplane.errors import Problem
from steplane.interpreter.context import output_of
from steplane.jsontypes import Json
from steplane.settings import Settings
from steplane.states.fan_out import FanOutLifecycle
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

    def child_machine(self, index: int) -> MachineSpec:
        """Branch ``index``: child ``index`` runs it."""
        return self.branches[index]


class ParallelLifecycle(FanOutLifecycle[ParallelState]):
    """One child per branch, all at once, each on the state's effective input (after
    ``Parameters``; in JSONata, ``Arguments``)."""

    kind = "Parallel"

    def plan(
        self, name: str, state: ParallelState, effective: Scope, settings: Settings
    ) -> tuple[int, int]:
        """Every branch at once."""
        return len(state.branches), len(state.branches)

    def input_of(self, state: ParallelState, effective: Scope, index: int) -> Json:
        """The same for every branch."""
        if state.jsonata:
            return output_of(state.arguments, effective, effective.data)
        if state.parameters is not None:
            return state.parameters.evaluate(effective)
        return effective.data


def check(names: Collection[str], where: str, state: ParallelState) -> Iterator[Problem]:
    """Its Retry and Catch lists."""
    yield from check_error_lists(f"{where}/Retry", state.retry)
    yield from check_error_lists(f"{where}/Catch", state.catch)


TYPE = StateType("Parallel", ParallelState, ParallelLifecycle(), check=check)
