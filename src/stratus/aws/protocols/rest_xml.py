"""The rest-xml protocol (S3, later), driven by botocore's model.

Request: the operation is found by method and URI (rest_routing.py: `/{Bucket}/{Key+}`,
`/{Bucket}?tagging`, CopyObject told from PutObject by its x-amz-copy-source header); members
outside the body are placed by rest_members.py, as for rest-json; the body is XML:

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
import uuid
from collections.abc import Mapping
from typing import Any

from botocore.model import OperationModel, ServiceModel, Shape, StructureShape
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Receive, Scope

from stratus.errors import (
    Malformed,
    StratusError,
    Throttled,
    TooLarge,
    UnknownOperation,
    Validation,
)

from . import validate, xml_codec
from .adapter import Api, Call, handler_of
from .body import wait_body
from .errors import ErrorTable, WireError, wire_error
from .rest_members import Plan
from .rest_routing import Router, query_of, raw_path_of

log = logging.getLogger("stratus.aws")

# The errors every rest-xml API shares, in S3's words (the rest-xml API Stratus serves).
COMMON_ERRORS: ErrorTable = {
    Validation: WireError("InvalidArgument", 400),
    Malformed: WireError("MalformedXML", 400),
    TooLarge: WireError("EntityTooLarge", 400),
    Throttled: WireError("SlowDown", 503),
    UnknownOperation: WireError("NotImplemented", 501),
    StratusError: WireError("InternalError", 500),
}
_NO_ROUTE: ErrorTable = {UnknownOperation: WireError("MethodNotAllowed", 405)}
# S3's type for an object stored without one.
RAW_MEDIA_TYPE = "binary/octet-stream"


class XmlBody:
    """rest-xml's body: the members as XML (xml_codec), rooted at the shape's locationName."""

    media_type = "application/xml"

    def __init__(self, model: ServiceModel) -> None:
        self._namespace = model.metadata.get("xmlNamespace")

    def parse(self, shape: Shape, body: bytes, where: str) -> Any:
        return xml_codec.parse(shape, xml_codec.loads(body), where)

    def render(self, shape: Shape | None, value: Any) -> bytes:
        if not isinstance(shape, StructureShape) or all(
            "location" in m.serialization for m in shape.members.values()
        ):
            return b""  # no member travels in the body (HeadObject's are all headers)
        tag = shape.serialization.get("name", shape.name)
        namespace = shape.serialization.get("xmlNamespace") or self._namespace
        parts = [xml_codec.open_tag(tag, namespace, xml_codec.attributes(shape, value))]
        xml_codec.render_members(parts, shape, value, body_only=True)
        parts.append(f"</{tag}>")
        return xml_codec.encode(parts)


class RestXml:
    """One rest-xml API served from its model."""

    def __init__(self, api: Api, model: ServiceModel) -> None:
        self.api = api
        self.model = model
        self.router = Router.for_model(model)
        self._body = XmlBody(model)
        self._plans: dict[str, Plan] = {}

    def plan(self, operation: str) -> Plan:
        plan = self._plans.get(operation)
        if plan is None:
            plan = self._plans[operation] = Plan(self.model.operation_model(operation), self._body)
        return plan

    async def wait_answer(self, scope: Scope, receive: Receive) -> Response:
        """The answer to one request, errors included (rendered as the API names them)."""
        headers = Headers(scope=scope)
        request_id = str(uuid.uuid4())
        query = query_of(scope)
        path = raw_path_of(scope)
        found = None
        try:
            found = self.router.match(
                scope["method"], path, {k: v[0] for k, v in query.items()}, headers
            )
            if found is None:
                raise UnknownOperation(
                    "The specified method is not allowed against this resource: "
                    f"{scope['method']} {path}"
                )
            handler = handler_of(self.api, self.model, found.operation)
            plan = self.plan(found.operation)
            body = await wait_body(receive, headers, self.api.body_limit, found.operation)
            params = plan.parse(found.labels, query, dict(headers.items()), body)
            validate.check(plan.operation.input_shape, params)
            output = await handler(Call.of(scope, headers, request_id), params)
        except StratusError as exc:
            errors = self.api.errors if found is not None else _NO_ROUTE
            return error_response(exc, errors, request_id)
        except Exception as exc:
            log.exception("unexpected error serving %s", self.model.service_id)
            return error_response(StratusError(f"Internal error: {exc}"), {}, request_id)
        if isinstance(output, Response):
            return output
        response = plan.render(output, request_id, RAW_MEDIA_TYPE)
        response.headers["x-amz-request-id"] = request_id
        return response


def parse_input(
    operation: OperationModel,
    labels: Mapping[str, str],
    query: Mapping[str, list[str]],
    headers: Headers,
    body: bytes,
) -> dict[str, Any]:
    """The input members of one request."""
    plan = Plan(operation, XmlBody(operation.service_model))
    return plan.parse(labels, query, dict(headers.items()), body)


def render_output(operation: OperationModel, output: Mapping[str, Any] | None) -> Response:
    """The answer of an operation's output members."""
    plan = Plan(operation, XmlBody(operation.service_model))
    return plan.render(output, "-", RAW_MEDIA_TYPE)


def error_response(exc: StratusError, api: ErrorTable, request_id: str) -> Response:
    wire = wire_error(exc, api, COMMON_ERRORS)
    escape = xml_codec.escape
    body = (
        f"<Error><Code>{escape(wire.code)}</Code><Message>{escape(exc.message)}</Message>"
        f"<RequestId>{request_id}</RequestId></Error>"
    )
    headers = {"x-amz-request-id": request_id, "x-amzn-RequestId": request_id}
    return Response(body.encode("utf-8", "replace"), wire.status, headers, "application/xml")
