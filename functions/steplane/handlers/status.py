"""status: ``GET /executions`` (the list), ``/executions/{id}``, its ``/history`` and its
``/children`` (of a Parallel or Map visit), and the published ``/workflows``, for operators."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from steplane.handlers.api import json_response, resolver
from steplane.handlers.observability import logger, metrics, tracer
from steplane.handlers.wiring import Dependencies, entrypoint
from steplane.queries import (
    children_page,
    describe_execution,
    execution_definition,
    history_page,
    list_executions,
    parse_moment,
)
from steplane.workflow_queries import (
    describe_workflow,
    workflow_definition,
    workflow_stats,
    workflows_page,
)


def handle(event: dict[str, Any], context: Any, deps: Dependencies) -> dict[str, Any]:
    """Answer one status request."""
    return deps.resolver(_api).resolve(event, context)


def _api(deps: Dependencies) -> APIGatewayRestResolver:
    app = resolver()

    @app.get("/executions")
    def executions(  # noqa: PLR0917 - one argument per query parameter
        workflow: str | None = None,
        status: str | None = None,
        business_key: Annotated[str | None, Query(alias="businessKey", max_length=256)] = None,
        started_after: Annotated[str | None, Query(alias="startedAfter")] = None,
        started_before: Annotated[str | None, Query(alias="startedBefore")] = None,
        next_token: Annotated[str | None, Query(alias="nextToken")] = None,
        max_results: Annotated[int, Query(alias="maxResults", ge=1, le=1000)] = 100,
    ) -> Response[Any]:
        page = list_executions(
            deps.store,
            workflow=workflow,
            status=status,
            business_key=business_key,
            started_after=started_after,
            started_before=started_before,
            next_token=next_token,
            max_results=max_results,
        )
        return json_response(200, page)

    @app.get("/executions/<execution_id>")
    def describe(execution_id: str) -> Response[Any]:
        return json_response(200, describe_execution(deps.store, unquote(execution_id)))

    @app.get("/executions/<execution_id>/definition")
    def definition_of(execution_id: str) -> Response[Any]:
        return json_response(200, execution_definition(deps.store, unquote(execution_id)))

    @app.get("/executions/<execution_id>/history")
    def history(
        execution_id: str,
        next_token: Annotated[str | None, Query(alias="nextToken")] = None,
        max_results: Annotated[int, Query(alias="maxResults", ge=1, le=1000)] = 100,
    ) -> Response[Any]:
        page = history_page(deps.store, unquote(execution_id), next_token, max_results)
        return json_response(200, page)

    @app.get("/executions/<execution_id>/children")
    def children(
        execution_id: str,
        visit: Annotated[int | None, Query(ge=1)] = None,
        next_token: Annotated[str | None, Query(alias="nextToken")] = None,
        max_results: Annotated[int, Query(alias="maxResults", ge=1, le=1000)] = 100,
    ) -> Response[Any]:
        page = children_page(deps.store, unquote(execution_id), visit, next_token, max_results)
        return json_response(200, page)

    @app.get("/workflows")
    def workflows(
        next_token: Annotated[str | None, Query(alias="nextToken")] = None,
        max_results: Annotated[int, Query(alias="maxResults", ge=1, le=1000)] = 100,
    ) -> Response[Any]:
        return json_response(200, workflows_page(deps.store, next_token, max_results))

    @app.get("/workflows/<name>")
    def workflow(name: str) -> Response[Any]:
        return json_response(200, describe_workflow(deps.store, unquote(name)))

    @app.get("/workflows/<name>/definition")
    def definition(name: str, hash: str | None = None) -> Response[Any]:
        return json_response(200, workflow_definition(deps.store, unquote(name), hash))

    @app.get("/workflows/<name>/stats")
    def stats(name: str, since: str | None = None, until: str | None = None) -> Response[Any]:
        window = (
            parse_moment(since, "since") if since else None,
            parse_moment(until, "until") if until else None,
        )
        body = workflow_stats(deps.store, unquote(name), *window, deps.clock.now())
        return json_response(200, body)

    return app


lambda_handler = tracer.capture_lambda_handler(
    metrics.log_metrics(logger.inject_lambda_context(entrypoint(handle)))
)
