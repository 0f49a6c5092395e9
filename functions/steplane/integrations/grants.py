"""What a definition's integrations need the stack to grant, against what it grants.

The IntegrationFunction's role grants each service's calls on the resources the stack's
``Integration*`` parameters name (template.yaml). ``steplane publish`` reads those
parameters and warns, resource by resource, when a definition calls one the stack does
not grant: the call would fail at run time with the service's access-denied error.
Values a definition computes at run time (``"QueueUrl.$"``) cannot be checked; they are
named when the parameter that would grant them is empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from steplane.integrations.resources import LambdaFunction, ServiceCall, classify

# The IAM prefix of an aws-sdk service where it is not the service's name.
IAM_PREFIXES = {"sfn": "states", "eventbridge": "events", "cloudwatchlogs": "logs"}


@dataclass(frozen=True)
class Need:
    """One grant a task needs: a parameter of the stack, and what it must cover
    (None: a value known only at run time)."""

    location: str
    parameter: str
    what: str
    value: str | None


@dataclass(frozen=True)
class Place:
    """Where the stack runs: what a short name (a function, a table) expands to."""

    region: str
    account: str
    partition: str = "aws"


def needs(document: Mapping[str, Any], place: Place) -> list[Need]:
    """Every grant the definition's integration tasks need."""
    return [need for where, task in _tasks(document, "") for need in _needs_of(where, task, place)]


def ungranted(found: Sequence[Need], parameters: Mapping[str, Sequence[str]]) -> list[str]:
    """A warning per need the stack's parameters do not cover."""
    warnings = []
    for need in found:
        patterns = [p for p in parameters.get(need.parameter, ()) if p]
        if need.value is None:
            if not patterns:
                warnings.append(
                    f"{need.location}: {need.what} is chosen at run time, and the stack's "
                    f"{need.parameter} parameter grants none"
                )
            continue
        fold = need.parameter == "IntegrationSdkActions"  # IAM actions ignore case
        if not any(_matches(need.value, pattern, fold) for pattern in patterns):
            warnings.append(
                f"{need.location}: {need.what} {need.value} is not granted: add it to the "
                f"stack's {need.parameter} parameter"
            )
    return warnings


def _matches(value: str, pattern: str, fold: bool) -> bool:
    if fold:
        return fnmatchcase(value.lower(), pattern.lower())
    return fnmatchcase(value, pattern)


def _tasks(document: Mapping[str, Any], where: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    states = document.get("States")
    if not isinstance(states, Mapping):
        return
    for name, state in states.items():
        if not isinstance(state, Mapping):
            continue
        location = f"{where}/States/{name}"
        if state.get("Type") == "Task":
            yield location, state
        for index, branch in enumerate(state.get("Branches") or ()):
            if isinstance(branch, Mapping):
                yield from _tasks(branch, f"{location}/Branches/{index}")
        for key in ("ItemProcessor", "Iterator"):
            inner = state.get(key)
            if isinstance(inner, Mapping):
                yield from _tasks(inner, f"{location}/{key}")


def _needs_of(where: str, task: Mapping[str, Any], place: Place) -> Iterator[Need]:
    resource = task.get("Resource")
    try:
        target = classify(resource if isinstance(resource, str) else None)
    except ValueError:
        return  # refused at load: the loader says so
    credentials = task.get("Credentials")
    if isinstance(target, ServiceCall | LambdaFunction) and isinstance(credentials, Mapping):
        role = _static(credentials, "RoleArn")
        yield Need(where, "IntegrationAssumableRoles", "the role (Credentials)", role)
    if isinstance(target, LambdaFunction):
        yield Need(where, "IntegrationLambdaFunctions", "the Lambda function", target.arn)
        return
    if not isinstance(target, ServiceCall):
        return
    arguments = _arguments(task)
    if target.sdk:
        prefix = IAM_PREFIXES.get(target.service, target.service)
        action = f"{prefix}:{target.action[:1].upper()}{target.action[1:]}"
        yield Need(where, "IntegrationSdkActions", "the AWS SDK call", action)
        return
    yield from _optimised(where, target, arguments, place)


def _optimised(
    where: str, target: ServiceCall, arguments: Mapping[str, Any], place: Place
) -> Iterator[Need]:
    service = target.service
    if service == "lambda":
        name = _static(arguments, "FunctionName")
        arn = None if name is None else _function_arn(name, place)
        yield Need(where, "IntegrationLambdaFunctions", "the Lambda function", arn)
    elif service == "sqs":
        url = _static(arguments, "QueueUrl")
        yield Need(where, "IntegrationQueues", "the SQS queue", _queue_arn(url, place))
    elif service == "sns":
        topic = _static(arguments, "TopicArn") or _static(arguments, "TargetArn")
        yield Need(where, "IntegrationTopics", "the SNS topic", topic)
    elif service == "events":
        for bus in _event_buses(arguments):
            arn = (
                bus
                if bus is None or bus.startswith("arn:")
                else _arn(place, "events", f"event-bus/{bus}")
            )
            yield Need(where, "IntegrationEventBuses", "the event bus", arn)
    elif service == "dynamodb":
        table = _static(arguments, "TableName")
        arn = (
            table
            if table is None or table.startswith("arn:")
            else _arn(place, "dynamodb", f"table/{table}")
        )
        yield Need(where, "IntegrationTables", "the DynamoDB table", arn)


def _arguments(task: Mapping[str, Any]) -> Mapping[str, Any]:
    given = task.get("Arguments", task.get("Parameters"))
    return given if isinstance(given, Mapping) else {}


def _static(arguments: Mapping[str, Any], field: str) -> str | None:
    """A field's value when the definition gives it as a constant (not a path, not a
    JSONata expression)."""
    value = arguments.get(field)
    if isinstance(value, str) and not value.startswith("{%"):
        return value
    return None


def _event_buses(arguments: Mapping[str, Any]) -> list[str | None]:
    entries = arguments.get("Entries")
    if not isinstance(entries, list):
        return [None]
    buses: list[str | None] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            buses.append(None)
        elif "EventBusName" in entry:
            buses.append(_static(entry, "EventBusName"))
        else:
            buses.append(None if "EventBusName.$" in entry else "default")
    return buses


_QUEUE_URL = re.compile(
    r"https?://sqs\.(?P<region>[a-z0-9-]+)\.[^/]+/(?P<account>\d{12})/(?P<name>[^/]+)"
)
_FUNCTION_NAME = re.compile(
    r"(?:arn:[\w-]+:lambda:[\w-]+:\d{12}:function:|(?P<account>\d{12}):function:)?"
    r"(?P<name>[A-Za-z0-9_-]+)(?::[\w$-]+)?"
)


def _queue_arn(url: str | None, place: Place) -> str | None:
    found = _QUEUE_URL.fullmatch(url) if url else None
    if found is None:
        return None
    return f"arn:{place.partition}:sqs:{found['region']}:{found['account']}:{found['name']}"


def _function_arn(reference: str, place: Place) -> str:
    if reference.startswith("arn:"):
        return reference
    found = _FUNCTION_NAME.fullmatch(reference)
    if found is None:
        return reference
    account = found["account"] or place.account
    return f"arn:{place.partition}:lambda:{place.region}:{account}:function:{found['name']}"


def _arn(place: Place, service: str, resource: str) -> str:
    return f"arn:{place.partition}:{service}:{place.region}:{place.account}:{resource}"
