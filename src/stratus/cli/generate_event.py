"""`stratus generate-event SERVICE EVENT`: a sample event, as `sam local generate-event` prints.

    apigateway aws-proxy            REST API, Lambda proxy integration
    apigateway http-api-proxy       HTTP API, payload format 2.0
    apigateway authorizer           REST API TOKEN authorizer
    apigateway request-authorizer   REST API REQUEST authorizer
    lambda     function-url         function URL request (payload 2.0)
    sqs, sns, s3, dynamodb, cloudwatch, eventbridge, cloudformation: see service_events.py

The events are made by the gateway's own builders (gateway/events.py), from a request as the
gateway would see it, so they are what a function behind Stratus really receives: ids, domain
names and the account are Stratus's (`STRATUS_REGION`, `STRATUS_ACCOUNT_ID`). The other
services' events come from their own builders too (service_events.py).
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from stratus.apis.http.routes import Match, RouteKey, match_route
from stratus.config import DEFAULT_ACCOUNT_ID, DEFAULT_REGION
from stratus.errors import Validation
from stratus.gateway.events import (
    HttpRequest,
    Target,
    function_url_event,
    http_api_v2_event,
    request_authorizer_event,
    rest_event,
    token_authorizer_event,
)
from stratus.gateway.lambda_authorizer import route_arn

from . import service_events
from .errors import CliError

API_ID = "a1b2c3d4e5"  # API Gateway ids are 10 lower-case letters and digits
URL_ID = "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"  # function URL ids, 32
SOURCE_IP = "127.0.0.1"
SAMPLE_BODY = '{"message": "hello"}'


@dataclass(frozen=True, slots=True)
class Options:
    """What the person may change; None means the event's own default."""

    method: str | None = None
    path: str | None = None
    resource: str | None = None
    body: str | None = None
    stage: str | None = None
    query: str = ""
    headers: Sequence[tuple[str, str]] = ()
    token: str = "allow"
    bucket: str = "example-bucket"
    key: str = "test/key"
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID
    time: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class Event:
    description: str
    make: Callable[[Options], dict[str, Any]]


def _rest_proxy(options: Options) -> dict[str, Any]:
    request, target = _rest_request(options, "POST", "/path/to/resource", "/{proxy+}", SAMPLE_BODY)
    return rest_event(request, target)


def _http_api(options: Options) -> dict[str, Any]:
    method = (options.method or "POST").upper()
    path = _path(options.path or "/path/to/resource")
    resource = options.resource or "$default"
    route = "$default" if resource == "$default" else f"{method} {_path(resource)}"
    request = _request(options, method, path, options.stage or "$default", SAMPLE_BODY, API_ID)
    target = Target(_match(route, method, path), options.account_id)
    return http_api_v2_event(request, target)


def _token_authorizer(options: Options) -> dict[str, Any]:
    method = (options.method or "GET").upper()
    path = _path(options.path or "/request")
    arn = route_arn(
        options.region, options.account_id, API_ID, options.stage or "prod", method, path
    )
    return token_authorizer_event(options.token, arn)


def _request_authorizer(options: Options) -> dict[str, Any]:
    request, target = _rest_request(options, "GET", "/request", None, None)
    arn = route_arn(
        options.region, options.account_id, API_ID, request.stage, request.method, request.path
    )
    return request_authorizer_event(request, target, arn)


def _function_url(options: Options) -> dict[str, Any]:
    method = (options.method or "POST").upper()
    request = _request(
        options, method, _path(options.path or "/path/to/resource"), "$default", SAMPLE_BODY, URL_ID
    )
    return function_url_event(request)


def _service(
    make: Callable[[service_events.Sample], dict[str, Any]],
) -> Callable[[Options], dict[str, Any]]:
    def made(options: Options) -> dict[str, Any]:
        sample = service_events.Sample(
            region=options.region,
            account_id=options.account_id,
            time=options.time,
            body=options.body,
            bucket=options.bucket,
            key=options.key,
        )
        return make(sample)

    return made


_SCHEDULED = Event("a schedule rule's event", _service(service_events.scheduled))
EVENTS: dict[str, dict[str, Event]] = {
    "apigateway": {
        "aws-proxy": Event("REST API request, Lambda proxy integration", _rest_proxy),
        "http-api-proxy": Event("HTTP API request, payload format 2.0", _http_api),
        "authorizer": Event("REST API TOKEN authorizer input", _token_authorizer),
        "request-authorizer": Event("REST API REQUEST authorizer input", _request_authorizer),
    },
    "lambda": {
        "function-url": Event("function URL request (payload 2.0)", _function_url),
    },
    "sqs": {
        "receive-message": Event(
            "a queue's batch (--body)", _service(service_events.sqs_receive_message)
        ),
    },
    "sns": {
        "notification": Event(
            "a topic's notification (--body)", _service(service_events.sns_notification)
        ),
    },
    "s3": {
        "put": Event("object created (--bucket, --key)", _service(service_events.s3_put)),
        "delete": Event("object removed (--bucket, --key)", _service(service_events.s3_delete)),
    },
    "dynamodb": {
        "update": Event(
            "a stream's INSERT, MODIFY, REMOVE", _service(service_events.dynamodb_update)
        ),
    },
    "cloudwatch": {
        "scheduled-event": _SCHEDULED,
        "logs": Event(
            "a log subscription's batch (--body)", _service(service_events.cloudwatch_logs)
        ),
    },
    "eventbridge": {
        "scheduled-event": _SCHEDULED,
        "event": Event(
            "a rule's event (--body: detail)", _service(service_events.eventbridge_event)
        ),
    },
    "cloudformation": {
        "create-request": Event(
            "custom resource Create", _service(service_events.cloudformation_create)
        ),
        "update-request": Event(
            "custom resource Update", _service(service_events.cloudformation_update)
        ),
        "delete-request": Event(
            "custom resource Delete", _service(service_events.cloudformation_delete)
        ),
    },
}


def make_event(service: str, event: str, options: Options) -> dict[str, Any]:
    """The event `service event` with `options`; CliError (listing what exists) otherwise."""
    events = EVENTS.get(service)
    if events is None:
        raise CliError(f"unknown service {service!r}; Stratus generates events for:\n{listing()}")
    found = events.get(event)
    if found is None:
        raise CliError(
            f"unknown event {event!r} for {service}; its events are: {', '.join(events)}"
        )
    return found.make(options)


def listing(only: str | None = None) -> str:
    return "\n".join(
        f"  {service:<15}{name:<20} {event.description}"
        for service, events in EVENTS.items()
        for name, event in events.items()
        if only in (None, service)
    )


def _rest_request(
    options: Options, method: str, path: str, resource: str | None, body: str | None
) -> tuple[HttpRequest, Target]:
    method = (options.method or method).upper()
    path = _path(options.path or path)
    resource = _path(options.resource or resource or path)
    stage = options.stage or "prod"
    request = _request(options, method, path, stage, body, API_ID, request_id=str(uuid.uuid4()))
    match = _match(f"{method} {resource}", method, path)
    # REST resource ids are 6 characters; any stable one will do for a sample.
    return request, Target(match, options.account_id, resource_id="abc123")


def _request(
    options: Options,
    method: str,
    path: str,
    stage: str,
    body: str | None,
    api_id: str,
    *,
    request_id: str | None = None,
) -> HttpRequest:
    text = body if options.body is None else options.body
    payload = (text or "").encode()
    domain = (
        f"{api_id}.lambda-url.localhost" if api_id == URL_ID else f"{api_id}.execute-api.localhost"
    )
    headers = [("Accept", "*/*"), ("Host", domain), ("User-Agent", "stratus-generate-event")]
    if payload:
        headers += [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    named = {name.lower() for name, _ in options.headers}
    headers = [h for h in headers if h[0].lower() not in named] + list(options.headers)
    return HttpRequest(
        method=method,
        path=path,
        query=options.query.removeprefix("?"),
        headers=tuple(headers),
        body=payload,
        source_ip=SOURCE_IP,
        stage=stage,
        api_id=api_id,
        domain_name=domain,
        # HTTP APIs' request ids look like this; REST APIs use UUIDs (passed in).
        request_id=request_id or base64.b64encode(os.urandom(11)).decode(),
        time=options.time,
    )


def _match(route: str, method: str, path: str) -> Match:
    try:
        key = RouteKey.parse(route)
    except Validation as exc:
        raise CliError(f"{exc.message} (from --method and --resource)") from None
    found = match_route([key], method, path)
    if found is None:
        raise CliError(
            f"--path {path} does not match --resource {key.path}; pass a path the resource "
            "matches (e.g. /pets/1 for /pets/{id})"
        )
    return found


def _path(path: str) -> str:
    return path if path.startswith("/") else f"/{path}"


def _header(raw: str) -> tuple[str, str]:
    name, sep, value = raw.partition(":")
    if not sep or not name.strip():
        raise CliError(f"--header {raw!r} must look like 'Name: value'")
    return name.strip(), value.strip()


def generate_event(
    service: Annotated[
        str | None, typer.Argument(help="apigateway, sqs, s3, … (none: list every event).")
    ] = None,
    event: Annotated[str | None, typer.Argument(help="The event, e.g. aws-proxy.")] = None,
    method: Annotated[str | None, typer.Option(help="HTTP method [event's default].")] = None,
    path: Annotated[str | None, typer.Option(help="Request path.")] = None,
    resource: Annotated[
        str | None,
        typer.Option(
            help="Resource or route path, e.g. /pets/{id} (REST: /{proxy+}).", show_default=False
        ),
    ] = None,
    body: Annotated[str | None, typer.Option(help="Request body.")] = None,
    stage: Annotated[
        str | None, typer.Option(help="Stage [REST: prod; HTTP API: $default].")
    ] = None,
    query: Annotated[str, typer.Option(help="Query string, e.g. 'a=1&b=2'.")] = "",
    header: Annotated[
        list[str] | None, typer.Option("--header", "-H", help="'Name: value' (repeatable).")
    ] = None,
    token: Annotated[str, typer.Option(help="The authorizer's token (authorizer).")] = "allow",
    bucket: Annotated[str, typer.Option(help="The bucket (s3).")] = "example-bucket",
    key: Annotated[str, typer.Option(help="The object key (s3).")] = "test/key",
) -> None:
    """Print a sample event for a function, as the gateway would send it."""
    if service is None or event is None:
        if service is not None and service not in EVENTS:
            raise CliError(
                f"unknown service {service!r}; Stratus generates events for:\n{listing()}"
            )
        typer.echo(f"stratus generate-event SERVICE EVENT [options]\n\n{listing(service)}")
        return
    options = Options(
        method=method,
        path=path,
        resource=resource,
        body=body,
        stage=stage,
        query=query,
        headers=tuple(_header(raw) for raw in header or ()),
        token=token,
        bucket=bucket,
        key=key,
        region=_environ("STRATUS_REGION", DEFAULT_REGION),
        account_id=_environ("STRATUS_ACCOUNT_ID", DEFAULT_ACCOUNT_ID),
    )
    typer.echo(json.dumps(make_event(service, event, options), indent=2))


def _environ(name: str, default: str, environ: Mapping[str, str] = os.environ) -> str:
    return environ.get(name) or default
