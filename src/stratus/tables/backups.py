"""On-demand backups and point-in-time recovery settings of tables.

CreateBackup copies the table's definition (what CreateTable would need to make it again:
keys, attributes, indexes, billing) and every item, in one read transaction, into
`dynamo_backups`; RestoreTableFromBackup makes a new table of it (with AWS's overrides:
billing mode, throughput, indexes left out or changed) and writes the items back through
the tables' own write path (indexes and, if the new table has one, its stream). As on AWS, a
restore brings back neither the stream, TTL, tags nor the PITR setting; a backup outlives
its table. Describe/List/DeleteBackup answer AWS's shapes.

Point-in-time recovery: Describe/UpdateContinuousBackups keep the switch (and its recovery
period) per table, with AWS's earliest and latest restorable times. RestoreTableToPointInTime
is not served: Stratus keeps no history of items to restore from.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from stratus.errors import Conflict, NotFound
from stratus.store.db import Database, transaction

from . import store
from .errors import TableInUse, TableNotFound, TableValidation
from .model import Table

if TYPE_CHECKING:
    from .service import TableService

_NAME = re.compile(r"[a-zA-Z0-9_.-]{3,255}")
LIST_LIMIT = 100
RESTORE_CHUNK = 500  # items per write transaction


class BackupNotFound(NotFound):
    def __init__(self, arn: str) -> None:
        super().__init__(f"Backup not found: {arn}")


class NoSuchTable(NotFound):
    """TableNotFoundException: the backup calls' word for a missing table."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Table not found: {name}")


class TableExists(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"Table already exists: {name}")


class Backups:
    def __init__(self, db: Database, tables: TableService, clock: Callable[[], float]) -> None:
        self._db = db
        self._tables = tables
        self._clock = clock

    # ---- on-demand backups -------------------------------------------------------------

    async def create(self, table_name: str, name: str) -> dict[str, Any]:
        if not _NAME.fullmatch(name):
            raise TableValidation(
                f"1 validation error detected: Value '{name}' at 'backupName' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
            )
        table = self._existing(table_name)
        now = self._clock()
        arn = f"{table.arn}/backup/{int(now * 1000):017d}-{secrets.token_hex(4)}"
        definition = _definition(table)

        def copy(conn: sqlite3.Connection) -> dict[str, Any]:
            with transaction(conn):
                items = [row.item for row in store.scan_table(conn, table.id, _EVERYTHING, None)]
                count, size = store.statistics(conn, table.id)
                record = {
                    "arn": arn,
                    "name": name,
                    "created": now,
                    "table_name": table.name,
                    "table_arn": table.arn,
                    "table_id": table.table_id,
                    "table_created": table.created,
                    "definition": definition,
                    "item_count": count,
                    "size": size,
                }
                conn.execute(
                    "INSERT INTO dynamo_backups (arn, table_name, created, record, items) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (arn, table.name, now, orjson.dumps(record), orjson.dumps(items)),
                )
                return record

        return _details(await self._db.run(copy))

    async def describe(self, arn: str) -> dict[str, Any]:
        return _description(await self._record(arn))

    async def delete(self, arn: str) -> dict[str, Any]:
        record = await self._record(arn)
        await self._db.run(
            lambda conn: conn.execute("DELETE FROM dynamo_backups WHERE arn = ?", (arn,))
        )
        described = _description(record)
        described["BackupDetails"]["BackupStatus"] = "DELETED"
        return described

    async def list(
        self,
        table_name: str | None,
        lower: float | None,
        upper: float | None,
        after: str | None,
        limit: int | None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        rows = await self._db.run(
            lambda conn: conn.execute(
                "SELECT arn, record FROM dynamo_backups WHERE (? IS NULL OR table_name = ?) "
                "ORDER BY created, arn",
                (table_name, table_name),
            ).fetchall()
        )
        records = [orjson.loads(row[1]) for row in rows]
        found = [
            r
            for r in records
            if (lower is None or r["created"] >= lower) and (upper is None or r["created"] <= upper)
        ]
        if after is not None:
            arns = [r["arn"] for r in found]
            found = found[arns.index(after) + 1 :] if after in arns else []
        size = min(limit or LIST_LIMIT, LIST_LIMIT)
        page = found[:size]
        more = len(found) > size
        return [_summary(r) for r in page], page[-1]["arn"] if more and page else None

    async def restore(self, target: str, arn: str, overrides: Mapping[str, Any]) -> dict[str, Any]:
        record = await self._record(arn)
        if target in self._tables.names():
            raise TableExists(target)
        params = {**record["definition"], "TableName": target}
        params.update(_overrides(params, overrides))
        params = {k: v for k, v in params.items() if v is not None and v != []}
        try:
            described = await self._tables.create_table(params)
        except TableInUse:
            raise TableExists(target) from None
        items = await self._db.run(
            lambda conn: orjson.loads(
                conn.execute("SELECT items FROM dynamo_backups WHERE arn = ?", (arn,)).fetchone()[0]
            )
        )
        for start in range(0, len(items), RESTORE_CHUNK):
            await self._tables.load(target, items[start : start + RESTORE_CHUNK])
        described["RestoreSummary"] = {
            "SourceBackupArn": arn,
            "SourceTableArn": record["table_arn"],
            "RestoreDateTime": self._clock(),
            "RestoreInProgress": False,
        }
        return described

    async def _record(self, arn: str) -> dict[str, Any]:
        row = await self._db.run(
            lambda conn: conn.execute(
                "SELECT record FROM dynamo_backups WHERE arn = ?", (arn,)
            ).fetchone()
        )
        if row is None:
            raise BackupNotFound(arn)
        found: dict[str, Any] = orjson.loads(row[0])
        return found

    # ---- point-in-time recovery --------------------------------------------------------

    async def continuous(self, table_name: str) -> dict[str, Any]:
        table = self._existing(table_name)
        row = await self._db.run(
            lambda conn: conn.execute(
                "SELECT enabled, since, period FROM dynamo_pitr WHERE table_id = ?",
                (table.table_id,),
            ).fetchone()
        )
        recovery: dict[str, Any] = {"PointInTimeRecoveryStatus": "DISABLED"}
        if row is not None and row[0]:
            now = self._clock()
            period = int(row[2])
            earliest = max(row[1], now - period * 86_400)
            recovery = {
                "PointInTimeRecoveryStatus": "ENABLED",
                "RecoveryPeriodInDays": period,
                "EarliestRestorableDateTime": earliest,
                # AWS's latest lags about five minutes (never before the earliest).
                "LatestRestorableDateTime": max(earliest, now - 300),
            }
        return {
            "ContinuousBackupsStatus": "ENABLED",
            "PointInTimeRecoveryDescription": recovery,
        }

    async def set_continuous(self, table_name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
        table = self._existing(table_name)
        enabled = bool(spec.get("PointInTimeRecoveryEnabled"))
        period = int(spec.get("RecoveryPeriodInDays") or 35)
        if not 1 <= period <= 35:
            raise TableValidation(
                "1 validation error detected: Value at 'pointInTimeRecoverySpecification."
                "recoveryPeriodInDays' failed to satisfy constraint: Member must have value "
                "between 1 and 35"
            )
        now = self._clock()

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                row = conn.execute(
                    "SELECT enabled, since FROM dynamo_pitr WHERE table_id = ?", (table.table_id,)
                ).fetchone()
                since = row[1] if row is not None and row[0] and enabled else now
                conn.execute(
                    "INSERT OR REPLACE INTO dynamo_pitr (table_id, enabled, since, period) "
                    "VALUES (?, ?, ?, ?)",
                    (table.table_id, int(enabled), since, period),
                )

        await self._db.run(write)
        return await self.continuous(table_name)

    def _existing(self, name: str) -> Table:
        try:
            return self._tables.table(name)
        except TableNotFound:
            raise NoSuchTable(name) from None


_EVERYTHING = store.Range(None)  # every partition


def _definition(table: Table) -> dict[str, Any]:
    """What CreateTable needs to make the table again (keys, attributes, indexes, billing)."""
    params: dict[str, Any] = {
        "KeySchema": table.key.wire(),
        "AttributeDefinitions": [
            {"AttributeName": n, "AttributeType": t} for n, t in table.attributes.items()
        ],
        "BillingMode": table.billing_mode,
    }
    if table.billing_mode == "PROVISIONED":
        params["ProvisionedThroughput"] = {
            "ReadCapacityUnits": table.throughput.read,
            "WriteCapacityUnits": table.throughput.write,
        }
    for is_global, member in ((True, "GlobalSecondaryIndexes"), (False, "LocalSecondaryIndexes")):
        indexes = []
        for index in table.indexes:
            if index.is_global != is_global:
                continue
            found: dict[str, Any] = {
                "IndexName": index.name,
                "KeySchema": index.key.wire(),
                "Projection": index.projection.wire(),
            }
            if is_global and table.billing_mode == "PROVISIONED" and index.throughput:
                found["ProvisionedThroughput"] = {
                    "ReadCapacityUnits": index.throughput.read,
                    "WriteCapacityUnits": index.throughput.write,
                }
            indexes.append(found)
        if indexes:
            params[member] = indexes
    return params


def _overrides(params: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """RestoreTableFromBackup's *Override members, as CreateTable's."""
    out: dict[str, Any] = {}
    if given.get("BillingModeOverride"):
        out["BillingMode"] = given["BillingModeOverride"]
        if given["BillingModeOverride"] == "PAY_PER_REQUEST":
            out["ProvisionedThroughput"] = None
            out["GlobalSecondaryIndexes"] = [
                {k: v for k, v in index.items() if k != "ProvisionedThroughput"}
                for index in params.get("GlobalSecondaryIndexes") or []
            ]
    if given.get("ProvisionedThroughputOverride"):
        out["ProvisionedThroughput"] = given["ProvisionedThroughputOverride"]
    if given.get("GlobalSecondaryIndexOverride") is not None:
        out["GlobalSecondaryIndexes"] = list(given["GlobalSecondaryIndexOverride"])
    if given.get("LocalSecondaryIndexOverride") is not None:
        out["LocalSecondaryIndexes"] = list(given["LocalSecondaryIndexOverride"])
    return out


def _details(record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "BackupArn": record["arn"],
        "BackupName": record["name"],
        "BackupSizeBytes": record["size"],
        "BackupStatus": "AVAILABLE",
        "BackupType": "USER",
        "BackupCreationDateTime": record["created"],
    }


def _description(record: Mapping[str, Any]) -> dict[str, Any]:
    definition = record["definition"]
    source: dict[str, Any] = {
        "TableName": record["table_name"],
        "TableId": record["table_id"],
        "TableArn": record["table_arn"],
        "TableSizeBytes": record["size"],
        "KeySchema": definition["KeySchema"],
        "TableCreationDateTime": record["table_created"],
        "ProvisionedThroughput": definition.get(
            "ProvisionedThroughput", {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0}
        ),
        "ItemCount": record["item_count"],
        "BillingMode": definition["BillingMode"],
    }
    features: dict[str, Any] = {}
    for member in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if definition.get(member):
            features[member] = definition[member]
    return {
        "BackupDetails": _details(record),
        "SourceTableDetails": source,
        "SourceTableFeatureDetails": features,
    }


def _summary(record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "TableName": record["table_name"],
        "TableId": record["table_id"],
        "TableArn": record["table_arn"],
        **_details(record),
    }
