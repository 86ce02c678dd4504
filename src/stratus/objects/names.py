"""S3's rules for bucket names and keys (general purpose buckets)."""

from __future__ import annotations

import ipaddress
import re

from .errors import InvalidBucketName, KeyTooLong

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
MAX_KEY_BYTES = 1024


def check_bucket_name(name: str) -> None:
    """3-63 characters of lower-case letters, digits, dots and hyphens, starting and ending
    with a letter or digit; no "..", not an IP address, none of S3's reserved prefixes and
    suffixes."""
    if (
        not _BUCKET.fullmatch(name)
        or ".." in name
        or ".-" in name
        or "-." in name
        or name.startswith(_RESERVED_PREFIXES)
        or name.endswith(_RESERVED_SUFFIXES)
        or _is_ip(name)
    ):
        raise InvalidBucketName(name)


def check_key(key: str) -> None:
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise KeyTooLong(key)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True
