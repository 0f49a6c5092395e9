"""What an ``aws-sdk:{service}:{action}`` Resource names, checked against the AWS SDK's
own service models (botocore's, read when a definition first uses a service).

"your workflows can call almost any AWS service's API actions"; the Resource spells the
service in lowercase and the action in camelCase (``aws-sdk:s3:getObject``). Step
Functions lists actions it does not support (streaming ones, STS's AssumeRole family);
those are refused too, with that reason.
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from typing import Any

# The Resource's service name where boto3 names the client otherwise.
BOTO3_NAMES = {
    "acmpca": "acm-pca",
    "bedrockruntime": "bedrock-runtime",
    "cloudwatchlogs": "logs",
    "cognitoidentityprovider": "cognito-idp",
    "costexplorer": "ce",
    "elasticloadbalancingv2": "elbv2",
    "emrcontainers": "emr-containers",
    "emrserverless": "emr-serverless",
    "eventbridge": "events",
    "iotdata": "iot-data",
    "rdsdata": "rds-data",
    "sagemakerruntime": "sagemaker-runtime",
    "sfn": "stepfunctions",
}
# "Unsupported operations" in the developer guide's AWS SDK integrations table.
UNSUPPORTED = {
    ("lambda", "invokeAsync"),
    ("lambda", "invokeWithResponseStream"),
    ("s3", "selectObjectContent"),
    ("s3control", "selectObjectContent"),
    ("sts", "assumeRole"),
    ("sts", "assumeRoleWithSAML"),
    ("sts", "assumeRoleWithWebIdentity"),
    ("kinesis", "subscribeToShard"),
    ("bedrockruntime", "invokeModelWithResponseStream"),
    ("bedrockruntime", "converseStream"),
    ("cloudwatchlogs", "startLiveTail"),
    ("rdsdata", "executeSql"),
    ("sagemakerruntime", "invokeEndpointWithResponseStream"),
}


def boto3_name(service: str) -> str:
    """The boto3 client name of an ``aws-sdk:`` service."""
    return BOTO3_NAMES.get(service, service)


def operation_name(action: str) -> str:
    """The API operation an action names (``getObject`` -> ``GetObject``)."""
    return action[:1].upper() + action[1:]


@lru_cache(maxsize=256)
def sdk_problem(service: str, action: str) -> str | None:
    """Why ``aws-sdk:{service}:{action}`` cannot be called, or None."""
    if (service, action) in UNSUPPORTED:
        return (
            f"Step Functions does not support aws-sdk:{service}:{action} (a streaming or STS call)"
        )
    session = _session()
    name = boto3_name(service)
    services = session.get_available_services()
    if name not in services:
        close = difflib.get_close_matches(name, services, 1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"aws-sdk:{service} is not an AWS service the AWS SDK knows{hint}"
    operations = session.get_service_model(name).operation_names
    if operation_name(action) not in operations:
        close = difflib.get_close_matches(operation_name(action), operations, 1)
        hint = f"; did you mean {close[0][:1].lower() + close[0][1:]!r}?" if close else ""
        return f"aws-sdk:{service} has no action {action!r}{hint}"
    return None


@lru_cache(maxsize=1)
def _session() -> Any:
    import botocore.session  # noqa: PLC0415 - loaded only by definitions that use aws-sdk

    return botocore.session.get_session()
