"""Map: runs its ``ItemProcessor`` once for each item of an array (or, distributed, of an
``ItemReader``'s source); its result is the array of the items' outputs, in item order."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any, Literal

from pydantic import Field

from steplane.asl.failures import AslError
from steplane.asl.paths import describe
from steplane.asl.references import read
from steplane.asl.scope import Scope
from steplane.definition.base import Spec
from steplane.definition.checks import check_error_lists
from steplane.definition.model import Catcher, DataFlow, Exit, MachineSpec, Retrier, given
from steplane.definition.templated import (
    FailureCountExpression,
    FailurePercentageExpression,
    ItemSelectorTemplate,
    ItemsTemplate,
    MaxConcurrencyExpression,
    PayloadTemplate,
)
from steplane.errors import Problem
from steplane.jsontypes import Json
from steplane.settings import Settings
from steplane.states.fan_out import FanOutLifecycle, item_scope
from steplane.states.nested import BranchMachine, ProcessorMachine
from steplane.states.state_type import StateType

# The guide: "Label ... can contain up to 40 characters".
MAX_LABEL = 40
# The guide (Distributed Map, Label): labels "can't contain any of the following
# characters: Whitespace; Wildcard characters (? *); Bracket characters (< > { } [ ]);
# Special characters (: ; , \ | ^ ~ $ # % & ` "); Control characters".
_LABEL_FORBIDDEN = set('?*<>{}[]:;,\\|^~$#%&`"')


# Refused at load, never accepted and ignored: the README lists it as not built yet.
DISTRIBUTED_NOT_YET = (
    "Mode DISTRIBUTED is not supported yet (child executions of a Map Run, ItemReader, "
    "ItemBatcher, ResultWriter): an inline Map runs; the distributed one is being built"
)


class ProcessorConfig(Spec):
    """How a Map runs its items: in the execution (``INLINE``), or as child executions of a
    Map Run (``DISTRIBUTED``, with their ``ExecutionType``)."""

    mode: Literal["INLINE", "DISTRIBUTED"] = Field("INLINE", alias="Mode")
    execution_type: Literal["STANDARD", "EXPRESS"] | None = Field(None, alias="ExecutionType")


class MapState(DataFlow):
    """The items (``ItemsPath``/``Items``, or an ``ItemReader``), each item's input
    (``ItemSelector``), the machine that runs it, and how many at once."""

    type: Literal["Map"] = Field(alias="Type")
    item_processor: ProcessorMachine | None = Field(None, alias="ItemProcessor")
    iterator: BranchMachine | None = Field(None, alias="Iterator")
    items_path: str | None = Field("$", alias="ItemsPath")
    items: ItemsTemplate | None = Field(None, alias="Items")
    item_selector: ItemSelectorTemplate | None = Field(None, alias="ItemSelector")
    parameters: ItemSelectorTemplate | None = Field(None, alias="Parameters")
    item_reader: dict[str, Any] | None = Field(None, alias="ItemReader")
    item_batcher: dict[str, Any] | None = Field(None, alias="ItemBatcher")
    result_writer: dict[str, Any] | None = Field(None, alias="ResultWriter")
    max_concurrency: int | None = Field(None, alias="MaxConcurrency", ge=0)
    max_concurrency_path: str | None = Field(None, alias="MaxConcurrencyPath")
    max_concurrency_expression: MaxConcurrencyExpression | None = Field(
        None, alias="%MaxConcurrency"
    )
    tolerated_failure_count: int | None = Field(None, alias="ToleratedFailureCount", ge=0)
    tolerated_failure_count_path: str | None = Field(None, alias="ToleratedFailureCountPath")
    tolerated_failure_count_expression: FailureCountExpression | None = Field(
        None, alias="%ToleratedFailureCount"
    )
    tolerated_failure_percentage: float | None = Field(
        None, alias="ToleratedFailurePercentage", ge=0, le=100
    )
    tolerated_failure_percentage_path: str | None = Field(
        None, alias="ToleratedFailurePercentagePath"
    )
    tolerated_failure_percentage_expression: FailurePercentageExpression | None = Field(
        None, alias="%ToleratedFailurePercentage"
    )
    label: str | None = Field(None, alias="Label")
    result_selector: PayloadTemplate | None = Field(None, alias="ResultSelector")
    result_path: str | None = Field("$", alias="ResultPath")
    retry: tuple[Retrier, ...] = Field((), alias="Retry")
    catch: tuple[Catcher, ...] = Field((), alias="Catch")

    @property
    def processor(self) -> MachineSpec | None:
        """The machine each item runs: ``ItemProcessor``, else the legacy ``Iterator``."""
        return self.item_processor or self.iterator

    @property
    def distributed(self) -> bool:
        """Whether the Map runs as a Map Run of child executions."""
        config = self.item_processor.processor_config if self.item_processor else None
        return config is not None and config.mode == "DISTRIBUTED"

    def exits(self) -> Iterator[Exit]:
        """``Next``, and each Catcher's ``Next`` with the Catcher's ``Assign``."""
        yield from super().exits()
        for index, catcher in enumerate(self.catch):
            yield Exit(f"/Catch/{index}/Next", catcher.next, given(catcher.assign))

    def machines(self) -> Iterator[tuple[str, MachineSpec]]:
        """Its ItemProcessor (or Iterator)."""
        if self.item_processor is not None:
            yield "/ItemProcessor", self.item_processor
        if self.iterator is not None:
            yield "/Iterator", self.iterator

    def child_machine(self, index: int) -> MachineSpec:
        """The ItemProcessor: every item runs it."""
        processor = self.processor
        assert processor is not None, "validated: a Map has its ItemProcessor"
        return processor


class MapLifecycle(FanOutLifecycle[MapState]):
    """One child per item of the array ``ItemsPath`` (JSONata: ``Items``) selects, at most
    ``MaxConcurrency`` at once; each child's input is its item, or ``ItemSelector``'s
    value for it."""

    kind = "Map"

    def plan(
        self, name: str, state: MapState, effective: Scope, settings: Settings
    ) -> tuple[int, int]:
        """As many children as items, on ``MaxConcurrency`` lanes (0: the engine's cap)."""
        total = len(_items(state, effective))
        limit = _max_concurrency(state, effective) or settings.max_concurrency
        return total, max(1, min(total, limit, settings.max_concurrency))

    def input_of(self, state: MapState, effective: Scope, index: int) -> Json:
        """The item, or ``ItemSelector`` evaluated with ``$$.Map.Item`` set to it."""
        value = _items(state, effective)[index]
        selector = state.item_selector or state.parameters
        if selector is None:
            return value
        return selector.evaluate(item_scope(effective, index, value))

    def started_details(self, total: int) -> dict[str, Json]:
        """``MapStateStartedEventDetails``: ``length``, the number of items."""
        return {"length": total}


def _items(state: MapState, effective: Scope) -> list[Json]:
    """The guide: "The ItemsPath must identify a field whose value is a JSON array";
    in JSONata, ``Items`` is "a JSON array or a JSONata expression that evaluates to an
    array" (default: the state's input)."""
    if state.jsonata:
        value = state.items.evaluate(effective) if state.items is not None else effective.data
        source = "Items"
    else:
        value = read(effective, state.items_path or "$")
        source = f"ItemsPath {state.items_path or '$'!r}"
    if not isinstance(value, list):
        raise AslError(f"{source} selected {describe(value)}, not an array of items")
    return value


def _max_concurrency(state: MapState, effective: Scope) -> int:
    """``MaxConcurrency`` as given, read by its Path, or evaluated (JSONata); 0 when
    absent. "MaxConcurrencyPath ... must select a non-negative integer"."""
    if state.max_concurrency_expression is not None:
        value: Json = state.max_concurrency_expression.evaluate(effective)
        source = "the MaxConcurrency expression gave"
    elif state.max_concurrency_path is not None:
        value = read(effective, state.max_concurrency_path)
        source = f"MaxConcurrencyPath {state.max_concurrency_path!r} selected"
    else:
        return state.max_concurrency or 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise AslError(f"{source} {describe(value)}, not a non-negative integer")
    return value


def check(names: Collection[str], where: str, state: MapState) -> Iterator[Problem]:
    """What the guide requires of a Map beyond its fields' own types."""
    yield from _check_processor(where, state)
    yield from _check_distributed_only(where, state)
    if state.item_selector is not None and state.parameters is not None:
        yield Problem(where, "has both ItemSelector and Parameters (its legacy name); give one")
    if state.label is not None:
        yield from _check_label(f"{where}/Label", state.label)
    yield from check_error_lists(f"{where}/Retry", state.retry)
    yield from check_error_lists(f"{where}/Catch", state.catch)
    if state.distributed:
        yield Problem(f"{where}/ItemProcessor/ProcessorConfig/Mode", DISTRIBUTED_NOT_YET)


def _check_processor(where: str, state: MapState) -> Iterator[Problem]:
    if state.item_processor is None and state.iterator is None:
        yield Problem(where, "a Map needs ItemProcessor (or its legacy name, Iterator)")
    if state.item_processor is not None and state.iterator is not None:
        yield Problem(where, "has both ItemProcessor and Iterator (its legacy name); give one")
    config = state.item_processor.processor_config if state.item_processor else None
    if config is None:
        return
    at = f"{where}/ItemProcessor/ProcessorConfig"
    if config.mode == "DISTRIBUTED" and config.execution_type is None:
        yield Problem(at, "a DISTRIBUTED Map needs ExecutionType (STANDARD or EXPRESS)")
    if config.mode == "INLINE" and config.execution_type is not None:
        yield Problem(f"{at}/ExecutionType", "applies only to Mode DISTRIBUTED")


# Fields the guide gives only to a distributed Map.
_DISTRIBUTED_ONLY = {
    "ItemReader": "item_reader",
    "ItemBatcher": "item_batcher",
    "ResultWriter": "result_writer",
    "ToleratedFailureCount": "tolerated_failure_count",
    "ToleratedFailureCountPath": "tolerated_failure_count_path",
    "ToleratedFailurePercentage": "tolerated_failure_percentage",
    "ToleratedFailurePercentagePath": "tolerated_failure_percentage_path",
    "Label": "label",
}


def _check_distributed_only(where: str, state: MapState) -> Iterator[Problem]:
    if state.distributed:
        return
    for field, attribute in _DISTRIBUTED_ONLY.items():
        if getattr(state, attribute) is not None:
            yield Problem(
                f"{where}/{field}",
                "applies only to a distributed Map (ItemProcessor.ProcessorConfig.Mode "
                "DISTRIBUTED)",
            )


def _check_label(where: str, label: str) -> Iterator[Problem]:
    if len(label) > MAX_LABEL:
        yield Problem(where, f"is longer than {MAX_LABEL} characters")
    bad = sorted({c for c in label if c in _LABEL_FORBIDDEN or c.isspace() or not c.isprintable()})
    if bad:
        yield Problem(where, f"may not contain {''.join(bad)!r}")


TYPE = StateType("Map", MapState, MapLifecycle(), check=check)
