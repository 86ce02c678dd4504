"""Smithy RPC v2 CBOR (CloudWatch): what boto3 sends first to the APIs whose models list it.

Request: POST to the operation's own path, the input members as one CBOR map:

    POST /service/GraniteServiceVersion20100801/operation/PutMetricData
    smithy-protocol: rpc-v2-cbor                      (required: it names the protocol)
    Content-Type: application/cbor                    (absent when there is no input)
    {"Namespace": "App", "MetricData": [{"MetricName": "Latency", "Value": 12.5,
                                          "Timestamp": 1(1767225600.0)}]}

  the service name is the model's `targetPrefix`; timestamps are CBOR tag 1 (epoch seconds,
  integer or float), blobs byte strings, members named as in the model (no renaming).

Answer: 200, `smithy-protocol: rpc-v2-cbor`, Content-Type application/cbor, the output
members as one CBOR map (an empty map when the operation has no output).

Error: the API's status, the same headers, `{"__type": "<code>", "message": "…"}`. APIs that
kept their query codes (`awsQueryCompatible`, CloudWatch) also send `x-amzn-query-error:
<query code>;Sender`, which botocore turns into the code boto3's exception classes match.

The values are CBOR's own (cbor2 reads tag 1 as a datetime), so reading the input is a walk
that checks each member's type and drops the members the model does not name, as AWS does;
no wire names to map and nothing to decode. CloudWatch is not a hot path, so the walk is not
compiled per shape as json_codec's is.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import cbor2
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from stratus import ids
from stratus.errors import Malformed, StratusError, UnknownOperation, UnsupportedMediaType

from . import validate
from .adapter import Api, Call, handler_of, wait_by_target_prefix
from .body import decoded, wait_body
from .errors import JSON_ERRORS, ErrorTable, wire_error

log = logging.getLogger("stratus.aws")

CONTENT_TYPE = "application/cbor"
PROTOCOL = "rpc-v2-cbor"
_PATH = re.compile(r"/service/([^/]+)/operation/([^/]+)")


class CborApis(BaseRoute):
    """The APIs served over RPC v2 CBOR, found by the service name in the path."""

    def __init__(self, apis: Iterable[Api]) -> None:
        self._apis = tuple(apis)
        self._by_service: dict[str, tuple[Api, ServiceModel]] | None = None

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        wanted = scope["type"] == "http" and scope["method"] == "POST"
        if wanted and _PATH.fullmatch(scope["path"]):
            return Match.FULL, {}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.wait_answer(scope, receive)
        await response(scope, receive, send)

    async def wait_answer(self, scope: Scope, receive: Receive) -> Response:
        """The answer to one request, errors included (rendered as the API names them)."""
        headers = Headers(scope=scope)
        request_id = ids.uuid4()
        matched = _PATH.fullmatch(scope["path"])
        assert matched is not None  # (matches() let only these paths in)
        service, name = matched.groups()
        found = (await self._wait_index()).get(service)
        try:
            if headers.get("smithy-protocol") != PROTOCOL:
                raise Malformed(f"The smithy-protocol header must be {PROTOCOL!r}.")
            if found is None:
                raise UnknownOperation(f"Stratus does not serve the service {service!r}.")
            api, model = found
            if name not in model.operation_names:
                raise UnknownOperation(f"The {model.service_id} API has no operation {name!r}.")
            operation = model.operation_model(name)
            handler = handler_of(api, model, name)
            body = await wait_body(receive, headers, api.body_limit, name)
            body = decoded(body, headers, api.body_limit, name)
            params = parse_input(operation, body, headers.get("content-type"))
            validate.check(operation.input_shape, params)
            output = await handler(Call.of(scope, headers, request_id), params)
        except StratusError as exc:
            return error_response(exc, found[0].errors if found else {}, request_id)
        except Exception as exc:
            log.exception("unexpected error serving %s %s", service, name)
            return error_response(StratusError(f"Internal error: {exc}"), {}, request_id)
        if isinstance(output, Response):
            return output
        return _response(200, render_output(operation, output), request_id)

    async def _wait_index(self) -> dict[str, tuple[Api, ServiceModel]]:
        if self._by_service is None:
            self._by_service = await wait_by_target_prefix(self._apis)
        return self._by_service


def parse_input(operation: OperationModel, body: bytes, content_type: str | None) -> dict[str, Any]:
    """The input members of a CBOR request body (none: an empty input)."""
    shape = operation.input_shape
    if not body:
        return {}
    if content_type is not None and content_type.split(";")[0].strip() != CONTENT_TYPE:
        raise UnsupportedMediaType(f"Content-Type must be {CONTENT_TYPE}, not {content_type}.")
    try:
        document = cbor2.loads(body)
    except (cbor2.CBORDecodeError, ValueError) as exc:
        raise Malformed(f"Could not parse request body as CBOR: {exc}") from exc
    if shape is None:
        return {}
    if not isinstance(document, dict):
        raise Malformed("Could not parse request body: expected a CBOR map")
    params: dict[str, Any] = _read(shape, document, "")
    return params


def render_output(operation: OperationModel, output: Mapping[str, Any] | None) -> bytes:
    """Output members as CBOR; datetimes as tag 1 epoch seconds."""
    return cbor2.dumps(dict(output or {}), datetime_as_timestamp=True, timezone=UTC)


def error_response(exc: StratusError, api: ErrorTable, request_id: str) -> Response:
    wire = wire_error(exc, api, CBOR_ERRORS)
    body: dict[str, Any] = {"__type": wire.code, "message": exc.message, **exc.extra}
    headers = {}
    if wire.query_code:
        fault = "Sender" if wire.sender else "Receiver"
        headers["x-amzn-query-error"] = f"{wire.query_code};{fault}"
    return _response(wire.status, render_output_value(body), request_id, headers)


def render_output_value(value: Mapping[str, Any]) -> bytes:
    return cbor2.dumps(dict(value), datetime_as_timestamp=True, timezone=UTC)


# The JSON protocols' common errors, in the same words (Smithy's RPC v2 takes them over).
CBOR_ERRORS: ErrorTable = {**JSON_ERRORS}


def _response(
    status: int, body: bytes, request_id: str, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        body,
        status_code=status,
        media_type=CONTENT_TYPE,
        headers={"smithy-protocol": PROTOCOL, "x-amzn-RequestId": request_id, **(headers or {})},
    )


# ---- reading members by the model --------------------------------------------------------


def _read(shape: Shape, value: Any, where: str) -> Any:
    kind = shape.type_name
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            raise _wrong(value, where, "structure")
        members = shape.members
        return {
            key: _read(members[key], item, validate.member_path(where, key))
            for key, item in value.items()
            if key in members and item is not None
        }
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            raise _wrong(value, where, "list")
        return [_read(shape.member, v, f"{where}.{i}.member") for i, v in enumerate(value, 1)]
    if isinstance(shape, MapShape):
        if not isinstance(value, dict):
            raise _wrong(value, where, "map")
        return {k: _read(shape.value, v, f"{where}.{k}") for k, v in value.items()}
    checked = _SCALARS.get(kind)
    if checked is None:
        return value
    wanted, convert = checked
    if not isinstance(value, wanted) or (isinstance(value, bool) and kind != "boolean"):
        raise _wrong(value, where, kind)
    return convert(value)


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(value, UTC)


def _same(value: Any) -> Any:
    return value


_SCALARS: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "string": (str, _same),
    "integer": (int, _same),
    "long": (int, _same),
    "float": ((int, float), float),
    "double": ((int, float), float),
    "boolean": (bool, _same),
    "blob": (bytes, bytes),
    "timestamp": ((datetime, int, float), _time),
}


def _wrong(value: Any, where: str, kind: str) -> Malformed:
    return Malformed(
        f"Could not parse request body: Value '{validate.shown_value(value)}' at "
        f"'{where}' is not a valid {kind}"
    )
