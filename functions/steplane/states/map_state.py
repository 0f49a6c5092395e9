"""Map: runs its ``ItemProcessor`` once for each item of an array (or, distributed, of an
``ItemReader``'s source); its result is the array of the items' outputs, in item order."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, GetCoreSchemaHandler, GetPydanticSchema
from pydantic_core import CoreSchema

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
from steplane.execution import Execution
from steplane.interpreter.field_numbers import NON_NEGATIVE, PERCENTAGE, field_number
from steplane.interpreter.run import Run
from steplane.interpreter.signals import ItemsRead
from steplane.jsontypes import Json
from steplane.settings import Settings
from steplane.states.fan_out import (
    FanOutLifecycle,
    effective_scope,
    item_scope,
    parked_scope,
)
from steplane.states.lifecycle import ChildPolicy, MapRun, Reaction
from steplane.states.nested import BranchMachine, ProcessorMachine
from steplane.states.state_type import StateType


def _map_run_model(name: str) -> GetPydanticSchema:
    def build(_source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        from steplane.states import map_run  # noqa: PLC0415 - on first schema build

        return handler.generate_schema(getattr(map_run, name))

    return GetPydanticSchema(build)


if TYPE_CHECKING:
    from steplane.states.map_items import ChildInputs, MapRunName
    from steplane.states.map_run import ItemBatcher, ItemReader, ResultWriter
else:
    # A Map Run's fields: their models (steplane.states.map_run) are imported when a
    # definition's schema is first built, not at a handler's cold start.
    ItemReader = Annotated[object, _map_run_model("ItemReader")]
    ItemBatcher = Annotated[object, _map_run_model("ItemBatcher")]
    ResultWriter = Annotated[object, _map_run_model("ResultWriter")]

# The guide: "Label ... can contain up to 40 characters".
MAX_LABEL = 40
# The guide (Distributed Map, Label): labels "can't contain any of the following
# characters: Whitespace; Wildcard characters (? *); Bracket characters (< > { } [ ]);
# Special characters (: ; , \ | ^ ~ $ # % & ` "); Control characters".
_LABEL_FORBIDDEN = set('?*<>{}[]:;,\\|^~$#%&`"')
# Express workflows run "for a duration of up to five minutes".
EXPRESS_SECONDS = 300


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
    item_reader: ItemReader | None = Field(None, alias="ItemReader")
    item_batcher: ItemBatcher | None = Field(None, alias="ItemBatcher")
    result_writer: ResultWriter | None = Field(None, alias="ResultWriter")
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
    label_: str | None = Field(None, alias="Label")
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

    def label(self) -> str | None:
        """Its ``Label``: "must be unique within a state machine definition"."""
        return self.label_

    def shares_variables(self) -> bool:
        """Not distributed: "distributed map state cannot reference variables in outer
        scopes" (its children are executions of their own)."""
        return not self.distributed

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
        if state.item_reader is not None:
            return 0, 0  # known once the items are read
        total = len(_items(state, effective))
        return total, _lanes(state, effective, total, settings)

    def input_of(self, state: MapState, effective: Scope, index: int) -> Json:
        """The item, or ``ItemSelector`` evaluated with ``$$.Map.Item`` set to it."""
        value = _items(state, effective)[index]
        selector = state.item_selector or state.parameters
        if selector is None:
            return value
        return selector.evaluate(item_scope(effective, index, value))

    def started_details(self, total: int) -> dict[str, Json]:
        """``MapStateStartedEventDetails``: ``length``, the number of items (0 for items
        an ItemReader has yet to read)."""
        return {"length": total}

    def tolerance(self, state: MapState, effective: Scope) -> tuple[int | None, float | None]:
        """``ToleratedFailureCount`` ("a non-negative integer") and
        ``ToleratedFailurePercentage`` ("between zero and 100"): as given, read by their
        Path, or evaluated."""
        count = field_number(
            "ToleratedFailureCount",
            state.tolerated_failure_count,
            state.tolerated_failure_count_path,
            state.tolerated_failure_count_expression,
            effective,
            NON_NEGATIVE,
        )
        percentage = field_number(
            "ToleratedFailurePercentage",
            state.tolerated_failure_percentage,
            state.tolerated_failure_percentage_path,
            state.tolerated_failure_percentage_expression,
            effective,
            PERCENTAGE,
        )
        return (None if count is None else int(count)), percentage

    def reads_items(self, state: MapState) -> bool:
        """A distributed Map stores its children's inputs first (read by its ItemReader,
        or taken from its input), then runs them as a Map Run."""
        return state.distributed

    def child_policy(self, state: MapState) -> ChildPolicy:
        """A distributed Map's children are executions of their own (their own
        ``$$.Execution``; they "cannot reference variables in outer scopes"); EXPRESS ones
        run at most five minutes and cannot be stopped."""
        if not state.distributed:
            return ChildPolicy()
        config = state.item_processor.processor_config if state.item_processor else None
        if config is not None and config.execution_type == "EXPRESS":
            return ChildPolicy(own_context=True, stoppable=False, max_seconds=EXPRESS_SECONDS)
        return ChildPolicy(own_context=True)

    def map_run_name(
        self, name: str, state: MapState, parent: Execution, settings: Settings
    ) -> MapRunName:
        """The Map Run of the visit ``parent`` is parked on, labelled with the state's
        ``Label``, else its name ("If you don't specify a label, Step Functions
        automatically generates a unique label")."""
        from steplane.states.map_items import map_run_name  # noqa: PLC0415 - Map Runs only

        return map_run_name(settings, state.label_ or name, parent)

    def map_run(self, name: str, state: MapState, parent: Execution, settings: Settings) -> MapRun:
        """The Map Run ``parent`` is parked on: its name, what its ItemReader reads (None:
        the state's input), where its ResultWriter exports (None: nowhere).

        Raises:
            AslError: the reader's or writer's parameters are not what S3 needs.
        """
        from steplane.states.map_items import read_request, write_request  # noqa: PLC0415

        effective = effective_scope(state, parked_scope(parent, settings, name))
        language = state.query_language
        reader = writer = None
        if state.item_reader is not None:
            reader = read_request(state.item_reader, effective, language)
        if state.result_writer is not None and state.result_writer.exports(language):
            writer = write_request(state.result_writer, effective, language)
        return MapRun(self.map_run_name(name, state, parent, settings), reader, writer)

    def stored_inputs(
        self,
        name: str,
        state: MapState,
        parent: Execution,
        items_read: list[Json] | None,
        settings: Settings,
    ) -> ChildInputs:
        """The children of the Map Run ``parent`` is parked on: the items (``items_read``,
        else the state's input's), each through ``ItemSelector``, batched by
        ``ItemBatcher``.

        Raises:
            AslError: the items are not an array, an item's input cannot be built, or a
                child's input is over 256 KiB.
        """
        effective = effective_scope(state, parked_scope(parent, settings, name))
        items = items_read if items_read is not None else _items(state, effective)
        selector = state.item_selector or state.parameters
        if selector is not None:
            source = "STATE_DATA"  # the guide: "For state input, the value will be: STATE_DATA"
            if state.item_reader is not None:
                from steplane.states.map_items import read_request  # noqa: PLC0415

                reader = read_request(state.item_reader, effective, state.query_language)
                source = reader.item_source
            items = [
                selector.evaluate(item_scope(effective, index, value, source))
                for index, value in enumerate(items)
            ]
        from steplane.states.map_items import batched  # noqa: PLC0415 - Map Runs only

        return batched(state.item_batcher, items, effective, state.query_language)

    def on_items_read(
        self, name: str, state: MapState, items_read: ItemsRead, run: Run
    ) -> Reaction:
        """Run the Map Run's children, on ``MaxConcurrency`` lanes."""
        effective = effective_scope(state, parked_scope(run.execution, run.settings, name))
        try:
            lanes = _lanes(state, effective, items_read.total, run.settings)
        except AslError as error:
            items_read = ItemsRead(items_read.visit, error=error.error, cause=error.cause)
            lanes = 0
        return self._run_items(name, state, items_read, run, lanes)

    def shaped(self, state: MapState, outputs: list[Json]) -> list[Json]:
        """A ResultWriter's ``WriterConfig`` alone shapes the state's output ("FLATTEN")."""
        writer = state.result_writer
        if writer is None or writer.writer_config is None:
            return outputs
        from steplane.states.map_items import flattened  # noqa: PLC0415 - Map Runs only

        return flattened(writer.writer_config.transformation, outputs)


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


def _lanes(state: MapState, effective: Scope, total: int, settings: Settings) -> int:
    """At most ``MaxConcurrency`` children at once (0: the engine's cap), at least one
    lane (it also counts a visit of no children). "MaxConcurrencyPath ... must select a
    non-negative integer"."""
    limit = field_number(
        "MaxConcurrency",
        state.max_concurrency,
        state.max_concurrency_path,
        state.max_concurrency_expression,
        effective,
        NON_NEGATIVE,
    )
    cap = settings.max_concurrency
    return max(1, min(total, int(limit or 0) or cap, cap))


def check(names: Collection[str], where: str, state: MapState) -> Iterator[Problem]:
    """What the guide requires of a Map beyond its fields' own types."""
    yield from _check_processor(where, state)
    yield from _check_distributed_only(where, state)
    if state.item_selector is not None and state.parameters is not None:
        yield Problem(where, "has both ItemSelector and Parameters (its legacy name); give one")
    if state.label_ is not None:
        yield from _check_label(f"{where}/Label", state.label_)
    if state.distributed:
        yield from _check_map_run(where, state)
    yield from check_error_lists(f"{where}/Retry", state.retry)
    yield from check_error_lists(f"{where}/Catch", state.catch)


def _check_map_run(where: str, state: MapState) -> Iterator[Problem]:
    """A distributed Map's ItemReader, ItemBatcher and ResultWriter."""
    from steplane.states.map_run import (  # noqa: PLC0415 - Map Runs only
        check_batcher,
        check_reader,
        check_writer,
    )

    language = state.query_language
    if state.item_reader is not None:
        yield from check_reader(f"{where}/ItemReader", state.item_reader, language)
        # The guide: "In Distributed mode, you specify this field only when you use a JSON
        # array or object from a previous step as your state input."
        for field in ("ItemsPath", "Items"):
            if field in _given_fields(state):
                yield Problem(f"{where}/{field}", "does not go with an ItemReader")
    if state.item_batcher is not None:
        yield from check_batcher(f"{where}/ItemBatcher", state.item_batcher, language)
    if state.result_writer is not None:
        yield from check_writer(f"{where}/ResultWriter", state.result_writer, language)


def _given_fields(state: MapState) -> set[str]:
    """The fields the definition wrote, by their ASL names."""
    fields = type(state).model_fields
    return {fields[name].alias or name for name in state.model_fields_set}


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


# Fields that only a Map Run has: an inline Map's items are its input, its results its
# output. (Tolerated failures and Label, which the spec gives any Map, an inline one
# keeps too.)
_DISTRIBUTED_ONLY = {
    "ItemReader": "item_reader",
    "ItemBatcher": "item_batcher",
    "ResultWriter": "result_writer",
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
