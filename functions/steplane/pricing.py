"""List prices (us-east-1, on-demand) the cost figures use: an execution's cost so far
(``GET /executions/{id}``) and the benchmarks' dollars per million transitions."""

from __future__ import annotations

from dataclasses import dataclass

from steplane.execution import Consumed


@dataclass(frozen=True)
class Prices:
    """List prices in dollars per unit, and the Lambda duration assumptions."""

    memory_mb: int = 128
    duration_ms: float = 50.0
    sweep_duration_ms: float = 100.0
    apigw_request: float = 3.50e-6
    sqs_request: float = 0.40e-6
    wcu: float = 0.625e-6
    rcu: float = 0.125e-6
    lambda_request: float = 0.20e-6
    lambda_gb_second: float = 0.0000133334
    scheduler_invocation: float = 1.00e-6
    scheduler_free_per_month: int = 14_000_000
    sfn_transition: float = 25e-6
    s3_get: float = 0.4e-6  # GET and all other requests: $0.0004 per 1,000
    s3_put: float = 5.0e-6  # PUT, COPY, POST, LIST: $0.005 per 1,000

    def lambda_duration(self, duration_ms: float | None = None) -> float:
        """Dollars of compute per invocation at the assumed memory and duration."""
        ms = self.duration_ms if duration_ms is None else duration_ms
        return self.memory_mb / 1024 * ms / 1000 * self.lambda_gb_second


PRICES = Prices()
# What the engine's messages cost beyond their send: each is received and deleted once (the
# event source mapping's long polls are shared by every execution, so not counted).
SQS_REQUESTS_PER_MESSAGE = 3


def execution_cost(
    usage: Consumed, transitions: int, prices: Prices = PRICES
) -> dict[str, float | int]:
    """What an execution's own transitions cost so far, from what the engine counted, and
    what Step Functions Standard would bill for as many transitions."""
    sqs = usage.messages * SQS_REQUESTS_PER_MESSAGE
    invocations = usage.messages  # each message is one handler invocation at most
    dollars = (
        usage.write_units * prices.wcu
        + usage.read_units * prices.rcu
        + sqs * prices.sqs_request
        + invocations * (prices.lambda_request + prices.lambda_duration())
    )
    return {
        "transitions": transitions,
        "dynamodbWriteUnits": usage.write_units,
        "dynamodbReadUnits": usage.read_units,
        "sqsRequests": sqs,
        "lambdaInvocations": invocations,
        "dollars": dollars,
        "stepFunctionsDollars": transitions * prices.sfn_transition,
    }
