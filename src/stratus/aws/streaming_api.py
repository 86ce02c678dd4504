"""InvokeWithResponseStream (POST /2021-11-15/functions/{name}/response-streaming-invocations):
the function's response as an event stream (eventstream.py), passed on while it is produced.

    200  Content-Type: the function's (ResponseStreamContentType)    X-Amz-Executed-Version
         PayloadChunk   {Payload}   one per chunk a streaming runtime sends; a buffered result
                                    (the built-in Python runtime) is one chunk, whole
         InvokeComplete {ErrorCode, ErrorDetails, LogResult}   always last: ErrorCode is the
                                    error's type when the function failed (before or during
                                    the stream), ErrorDetails its message; LogResult is the
                                    base64 log tail when LogType=Tail

Errors before the function answers (no such function, throttled, bad parameters) are the
ordinary REST-JSON errors. The HTTP head goes out when the function starts its stream (for a
buffered result, when it ends), which is how it can carry the function's content type.
"""

from __future__ import annotations

import uuid

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from stratus.errors import Invalid, TooLarge
from stratus.functions.names import FunctionRef, parse_reference
from stratus.functions.service import SYNC_PAYLOAD_LIMIT, FunctionService
from stratus.runtime.spec import InvokeResult

from .eventstream import MAX_PAYLOAD_BYTES, encode_event

PATH = "/2021-11-15/functions/{name}/response-streaming-invocations"
# A buffered result has no content type of its own; Lambda's results are JSON.
BUFFERED_CONTENT_TYPE = "application/json"


async def invoke_with_response_stream(request: Request) -> Response:
    ref = parse_reference(request.path_params["name"], request.query_params.get("Qualifier"))
    # DryRun is accepted and, as on AWS, still runs the function.
    _check_enum(request, "x-amz-invocation-type", "invocationType", "RequestResponse", "DryRun")
    _check_enum(request, "x-amz-log-type", "logType", "None", "Tail")
    if int(request.headers.get("content-length") or 0) > SYNC_PAYLOAD_LIMIT:
        raise TooLarge(
            f"Request must be smaller than {SYNC_PAYLOAD_LIMIT} bytes for the "
            "InvokeWithResponseStream operation"
        )
    return _StreamedInvocation(
        request.app.state.functions,
        ref,
        await request.body(),
        client_context=request.headers.get("x-amz-client-context"),
        want_log_tail=request.headers.get("x-amz-log-type") == "Tail",
    )


class _StreamedInvocation(Response):
    """Runs the invocation while answering, so chunks reach the client as they come."""

    def __init__(
        self,
        service: FunctionService,
        ref: FunctionRef,
        payload: bytes,
        *,
        client_context: str | None,
        want_log_tail: bool,
    ) -> None:
        super().__init__(status_code=200)
        self._service = service
        self._ref = ref
        self._payload = payload
        self._client_context = client_context
        self._want_log_tail = want_log_tail

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = str(uuid.uuid4())
        events = _EventSender(send, request_id)
        result = await self._service.invoke(
            self._ref,
            self._payload,
            client_context=self._client_context,
            want_log_tail=self._want_log_tail,
            request_id=request_id,
            stream=events,
        )
        await events.wait_finish(result)


class _EventSender:
    """The invocation's ResponseStream: each chunk becomes a PayloadChunk event."""

    def __init__(self, send: Send, request_id: str) -> None:
        self._send = send
        self._request_id = request_id
        self._started = False

    async def wait_start(self, content_type: str, executed_version: str) -> None:
        if self._started:
            return
        self._started = True
        headers = {
            "content-type": content_type,
            "x-amz-executed-version": executed_version,
            "x-amzn-requestid": self._request_id,
        }
        await self._send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(k.encode(), v.encode("latin-1")) for k, v in headers.items()],
            }
        )

    async def wait_write(self, chunk: bytes) -> None:
        for start in range(0, len(chunk), MAX_PAYLOAD_BYTES):
            piece = chunk[start : start + MAX_PAYLOAD_BYTES]
            event = encode_event("PayloadChunk", piece, "application/octet-stream")
            await self._send({"type": "http.response.body", "body": event, "more_body": True})

    async def wait_finish(self, result: InvokeResult) -> None:
        """A buffered result as one chunk (if the function streamed, its chunks went out
        already), then InvokeComplete."""
        if not self._started:
            await self.wait_start(BUFFERED_CONTENT_TYPE, result.executed_version)
            if not result.function_error and result.payload:
                await self.wait_write(result.payload)
        complete = encode_event("InvokeComplete", _complete(result), "application/json")
        await self._send({"type": "http.response.body", "body": complete, "more_body": False})


def _complete(result: InvokeResult) -> bytes:
    fields: dict[str, str] = {}
    if result.function_error:
        fields["ErrorCode"], fields["ErrorDetails"] = _error_fields(result)
    if result.log_tail:
        fields["LogResult"] = result.log_tail
    return orjson.dumps(fields)


def _error_fields(result: InvokeResult) -> tuple[str, str]:
    """The error's type and message, from the error document the function returned."""
    try:
        error = orjson.loads(result.payload)
    except orjson.JSONDecodeError:
        error = None
    if not isinstance(error, dict):
        return result.function_error or "Unhandled", result.payload.decode(errors="replace")
    code = error.get("errorType") or result.function_error or "Unhandled"
    return str(code), str(error.get("errorMessage", ""))


def _check_enum(request: Request, header: str, member: str, *allowed: str) -> None:
    value = request.headers.get(header, allowed[0])
    if value not in allowed:
        raise Invalid(
            f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
        )


routes = [Route(PATH, invoke_with_response_stream, methods=["POST"])]
