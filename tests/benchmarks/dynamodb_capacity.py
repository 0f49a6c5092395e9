"""DynamoDB capacity units as AWS bills them, from the requests a benchmark sees.

A :class:`ShadowTable` keeps a copy of every item written through the hooks (the items
themselves, in DynamoDB's typed JSON), so a write is priced on the larger of the item
before and after, an ``UpdateItem`` is applied to the copy to learn the item after, and
the index entries each write adds, re-keys or removes are known.

Rules (DynamoDB developer guide: "Item sizes and formats", "Global secondary indexes:
provisioned throughput considerations"):

* item size: the UTF-8 length of each attribute name plus its value's size (S: UTF-8
  bytes; N: 1 byte per two significant digits + 1; B: bytes; BOOL/NULL: 1; L/M: 3 + per
  element 1 + value (+ key name for M));
* a write costs 1 WCU per started KB of the larger of the item before and after; a
  conditional write that fails still costs the size of the existing item (minimum 1);
* a global secondary index costs write units of its own when a write changes its entry:
  "If you write a new item to the table that defines an indexed attribute, or you update an
  existing item to define a previously undefined indexed attribute, one write operation is
  required to put the item into the index. If an update to the table changes the value of
  an indexed key attribute (from A to B), two writes are required, one to delete the
  previous item from the index and another write to put the new item into the index. If an
  item was present in the index, but a write to the table caused the indexed attribute to
  be deleted, one write is required to delete the old item projection from the index. If an
  item is not present in the index before or after the item is updated, there is no
  additional write cost for the index." A write that changes only projected attributes
  costs one write (never, for a KEYS_ONLY index). An index entry is the table's keys, the
  index keys and the projected attributes; each index write is 1 WCU per started KB of it;
* reads: 1 RCU per started 4 KB strongly consistent, half eventually consistent (minimum
  one unit, also when nothing is found); a Query sums the sizes of the items returned
  before rounding. A Query on a global secondary index is always eventually consistent.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

READ_UNIT_BYTES = 4 * 1024
Item = dict[str, Any]


# -- sizes and units ---------------------------------------------------------------------------
# The sizes are the engine's own (it counts each execution's write units with them).
from steplane.adapters.dynamodb_sizes import (  # noqa: E402
    item_size,
    write_units,
)


def read_units(size: int, consistent: bool) -> float:
    """1 RCU per started 4 KB strongly consistent, half that eventually consistent; minimum 1."""
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    return float(units) if consistent else units / 2


# -- UpdateItem ----------------------------------------------------------------------------------
_CLAUSE = re.compile(r"\b(SET|REMOVE|ADD|DELETE)\b", re.IGNORECASE)
_NAME = re.compile(r"^#?[A-Za-z_][A-Za-z0-9_]*$")
_VALUE = re.compile(r"^:[A-Za-z0-9_]+$")


def apply_update(
    item: Mapping[str, Any],
    expression: str,
    values: Mapping[str, Any] | None = None,
    names: Mapping[str, str] | None = None,
) -> Item | None:
    """The item after ``UpdateExpression`` ``expression``; None if it is beyond this model.

    Modelled: ``SET a = :v, b = c`` (a value placeholder or another top-level attribute)
    and ``REMOVE a, b``, with ``#name`` placeholders. Nested paths, functions, arithmetic,
    ADD and DELETE return None (the caller reports the request as unmodelled).
    """
    values, names = values or {}, names or {}
    after = copy.deepcopy(dict(item))
    parts = _CLAUSE.split(expression)
    if parts[0].strip():
        return None
    for keyword, body in zip(parts[1::2], parts[2::2], strict=True):
        actions = [a.strip() for a in body.split(",")]
        if keyword.upper() == "SET":
            for action in actions:
                target, equals, operand = (part.strip() for part in action.partition("="))
                name = _resolve(target, names)
                if name is None or not equals:
                    return None
                if _VALUE.match(operand) and operand in values:
                    after[name] = copy.deepcopy(values[operand])
                elif (source := _resolve(operand, names)) is not None:
                    if source not in after:
                        return None  # DynamoDB refuses a SET from a missing attribute
                    after[name] = copy.deepcopy(after[source])
                else:
                    return None
        elif keyword.upper() == "REMOVE":
            for action in actions:
                name = _resolve(action, names)
                if name is None:
                    return None
                after.pop(name, None)
        else:
            return None
    return after


def _resolve(path: str, names: Mapping[str, str]) -> str | None:
    if not _NAME.match(path):
        return None
    return names.get(path) if path.startswith("#") else path


# -- indexes -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IndexSpec:
    """A global secondary index: its name, key attributes and projection."""

    name: str
    keys: tuple[str, ...]
    projection: str = "KEYS_ONLY"
    non_key: tuple[str, ...] = ()

    @classmethod
    def from_template(cls, resource: Mapping[str, Any]) -> IndexSpec:
        """From one entry of a table's ``GlobalSecondaryIndexes`` in the template."""
        projection = resource.get("Projection") or {}
        return cls(
            name=str(resource["IndexName"]),
            keys=tuple(str(k["AttributeName"]) for k in resource["KeySchema"]),
            projection=str(projection.get("ProjectionType", "KEYS_ONLY")),
            non_key=tuple(str(a) for a in projection.get("NonKeyAttributes", ())),
        )

    def entry(self, item: Mapping[str, Any] | None, table_keys: tuple[str, ...]) -> Item | None:
        """The index entry ``item`` has (None: the item is not in this sparse index)."""
        if item is None or any(key not in item for key in self.keys):
            return None
        if self.projection == "ALL":
            return dict(item)
        wanted = {*table_keys, *self.keys}
        if self.projection == "INCLUDE":
            wanted.update(self.non_key)
        return {name: value for name, value in item.items() if name in wanted}


@dataclass
class IndexWrites:
    """What one table write did to one index: entries added, removed, re-keyed, refreshed."""

    added: int = 0
    removed: int = 0
    rekeyed: int = 0
    refreshed: int = 0
    units: int = 0

    def add(self, other: IndexWrites) -> None:
        """Accumulate ``other`` into this one."""
        self.added += other.added
        self.removed += other.removed
        self.rekeyed += other.rekeyed
        self.refreshed += other.refreshed
        self.units += other.units


def index_writes(spec: IndexSpec, before: Item | None, after: Item | None) -> IndexWrites:
    """The index writes (and their units) that changing an entry from ``before`` to ``after``
    costs, by the rules in the module docstring."""
    if before is None and after is None:
        return IndexWrites()
    if before is None:
        assert after is not None
        return IndexWrites(added=1, units=write_units(item_size(after)))
    if after is None:
        return IndexWrites(removed=1, units=write_units(item_size(before)))
    if any(before.get(key) != after.get(key) for key in spec.keys):
        units = write_units(item_size(before)) + write_units(item_size(after))
        return IndexWrites(rekeyed=1, units=units)
    if before != after:
        return IndexWrites(refreshed=1, units=write_units(item_size(after)))
    return IndexWrites()


_UNMODELLED = object()  # an update this model cannot apply


# -- the shadow table ---------------------------------------------------------------------------
@dataclass
class WriteCharge:
    """The units one write consumed, on the table and on each index.

    ``legacy_units`` prices the same write as if the items lacked ``legacy_leave_out``'s
    attributes and the table had no index: the older design, for comparison.
    """

    table_units: int = 0
    legacy_units: int = 0
    size_after: int | None = None
    index: dict[str, IndexWrites] = field(default_factory=dict)
    modelled: bool = True

    @property
    def index_units(self) -> int:
        """Write units on all indexes together."""
        return sum(writes.units for writes in self.index.values())


class ShadowTable:
    """A copy of one table's items, kept from the writes seen, that prices every write."""

    def __init__(
        self,
        keys: tuple[str, ...],
        indexes: Iterable[IndexSpec] = (),
        legacy_leave_out: Mapping[str, Iterable[str]] | None = None,
        kind_of: Callable[[Mapping[str, Any]], str] | None = None,
    ) -> None:
        self.keys = keys
        self.indexes = tuple(indexes)
        self._items: dict[tuple[str, ...], Item] = {}
        self._leave_out = {kind: set(names) for kind, names in (legacy_leave_out or {}).items()}
        self._kind_of = kind_of or (lambda item: "item")

    def key(self, item: Mapping[str, Any]) -> tuple[str, ...]:
        """The shadow key of an item (or key): its key attributes' values."""
        return tuple(repr(sorted((item.get(n) or {}).items())) for n in self.keys)

    def get(self, key_or_item: Mapping[str, Any]) -> Item | None:
        """The current copy of an item."""
        return self._items.get(self.key(key_or_item))

    def items(self) -> list[Item]:
        """Every item the shadow holds."""
        return list(self._items.values())

    def index_entries(self, index: str) -> int:
        """How many items the shadow says are in ``index`` now."""
        spec = next(s for s in self.indexes if s.name == index)
        return sum(1 for item in self._items.values() if spec.entry(item, self.keys) is not None)

    # -- writes ------------------------------------------------------------------------------------
    def put(self, item: Item, error: str | None) -> WriteCharge:
        """A PutItem (or a Put inside a batch or transaction)."""
        return self._write(item, error, lambda _: dict(item))

    def delete(self, key: Item, error: str | None) -> WriteCharge:
        """A DeleteItem."""
        return self._write(key, error, lambda _: None)

    def update(
        self,
        key: Item,
        expression: str,
        values: Mapping[str, Any] | None,
        names: Mapping[str, str] | None,
        error: str | None,
    ) -> WriteCharge:
        """An UpdateItem (which creates the item when absent, as DynamoDB does)."""

        def updated(before: Item | None) -> Item | object:
            after = apply_update(before or dict(key), expression, values, names)
            return _UNMODELLED if after is None else after

        return self._write(key, error, updated)

    def charge_failed(self, key: Item) -> WriteCharge:
        """A write whose condition failed: the existing item's size, nothing changes."""
        before = self.get(key)
        units = write_units(item_size(before) if before else 0)
        return WriteCharge(table_units=units, legacy_units=write_units(self._legacy_size(before)))

    def _write(
        self, key_item: Item, error: str | None, make_after: Callable[[Item | None], Any]
    ) -> WriteCharge:
        if error == "ConditionalCheckFailedException":
            return self.charge_failed(key_item)
        if error is not None:
            return WriteCharge()  # a request DynamoDB refused outright consumes nothing
        key = self.key(key_item)
        before = self._items.get(key)
        after = make_after(before)
        if after is _UNMODELLED:
            # An update beyond the model: priced on the item before; the copy is kept as is.
            units = write_units(item_size(before) if before else 0)
            return WriteCharge(table_units=units, legacy_units=units, modelled=False)
        size_before = item_size(before) if before else 0
        size_after = item_size(after) if after else 0
        charge = WriteCharge(
            table_units=write_units(max(size_before, size_after)),
            legacy_units=write_units(max(self._legacy_size(before), self._legacy_size(after))),
            size_after=size_after if after is not None else None,
        )
        for spec in self.indexes:
            charge.index[spec.name] = index_writes(
                spec, spec.entry(before, self.keys), spec.entry(after, self.keys)
            )
        if after is None:
            self._items.pop(key, None)
        else:
            self._items[key] = after
        return charge

    def _legacy_size(self, item: Item | None) -> int:
        if item is None:
            return 0
        return item_size(item, self._leave_out.get(self._kind_of(item), ()))
