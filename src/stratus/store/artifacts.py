"""The artifact store: blobs that `stratus deploy` uploads before the template that names them.

    <data>/artifacts/<sha256-hex>     the blob as uploaded (a function zip, an OpenAPI file)

A template names a blob as `s3://stratus-artifacts/<sha256-hex>` (or `S3Bucket:
stratus-artifacts`, `S3Key: <sha256-hex>`), as `sam package` names the objects it puts in S3.
The key is the content's SHA-256, so an unchanged package has an unchanged key and is
uploaded once. Writes go to a temporary sibling, hashed on the way, and are renamed into
place: a crash never leaves a blob under a key it does not match.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

# Where `stratus deploy` uploads local files: this store, not a bucket of the object storage.
ARTIFACTS_BUCKET = "stratus-artifacts"
_KEY = re.compile(r"^[0-9a-f]{64}$")


def key_of(location: object) -> str | None:
    """The artifact a template value names, or None when it names something else:
    `s3://stratus-artifacts/<key>` (CodeUri, DefinitionUri, AWS::Include Location),
    `{"Bucket", "Key"}` (BodyS3Location, DefinitionS3Location) or `{"S3Bucket", "S3Key"}`."""
    if isinstance(location, str):
        bucket, _, key = location.removeprefix("s3://").partition("/")
        found = location.startswith("s3://") and bucket == ARTIFACTS_BUCKET
        return key if found else None
    if isinstance(location, Mapping):
        bucket = location.get("Bucket", location.get("S3Bucket"))
        key = location.get("Key", location.get("S3Key"))
        if bucket == ARTIFACTS_BUCKET and isinstance(key, str):
            return key
    return None


class NoSuchArtifact(LookupError):
    """No blob is stored under this key (or the key cannot be one)."""


@dataclass(frozen=True, slots=True)
class Artifact:
    key: str  # sha256 hex of the content
    size: int

    @property
    def location(self) -> str:
        return f"s3://{ARTIFACTS_BUCKET}/{self.key}"


class ArtifactWriter:
    """One upload in progress: `write` chunks, then `commit` (or `discard`)."""

    def __init__(self, root: Path) -> None:
        self._root = root
        fd, name = tempfile.mkstemp(prefix=".upload-", dir=root)
        self._tmp = Path(name)
        self._file: BinaryIO = os.fdopen(fd, "wb")
        self._digest = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self._digest.update(chunk)
        self.size += len(chunk)

    def commit(self) -> Artifact:
        self._file.close()
        artifact = Artifact(self._digest.hexdigest(), self.size)
        # Same key, same bytes: replacing a blob that is already there changes nothing.
        os.replace(self._tmp, self._root / artifact.key)
        return artifact

    def discard(self) -> None:
        self._file.close()
        self._tmp.unlink(missing_ok=True)


class Buckets(Protocol):
    """Objects of the server's object storage, for packages named by any other bucket
    (stratus.bridges.BucketObjects implements it over the object service)."""

    def read(self, bucket: str, key: str, version: str | None, limit: int) -> bytes:
        """The object's bytes (blocking; called from a worker thread); NoSuchArtifact with
        S3's words when the bucket or key does not exist or it is larger than `limit`."""
        ...


class ArtifactStore:
    def __init__(self, root: Path, buckets: Buckets | None = None) -> None:
        self.root = root
        self.buckets = buckets  # every bucket but ARTIFACTS_BUCKET, when the server has them
        root.mkdir(parents=True, exist_ok=True)

    def writer(self) -> ArtifactWriter:
        return ArtifactWriter(self.root)

    def put(self, data: bytes) -> Artifact:
        writer = self.writer()
        try:
            writer.write(data)
        except BaseException:
            writer.discard()
            raise
        return writer.commit()

    def path(self, key: str) -> Path:
        """Where the blob `key` is; raises NoSuchArtifact when there is none."""
        # The key becomes a file name: only a sha256 hex may, never `../something`.
        path = self.root / key
        if not _KEY.match(key) or not path.is_file():
            raise NoSuchArtifact(key)
        return path

    def exists(self, key: str) -> bool:
        try:
            self.path(key)
        except NoSuchArtifact:
            return False
        return True

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size

    def read(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def read_object(self, bucket: str, key: str, version: str | None, limit: int) -> bytes:
        """A file a template names by S3 location (a definition, an OpenAPI document, a
        nested template, an AWS::Include snippet): from this store in ARTIFACTS_BUCKET, else
        from the object storage. Blocking. NoSuchArtifact, in S3's words, when there is no
        such object or it is over `limit` bytes."""
        if bucket != ARTIFACTS_BUCKET:
            if self.buckets is None:
                raise NoSuchArtifact(
                    "S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket does "
                    "not exist"
                )
            return self.buckets.read(bucket, key, version, limit)
        try:
            path = self.path(key)
        except NoSuchArtifact:
            raise NoSuchArtifact(
                "S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist."
            ) from None
        size = path.stat().st_size
        if size > limit:
            raise NoSuchArtifact(
                f"S3 Error Message: {bucket}/{key} is {size} bytes; at most {limit} are read"
            )
        return path.read_bytes()
