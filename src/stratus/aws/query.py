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

import base64
import binascii
import re
import urllib.parse
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.model import OperationModel, ServiceModel, Shape
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response

from stratus.errors import (
    Invalid,
    Malformed,
    StratusError,
    Throttled,
    TooLarge,
    UnknownOperation,
    Validation,
)

from .protocols import models, validate
from .protocols.errors import ErrorTable, WireError, wire_error

FORM = "application/x-www-form-urlencoded"
# Room for a 1 MiB message percent-encoded (up to 3 bytes a byte) and the rest of the form.
BODY_LIMIT = 4 * 1024 * 1024

# handler(request, operation name, input members) -> output members (None: no output)
Handler = Callable[[Request, str, dict[str, Any]], Awaitable[Mapping[str, Any] | None]]

# The query protocol's names for Stratus's errors, where the API's own table names nothing
# more specific (AWS's "common errors").
COMMON_ERRORS: ErrorTable = {
    UnknownOperation: WireError("InvalidAction", 400),
    Validation: WireError("ValidationError", 400),
    Invalid: WireError("InvalidParameterValue", 400),
    Malformed: WireError("MalformedQueryString", 400),
    TooLarge: WireError("RequestEntityTooLarge", 413),
    Throttled: WireError("Throttling", 400),
}
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


service_model = models.service_model
wait_service_model = models.wait_service_model


async def dispatch(request: Request, handlers: Mapping[str, Handler]) -> Response:
    """Parse a query request, call its service's handler, render the answer."""
    form = await read_form(request)
    name = signing_service(request.headers) or await _wait_service_by_version(form, handlers)
    handler = handlers.get(name or "")
    if name is None or handler is None:
        served = ", ".join(sorted(handlers))
        raise UnknownOperation(
            f"Stratus serves {served} over the AWS query protocol, not {name}."
            if name
            else "Could not tell which service this request is for: sign it (SigV4) or name "
            "the service's Version."
        )
    operation = find_operation(await wait_service_model(name), form)
    params = parse_params(operation.input_shape, form)
    check_params(operation.input_shape, params)
    output = await handler(request, operation.name, params)
    return response(operation, output)


async def read_form(request: Request, limit: int = BODY_LIMIT) -> dict[str, str]:
    if int(request.headers.get("content-length") or 0) > limit:
        raise TooLarge(f"Request must be smaller than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"Request must be smaller than {limit} bytes")
    try:
        pairs = urllib.parse.parse_qsl(body.decode(), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise Malformed(f"The request body is not valid form data: {exc}") from exc
    return dict(pairs)


async def _wait_service_by_version(
    form: Mapping[str, str], handlers: Mapping[str, Handler]
) -> str | None:
    # Unsigned requests (curl) still name the API version, which identifies the service.
    for name in handlers:
        if (await wait_service_model(name)).api_version == form.get("Version"):
            return name
    return None


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
    return _parse(shape, _Form(form), "", "") or {}


def _parse(shape: Shape, form: _Form, key: str, where: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if key and key not in form.children:
            return None
        parsed = {}
        for name, member in shape.members.items():
            member_key = _join(key, member.serialization.get("name", name))
            value = _parse(member, form, member_key, _join(where, _camel(name)))
            if value is not None:
                parsed[name] = value
        return parsed
    if kind == "list":
        return _parse_list(shape, form, key, where)
    if kind == "map":
        return _parse_map(shape, form, key, where)
    raw = form.values.get(key)
    return None if raw is None else _scalar(shape, raw, where)


def _parse_list(shape: Shape, form: _Form, key: str, where: str) -> list[Any] | None:
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


def _parse_map(shape: Shape, form: _Form, key: str, where: str) -> dict[Any, Any] | None:
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


def _scalar(shape: Shape, raw: str, where: str) -> Any:
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            if not re.fullmatch(r"[+-]?[0-9]+", raw):
                raise ValueError(raw)
            return int(raw)
        if kind in ("float", "double"):
            return float(raw)
        if kind == "boolean":
            if raw.lower() not in ("true", "false"):
                raise ValueError(raw)
            return raw.lower() == "true"
        if kind == "timestamp":
            return _parse_time(raw)
        if kind == "blob":
            return base64.b64decode(raw, validate=True)
    except (ValueError, binascii.Error, OverflowError) as exc:
        expected = {"boolean": "true or false", "timestamp": "an ISO 8601 timestamp"}
        raise Validation(
            f"1 validation error detected: Value '{_shown(raw)}' at '{where}' failed to "
            f"satisfy constraint: Member must be {expected.get(kind, f'a valid {kind}')}"
        ) from exc
    return raw


def _parse_time(raw: str) -> datetime:
    if re.fullmatch(r"[0-9]+(\.[0-9]*)?", raw):
        return datetime.fromtimestamp(float(raw), UTC)
    parsed = datetime.fromisoformat(raw)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


check_params = validate.check
_problem = validate.problem
_shown = validate.shown_value


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


# --- members -> XML --------------------------------------------------------------------


def response(operation: OperationModel, output: Mapping[str, Any] | None) -> Response:
    request_id = str(uuid.uuid4())
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
    parts = [_open(root, _namespace(operation.service_model))]
    shape = operation.output_shape
    if shape is not None:
        # botocore looks the wrapper up unconditionally, so it is there even when empty.
        wrapper = shape.serialization.get("resultWrapper")
        if wrapper:
            parts.append(f"<{wrapper}>")
        _render_members(parts, shape, output or {})
        if wrapper:
            parts.append(f"</{wrapper}>")
    parts.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>")
    parts.append(f"</{root}>")
    return _encode(parts)


def _render_members(parts: list[str], shape: Shape, value: Mapping[str, Any]) -> None:
    members = shape.members
    unknown = value.keys() - members.keys()
    if unknown:  # a wire adapter's mistake; AWS would never send these
        raise TypeError(f"{shape.name} has no member(s) {sorted(unknown)}")
    for name, member in members.items():
        member_value = value.get(name)
        if member_value is not None:
            _render(parts, member, member_value, member.serialization.get("name", name))


def _render(parts: list[str], shape: Shape, value: Any, tag: str) -> None:
    kind, flattened = shape.type_name, shape.serialization.get("flattened")
    if kind == "structure":
        parts.append(f"<{tag}>")
        _render_members(parts, shape, value)
        parts.append(f"</{tag}>")
    elif kind == "list":
        member = shape.member
        if flattened:
            for item in value:
                _render(parts, member, item, member.serialization.get("name", tag))
        else:
            parts.append(f"<{tag}>")
            for item in value:
                _render(parts, member, item, member.serialization.get("name", "member"))
            parts.append(f"</{tag}>")
    elif kind == "map":
        key_shape, value_shape = shape.key, shape.value
        key_tag = key_shape.serialization.get("name", "key")
        value_tag = value_shape.serialization.get("name", "value")
        if not flattened:
            parts.append(f"<{tag}>")
        for k, v in value.items():
            parts.append(f"<{tag}>" if flattened else "<entry>")
            _render(parts, key_shape, k, key_tag)
            _render(parts, value_shape, v, value_tag)
            parts.append(f"</{tag}>" if flattened else "</entry>")
        if not flattened:
            parts.append(f"</{tag}>")
    else:
        parts.append(f"<{tag}>{_text(shape, value)}</{tag}>")


def _text(shape: Shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        return _format_time(value, shape.serialization.get("timestampFormat", "iso8601"))
    if kind == "blob":
        return base64.b64encode(value).decode()
    if kind in ("integer", "long"):
        return str(int(value))
    if kind in ("float", "double"):
        return repr(float(value))
    return escape(str(value))


def _format_time(value: datetime | float, form: str) -> str:
    moment = value if isinstance(value, datetime) else datetime.fromtimestamp(value, UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if form == "unixTimestamp":
        return f"{moment.timestamp():.3f}"
    if form == "rfc822":
        return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


# XML 1.0 cannot carry most control characters even as references; a parser would also turn
# a literal CR into LF, so it goes as a reference.
_ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord("\r"): "&#xD;"} | {
    c: "\ufffd" for c in [*range(0x20), 0xFFFE, 0xFFFF] if c not in (0x9, 0xA, 0xD)
}


def escape(text: str) -> str:
    return text.translate(_ESCAPES)


def _encode(parts: list[str]) -> bytes:
    # Lone surrogates cannot be UTF-8; they become '?' rather than a 500.
    return "".join(parts).encode("utf-8", "replace")


def _namespace(model: ServiceModel | None) -> str | None:
    namespace = model.metadata.get("xmlNamespace") if model else None
    return namespace.get("uri") if isinstance(namespace, dict) else namespace


def _open(tag: str, namespace: str | None) -> str:
    return f'<{tag} xmlns="{escape(namespace)}">' if namespace else f"<{tag}>"


# --- errors ----------------------------------------------------------------------------


def error_response(exc: StratusError, service: str | None, api: ErrorTable) -> Response:
    wire = wire_error(exc, api, COMMON_ERRORS)
    request_id = str(uuid.uuid4())
    parts = [
        _open("ErrorResponse", _namespace(models.loaded(service or ""))),
        f"<Error><Type>{'Sender' if wire.sender else 'Receiver'}</Type>",
        f"<Code>{escape(wire.code)}</Code><Message>{escape(exc.message)}</Message></Error>",
        f"<RequestId>{request_id}</RequestId></ErrorResponse>",
    ]
    return Response(
        _encode(parts),
        status_code=wire.status,
        media_type="text/xml",
        headers={"x-amzn-RequestId": request_id},
    )
