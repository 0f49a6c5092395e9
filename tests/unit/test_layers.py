"""The house's layers, lowest first; a module imports only from its own layer and below.

1. ``steplane.asl``: the language (paths, templates, intrinsics, JSONata, the scope).
2. The definition's vocabulary: the fields state types share, templates as fields, Choice
   Rules, the spelling and typo passes' helpers.
3. The interpreter's kit: what a state type runs with (Run, steps, context, retry).
4. ``steplane.states``: one module per state type, and their registration.
5. The whole machine and the dispatcher: the machine model, the loader, the validator,
   ``decide``.
A state type is a module of layer 4: nothing below it knows the set of state types, and
nothing above it names one.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "functions"
PACKAGE = ROOT / "steplane"

ASL = "steplane.asl"
VOCABULARY = (
    "steplane.definition.base",
    "steplane.definition.model",
    "steplane.definition.templated",
    "steplane.definition.checks",
    "steplane.definition.choice_model",
    "steplane.definition.choice_operands",
    "steplane.definition.choice_rules",
    "steplane.definition.showing",
    "steplane.definition.pointers",
    "steplane.definition.nesting",
    "steplane.definition.source",
    "steplane.definition.spelling",
    "steplane.definition.walk",
)
KIT = (
    "steplane.interpreter.catching",
    "steplane.interpreter.choice",
    "steplane.interpreter.context",
    "steplane.interpreter.data_limits",
    "steplane.interpreter.field_numbers",
    "steplane.interpreter.decisions",
    "steplane.interpreter.results",
    "steplane.interpreter.retry",
    "steplane.interpreter.run",
    "steplane.interpreter.signals",
    "steplane.interpreter.steps",
    "steplane.interpreter.tokens",
)
STATES = "steplane.states"
ABOVE_STATES = (
    "steplane.definition.machine",
    "steplane.definition.loader",
    "steplane.definition.validate",
    "steplane.definition.typos",
    "steplane.definition.messages",
    "steplane.definition.targets",
    "steplane.definition.variable_uses",
    "steplane.interpreter.engine",
    "steplane.interpreter.pending",
    "steplane.interpreter.sweep",
)


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path) -> set[str]:
    """Every steplane module ``path`` imports when it runs (type-checking-only ones aside),
    at module level or inside a function."""
    tree = ast.parse(path.read_text())
    skipped = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("steplane")}


def _imports_of(prefixes: tuple[str, ...]) -> dict[str, set[str]]:
    modules = {_module(path): path for path in PACKAGE.rglob("*.py")}
    return {
        name: _runtime_imports(path)
        for name, path in modules.items()
        if any(name == p or name.startswith(f"{p}.") for p in prefixes)
    }


def _offenders(lower: tuple[str, ...], higher: tuple[str, ...]) -> dict[str, list[str]]:
    def is_higher(name: str) -> bool:
        return any(name == p or name.startswith(f"{p}.") for p in higher)

    return {
        module: sorted(n for n in names if is_higher(n))
        for module, names in _imports_of(lower).items()
        if any(is_higher(n) for n in names)
    }


def test_the_language_imports_nothing_of_definitions_interpreters_or_state_types() -> None:
    higher = ("steplane.definition", "steplane.interpreter", STATES, "steplane.execution")
    assert _offenders((ASL,), higher) == {}


def test_the_definition_vocabulary_knows_no_state_type_and_no_interpreter() -> None:
    assert _offenders(VOCABULARY, ("steplane.interpreter", STATES, *ABOVE_STATES)) == {}


def test_the_interpreter_kit_needs_no_state_type_and_no_whole_machine() -> None:
    assert _offenders(KIT, (STATES, *ABOVE_STATES)) == {}


def test_state_types_are_below_the_whole_machine_and_the_dispatcher() -> None:
    assert _offenders((STATES,), ABOVE_STATES) == {}


def test_every_definition_and_interpreter_module_has_a_layer() -> None:
    placed = {*VOCABULARY, *KIT, *ABOVE_STATES, "steplane.definition", "steplane.interpreter"}
    modules = _imports_of(("steplane.definition", "steplane.interpreter"))
    assert sorted(set(modules) - placed) == []


def test_the_head_model_says_what_each_field_holds() -> None:
    # No Any (nor the Json alias of it) in the execution head's annotations: its JSON
    # values are the recursive JsonValue a type checker follows.
    tree = ast.parse((PACKAGE / "execution.py").read_text())
    loose = {
        f"{node.target.id}: {ast.unparse(node.annotation)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
        for name in ast.walk(node.annotation)
        if isinstance(name, ast.Name) and name.id in ("Any", "Json")
    }
    assert loose == set()
