"""SQL for buckets, object versions and uploads. Every function runs on the database thread
inside the caller's transaction (ObjectService opens it)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any, Literal, cast

from . import acls
from .model import Bucket, Checksum, ObjectVersion, Part, Upload

_OBJECT_COLUMNS = (
    "seq, bucket, key, version_id, latest, delete_marker, size, etag, modified, file, "
    "headers, metadata, checksum, parts, tags, acl, part_sizes, part_checksums"
)


# ---- buckets --------------------------------------------------------------------------------


def bucket_of(row: sqlite3.Row) -> Bucket:
    return Bucket(
        row["name"],
        row["region"],
        row["created"],
        row["versioning"],
        row["ownership"],
        _json(row["public_access"]),
        _json(row["tags"]),
        row["policy"],
        _json(row["cors"]),
        tuple(acls.load(_json(row["acl"]))),
    )


def find_bucket(conn: sqlite3.Connection, name: str) -> Bucket | None:
    row = conn.execute("SELECT * FROM buckets WHERE name = ?", (name,)).fetchone()
    return None if row is None else bucket_of(row)


def all_buckets(conn: sqlite3.Connection) -> list[Bucket]:
    return [bucket_of(r) for r in conn.execute("SELECT * FROM buckets ORDER BY name")]


def insert_bucket(conn: sqlite3.Connection, bucket: Bucket) -> None:
    conn.execute(
        "INSERT INTO buckets (name, region, created, versioning, ownership, public_access, acl) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            bucket.name,
            bucket.region,
            bucket.created,
            bucket.versioning,
            bucket.ownership,
            _dump(bucket.public_access),
            _dump(acls.dump(list(bucket.acl))) if bucket.acl else None,
        ),
    )


# Columns a bucket setting is kept in; JSON ones are dumped.
BUCKET_SETTINGS = {
    "versioning": False,
    "ownership": False,
    "policy": False,
    "public_access": True,
    "tags": True,
    "cors": True,
    "acl": True,
}


def set_bucket(conn: sqlite3.Connection, name: str, column: str, value: Any) -> None:
    stored = _dump(value) if BUCKET_SETTINGS[column] else value
    conn.execute(f"UPDATE buckets SET {column} = ? WHERE name = ?", (stored, name))


def delete_bucket(conn: sqlite3.Connection, name: str) -> None:
    conn.execute("DELETE FROM buckets WHERE name = ?", (name,))
    for kind in ("notifications", "websites", "lifecycles"):
        conn.execute(f"DELETE FROM bucket_{kind} WHERE bucket = ?", (name,))


# A bucket's configurations kept as JSON documents, one table each (bucket_<kind>).
DocumentKind = Literal["notifications", "websites", "lifecycles"]


def bucket_document(
    conn: sqlite3.Connection, kind: DocumentKind, bucket: str
) -> dict[str, Any] | None:
    row = conn.execute(f"SELECT config FROM bucket_{kind} WHERE bucket = ?", (bucket,)).fetchone()
    return None if row is None else cast(dict[str, Any], json.loads(row[0]))


def set_bucket_document(
    conn: sqlite3.Connection, kind: DocumentKind, bucket: str, config: dict[str, Any] | None
) -> None:
    """Store the document; an empty one (or None) removes it."""
    if not config:
        conn.execute(f"DELETE FROM bucket_{kind} WHERE bucket = ?", (bucket,))
        return
    conn.execute(
        f"INSERT INTO bucket_{kind} (bucket, config) VALUES (?, ?) "
        "ON CONFLICT (bucket) DO UPDATE SET config = excluded.config",
        (bucket, json.dumps(config)),
    )


def lifecycle_configs(conn: sqlite3.Connection) -> list[tuple[str, dict[str, Any]]]:
    rows = conn.execute("SELECT bucket, config FROM bucket_lifecycles ORDER BY bucket").fetchall()
    return [(row[0], json.loads(row[1])) for row in rows]


def histories(conn: sqlite3.Connection, bucket: str, after: str, limit: int) -> list[sqlite3.Row]:
    """Every version of up to `limit` keys after `after`, by key, newest first (the
    lifecycle sweep's page)."""
    return conn.execute(
        "SELECT key, version_id, delete_marker, size, modified, tags FROM objects "
        "WHERE bucket = ? AND key IN (SELECT key FROM objects WHERE bucket = ? AND key > ? "
        "AND latest = 1 ORDER BY key LIMIT ?) ORDER BY key, seq DESC",
        (bucket, bucket, after, limit),
    ).fetchall()


def stale_uploads(conn: sqlite3.Connection, bucket: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT id, key, initiated FROM object_uploads WHERE bucket = ?", (bucket,)
    ).fetchall()


def bucket_has_objects(conn: sqlite3.Connection, name: str) -> bool:
    """Any version or delete marker left (a versioned bucket is empty only without them)."""
    found = conn.execute("SELECT 1 FROM objects WHERE bucket = ? LIMIT 1", (name,)).fetchone()
    uploads = conn.execute(
        "SELECT 1 FROM object_uploads WHERE bucket = ? LIMIT 1", (name,)
    ).fetchone()
    return found is not None or uploads is not None


# ---- object versions ------------------------------------------------------------------------


def version_of(row: sqlite3.Row) -> ObjectVersion:
    checksum = json.loads(row["checksum"]) if row["checksum"] else None
    return ObjectVersion(
        row["bucket"],
        row["key"],
        row["version_id"],
        bool(row["latest"]),
        bool(row["delete_marker"]),
        row["size"],
        row["etag"],
        row["modified"],
        row["file"],
        json.loads(row["headers"]),
        json.loads(row["metadata"]),
        Checksum(*checksum) if checksum else None,
        row["parts"],
        json.loads(row["tags"]),
        tuple(acls.load(_json(row["acl"]))),
        tuple(_json(row["part_sizes"]) or ()),
        tuple(_json(row["part_checksums"]) or ()),
    )


def current(conn: sqlite3.Connection, bucket: str, key: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        f"SELECT {_OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ? AND latest = 1",
        (bucket, key),
    ).fetchone()
    return row


def version(conn: sqlite3.Connection, bucket: str, key: str, version_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        f"SELECT {_OBJECT_COLUMNS} FROM objects "
        "WHERE bucket = ? AND key = ? AND version_id = ? ORDER BY seq DESC LIMIT 1",
        (bucket, key, version_id),
    ).fetchone()
    return row


def insert_version(conn: sqlite3.Connection, v: ObjectVersion) -> int:
    cursor = conn.execute(
        "INSERT INTO objects (bucket, key, version_id, latest, delete_marker, size, etag, "
        "modified, file, headers, metadata, checksum, parts, tags, acl, part_sizes, "
        "part_checksums) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            v.bucket,
            v.key,
            v.version_id,
            int(v.delete_marker),
            v.size,
            v.etag,
            v.modified,
            v.file,
            json.dumps(dict(v.headers)),
            json.dumps(dict(v.metadata)),
            json.dumps([v.checksum.algorithm, v.checksum.value, v.checksum.type])
            if v.checksum
            else None,
            v.parts,
            json.dumps(dict(v.tags)),
            json.dumps(acls.dump(list(v.acl))) if v.acl else None,
            json.dumps(list(v.part_sizes)) if v.part_sizes else None,
            json.dumps(list(v.part_checksums)) if v.part_checksums else None,
        ),
    )
    return int(cursor.lastrowid or 0)


def retire(conn: sqlite3.Connection, seq: int) -> None:
    """The version is no longer the current one."""
    conn.execute("UPDATE objects SET latest = 0 WHERE seq = ?", (seq,))


def remove_version(conn: sqlite3.Connection, seq: int) -> str | None:
    """Delete one version's row; its file goes to the garbage list (removed after commit)."""
    row = conn.execute("DELETE FROM objects WHERE seq = ? RETURNING file", (seq,)).fetchone()
    file: str | None = row["file"] if row else None
    if file:
        conn.execute("INSERT OR IGNORE INTO object_garbage VALUES (?)", (file,))
    return file


def promote_newest(conn: sqlite3.Connection, bucket: str, key: str) -> None:
    """After the current version was deleted, the newest remaining one is current."""
    conn.execute(
        "UPDATE objects SET latest = 1 WHERE seq = (SELECT seq FROM objects "
        "WHERE bucket = ? AND key = ? ORDER BY seq DESC LIMIT 1)",
        (bucket, key),
    )


def null_version(conn: sqlite3.Connection, bucket: str, key: str) -> sqlite3.Row | None:
    return version(conn, bucket, key, "null")


def set_tags(conn: sqlite3.Connection, seq: int, tags: dict[str, str]) -> None:
    conn.execute("UPDATE objects SET tags = ? WHERE seq = ?", (json.dumps(tags), seq))


def set_acl(conn: sqlite3.Connection, seq: int, grants: list[acls.Grant]) -> None:
    stored = json.dumps(acls.dump(grants)) if grants else None
    conn.execute("UPDATE objects SET acl = ? WHERE seq = ?", (stored, seq))


def current_page(
    conn: sqlite3.Connection, bucket: str, after: str, lower: str, upper: str | None, limit: int
) -> list[sqlite3.Row]:
    """Current versions with after < key, lower <= key (< upper), in key order: an indexed
    range read of objects_current."""
    sql = (
        f"SELECT {_OBJECT_COLUMNS} FROM objects INDEXED BY objects_current "
        "WHERE bucket = ? AND latest = 1 AND key > ? AND key >= ?"
    )
    args: list[Any] = [bucket, after, lower]
    if upper is not None:
        sql += " AND key < ?"
        args.append(upper)
    sql += " ORDER BY key LIMIT ?"
    args.append(limit)
    return conn.execute(sql, args).fetchall()


def versions_page(
    conn: sqlite3.Connection,
    bucket: str,
    after_key: str,
    after_seq: int | None,
    lower: str,
    upper: str | None,
    limit: int,
) -> list[sqlite3.Row]:
    """Every version after (after_key, after_seq) with lower <= key (< upper), by key,
    newest first per key; after_seq None: after every version of after_key."""
    sql = f"SELECT {_OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key >= ? AND "
    args: list[Any] = [bucket, lower]
    if after_seq is None:
        sql += "key > ?"
        args.append(after_key)
    else:
        sql += "(key > ? OR (key = ? AND seq < ?))"
        args += [after_key, after_key, after_seq]
    if upper is not None:
        sql += " AND key < ?"
        args.append(upper)
    sql += " ORDER BY key, seq DESC LIMIT ?"
    args.append(limit)
    return conn.execute(sql, args).fetchall()


def committed_file(conn: sqlite3.Connection, name: str) -> bool:
    """Whether a row names the blob (start-up sweep)."""
    for table in ("objects", "object_parts"):
        if conn.execute(f"SELECT 1 FROM {table} WHERE file = ?", (name,)).fetchone():
            return True
    return False


def garbage(conn: sqlite3.Connection) -> list[str]:
    return [r["file"] for r in conn.execute("SELECT file FROM object_garbage")]


def forget_garbage(conn: sqlite3.Connection, files: list[str]) -> None:
    conn.executemany("DELETE FROM object_garbage WHERE file = ?", [(f,) for f in files])


# ---- multipart uploads ----------------------------------------------------------------------


def upload_of(row: sqlite3.Row) -> Upload:
    return Upload(
        row["id"],
        row["bucket"],
        row["key"],
        row["initiated"],
        json.loads(row["headers"]),
        json.loads(row["metadata"]),
        json.loads(row["tags"]),
        row["checksum_algorithm"],
        row["checksum_type"],
        tuple(acls.load(_json(row["acl"]))),
    )


def insert_upload(conn: sqlite3.Connection, u: Upload) -> None:
    conn.execute(
        "INSERT INTO object_uploads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            u.id,
            u.bucket,
            u.key,
            u.initiated,
            json.dumps(dict(u.headers)),
            json.dumps(dict(u.metadata)),
            json.dumps(dict(u.tags)),
            u.checksum_algorithm,
            u.checksum_type,
            json.dumps(acls.dump(list(u.acl))) if u.acl else None,
        ),
    )


def find_upload(conn: sqlite3.Connection, upload_id: str) -> Upload | None:
    row = conn.execute("SELECT * FROM object_uploads WHERE id = ?", (upload_id,)).fetchone()
    return None if row is None else upload_of(row)


def uploads_page(
    conn: sqlite3.Connection, bucket: str, prefix: str, after_key: str, after_id: str, limit: int
) -> list[Upload]:
    rows = conn.execute(
        "SELECT * FROM object_uploads WHERE bucket = ? AND key >= ? AND (key > ? OR "
        "(key = ? AND id > ?)) ORDER BY key, initiated, id LIMIT ?",
        (bucket, prefix, after_key, after_key, after_id, limit),
    )
    return [upload_of(r) for r in rows if r["key"].startswith(prefix)]


def put_part(conn: sqlite3.Connection, upload_id: str, part: Part) -> str | None:
    """Record a part (replacing one of the same number); returns the replaced part's file."""
    old = conn.execute(
        "DELETE FROM object_parts WHERE upload_id = ? AND number = ? RETURNING file",
        (upload_id, part.number),
    ).fetchone()
    conn.execute(
        "INSERT INTO object_parts VALUES (?, ?, ?, ?, ?, ?, ?)",
        (upload_id, part.number, part.size, part.etag, part.modified, part.file, part.checksum),
    )
    replaced: str | None = old["file"] if old else None
    if replaced:
        conn.execute("INSERT OR IGNORE INTO object_garbage VALUES (?)", (replaced,))
    return replaced


def parts(
    conn: sqlite3.Connection, upload_id: str, after: int = 0, limit: int = 10_000
) -> list[Part]:
    rows = conn.execute(
        "SELECT * FROM object_parts WHERE upload_id = ? AND number > ? ORDER BY number LIMIT ?",
        (upload_id, after, limit),
    )
    return [
        Part(r["number"], r["size"], r["etag"], r["modified"], r["file"], r["checksum"])
        for r in rows
    ]


def drop_upload(conn: sqlite3.Connection, upload_id: str, keep: set[str]) -> list[str]:
    """Delete an upload and its parts; part files not in `keep` go to the garbage list."""
    files = [
        r["file"]
        for r in conn.execute(
            "DELETE FROM object_parts WHERE upload_id = ? RETURNING file", (upload_id,)
        ).fetchall()
        if r["file"] and r["file"] not in keep
    ]
    conn.execute("DELETE FROM object_uploads WHERE id = ?", (upload_id,))
    conn.executemany("INSERT OR IGNORE INTO object_garbage VALUES (?)", [(f,) for f in files])
    return files


def _json(raw: str | None) -> Any:
    return None if raw is None else json.loads(raw)


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def rows(cursor: Iterator[sqlite3.Row]) -> list[sqlite3.Row]:
    return list(cursor)
