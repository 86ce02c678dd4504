"""Response streaming: where an environment sends a response while the function produces it.

An invocation may carry a `ResponseStream` (InvokeWithResponseStream gives one). A custom
runtime that answers in streaming mode (Lambda-Runtime-Function-Response-Mode: streaming)
writes its chunks to it as they arrive, with backpressure: the runtime's upload is not read
further until the client has taken the chunk. The result the invoker returns then has an
empty payload; a function error mid-stream is its error payload, as usual.

A runtime that answers buffered (the built-in Python runtime, a custom runtime's plain
response) never touches the stream: the caller sends the whole result as one chunk.
"""

from __future__ import annotations

from typing import Protocol

# Lambda's limits: a streamed response up to 20 MB (soft); a buffered one up to 6 MB (the
# runtime API's own limit is 100 bytes above 6 MiB, as the Runtime Interface Emulator's).
STREAM_LIMIT_BYTES = 20 * 1024 * 1024
BUFFERED_LIMIT_BYTES = 6 * 1024 * 1024 + 100
# Streamed responses default to this content type, as on Lambda.
STREAM_CONTENT_TYPE = "application/octet-stream"


class ResponseStream(Protocol):
    async def wait_start(self, content_type: str, executed_version: str) -> None:
        """The function began a streamed response (called once, before any chunk)."""

    async def wait_write(self, chunk: bytes) -> None:
        """Deliver one chunk; returns when the receiver can take more."""
