"""Listing a bucket's keys a page at a time: prefix, delimiter (common prefixes), a start
point (StartAfter, Marker, ContinuationToken) and max-keys, as S3 answers them.

Reads are ordered range reads of the current-version index (store.current_page), a batch at a
time. A key that rolls up into a common prefix makes the next read jump past every key under
that prefix (`past`), so a folder of a million keys costs one row, not a million.
"""

from __future__ import annotations

import sqlite3

from . import store
from .model import Listing, ObjectVersion, VersionListing

BATCH = 1000


def past(prefix: str) -> str:
    """The least string greater than every string starting with `prefix`."""
    last = prefix[-1]
    return prefix[:-1] + chr(ord(last) + 1)


def _upper(prefix: str) -> str | None:
    return past(prefix) if prefix else None


def _rolled(key: str, prefix: str, delimiter: str) -> str | None:
    """The common prefix `key` rolls up into, if any."""
    if not delimiter:
        return None
    at = key.find(delimiter, len(prefix))
    return None if at < 0 else key[: at + len(delimiter)]


def list_current(
    conn: sqlite3.Connection,
    bucket: str,
    prefix: str,
    delimiter: str,
    after: str,
    max_keys: int,
) -> Listing:
    objects: list[ObjectVersion] = []
    prefixes: list[str] = []
    lower, upper = prefix, _upper(prefix)
    last: str | None = None
    while True:
        rows = store.current_page(conn, bucket, after, lower, upper, BATCH)
        if not rows:
            return Listing(objects, prefixes, False, None)
        jumped = False
        for row in rows:
            key: str = row["key"]
            common = _rolled(key, prefix, delimiter)
            if common is not None:
                if common > after or not after.startswith(common):
                    if len(objects) + len(prefixes) == max_keys:
                        return Listing(objects, prefixes, True, last)
                    prefixes.append(common)
                    last = common
                lower, after = past(common), max(after, key)
                jumped = True
                break
            after = key
            if row["delete_marker"]:
                continue
            if len(objects) + len(prefixes) == max_keys:
                return Listing(objects, prefixes, True, last)
            objects.append(store.version_of(row))
            last = key
        if not jumped and len(rows) < BATCH:
            return Listing(objects, prefixes, False, None)


def list_versions(
    conn: sqlite3.Connection,
    bucket: str,
    prefix: str,
    delimiter: str,
    key_marker: str,
    version_marker: str,
    max_keys: int,
) -> VersionListing:
    """Versions and delete markers by key, newest first per key, after the key marker (and,
    given one, after the version marker within that key)."""
    versions: list[ObjectVersion] = []
    prefixes: list[str] = []
    lower, upper = prefix, _upper(prefix)
    after_key, after_seq = key_marker, None
    if key_marker and version_marker:
        marked = store.version(conn, bucket, key_marker, version_marker)
        after_seq = marked["seq"] if marked else None
    while True:
        rows = store.versions_page(conn, bucket, after_key, after_seq, lower, upper, BATCH)
        jumped = False
        for row in rows:
            key: str = row["key"]
            common = _rolled(key, prefix, delimiter)
            if common is not None:
                if common > key_marker or not key_marker.startswith(common):
                    if len(versions) + len(prefixes) == max_keys:
                        return _truncated(versions, prefixes)
                    prefixes.append(common)
                lower, after_key, after_seq = past(common), key, None
                jumped = True
                break
            if len(versions) + len(prefixes) == max_keys:
                return _truncated(versions, prefixes)
            versions.append(store.version_of(row))
            after_key, after_seq = key, row["seq"]
        if not jumped and len(rows) < BATCH:
            return VersionListing(versions, prefixes, False, None, None)


def _truncated(versions: list[ObjectVersion], prefixes: list[str]) -> VersionListing:
    last_version = versions[-1] if versions else None
    last_prefix = prefixes[-1] if prefixes else None
    if last_version is None or (last_prefix is not None and last_prefix > last_version.key):
        return VersionListing(versions, prefixes, True, last_prefix, None)
    return VersionListing(versions, prefixes, True, last_version.key, last_version.version_id)
