"""Multipart uploads: parts written as they arrive, one object made of them on completion.

A part is a blob file and a row of `object_parts`, written the way an object is (files.py:
fsynced before its row commits). Completing checks the list (ascending, every part present
with its ETag, each but the last at least 5 MiB), concatenates the parts' files into the
object's (computing a full-object checksum on the way when one is wanted), and commits the
object and the upload's removal in one transaction; the parts' files are garbage after it.
The ETag is S3's: the MD5 of the parts' binary MD5s, then "-N".

Trade-off: completion copies the parts once (a manifest of part files would not), which
keeps reads, ranges and copies one file each.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import checksums, names, store
from .checksums import check_digests, check_size
from .errors import (
    BadDigest,
    EntityTooLarge,
    EntityTooSmall,
    InvalidArgument,
    InvalidPart,
    InvalidPartOrder,
    NoSuchUpload,
)
from .model import Checksum, Incoming, ObjectVersion, Part, Upload, WriteOptions
from .service import MAX_OBJECT, ObjectService
from .versions import bucket_of

MIN_PART = 5 * 1024 * 1024
MAX_PARTS = 10_000


@dataclass(frozen=True, slots=True)
class ChosenPart:
    """A part as CompleteMultipartUpload names it."""

    number: int
    etag: str
    checksum: str | None = None


class Multipart:
    def __init__(self, objects: ObjectService, clock: Callable[[], float]) -> None:
        self._objects = objects
        self._blobs = objects.blobs
        self._clock = clock

    async def create(
        self,
        bucket: str,
        key: str,
        options: WriteOptions,
        checksum_type: str | None,
    ) -> Upload:
        names.check_key(key)
        algorithm = options.checksum_algorithm
        if checksum_type == "FULL_OBJECT" and algorithm not in checksums.FULL_OBJECT_CAPABLE:
            raise InvalidArgument(
                f"The {algorithm} checksum algorithm does not support the FULL_OBJECT "
                "checksum type.",
                "x-amz-checksum-type",
                checksum_type,
            )
        if algorithm and not checksum_type:
            checksum_type = "COMPOSITE"
        upload = Upload(
            secrets.token_urlsafe(48),
            bucket,
            key,
            self._clock(),
            options.headers,
            options.metadata,
            options.tags,
            algorithm,
            checksum_type,
            options.acl,
        )

        def create(conn: sqlite3.Connection) -> None:
            bucket_of(conn, bucket)
            store.insert_upload(conn, upload)

        await self._objects.wait_run(create)
        return upload

    async def upload(self, bucket: str, key: str, upload_id: str) -> Upload:
        return await self._objects.wait_run(lambda conn: _upload(conn, bucket, key, upload_id))

    async def upload_part(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        number: int,
        body: Incoming,
        options: WriteOptions,
    ) -> Part:
        _check_number(number)
        upload = await self.upload(bucket, key, upload_id)
        algorithm = upload.checksum_algorithm or options.checksum_algorithm
        md5 = hashlib.md5(usedforsecurity=False)
        hashers = [md5] if algorithm is None else [md5, checksums.hasher(algorithm)]
        written = await self._blobs.wait_write(
            body, hashers, MAX_OBJECT, lambda size: EntityTooLarge(size, MAX_OBJECT)
        )
        value = None
        try:
            if algorithm is not None:
                value = checksums.encode(hashers[1].digest())
                expected = options.expected.get(algorithm) or body.trailers.get(
                    checksums.header(algorithm)
                )
            else:
                expected = None
            check_size(options.declared_size, written.size)
            check_digests(options.content_md5, md5.digest(), algorithm or "", expected, value or "")
        except BaseException:
            await asyncio.to_thread(self._blobs.discard, written.name)
            raise
        part = Part(
            number, written.size, f'"{md5.hexdigest()}"', self._clock(), written.name, value
        )
        return await self._wait_record(bucket, key, upload_id, part)

    async def upload_part_copy(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        number: int,
        source: ObjectVersion,
        first: int,
        last: int,
    ) -> Part:
        _check_number(number)
        upload = await self.upload(bucket, key, upload_id)
        if source.file is None or last < first:
            written_name, size = None, 0
        else:
            written = await self._blobs.wait_copy_range(source.file, first, last)
            written_name, size = written.name, written.size
        md5 = hashlib.md5(usedforsecurity=False)
        running = checksums.hasher(upload.checksum_algorithm) if upload.checksum_algorithm else None
        if written_name is not None:
            with self._blobs.tmp_path(written_name).open("rb") as f:
                while block := await asyncio.to_thread(f.read, 1024 * 1024):
                    md5.update(block)
                    if running:
                        running.update(block)
        value = checksums.encode(running.digest()) if running else None
        part = Part(number, size, f'"{md5.hexdigest()}"', self._clock(), written_name, value)
        return await self._wait_record(bucket, key, upload_id, part)

    async def _wait_record(self, bucket: str, key: str, upload_id: str, part: Part) -> Part:
        def record(conn: sqlite3.Connection) -> str | None:
            _upload(conn, bucket, key, upload_id)
            return store.put_part(conn, upload_id, part)

        try:
            replaced = await self._objects.wait_run(record)
        except BaseException:
            if part.file:
                await asyncio.to_thread(self._blobs.discard, part.file)
            raise
        if part.file:
            await asyncio.to_thread(self._blobs.settle, part.file)
        if replaced:
            await asyncio.to_thread(self._blobs.discard, replaced)
            await self._objects.wait_run(lambda conn: store.forget_garbage(conn, [replaced]))
        return part

    async def complete(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        chosen: Sequence[ChosenPart],
        options: WriteOptions,
    ) -> ObjectVersion:
        upload = await self.upload(bucket, key, upload_id)
        stored = {
            p.number: p
            for p in await self._objects.wait_run(lambda conn: store.parts(conn, upload_id))
        }
        parts = _chosen_parts(upload_id, chosen, stored)
        md5s = b"".join(bytes.fromhex(p.etag.strip('"')) for p in parts)
        etag = f'"{hashlib.md5(md5s, usedforsecurity=False).hexdigest()}-{len(parts)}"'
        algorithm = upload.checksum_algorithm or checksums.DEFAULT
        full = upload.checksum_type == "FULL_OBJECT" or upload.checksum_algorithm is None
        running = checksums.hasher(algorithm)
        file = await self._blobs.wait_concatenate(
            (p.file for p in parts), [running] if full else []
        )
        size = sum(p.size for p in parts)
        values: list[str] = []
        if full:
            checksum = Checksum(algorithm, checksums.encode(running.digest()), "FULL_OBJECT")
        else:
            values = [p.checksum or "" for p in parts]
            checksum = Checksum(algorithm, checksums.composite(algorithm, values), "COMPOSITE")
        expected = options.expected.get(algorithm)
        if full and expected is not None and expected != checksum.value:
            await asyncio.to_thread(self._blobs.discard, file)
            raise BadDigest(f"The {algorithm} you specified did not match the calculated checksum.")
        version = ObjectVersion(
            bucket,
            key,
            "null",
            True,
            False,
            size,
            etag,
            self._clock(),
            file if size else None,
            upload.headers,
            upload.metadata,
            checksum,
            len(parts),
            upload.tags,
            upload.acl,
            tuple(p.size for p in parts),
            tuple(values),
        )
        if not size:
            await asyncio.to_thread(self._blobs.discard, file)

        def finish(conn: sqlite3.Connection) -> list[str]:
            _upload(conn, bucket, key, upload_id)
            return store.drop_upload(conn, upload_id, keep=set())

        return await self._objects.wait_commit(
            version, options, "ObjectCreated:CompleteMultipartUpload", also=finish
        )

    async def abort(self, bucket: str, key: str, upload_id: str) -> None:
        def drop(conn: sqlite3.Connection) -> list[str]:
            _upload(conn, bucket, key, upload_id)
            return store.drop_upload(conn, upload_id, keep=set())

        files = await self._objects.wait_run(drop)
        await asyncio.to_thread(self._blobs.discard_all, files)
        await self._objects.wait_run(lambda conn: store.forget_garbage(conn, files))

    async def list_parts(
        self, bucket: str, key: str, upload_id: str, after: int, limit: int
    ) -> tuple[Upload, list[Part], bool]:
        def read(conn: sqlite3.Connection) -> tuple[Upload, list[Part], bool]:
            upload = _upload(conn, bucket, key, upload_id)
            found = store.parts(conn, upload_id, after, limit + 1)
            return upload, found[:limit], len(found) > limit

        return await self._objects.wait_run(read)

    async def list_uploads(
        self, bucket: str, prefix: str, key_marker: str, id_marker: str, limit: int
    ) -> tuple[list[Upload], bool]:
        def read(conn: sqlite3.Connection) -> tuple[list[Upload], bool]:
            bucket_of(conn, bucket)
            found = store.uploads_page(conn, bucket, prefix, key_marker, id_marker, limit + 1)
            return found[:limit], len(found) > limit

        return await self._objects.wait_run(read)


def _upload(conn: sqlite3.Connection, bucket: str, key: str, upload_id: str) -> Upload:
    bucket_of(conn, bucket)
    upload = store.find_upload(conn, upload_id)
    if upload is None or upload.bucket != bucket or upload.key != key:
        raise NoSuchUpload(upload_id)
    return upload


def _check_number(number: int) -> None:
    if not 1 <= number <= MAX_PARTS:
        raise InvalidArgument(
            "Part number must be an integer between 1 and 10000, inclusive",
            "partNumber",
            str(number),
        )


def _chosen_parts(
    upload_id: str, chosen: Sequence[ChosenPart], stored: dict[int, Part]
) -> list[Part]:
    parts: list[Part] = []
    previous = 0
    for c in chosen:
        if c.number <= previous:
            raise InvalidPartOrder(upload_id)
        previous = c.number
        part = stored.get(c.number)
        if part is None or part.etag.strip('"') != c.etag.strip('"'):
            raise InvalidPart(upload_id, c.number, c.etag)
        if c.checksum is not None and part.checksum is not None and c.checksum != part.checksum:
            raise InvalidPart(upload_id, c.number, c.etag)
        parts.append(part)
    for part in parts[:-1]:
        if part.size < MIN_PART:
            raise EntityTooSmall(part.size, MIN_PART)
    return parts
