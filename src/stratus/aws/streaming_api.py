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
ordinary rest-json errors. The HTTP head goes out when the function starts its stream (for a
buffered result, when it ends), which is how it can carry the function's content type; so
the handler answers with its own Response (the protocol layer's one escape hatch), written
while the function runs.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from stratus.functions.names import FunctionRef
from stratus.functions.service import FunctionService
from stratus.runtime.spec import InvokeResult

from .eventstream import MAX_PAYLOAD_BYTES, encode_event
from .invoke_access import wait_check_invoke
from .lambda_members import ref
from .protocols.adapter import Call, Handler, Output

# A buffered result has no content type of its own; Lambda's results are JSON.
BUFFERED_CONTENT_TYPE = "application/json"


async def invoke_with_response_stream(call: Call, params: dict[str, Any]) -> Output:
    await wait_check_invoke(call, ref(params))
    # DryRun is accepted and, as on AWS, still runs the function.
    return _StreamedInvocation(
        call.services.functions,
        ref(params),
        params.get("Payload", b""),
        request_id=call.request_id,
        client_context=params.get("ClientContext"),
        want_log_tail=params.get("LogType") == "Tail",
    )


class _StreamedInvocation(Response):
    """Runs the invocation while answering, so chunks reach the client as they come."""

    def __init__(
        self,
        service: FunctionService,
        ref: FunctionRef,
        payload: bytes,
        *,
        request_id: str,
        client_context: str | None,
        want_log_tail: bool,
    ) -> None:
        super().__init__(status_code=200)
        self._service = service
        self._ref = ref
        self._payload = payload
        self._request_id = request_id
        self._client_context = client_context
        self._want_log_tail = want_log_tail

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = self._request_id
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


HANDLERS: dict[str, Handler] = {"InvokeWithResponseStream": invoke_with_response_stream}
