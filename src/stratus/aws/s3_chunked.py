"""aws-chunked request bodies (SigV4 streaming uploads), decoded as they stream.

    <hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n ... 0[;chunk-signature=…]\\r\\n
    x-amz-checksum-crc32:AAAAAA==\\r\\n          (trailers named by x-amz-trailer)
    \\r\\n

AWS SDKs send it for uploads with a trailing checksum (STREAMING-UNSIGNED-PAYLOAD-TRAILER over
TLS) or signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD); the object is the decoded data,
`x-amz-decoded-content-length` long. Chunk signatures are not checked (Stratus takes any
credentials); the trailers are kept for the checksum check once the body has ended.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

from starlette.datastructures import Headers

from stratus.objects.errors import InvalidRequest

MAX_HEADER_LINE = 4096


def is_chunked(headers: Headers) -> bool:
    encoding = headers.get("content-encoding", "")
    sha = headers.get("x-amz-content-sha256", "")
    return "aws-chunked" in encoding or sha.startswith("STREAMING-")


class AwsChunked:
    """The decoded data of an aws-chunked body; `trailers` once iteration has ended."""

    def __init__(self, raw: AsyncIterable[bytes]) -> None:
        self._raw = raw
        self.trailers: dict[str, str] = {}

    async def __aiter__(self) -> AsyncIterator[bytes]:
        buffer = bytearray()
        source = self._raw.__aiter__()
        ended = False

        async def fill() -> bool:
            nonlocal ended
            if ended:
                return False
            try:
                buffer.extend(await source.__anext__())
            except StopAsyncIteration:
                ended = True
                return False
            return True

        async def line() -> bytes:
            while (at := buffer.find(b"\r\n")) < 0:
                if len(buffer) > MAX_HEADER_LINE or not await fill():
                    raise _malformed()
            found = bytes(buffer[:at])
            del buffer[: at + 2]
            return found

        while True:
            header = await line()
            size_text = header.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise _malformed() from None
            if size == 0:
                break
            left = size
            while left:
                if not buffer and not await fill():
                    raise _malformed()
                take = min(left, len(buffer))
                yield bytes(buffer[:take])
                del buffer[:take]
                left -= take
            if await line() != b"":
                raise _malformed()
        while (trailer := await line()) != b"":
            name, _, value = trailer.decode("latin-1").partition(":")
            self.trailers[name.strip().lower()] = value.strip()
        while await fill():  # nothing may follow, but drain what the client sent
            buffer.clear()


def _malformed() -> InvalidRequest:
    return InvalidRequest("The request body is not a valid aws-chunked encoding.")
