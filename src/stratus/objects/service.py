"""The object service: S3's rules over the store and the blob files, for every caller (the
S3 API, templates, and later notifications and stacks) alike.

Guarantees:
- An object's bytes are streamed to a file and fsynced before the row naming them commits
  (files.py); a crash at any point leaves the old object or the new one. Files of replaced or
  deleted versions are removed after the commit that drops their rows; a crash in between
  leaves them on the garbage list, swept at the next start.
- Listing reads indexes a page at a time (listing.py), never the bucket.
- Every created or removed object is announced to the subscribers (`subscribe`) after its
  commit: the seam notifications hang on.

Multipart uploads live in multipart.py; the rules of versions inside a transaction in
versions.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from stratus.config import Settings
from stratus.errors import NotFound, TooLarge
from stratus.store.db import Database, transaction

from . import checksums, lifecycle, listing, names, policies, store, versions, websites
from .acls import Grant
from .errors import (
    BucketAlreadyOwnedByYou,
    BucketNotEmpty,
    EntityTooLarge,
    IllegalLocationConstraint,
    InvalidArgument,
    InvalidLocationConstraint,
    NoSuchLifecycleConfiguration,
    NoSuchWebsiteConfiguration,
)
from .files import Blobs
from .model import (
    NULL_VERSION,
    Bucket,
    Checksum,
    Incoming,
    Listing,
    ObjectEvent,
    ObjectVersion,
    VersionListing,
    WriteOptions,
)
from .notifications import Notifications
from .notifications import wait_check as notifications_wait_check
from .versions import Deleted

log = logging.getLogger("stratus.objects")
T = TypeVar("T")

GIB = 1024**3
MAX_OBJECT = 5 * GIB  # a single PUT (and a part, and a copy)
DEFAULT_PUBLIC_ACCESS = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
Listener = Callable[[ObjectEvent], None]


class LifecycleSchedule(Protocol):
    def schedule(self, conn: sqlite3.Connection) -> None:
        """Make sure a lifecycle sweep is queued, in the caller's transaction."""


_REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]")


class ObjectService:
    def __init__(
        self, settings: Settings, db: Database, root: Path, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings
        self._db = db
        self._clock = clock
        self.blobs = Blobs(root)
        self._listeners: list[Listener] = []
        # Set by the composition root once the work queue exists: each event's notifications
        # are queued inside the transaction that commits it.
        self.notifications: Notifications | None = None
        self.lifecycle: LifecycleSchedule | None = None  # set there too: the sweep's queue
        self._recover()

    def _recover(self) -> None:
        """Finish what a crash interrupted: committed files into place, the rest removed."""
        settled, removed = self._db.run_blocking(
            lambda conn: self.blobs.sweep(lambda name: store.committed_file(conn, name))
        )
        leftovers = self._db.run_blocking(store.garbage)
        for name in leftovers:
            self.blobs.discard(name)
        self._db.run_blocking(lambda conn: store.forget_garbage(conn, leftovers))
        if settled or removed or leftovers:
            log.info(
                "objects: %d committed files moved into place, %d unfinished uploads and "
                "%d replaced files removed",
                settled,
                removed,
                len(leftovers),
            )

    def subscribe(self, listener: Listener) -> None:
        """Call `listener` after every committed object creation or removal."""
        self._listeners.append(listener)

    def _stage(self, conn: sqlite3.Connection, event: ObjectEvent) -> None:
        if self.notifications is not None:
            config = store.bucket_document(conn, "notifications", event.bucket)
            self.notifications.stage(conn, event, config)

    async def notification_config(self, bucket: str) -> dict[str, Any]:
        def read(conn: sqlite3.Connection) -> dict[str, Any]:
            versions.bucket_of(conn, bucket)
            return store.bucket_document(conn, "notifications", bucket) or {}

        return await self._db.run(read)

    async def set_notification_config(
        self, bucket: str, config: dict[str, Any], skip_destinations: bool = False
    ) -> None:
        """Check (destinations exist unless skipped, no overlaps) and store a
        NotificationConfiguration; an s3:TestEvent goes to each queue and topic in the same
        transaction."""
        await self.bucket(bucket)
        notifications = self.notifications
        if notifications is not None:
            targets = None if skip_destinations else notifications.targets
            config = await notifications_wait_check(config, targets)

        def put(conn: sqlite3.Connection) -> None:
            versions.bucket_of(conn, bucket)
            store.set_bucket_document(conn, "notifications", bucket, config)
            if notifications is not None:
                notifications.stage_test_events(conn, bucket, config)

        await self.wait_run(put)

    async def lifecycle_config(self, bucket: str) -> dict[str, Any]:
        """The bucket's LifecycleConfiguration; NoSuchLifecycleConfiguration without one."""
        return await self._wait_document(bucket, "lifecycles", NoSuchLifecycleConfiguration)

    async def set_lifecycle_config(self, bucket: str, config: dict[str, Any] | None) -> None:
        """Check (lifecycle.check_config) and store a LifecycleConfiguration, and have the
        lifecycle sweep run; None removes it."""
        checked = None if config is None else lifecycle.check_config(config)

        def put(conn: sqlite3.Connection) -> None:
            versions.bucket_of(conn, bucket)
            store.set_bucket_document(conn, "lifecycles", bucket, checked)
            if checked is not None and self.lifecycle is not None:
                self.lifecycle.schedule(conn)

        await self.wait_run(put)

    async def website_config(self, bucket: str) -> dict[str, Any]:
        """The bucket's WebsiteConfiguration; NoSuchWebsiteConfiguration without one."""
        return await self._wait_document(bucket, "websites", NoSuchWebsiteConfiguration)

    async def _wait_document(
        self, bucket: str, kind: store.DocumentKind, missing: Callable[[str], NotFound]
    ) -> dict[str, Any]:
        def read(conn: sqlite3.Connection) -> dict[str, Any]:
            versions.bucket_of(conn, bucket)
            found = store.bucket_document(conn, kind, bucket)
            if found is None:
                raise missing(bucket)
            return found

        return await self._db.run(read)

    async def set_website_config(self, bucket: str, config: dict[str, Any] | None) -> None:
        """Check (websites.check_config) and store a WebsiteConfiguration; None removes it."""
        checked = None if config is None else websites.check_config(config)

        def put(conn: sqlite3.Connection) -> None:
            versions.bucket_of(conn, bucket)
            store.set_bucket_document(conn, "websites", bucket, checked)

        await self.wait_run(put)

    def _announce(self, event: ObjectEvent) -> None:
        for listener in self._listeners:
            listener(event)

    async def wait_run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def atomically(conn: sqlite3.Connection) -> T:
            with transaction(conn):
                return work(conn)

        return await self._db.run(atomically)

    # ---- buckets ------------------------------------------------------------------------

    async def create_bucket(
        self,
        name: str,
        location: str | None,
        ownership: str | None,
        acl: tuple[Grant, ...] = (),
    ) -> Bucket:
        names.check_bucket_name(name)
        region = self._region_of(location)
        bucket = Bucket(
            name,
            region,
            self._clock(),
            "",
            ownership or "BucketOwnerEnforced",
            DEFAULT_PUBLIC_ACCESS,
            None,
            None,
            None,
            acl,
        )

        def create(conn: sqlite3.Connection) -> Bucket:
            existing = store.find_bucket(conn, name)
            if existing is not None:
                # us-east-1 answers 200 to its owner re-creating a bucket (legacy behaviour).
                if self.settings.region == "us-east-1" and existing.region == "us-east-1":
                    return existing
                raise BucketAlreadyOwnedByYou(name)
            store.insert_bucket(conn, bucket)
            return bucket

        return await self.wait_run(create)

    def _region_of(self, location: str | None) -> str:
        here = self.settings.region
        if location == "us-east-1":
            raise InvalidLocationConstraint(location)
        if not location:
            if here != "us-east-1":
                raise IllegalLocationConstraint("unspecified", here)
            return here
        if location == "EU":
            location = "eu-west-1"
        if not _REGION.fullmatch(location):
            raise InvalidLocationConstraint(location)
        if location != here:
            raise IllegalLocationConstraint(location, here)
        return location

    async def bucket(self, name: str) -> Bucket:
        return await self._db.run(lambda conn: versions.bucket_of(conn, name))

    async def list_buckets(self) -> list[Bucket]:
        return await self._db.run(store.all_buckets)

    async def delete_bucket(self, name: str) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            versions.bucket_of(conn, name)
            if store.bucket_has_objects(conn, name):
                raise BucketNotEmpty(name)
            store.delete_bucket(conn, name)

        await self.wait_run(delete)

    async def put_bucket_policy(self, name: str, policy: str) -> None:
        """Store a bucket policy, checked as S3 checks it (policies.py)."""

        def put(conn: sqlite3.Connection) -> None:
            bucket = versions.bucket_of(conn, name)
            policies.check_policy(name, policy, bucket.public_access)
            store.set_bucket(conn, name, "policy", policy)

        await self.wait_run(put)

    async def set_bucket(self, name: str, setting: str, value: object) -> None:
        """Store one of a bucket's settings (store.BUCKET_SETTINGS); None removes it."""

        def put(conn: sqlite3.Connection) -> None:
            versions.bucket_of(conn, name)
            store.set_bucket(conn, name, setting, value)

        await self.wait_run(put)

    # ---- objects ------------------------------------------------------------------------

    async def put_object(
        self,
        bucket: str,
        key: str,
        body: Incoming,
        options: WriteOptions,
        event: str = "ObjectCreated:Put",
    ) -> ObjectVersion:
        """A new version from `body`; `event` names its notification (a browser's form
        upload announces ObjectCreated:Post)."""
        names.check_key(key)
        await self.bucket(bucket)  # refuse before reading a byte
        algorithm = options.checksum_algorithm or checksums.DEFAULT
        md5 = hashlib.md5(usedforsecurity=False)
        running = checksums.hasher(algorithm)
        written = await self.blobs.wait_write(
            body, (md5, running), MAX_OBJECT, lambda size: EntityTooLarge(size, MAX_OBJECT)
        )
        try:
            expected = options.expected.get(algorithm) or body.trailers.get(
                checksums.header(algorithm)
            )
            value = checksums.encode(running.digest())
            checksums.check_size(options.declared_size, written.size)
            checksums.check_digests(options.content_md5, md5.digest(), algorithm, expected, value)
        except BaseException:
            await asyncio.to_thread(self.blobs.discard, written.name)
            raise
        version = ObjectVersion(
            bucket,
            key,
            NULL_VERSION,
            True,
            False,
            written.size,
            f'"{md5.hexdigest()}"',
            self._clock(),
            written.name if written.size else None,
            options.headers,
            options.metadata,
            Checksum(algorithm, value, "FULL_OBJECT"),
            None,
            options.tags,
            options.acl,
        )
        if not written.size:
            await asyncio.to_thread(self.blobs.discard, written.name)
        return await self.wait_commit(version, options, event)

    async def wait_commit(
        self,
        version: ObjectVersion,
        options: WriteOptions,
        event: str,
        also: Callable[[sqlite3.Connection], list[str]] | None = None,
    ) -> ObjectVersion:
        """Make a written version the current one (its file, if any, waits in tmp/):
        conditions checked, the version it replaces retired or removed, in one
        transaction (with `also`, whose returned files are garbage too); then the file moves
        into place and the event is announced."""

        def commit(conn: sqlite3.Connection) -> tuple[ObjectVersion, ObjectEvent, list[str]]:
            committed, seq, garbage = versions.commit(conn, version, options)
            announced = _event(event, committed, seq, options)
            self._stage(conn, announced)
            return committed, announced, garbage + (also(conn) if also else [])

        try:
            committed, announced, garbage = await self.wait_run(commit)
        except BaseException:
            if version.file:
                await asyncio.to_thread(self.blobs.discard, version.file)
            raise
        if version.file:
            await asyncio.to_thread(self.blobs.settle, version.file)
        await self._wait_collect(garbage)
        self._announce(announced)
        return committed

    async def _wait_collect(self, garbage: list[str]) -> None:
        if garbage:
            await asyncio.to_thread(self.blobs.discard_all, garbage)
            await self.wait_run(lambda conn: store.forget_garbage(conn, garbage))

    async def head_object(self, bucket: str, key: str, version_id: str | None) -> ObjectVersion:
        # A read: no write transaction (each statement sees a committed state; WAL readers
        # never wait for writers).
        return await self._db.run(lambda conn: versions.readable(conn, bucket, key, version_id))

    async def wait_read_whole(
        self, bucket: str, key: str, version_id: str | None, limit: int
    ) -> bytes:
        """A small object's bytes (a template, an OpenAPI document); TooLarge past `limit`."""
        version = await self.head_object(bucket, key, version_id)
        if version.size > limit:
            raise TooLarge(f"{bucket}/{key} is {version.size} bytes; at most {limit} are read")
        return b"".join([block async for block in self.wait_read(version, 0, version.size - 1)])

    def read_whole_blocking(
        self, bucket: str, key: str, version_id: str | None, limit: int
    ) -> bytes:
        """`wait_read_whole` for callers on a worker thread (a function's package)."""
        version = self._db.run_blocking(
            lambda conn: versions.readable(conn, bucket, key, version_id)
        )
        if version.size > limit:
            raise TooLarge(f"{bucket}/{key} is {version.size} bytes; at most {limit} are read")
        if version.file is None:
            return b""
        with self.blobs.open(version.file) as source:
            return source.read()

    def wait_read(self, version: ObjectVersion, first: int, last: int) -> AsyncIterator[bytes]:
        """Bytes first..last (inclusive) of a version, streamed from its file."""
        return self.blobs.wait_read(version.file, first, last)

    async def delete_object(
        self,
        bucket: str,
        key: str,
        version_id: str | None,
        request_id: str = "",
        source_ip: str = "",
        *,
        expired: bool = False,
    ) -> Deleted:
        """`expired`: the lifecycle's doing, announced as LifecycleExpiration events."""

        def delete(conn: sqlite3.Connection) -> tuple[Deleted, ObjectEvent | None, list[str]]:
            deleted, seq, garbage = versions.delete(conn, bucket, key, version_id, self._clock())
            if not seq:
                return deleted, None, garbage
            name = ("LifecycleExpiration:" if expired else "ObjectRemoved:") + (
                "DeleteMarkerCreated" if deleted.delete_marker else "Delete"
            )
            # A marker is a new row (its own seq); a removal has none, so its sequencer extends
            # the removed row's: S3 compares sequencers right-padded with zeros, so it sorts
            # after that write and before any later one.
            sequencer = f"{seq:016X}" if deleted.delete_marker else f"{seq:016X}01"
            announced = ObjectEvent(
                name,
                bucket,
                key,
                0,
                "",
                deleted.version_id,
                sequencer,
                self._clock(),
                request_id,
                source_ip,
            )
            self._stage(conn, announced)
            return deleted, announced, garbage

        deleted, announced, garbage = await self.wait_run(delete)
        await self._wait_collect(garbage)
        if announced is not None:
            self._announce(announced)
        return deleted

    async def copy_object(
        self,
        source: ObjectVersion,
        bucket: str,
        key: str,
        options: WriteOptions,
        replace_metadata: bool,
    ) -> ObjectVersion:
        names.check_key(key)
        if source.size > MAX_OBJECT:
            raise InvalidArgument(
                "The specified copy source is larger than the maximum allowable size for a "
                "copy source: 5368709120"
            )
        file = await self.blobs.wait_link(source.file) if source.file else None
        checksum = source.checksum
        if options.checksum_algorithm and (
            checksum is None or checksum.algorithm != options.checksum_algorithm
        ):
            checksum = await self._wait_checksum(source, options.checksum_algorithm)
        version = replace(
            source,
            bucket=bucket,
            key=key,
            version_id=NULL_VERSION,
            latest=True,
            modified=self._clock(),
            file=file,
            headers=options.headers if replace_metadata else source.headers,
            metadata=options.metadata if replace_metadata else source.metadata,
            checksum=checksum,
            # Part checksums stand only beside the composite checksum made of them.
            part_checksums=source.part_checksums if checksum is source.checksum else (),
            tags=options.tags or source.tags,
            acl=options.acl,  # a copy's ACL is the request's, not the source's (as on AWS)
        )
        return await self.wait_commit(version, options, "ObjectCreated:Copy")

    async def _wait_checksum(self, source: ObjectVersion, algorithm: str) -> Checksum:
        running = checksums.hasher(algorithm)
        async for block in self.wait_read(source, 0, source.size - 1):
            await asyncio.to_thread(running.update, block)
        return Checksum(algorithm, checksums.encode(running.digest()), "FULL_OBJECT")

    async def list_objects(
        self, bucket: str, prefix: str, delimiter: str, after: str, max_keys: int
    ) -> Listing:
        def read(conn: sqlite3.Connection) -> Listing:
            versions.bucket_of(conn, bucket)
            return listing.list_current(conn, bucket, prefix, delimiter, after, max_keys)

        return await self.wait_run(read)

    async def list_versions(
        self,
        bucket: str,
        prefix: str,
        delimiter: str,
        key_marker: str,
        version_marker: str,
        max_keys: int,
    ) -> VersionListing:
        def read(conn: sqlite3.Connection) -> VersionListing:
            versions.bucket_of(conn, bucket)
            return listing.list_versions(
                conn, bucket, prefix, delimiter, key_marker, version_marker, max_keys
            )

        return await self.wait_run(read)

    async def set_object_acl(
        self, bucket: str, key: str, version_id: str | None, grants: list[Grant]
    ) -> ObjectVersion:
        def put(conn: sqlite3.Connection) -> ObjectVersion:
            found = versions.readable(conn, bucket, key, version_id)
            row = store.version(conn, bucket, key, found.version_id)
            assert row is not None
            store.set_acl(conn, row["seq"], grants)
            return found

        return await self.wait_run(put)

    async def set_object_tags(
        self, bucket: str, key: str, version_id: str | None, tags: dict[str, str]
    ) -> ObjectVersion:
        def put(conn: sqlite3.Connection) -> ObjectVersion:
            found = versions.readable(conn, bucket, key, version_id)
            row = store.version(conn, bucket, key, found.version_id)
            assert row is not None
            store.set_tags(conn, row["seq"], tags)
            return found

        return await self.wait_run(put)


def _event(name: str, v: ObjectVersion, seq: int, options: WriteOptions) -> ObjectEvent:
    vid = None if v.version_id == NULL_VERSION else v.version_id
    return ObjectEvent(
        name,
        v.bucket,
        v.key,
        v.size,
        v.etag.strip('"'),
        vid,
        f"{seq:016X}",
        v.modified,
        options.request_id,
        options.source_ip,
    )
