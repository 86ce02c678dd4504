"""The AWS query protocol (CloudFormation now; SNS and the like later), driven by botocore's
service model as data: the model names every member, list, map and scalar type, and these
walkers follow it both ways.

Request: POST /, Content-Type: application/x-www-form-urlencoded; the service is the one in
the SigV4 credential scope (`Credential=AKID/20260101/us-east-1/cloudformation/aws4_request`).

    Action=CreateStack&Version=2010-05-15&StackName=s
    &Parameters.member.1.ParameterKey=K&Parameters.member.1.ParameterValue=V   list
    &Attributes.entry.1.key=K&Attributes.entry.1.value=V                      map
    &Attribute.1.Name=K                     flattened list or map (name from locationName)
    &Capabilities=                          an empty list
    &DisableRollback=true                   booleans, numbers and ISO 8601 timestamps as text

Answer (200, text/xml):

    <CreateStackResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
      <CreateStackResult><StackId>arn:…</StackId></CreateStackResult>       (resultWrapper)
      <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>
    </CreateStackResponse>

  lists as <Name><member>…</member></Name>, maps as <Name><entry><key/><value/></entry></Name>,
  timestamps ISO 8601 in UTC with milliseconds, booleans true/false.

Error (400 for Sender, the error's own 5xx for Receiver):

    <ErrorResponse xmlns="…"><Error><Type>Sender</Type><Code>ValidationError</Code>
      <Message>…</Message></Error><RequestId>…</RequestId></ErrorResponse>

Input is checked against the model's constraints (required, enum, length, range, pattern) and
refused in AWS's words: "1 validation error detected: Value null at 'stackName' failed to
satisfy constraint: Member must not be null".

One module past 400 lines on purpose: its walkers share the model's naming rules (locationName,
flattened, member/entry) and a service adapter uses it as one seam. The tests hold it to
botocore's own serializer and parser (tests/aws/test_query.py).
"""

from __future__ import annotations

import logging
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope

from stratus import ids
from stratus.errors import (
    Malformed,
    StratusError,
    UnknownOperation,
)

from . import models, validate, xml_codec
from .adapter import Api, Call, handler_of
from .body import wait_body
from .errors import QUERY_ERRORS, ErrorTable, wire_error

log = logging.getLogger("stratus.aws")

FORM = "application/x-www-form-urlencoded"
BODY_LIMIT = 16 * 1024 * 1024

_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/,\s]+/([^/,\s]+)/aws4_request")


def is_query(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").lower()
    return (
        request.method == "POST"
        and request.url.path == "/"
        and "x-amz-target" not in request.headers
        and content_type.startswith(FORM)
    )


def signing_service(headers: Headers) -> str | None:
    """The service a SigV4-signed request was signed for (its credential scope)."""
    match = _SCOPE.search(headers.get("authorization", ""))
    return match.group(1) if match else None


class QueryApis:
    """The APIs served over the query protocol, found by the service in the request's SigV4
    scope, else (unsigned requests, e.g. curl) by the API version the form names."""

    def __init__(self, apis: Iterable[Api]) -> None:
        self._apis = {api.signing_name or api.name: api for api in apis}

    async def wait_answer(self, scope: Scope, receive: Receive) -> Response:
        """The answer to one request, errors included (rendered as the API names them)."""
        headers = Headers(scope=scope)
        request_id = ids.uuid4()
        name = signing_service(headers)
        api = self._apis.get(name or "")
        try:
            form = parse_form(await wait_body(receive, headers, _limit(api), "this request"))
            if name is None:
                name = await self._wait_service_by_version(form)
                api = self._apis.get(name or "")
            if api is None:
                raise self._not_served(name)
            model = await models.wait_service_model(api.name)
            operation = find_operation(model, form)
            handler = handler_of(api, model, operation.name)
            params = parse_params(operation.input_shape, form)
            validate.check(operation.input_shape, params)
            output = await handler(Call.of(scope, headers, request_id), params)
        except StratusError as exc:
            model_name = api.name if api else name
            return error_response(exc, model_name, api.errors if api else {}, request_id)
        except Exception as exc:
            log.exception("unexpected error serving a query request for %s", name)
            error = StratusError(f"Internal error: {exc}")
            return error_response(error, name, {}, request_id)
        if isinstance(output, Response):
            return output
        return response(operation, output, request_id)

    async def _wait_service_by_version(self, form: Mapping[str, str]) -> str | None:
        for name, api in self._apis.items():
            if (await models.wait_service_model(api.name)).api_version == form.get("Version"):
                return name
        return None

    def _not_served(self, name: str | None) -> UnknownOperation:
        served = ", ".join(sorted(self._apis))
        return UnknownOperation(
            f"Stratus serves {served} over the AWS query protocol, not {name}."
            if name
            else "Could not tell which service this request is for: sign it (SigV4) or name "
            "the service's Version."
        )


def _limit(api: Api | None) -> int:
    # Before the service is known (unsigned requests), the default limit of every API.
    return api.body_limit if api else BODY_LIMIT


def parse_form(body: bytes) -> dict[str, str]:
    try:
        pairs = urllib.parse.parse_qsl(body.decode(), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise Malformed(f"The request body is not valid form data: {exc}") from exc
    return dict(pairs)


def find_operation(model: ServiceModel, form: Mapping[str, str]) -> OperationModel:
    action = form.get("Action")
    if not action:
        raise UnknownOperation("The request names no Action (e.g. Action=DescribeStacks).")
    version = form.get("Version") or model.api_version
    if version != model.api_version or action not in model.operation_names:
        raise UnknownOperation(f"Could not find operation {action} for version {version}")
    return model.operation_model(action)


# --- form -> members -------------------------------------------------------------------


class _Form:
    """The flat form with an index of which key segments follow each prefix."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values
        self.children: dict[str, set[str]] = {}
        for key in values:
            parent = ""
            for segment in key.split("."):
                self.children.setdefault(parent, set()).add(segment)
                parent = f"{parent}.{segment}" if parent else segment

    def indices(self, prefix: str) -> list[int]:
        found = self.children.get(prefix, ())
        return sorted(int(s) for s in found if s.isascii() and s.isdigit() and int(s) > 0)


def parse_params(shape: Shape | None, form: Mapping[str, str]) -> dict[str, Any]:
    """The members of an input structure from a flat query form."""
    if shape is None:
        return {}
    parsed: dict[str, Any] = _parse(shape, _Form(form), "", "") or {}
    return parsed


def _parse(shape: Shape, form: _Form, key: str, where: str) -> Any:
    if isinstance(shape, StructureShape):
        if key and key not in form.children:
            return None
        parsed = {}
        for name, member in shape.members.items():
            member_key = _join(key, member.serialization.get("name", name))
            value = _parse(member, form, member_key, validate.member_path(where, name))
            if value is not None:
                parsed[name] = value
        return parsed
    if isinstance(shape, ListShape):
        return _parse_list(shape, form, key, where)
    if isinstance(shape, MapShape):
        return _parse_map(shape, form, key, where)
    raw = form.values.get(key)
    return None if raw is None else xml_codec.scalar(shape, raw, where)


def _parse_list(shape: ListShape, form: _Form, key: str, where: str) -> list[Any] | None:
    member = shape.member
    item_name = member.serialization.get("name")
    if not shape.serialization.get("flattened"):
        base = f"{key}.{item_name or 'member'}"
    elif item_name:  # a flattened list's items take the member's name in place of the list's
        base = _join(key.rpartition(".")[0], item_name)
    else:
        base = key
    indices = form.indices(base)
    if not indices:
        return [] if form.values.get(key) == "" else None
    items = (_parse(member, form, f"{base}.{i}", f"{where}.{i}.member") for i in indices)
    return [item for item in items if item is not None]


def _parse_map(shape: MapShape, form: _Form, key: str, where: str) -> dict[Any, Any] | None:
    base = key if shape.serialization.get("flattened") else f"{key}.entry"
    key_shape, value_shape = shape.key, shape.value
    key_name = key_shape.serialization.get("name", "key")
    value_name = value_shape.serialization.get("name", "value")
    parsed = {}
    for i in form.indices(base):
        entry = f"{base}.{i}"
        k = _parse(key_shape, form, f"{entry}.{key_name}", f"{where}.{i}.key")
        v = _parse(value_shape, form, f"{entry}.{value_name}", f"{where}.{i}.value")
        if k is not None and v is not None:
            parsed[k] = v
    return parsed or None


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


# --- members -> XML --------------------------------------------------------------------


def response(
    operation: OperationModel, output: Mapping[str, Any] | None, request_id: str
) -> Response:
    return Response(
        render_output(operation, output, request_id),
        media_type="text/xml",
        headers={"x-amzn-RequestId": request_id},
    )


def render_output(
    operation: OperationModel, output: Mapping[str, Any] | None, request_id: str
) -> bytes:
    """`<{Operation}Response>` with the output members inside its result wrapper."""
    root = f"{operation.name}Response"
    parts = [xml_codec.open_tag(root, _namespace(operation.service_model))]
    shape = operation.output_shape
    if isinstance(shape, StructureShape):
        # botocore looks the wrapper up unconditionally, so it is there even when empty.
        wrapper = shape.serialization.get("resultWrapper")
        if wrapper:
            parts.append(f"<{wrapper}>")
        xml_codec.render_members(parts, shape, output or {})
        if wrapper:
            parts.append(f"</{wrapper}>")
    parts.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>")
    parts.append(f"</{root}>")
    return xml_codec.encode(parts)


def _namespace(model: ServiceModel | None) -> object:
    return model.metadata.get("xmlNamespace") if model else None


# --- errors ----------------------------------------------------------------------------


def error_response(
    exc: StratusError, service: str | None, api: ErrorTable, request_id: str | None = None
) -> Response:
    wire = wire_error(exc, api, QUERY_ERRORS)
    request_id = request_id or ids.uuid4()
    escape = xml_codec.escape
    parts = [
        xml_codec.open_tag("ErrorResponse", _namespace(models.loaded(service or ""))),
        f"<Error><Type>{'Sender' if wire.sender else 'Receiver'}</Type>",
        f"<Code>{escape(wire.query_code or wire.code)}</Code>",
        f"<Message>{escape(exc.message)}</Message></Error>",
        f"<RequestId>{request_id}</RequestId></ErrorResponse>",
    ]
    return Response(
        xml_codec.encode(parts),
        status_code=wire.status,
        media_type="text/xml",
        headers={"x-amzn-RequestId": request_id},
    )
