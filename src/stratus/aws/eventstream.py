"""AWS event-stream encoding (`application/vnd.amazon.eventstream`): how InvokeWithResponseStream
frames its answer, and what botocore's `EventStreamBuffer` decodes.

A message, all integers big-endian:

    prelude   u32 total_length | u32 headers_length | u32 crc32(first 8 bytes)
    headers   repeated: u8 name_length | name (UTF-8) | u8 type | value
    payload   bytes
    trailer   u32 crc32(everything before it)

    header value by type   0 true, 1 false (no bytes)    2 u8    3 i16    4 i32    5 i64
                           6 u16 length | bytes           7 u16 length | UTF-8 string
                           8 i64 milliseconds since the epoch (timestamp)   9 16-byte UUID

An event carries `:message-type: event`, `:event-type` (the member name, e.g. PayloadChunk)
and `:content-type`; its payload is the member's blob, or the member's other fields as JSON.
The CRC is CRC-32 (IEEE 802.3), which is what `zlib.crc32` computes.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

PRELUDE = struct.Struct(">II")
CRC = struct.Struct(">I")
# botocore refuses bigger messages (eventstream.py: _MAX_PAYLOAD_LENGTH, _MAX_HEADERS_LENGTH).
MAX_PAYLOAD_BYTES = 16 * 1024 * 1024
MAX_HEADERS_BYTES = 128 * 1024

HeaderValue = bool | int | bytes | str | datetime | UUID


def encode_message(headers: Mapping[str, HeaderValue], payload: bytes = b"") -> bytes:
    """One complete event-stream message."""
    raw_headers = b"".join(_header(name, value) for name, value in headers.items())
    if len(raw_headers) > MAX_HEADERS_BYTES or len(payload) > MAX_PAYLOAD_BYTES:
        raise ValueError(
            f"event-stream message too large: {len(raw_headers)} header bytes, "
            f"{len(payload)} payload bytes (split the payload into several messages)"
        )
    total = PRELUDE.size + CRC.size + len(raw_headers) + len(payload) + CRC.size
    prelude = PRELUDE.pack(total, len(raw_headers))
    head = prelude + CRC.pack(zlib.crc32(prelude)) + raw_headers + payload
    return head + CRC.pack(zlib.crc32(head))


def encode_event(event_type: str, payload: bytes, content_type: str) -> bytes:
    """An event of a modelled event stream, as AWS services send them."""
    return encode_message(
        {":event-type": event_type, ":content-type": content_type, ":message-type": "event"},
        payload,
    )


def _header(name: str, value: HeaderValue) -> bytes:
    raw_name = name.encode()
    if not 0 < len(raw_name) < 256:
        raise ValueError(f"event-stream header name must be 1-255 bytes: {name!r}")
    return bytes([len(raw_name)]) + raw_name + _value(value)


def _value(value: HeaderValue) -> bytes:
    # bool before int: bool is a subclass of int.
    if isinstance(value, bool):
        return bytes([0 if value else 1])
    if isinstance(value, int):
        if -(2**31) <= value < 2**31:
            return b"\x04" + struct.pack(">i", value)
        return b"\x05" + struct.pack(">q", value)
    if isinstance(value, bytes):
        return b"\x06" + _sized(value)
    if isinstance(value, str):
        return b"\x07" + _sized(value.encode())
    if isinstance(value, datetime):
        return b"\x08" + struct.pack(">q", round(value.timestamp() * 1000))
    return b"\x09" + value.bytes


def _sized(raw: bytes) -> bytes:
    if len(raw) > 0xFFFF:
        raise ValueError(f"event-stream header value too long: {len(raw)} bytes")
    return struct.pack(">H", len(raw)) + raw
