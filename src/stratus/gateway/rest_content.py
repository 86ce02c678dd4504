"""Content type conversions of REST APIs' non-proxy integrations: an integration's and an
integration response's `contentHandling`, with the API's binaryMediaTypes, as AWS's
"Content type conversions in API Gateway" tables have it.

A request payload is binary when its Content-Type is one of binaryMediaTypes; then

    contentHandling      text payload              binary payload
    (none)               as it came                as it came
    CONVERT_TO_TEXT      as it came                base64-encoded text
    CONVERT_TO_BINARY    base64-decoded bytes      as it came

An integration's answer is binary when its Content-Type is one of binaryMediaTypes; the
client wants binary when the first type of its Accept header is one of them. Then

    contentHandling      text answer               binary answer
    (none)               base64-decoded bytes if   base64-encoded text if Accept
                         Accept wants binary       wants text (binaryMediaTypes set)
    CONVERT_TO_TEXT      as it came                base64-encoded text
    CONVERT_TO_BINARY    base64-decoded bytes      as it came

Without binaryMediaTypes everything is text, and only CONVERT_TO_BINARY changes anything.
Text that is not base64 where bytes are wanted is a configuration error (500, as on AWS).
Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from fnmatch import fnmatchcase


class NotBase64(ValueError):
    """A payload to convert to binary is not base64 text."""


def is_binary(media_type: str | None, binary_media_types: Sequence[str]) -> bool:
    media = (media_type or "").split(",", 1)[0].split(";", 1)[0].strip().lower()
    return bool(media) and any(
        pattern == "*/*" or fnmatchcase(media, pattern.lower()) for pattern in binary_media_types
    )


def _decoded(payload: bytes) -> bytes:
    try:
        return base64.b64decode(payload.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NotBase64(
            "contentHandling CONVERT_TO_BINARY: the payload is not base64-encoded text"
        ) from exc


def request_payload(payload: bytes, binary: bool, handling: str | None) -> bytes:
    """The integration request's payload, before any mapping template."""
    if binary and handling == "CONVERT_TO_TEXT":
        return base64.b64encode(payload)
    return payload


def to_binary(payload: bytes, binary: bool, handling: str | None) -> bytes:
    """The integration request's payload after its mapping template (CONVERT_TO_BINARY
    decodes what the template, or the client, sent as base64 text)."""
    if not binary and handling == "CONVERT_TO_BINARY":
        return _decoded(payload)
    return payload


def response_payload(
    payload: bytes, *, answer_binary: bool, accept_binary: bool, handling: str | None,
    types_set: bool,
) -> bytes:  # fmt: skip
    """The method response's payload from the integration's answer (after the response
    template, which makes text)."""
    if handling == "CONVERT_TO_TEXT":
        return base64.b64encode(payload) if answer_binary else payload
    if handling == "CONVERT_TO_BINARY":
        return payload if answer_binary else _decoded(payload)
    if not types_set:
        return payload
    if not answer_binary and accept_binary:
        return _decoded(payload)
    if answer_binary and not accept_binary:
        return base64.b64encode(payload)
    return payload
