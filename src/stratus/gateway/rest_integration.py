"""REST APIs' non-proxy integrations: AWS (Lambda, and the AWS services Stratus serves),
HTTP, HTTP_PROXY and MOCK, with their mapping templates ("Set up data transformations for
REST APIs in API Gateway").

    request template    chosen by the request's Content-Type (application/json when there
                        is none); without one, passthroughBehavior decides:
                          WHEN_NO_MATCH (default)   the body as it came
                          WHEN_NO_TEMPLATES         as it came if the integration has no
                                                    templates at all, else 415
                          NEVER                     415 Unsupported Media Type
                        a request without a body reads as `{}` in a template
    request parameters  integration.request.{path,querystring,header}.X from
                        method.request.{path,querystring,header,multivalue*}.Y, 'literals',
                        stageVariables.Y and context.Y
    back end            AWS + lambda:path/.../invocations   the function, with the body as
                          its event (`{}` when empty; X-Amz-Invocation-Type 'Event'
                          mapped: asynchronously)
                        AWS + <service>:action/X or :path/P  that API on Stratus's own
                          endpoint, as API Gateway calls a service endpoint
                        HTTP                                 the URI, with mapped parameters
                        HTTP_PROXY                           the request as it came
                        MOCK                                 the request template's statusCode
    integration response   the one whose selectionPattern matches (a full regular
                        expression match) the function's errorMessage (Lambda errors), else
                        the status code; else the default (no pattern). None: 500
    response            its statusCode; headers from responseParameters ('literal',
                        integration.response.header.X, integration.response.body[.path]);
                        the body from the response template chosen by Accept (then
                        application/json), else the back end's body as it came;
                        `$context.responseOverride.status/.header.X` applied last

Payloads are converted by contentHandling (rest_content.py). An HTTP or HTTP_PROXY
integration with connectionType VPC_LINK goes to its link's local target
(stratus.apis.rest.account). A template that cannot be rendered is a 500 with a log line,
as on AWS ("Execution failed due to configuration error"). HTTP_PROXY answers pass through
untouched.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import orjson
from botocore.session import get_session

from stratus.apis.rest.account import TARGET_TAG
from stratus.apis.rest.model import Integration, IntegrationResponse, Method
from stratus.apis.rest.service import RestDeployment
from stratus.errors import StratusError
from stratus.gateway.http_proxy import HttpProxy, TargetFailed, TargetTimedOut, Tls, target_url
from stratus.gateway.pipeline import Reply, function_ref, wait_invoke
from stratus.gateway.responses import HttpResponse
from stratus.gateway.rest_content import (
    NotBase64,
    is_binary,
    request_payload,
    response_payload,
    to_binary,
)
from stratus.gateway.rest_responses import (
    INTERNAL,
    TIMED_OUT,
    UNSUPPORTED_MEDIA_TYPE,
    mapping_value,
)
from stratus.gateway.vtl import TemplateFailed, java, overrides, render
from stratus.services import Services
from stratus.workflows.jsonpath import PathError, PathNotFound, select

log = logging.getLogger(__name__)

_LAMBDA_URI = re.compile(r"^arn:aws:apigateway:[^:]+:lambda:path/[^/]+/functions/(.+)/invocations$")
_SERVICE_URI = re.compile(r"^arn:aws:apigateway:([^:]+):([^:]+):(action|path)/(.*)$")
_TARGET = re.compile(r"^integration\.request\.(path|querystring|header)\.(.+)$")
_RESPONSE_HEADER = "method.response.header."
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")


@dataclass(slots=True)
class Outcome:
    """What the back end answered, before the integration response maps it."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    selector: str | None = None  # what selectionPattern is matched against
    content_type: str = "application/json"


@dataclass(slots=True)
class Call:
    """One request through a custom integration: the proxy event's view of it."""

    event: dict[str, Any]
    integration: Integration
    stage_variables: dict[str, str] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    binary_media_types: tuple[str, ...] = ()
    tls: Tls | None = None  # the stage's client certificate, the integration's tlsConfig

    @classmethod
    def of(
        cls, event: dict[str, Any], deployment: RestDeployment, integration: Integration
    ) -> Call:
        stage_variables = dict(deployment.stage.variables or {})
        types = tuple(deployment.api.binaryMediaTypes or ())
        return cls(event, integration, stage_variables, vtl_context(event), types)

    @property
    def params(self) -> dict[str, dict[str, str]]:
        event = self.event
        return {
            "path": dict(event.get("pathParameters") or {}),
            "querystring": dict(event.get("queryStringParameters") or {}),
            "header": dict(event.get("headers") or {}),
        }

    def body_text(self) -> str:
        body = self.event.get("body") or ""
        if self.event.get("isBase64Encoded"):
            return base64.b64decode(body).decode("utf-8", errors="replace")
        return str(body)

    def header(self, name: str) -> str | None:
        return next(
            (v for k, v in (self.event.get("headers") or {}).items() if k.lower() == name), None
        )

    def render(self, template: str, body: str) -> str:
        return render(
            template, body=body, params=self.params, context=self.context,
            stage_variables=self.stage_variables,
        )  # fmt: skip


def vtl_context(event: Mapping[str, Any]) -> dict[str, Any]:
    """`$context` as API Gateway names its fields (the proxy event's requestContext, plus
    the overrides a template may set)."""
    request = dict(event.get("requestContext") or {})
    request |= {
        "resourcePath": request.get("resourcePath", event.get("resource")),
        "httpMethod": event.get("httpMethod"),
        "requestOverride": {"header": {}, "path": {}, "querystring": {}},
        "responseOverride": {"header": {}},
    }
    context: dict[str, Any] = java(request)
    return context


async def wait_custom(
    services: Services,
    http: HttpProxy,
    deployment: RestDeployment,
    method: Method,
    event: dict[str, Any],
    reply: Reply,
) -> HttpResponse:
    """The answer of a non-AWS_PROXY integration (the module docstring says how)."""
    integration = method.methodIntegration
    assert integration is not None
    call = Call.of(event, deployment, integration)
    if integration.type == "MOCK":
        return answer_mock(call)
    call.tls = await _wait_tls(services, deployment, integration)
    try:
        if integration.connectionType == "VPC_LINK":
            linked = await _wait_vpc_link(services, call)
            if linked is None:
                return INTERNAL
            call.integration = linked
        if integration.type == "HTTP_PROXY":
            return await _wait_http_proxy(http, call)
        payload = _request_body(call)
        if isinstance(payload, HttpResponse):
            return payload
        outcome = await _wait_back_end(services, http, call, payload, reply)
        if isinstance(outcome, HttpResponse):
            return outcome
        return _response(call, outcome)
    except TemplateFailed as exc:
        _log_failure(call, str(exc))
        return INTERNAL
    except TargetTimedOut:
        return TIMED_OUT
    except TargetFailed as exc:
        _log_failure(call, f"its back end cannot be reached: {exc}")
        return INTERNAL
    except NotBase64 as exc:
        _log_failure(call, str(exc))
        return INTERNAL


async def _wait_tls(
    services: Services, deployment: RestDeployment, integration: Integration
) -> Tls | None:
    """How HTTPS back ends are called: with the stage's client certificate, checking their
    certificate unless tlsConfig.insecureSkipVerification."""
    certificate_id = deployment.stage.clientCertificateId
    pair = (
        await services.rest_apis.certificates.key_pair(certificate_id) if certificate_id else None
    )
    verify = not (integration.tlsConfig and integration.tlsConfig.insecureSkipVerification)
    return None if pair is None and verify else Tls(pair, verify)


async def _wait_vpc_link(services: Services, call: Call) -> Integration | None:
    """The integration sent to its VPC link's local target (the link's `stratus:target`
    tag: the URI's scheme and host are replaced, its path and query kept), or None, logged,
    when the link does not exist or has no target (stratus.apis.rest.account says why)."""
    integration = call.integration
    link_id = _STAGE_VARIABLE.sub(
        lambda m: call.stage_variables.get(m.group(1), ""), integration.connectionId or ""
    )
    # A link of either kind: REST APIs take VPC links V2 (to an ALB, integrationTarget) too.
    link = (await services.rest_apis.vpc_links.find(link_id) if link_id else None) or (
        await services.apis.vpc_links.find(link_id) if link_id else None
    )
    if link is None:
        _log_failure(call, f"its VPC link {link_id!r} does not exist")
        return None
    if link.target is None:
        _log_failure(
            call, f"VPC link {link_id} has nothing behind it here: tag it {TARGET_TAG}=<local URL>"
        )
        return None
    parsed = urlsplit(integration.uri or "")
    target = urlsplit(link.target)
    path = target.path.rstrip("/") + parsed.path
    uri = urlunsplit((target.scheme, target.netloc, path, parsed.query, ""))
    return integration.model_copy(update={"uri": uri})


def answer_mock(call: Call) -> HttpResponse:
    """A MOCK integration's answer: the request template's statusCode picks the
    integration response. Pure: no back end."""
    try:
        payload = _request_body(call)
        if isinstance(payload, HttpResponse):
            return payload
        return _response(call, _mock(payload))
    except (TemplateFailed, NotBase64) as exc:
        _log_failure(call, str(exc))
        return INTERNAL


def _request_body(call: Call) -> bytes | HttpResponse:
    templates = call.integration.requestTemplates or {}
    content_type = (call.header("content-type") or "application/json").split(";")[0].strip()
    wanted = content_type.lower()
    template = next((t for k, t in templates.items() if k.lower() == wanted), None)
    binary = bool(call.event.get("isBase64Encoded"))  # Content-Type in binaryMediaTypes
    body = call.event.get("body") or ""
    received = base64.b64decode(body) if binary else str(body).encode()
    handling = call.integration.contentHandling
    payload = request_payload(received, binary, handling)
    if template is not None:
        # A request without a body reads as `{}` in a request template, as on AWS: both
        # `$input.body` and `$input.json('$')` render `{}`.
        text = payload.decode("utf-8", errors="replace") if payload else "{}"
        rendered = call.render(template, text).encode()
        return to_binary(rendered, False, handling)
    behaviour = call.integration.passthroughBehavior or "WHEN_NO_MATCH"
    if behaviour == "NEVER" or (behaviour == "WHEN_NO_TEMPLATES" and templates):
        return UNSUPPORTED_MEDIA_TYPE
    return to_binary(payload, binary and handling != "CONVERT_TO_TEXT", handling)


def _mapped_parameters(call: Call) -> dict[str, dict[str, str]]:
    """integration.request.* parameters from requestParameters, with what request
    templates set in `$context.requestOverride` applied over them."""
    found: dict[str, dict[str, str]] = {"path": {}, "querystring": {}, "header": {}}
    for target, source in (call.integration.requestParameters or {}).items():
        where = _TARGET.match(target)
        value = _source_value(call, source)
        if where is not None and value is not None:
            found[where.group(1)][where.group(2)] = value
    for name, value in overrides(call.context, "requestOverride"):
        kind, _, key = name.partition(".")
        if kind in found and key and value is not None:
            found[kind][key] = str(value)
    return found


def _source_value(call: Call, source: str) -> str | None:
    event = call.event

    def method_request(kind: str, name: str) -> str | None:
        match kind:
            case "path":
                return (event.get("pathParameters") or {}).get(name)
            case "querystring":
                return (event.get("queryStringParameters") or {}).get(name)
            case "multivaluequerystring":
                values = (event.get("multiValueQueryStringParameters") or {}).get(name)
                return ",".join(values) if values else None
            case "header":
                return call.header(name.lower())
            case "multivalueheader":
                multi = event.get("multiValueHeaders") or {}
                found = next((v for k, v in multi.items() if k.lower() == name.lower()), None)
                return ",".join(found) if found else None
            case "body":
                return call.body_text()
        return None

    context = event.get("requestContext") or {}
    return mapping_value(source, call.stage_variables, context, method_request)


async def _wait_back_end(
    services: Services, http: HttpProxy, call: Call, payload: bytes, reply: Reply
) -> Outcome | HttpResponse:
    integration = call.integration
    uri = integration.uri or ""
    if integration.type == "HTTP":
        parameters = _mapped_parameters(call)
        url = target_url(uri, parameters["path"], _query(parameters["querystring"]))
        verb = _verb(integration, call)
        headers = tuple(parameters["header"].items())
        if payload and not any(k.lower() == "content-type" for k, _ in headers):
            headers += (("Content-Type", "application/json"),)
        answer = await http.wait_send(
            verb, url, headers, payload, integration.timeoutInMillis, call.tls
        )
        return _outcome(answer)
    if (found := _LAMBDA_URI.match(uri)) is not None:
        return await _wait_lambda(services, call, found.group(1), payload, reply)
    if (found := _SERVICE_URI.match(uri)) is not None:
        return await _wait_service(services, http, call, found, payload)
    _log_failure(call, f"its integration URI {uri!r} names nothing Stratus serves")
    return INTERNAL


def _mock(payload: bytes) -> Outcome:
    try:
        found = orjson.loads(payload) if payload.strip() else {}
    except orjson.JSONDecodeError:
        found = {}
    status = found.get("statusCode") if isinstance(found, dict) else None
    status = status if isinstance(status, int) and 100 <= status <= 599 else 200
    return Outcome(status, b"", selector=str(status))


async def _wait_lambda(
    services: Services, call: Call, function: str, payload: bytes, reply: Reply
) -> Outcome | HttpResponse:
    invocation = _mapped_parameters(call)["header"]
    kind = next((v for k, v in invocation.items() if k.lower() == "x-amz-invocation-type"), None)
    # No body and no template (a GET passed through): the function gets `{}`, as Lambda
    # gives a function invoked with an empty payload.
    payload = payload or b"{}"
    try:
        orjson.loads(payload)
    except orjson.JSONDecodeError:
        _log_failure(call, "the function's event is not JSON (check the request template)")
        return INTERNAL
    try:
        if kind == "Event":
            request_id = call.event["requestContext"]["requestId"]
            await services.async_invocations.accept(function_ref(function), payload, request_id)
            return Outcome(202, b"", selector="202")
        result = await wait_invoke(
            services.functions, function_ref(function), payload, reply,
            timeout_ms=call.integration.timeoutInMillis, late=TIMED_OUT,
        )  # fmt: skip
    except StratusError as exc:
        _log_failure(call, f"Lambda refused the call: {exc.message}")
        return INTERNAL
    if not result.function_error:
        return Outcome(200, result.payload)
    try:
        error = orjson.loads(result.payload)
    except orjson.JSONDecodeError:
        error = {}
    message = error.get("errorMessage") if isinstance(error, dict) else None
    return Outcome(200, result.payload, selector=str(message or ""))


# API Gateway calls a service's endpoint as that service's own clients do: JSON APIs name
# the action in X-Amz-Target, query APIs in the Action parameter.
_SERVICE_NAMES = {"states": "stepfunctions", "execute-api": "apigateway"}


def _service_call(service: str, action: str) -> tuple[str, dict[str, str]]:
    """(query string, headers) that name `action` of `service`."""
    model = get_session().get_service_model(_SERVICE_NAMES.get(service, service))
    protocol = model.metadata.get("protocol", "")
    if protocol == "json":
        version = model.metadata.get("jsonVersion", "1.0")
        return "", {
            "X-Amz-Target": f"{model.metadata['targetPrefix']}.{action}",
            "Content-Type": f"application/x-amz-json-{version}",
        }
    return f"Action={action}", {}


async def _wait_service(
    services: Services, http: HttpProxy, call: Call, found: re.Match[str], payload: bytes
) -> Outcome | HttpResponse:
    region, service, form, rest = found.groups()
    parameters = _mapped_parameters(call)
    settings = services.settings
    scope = f"{settings.account_id[:4]}EXAMPLE/20000101/{region}/{service}/aws4_request"
    headers = {"Authorization": f"AWS4-HMAC-SHA256 Credential=AKIA{scope}, Signature=0"}
    query = _query(parameters["querystring"])
    path = "/"
    if form == "action":
        try:
            action_query, named = _service_call(service, rest)
        except Exception:  # botocore knows no such service
            _log_failure(call, f"no AWS service named {service!r}")
            return INTERNAL
        headers |= named
        query = "&".join(q for q in (action_query, query) if q)
    else:
        path = "/" + target_url(rest, parameters["path"], "").lstrip("/")
    headers |= parameters["header"]
    url = f"http://127.0.0.1:{settings.port}{path}" + (f"?{query}" if query else "")
    answer = await http.wait_send(
        _verb(call.integration, call), url, tuple(headers.items()), payload,
        call.integration.timeoutInMillis,
    )  # fmt: skip
    return _outcome(answer)


def _outcome(answer: HttpResponse) -> Outcome:
    content_type = next(
        (v for k, v in answer.headers if k.lower() == "content-type"), "application/json"
    )
    return Outcome(answer.status, answer.body, answer.headers, str(answer.status), content_type)


def _verb(integration: Integration, call: Call) -> str:
    verb = (integration.httpMethod or "POST").upper()
    return str(call.event.get("httpMethod") or "GET") if verb == "ANY" else verb


def _query(parameters: Mapping[str, str]) -> str:
    return urlencode(list(parameters.items()))


async def _wait_http_proxy(http: HttpProxy, call: Call) -> HttpResponse:
    event = call.event
    path_parameters = dict(event.get("pathParameters") or {})
    path_parameters |= _mapped_parameters(call)["path"]
    query = "&".join(
        f"{k}={v}"
        for k, values in (event.get("multiValueQueryStringParameters") or {}).items()
        for v in values
    )
    url = target_url(call.integration.uri or "", path_parameters, query)
    headers = tuple(
        (k, v) for k, values in (event.get("multiValueHeaders") or {}).items() for v in values
    )
    body = base64.b64decode(event["body"]) if event.get("isBase64Encoded") else (
        str(event.get("body") or "").encode()
    )  # fmt: skip
    return await http.wait_send(
        _verb(call.integration, call), url, headers, body, call.integration.timeoutInMillis,
        call.tls,
    )  # fmt: skip


def _response(call: Call, outcome: Outcome) -> HttpResponse:
    chosen = _select(call.integration.integrationResponses or {}, outcome.selector)
    if chosen is None:
        _log_failure(call, "no integration response matches and none is the default")
        return INTERNAL
    body_text = outcome.body.decode("utf-8", errors="replace")
    template, content_type = _response_template(chosen, call.header("accept"))
    headers: dict[str, tuple[str, str]] = {}
    answer_binary = is_binary(outcome.content_type, call.binary_media_types)
    if template is not None:
        body = call.render(template, body_text).encode()
        answer_binary = False  # a template makes text
    else:
        body, content_type = outcome.body, outcome.content_type
    body = response_payload(
        body, answer_binary=answer_binary,
        accept_binary=is_binary(call.header("accept"), call.binary_media_types),
        handling=chosen.contentHandling, types_set=bool(call.binary_media_types),
    )  # fmt: skip
    headers["content-type"] = ("Content-Type", content_type)
    for name, source in (chosen.responseParameters or {}).items():
        if not name.startswith(_RESPONSE_HEADER):
            continue
        value = _response_value(call, outcome, body_text, source)
        if value is not None:
            header = name[len(_RESPONSE_HEADER) :]
            headers[header.lower()] = (header, value)
    status = int(chosen.statusCode)
    for name, value in overrides(call.context, "responseOverride"):
        if name == "status" and isinstance(value, int | str) and str(value).isdigit():
            status = int(value)
        elif name.startswith("header.") and value is not None:
            headers[name[7:].lower()] = (name[7:], str(value))
    return HttpResponse(status, tuple(headers.values()), body)


def _select(
    responses: Mapping[str, IntegrationResponse], selector: str | None
) -> IntegrationResponse | None:
    if selector is not None:
        for response in responses.values():
            if response.selectionPattern and _selects(response.selectionPattern, selector):
                return response
    return next((r for r in responses.values() if not r.selectionPattern), None)


def _selects(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value, re.DOTALL) is not None
    except re.error:  # AWS's patterns are Java's; one Python cannot read selects nothing
        return False


def _response_template(response: IntegrationResponse, accept: str | None) -> tuple[str | None, str]:
    templates = response.responseTemplates or {}
    wanted = (accept or "").split(",", 1)[0].split(";", 1)[0].strip().lower()
    for content_type in (wanted, "application/json"):
        if content_type and content_type in templates:
            return templates[content_type] or None, content_type
    if templates and not wanted:
        content_type, template = next(iter(templates.items()))
        return template or None, content_type
    return None, "application/json"


def _response_value(call: Call, outcome: Outcome, body: str, source: str) -> str | None:
    if source.startswith("integration.response.header."):
        wanted = source[len("integration.response.header.") :].lower()
        return next((v for k, v in outcome.headers if k.lower() == wanted), None)
    if source == "integration.response.body":
        return body
    if source.startswith("integration.response.body."):
        try:
            found = select("$." + source[len("integration.response.body.") :], orjson.loads(body))
        except (orjson.JSONDecodeError, PathError, PathNotFound):
            return None
        return found if isinstance(found, str) else orjson.dumps(found).decode()
    return _source_value(call, source)  # literals, stage variables, context, the request


def _log_failure(call: Call, why: str) -> None:
    context = call.event.get("requestContext") or {}
    log.warning(
        "REST API %s: %s %s on stage %s answers 500: %s",
        context.get("apiId"), call.event.get("httpMethod"), call.event.get("resource"),
        context.get("stage"), why,
    )  # fmt: skip
