"""The shell of a distributed Map's Map Run: reading its items into stored child inputs
before its lanes run, and exporting its children's results after they end (see the
README's "A distributed Map: a Map Run"). The pure core (``steplane.states.map_state``,
``steplane.states.map_items``) says what to read, what each child's input is, and where
to write; this module does the I/O, each step safe to do again.

Imported with ``steplane.fanning``, on a process's first fan-out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from steplane.asl.failures import AslError
from steplane.definition.loader import Definition
from steplane.errors import StatesError
from steplane.execution import Execution, FanOut
from steplane.interpreter.decisions import Command, Transition
from steplane.interpreter.engine import decide
from steplane.interpreter.signals import FanIn, ItemsRead
from steplane.jsontypes import Json
from steplane.ports import (
    CommitOutcome,
    ExecutionStore,
    InputsChangedError,
    ObjectStore,
    ObjectStoreError,
)
from steplane.settings import Settings
from steplane.states import FANNING
from steplane.states.map_items import ReadRequest

# A read, or an export, that has not got through after this many attempts (each SQS
# delivery and each of the sweeper's re-sends is one) fails the Map rather than keep the
# parent waiting for ever: a source too large for one invocation, a bucket that never
# lets us write.
MAX_ATTEMPTS = 12


def read_decision(visit: int) -> str:
    """The decision id of the commit that ends a visit's read of its items."""
    return f"read:{visit}"


class MapRunShell:
    """Reads Map Runs' items and exports their results."""

    def __init__(
        self,
        store: ExecutionStore,
        *,
        objects: Callable[[], ObjectStore],
        send: Callable[[Execution, tuple[Command, ...], datetime], None],
        settings: Settings,
        definition: Callable[[str], Definition],
        with_input: Callable[[Execution, Definition], Execution],
        seed: Callable[[str], str],
    ) -> None:
        self._store = store
        self._objects = objects
        self._send = send
        self._settings = settings
        self._definition = definition
        self._with_input = with_input
        self._seed = seed

    # -- reading ------------------------------------------------------------------------
    def read(self, parent: Execution, now: datetime) -> bool:
        """Read the Map Run's items, store each child's input, and tell the parent how many
        (or why they could not be read). Done again after a crash, it changes nothing:
        the stored inputs stand (a source that changed meanwhile fails the read), and the
        parent moves once."""
        definition = self._definition(parent.definition_hash)
        loaded = self._with_input(parent, definition)
        visit = loaded.entered_version
        expiry = self._store.child_expiry(loaded)
        attempt = self._store.lanes.attempt(loaded.execution_id, visit, "reads", expiry)
        if attempt > MAX_ATTEMPTS:
            cause = (
                f"the items could not be read and stored in {MAX_ATTEMPTS} attempts: the "
                "source may be too large for one AdvanceFunction invocation (its Timeout)"
            )
            signal = ItemsRead(visit, error=StatesError.ITEM_READER_FAILED.value, cause=cause)
        else:
            signal = self._items_read(loaded, definition, expiry)
        decision_id = read_decision(visit)
        decision = decide(
            definition, loaded, signal, now, self._seed(decision_id), settings=self._settings
        )
        if not isinstance(decision, Transition):
            return False
        moved = replace(decision.execution, decision_id=decision_id)
        if self._store.commit(loaded, moved, decision.events) is not CommitOutcome.COMMITTED:
            return False  # another read moved it first
        self._send(moved, decision.commands, now)
        return True

    def _items_read(self, parent: Execution, definition: Definition, expiry: int) -> ItemsRead:
        """Read, shape and store the items; the signal that says how it went."""
        from steplane.asl.item_files import ItemFileError  # noqa: PLC0415 - Map Runs only

        assert parent.state is not None, "a parked head names its state"
        name, visit = parent.state, parent.entered_version
        state = definition.state(name)
        lifecycle = FANNING[state.type]
        source = ""
        try:
            map_run = lifecycle.map_run(name, state, parent, self._settings)
            items = None
            if map_run.reader is not None:
                source = f" ({map_run.reader.source})"
                items = _read_source(self._objects(), map_run.reader)
            children = lifecycle.stored_inputs(name, state, parent, items, self._settings)
            self._store.child_inputs.put_all(
                parent.execution_id, visit, children.inputs, children.weights, expiry
            )
        except (ObjectStoreError, ItemFileError, InputsChangedError) as error:
            failed = StatesError.ITEM_READER_FAILED.value
            return ItemsRead(visit, error=failed, cause=f"{error}{source}")
        except AslError as error:
            return ItemsRead(visit, error=error.error, cause=error.cause)
        return ItemsRead(visit, total=len(children.inputs), items=children.items)

    # -- exporting ----------------------------------------------------------------------
    def exported(
        self, parent: Execution, fan: FanOut, fan_in: FanIn, heads: dict[str, Execution] | None
    ) -> FanIn:
        """``fan_in`` with the Map Run's results exported, when its ResultWriter names a
        bucket (done again after a crash: the same keys, the same bytes); or with the
        export's failure (``States.ResultWriterFailed``)."""
        from steplane.result_export import export  # noqa: PLC0415 - Map Runs that export

        definition = self._definition(parent.definition_hash)
        assert parent.state is not None, "a parked head names its state"
        state = definition.state(parent.state)
        try:
            map_run = FANNING[state.type].map_run(parent.state, state, parent, self._settings)
        except AslError as error:
            return replace(fan_in, error=error.error, cause=error.cause)
        if map_run.writer is None:
            return fan_in
        failed = StatesError.RESULT_WRITER_FAILED.value
        visit, expiry = parent.entered_version, self._store.child_expiry(parent)
        if self._store.lanes.attempt(parent.execution_id, visit, "exports", expiry) > MAX_ATTEMPTS:
            cause = f"the results could not be exported in {MAX_ATTEMPTS} attempts"
            return replace(fan_in, error=failed, cause=cause)
        try:
            written = export(self._objects(), self._store, parent, fan, map_run, heads)
        except ObjectStoreError as error:
            return replace(fan_in, error=failed, cause=str(error))
        return replace(fan_in, written=written)


def _read_source(objects: ObjectStore, request: ReadRequest) -> list[Json]:
    """The items of an ItemReader's source: an object's, in its format, or a listing's."""
    from steplane.asl import item_files  # noqa: PLC0415 - Map Runs only

    if request.listing:
        entries = objects.list(request.bucket, request.prefix, request.max_items)
        return [item_files.listing_item(entry) for entry in entries]
    body = objects.get(request.bucket, request.key, request.version)
    if request.input_type == "JSONL":
        return item_files.jsonl_items(body, max_items=request.max_items)
    if request.input_type == "CSV":
        assert request.csv is not None, "a CSV request says its header"
        rows: list[Any] = item_files.csv_items(body, request.csv, max_items=request.max_items)
        return rows
    return item_files.json_items(body, pointer=request.pointer, max_items=request.max_items)
