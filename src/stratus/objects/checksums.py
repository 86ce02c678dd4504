"""The integrity checksums S3 keeps beside an object: CRC32, CRC32C, CRC64NVME, SHA-1,
SHA-256, SHA-512, MD5 and the XXHASH family, each rendered as AWS renders it (base64 of the
big-endian digest).

Every object gets one: the algorithm the client named (x-amz-sdk-checksum-algorithm or an
x-amz-checksum-* value), else CRC64NVME, as S3 has computed for every new object since 2025.
The CRCs and XXHASHes come from awscrt (AWS's own common runtime, which botocore uses for the
same algorithms), hardware-accelerated, updated incrementally chunk by chunk; the SHAs and MD5 from
hashlib (both release the GIL on large chunks, so hashing runs beside the event loop).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Callable
from typing import Any, Protocol

from awscrt import checksums as crt

from .errors import BadDigest, IncompleteBody, InvalidDigest

ALGORITHMS = (
    "CRC32",
    "CRC32C",
    "CRC64NVME",
    "SHA1",
    "SHA256",
    "SHA512",
    "MD5",
    "XXHASH64",
    "XXHASH3",
    "XXHASH128",
)
DEFAULT = "CRC64NVME"
# CRCs may be combined into a full-object value; SHAs only into a composite (checksum of
# the parts' checksums, "-N").
FULL_OBJECT_CAPABLE = ("CRC32", "CRC32C", "CRC64NVME")


class Hasher(Protocol):
    def update(self, data: bytes) -> None: ...

    def digest(self) -> bytes: ...


class _Crc:
    def __init__(self, step: Callable[[bytes, int], int], width: int) -> None:
        self._step = step
        self._width = width
        self._value = 0

    def update(self, data: bytes) -> None:
        self._value = self._step(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(self._width, "big")


def _crc32(data: bytes, previous: int) -> int:
    return zlib.crc32(data, previous)


class _XxHash:
    def __init__(self, make: Callable[[], Any]) -> None:
        self._state = make()

    def update(self, data: bytes) -> None:
        self._state.update(data)

    def digest(self) -> bytes:
        digest: bytes = self._state.finalize()
        return digest


_XXHASHES = {
    "XXHASH64": crt.XXHash.new_xxhash64,
    "XXHASH3": crt.XXHash.new_xxhash3_64,
    "XXHASH128": crt.XXHash.new_xxhash3_128,
}


def hasher(algorithm: str) -> Hasher:
    """A fresh running checksum of `algorithm` (one of ALGORITHMS)."""
    if algorithm in _XXHASHES:
        return _XxHash(_XXHASHES[algorithm])
    if algorithm == "CRC32":
        return _Crc(_crc32, 4)
    if algorithm == "CRC32C":
        return _Crc(crt.crc32c, 4)
    if algorithm == "CRC64NVME":
        return _Crc(crt.crc64nvme, 8)
    return hashlib.new(algorithm.lower())


def encode(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def composite(algorithm: str, part_values: list[str]) -> str:
    """S3's composite checksum of a multipart object: the checksum of the parts' raw
    checksums concatenated, then "-N"."""
    whole = hasher(algorithm)
    for value in part_values:
        whole.update(base64.b64decode(value))
    return f"{encode(whole.digest())}-{len(part_values)}"


def member(algorithm: str) -> str:
    """The API member carrying it: ChecksumCRC32, ChecksumSHA256, …"""
    return f"Checksum{algorithm}"


def header(algorithm: str) -> str:
    return f"x-amz-checksum-{algorithm.lower()}"


def check_size(declared: int | None, received: int) -> None:
    """IncompleteBody when fewer bytes arrived than declared (an aws-chunked body's
    x-amz-decoded-content-length; a plain body's Content-Length is the server's to hold)."""
    if declared is not None and declared != received:
        raise IncompleteBody(
            "You did not provide the number of bytes specified by the Content-Length HTTP header"
        )


def check_digests(
    content_md5: str | None, md5: bytes, algorithm: str, expected: str | None, value: str
) -> None:
    """BadDigest when the body is not what the client said it sent."""
    if content_md5 is not None:
        try:
            sent = base64.b64decode(content_md5, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise InvalidDigest("The Content-MD5 you specified was invalid.") from exc
        if len(sent) != 16:
            raise InvalidDigest("The Content-MD5 you specified was invalid.")
        if sent != md5:
            raise BadDigest("The Content-MD5 you specified did not match what we received.")
    if expected is not None and expected != value:
        raise BadDigest(f"The {algorithm} you specified did not match the calculated checksum.")
