"""What a task handler's failure becomes: an error name and a cause, as Step Functions has them."""

from __future__ import annotations

import json
from typing import Any

from steplane import TaskFailed
from steplane.messages import TaskMessage
from steplane.worker.client import WorkerClient

SERVICE, ACTION = "Billing", "charge"


def _message() -> TaskMessage:
    return TaskMessage(
        task_token="token-1",
        execution_id="Billing:one",
        state="Charge",
        route=SERVICE,
        action=ACTION,
        attempt=1,
        idempotency_key="key-1",
        input={"amount": 3},
    )


def _run(handler: Any, founding: bool = False) -> Any:
    worker = WorkerClient()
    if founding:
        worker.register_task_handler(ACTION, handler)
    else:
        worker.register(SERVICE, ACTION, handler)
    return worker.run_task(_message())


def charge_card(task_input: Any, context: Any) -> Any:
    return _validate(task_input["amount"])


def _validate(amount: int) -> Any:
    raise ValueError(f"amount {amount} is too small")


def test_an_exception_fails_the_task_with_a_lambda_style_error_document() -> None:
    result = _run(charge_card)

    assert (result.status, result.error) == ("FAILED", "ValueError")
    cause = json.loads(result.cause)
    assert set(cause) == {"errorMessage", "errorType", "stackTrace"}
    assert (cause["errorMessage"], cause["errorType"]) == ("amount 3 is too small", "ValueError")


def test_the_stack_trace_starts_in_the_handler_and_ends_where_it_raised() -> None:
    trace = json.loads(_run(charge_card).cause)["stackTrace"]

    # traceback.format_tb style: '  File "...", line N, in name\n    source\n' per frame.
    assert [line.split(", in ")[1].split("\n")[0] for line in trace] == [
        "charge_card",
        "_validate",
    ]
    assert all(line.startswith(f'  File "{__file__}", line ') for line in trace)
    assert 'raise ValueError(f"amount {amount} is too small")' in trace[-1]


def test_a_founding_shape_handler_that_raises_gets_the_same_document() -> None:
    def create_user(task_context: Any) -> None:
        raise KeyError("email")

    result = _run(create_user, founding=True)

    assert result.error == "KeyError"
    cause = json.loads(result.cause)
    assert (cause["errorMessage"], cause["errorType"]) == ("'email'", "KeyError")
    assert "in create_user" in cause["stackTrace"][0]


def test_task_failed_keeps_its_cause_exactly_as_given() -> None:
    def refuse(task_input: Any, context: Any) -> None:
        raise TaskFailed("CardDeclined", "insufficient funds")

    result = _run(refuse)

    assert (result.error, result.cause) == ("CardDeclined", "insufficient funds")


def test_fail_task_keeps_its_message_as_the_cause_even_if_the_handler_then_raises() -> None:
    worker = WorkerClient()

    def report_then_raise(task_context: Any) -> None:
        worker.fail_task(task_context["task_id"], "card expired", "CardExpired")
        raise RuntimeError("after reporting")

    worker.register_task_handler(ACTION, report_then_raise)
    result = worker.run_task(_message())

    assert (result.error, result.cause) == ("CardExpired", "card expired")
