"""What the S3 handlers share: reading write options from the members, rendering a
version's headers, S3's owner, key encoding and continuation tokens."""

from __future__ import annotations

import base64
import binascii
import hashlib
import urllib.parse
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from stratus.aws.protocols.adapter import Call
from stratus.aws.protocols.body import BodyStream
from stratus.aws.protocols.timestamps import format_time, parse_time
from stratus.aws.s3_chunked import AwsChunked, is_chunked
from stratus.objects import acls, checksums, conditions
from stratus.objects.acls import Grant
from stratus.objects.errors import (
    AccessControlListNotSupported,
    InvalidArgument,
    InvalidRedirectLocation,
    InvalidTag,
    MalformedAcl,
)
from stratus.objects.model import CONTENT_HEADERS, NULL_VERSION, Bucket, ObjectVersion, WriteOptions

# Canned ACLs a BucketOwnerEnforced bucket still accepts (they say what enforcement does).
ENFORCED_ACLS = (None, "private", "bucket-owner-full-control")


def owner(call: Call) -> dict[str, str]:
    account = call.services.settings.account_id
    return {"ID": hashlib.sha256(account.encode()).hexdigest(), "DisplayName": "stratus"}


def grants_of(
    ownership: str, public_access: Mapping[str, bool] | None, p: Mapping[str, Any]
) -> tuple[Grant, ...]:
    """The grants a request's canned ACL, x-amz-grant-* headers or AccessControlPolicy body
    name. Under BucketOwnerEnforced ACLs are off: setting one is refused as AWS refuses it
    (private and bucket-owner-full-control say what enforcement does, and pass). Public
    grants are refused while Block Public Access blocks public ACLs."""
    named, policy = p.get("ACL"), p.get("AccessControlPolicy")
    headers = {m: p[m] for m in acls.GRANT_MEMBERS if p.get(m)}
    if ownership == "BucketOwnerEnforced":
        if named not in ENFORCED_ACLS or headers or policy:
            raise AccessControlListNotSupported()
        return ()
    grants = acls.canned(named) if named else []
    for member, value in headers.items():
        grants += acls.from_header(acls.GRANT_MEMBERS[member], value)
    if policy:
        grants += [_grant_of(g) for g in policy.get("Grants") or []]
    grants = [g for g in grants if not _owners(g, p)]
    acls.check_public(grants, dict(public_access or {}))
    return tuple(grants)


def check_acl(bucket: Bucket, p: Mapping[str, Any]) -> tuple[Grant, ...]:
    return grants_of(bucket.ownership, bucket.public_access, p)


def acls_in_force(bucket: Bucket, grants: tuple[Grant, ...]) -> tuple[Grant, ...]:
    """What Get*Acl answers besides the owner: nothing while ACLs are off. A bucket switched to
    BucketOwnerEnforced keeps its objects' old grants, but AWS no longer reads them and
    answers the owner's FULL_CONTROL alone (they return if ACLs are turned back on)."""
    return () if bucket.ownership == "BucketOwnerEnforced" else grants


def _grant_of(item: Mapping[str, Any]) -> Grant:
    grantee = item.get("Grantee") or {}
    kind = grantee.get("Type", "CanonicalUser")
    value = grantee.get("URI") or grantee.get("ID") or grantee.get("EmailAddress") or ""
    permission = item.get("Permission", "")
    if permission not in acls.PERMISSIONS or not value:
        raise MalformedAcl()
    return Grant(kind, value, permission)


def _owners(grant: Grant, p: Mapping[str, Any]) -> bool:
    """The owner's FULL_CONTROL is implied, never stored (AccessControlPolicy repeats it)."""
    owner_id = ((p.get("AccessControlPolicy") or {}).get("Owner") or {}).get("ID")
    return grant.kind == "CanonicalUser" and grant.grantee == owner_id


def acl_answer(call: Call, grants: tuple[Grant, ...]) -> dict[str, Any]:
    """GetBucketAcl / GetObjectAcl: the owner's FULL_CONTROL, then the stored grants."""
    me = owner(call)
    answer = [{"Grantee": {"Type": "CanonicalUser", **me}, "Permission": "FULL_CONTROL"}]
    for g in grants:
        field = {"CanonicalUser": "ID", "Group": "URI"}.get(g.kind, "EmailAddress")
        answer.append({"Grantee": {"Type": g.kind, field: g.grantee}, "Permission": g.permission})
    return {"Owner": me, "Grants": answer}


def write_options(call: Call, p: Mapping[str, Any]) -> WriteOptions:
    headers = {name: _header_text(p[name]) for name in CONTENT_HEADERS if p.get(name) is not None}
    redirect = headers.get("WebsiteRedirectLocation")
    if redirect is not None and not redirect.startswith(("/", "http://", "https://")):
        raise InvalidRedirectLocation()
    encoding = headers.get("ContentEncoding")
    if encoding is not None:  # aws-chunked is how the body travelled, not what it is
        kept = [e.strip() for e in encoding.split(",") if e.strip() != "aws-chunked"]
        if kept:
            headers["ContentEncoding"] = ",".join(kept)
        else:
            del headers["ContentEncoding"]
    expected = {
        a: p[checksums.member(a)] for a in checksums.ALGORITHMS if p.get(checksums.member(a))
    }
    algorithm = p.get("ChecksumAlgorithm")
    if algorithm is None and expected:
        algorithm = next(iter(expected))
    if algorithm is None:
        trailer = call.headers.get("x-amz-trailer", "").strip().lower()
        algorithm = next((a for a in checksums.ALGORITHMS if checksums.header(a) == trailer), None)
    if algorithm is not None and algorithm not in checksums.ALGORITHMS:
        raise InvalidArgument(
            f"Checksum algorithm {algorithm} is not supported by Stratus",
            "x-amz-sdk-checksum-algorithm",
            algorithm,
        )
    return WriteOptions(
        headers=headers,
        metadata=dict(p.get("Metadata") or {}),
        tags=tags_of_header(p.get("Tagging")),
        checksum_algorithm=algorithm,
        expected=expected,
        content_md5=p.get("ContentMD5"),
        if_none_match=p.get("IfNoneMatch"),
        if_match=p.get("IfMatch"),
        declared_size=_declared_size(call, p),
        request_id=call.request_id,
        source_ip=source_ip(call),
    )


def source_ip(call: Call) -> str:
    client = call.scope.get("client")
    return str(client[0]) if client else "127.0.0.1"


def _declared_size(call: Call, p: Mapping[str, Any]) -> int | None:
    """The object's size as the request declares it: x-amz-decoded-content-length for an
    aws-chunked body (its Content-Length counts the framing), else Content-Length."""
    if is_chunked(call.headers):
        decoded = call.headers.get("x-amz-decoded-content-length", "")
        return int(decoded) if decoded.isdigit() else None
    length: int | None = p.get("ContentLength")
    return length


def _header_text(value: object) -> str:
    if isinstance(value, datetime):
        return format_time(value, "rfc822")
    return str(value)


def tags_of_header(raw: str | None) -> dict[str, str]:
    """x-amz-tagging: URL-query form, key=value&…"""
    if not raw:
        return {}
    tags = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
    check_tags(tags)
    return tags


def check_tags(tags: Mapping[str, str]) -> None:
    if len(tags) > 50:
        raise InvalidTag("Object tags cannot be greater than 50")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise InvalidTag("The TagKey you have provided is invalid")


def tag_set(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def tags_of_set(tag_set_: list[dict[str, str]]) -> dict[str, str]:
    tags = {t["Key"]: t.get("Value", "") for t in tag_set_}
    if len(tags) != len(tag_set_):
        raise InvalidTag("Cannot provide multiple Tags with the same key")
    check_tags(tags)
    return tags


def version_headers(v: ObjectVersion, checksum_mode: bool) -> dict[str, Any]:
    """The members GET and HEAD answer about a version (its content headers, metadata,
    ETag, …); the checksum only when asked for (ChecksumMode=ENABLED)."""
    out: dict[str, Any] = {
        "ETag": v.etag,
        "LastModified": v.modified,
        "ContentLength": v.size,
        "AcceptRanges": "bytes",
        "ContentType": "binary/octet-stream",
        # Every object is encrypted at rest with S3-managed keys on AWS since 2023, and it
        # says so; Stratus's files are the server's disk, as its encryption is.
        "ServerSideEncryption": "AES256",
    }
    for name, value in v.headers.items():
        out[name] = parse_time(value, "rfc822") if name == "Expires" else value
    if v.metadata:
        out["Metadata"] = dict(v.metadata)
    if v.version_id != NULL_VERSION:
        out["VersionId"] = v.version_id
    if v.parts:
        out["PartsCount"] = v.parts
    if v.tags:
        out["TagCount"] = len(v.tags)
    if checksum_mode and v.checksum is not None:
        out.update(checksum_members(v))
    return out


def checksum_members(v: ObjectVersion) -> dict[str, str]:
    if v.checksum is None:
        return {}
    return {
        checksums.member(v.checksum.algorithm): v.checksum.value,
        "ChecksumType": v.checksum.type,
    }


def encode_key(value: str | None, url: bool) -> str | None:
    """A key (prefix, marker) as a listing answers it: URL-encoded under EncodingType=url."""
    if value is None or not url:
        return value
    return urllib.parse.quote(value, safe="/~")


def token_of(marker: str | None) -> str | None:
    return None if marker is None else base64.urlsafe_b64encode(marker.encode()).decode()


def marker_of(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidArgument(
            "The continuation token provided is incorrect", "continuation-token", token
        ) from exc


def copy_source(raw: str) -> tuple[str, str, str | None]:
    """(bucket, key, version id) of x-amz-copy-source: [/]bucket/key[?versionId=…],
    URL-encoded."""
    path, _, query = raw.partition("?")
    path = urllib.parse.unquote(path).lstrip("/")
    bucket, _, key = path.partition("/")
    if not bucket or not key:
        raise InvalidArgument("Invalid copy source object key", "x-amz-copy-source", raw)
    version = dict(urllib.parse.parse_qsl(query)).get("versionId")
    return bucket, key, version


def request_body(call: Call, p: dict[str, Any]) -> BodyStream | AwsChunked:
    body = p.get("Body")
    if body is None:
        body = BodyStream(_empty)
    return AwsChunked(body) if is_chunked(call.headers) else body


async def _empty() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def copy_source_version(call: Call, p: dict[str, Any]) -> ObjectVersion:
    bucket, key, version_id = copy_source(p["CopySource"])
    source = await call.services.objects.head_object(bucket, key, version_id)
    conditions.check_read(
        source,
        p.get("CopySourceIfMatch"),
        p.get("CopySourceIfNoneMatch"),
        p.get("CopySourceIfModifiedSince"),
        p.get("CopySourceIfUnmodifiedSince"),
    )
    return source
