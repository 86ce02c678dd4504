"""Buckets, object versions and multipart uploads, as the service hands them out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from .acls import Grant

# The content headers S3 keeps with an object and returns on GET and HEAD, by API member.
CONTENT_HEADERS = (
    "ContentType",
    "ContentEncoding",
    "ContentDisposition",
    "ContentLanguage",
    "CacheControl",
    "Expires",
    # Not a content header, but kept and answered the same way; the website endpoint
    # redirects to it (websites.py).
    "WebsiteRedirectLocation",
)
NULL_VERSION = "null"  # the version id of objects written while versioning was never on


@dataclass(frozen=True, slots=True)
class Bucket:
    name: str
    region: str
    created: float  # epoch seconds
    versioning: str  # "" (never enabled), "Enabled", "Suspended"
    ownership: str  # BucketOwnerEnforced | BucketOwnerPreferred | ObjectWriter | "" (none set)
    public_access: Mapping[str, bool] | None  # the PublicAccessBlockConfiguration, if set
    tags: Mapping[str, str] | None
    policy: str | None
    cors: list[dict[str, object]] | None
    acl: tuple[Grant, ...] = ()  # grants besides the owner's FULL_CONTROL


@dataclass(frozen=True, slots=True)
class Checksum:
    algorithm: str  # one of checksums.ALGORITHMS
    value: str  # base64; composite ones end in "-N"
    type: str  # FULL_OBJECT | COMPOSITE


@dataclass(frozen=True, slots=True)
class ObjectVersion:
    """One version of an object (the only one while versioning is off), or a delete marker."""

    bucket: str
    key: str
    version_id: str
    latest: bool
    delete_marker: bool
    size: int
    etag: str  # with its quotes, as S3 sends it
    modified: float  # epoch seconds
    file: str | None  # the blob's name (files.py); None for delete markers and empty objects
    headers: Mapping[str, str]  # CONTENT_HEADERS that were set (Expires as sent)
    metadata: Mapping[str, str]  # x-amz-meta-*
    checksum: Checksum | None
    parts: int | None  # PartsCount of a multipart object
    tags: Mapping[str, str] = field(default_factory=dict)
    acl: tuple[Grant, ...] = ()  # grants besides the owner's FULL_CONTROL
    part_sizes: tuple[int, ...] = ()  # a multipart object's parts, for GET ?partNumber=
    # Each part's checksum (base64, the object's algorithm) when the object's checksum is
    # COMPOSITE of them: GetObjectAttributes lists parts only then, as S3 does.
    part_checksums: tuple[str, ...] = ()

    def part_range(self, number: int) -> tuple[int, int] | None:
        """(first, last) byte of part `number` (a simple object is one part); None when it
        has no such part."""
        sizes = self.part_sizes or (self.size,)
        if not 1 <= number <= len(sizes):
            return None
        first = sum(sizes[: number - 1])
        return first, first + sizes[number - 1] - 1


class Incoming(Protocol):
    """A request body as it streams in; `trailers` holds what an aws-chunked body sent after
    its last chunk (x-amz-checksum-*), complete once iteration ends."""

    @property
    def trailers(self) -> Mapping[str, str]: ...

    def __aiter__(self) -> AsyncIterator[bytes]: ...


@dataclass(frozen=True, slots=True)
class WriteOptions:
    """What a PutObject (or CreateMultipartUpload, CopyObject with REPLACE) says about the
    object besides its bytes."""

    headers: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    checksum_algorithm: str | None = None
    # Expected checksums the client sent (algorithm -> base64), Content-MD5 as "MD5".
    expected: Mapping[str, str] = field(default_factory=dict)
    content_md5: str | None = None
    if_none_match: str | None = None  # "*": only if no object has the key
    if_match: str | None = None  # only if the current object has this ETag
    declared_size: int | None = None  # x-amz-decoded-content-length or Content-Length
    acl: tuple[Grant, ...] = ()  # the object's grants (a canned ACL or x-amz-grant-*)
    request_id: str = ""  # the request's x-amz-request-id, for its notifications
    source_ip: str = ""  # the client's address, for its notifications


@dataclass(frozen=True, slots=True)
class Upload:
    id: str
    bucket: str
    key: str
    initiated: float
    headers: Mapping[str, str]
    metadata: Mapping[str, str]
    tags: Mapping[str, str]
    checksum_algorithm: str | None
    checksum_type: str | None
    acl: tuple[Grant, ...] = ()


@dataclass(frozen=True, slots=True)
class Part:
    number: int
    size: int
    etag: str
    modified: float
    file: str | None
    checksum: str | None  # base64 of the upload's algorithm


@dataclass(frozen=True, slots=True)
class Listing:
    """One page of keys: objects, common prefixes and where the next page starts."""

    objects: list[ObjectVersion]
    prefixes: list[str]
    truncated: bool
    next_marker: str | None  # the last key or prefix returned, when truncated


@dataclass(frozen=True, slots=True)
class VersionListing:
    versions: list[ObjectVersion]  # delete markers included, newest first per key
    prefixes: list[str]
    truncated: bool
    next_key: str | None
    next_version: str | None


@dataclass(frozen=True, slots=True)
class ObjectEvent:
    """An object was created or removed: what a notification module subscribes to
    (ObjectService.subscribe). `name` is S3's event name without the "s3:" prefix."""

    name: str  # ObjectCreated:Put | :Copy | :CompleteMultipartUpload | ObjectRemoved:Delete
    #            | ObjectRemoved:DeleteMarkerCreated
    bucket: str
    key: str
    size: int
    etag: str  # without quotes, as notifications carry it
    version_id: str | None
    sequencer: str  # hex, grows with every write to the same key
    time: float
    request_id: str = ""  # the x-amz-request-id of the request that caused it, if known
    source_ip: str = ""
