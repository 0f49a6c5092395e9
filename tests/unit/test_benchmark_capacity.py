"""The cost benchmark's DynamoDB capacity model (tests/benchmarks/dynamodb_capacity.py).

The benchmark's figures are only as honest as this model, so its rules are pinned here:
index writes (AWS: add 1, remove 1, change a key 2, unchanged 0), UpdateItem priced on the
larger of before and after, and failed conditions priced on the existing item.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.benchmarks.dynamodb_capacity import (
    IndexSpec,
    ShadowTable,
    apply_update,
    item_size,
    read_units,
)

SWEEP = IndexSpec("SweepIndex", ("sws", "sw"), "KEYS_ONLY")


def head(sw: int | None, *, pad: int = 0, **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": {"S": "X#wf:a"}, "sk": {"S": "HEAD"}, "v": {"N": "1"}}
    if sw is not None:
        item |= {"sws": {"S": "3"}, "sw": {"N": str(sw)}}
    if pad:
        item["d"] = {"S": "x" * pad}
    return item | extra


def table() -> ShadowTable:
    return ShadowTable(("pk", "sk"), [SWEEP])


def test_creating_an_indexed_head_costs_one_index_write() -> None:
    charge = table().put(head(600), None)
    assert charge.index["SweepIndex"].added == 1
    assert charge.index_units == 1
    assert charge.table_units == 1


def test_a_put_that_keeps_the_index_keys_writes_nothing_to_the_index() -> None:
    shadow = table()
    shadow.put(head(600), None)
    charge = shadow.put(head(600, v={"N": "2"}), None)
    assert charge.index_units == 0
    assert charge.table_units == 1


def test_changing_an_index_key_costs_two_index_writes() -> None:
    shadow = table()
    shadow.put(head(600), None)
    charge = shadow.put(head(900), None)
    assert charge.index["SweepIndex"].rekeyed == 1
    assert charge.index_units == 2


def test_dropping_the_index_keys_costs_one_index_write() -> None:
    shadow = table()
    shadow.put(head(600), None)
    charge = shadow.put(head(None), None)
    assert charge.index["SweepIndex"].removed == 1
    assert charge.index_units == 1
    assert shadow.index_entries("SweepIndex") == 0


def test_an_item_never_in_the_sparse_index_costs_no_index_write() -> None:
    shadow = table()
    assert shadow.put(head(None), None).index_units == 0
    assert shadow.put(head(None, v={"N": "2"}), None).index_units == 0


def test_a_failed_condition_costs_the_existing_item_and_changes_nothing() -> None:
    shadow = table()
    shadow.put(head(600, pad=1500), None)
    charge = shadow.put(head(900), "ConditionalCheckFailedException")
    assert charge.table_units == 2
    assert charge.index_units == 0
    assert shadow.get(head(None)) == head(600, pad=1500)


def test_an_update_is_priced_on_the_larger_of_before_and_after() -> None:
    shadow = table()
    shadow.put(head(600, pad=1500), None)
    charge = shadow.update(
        head(None), "REMOVE d, sw, sws", None, None, error=None
    )  # the item shrinks below 1 KB
    assert charge.table_units == 2
    assert charge.index["SweepIndex"].removed == 1
    assert "d" not in (shadow.get(head(None)) or {})


def test_an_update_that_sets_the_sort_key_rekeys_the_entry() -> None:
    shadow = table()
    shadow.put(head(600), None)
    charge = shadow.update(
        head(None),
        "SET sa = :sa, #n = :n, sw = :sw",
        {":sa": {"N": "1000"}, ":n": {"N": "1"}, ":sw": {"N": "1200"}},
        {"#n": "swn"},
        error=None,
    )
    assert charge.modelled
    assert charge.index["SweepIndex"].rekeyed == 1
    assert (shadow.get(head(None)) or {})["swn"] == {"N": "1"}


def test_legacy_units_leave_out_the_named_attributes() -> None:
    shadow = ShadowTable(("pk", "sk"), [SWEEP], {"head": ["big"]}, kind_of=lambda _: "head")
    charge = shadow.put(head(600, big={"S": "x" * 1100}), None)
    assert charge.table_units == 2
    assert charge.legacy_units == 1


@pytest.mark.parametrize(
    "expression",
    ["ADD n :one", "SET n = n + :one", "SET a.b = :v", "SET l = list_append(l, :v)", "v = :v"],
)
def test_updates_beyond_the_model_are_reported_not_guessed(expression: str) -> None:
    assert apply_update(head(None), expression, {":one": {"N": "1"}, ":v": {"N": "1"}}) is None
    shadow = table()
    shadow.put(head(600), None)
    assert not shadow.update(head(None), expression, {":v": {"N": "1"}}, None, None).modelled


def test_sizes_and_read_units_follow_the_documented_rules() -> None:
    assert item_size({"ab": {"S": "xyz"}, "n": {"N": "12345"}}) == 2 + 3 + 1 + 4
    assert read_units(0, consistent=False) == 0.5
    assert read_units(5000, consistent=True) == 2.0
