"""Load a definition from a path, a JSON string or a dict, reporting every problem at once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from steplane.asl.templates import Template
from steplane.definition.machine import StateMachine
from steplane.definition.messages import pydantic_problems
from steplane.definition.model import all_states
from steplane.definition.nesting import raw_states
from steplane.definition.source import DefinitionSource, is_json_text, read_document
from steplane.definition.spelling import Normalised, normalise
from steplane.definition.typos import correct_typos
from steplane.definition.validate import check_machine
from steplane.definition.variable_uses import unassigned_reads
from steplane.definition.walk import expressions
from steplane.errors import DefinitionError, Problem
from steplane.names import safe_name
from steplane.states import STATE_TYPES, State


@dataclass(frozen=True)
class Definition:
    """A validated state machine, pinned by the hash of its canonical JSON text."""

    machine: StateMachine
    document: Mapping[str, Any]
    hash: str

    @property
    def name(self) -> str | None:
        """The founding ``WorkflowName``, when the definition gives one."""
        return self.machine.workflow_name

    def state(self, name: str) -> State:
        """The state called ``name``, in the machine or nested in one of its states (names
        are unique in the whole definition; validated to exist wherever one is named)."""
        return self._states[name]

    @cached_property
    def _states(self) -> Mapping[str, State]:
        return {name: state for _, name, state in all_states(self.machine)}

    @cached_property
    def templates(self) -> tuple[Template, ...]:
        """Every payload template of the definition, wherever it is."""
        return tuple(found for _, _, found in self._expressions if isinstance(found, Template))

    @cached_property
    def reads_execution_input(self) -> bool:
        """Whether some expression reads ``$$.Execution.Input``: the engine then loads the
        execution's input for every decision (one more read), and only then."""
        if any(template.reads_execution_input for template in self.templates):
            return True
        return any(_path_reads_input(text) for text in self.path_texts)

    @cached_property
    def path_texts(self) -> tuple[str, ...]:
        """Every path or intrinsic written as text (InputPath, the ...Path fields, Choice
        Variables and operands), as the states read them."""
        return tuple(found for _, _, found in self._expressions if isinstance(found, str))

    @cached_property
    def _expressions(self) -> tuple[tuple[object, str, Template | str], ...]:
        states = self._states.values()
        return tuple(found for state in states for found in expressions(state))

    def canonical_json(self) -> str:
        """The definition as stored and hashed: sorted keys, no insignificant white space."""
        return canonical_json(self.document)


def _path_reads_input(text: str) -> bool:
    """Whether a path (or ErrorPath's intrinsic) reads ``$$.Execution.Input``."""
    from steplane.asl.expressions import cached_expression  # noqa: PLC0415 - on demand

    try:
        return any(p.reads_execution_input for p in cached_expression(text).paths)
    except ValueError:  # not a path: validation reports it
        return False


def canonical_json(document: Any) -> str:
    """Serialise JSON deterministically, so equal documents hash equally."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def load_definition(source: DefinitionSource) -> Definition:
    """Load and validate a definition in either spelling.

    Args:
        source: a path to a JSON file, a JSON text, or an already-parsed mapping.

    Raises:
        DefinitionError: listing every problem found, each with its JSON location.
    """
    document = read_document(source)
    corrected = correct_typos(document)
    normalised = normalise(corrected.document)

    def locate(location: str) -> str:
        return corrected.original_location(normalised.original_location(location))

    machine, found = _validate(normalised, locate)
    spelling = [
        Problem(corrected.original_location(p.location), p.message) for p in normalised.problems
    ]
    problems = [*corrected.problems, *_not_typos(corrected.problems, spelling + found)]
    if problems or machine is None:
        raise DefinitionError(_unique(problems))
    digest = hashlib.sha256(canonical_json(document).encode()).hexdigest()
    return Definition(machine, document, digest)


def _validate(
    normalised: Normalised, locate: Callable[[str], str]
) -> tuple[StateMachine | None, list[Problem]]:
    """The model, and every structural, state-type and cross-reference problem, each at
    the location ``locate`` gives it."""
    machine: StateMachine | None = None
    problems: list[Problem] = []
    found = _prepare(normalised.document)
    try:
        machine = StateMachine.model_validate(normalised.document)
    except ValidationError as error:
        problems.extend(pydantic_problems(error, locate))
    if machine is not None:
        found.extend(check_machine(machine))
        found.extend(unassigned_reads(machine))
    else:
        # Structural problems stop the whole model; check what still parses, so one run
        # reports every cross-reference problem too.
        partial = _partial_machine(normalised.document)
        if partial is not None:
            found.extend(check_machine(*partial))
    problems.extend(Problem(locate(p.location), p.message) for p in found)
    return machine, problems


def _not_typos(typos: list[Problem], problems: list[Problem]) -> list[Problem]:
    """``problems`` less the "unknown field" ones the typo pass reported with a suggestion."""
    reported = {typo.location for typo in typos}
    return [
        p
        for p in problems
        if not (p.location in reported and p.message.startswith("unknown field"))
    ]


@cache
def _state_adapter() -> TypeAdapter[State]:
    """One state's validator, built on first use: only a definition with a problem needs it
    (building it costs more than the rest of a handler's import)."""
    return TypeAdapter(State)


def _partial_machine(
    document: dict[str, Any],
) -> tuple[StateMachine, dict[str, dict[str, Any]]] | None:
    """The states that validate on their own, and the raw JSON of those that do not."""
    start_at, states = document.get("StartAt"), document.get("States")
    if not isinstance(start_at, str) or not isinstance(states, dict):
        return None
    valid: dict[str, Any] = {}
    broken: dict[str, dict[str, Any]] = {}
    for name, raw in states.items():
        try:
            valid[name] = _state_adapter().validate_python(raw)
        except ValidationError:
            broken[name] = raw if isinstance(raw, dict) else {}
    return StateMachine.model_construct(start_at=start_at, states=valid), broken


def default_workflow_name(source: DefinitionSource, definition: Definition) -> str:
    """The name to publish under: ``WorkflowName``, else the file's stem, else hash-based.

    A stem that breaks the naming rule (``my flow.json``) has its forbidden characters
    replaced by ``-``: the user never chose that name, so it must not fail their run.
    """
    if definition.name:
        return definition.name
    if isinstance(source, Path) or (isinstance(source, str) and not is_json_text(source)):
        return safe_name(Path(source).stem)
    return f"workflow-{definition.hash[:12]}"


def _prepare(document: dict[str, Any]) -> list[Problem]:
    """Each state type's pass over its JSON before validation (see ``StateType.prepare``)."""
    problems: list[Problem] = []
    for where, _, state in raw_states(document):
        written = state.get("Type")
        kind = STATE_TYPES.get(written) if isinstance(written, str) else None
        if kind is not None and kind.prepare is not None:
            problems.extend(kind.prepare(state, where))
    return problems


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


__all__ = [
    "Definition",
    "DefinitionSource",
    "canonical_json",
    "default_workflow_name",
    "load_definition",
]
