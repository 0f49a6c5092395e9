"""Crash anywhere, lose nothing: many executions, Lambdas dying at random AWS calls.

GIVEN 200 onboarding executions started through the StartQueue at the template's batch
sizes, and every Lambda invocation (engine, workers, sweeper) dying at 5% of the AWS calls
it makes (before or after the call), WHEN the runtime runs with no human action (no
redrive), THEN every execution succeeds with the output and the history of a run
without crashes: each state entered once, each task completed once.
"""

from __future__ import annotations

import json

from steplane.examples.onboarding import register_all
from steplane.local import LocalRuntime
from steplane.local.faults import CrashAtAwsCalls

EXECUTIONS = 200
STATES = ["CreateUser", "ProvisionResources", "SendWelcomeEmail", "NotifyInternalTeams"]


def test_two_hundred_executions_with_five_percent_of_aws_calls_crashing_all_finish_once(
    onboarding_path,
):
    crash = CrashAtAwsCalls(probability=0.05, seed=2026)
    with crash, LocalRuntime(around_invocation=crash.around) as rt:
        register_all(rt.worker)
        workflow = rt.publish(onboarding_path)
        names = [f"chaos-{i}" for i in range(EXECUTIONS)]
        for batch in range(0, EXECUTIONS, 10):
            rt.sqs.send_message_batch(
                QueueUrl=rt.resources.ref("StartQueue"),
                Entries=[
                    {
                        "Id": str(i),
                        "MessageBody": json.dumps(
                            {"workflow": workflow, "name": name, "input": {"email": f"{name}@x.io"}}
                        ),
                    }
                    for i, name in enumerate(names[batch : batch + 10])
                ],
            )
        rt.run_all()  # deliver until nothing is in flight; then let the sweeper heal the rest
        results = {name: rt.run_until_complete(f"{workflow}:{name}") for name in names}
    assert crash.crashes > 100  # the faults really happened, across every kind of function
    for name, result in results.items():
        assert result.status == "SUCCEEDED", (name, result.error, result.cause)
        entered = [e["state"] for e in result.history if e["type"] == "TaskStateEntered"]
        succeeded = [e["state"] for e in result.history if e["type"] == "TaskSucceeded"]
        assert entered == succeeded == STATES, name
        assert result.output["email"] == f"{name}@x.io"
        assert {"userId", "tenantId", "welcomeEmailSent", "teamsNotified"} <= set(result.output)
