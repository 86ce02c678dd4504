"""The event-stream encoder, checked against botocore's own decoder."""

import json
import uuid
import zlib
from datetime import UTC, datetime

import botocore.session
import pytest
from botocore.eventstream import ChecksumMismatch, EventStream, EventStreamBuffer
from botocore.parsers import EventStreamJSONParser

from stratus.aws.eventstream import encode_event, encode_message


def decode(raw: bytes, step: int | None = None) -> list:
    """Messages as botocore reads them, fed `step` bytes at a time (all at once if None)."""
    buffer = EventStreamBuffer()
    messages = []
    for start in range(0, len(raw), step or len(raw) or 1):
        buffer.add_data(raw[start : start + (step or len(raw))])
        messages.extend(buffer)
    return messages


def test_an_event_decodes_with_its_headers_payload_and_checksums():
    """botocore accepts the prelude CRC and message CRC, and reads back headers and payload."""
    raw = encode_event("PayloadChunk", b"hello", "application/octet-stream")

    (message,) = decode(raw)

    assert message.headers == {
        ":event-type": "PayloadChunk",
        ":content-type": "application/octet-stream",
        ":message-type": "event",
    }
    assert message.payload == b"hello"
    assert message.prelude.total_length == len(raw)
    assert message.crc == zlib.crc32(raw[:-4])


@pytest.mark.parametrize("step", [1, 7, 64])
def test_messages_split_anywhere_reassemble(step):
    """A stream of messages can arrive in pieces of any size, as over HTTP chunks."""
    payloads = [b"", b"x" * 1000, bytes(range(256))]
    raw = b"".join(encode_event("PayloadChunk", p, "application/octet-stream") for p in payloads)

    messages = decode(raw, step)

    assert [m.payload for m in messages] == payloads


def test_every_header_type_round_trips():
    """Each header value type botocore knows decodes to the value that was encoded."""
    when = datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    headers = {
        "yes": True,
        "no": False,
        "small": -7,
        "large": 2**40,
        "blob": b"\x00\x01",
        "text": "héllo",
        "when": when,
        "id": ident,
    }

    (message,) = decode(encode_message(headers, b"{}"))

    decoded = message.headers
    assert decoded["yes"] is True
    assert decoded["no"] is False
    assert decoded["small"] == -7
    assert decoded["large"] == 2**40
    assert decoded["blob"] == b"\x00\x01"
    assert decoded["text"] == "héllo"
    assert decoded["when"] == round(when.timestamp() * 1000)
    assert decoded["id"] == ident.bytes


def test_a_corrupted_message_fails_its_checksum():
    """Flipping one payload byte is caught by the message CRC."""
    raw = bytearray(encode_event("PayloadChunk", b"hello", "application/octet-stream"))
    raw[-6] ^= 0xFF

    with pytest.raises(ChecksumMismatch):
        decode(bytes(raw))


def test_lambda_events_parse_into_boto3s_invoke_with_response_stream_shapes():
    """PayloadChunk and InvokeComplete parse, through botocore's Lambda model, into the
    dicts boto3's invoke_with_response_stream yields."""
    model = botocore.session.get_session().get_service_model("lambda")
    shape = model.operation_model("InvokeWithResponseStream").output_shape.members["EventStream"]
    complete = json.dumps({"ErrorCode": "Unhandled", "LogResult": "bG9n"}).encode()
    raw = encode_event("PayloadChunk", b"part", "application/octet-stream") + encode_event(
        "InvokeComplete", complete, "application/json"
    )

    class Body:
        def stream(self):
            yield raw

    events = list(EventStream(Body(), shape, EventStreamJSONParser(), "InvokeWithResponseStream"))

    assert events == [
        {"PayloadChunk": {"Payload": b"part"}},
        {"InvokeComplete": {"ErrorCode": "Unhandled", "LogResult": "bG9n"}},
    ]


def test_oversized_values_are_refused():
    """A header value past 64 KiB cannot be framed; the encoder says so."""
    with pytest.raises(ValueError, match="too long"):
        encode_message({"big": "x" * 70000})
