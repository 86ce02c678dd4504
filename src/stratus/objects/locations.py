"""Where an object is, as other services name it: CloudFormation's TemplateURL and S3 URLs.

    s3://bucket/key
    https://bucket.s3.amazonaws.com/key           https://bucket.s3.<region>.amazonaws.com/key
    https://s3.amazonaws.com/bucket/key           https://s3.<region>.amazonaws.com/bucket/key
    http://bucket.s3.localhost:4566/key           http://bucket.localhost:4566/key
    http://127.0.0.1:4566/bucket/key              (any other host: path style)

A `versionId` query names a version. Keys are percent-decoded.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

_VIRTUAL = re.compile(
    r"^(?P<bucket>[a-z0-9][a-z0-9.-]*?)\.s3(?:[.-][a-z0-9-]+)?\.(?:amazonaws\.com|localhost)$"
)
_LOCAL_VIRTUAL = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.-]*)\.localhost$")
_PATH_HOSTS = re.compile(r"^s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com$")


@dataclass(frozen=True, slots=True)
class Location:
    bucket: str
    key: str
    version_id: str | None = None


def location_of(url: str) -> Location | None:
    """The object a URL names; None when it names none (no bucket or no key)."""
    parts = urllib.parse.urlsplit(url)
    version = dict(urllib.parse.parse_qsl(parts.query)).get("versionId")
    host = (parts.hostname or "").lower()
    path = urllib.parse.unquote(parts.path)
    if parts.scheme == "s3":
        bucket, key = host, path.lstrip("/")
    elif parts.scheme not in ("http", "https"):
        return None
    elif (found := _VIRTUAL.match(host) or _LOCAL_VIRTUAL.match(host)) and not _PATH_HOSTS.match(
        host
    ):
        bucket, key = found["bucket"], path.lstrip("/")
    else:
        bucket, _, key = path.lstrip("/").partition("/")
    if not bucket or not key:
        return None
    return Location(bucket, key, version)
