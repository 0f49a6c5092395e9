"""Choice: picks the Next state from the first matching rule, else Default."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import Field, GetPydanticSchema
from pydantic_core import core_schema

from steplane.asl.references import select
from steplane.definition.choice_model import ChoiceBranch
from steplane.definition.choice_rules import parse_choice_branch
from steplane.definition.model import EXPRESSION_PREFIX, Exit, StateSpec, given
from steplane.definition.templated import AssignTemplate, OutputTemplate
from steplane.errors import Problem, StatesError
from steplane.interpreter.choice import select_branch
from steplane.interpreter.context import assigned_by, output_of, visit_scope
from steplane.interpreter.run import Run
from steplane.interpreter.steps import Fail, Goto, Step
from steplane.jsontypes import Json
from steplane.states.lifecycle import Flowing
from steplane.states.state_type import StateType

# Where prepare() puts the parsed rules for the model (a field nobody writes).
BRANCHES = f"{EXPRESSION_PREFIX}Choices"
# Parsed already: pydantic passes them through as they are.
_Branches = Annotated[
    tuple[ChoiceBranch, ...], GetPydanticSchema(lambda _type, _handler: core_schema.any_schema())
]


class ChoiceState(StateSpec):
    """Branches on its input: the first of its ``Choices`` whose rule matches, else
    ``Default``. The rules as written are ``choices``; ``branches`` are the same rules
    parsed (see :func:`prepare`)."""

    type: Literal["Choice"] = Field(alias="Type")
    output: OutputTemplate | None = Field(None, alias="Output")
    choices: tuple[dict[str, Any], ...] = Field(alias="Choices", min_length=1)
    default: str | None = Field(None, alias="Default")
    input_path: str | None = Field("$", alias="InputPath")
    output_path: str | None = Field("$", alias="OutputPath")
    assign: AssignTemplate | None = Field(None, alias="Assign")
    branches: _Branches = Field((), alias=BRANCHES)

    def exits(self) -> Iterator[Exit]:
        """Each rule's ``Next`` and the ``Default``, read from the rules as written: a rule
        with a problem of its own still has its Next checked and followed, and the index
        is the one the user sees. The state's ``Assign`` applies on every way out, a
        rule's own on its way (the guide)."""
        # Every rule parsed (the definition loaded): they line up with the rules as written.
        parsed = self.branches if len(self.branches) == len(self.choices) else ()
        for index, rule in enumerate(self.choices):
            if isinstance(rule.get("Next"), str):
                own = parsed[index].assign if parsed else None
                yield Exit(f"/Choices/{index}/Next", rule["Next"], given(self.assign, own))
        if self.default is not None:
            yield Exit("/Default", self.default, given(self.assign))


def enter(name: str, state: ChoiceState, raw_input: Json, run: Run) -> Step:
    """Run a Choice state. No match and no Default fails with States.NoChoiceMatched."""
    scope = visit_scope(run, name, raw_input)
    effective = raw_input if state.jsonata else select(scope, state.input_path)
    scope = scope.with_data(effective)
    branch = select_branch(state.branches, effective, scope)
    chosen = branch.next if branch is not None else state.default
    if chosen is None:
        return Fail(
            StatesError.NO_CHOICE_MATCHED,
            f"no Choices rule matched in state {name!r} and it has no Default",
        )
    # The guide: the state's Assign "applies regardless of which choice rule matches",
    # the matching rule's Assign as well; "$" is the effective input in both. Where both
    # name a variable, the rule's value (the more specific) wins.
    assigned = {
        **(assigned_by(state.assign, scope) or {}),
        **(assigned_by(branch.assign if branch else None, scope) or {}),
    }
    if state.jsonata:
        # The rule's Output, else the state's, else the input ("$states.input").
        chosen_output = branch.output if branch is not None and branch.output else state.output
        output = output_of(chosen_output, scope, raw_input)
        return Goto(chosen, output, assigned or None)
    return Goto(chosen, select(scope, state.output_path), assigned or None)


LIFECYCLE = Flowing[ChoiceState](enter)


def prepare(raw: dict[str, Any], where: str) -> list[Problem]:
    """Parse the state's Choice Rules (before validation, so a rule's problems are
    reported at the field inside the rule); the model takes them from ``BRANCHES``."""
    parsed: list[ChoiceBranch] = []
    problems: list[Problem] = []
    choices = raw.get("Choices")
    language = str(raw.get("QueryLanguage", "JSONPath"))
    # Not an array: the model reports it; iterating a string or object would invent rules.
    for index, rule in enumerate(choices if isinstance(choices, list) else ()):
        branch, found = parse_choice_branch(rule, f"{where}/Choices/{index}", language)
        problems.extend(found)
        if branch is not None:
            parsed.append(branch)
    raw[BRANCHES] = tuple(parsed)
    return problems


TYPE = StateType("Choice", ChoiceState, LIFECYCLE, prepare=prepare)
