"""Rows of the secrets tables (schema.py), read and written inside the caller's transaction:
a secret's record, its versions and their labels, and the purge of secrets whose recovery
window has ended."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from .labels import attach, unfinished
from .model import (
    MARKED_FOR_DELETION,
    MAX_VERSIONS,
    NOT_FOUND,
    PENDING,
    MarkedForDeletion,
    Secret,
    SecretNotFound,
    Version,
    name_of_arn,
)


def named(secret: Secret) -> dict[str, Any]:
    """The ARN and Name most answers start with."""
    return {"ARN": secret.arn, "Name": secret.name}


def purge(conn: sqlite3.Connection, now: float) -> None:
    """Secrets whose recovery window has ended are gone."""
    conn.execute("DELETE FROM secrets WHERE purge_at <= ?", (now,))


def find(conn: sqlite3.Connection, secret_id: str, now: float) -> Secret:
    """The secret `secret_id` names: its name, its ARN, or its ARN without the six random
    characters (a partial ARN)."""
    purge(conn, now)
    row = None
    if secret_id.startswith("arn:"):
        row = conn.execute("SELECT record FROM secrets WHERE arn = ?", (secret_id,)).fetchone()
        name = name_of_arn(secret_id)
        if row is None and name is not None:
            row = conn.execute(
                "SELECT record FROM secrets WHERE name = ? AND arn LIKE ? ESCAPE '\\'",
                (name, _escaped(secret_id) + "-______"),
            ).fetchone()
    else:
        row = conn.execute("SELECT record FROM secrets WHERE name = ?", (secret_id,)).fetchone()
    if row is None:
        raise SecretNotFound(NOT_FOUND)
    return Secret(**orjson.loads(row[0]))


def live(conn: sqlite3.Connection, secret_id: str, now: float) -> Secret:
    secret = find(conn, secret_id, now)
    if secret.deleted is not None:
        raise MarkedForDeletion(MARKED_FOR_DELETION)
    return secret


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def save(conn: sqlite3.Connection, secret: Secret) -> None:
    conn.execute(
        "UPDATE secrets SET purge_at = ?, record = ? WHERE arn = ?",
        (secret.purge_at, orjson.dumps(secret.dump()).decode(), secret.arn),
    )


VERSION_COLUMNS = "version_id, created, stages, sealed, binary, accessed"


def read_versions(conn: sqlite3.Connection, arn_: str) -> list[Version]:
    return [
        _version_of(row)
        for row in conn.execute(
            f"SELECT {VERSION_COLUMNS} FROM secret_versions WHERE arn = ? ORDER BY created, rowid",
            (arn_,),
        )
    ]


def read_all_versions(conn: sqlite3.Connection) -> list[tuple[str, Version]]:
    """Every secret's versions (ListSecrets), oldest first."""
    return [
        (row[0], _version_of(row[1:]))
        for row in conn.execute(
            f"SELECT arn, {VERSION_COLUMNS} FROM secret_versions ORDER BY created, rowid"
        )
    ]


def _version_of(row: tuple[Any, ...]) -> Version:
    vid, created, stages, sealed, binary, accessed = row
    return Version(vid, created, orjson.loads(stages), sealed, bool(binary), accessed)


def read_version(conn: sqlite3.Connection, arn_: str, version_id: str) -> Version | None:
    return next((v for v in read_versions(conn, arn_) if v.version_id == version_id), None)


def write_labels(conn: sqlite3.Connection, arn_: str, versions: list[Version]) -> None:
    conn.executemany(
        "UPDATE secret_versions SET stages = ? WHERE arn = ? AND version_id = ?",
        [(orjson.dumps(v.stages).decode(), arn_, v.version_id) for v in versions],
    )


def trim(conn: sqlite3.Connection, arn_: str, versions: list[Version]) -> None:
    """Past MAX_VERSIONS, the oldest versions without labels go (AWS deprecates them)."""
    extra = len(versions) - MAX_VERSIONS
    for v in [v for v in versions if not v.stages][: max(extra, 0)]:
        conn.execute(
            "DELETE FROM secret_versions WHERE arn = ? AND version_id = ?", (arn_, v.version_id)
        )


def pending(conn: sqlite3.Connection, secret: Secret, token: str, now: float) -> None:
    """The version `token` of a rotation, labelled AWSPENDING (made, without a value, if
    new). Another version still pending (a rotation not finished) refuses it."""
    versions = read_versions(conn, secret.arn)
    left = unfinished(versions)
    if left is not None and left.version_id != token:
        raise MarkedForDeletion(
            "A previous rotation isn't complete. That rotation will be reattempted."
        )
    version = next((v for v in versions if v.version_id == token), None)
    if version is None:
        version = Version(token, now, [], None)
        versions.append(version)
        conn.execute(
            "INSERT INTO secret_versions (arn, version_id, created, stages) VALUES (?, ?, ?, '[]')",
            (secret.arn, token, now),
        )
    attach(versions, version, PENDING)
    write_labels(conn, secret.arn, versions)
