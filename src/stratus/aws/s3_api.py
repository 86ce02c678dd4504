"""Amazon S3 (rest-xml): objects here; buckets, listings and multipart uploads in
s3_buckets_api.py, s3_listings_api.py and s3_multipart_api.py; all over the object service.
Bodies of PutObject and UploadPart reach the service unread, decoded from aws-chunked when so
sent (s3_chunked.py); GetObject streams its file back. Requests reach this API only through
s3_requests.S3Route (a bucket's Host, or SigV4 scope s3)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from stratus.errors import (
    AlreadyExists,
    Conflict,
    Invalid,
    Malformed,
    NotFound,
    PreconditionFailed,
    StratusError,
    TooLarge,
)
from stratus.objects import checksums, conditions, errors
from stratus.objects.model import NULL_VERSION, ObjectVersion, WriteOptions

from . import s3_buckets_api, s3_listings_api, s3_multipart_api
from .protocols.adapter import Api, Call, Handler
from .protocols.errors import REST_XML_ERRORS, ErrorTable, WireError, wire_error
from .s3_wire import (
    acl_answer,
    acls_in_force,
    check_acl,
    checksum_members,
    copy_source_version,
    request_body,
    source_ip,
    tag_set,
    tags_of_set,
    version_headers,
    write_options,
)

ERRORS: ErrorTable = {
    errors.NoSuchBucket: WireError("NoSuchBucket", 404),
    errors.NoSuchKey: WireError("NoSuchKey", 404),
    errors.NoSuchVersion: WireError("NoSuchVersion", 404),
    errors.NoSuchUpload: WireError("NoSuchUpload", 404),
    errors.NoSuchTagSet: WireError("NoSuchTagSet", 404),
    errors.NoSuchBucketPolicy: WireError("NoSuchBucketPolicy", 404),
    errors.NoSuchCORSConfiguration: WireError("NoSuchCORSConfiguration", 404),
    errors.NoSuchWebsiteConfiguration: WireError("NoSuchWebsiteConfiguration", 404),
    errors.NoSuchLifecycleConfiguration: WireError("NoSuchLifecycleConfiguration", 404),
    errors.NoSuchPublicAccessBlockConfiguration: WireError(
        "NoSuchPublicAccessBlockConfiguration", 404
    ),
    errors.OwnershipControlsNotFound: WireError("OwnershipControlsNotFoundError", 404),
    NotFound: WireError("NoSuchKey", 404),
    errors.BucketAlreadyOwnedByYou: WireError("BucketAlreadyOwnedByYou", 409),
    AlreadyExists: WireError("BucketAlreadyExists", 409),
    errors.BucketNotEmpty: WireError("BucketNotEmpty", 409),
    errors.DeleteMarkerVersion: WireError("MethodNotAllowed", 405),
    Conflict: WireError("OperationAborted", 409),
    errors.InvalidBucketName: WireError("InvalidBucketName", 400),
    errors.KeyTooLong: WireError("KeyTooLongError", 400),
    errors.InvalidArgument: WireError("InvalidArgument", 400),
    errors.InvalidRedirectLocation: WireError("InvalidRedirectLocation", 400),
    errors.InvalidRequest: WireError("InvalidRequest", 400),
    errors.InvalidLocationConstraint: WireError("InvalidLocationConstraint", 400),
    errors.IllegalLocationConstraint: WireError("IllegalLocationConstraintException", 400),
    errors.EntityTooSmall: WireError("EntityTooSmall", 400),
    errors.InvalidPart: WireError("InvalidPart", 400),
    errors.InvalidPartOrder: WireError("InvalidPartOrder", 400),
    errors.BadDigest: WireError("BadDigest", 400),
    errors.IncompleteBody: WireError("IncompleteBody", 400),
    errors.InvalidDigest: WireError("InvalidDigest", 400),
    errors.MalformedPolicy: WireError("MalformedPolicy", 400),
    errors.InvalidPolicyDocument: WireError("InvalidPolicyDocument", 400),
    errors.MalformedPostRequest: WireError("MalformedPOSTRequest", 400),
    errors.MalformedXml: WireError("MalformedXML", 400),
    errors.MalformedAcl: WireError("MalformedACLError", 400),
    errors.InvalidTag: WireError("InvalidTag", 400),
    errors.InvalidBucketAcl: WireError("InvalidBucketAclWithObjectOwnership", 400),
    errors.InvalidBucketAclWithBlockPublicAccess: WireError(
        "InvalidBucketAclWithBlockPublicAccessError", 400
    ),
    errors.AccessControlListNotSupported: WireError("AccessControlListNotSupported", 400),
    Malformed: WireError("MalformedXML", 400),
    Invalid: WireError("InvalidArgument", 400),
    errors.EntityTooLarge: WireError("EntityTooLarge", 400),
    TooLarge: WireError("EntityTooLarge", 400),
    errors.NotModified: WireError("NotModified", 304),
    errors.InvalidRange: WireError("InvalidRange", 416),
    errors.InvalidPartNumber: WireError("InvalidPartNumber", 416),
    PreconditionFailed: WireError("PreconditionFailed", 412),
    errors.AccessDenied: WireError("AccessDenied", 403),
}


# ---- objects ------------------------------------------------------------------------------


async def put_object(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    objects = call.services.objects
    grants = check_acl(await objects.bucket(p["Bucket"]), p)
    options = replace(write_options(call, p), acl=grants)
    version = await objects.put_object(p["Bucket"], p["Key"], request_body(call, p), options)
    return _written(version)


def _written(v: ObjectVersion) -> dict[str, Any]:
    out: dict[str, Any] = {"ETag": v.etag, "ServerSideEncryption": "AES256", **checksum_members(v)}
    if v.version_id != "null":
        out["VersionId"] = v.version_id
    return out


async def _readable(call: Call, p: dict[str, Any]) -> ObjectVersion:
    version = await call.services.objects.head_object(p["Bucket"], p["Key"], p.get("VersionId"))
    conditions.check_read(
        version,
        p.get("IfMatch"),
        p.get("IfNoneMatch"),
        p.get("IfModifiedSince"),
        p.get("IfUnmodifiedSince"),
    )
    return version


_OVERRIDES = {
    "ResponseCacheControl": "CacheControl",
    "ResponseContentDisposition": "ContentDisposition",
    "ResponseContentEncoding": "ContentEncoding",
    "ResponseContentLanguage": "ContentLanguage",
    "ResponseContentType": "ContentType",
    "ResponseExpires": "Expires",
}


async def _answer(call: Call, p: dict[str, Any], body: bool) -> dict[str, Any]:
    version = await _readable(call, p)
    span = _span(p, version)
    whole = span is None
    out = version_headers(version, p.get("ChecksumMode") == "ENABLED" and whole)
    first, last = span if span is not None else (0, version.size - 1)
    if span is not None:
        out["ContentRange"] = f"bytes {first}-{last}/{version.size}"
        out["ContentLength"] = last - first + 1
    for given, member in _OVERRIDES.items():
        if p.get(given) is not None:
            out[member] = p[given]
    if body:
        out["Body"] = call.services.objects.wait_read(version, first, last)
    return out


def _span(p: dict[str, Any], version: ObjectVersion) -> tuple[int, int] | None:
    """The bytes a GET or HEAD asks for: a Range, or a part by its number (both: refused)."""
    number = p.get("PartNumber")
    if number is None:
        return conditions.byte_range(p.get("Range"), version.size)
    if p.get("Range"):
        raise errors.InvalidRequest(
            "Cannot specify both Range header and partNumber query parameter"
        )
    span = version.part_range(number)
    if span is None:
        raise errors.InvalidPartNumber(number, len(version.part_sizes) or 1)
    return span


async def get_object(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    return await _answer(call, p, body=True)


async def head_object(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    return await _answer(call, p, body=False)


# ---- GetObjectAttributes: HeadObject's facts and ListParts' parts, chosen by name -----------

ATTRIBUTES = frozenset({"ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"})


async def get_object_attributes(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    wanted = _attributes(p.get("ObjectAttributes"))
    version = await _readable(call, p)  # HeadObject's read: NoSuchKey, delete markers (405)
    out: dict[str, Any] = {"LastModified": version.modified}
    if version.version_id != NULL_VERSION:
        out["VersionId"] = version.version_id
    if "ETag" in wanted:
        out["ETag"] = version.etag.strip('"')  # S3 answers this one without its quotes
    if "Checksum" in wanted and version.checksum is not None:
        # The composite value without its "-N", as S3 answers here (HEAD keeps it).
        value = version.checksum.value.rpartition("-")[0] or version.checksum.value
        out["Checksum"] = {
            checksums.member(version.checksum.algorithm): value,
            "ChecksumType": version.checksum.type,
        }
    if "ObjectParts" in wanted and version.parts:
        out["ObjectParts"] = _object_parts(version, p)
    if "StorageClass" in wanted:
        out["StorageClass"] = "STANDARD"
    if "ObjectSize" in wanted:
        out["ObjectSize"] = version.size
    return out


def _attributes(named: list[str] | None) -> set[str]:
    """x-amz-object-attributes, checked in S3's words: absent or empty is InvalidRequest,
    a name S3 does not know InvalidArgument."""
    names = {n.strip() for n in named or () if n.strip()}
    if not names:
        raise errors.InvalidRequest(
            "The x-amz-object-attributes header specifying the attributes to be retrieved "
            "is either missing or empty"
        )
    if not names <= ATTRIBUTES:
        raise errors.InvalidArgument("Invalid attribute name specified.")
    return names


def _object_parts(v: ObjectVersion, p: dict[str, Any]) -> dict[str, Any]:
    """TotalPartsCount always; the parts themselves, a page at a time after
    PartNumberMarker, only for an object whose checksum is COMPOSITE of its parts' (S3
    lists no parts without part-level checksums)."""
    out: dict[str, Any] = {"TotalPartsCount": v.parts}
    if not v.part_checksums or v.checksum is None:
        return out
    marker = max(p.get("PartNumberMarker") or 0, 0)
    most = min(max(p.get("MaxParts", 1000), 0), 1000)
    after = range(marker + 1, len(v.part_sizes) + 1)
    shown = after[:most]
    member = checksums.member(v.checksum.algorithm)
    out.update(
        PartNumberMarker=marker,
        MaxParts=most,
        IsTruncated=len(after) > most,
        Parts=[
            {"PartNumber": n, "Size": v.part_sizes[n - 1], member: v.part_checksums[n - 1]}
            for n in shown
        ],
    )
    if shown:
        out["NextPartNumberMarker"] = shown[-1]
    return out


async def delete_object(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    deleted = await call.services.objects.delete_object(
        p["Bucket"], p["Key"], p.get("VersionId"), call.request_id, source_ip(call)
    )
    out: dict[str, Any] = {}
    if deleted.delete_marker:
        out["DeleteMarker"] = True
    if deleted.version_id is not None:
        out["VersionId"] = deleted.version_id
    return out


async def delete_objects(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    chosen = p["Delete"].get("Objects") or []
    if len(chosen) > 1000:
        raise errors.MalformedXml()
    deleted, failed = [], []
    for item in chosen:
        try:
            done = await call.services.objects.delete_object(
                p["Bucket"], item["Key"], item.get("VersionId"), call.request_id, source_ip(call)
            )
        except errors.NoSuchBucket:
            raise
        except StratusError as exc:  # one key's failure is that key's entry, as S3 reports it
            code = wire_error(exc, ERRORS, REST_XML_ERRORS).code
            failed.append({"Key": item["Key"], "Code": code, "Message": exc.message})
            continue
        entry: dict[str, Any] = {"Key": item["Key"]}
        if item.get("VersionId"):
            entry["VersionId"] = item["VersionId"]
        if done.delete_marker:
            entry["DeleteMarker"] = True
            entry["DeleteMarkerVersionId"] = done.version_id
        deleted.append(entry)
    out: dict[str, Any] = {"Errors": failed} if failed else {}
    if not p["Delete"].get("Quiet"):
        out["Deleted"] = deleted
    return out


async def copy_object(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    objects = call.services.objects
    grants = check_acl(await objects.bucket(p["Bucket"]), p)
    try:
        source = await copy_source_version(call, p)
    except errors.NotModified as exc:  # a copy answers failed source conditions with 412
        raise errors.ConditionFailed("x-amz-copy-source-If-None-Match") from exc
    replace_metadata = p.get("MetadataDirective") == "REPLACE"
    same = source.bucket == p["Bucket"] and source.key == p["Key"]
    if same and not replace_metadata and not p.get("ChecksumAlgorithm"):
        raise errors.InvalidRequest(
            "This copy request is illegal because it is trying to copy an object to itself "
            "without changing the object's metadata, storage class, website redirect location "
            "or encryption attributes."
        )
    options = replace(write_options(call, p), acl=grants)
    if p.get("TaggingDirective") != "REPLACE":
        options = _keep_tags(options, source)
    version = await objects.copy_object(source, p["Bucket"], p["Key"], options, replace_metadata)
    out: dict[str, Any] = {
        "CopyObjectResult": {
            "ETag": version.etag,
            "LastModified": version.modified,
            **_checksum(version),
        }
    }
    if source.version_id != "null":
        out["CopySourceVersionId"] = source.version_id
    if version.version_id != "null":
        out["VersionId"] = version.version_id
    return out


def _keep_tags(options: WriteOptions, source: ObjectVersion) -> WriteOptions:
    return replace(options, tags=dict(source.tags))


def _checksum(v: ObjectVersion) -> dict[str, str]:
    members = checksum_members(v)
    members.pop("ChecksumType", None)
    return members


# ---- tags and ACLs of objects -------------------------------------------------------------


async def get_object_tagging(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    version = await call.services.objects.head_object(p["Bucket"], p["Key"], p.get("VersionId"))
    out: dict[str, Any] = {"TagSet": tag_set(version.tags)}
    if version.version_id != "null":
        out["VersionId"] = version.version_id
    return out


async def put_object_tagging(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    tags = tags_of_set(p["Tagging"].get("TagSet", []))
    version = await call.services.objects.set_object_tags(
        p["Bucket"], p["Key"], p.get("VersionId"), tags
    )
    return {} if version.version_id == "null" else {"VersionId": version.version_id}


async def delete_object_tagging(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    version = await call.services.objects.set_object_tags(
        p["Bucket"], p["Key"], p.get("VersionId"), {}
    )
    return {} if version.version_id == "null" else {"VersionId": version.version_id}


async def get_object_acl(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    bucket = await call.services.objects.bucket(p["Bucket"])
    version = await call.services.objects.head_object(p["Bucket"], p["Key"], p.get("VersionId"))
    return acl_answer(call, acls_in_force(bucket, version.acl))


async def put_object_acl(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    bucket = await call.services.objects.bucket(p["Bucket"])
    grants = check_acl(bucket, p)
    version = await call.services.objects.set_object_acl(
        p["Bucket"], p["Key"], p.get("VersionId"), list(grants)
    )
    return {} if version.version_id == "null" else {"VersionId": version.version_id}


HANDLERS: dict[str, Handler] = {
    **s3_buckets_api.HANDLERS,
    **s3_listings_api.HANDLERS,
    **s3_multipart_api.HANDLERS,
    "PutObject": put_object,
    "GetObject": get_object,
    "HeadObject": head_object,
    "GetObjectAttributes": get_object_attributes,
    "DeleteObject": delete_object,
    "DeleteObjects": delete_objects,
    "CopyObject": copy_object,
    "GetObjectTagging": get_object_tagging,
    "PutObjectTagging": put_object_tagging,
    "DeleteObjectTagging": delete_object_tagging,
    "GetObjectAcl": get_object_acl,
    "PutObjectAcl": put_object_acl,
}

# Checked by the handlers in S3's words rather than by the model's enums.
SERVICE_CHECKED = frozenset(
    {"CreateBucketConfiguration", "NotificationConfiguration", "ObjectAttributes"}
)

API = Api(
    "s3",
    HANDLERS,
    ERRORS,
    body_limit=16 * 1024 * 1024,  # XML bodies (DeleteObjects of 1,000 keys is ~100 KB)
    streamed=frozenset({"PutObject", "UploadPart"}),
)
