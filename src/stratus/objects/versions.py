"""The rules of object versions inside one transaction (run on the database thread by
ObjectService): which version a read sees, what a write does to the versions already there
(unversioned and suspended buckets keep one "null" version, Enabled ones add), and what a
delete leaves (the version gone, or a delete marker)."""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass, replace

from . import conditions, store
from .errors import DeleteMarkerVersion, NoSuchBucket, NoSuchKey, NoSuchVersion
from .model import NULL_VERSION, Bucket, ObjectVersion, WriteOptions


@dataclass(frozen=True, slots=True)
class Deleted:
    """What a DeleteObject did: the version it removed or the delete marker it added."""

    key: str
    version_id: str | None
    delete_marker: bool


def new_version_id() -> str:
    return secrets.token_urlsafe(24)


def bucket_of(conn: sqlite3.Connection, name: str) -> Bucket:
    bucket = store.find_bucket(conn, name)
    if bucket is None:
        raise NoSuchBucket(name)
    return bucket


def readable(
    conn: sqlite3.Connection, bucket: str, key: str, version_id: str | None
) -> ObjectVersion:
    bucket_of(conn, bucket)
    if version_id is None:
        row = store.current(conn, bucket, key)
        if row is None:
            raise NoSuchKey(key)
        if row["delete_marker"]:
            raise NoSuchKey(key, marker=row["version_id"])
        return store.version_of(row)
    row = store.version(conn, bucket, key, version_id)
    if row is None:
        raise NoSuchVersion(key, version_id)
    found = store.version_of(row)
    if found.delete_marker:
        raise DeleteMarkerVersion(version_id)
    return found


def commit(
    conn: sqlite3.Connection, version: ObjectVersion, options: WriteOptions
) -> tuple[ObjectVersion, int, list[str]]:
    bucket = bucket_of(conn, version.bucket)
    row = store.current(conn, version.bucket, version.key)
    existing = store.version_of(row) if row else None
    if options.if_match is not None and (existing is None or existing.delete_marker):
        raise NoSuchKey(version.key)
    conditions.check_write(existing, options.if_match, options.if_none_match)
    garbage = make_room(conn, bucket, version.key, row)
    vid = new_version_id() if bucket.versioning == "Enabled" else NULL_VERSION
    committed = replace(version, version_id=vid)
    seq = store.insert_version(conn, committed)
    return committed, seq, garbage


def make_room(
    conn: sqlite3.Connection, bucket: Bucket, key: str, row: sqlite3.Row | None
) -> list[str]:
    """Before a new current version: retire the current one, removing the "null" version
    unless versioning is Enabled (its file to the garbage list)."""
    garbage = []
    if bucket.versioning != "Enabled":
        null = store.null_version(conn, bucket.name, key)
        if null is not None:
            file = store.remove_version(conn, null["seq"])
            if file:
                garbage.append(file)
            if row is not None and row["seq"] == null["seq"]:
                row = None
    if row is not None:
        store.retire(conn, row["seq"])
    return garbage


def delete(
    conn: sqlite3.Connection, bucket_name: str, key: str, version_id: str | None, now: float
) -> tuple[Deleted, int, list[str]]:
    bucket = bucket_of(conn, bucket_name)
    if version_id is not None:
        row = store.version(conn, bucket_name, key, version_id)
        if row is None:
            return Deleted(key, version_id, False), 0, []
        file = store.remove_version(conn, row["seq"])
        if row["latest"]:
            store.promote_newest(conn, bucket_name, key)
        return (
            Deleted(key, version_id, bool(row["delete_marker"])),
            row["seq"],
            [file] if file else [],
        )
    row = store.current(conn, bucket_name, key)
    if not bucket.versioning:
        if row is None:
            return Deleted(key, None, False), 0, []
        file = store.remove_version(conn, row["seq"])
        return Deleted(key, None, False), row["seq"], [file] if file else []
    garbage = make_room(conn, bucket, key, row)
    vid = new_version_id() if bucket.versioning == "Enabled" else NULL_VERSION
    marker = ObjectVersion(bucket_name, key, vid, True, True, 0, "", now, None, {}, {}, None, None)
    seq = store.insert_version(conn, marker)
    return Deleted(key, vid, True), seq, garbage
