"""A Map Run's stored child inputs, against DynamoDB (moto): the first read of a visit
stores them; a read done again (a crash, a duplicate message) never overwrites them."""

from __future__ import annotations

from typing import Any

import pytest

from steplane.adapters.dynamodb_inputs import DynamoDBChildInputs

PARENT = "W:run"


@pytest.fixture
def inputs(executions_table: Any) -> DynamoDBChildInputs:
    return DynamoDBChildInputs(executions_table, "executions")


def test_stored_inputs_are_read_one_by_one_and_in_batches(inputs: DynamoDBChildInputs) -> None:
    values = [{"n": n, "text": "é" * n} for n in range(250)]  # more than one BatchGetItem
    inputs.put_all(PARENT, 4, values, expiry=10**10)
    assert inputs.get(PARENT, 4, 7) == values[7]
    assert inputs.get_many(PARENT, 4, list(range(250))) == dict(enumerate(values))


def test_a_read_done_again_does_not_overwrite_what_the_first_stored(
    inputs: DynamoDBChildInputs,
) -> None:
    # The source changed between the two reads: the children already launched on the
    # first inputs, and every later child must see the same ones.
    inputs.put_all(PARENT, 4, ["first", "first"], expiry=10**10)
    inputs.put_all(PARENT, 4, ["second", "second", "second"], expiry=10**10)
    assert [inputs.get(PARENT, 4, i) for i in range(3)] == ["first", "first", "second"]


def test_an_input_never_stored_is_a_key_error_naming_it(inputs: DynamoDBChildInputs) -> None:
    with pytest.raises(KeyError, match="child 3 of visit 4"):
        inputs.get(PARENT, 4, 3)


def test_inputs_of_another_visit_are_apart(inputs: DynamoDBChildInputs) -> None:
    inputs.put_all(PARENT, 4, ["a"], expiry=10**10)
    inputs.put_all(PARENT, 5, ["b"], expiry=10**10)
    assert (inputs.get(PARENT, 4, 0), inputs.get(PARENT, 5, 0)) == ("a", "b")
