"""A Map Run's stored child inputs, against DynamoDB (moto): the first read of a visit
stores them; a read done again (a crash, a duplicate message) never overwrites them."""

from __future__ import annotations

from typing import Any

import pytest

from steplane.adapters.dynamodb_inputs import DynamoDBChildInputs
from steplane.ports import InputsChangedError

PARENT = "W:run"


@pytest.fixture
def inputs(executions_table: Any) -> DynamoDBChildInputs:
    return DynamoDBChildInputs(executions_table, "executions")


def test_stored_inputs_are_read_one_by_one_and_in_batches(inputs: DynamoDBChildInputs) -> None:
    values = [{"n": n, "text": "é" * n} for n in range(250)]  # more than one BatchGetItem
    inputs.put_all(PARENT, 4, values, [n % 3 + 1 for n in range(250)], expiry=10**10)
    assert inputs.get(PARENT, 4, 7) == (values[7], 2)
    assert inputs.get_many(PARENT, 4, list(range(250))) == dict(enumerate(values))


def test_a_read_done_again_stores_what_the_first_left_out(inputs: DynamoDBChildInputs) -> None:
    # The first read died after its digest and some inputs: the same read again stores
    # the rest and leaves the stored ones as they are.
    inputs.put_all(PARENT, 4, ["a", "b", "c"], [1, 1, 1], expiry=10**10)
    inputs.put_all(PARENT, 4, ["a", "b", "c"], [1, 1, 1], expiry=10**10)
    assert [inputs.get(PARENT, 4, i)[0] for i in range(3)] == ["a", "b", "c"]


def test_a_read_of_a_source_that_changed_stores_nothing(inputs: DynamoDBChildInputs) -> None:
    # The source changed between two reads of one visit: its children must all see one
    # read's inputs, so the second read is refused (the Map fails: ItemReaderFailed).
    inputs.put_all(PARENT, 4, ["first", "first"], [1, 1], expiry=10**10)
    with pytest.raises(InputsChangedError, match="source changed"):
        inputs.put_all(PARENT, 4, ["second", "second", "second"], [1, 1, 1], expiry=10**10)
    assert [inputs.get(PARENT, 4, i)[0] for i in range(2)] == ["first", "first"]
    with pytest.raises(KeyError):
        inputs.get(PARENT, 4, 2)


def test_an_input_never_stored_is_a_key_error_naming_it(inputs: DynamoDBChildInputs) -> None:
    with pytest.raises(KeyError, match="child 3 of visit 4"):
        inputs.get(PARENT, 4, 3)


def test_inputs_of_another_visit_are_apart(inputs: DynamoDBChildInputs) -> None:
    inputs.put_all(PARENT, 4, ["a"], [1], expiry=10**10)
    inputs.put_all(PARENT, 5, ["b"], [1], expiry=10**10)
    assert (inputs.get(PARENT, 4, 0), inputs.get(PARENT, 5, 0)) == (("a", 1), ("b", 1))
