"""Amazon S3 (rest-xml): buckets (s3_buckets_api.py), objects and multipart uploads, over
the object service. Bodies of PutObject and UploadPart reach the service unread, decoded from
aws-chunked when so sent (s3_chunked.py); GetObject streams its file back."""

from __future__ import annotations

from typing import Any

from stratus.errors import (
    AlreadyExists,
    Conflict,
    Invalid,
    Malformed,
    NotFound,
    PreconditionFailed,
    TooLarge,
)
from stratus.objects import conditions, errors
from stratus.objects.model import ObjectVersion
from stratus.objects.multipart import MAX_PARTS, ChosenPart
from stratus.objects.service import MAX_OBJECT

from . import s3_buckets_api
from .protocols.adapter import Api, Call, Handler
from .protocols.body import BodyStream
from .protocols.errors import ErrorTable, WireError
from .s3_chunked import AwsChunked, is_chunked
from .s3_wire import (
    check_acl,
    checksum_members,
    copy_source,
    encode_key,
    marker_of,
    owner,
    tag_set,
    tags_of_set,
    token_of,
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
    errors.NoSuchPublicAccessBlockConfiguration: WireError(
        "NoSuchPublicAccessBlockConfiguration", 404
    ),
    errors.OwnershipControlsNotFound: WireError("OwnershipControlsNotFoundError", 404),
    NotFound: WireError("NoSuchKey", 404),
    errors.BucketAlreadyOwnedByYou: WireError("BucketAlreadyOwnedByYou", 409),
    AlreadyExists: WireError("BucketAlreadyExists", 409),
    errors.BucketNotEmpty: WireError("BucketNotEmpty", 409),
    Conflict: WireError("OperationAborted", 409),
    errors.InvalidBucketName: WireError("InvalidBucketName", 400),
    errors.KeyTooLong: WireError("KeyTooLongError", 400),
    errors.InvalidArgument: WireError("InvalidArgument", 400),
    errors.InvalidRequest: WireError("InvalidRequest", 400),
    errors.InvalidLocationConstraint: WireError("InvalidLocationConstraint", 400),
    errors.IllegalLocationConstraint: WireError("IllegalLocationConstraintException", 400),
    errors.EntityTooSmall: WireError("EntityTooSmall", 400),
    errors.InvalidPart: WireError("InvalidPart", 400),
    errors.InvalidPartOrder: WireError("InvalidPartOrder", 400),
    errors.BadDigest: WireError("BadDigest", 400),
    errors.InvalidDigest: WireError("InvalidDigest", 400),
    errors.MalformedPolicy: WireError("MalformedPolicy", 400),
    errors.MalformedXml: WireError("MalformedXML", 400),
    errors.InvalidTag: WireError("InvalidTag", 400),
    errors.InvalidBucketAcl: WireError("InvalidBucketAclWithObjectOwnership", 400),
    errors.AccessControlListNotSupported: WireError("AccessControlListNotSupported", 400),
    Malformed: WireError("MalformedXML", 400),
    Invalid: WireError("InvalidArgument", 400),
    errors.EntityTooLarge: WireError("EntityTooLarge", 400),
    TooLarge: WireError("EntityTooLarge", 400),
    errors.NotModified: WireError("NotModified", 304),
    errors.InvalidRange: WireError("InvalidRange", 416),
    PreconditionFailed: WireError("PreconditionFailed", 412),
    errors.AccessDenied: WireError("AccessDenied", 403),
}


def _body(call: Call, p: dict[str, Any]) -> BodyStream | AwsChunked:
    body = p.get("Body")
    if body is None:
        body = BodyStream(_empty)
    return AwsChunked(body) if is_chunked(call.headers) else body


async def _empty() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


# ---- objects ------------------------------------------------------------------------------


async def put_object(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    objects = call.services.objects
    check_acl(await objects.bucket(p["Bucket"]), p)
    options = write_options(call, p)
    version = await objects.put_object(p["Bucket"], p["Key"], _body(call, p), options)
    return _written(version)


def _written(v: ObjectVersion) -> dict[str, Any]:
    out: dict[str, Any] = {"ETag": v.etag, **checksum_members(v)}
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
    span = conditions.byte_range(p.get("Range"), version.size)
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


async def get_object(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    return await _answer(call, p, body=True)


async def head_object(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    return await _answer(call, p, body=False)


async def delete_object(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    deleted = await call.services.objects.delete_object(p["Bucket"], p["Key"], p.get("VersionId"))
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
                p["Bucket"], item["Key"], item.get("VersionId")
            )
        except errors.NoSuchBucket:
            raise
        except Exception as exc:  # one key's failure is that key's entry, as S3 reports it
            message = getattr(exc, "message", str(exc))
            failed.append({"Key": item["Key"], "Code": "InternalError", "Message": message})
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


async def _copy_source(call: Call, p: dict[str, Any]) -> ObjectVersion:
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


async def copy_object(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    objects = call.services.objects
    check_acl(await objects.bucket(p["Bucket"]), p)
    try:
        source = await _copy_source(call, p)
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
    options = write_options(call, p)
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


def _keep_tags(options: Any, source: ObjectVersion) -> Any:
    from dataclasses import replace

    return replace(options, tags=dict(source.tags))


def _checksum(v: ObjectVersion) -> dict[str, str]:
    members = checksum_members(v)
    members.pop("ChecksumType", None)
    return members


# ---- listings -----------------------------------------------------------------------------


def _max_keys(p: dict[str, Any], name: str = "MaxKeys") -> int:
    value = p.get(name)
    if value is None:
        return 1000
    if value < 0:
        raise errors.InvalidArgument(
            "Argument maxKeys must be an integer between 0 and 2147483647", "maxKeys", str(value)
        )
    return min(int(value), 1000)


def _content(v: ObjectVersion, call: Call, url: bool, with_owner: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "Key": encode_key(v.key, url),
        "LastModified": v.modified,
        "ETag": v.etag,
        "Size": v.size,
        "StorageClass": "STANDARD",
    }
    if v.checksum is not None:
        item["ChecksumAlgorithm"] = [v.checksum.algorithm]
        item["ChecksumType"] = v.checksum.type
    if with_owner:
        item["Owner"] = owner(call)
    return item


async def list_objects_v2(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    url = p.get("EncodingType") == "url"
    token = p.get("ContinuationToken")
    after = marker_of(token) if token else (p.get("StartAfter") or "")
    prefix, delimiter, max_keys = p.get("Prefix") or "", p.get("Delimiter") or "", _max_keys(p)
    page = await call.services.objects.list_objects(p["Bucket"], prefix, delimiter, after, max_keys)
    out: dict[str, Any] = {
        "Name": p["Bucket"],
        "Prefix": encode_key(prefix, url),
        "MaxKeys": max_keys,
        "KeyCount": len(page.objects) + len(page.prefixes),
        "IsTruncated": page.truncated,
        "Contents": [_content(v, call, url, bool(p.get("FetchOwner"))) for v in page.objects],
        "CommonPrefixes": [{"Prefix": encode_key(c, url)} for c in page.prefixes],
    }
    if delimiter:
        out["Delimiter"] = encode_key(delimiter, url)
    if url:
        out["EncodingType"] = "url"
    if token:
        out["ContinuationToken"] = token
    if p.get("StartAfter"):
        out["StartAfter"] = encode_key(p["StartAfter"], url)
    if page.truncated:
        out["NextContinuationToken"] = token_of(page.next_marker)
    return out


async def list_objects(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    url = p.get("EncodingType") == "url"
    marker = p.get("Marker") or ""
    prefix, delimiter, max_keys = p.get("Prefix") or "", p.get("Delimiter") or "", _max_keys(p)
    page = await call.services.objects.list_objects(
        p["Bucket"], prefix, delimiter, marker, max_keys
    )
    out: dict[str, Any] = {
        "Name": p["Bucket"],
        "Prefix": encode_key(prefix, url),
        "Marker": encode_key(marker, url),
        "MaxKeys": max_keys,
        "IsTruncated": page.truncated,
        "Contents": [_content(v, call, url, True) for v in page.objects],
        "CommonPrefixes": [{"Prefix": encode_key(c, url)} for c in page.prefixes],
    }
    if delimiter:
        out["Delimiter"] = encode_key(delimiter, url)
    if url:
        out["EncodingType"] = "url"
    if page.truncated and delimiter:  # S3 sends NextMarker only with a delimiter
        out["NextMarker"] = encode_key(page.next_marker, url)
    return out


async def list_object_versions(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    url = p.get("EncodingType") == "url"
    prefix, delimiter, max_keys = p.get("Prefix") or "", p.get("Delimiter") or "", _max_keys(p)
    key_marker, version_marker = p.get("KeyMarker") or "", p.get("VersionIdMarker") or ""
    page = await call.services.objects.list_versions(
        p["Bucket"], prefix, delimiter, key_marker, version_marker, max_keys
    )
    me = owner(call)
    versions, markers = [], []
    for v in page.versions:
        common = {
            "Key": encode_key(v.key, url),
            "VersionId": v.version_id,
            "IsLatest": v.latest,
            "LastModified": v.modified,
            "Owner": me,
        }
        if v.delete_marker:
            markers.append(common)
        else:
            entry: dict[str, Any] = {
                **common,
                "ETag": v.etag,
                "Size": v.size,
                "StorageClass": "STANDARD",
            }
            if v.checksum is not None:
                entry["ChecksumAlgorithm"] = [v.checksum.algorithm]
                entry["ChecksumType"] = v.checksum.type
            versions.append(entry)
    out: dict[str, Any] = {
        "Name": p["Bucket"],
        "Prefix": encode_key(prefix, url),
        "KeyMarker": encode_key(key_marker, url),
        "VersionIdMarker": version_marker,
        "MaxKeys": max_keys,
        "IsTruncated": page.truncated,
        "Versions": versions,
        "DeleteMarkers": markers,
        "CommonPrefixes": [{"Prefix": encode_key(c, url)} for c in page.prefixes],
    }
    if delimiter:
        out["Delimiter"] = encode_key(delimiter, url)
    if url:
        out["EncodingType"] = "url"
    if page.truncated:
        out["NextKeyMarker"] = encode_key(page.next_key, url)
        if page.next_version:
            out["NextVersionIdMarker"] = page.next_version
    return out


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
    await call.services.objects.head_object(p["Bucket"], p["Key"], p.get("VersionId"))
    return s3_buckets_api.owner_acl(call)


async def put_object_acl(call: Call, p: dict[str, Any]) -> None:
    bucket = await call.services.objects.bucket(p["Bucket"])
    await call.services.objects.head_object(p["Bucket"], p["Key"], p.get("VersionId"))
    check_acl(bucket, p)
    if p.get("AccessControlPolicy"):
        check_acl(bucket, {"ACL": "public-read"})


# ---- multipart uploads --------------------------------------------------------------------


async def create_multipart_upload(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    check_acl(await call.services.objects.bucket(p["Bucket"]), p)
    upload = await call.services.uploads.create(
        p["Bucket"], p["Key"], write_options(call, p), p.get("ChecksumType")
    )
    out: dict[str, Any] = {"Bucket": upload.bucket, "Key": upload.key, "UploadId": upload.id}
    if upload.checksum_algorithm:
        out["ChecksumAlgorithm"] = upload.checksum_algorithm
        out["ChecksumType"] = upload.checksum_type
    return out


async def upload_part(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    part = await call.services.uploads.upload_part(
        p["Bucket"],
        p["Key"],
        p["UploadId"],
        p["PartNumber"],
        _body(call, p),
        write_options(call, p),
    )
    out: dict[str, Any] = {"ETag": part.etag}
    upload = await call.services.uploads.upload(p["Bucket"], p["Key"], p["UploadId"])
    algorithm = upload.checksum_algorithm or write_options(call, p).checksum_algorithm
    if part.checksum and algorithm:
        out[f"Checksum{algorithm}"] = part.checksum
    return out


async def upload_part_copy(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    try:
        source = await _copy_source(call, p)
    except errors.NotModified as exc:
        raise errors.ConditionFailed("x-amz-copy-source-If-None-Match") from exc
    first, last = 0, source.size - 1
    if p.get("CopySourceRange"):
        span = _copy_range(p["CopySourceRange"], source.size)
        first, last = span
    if last - first + 1 > MAX_OBJECT:
        raise errors.EntityTooLarge(last - first + 1, MAX_OBJECT)
    part = await call.services.uploads.upload_part_copy(
        p["Bucket"], p["Key"], p["UploadId"], p["PartNumber"], source, first, last
    )
    out: dict[str, Any] = {"CopyPartResult": {"ETag": part.etag, "LastModified": part.modified}}
    if source.version_id != "null":
        out["CopySourceVersionId"] = source.version_id
    return out


def _copy_range(header: str, size: int) -> tuple[int, int]:
    """x-amz-copy-source-range: bytes=first-last, both given and within the source."""
    text = header.strip().removeprefix("bytes=")
    first_text, _, last_text = text.partition("-")
    if not (first_text.isdigit() and last_text.isdigit()):
        raise errors.InvalidArgument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where "
            "first and last are the zero-based offsets of the first and last bytes to copy",
            "x-amz-copy-source-range",
            header,
        )
    first, last = int(first_text), int(last_text)
    if last < first or last >= size:
        raise errors.InvalidRequest(
            f"The specified copy range is invalid for the source object size: {size}"
        )
    return first, last


async def complete_multipart_upload(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    listed = (p.get("MultipartUpload") or {}).get("Parts") or []
    if not listed:
        raise errors.MalformedXml()
    if len(listed) > MAX_PARTS:
        raise errors.InvalidArgument(
            f"Part number must be an integer between 1 and {MAX_PARTS}, inclusive"
        )
    chosen = [
        ChosenPart(
            item["PartNumber"],
            item.get("ETag", ""),
            next((item[k] for k in item if k.startswith("Checksum") and k != "ChecksumType"), None),
        )
        for item in listed
    ]
    version = await call.services.uploads.complete(
        p["Bucket"], p["Key"], p["UploadId"], chosen, write_options(call, p)
    )
    out: dict[str, Any] = {
        "Location": f"{call.base_url}/{version.bucket}/{version.key}",
        "Bucket": version.bucket,
        "Key": version.key,
        "ETag": version.etag,
        **checksum_members(version),
    }
    if version.version_id != "null":
        out["VersionId"] = version.version_id
    return out


async def abort_multipart_upload(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    await call.services.uploads.abort(p["Bucket"], p["Key"], p["UploadId"])
    return {}


async def list_parts(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    limit = min(p.get("MaxParts") or 1000, 1000)
    after = p.get("PartNumberMarker") or 0
    upload, parts, truncated = await call.services.uploads.list_parts(
        p["Bucket"], p["Key"], p["UploadId"], after, limit
    )
    me = owner(call)
    out: dict[str, Any] = {
        "Bucket": upload.bucket,
        "Key": upload.key,
        "UploadId": upload.id,
        "PartNumberMarker": after,
        "MaxParts": limit,
        "IsTruncated": truncated,
        "Parts": [_part(part, upload.checksum_algorithm) for part in parts],
        "Initiator": me,
        "Owner": me,
        "StorageClass": "STANDARD",
    }
    if parts:
        out["NextPartNumberMarker"] = parts[-1].number
    if upload.checksum_algorithm:
        out["ChecksumAlgorithm"] = upload.checksum_algorithm
        out["ChecksumType"] = upload.checksum_type
    return out


def _part(part: Any, algorithm: str | None) -> dict[str, Any]:
    item = {
        "PartNumber": part.number,
        "LastModified": part.modified,
        "ETag": part.etag,
        "Size": part.size,
    }
    if algorithm and part.checksum:
        item[f"Checksum{algorithm}"] = part.checksum
    return item


async def list_multipart_uploads(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    url = p.get("EncodingType") == "url"
    limit = min(p.get("MaxUploads") or 1000, 1000)
    prefix = p.get("Prefix") or ""
    key_marker, id_marker = p.get("KeyMarker") or "", p.get("UploadIdMarker") or ""
    uploads, truncated = await call.services.uploads.list_uploads(
        p["Bucket"], prefix, key_marker, id_marker, limit
    )
    me = owner(call)
    out: dict[str, Any] = {
        "Bucket": p["Bucket"],
        "KeyMarker": encode_key(key_marker, url),
        "UploadIdMarker": id_marker,
        "Prefix": encode_key(prefix, url),
        "MaxUploads": limit,
        "IsTruncated": truncated,
        "Uploads": [
            {
                "UploadId": u.id,
                "Key": encode_key(u.key, url),
                "Initiated": u.initiated,
                "StorageClass": "STANDARD",
                "Owner": me,
                "Initiator": me,
                **({"ChecksumAlgorithm": u.checksum_algorithm} if u.checksum_algorithm else {}),
            }
            for u in uploads
        ],
    }
    if url:
        out["EncodingType"] = "url"
    if truncated and uploads:
        out["NextKeyMarker"] = encode_key(uploads[-1].key, url)
        out["NextUploadIdMarker"] = uploads[-1].id
    return out


HANDLERS: dict[str, Handler] = {
    **s3_buckets_api.HANDLERS,
    "PutObject": put_object,
    "GetObject": get_object,
    "HeadObject": head_object,
    "DeleteObject": delete_object,
    "DeleteObjects": delete_objects,
    "CopyObject": copy_object,
    "ListObjects": list_objects,
    "ListObjectsV2": list_objects_v2,
    "ListObjectVersions": list_object_versions,
    "GetObjectTagging": get_object_tagging,
    "PutObjectTagging": put_object_tagging,
    "DeleteObjectTagging": delete_object_tagging,
    "GetObjectAcl": get_object_acl,
    "PutObjectAcl": put_object_acl,
    "CreateMultipartUpload": create_multipart_upload,
    "UploadPart": upload_part,
    "UploadPartCopy": upload_part_copy,
    "CompleteMultipartUpload": complete_multipart_upload,
    "AbortMultipartUpload": abort_multipart_upload,
    "ListParts": list_parts,
    "ListMultipartUploads": list_multipart_uploads,
}

# Checked by the handlers in S3's words rather than by the model's enums.
SERVICE_CHECKED = frozenset({"CreateBucketConfiguration"})

API = Api(
    "s3",
    HANDLERS,
    ERRORS,
    body_limit=16 * 1024 * 1024,  # XML bodies (DeleteObjects of 1,000 keys is ~100 KB)
    streamed=frozenset({"PutObject", "UploadPart"}),
)
