"""What a Task's ``Resource`` names, decided at load: an integration, a Lambda function,
an activity, or a worker route.

Step Functions: "Each of these service integration patterns is controlled by how you
create a URI in the "Resource" field of your task definition", under the prefix
``arn:aws:states:::``; "Legacy integrations to AWS Lambda are the one exception where the
Resource value specifies an actual Lambda function resource"; an activity is
``arn:partition:states:region:account:activity:name``. Anything else is a steplane worker
route (the founding spelling's tasks, and any string a worker registers for).

Pure: the table of what steplane offers lives here (service, action, patterns, and the
module that performs the call), so a definition that asks for something else is refused
at load with its location, never found missing at run time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from steplane.errors import Problem


class Pattern(StrEnum):
    """How the task waits (the suffix of the Resource's action)."""

    REQUEST_RESPONSE = ""  # "progress to the next state immediately after ... an HTTP response"
    SYNC = ".sync"  # "wait for a job to complete" (startExecution.sync: Output as a string)
    SYNC_2 = ".sync:2"  # ... with the Output as JSON
    CALLBACK = ".waitForTaskToken"  # "wait until that token is returned with a payload"


@dataclass(frozen=True)
class Offer:
    """One integration steplane performs: the module under ``steplane.integrations`` that
    makes the call, and the patterns it supports (Step Functions' own table)."""

    module: str
    patterns: frozenset[Pattern]


_RR, _CB = Pattern.REQUEST_RESPONSE, Pattern.CALLBACK
# The optimised integrations, by (service, action) as the Resource spells them.
OPTIMISED: dict[tuple[str, str], Offer] = {
    ("lambda", "invoke"): Offer("lambda_invoke", frozenset({_RR, _CB})),
    ("sqs", "sendMessage"): Offer("sqs_send", frozenset({_RR, _CB})),
    ("sns", "publish"): Offer("sns_publish", frozenset({_RR, _CB})),
    ("events", "putEvents"): Offer("events_put", frozenset({_RR, _CB})),
    ("dynamodb", "getItem"): Offer("dynamodb_item", frozenset({_RR})),
    ("dynamodb", "putItem"): Offer("dynamodb_item", frozenset({_RR})),
    ("dynamodb", "updateItem"): Offer("dynamodb_item", frozenset({_RR})),
    ("dynamodb", "deleteItem"): Offer("dynamodb_item", frozenset({_RR})),
    ("states", "startExecution"): Offer(
        "start_execution", frozenset({_RR, Pattern.SYNC, Pattern.SYNC_2, _CB})
    ),
}
# "arn:aws:states:::aws-sdk:serviceName:apiAction.[serviceIntegrationPattern]": request-
# response and .waitForTaskToken; the table says ".sync": "Not supported".
SDK = Offer("sdk_call", frozenset({_RR, _CB}))
# Optimised integrations Step Functions has and steplane does not (yet): refused with a
# pointer to the AWS SDK form, which reaches the same API.
NOT_YET = frozenset(
    {
        "apigateway",
        "athena",
        "batch",
        "bedrock",
        "codebuild",
        "databrew",
        "ecs",
        "eks",
        "elasticmapreduce",
        "emr-containers",
        "emr-serverless",
        "glue",
        "http",
        "mediaconvert",
        "sagemaker",
    }
)


@dataclass(frozen=True)
class ServiceCall:
    """``arn:aws:states:::{service}:{action}{pattern}``, or the ``aws-sdk:`` form."""

    service: str
    action: str
    pattern: Pattern
    sdk: bool = False

    @property
    def offer(self) -> Offer:
        """What performs it."""
        return SDK if self.sdk else OPTIMISED[(self.service, self.action)]

    @property
    def waits_for_execution(self) -> bool:
        """Whether it is ``states:startExecution.sync`` (or ``.sync:2``): the task waits
        for a nested execution it started."""
        synchronous = self.pattern in (Pattern.SYNC, Pattern.SYNC_2)
        return (
            not self.sdk
            and (self.service, self.action) == ("states", "startExecution")
            and synchronous
        )

    @property
    def name(self) -> str:
        """How messages name it: ``sqs:sendMessage.waitForTaskToken``."""
        prefix = "aws-sdk:" if self.sdk else ""
        return f"{prefix}{self.service}:{self.action}{self.pattern.value}"


@dataclass(frozen=True)
class LambdaFunction:
    """A Lambda function ARN as the Resource: invoked with the state's input, its output
    the task's result ("the task result contains only the function output")."""

    arn: str


@dataclass(frozen=True)
class Activity:
    """``arn:...:states:{region}:{account}:activity:{name}``: done by an activity worker."""

    arn: str
    name: str


Target = ServiceCall | LambdaFunction | Activity

_PARTITION = r"arn:(?:aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b)"
_INTEGRATION = re.compile(_PARTITION + r":states:::(?P<rest>.*)")
_SUFFIX = r"(?P<pattern>\.sync(?::2)?|\.waitForTaskToken)?"
_SERVICE_ACTION = re.compile(r"(?P<service>[a-z0-9-]+):(?P<action>[a-zA-Z0-9]+)" + _SUFFIX)
_SDK = re.compile(r"aws-sdk:(?P<service>[a-z0-9-]+):(?P<action>[a-zA-Z0-9]+)" + _SUFFIX)
_FUNCTION = re.compile(
    _PARTITION + r":lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9_-]{1,140}(?::[a-zA-Z0-9$_-]+)?"
)
_ACTIVITY = re.compile(_PARTITION + r":states:[a-z0-9-]+:\d{12}:activity:(?P<name>[^:]{1,80})")


class ResourceError(ValueError):
    """A Resource in the integrations' namespace that steplane does not offer."""


@lru_cache(maxsize=512)
def classify(resource: str | None) -> Target | None:
    """What ``resource`` names; None for a worker route (or no Resource).

    Raises:
        ResourceError: an ``arn:aws:states:::`` resource, or a pattern, steplane does not
            offer (the message says what is offered instead).
    """
    if resource is None:
        return None
    if (function := _FUNCTION.fullmatch(resource)) is not None:
        return LambdaFunction(function.group(0))
    if (activity := _ACTIVITY.fullmatch(resource)) is not None:
        return Activity(resource, activity.group("name"))
    integration = _INTEGRATION.fullmatch(resource)
    if integration is None:
        return None
    return _service_call(integration.group("rest"))


def _service_call(rest: str) -> ServiceCall:
    sdk = _SDK.fullmatch(rest)
    if sdk is not None:
        call = ServiceCall(
            sdk.group("service"), sdk.group("action"), Pattern(sdk.group("pattern") or ""), True
        )
        if call.pattern not in SDK.patterns:
            raise ResourceError(
                f"AWS SDK integrations support request-response and .waitForTaskToken, "
                f"not {call.pattern.value} (Step Functions' table: .sync Not supported)"
            )
        return call
    found = _SERVICE_ACTION.fullmatch(rest)
    if found is None:
        raise ResourceError(
            "is not a service integration: expected arn:aws:states:::SERVICE:ACTION"
            "[.sync|.sync:2|.waitForTaskToken] or arn:aws:states:::aws-sdk:SERVICE:ACTION"
        )
    service, action = found.group("service"), found.group("action")
    pattern = Pattern(found.group("pattern") or "")
    offer = OPTIMISED.get((service, action))
    if offer is None:
        raise ResourceError(_not_offered(service, action))
    if pattern not in offer.patterns:
        supported = ", ".join(sorted(p.value or "request-response" for p in offer.patterns))
        raise ResourceError(
            f"{service}:{action} does not support {pattern.value} (supported: {supported})"
        )
    return ServiceCall(service, action, pattern)


def _not_offered(service: str, action: str) -> str:
    offered = sorted({s for s, _ in OPTIMISED})
    if service in offered:
        actions = ", ".join(sorted(a for s, a in OPTIMISED if s == service))
        return (
            f"{service}:{action} is not an optimised integration ({service} offers {actions}); "
            f"call other actions with arn:aws:states:::aws-sdk:{service}:{action}"
        )
    if service in NOT_YET:
        return (
            f"the optimised {service} integration is not supported yet; call the API with "
            f"arn:aws:states:::aws-sdk:{service}:{action}"
        )
    return (
        f"{service!r} is not a service steplane integrates (optimised: "
        f"{', '.join(offered)}; any AWS API: arn:aws:states:::aws-sdk:SERVICE:ACTION)"
    )


def check_resource(where: str, resource: str | None) -> Iterator[Problem]:
    """A Resource in the integrations' namespace must be one steplane offers."""
    try:
        target = classify(resource)
    except ResourceError as error:
        yield Problem(f"{where}/Resource", str(error))
        return
    if isinstance(target, ServiceCall) and target.sdk:
        from steplane.integrations.sdk_names import sdk_problem  # noqa: PLC0415 - botocore

        problem = sdk_problem(target.service, target.action)
        if problem is not None:
            yield Problem(f"{where}/Resource", problem)


def is_integration(resource: str | None) -> bool:
    """Whether the IntegrationFunction performs this resource (not a worker)."""
    try:
        return isinstance(classify(resource), ServiceCall | LambdaFunction)
    except ResourceError:
        return False
