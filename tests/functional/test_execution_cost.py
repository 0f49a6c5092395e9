"""``GET /executions/{id}``'s ``cost``: what the engine counted for the execution's own
transitions (DynamoDB units, messages: SQS requests and handler invocations), priced at
list prices beside what Step Functions Standard bills for as many transitions."""

from __future__ import annotations

import math

from steplane.adapters.dynamodb_items import execution_pk, history_sk, to_ddb
from steplane.adapters.dynamodb_sizes import item_size
from steplane.local import LocalRuntime
from steplane.local.http import path_segment
from steplane.pricing import PRICES, SQS_REQUESTS_PER_MESSAGE

DEFINITION = {
    "StartAt": "Work",
    "States": {
        "Work": {"Type": "Task", "Resource": "Work", "Next": "Nap"},
        "Nap": {"Type": "Wait", "Seconds": 60, "Next": "Done"},
        "Done": {"Type": "Pass", "End": True},
    },
}


def test_the_cost_counts_each_commit_and_prices_it() -> None:
    with LocalRuntime() as rt:
        rt.register("Work", lambda task_input, context: {"ok": True})
        execution = rt.start(DEFINITION, {"order": 1})
        rt.run_until_complete(execution)
        cost = rt.http("GET", f"/executions/{path_segment(execution)}")[1]["cost"]
        head = rt.store.get_head(execution)
        table = rt.resources.ref("ExecutionsTable")
        history = [
            rt.session.client("dynamodb").get_item(
                TableName=table, Key=to_ddb({"pk": execution_pk(execution), "sk": history_sk(v)})
            )["Item"]
            for v in range(1, head.version + 1)
        ]
    # Three commits (start: into the task; the result: into the Wait; the wake-up: to the
    # end), each decided on one strongly consistent head read.
    assert head.version == 3
    assert cost["dynamodbReadUnits"] == 3
    # Sent: the task, the Wait's wake-up (the execution has no timeout to arm).
    assert cost["lambdaInvocations"] == 2
    assert cost["sqsRequests"] == 2 * SQS_REQUESTS_PER_MESSAGE
    # Each commit wrote its history item and the head: at least one unit each, and every
    # history item's own units.
    history_units = sum(max(1, math.ceil(item_size(item) / 1024)) for item in history)
    assert history_units + 3 <= cost["dynamodbWriteUnits"] <= history_units + 3 * 2
    expected = (
        cost["dynamodbWriteUnits"] * PRICES.wcu
        + cost["dynamodbReadUnits"] * PRICES.rcu
        + cost["sqsRequests"] * PRICES.sqs_request
        + cost["lambdaInvocations"] * (PRICES.lambda_request + PRICES.lambda_duration())
    )
    assert math.isclose(cost["dollars"], expected, rel_tol=1e-6)
    assert cost["transitions"] == 3
    assert math.isclose(cost["stepFunctionsDollars"], 3 * 25e-6)
    assert cost["dollars"] < cost["stepFunctionsDollars"]
