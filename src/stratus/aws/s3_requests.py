"""Which requests are S3's, and the bucket a virtual-host request names.

S3 shares the endpoint with every other API, and its paths (`/{Bucket}/{Key+}`) could be
anyone's, so a request is S3's only when it says so:

    Host: photos.localhost:4566            virtual-host style (also photos.s3.localhost,
    Host: photos.s3.us-east-1.localhost    photos.s3.<region>.localhost)
    Authorization: AWS4-HMAC-SHA256 Credential=…/us-east-1/s3/aws4_request, …   (path style)
    ?X-Amz-Credential=…%2Fs3%2Faws4_request&X-Amz-Expires=…                       (presigned)
    ?AWSAccessKeyId=…&Signature=…&Expires=<epoch>      (presigned, S3's SigV2 query form,
                                                        boto3's default for presigned S3 URLs)

A browser's form upload (POST of multipart/form-data to `/bucket`, unsigned: its policy and
signature are form fields) is S3's too (s3_post.py). Browser preflights (OPTIONS with Origin
and Access-Control-Request-Method, unsigned) are S3's too unless their path is another API's
(s3_cors.py answers them from the bucket's rules).
Every other request passes to the other routes untouched. A virtual-host request's path gets
its bucket in front (`/key` → `/photos/key`), so routing sees one form. Presigned URLs are
checked against their expiry here (AccessDenied "Request has expired"); signatures are not
checked, as Stratus takes any credentials.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from datetime import UTC, datetime

from starlette.datastructures import Headers
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from stratus.errors import StratusError
from stratus.objects.errors import AccessDenied, InvalidArgument

from .protocols.rest_xml import RestXml, error_response
from .s3_cors import is_preflight, wait_cors
from .s3_post import is_form_post, wait_post

_VIRTUAL = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.-]*?)(?:\.s3(?:\.[a-z0-9-]+)?)?\.localhost$")
_OTHER_HOSTS = (".execute-api.localhost", ".lambda-url.localhost")
_SCOPE = b"/s3/aws4_request"
_SCOPE_QUOTED = b"%2Fs3%2Faws4_request"
MAX_EXPIRES = 604_800  # 7 days, SigV4's longest


def virtual_bucket(host: str | None) -> str | None:
    """The bucket a Host header names, virtual-host style; None for any other host."""
    if not host:
        return None
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.lower()
    if name.endswith(_OTHER_HOSTS) or name in ("localhost", "s3.localhost"):
        return None
    if name.startswith("s3.") and name.count(".") == 2:  # s3.<region>.localhost
        return None
    found = _VIRTUAL.match(name)
    return found["bucket"] if found else None


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def signed_for_s3(scope: Scope) -> bool:
    authorization = _header(scope, b"authorization")
    if authorization is not None:
        return s3_authorization(authorization)
    query: bytes = scope.get("query_string", b"")
    if _SCOPE_QUOTED in query or _SCOPE in query:
        return True
    return b"AWSAccessKeyId=" in query and b"Signature=" in query and b"Expires=" in query


def s3_authorization(authorization: bytes) -> bool:
    """Whether an Authorization header signs for S3 (SigV4 scope s3, or S3's SigV2 form)."""
    return _SCOPE in authorization or authorization.startswith(b"AWS ")


class S3Route(BaseRoute):
    """Serves S3's requests (see the module docstring); matches nothing else."""

    def __init__(self, api: RestXml) -> None:
        self.api = api

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        bucket = virtual_bucket((_header(scope, b"host") or b"").decode("latin-1"))
        if bucket is not None:
            raw = scope.get("raw_path") or scope["path"].encode()
            prefix = b"/" + bucket.encode()
            return Match.FULL, {
                "raw_path": prefix + raw,
                "path": "/" + bucket + scope["path"],
                "s3_virtual_bucket": bucket,
            }
        if signed_for_s3(scope) or (is_preflight(scope) and _bucket_path(scope["path"])):
            return Match.FULL, {}
        if is_form_post(scope) and _bucket_path(scope["path"]):
            return Match.FULL, {}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        cors = await wait_cors(scope, headers)
        if cors is not None and is_preflight(scope):
            await cors.preflight(headers)(scope, receive, send)
            return
        expired = presign_expired(scope)
        if is_form_post(scope) and expired is None:
            response = await wait_post(scope, receive, self.api.api.errors)
        elif expired is not None:
            response = error_response(expired, self.api.api.errors, "0" * 16, scope["method"])
        else:
            response = await self.api.wait_answer(scope, receive)
        if cors is not None:
            cors.decorate(response, scope["method"])
        await response(scope, receive, send)


# First path segments of the other APIs on the endpoint (Lambda's dated ones, API Gateway's,
# Stratus's own): a browser preflight to any other path is a path-style request to a bucket.
_OTHER_APIS = re.compile(
    r"/(\d{4}-\d{2}-\d{2}|restapis|apikeys|usageplans|domainnames|v2|tags|_stratus|_aws)(/|$)"
)


def _bucket_path(path: str) -> bool:
    return len(path) > 1 and not _OTHER_APIS.match(path)


def presign_expired(scope: Scope, now: float | None = None) -> StratusError | None:
    """AccessDenied when a presigned URL's X-Amz-Date + X-Amz-Expires has passed."""
    raw: bytes = scope.get("query_string", b"")
    moment = time.time() if now is None else now
    if b"X-Amz-Expires" not in raw:
        if b"AWSAccessKeyId=" in raw and b"Expires=" in raw:  # SigV2: Expires is epoch seconds
            ends = dict(urllib.parse.parse_qsl(raw.decode("latin-1"))).get("Expires", "")
            if ends.isdigit() and moment > int(ends):
                return _expired(ends, datetime.fromtimestamp(int(ends), UTC), moment)
        return None
    query = dict(urllib.parse.parse_qsl(raw.decode("latin-1")))
    expires, signed = query.get("X-Amz-Expires", ""), query.get("X-Amz-Date", "")
    if not expires.isdigit() or int(expires) > MAX_EXPIRES:
        return InvalidArgument(
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
            "X-Amz-Expires",
            expires,
        )
    try:
        start = datetime.strptime(signed, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return InvalidArgument(
            "X-Amz-Date must be in the ISO8601 Long Format", "X-Amz-Date", signed
        )
    if moment > start + int(expires):
        return _expired(expires, datetime.fromtimestamp(start + int(expires), UTC), moment)
    return None


def _expired(given: str, ends: datetime, moment: float) -> AccessDenied:
    return AccessDenied(
        "Request has expired",
        **{
            "X-Amz-Expires": given,
            "Expires": f"{ends:%Y-%m-%dT%H:%M:%SZ}",
            "ServerTime": f"{datetime.fromtimestamp(moment, UTC):%Y-%m-%dT%H:%M:%SZ}",
        },
    )


__all__ = ["S3Route", "presign_expired", "virtual_bucket"]
