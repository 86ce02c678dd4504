"""Published versions: immutable copies of $LATEST's code and configuration.

Version numbers count up per function and are never reused, even after a delete. Publishing
an unchanged $LATEST returns the newest version instead of making another, as AWS does.
"""

from __future__ import annotations

import sqlite3
import uuid

from pydantic import BaseModel, ConfigDict, Field

from stratus.errors import Conflict, Invalid
from stratus.functions.aliases import AliasConfiguration
from stratus.functions.model import FunctionConfiguration, stale_revision

LATEST = "$LATEST"
# Fields that make a version differ from another; the rest are identity or bookkeeping.
_IDENTITY = {
    "Version",
    "FunctionArn",
    "RevisionId",
    "LastModified",
    "Description",
    "State",
    "LastUpdateStatus",
}


class PublishVersionRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    CodeSha256: str | None = None
    Description: str | None = Field(default=None, max_length=256)
    RevisionId: str | None = None


def publish(
    conn: sqlite3.Connection,
    latest: FunctionConfiguration,
    request: PublishVersionRequest,
    arn: str,
) -> FunctionConfiguration:
    """Inside a transaction: publish `latest` (already read in it) as the next version."""
    if request.RevisionId and request.RevisionId != latest.RevisionId:
        raise stale_revision()
    if request.CodeSha256 and request.CodeSha256 != latest.CodeSha256:
        raise Invalid(
            f"CodeSHA256 ({request.CodeSha256}) is different from current CodeSHA256 in "
            f"$LATEST ({latest.CodeSha256}). Please try again with the CodeSHA256 in $LATEST."
        )
    name = latest.FunctionName
    newest = conn.execute(
        "SELECT config FROM versions WHERE function_name = ? AND version != ? "
        "ORDER BY CAST(version AS INTEGER) DESC LIMIT 1",
        (name, LATEST),
    ).fetchone()
    if newest is not None:
        previous = FunctionConfiguration.model_validate_json(newest["config"])
        if _essence(previous) == _essence(latest):
            return previous
    number = conn.execute(
        "UPDATE functions SET last_version = last_version + 1 WHERE name = ? "
        "RETURNING last_version",
        (name,),
    ).fetchone()[0]
    version = latest.model_copy(
        update={
            "Version": str(number),
            "FunctionArn": f"{arn}:{number}",
            "RevisionId": str(uuid.uuid4()),
            "Description": latest.Description
            if request.Description is None
            else request.Description,
            "SnapStart": latest.SnapStart.model_copy(
                update={"OptimizationStatus": "On" if _snapstart(latest) else "Off"}
            ),
        }
    )
    if _snapstart(latest):
        # As on AWS, a SnapStart version is Pending (and refuses invokes) until its snapshot
        # is taken, so Active means that restores are fast from the first invoke on.
        version = version.model_copy(
            update={
                "State": "Pending",
                "StateReasonCode": "Creating",
                "StateReason": "The function is being created.",
            }
        )
    conn.execute(
        "INSERT INTO versions (function_name, version, config) VALUES (?, ?, ?)",
        (name, version.Version, version.model_dump_json()),
    )
    return version


def list_versions(conn: sqlite3.Connection, name: str) -> list[FunctionConfiguration]:
    rows = conn.execute(
        "SELECT config FROM versions WHERE function_name = ? "
        "ORDER BY version != ?, CAST(version AS INTEGER)",
        (name, LATEST),
    ).fetchall()
    return [FunctionConfiguration.model_validate_json(row["config"]) for row in rows]


def delete_version(conn: sqlite3.Connection, name: str, version: str, arn: str) -> int:
    """Delete one published version; refuse while an alias routes to it."""
    if version == LATEST:
        raise Invalid("$LATEST version cannot be deleted without deleting the function.")
    if not version.isdigit():
        raise Invalid("Deletion of aliases is not supported by DeleteFunction; use DeleteAlias.")
    referring = [
        alias.Name
        for alias in (
            AliasConfiguration.model_validate_json(row["config"])
            for row in conn.execute("SELECT config FROM aliases WHERE function_name = ?", (name,))
        )
        if version in alias.versions()
    ]
    if referring:
        raise Conflict(
            f"Unable to delete version because the following aliases reference it: "
            f"[{', '.join(referring)}]",
            Type="User",
        )
    return conn.execute(
        "DELETE FROM versions WHERE function_name = ? AND version = ?", (name, version)
    ).rowcount


def _snapstart(config: FunctionConfiguration) -> bool:
    return config.SnapStart.ApplyOn == "PublishedVersions"


def _essence(config: FunctionConfiguration) -> dict[str, object]:
    return config.model_dump(exclude=_IDENTITY)
