"""The rest-xml protocol (S3, later), driven by botocore's model.

Request: the operation is found by method and URI (rest_routing.py: `/{Bucket}/{Key+}`,
`/{Bucket}?tagging`); members outside the body are placed by rest_locations.py; the body is

    the input's `payload` member:  a blob or string as the raw body (PutObject's Body),
                                   a structure as XML rooted at its locationName
                                   (<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)
    else the other members:        XML rooted at the input shape's locationName

Answer: the operation's `responseCode` (or a `statusCode` member), header members, and the
payload the same way (or the body members as XML rooted at the output's locationName, in the
model's or the shape's namespace). `x-amz-request-id` and `x-amzn-RequestId` on every answer.

Error (S3's form; botocore reads it for every rest-xml API):

    <Error><Code>NoSuchKey</Code><Message>…</Message><RequestId>…</RequestId></Error>

An operation Stratus lacks is NotImplemented (501), a request no operation matches
MethodNotAllowed (405), as S3 answers them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, Mapping
from typing import Any

from botocore.model import OperationModel, ServiceModel, StructureShape
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope

from stratus import ids
from stratus.errors import (
    StratusError,
    UnknownOperation,
)

from . import validate, xml_codec
from .adapter import Api, Call, handler_of
from .body import BodyStream, wait_body
from .errors import REST_XML_ERRORS, ErrorTable, WireError, wire_error
from .rest_locations import parse_located, render_located
from .rest_routing import Router, query_of, raw_path

log = logging.getLogger("stratus.aws")


class RestXml:
    """One rest-xml API served from its model."""

    def __init__(
        self, api: Api, model: ServiceModel, service_checked: frozenset[str] = frozenset()
    ) -> None:
        """`service_checked`: top-level input members the model does not check, because the
        service checks them in its own words (S3's CreateBucketConfiguration: an unknown
        region is InvalidLocationConstraint, not a validation error)."""
        self.api = api
        self.model = model
        self.router = Router.for_model(model)
        self._service_checked = service_checked

    def _model_checked(self, operation: OperationModel, params: dict[str, Any]) -> dict[str, Any]:
        """What the model checks of `params`. A service-checked structure stays, emptied, so a
        required one is still present (PutBucketNotificationConfiguration's), its contents
        the handler's to check; a service-checked list is the handler's whole, present or
        not (GetObjectAttributes' x-amz-object-attributes: absent is S3's InvalidRequest)."""
        shape = operation.input_shape
        members = shape.members if isinstance(shape, StructureShape) else {}
        ours = self._service_checked.intersection(members)
        if not ours:
            return params
        checked = {
            k: {} if k in ours else v
            for k, v in params.items()
            if k not in ours or isinstance(v, dict)
        }
        for name in ours:
            if members[name].type_name == "list":
                checked[name] = []
        return checked

    async def wait_answer(self, scope: Scope, receive: Receive) -> Response:
        """The answer to one request, errors included (rendered as the API names them)."""
        headers = Headers(scope=scope)
        request_id = ids.uuid4()
        query = query_of(scope)
        stream: BodyStream | None = None
        try:
            path = raw_path(scope)
            first = {k: v[0] for k, v in query.items()}
            found = self.router.match(scope["method"], path, first, headers)
            if found is None:
                return self._no_route(scope["method"], path, request_id)
            operation = self.model.operation_model(found.operation)
            handler = handler_of(self.api, self.model, found.operation)
            streamed = found.operation in self.api.streamed
            body = (
                b""
                if streamed
                else await wait_body(receive, headers, self.api.body_limit, found.operation)
            )
            params = parse_input(operation, found.labels, query, headers, body)
            validate.check(operation.input_shape, self._model_checked(operation, params))
            if streamed and isinstance(operation.input_shape, StructureShape):
                stream = BodyStream(receive)
                params[operation.input_shape.serialization["payload"]] = stream
            output = await handler(Call.of(scope, headers, request_id), params)
        except StratusError as exc:
            answer = error_response(exc, self.api.errors, request_id, scope["method"])
            return await _wait_unread(stream, answer)
        except Exception as exc:
            log.exception("unexpected error serving %s", self.model.service_id)
            answer = error_response(StratusError(f"Internal error: {exc}"), {}, request_id)
            return await _wait_unread(stream, answer)
        if isinstance(output, Response):
            return await _wait_unread(stream, output)
        stream_out = _streamed_payload(operation, output)
        status, answer_headers, content = render_output(operation, output)
        answer_headers = _with_request_id(answer_headers, request_id)
        if "content-range" in answer_headers and status == 200:
            status = 206  # Content-Range on a 2xx answer makes it partial (a ranged GetObject)
        if stream_out is not None:
            return StreamingResponse(stream_out, status, answer_headers)
        return Response(content, status, answer_headers)

    def _no_route(self, method: str, path: str, request_id: str) -> Response:
        error = UnknownOperation(
            f"The specified method is not allowed against this resource: {method} {path}"
        )
        wire = WireError("MethodNotAllowed", 405)
        return error_response(error, {UnknownOperation: wire}, request_id)


def parse_input(
    operation: OperationModel,
    labels: Mapping[str, str],
    query: Mapping[str, list[str]],
    headers: Headers,
    body: bytes,
) -> dict[str, Any]:
    """The input members of one request."""
    shape = operation.input_shape
    if not isinstance(shape, StructureShape):
        return {}
    params = parse_located(shape, labels, query, headers)
    payload = shape.serialization.get("payload")
    if payload is not None:
        member = shape.members[payload]
        if not body:  # an empty payload is an absent one (PutObject with no Body)
            pass
        elif member.type_name == "blob":
            params[payload] = body
        elif member.type_name == "string":
            params[payload] = body.decode("utf-8", "replace")
        elif body.strip():
            params[payload] = xml_codec.parse(
                member, xml_codec.loads(body), validate.member_path("", payload)
            )
    elif body.strip() and any("location" not in m.serialization for m in shape.members.values()):
        parsed = xml_codec.parse(shape, xml_codec.loads(body))
        params.update(
            {k: v for k, v in parsed.items() if "location" not in shape.members[k].serialization}
        )
    return params


def render_output(
    operation: OperationModel, output: Mapping[str, Any] | None
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of an answer's members."""
    status = int(operation.http.get("responseCode", 200))
    shape = operation.output_shape
    if not isinstance(shape, StructureShape) or not output:
        return status, {}, b""
    declared, headers = render_located(shape, output)
    payload = shape.serialization.get("payload")
    if payload is not None:
        member, value = shape.members[payload], output.get(payload)
        if value is None:
            body = b""
        elif member.type_name == "blob":
            body = bytes(value)
        elif member.type_name == "string":
            body = str(value).encode()
        else:
            parts: list[str] = []
            xml_codec.render(parts, member, value, member.serialization.get("name", member.name))
            body = xml_codec.encode(parts)
    else:
        body = _body_xml(operation.service_model, shape, output)
    raw = payload is not None and shape.members[payload].type_name in ("blob", "string")
    if body and not raw:  # a raw payload's type is the adapter's (S3: the object's)
        headers.setdefault("Content-Type", "application/xml")
    return declared or status, headers, body


def _body_xml(model: ServiceModel, shape: StructureShape, output: Mapping[str, Any]) -> bytes:
    if not any("location" not in m.serialization for m in shape.members.values()):
        return b""
    tag = shape.serialization.get("name", shape.name)
    namespace = shape.serialization.get("xmlNamespace") or model.metadata.get("xmlNamespace")
    parts = [xml_codec.open_tag(tag, namespace)]
    xml_codec.render_members(parts, shape, output, body_only=True)
    parts.append(f"</{tag}>")
    return xml_codec.encode(parts)


def error_response(
    exc: StratusError, api: ErrorTable, request_id: str, method: str = "POST"
) -> Response:
    """S3's error document, with the error's extra fields (Key, BucketName, …) as elements
    and its `headers`, if it has any (a delete marker's 404 says x-amz-delete-marker); no body
    for HEAD (S3 sends none) or for 304 Not Modified."""
    wire = wire_error(exc, api, REST_XML_ERRORS)
    extra_headers: dict[str, str] = dict(getattr(exc, "headers", None) or {})
    if method == "HEAD" or wire.status == 304:
        return Response(b"", wire.status, _with_request_id(extra_headers, request_id))
    escape = xml_codec.escape
    extra = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in exc.extra.items())
    body = (
        f"<Error><Code>{escape(wire.code)}</Code><Message>{escape(exc.message)}</Message>"
        f"{extra}<RequestId>{request_id}</RequestId></Error>"
    )
    headers = _with_request_id({**extra_headers, "Content-Type": "application/xml"}, request_id)
    return Response(body.encode("utf-8", "replace"), wire.status, headers)


# An unread body up to this size is read and dropped so the connection stays usable; past it,
# the answer closes the connection rather than receive the rest.
DRAIN_LIMIT = 1024 * 1024


async def _wait_unread(stream: BodyStream | None, answer: Response) -> Response:
    """An answer given before a streamed body was read whole (an error, mostly): the rest
    of the body must not be taken for the connection's next request."""
    if stream is None or stream.ended:
        return answer
    try:
        drained = await stream.wait_drain(DRAIN_LIMIT)
    except ClientDisconnect:
        drained = False
    if not drained:
        answer.headers["Connection"] = "close"
    return answer


def _streamed_payload(
    operation: OperationModel, output: Mapping[str, Any] | None
) -> AsyncIterable[bytes] | None:
    """A blob payload the handler hands over as an async iterator (S3's GetObject streams
    its file), taken out of `output` so the rest renders as usual."""
    shape = operation.output_shape
    if output is None or not isinstance(shape, StructureShape):
        return None
    payload = shape.serialization.get("payload")
    value = output.get(payload) if payload else None
    if value is None or not hasattr(value, "__aiter__"):
        return None
    assert isinstance(output, dict)
    assert payload is not None
    stream: AsyncIterable[bytes] = output.pop(payload)
    return stream


def _with_request_id(headers: dict[str, str], request_id: str) -> dict[str, str]:
    return {**headers, "x-amz-request-id": request_id, "x-amzn-RequestId": request_id}
