"""S3's listings: ListObjects (v1), ListObjectsV2 and ListObjectVersions, with prefix,
delimiter, markers or continuation tokens, max-keys and EncodingType=url."""

from __future__ import annotations

from typing import Any

from stratus.objects import errors
from stratus.objects.model import ObjectVersion

from .protocols.adapter import Call, Handler
from .s3_wire import encode_key, marker_of, owner, token_of


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


HANDLERS: dict[str, Handler] = {
    "ListObjects": list_objects,
    "ListObjectsV2": list_objects_v2,
    "ListObjectVersions": list_object_versions,
}
