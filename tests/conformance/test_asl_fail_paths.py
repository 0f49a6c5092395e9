"""Fail state ErrorPath and CausePath (JSONPath), as the ASL spec and the guide define them.

Spec, Fail State: "ErrorPath ... CausePath: reference paths that provide the error name
and the cause dynamically" and "A Fail State MUST NOT include both Error and ErrorPath
or both Cause and CausePath." A path that selects no string fails with States.Runtime.
"""

from __future__ import annotations

import pytest

from steplane.definition.loader import DefinitionError, load_definition
from steplane.execution import ExecutionStatus
from tests.unit.interpreter.harness import Driver


def _fail(**fields: object) -> dict[str, object]:
    return {"StartAt": "Stop", "States": {"Stop": {"Type": "Fail", **fields}}}


def test_error_and_cause_are_read_from_the_state_input():
    run = Driver(_fail(ErrorPath="$.failure.name", CausePath="$.failure.why"))
    run.begin({"failure": {"name": "Order.Rejected", "why": "card declined"}})
    assert run.head.status is ExecutionStatus.FAILED
    assert (run.head.error, run.head.cause) == ("Order.Rejected", "card declined")


def test_a_path_form_and_a_plain_form_of_the_other_field_mix():
    run = Driver(_fail(Error="Fixed.Name", CausePath="$.why"))
    run.begin({"why": "read from the input"})
    assert (run.head.error, run.head.cause) == ("Fixed.Name", "read from the input")


@pytest.mark.parametrize("value", [{"not": "text"}, 7, None, ["a"]])
def test_a_path_that_selects_no_string_fails_with_states_runtime(value: object):
    run = Driver(_fail(ErrorPath="$.name"))
    run.begin({"name": value})
    assert run.head.error == "States.Runtime"
    assert "ErrorPath '$.name' selected" in (run.head.cause or "")


def test_cause_path_may_be_an_intrinsic_function_and_paths_may_read_the_context():
    # The guide, Fail state: CausePath and ErrorPath take "a reference path or an
    # intrinsic function that returns a string" (States.Format, JsonToString, ...).
    run = Driver(
        _fail(ErrorPath="$$.State.Name", CausePath="States.Format('order {} failed', $.id)")
    )
    run.begin({"id": 42})
    assert (run.head.error, run.head.cause) == ("Stop", "order 42 failed")


def test_a_path_that_selects_nothing_fails_with_states_runtime():
    run = Driver(_fail(CausePath="$.missing"))
    run.begin({})
    assert run.head.error == "States.Runtime"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"Error": "E", "ErrorPath": "$.e"}, "/States/Stop: has both Error and ErrorPath"),
        ({"Cause": "C", "CausePath": "$.c"}, "/States/Stop: has both Cause and CausePath"),
        ({"ErrorPath": "$.a[?(@.b)]"}, "/States/Stop/ErrorPath: '$.a[?(@.b)]' is not a valid"),
        (
            {"CausePath": "States.Fromat('{}', $.x)"},
            "/States/Stop/CausePath: \"States.Fromat('{}', $.x)\" is not a valid path or "
            "intrinsic function: States.Fromat is not an intrinsic function; did you mean",
        ),
    ],
)
def test_refused_at_load_with_the_location(fields: dict[str, object], message: str):
    with pytest.raises(DefinitionError) as caught:
        load_definition(_fail(**fields))
    assert message in str(caught.value)
