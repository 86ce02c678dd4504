"""Conditional requests and byte ranges, as S3 evaluates them (pure: no I/O).

Reads (GET, HEAD): If-Match wins over If-Unmodified-Since, If-None-Match over
If-Modified-Since, as RFC 7232 and S3 say: a failing If-Match or If-Unmodified-Since is 412
PreconditionFailed, a matching If-None-Match or unmodified If-Modified-Since is 304.
Writes: If-None-Match: * refuses to overwrite an existing object (412); If-Match names the
ETag the current object must have.
"""

from __future__ import annotations

import math
import re
from datetime import datetime

from .errors import ConditionFailed, InvalidRange, NotModified
from .model import ObjectVersion

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def etag_matches(condition: str, etag: str) -> bool:
    """Whether an If-Match / If-None-Match value names `etag` (quoted or not; * is any)."""
    bare = etag.strip('"')
    for item in condition.split(","):
        item = item.strip().removeprefix("W/")
        if item == "*" or item.strip('"') == bare:
            return True
    return False


def check_read(
    v: ObjectVersion,
    if_match: str | None,
    if_none_match: str | None,
    if_modified_since: datetime | None,
    if_unmodified_since: datetime | None,
) -> None:
    modified = math.floor(v.modified)  # HTTP dates carry whole seconds
    if if_match is not None and not etag_matches(if_match, v.etag):
        raise ConditionFailed("If-Match")
    if if_match is None and if_unmodified_since and modified > if_unmodified_since.timestamp():
        raise ConditionFailed("If-Unmodified-Since")
    if if_none_match is not None and etag_matches(if_none_match, v.etag):
        raise NotModified()
    if if_none_match is None and if_modified_since and modified <= if_modified_since.timestamp():
        raise NotModified()


def check_write(
    existing: ObjectVersion | None, if_match: str | None, if_none_match: str | None
) -> None:
    """Conditional writes (PutObject, CompleteMultipartUpload, CopyObject's target)."""
    live = existing is not None and not existing.delete_marker
    if if_none_match is not None and live:
        raise ConditionFailed("If-None-Match")
    if if_match is not None and (
        existing is None or not live or not etag_matches(if_match, existing.etag)
    ):
        raise ConditionFailed("If-Match")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a Range header, inclusive; None for the whole object (no
    header, or one S3 ignores: not bytes=, several ranges). InvalidRange when unsatisfiable."""
    if not header:
        return None
    found = _RANGE.fullmatch(header.strip())
    if found is None:
        return None
    first, last = found.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        count = int(last)
        if count == 0 or size == 0:
            raise InvalidRange(header, size)
        return max(0, size - count), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None  # bytes=9-3: not a range, the whole object (as S3 answers)
    if start >= size:
        raise InvalidRange(header, size)
    return start, min(end, size - 1)
