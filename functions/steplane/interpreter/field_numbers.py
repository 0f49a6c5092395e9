"""A number field of a state as ASL lets it be given: as it is, read from the state's
input by its ``...Path`` twin (JSONPath), or computed by a ``{% %}`` expression (JSONata).
Map's MaxConcurrency and tolerated failures, an ItemReader's MaxItems and an ItemBatcher's
limits all follow it."""

from __future__ import annotations

from dataclasses import dataclass

from steplane.asl.failures import AslError
from steplane.asl.paths import describe
from steplane.asl.references import read
from steplane.asl.scope import Scope
from steplane.asl.templates import Template
from steplane.jsontypes import Json


@dataclass(frozen=True)
class NumberRule:
    """What the field's value must be: a whole number (or any number) from ``minimum`` to
    ``maximum`` (None: no upper bound)."""

    minimum: float
    maximum: float | None = None
    whole: bool = True

    def accepts(self, value: Json) -> bool:
        """Whether ``value`` is such a number (``true`` is not one)."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.whole and not float(value).is_integer():
            return False
        return self.minimum <= value and (self.maximum is None or value <= self.maximum)

    def wanted(self) -> str:
        """The rule in words, for the error."""
        if not self.whole:
            return f"a number from {self.minimum:g} to {self.maximum:g}"
        kind = "a non-negative integer" if self.minimum == 0 else "a positive integer"
        return kind if self.maximum is None else f"{kind} of at most {self.maximum:g}"


NON_NEGATIVE = NumberRule(0)
POSITIVE = NumberRule(1)
PERCENTAGE = NumberRule(0, 100, whole=False)


def field_number(  # noqa: PLR0917 - the field's three spellings, its scope and its rule
    field: str,
    given: float | None,
    path: str | None,
    expression: Template | None,
    scope: Scope,
    rule: NumberRule,
) -> float | None:
    """The field's value for ``scope`` (None when the state gives none). A value read or
    computed is held to ``rule`` (a given one was checked at load).

    Raises:
        AslError: the path selected, or the expression gave, something ``rule`` refuses
            (``States.Runtime``), or the path or expression failed.
    """
    if expression is not None:
        value: Json = expression.evaluate(scope)
        source = f"the {field} expression gave"
    elif path is not None:
        value = read(scope, path)
        source = f"{field}Path {path!r} selected"
    else:
        return given
    if not rule.accepts(value):
        raise AslError(f"{source} {describe(value)}, not {rule.wanted()}")
    assert isinstance(value, int | float), "accepted: a number"
    return value
