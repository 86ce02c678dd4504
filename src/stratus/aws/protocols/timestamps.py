"""Timestamps in the three forms AWS's models name (`timestampFormat`):

    iso8601        2026-01-01T00:00:00.000Z   query and rest-xml bodies, query strings
    rfc822         Thu, 01 Jan 2026 00:00:00 GMT   headers
    unixTimestamp  1767225600.0               JSON bodies (epoch seconds)

Parsing is lenient where AWS is: ISO 8601 with or without a zone (none means UTC), or epoch
seconds wherever a number appears.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime

_EPOCH = re.compile(r"[0-9]+(\.[0-9]*)?")


def parse_time(raw: str, form: str = "iso8601") -> datetime:
    """`raw` as an aware UTC datetime; ValueError when it is not a timestamp."""
    if form == "rfc822" and not _EPOCH.fullmatch(raw):
        try:
            return email.utils.parsedate_to_datetime(raw).astimezone(UTC)
        except (TypeError, IndexError) as exc:
            raise ValueError(raw) from exc
    if _EPOCH.fullmatch(raw):
        return datetime.fromtimestamp(float(raw), UTC)
    parsed = datetime.fromisoformat(raw)
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_time(value: datetime | float, form: str = "iso8601") -> str:
    moment = utc(value)
    if form == "rfc822":
        return email.utils.format_datetime(moment, usegmt=True)
    if form == "unixTimestamp":
        return f"{moment.timestamp():.3f}"
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def utc(value: datetime | float) -> datetime:
    """A datetime (naive ones are UTC) or epoch seconds, as an aware UTC datetime."""
    if not isinstance(value, datetime):
        return datetime.fromtimestamp(value, UTC)
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
