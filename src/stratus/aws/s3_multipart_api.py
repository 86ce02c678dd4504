"""S3's multipart uploads: create, upload (and copy) parts, complete, abort, list."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from stratus.objects import errors
from stratus.objects.multipart import MAX_PARTS, ChosenPart
from stratus.objects.service import MAX_OBJECT

from .protocols.adapter import Call, Handler
from .s3_wire import (
    check_acl,
    checksum_members,
    copy_source_version,
    encode_key,
    owner,
    request_body,
    write_options,
)


async def create_multipart_upload(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    grants = check_acl(await call.services.objects.bucket(p["Bucket"]), p)
    options = replace(write_options(call, p), acl=grants)
    upload = await call.services.uploads.create(
        p["Bucket"], p["Key"], options, p.get("ChecksumType")
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
        request_body(call, p),
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
        source = await copy_source_version(call, p)
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
    "CreateMultipartUpload": create_multipart_upload,
    "UploadPart": upload_part,
    "UploadPartCopy": upload_part_copy,
    "CompleteMultipartUpload": complete_multipart_upload,
    "AbortMultipartUpload": abort_multipart_upload,
    "ListParts": list_parts,
    "ListMultipartUploads": list_multipart_uploads,
}
