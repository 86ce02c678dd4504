"""The lifecycle sweep: what buckets' lifecycle rules have made due (lifecycle.py decides),
done. One durable work item (`SWEEP`) runs it every INTERVAL_S while any bucket has a
configuration, as S3 runs its lifecycle asynchronously: an object is gone some time after it
expires, not at the second. Each removal is an ordinary delete (a delete marker on a
versioned bucket), announced as s3:LifecycleExpiration:* events; uploads are aborted as
AbortMultipartUpload aborts them. The times compared are the objects' own clock's (the one
that stamps LastModified); the work clock only paces the sweeps.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Callable
from typing import Any

import orjson

from stratus.errors import NotFound
from stratus.store.work import Kind, WorkItem, WorkQueue
from stratus.store.worker import Worker

from . import lifecycle, store
from .lifecycle import Version
from .multipart import Multipart
from .service import ObjectService

log = logging.getLogger("stratus.objects")

SWEEP = Kind("objects.lifecycle", lease_s=300.0)
SWEEP_ID = "sweep"
INTERVAL_S = 3600.0
KEYS_PER_READ = 500


class LifecycleSweeper:
    def __init__(
        self,
        objects: ObjectService,
        uploads: Multipart,
        work: WorkQueue,
        clock: Callable[[], float],
    ) -> None:
        self._objects = objects
        self._uploads = uploads
        self._work = work
        self._clock = clock
        self._worker = Worker(work, SWEEP, self._wait_sweep, 1)

    async def wait_run_forever(self) -> None:
        await self._worker.wait_run_forever()

    def schedule(self, conn: sqlite3.Connection) -> None:
        self._work.enqueue(conn, SWEEP, SWEEP_ID, b"", due=self._work.clock.now() + INTERVAL_S)

    async def _wait_sweep(self, item: WorkItem) -> None:
        configs = await self._objects.wait_run(store.lifecycle_configs)
        now = self._clock()
        for bucket, config in configs:
            try:
                await self._wait_sweep_bucket(bucket, config["Rules"], now)
            except NotFound:  # (the bucket went meanwhile)
                continue
        await self._objects.wait_run(functools.partial(self._settle, item=item))

    def _settle(self, conn: sqlite3.Connection, *, item: WorkItem) -> None:
        """Done; the next sweep queued while any bucket still has a configuration (in one
        transaction: ObjectService.wait_run's)."""
        self._work.ack(conn, item)
        if store.lifecycle_configs(conn):
            self.schedule(conn)

    async def _wait_sweep_bucket(
        self, bucket: str, rules: list[dict[str, Any]], now: float
    ) -> None:
        after = ""
        while True:
            rows = await self._objects.wait_run(
                functools.partial(store.histories, bucket=bucket, after=after, limit=KEYS_PER_READ)
            )
            if not rows:
                break
            by_key: dict[str, list[Version]] = {}
            for row in rows:
                version = Version(
                    row["key"],
                    row["version_id"],
                    bool(row["delete_marker"]),
                    row["size"],
                    row["modified"],
                    orjson.loads(row["tags"]),
                )
                by_key.setdefault(version.key, []).append(version)
            for key, history in by_key.items():
                await self._wait_apply(bucket, key, *lifecycle.due_versions(rules, history, now))
            after = rows[-1]["key"]
        for upload in await self._objects.wait_run(lambda conn: store.stale_uploads(conn, bucket)):
            if lifecycle.upload_due(rules, upload["key"], upload["initiated"], now):
                await self._uploads.abort(bucket, upload["key"], upload["id"])

    async def _wait_apply(self, bucket: str, key: str, expire: bool, versions: list[str]) -> None:
        objects = self._objects
        for version_id in versions:
            await objects.delete_object(bucket, key, version_id, expired=True)
        if expire:
            await objects.delete_object(bucket, key, None, expired=True)
        if expire or versions:
            log.info("lifecycle: s3://%s/%s (%d versions removed)", bucket, key, len(versions))
