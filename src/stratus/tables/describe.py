"""A table as DescribeTable answers it (AWS's TableDescription)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .model import Index, Table

SizeCount = tuple[int, int]  # ItemCount, TableSizeBytes


def description(
    table: Table,
    status: str,
    counts: SizeCount,
    index_counts: dict[str, int] | None = None,
) -> dict[str, Any]:
    created = datetime.fromtimestamp(table.created, UTC)
    found: dict[str, Any] = {
        "AttributeDefinitions": [
            {"AttributeName": n, "AttributeType": t} for n, t in table.attributes.items()
        ],
        "TableName": table.name,
        "KeySchema": table.key.wire(),
        "TableStatus": status,
        "CreationDateTime": created,
        "ProvisionedThroughput": {
            "NumberOfDecreasesToday": 0,
            "ReadCapacityUnits": table.throughput.read,
            "WriteCapacityUnits": table.throughput.write,
        },
        "TableSizeBytes": counts[1],
        "ItemCount": counts[0],
        "TableArn": table.arn,
        "TableId": table.table_id,
        "DeletionProtectionEnabled": table.deletion_protection,
    }
    if table.billing_mode == "PAY_PER_REQUEST":
        found["BillingModeSummary"] = {
            "BillingMode": "PAY_PER_REQUEST",
            "LastUpdateToPayPerRequestDateTime": created,
        }
    locals_ = [_index(table, i, index_counts) for i in table.indexes if not i.is_global]
    globals_ = [_index(table, i, index_counts) for i in table.indexes if i.is_global]
    if locals_:
        found["LocalSecondaryIndexes"] = locals_
    if globals_:
        found["GlobalSecondaryIndexes"] = globals_
    if table.stream:
        found["StreamSpecification"] = table.stream
        found["LatestStreamLabel"] = table.stream_label
        found["LatestStreamArn"] = f"{table.arn}/stream/{table.stream_label}"
    if table.table_class != "STANDARD":
        found["TableClassSummary"] = {"TableClass": table.table_class}
    return found


def _index(table: Table, index: Index, counts: dict[str, int] | None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "IndexName": index.name,
        "KeySchema": index.key.wire(),
        "Projection": index.projection.wire(),
        "IndexSizeBytes": 0,
        "ItemCount": (counts or {}).get(index.name, 0),
        "IndexArn": f"{table.arn}/index/{index.name}",
    }
    if index.is_global:
        found["IndexStatus"] = "ACTIVE"
        throughput = index.throughput
        found["ProvisionedThroughput"] = {
            "NumberOfDecreasesToday": 0,
            "ReadCapacityUnits": throughput.read if throughput else 0,
            "WriteCapacityUnits": throughput.write if throughput else 0,
        }
    return found
