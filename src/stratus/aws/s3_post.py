"""S3's POST Object: a browser uploads a file with an HTML form (multipart/form-data) to a
bucket, as `generate_presigned_post` prepares it. The form carries no Authorization header:
its `policy` field (post_policy.py) says what the upload may be, its signature signs the
policy (checked when STRATUS_VERIFY_SIGNATURES is on; Stratus takes any credentials
otherwise). The file part streams to the object store like PutObject's body.

    fields before `file`    key (${filename} replaced), policy, signature fields,
                            Content-Type, Cache-Control, Content-Disposition,
                            Content-Encoding, Expires, Content-MD5, x-amz-meta-*,
                            tagging (XML), acl,
                            x-amz-storage-class, success_action_status/_redirect
    answer                  204 (default), 200, 201 with <PostResponse>, or 303 to
                            success_action_redirect?bucket=…&key=…&etag=…
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import Receive, Scope

from stratus import ids
from stratus.errors import StratusError
from stratus.iam.sigv4 import Refused, verify_post
from stratus.objects import post_policy
from stratus.objects.errors import (
    AccessDenied,
    EntityTooLarge,
    EntityTooSmall,
    InvalidArgument,
    MalformedXml,
)
from stratus.objects.model import ObjectVersion

from .protocols import xml_codec
from .protocols.adapter import Call
from .protocols.errors import ErrorTable, WireError
from .protocols.rest_xml import DRAIN_LIMIT, error_response
from .s3_form import FormStream, boundary_of
from .s3_wire import check_acl, tags_of_set, write_options

_CONTENT_FIELDS = {
    "content-type": "ContentType",
    "cache-control": "CacheControl",
    "content-disposition": "ContentDisposition",
    "content-encoding": "ContentEncoding",
    "content-language": "ContentLanguage",
    "expires": "Expires",
    "x-amz-website-redirect-location": "WebsiteRedirectLocation",
}
_REFUSALS = {
    "missing": WireError("AccessDenied", 403),
    "incomplete": WireError("InvalidArgument", 400),
    "unknown-key": WireError("InvalidAccessKeyId", 403),
    "mismatch": WireError("SignatureDoesNotMatch", 403),
}


class _SignatureRefused(StratusError):
    """A form whose signature is refused, with the S3 code its kind is spelled in."""

    def __init__(self, message: str, wire: WireError) -> None:
        super().__init__(message)
        self.wire = wire


def is_form_post(scope: Scope, path: str | None = None) -> bool:
    """A POST of multipart/form-data to a bucket (`/bucket`, no key): a browser upload."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return False
    bucket_path = (scope["path"] if path is None else path).strip("/")
    if not bucket_path or "/" in bucket_path:
        return False
    return boundary_of(Headers(scope=scope).get("content-type", "")) is not None


async def wait_post(scope: Scope, receive: Receive, errors: ErrorTable) -> Response:
    """The upload's answer: the success the form asks for, or S3's XML error."""
    request_id = ids.uuid4()
    headers = Headers(scope=scope)
    boundary = boundary_of(headers.get("content-type", "")) or b""
    form = FormStream(receive, boundary)
    try:
        answer = await _wait_upload(Call.of(scope, headers, request_id), form)
    except _SignatureRefused as exc:
        answer = error_response(exc, {**errors, _SignatureRefused: exc.wire}, request_id)
    except StratusError as exc:
        answer = error_response(exc, errors, request_id)
    if not form.ended:  # refused before the body was read: drop the rest, or close
        try:
            drained = await form.wait_drain(DRAIN_LIMIT)
        except (ClientDisconnect, StratusError):
            drained = False
        if not drained:
            answer.headers["Connection"] = "close"
    return answer


async def _wait_upload(call: Call, form: FormStream) -> Response:
    bucket = call.scope["path"].strip("/")
    fields = await form.wait_fields()
    if "key" not in fields:
        raise InvalidArgument(
            "Bucket POST must contain a field named 'key'.  If it is specified, please check "
            "the order of the fields.",
            "key",
        )
    policy = _checked_policy(call, bucket, fields)
    found = await call.services.objects.bucket(bucket)
    key = fields["key"].replace("${filename}", form.filename)
    members: dict[str, Any] = {m: fields[f] for f, m in _CONTENT_FIELDS.items() if f in fields}
    members["Metadata"] = {f[11:]: v for f, v in fields.items() if f.startswith("x-amz-meta-")}
    members["ACL"] = fields.get("acl")
    members["ContentMD5"] = fields.get("content-md5")
    options = replace(
        write_options(call, members),
        acl=check_acl(found, members),
        tags=_tags(fields.get("tagging")),
    )
    low, high = post_policy.size_range(policy)
    version = await call.services.objects.put_object(
        bucket, key, _Bounded(form, low, high), options, event="ObjectCreated:Post"
    )
    return _success(call, fields, version)


def _checked_policy(
    call: Call, bucket: str, fields: dict[str, str]
) -> post_policy.PostPolicy | None:
    """The form's policy, checked (none: an anonymous upload, refused once signatures are
    checked, as Stratus has no public-write buckets)."""
    if call.services.settings.verify_signatures:
        try:
            verify_post(fields, call.services.iam.secret_of)
        except Refused as refused:
            wire = _REFUSALS.get(refused.kind, WireError("AccessDenied", 403))
            raise _SignatureRefused(refused.message, wire) from refused
    if "policy" not in fields:
        if call.services.settings.verify_signatures:
            raise AccessDenied("Access Denied")
        return None
    policy = post_policy.parse(fields["policy"])
    post_policy.check(policy, bucket, fields, time.time())
    return policy


def _tags(document: str | None) -> dict[str, str]:
    """The tagging field: <Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>."""
    if not document:
        return {}
    root = xml_codec.loads(document.encode())
    if root.tag.rsplit("}", 1)[-1] != "Tagging":
        raise MalformedXml()
    found = [
        {
            (child.tag.rsplit("}", 1)[-1]): child.text or ""
            for child in tag
            if child.tag.rsplit("}", 1)[-1] in ("Key", "Value")
        }
        for tag in root.iter()
        if tag.tag.rsplit("}", 1)[-1] == "Tag"
    ]
    if any("Key" not in t for t in found):
        raise MalformedXml()
    return tags_of_set(found)


class _Bounded:
    """The file's bytes, refused the moment they pass the policy's content-length-range
    maximum, and at the end when short of its minimum."""

    def __init__(self, form: FormStream, low: int, high: int | None) -> None:
        self._form = form
        self._low, self._high = low, high
        self.trailers: dict[str, str] = {}

    async def __aiter__(self) -> AsyncIterator[bytes]:
        size = 0
        async for chunk in self._form:
            size += len(chunk)
            if self._high is not None and size > self._high:
                raise EntityTooLarge(size, self._high)
            yield chunk
        if size < self._low:
            raise EntityTooSmall(size, self._low)


def _success(call: Call, fields: dict[str, str], version: ObjectVersion) -> Response:
    location = _location(call, version)
    headers = {
        "ETag": version.etag,
        "Location": location,
        "x-amz-request-id": call.request_id,
        "x-amz-server-side-encryption": "AES256",
    }
    if version.version_id != "null":
        headers["x-amz-version-id"] = version.version_id
    redirect = fields.get("success_action_redirect") or fields.get("redirect")
    if redirect and urllib.parse.urlsplit(redirect).scheme in ("http", "https"):
        query = urllib.parse.urlencode(
            {"bucket": version.bucket, "key": version.key, "etag": version.etag}
        )
        joiner = "&" if urllib.parse.urlsplit(redirect).query else "?"
        return Response(b"", 303, {**headers, "Location": f"{redirect}{joiner}{query}"})
    status = fields.get("success_action_status", "")
    if status == "201":
        escape = xml_codec.escape
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse>'
            f"<Location>{escape(location)}</Location><Bucket>{escape(version.bucket)}</Bucket>"
            f"<Key>{escape(version.key)}</Key><ETag>{escape(version.etag)}</ETag>"
            "</PostResponse>"
        )
        return Response(body.encode(), 201, {**headers, "Content-Type": "application/xml"})
    return Response(b"", 200 if status == "200" else 204, headers)


def _location(call: Call, version: ObjectVersion) -> str:
    """The object's URL, as the request reached the bucket (its host, or path style)."""
    host = call.headers.get("host", "localhost")
    key = urllib.parse.quote(version.key, safe="/~")
    if call.scope.get("s3_virtual_bucket"):
        return f"http://{host}/{key}"
    return f"http://{host}/{urllib.parse.quote(version.bucket)}/{key}"


__all__ = ["is_form_post", "wait_post"]
