"""Amazon DynamoDB (JSON 1.0, X-Amz-Target: DynamoDB_20120810.<Operation>).

Each handler reads its members, makes one TableService call and names what it answers.
Items travel as the wire's AttributeValue maps (binary values as bytes once the protocol
layer has decoded them), so no handler converts an item.
"""

from __future__ import annotations

from typing import Any

from stratus.errors import Invalid
from stratus.tables import backups
from stratus.tables import errors as t
from stratus.tables.partiql import batches as partiql_batches
from stratus.tables.partiql import execute as partiql
from stratus.tables.requests import consumed, refuse_legacy
from stratus.tables.service import TableService, Written
from stratus.tables.values import item_size

from .protocols.adapter import Api, Call, Handler
from .protocols.errors import ErrorTable, WireError

ERRORS: ErrorTable = {
    Invalid: WireError("ValidationException", 400),
    t.TableNotFound: WireError("ResourceNotFoundException", 400),
    backups.NoSuchTable: WireError("TableNotFoundException", 400),
    backups.BackupNotFound: WireError("BackupNotFoundException", 400),
    backups.TableExists: WireError("TableAlreadyExistsException", 400),
    t.TableInUse: WireError("ResourceInUseException", 400),
    t.ConditionFailed: WireError("ConditionalCheckFailedException", 400),
    t.TransactionCanceled: WireError("TransactionCanceledException", 400),
    t.IdempotencyMismatch: WireError("IdempotentParameterMismatchException", 400),
    partiql.DuplicateItem: WireError("DuplicateItemException", 400),
}
WRITE_UNIT = 1024
READ_UNIT = 4096


def _tables(call: Call) -> TableService:
    return call.services.tables


def _write_units(size: int) -> float:
    return float(max(1, -(-size // WRITE_UNIT)))


def _read_units(size: int, consistent: bool) -> float:
    units = float(max(1, -(-size // READ_UNIT)))
    return units if consistent else units / 2


# ---- tables ---------------------------------------------------------------------------


async def create_table(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    return {"TableDescription": await _tables(call).create_table(p)}


async def describe_table(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    return {"Table": await _tables(call).describe_table(p["TableName"])}


async def update_table(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    return {"TableDescription": await _tables(call).update_table(p)}


async def delete_table(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    return {"TableDescription": await _tables(call).delete_table(p["TableName"])}


async def list_tables(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    names = _tables(call).names()
    start = p.get("ExclusiveStartTableName")
    if start is not None:
        names = [n for n in names if n > start]
    limit = p.get("Limit", 100)
    answer: dict[str, Any] = {"TableNames": names[:limit]}
    if len(names) > limit:
        answer["LastEvaluatedTableName"] = names[limit - 1]
    return answer


async def update_time_to_live(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    spec = p["TimeToLiveSpecification"]
    await _tables(call).set_time_to_live(p["TableName"], spec)
    return {"TimeToLiveSpecification": spec}


async def describe_time_to_live(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    attribute = _tables(call).table(p["TableName"]).ttl_attribute
    if attribute is None:
        return {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}
    return {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": attribute}}


async def tag_resource(call: Call, p: dict[str, Any]) -> None:
    await _tables(call).tag(p["ResourceArn"], p["Tags"])


async def untag_resource(call: Call, p: dict[str, Any]) -> None:
    await _tables(call).untag(p["ResourceArn"], p["TagKeys"])


async def list_tags_of_resource(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    tags = _tables(call).tags(p["ResourceArn"])
    return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


async def describe_endpoints(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    host = call.base_url.split("://", 1)[-1]
    return {"Endpoints": [{"Address": host, "CachePeriodInMinutes": 1440}]}


async def describe_limits(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    return {
        "AccountMaxReadCapacityUnits": 80000,
        "AccountMaxWriteCapacityUnits": 80000,
        "TableMaxReadCapacityUnits": 40000,
        "TableMaxWriteCapacityUnits": 40000,
    }


# ---- items --------------------------------------------------------------------------


async def create_backup(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    details = await _tables(call).backups.create(p["TableName"], p["BackupName"])
    return {"BackupDetails": details}


async def describe_backup(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    return {"BackupDescription": await _tables(call).backups.describe(p["BackupArn"])}


async def delete_backup(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    return {"BackupDescription": await _tables(call).backups.delete(p["BackupArn"])}


async def list_backups(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    if p.get("BackupType") not in (None, "USER", "ALL"):
        return {"BackupSummaries": []}  # (SYSTEM and AWS_BACKUP ones: Stratus makes none)
    found, last = await _tables(call).backups.list(
        p.get("TableName"),
        _epoch(p.get("TimeRangeLowerBound")),
        _epoch(p.get("TimeRangeUpperBound")),
        p.get("ExclusiveStartBackupArn"),
        p.get("Limit"),
    )
    out: dict[str, Any] = {"BackupSummaries": found}
    if last is not None:
        out["LastEvaluatedBackupArn"] = last
    return out


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


async def restore_table_from_backup(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    described = await _tables(call).backups.restore(p["TargetTableName"], p["BackupArn"], p)
    return {"TableDescription": described}


async def describe_continuous_backups(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    found = await _tables(call).backups.continuous(p["TableName"])
    return {"ContinuousBackupsDescription": found}


async def update_continuous_backups(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    spec = p["PointInTimeRecoverySpecification"]
    found = await _tables(call).backups.set_continuous(p["TableName"], spec)
    return {"ContinuousBackupsDescription": found}


def _written(p: dict[str, Any], written: Written) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    if written.attributes:
        answer["Attributes"] = written.attributes
    capacity = consumed(p["TableName"], _write_units(written.size), p.get("ReturnConsumedCapacity"))
    if capacity:
        answer["ConsumedCapacity"] = capacity
    return answer


def _expression_args(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "names": p.get("ExpressionAttributeNames"),
        "values": p.get("ExpressionAttributeValues"),
    }


async def put_item(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    refuse_legacy(p)
    written = await _tables(call).put_item(
        p["TableName"],
        p["Item"],
        condition=p.get("ConditionExpression"),
        returns=p.get("ReturnValues"),
        on_failure=p.get("ReturnValuesOnConditionCheckFailure"),
        **_expression_args(p),
    )
    return _written(p, written)


async def get_item(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    refuse_legacy(p)
    item = await _tables(call).get_item(
        p["TableName"],
        p["Key"],
        projection=p.get("ProjectionExpression"),
        names=p.get("ExpressionAttributeNames"),
    )
    answer: dict[str, Any] = {} if item is None else {"Item": item}
    capacity = consumed(
        p["TableName"], 0.5 if not p.get("ConsistentRead") else 1.0, p.get("ReturnConsumedCapacity")
    )
    if capacity:
        answer["ConsumedCapacity"] = capacity
    return answer


async def delete_item(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    refuse_legacy(p)
    written = await _tables(call).delete_item(
        p["TableName"],
        p["Key"],
        condition=p.get("ConditionExpression"),
        returns=p.get("ReturnValues"),
        on_failure=p.get("ReturnValuesOnConditionCheckFailure"),
        **_expression_args(p),
    )
    return _written(p, written)


async def update_item(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    refuse_legacy(p)
    written = await _tables(call).update_item(
        p["TableName"],
        p["Key"],
        update=p.get("UpdateExpression"),
        condition=p.get("ConditionExpression"),
        returns=p.get("ReturnValues"),
        on_failure=p.get("ReturnValuesOnConditionCheckFailure"),
        **_expression_args(p),
    )
    return _written(p, written)


# ---- Query and Scan ---------------------------------------------------------------------


async def _read(call: Call, p: dict[str, Any], query: bool) -> dict[str, Any]:
    refuse_legacy(p)
    page = await _tables(call).read(
        p["TableName"],
        query=query,
        index=p.get("IndexName"),
        key_condition=p.get("KeyConditionExpression"),
        filter=p.get("FilterExpression"),
        projection=p.get("ProjectionExpression"),
        names=p.get("ExpressionAttributeNames"),
        values=p.get("ExpressionAttributeValues"),
        select=p.get("Select"),
        limit=p.get("Limit"),
        start=p.get("ExclusiveStartKey"),
        forward=p.get("ScanIndexForward", True),
        consistent=bool(p.get("ConsistentRead", False)),
        segment=p.get("Segment"),
        total_segments=p.get("TotalSegments"),
    )
    answer: dict[str, Any] = {"Count": page.count, "ScannedCount": page.scanned}
    if p.get("Select") != "COUNT":
        answer["Items"] = page.items
    if page.last_key is not None:
        answer["LastEvaluatedKey"] = page.last_key
    capacity = consumed(
        p["TableName"],
        _read_units(page.read_bytes, bool(p.get("ConsistentRead"))),
        p.get("ReturnConsumedCapacity"),
    )
    if capacity:
        answer["ConsumedCapacity"] = capacity
    return answer


async def query(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    return await _read(call, p, query=True)


async def scan(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    return await _read(call, p, query=False)


# ---- PartiQL -------------------------------------------------------------------------------


async def execute_statement(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    found = await partiql.execute(
        _tables(call),
        p["Statement"],
        p.get("Parameters", []),
        limit=p.get("Limit"),
        next_token=p.get("NextToken"),
        consistent=bool(p.get("ConsistentRead", False)),
        on_failure=p.get("ReturnValuesOnConditionCheckFailure"),
    )
    answer: dict[str, Any] = {"Items": found.items}
    if found.next_token:
        answer["NextToken"] = found.next_token
        answer["LastEvaluatedKey"] = found.last_key
    return answer


async def batch_execute_statement(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    return {"Responses": await partiql_batches.batch(_tables(call), p["Statements"])}


async def execute_transaction(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    found = await partiql_batches.transaction(
        _tables(call), p["TransactStatements"], p.get("ClientRequestToken")
    )
    return {"Responses": found} if found else {}


# ---- batches and transactions -----------------------------------------------------------


def _per_table(units: dict[str, float], wanted: str | None) -> dict[str, Any]:
    """ConsumedCapacity of a batch or transaction: one entry per table, when asked for."""
    if wanted not in ("TOTAL", "INDEXES"):
        return {}
    return {"ConsumedCapacity": [{"TableName": t, "CapacityUnits": u} for t, u in units.items()]}


def _request_units(
    entries: list[tuple[str, dict[str, Any] | None]], factor: float
) -> dict[str, float]:
    """Write units by table from what a request writes (a put's item; a delete or update
    counts one unit: the item it changes is not in the request)."""
    units: dict[str, float] = {}
    for table, item in entries:
        size = item_size(item) if item else 0
        units[table] = units.get(table, 0.0) + _write_units(size) * factor
    return units


async def batch_write_item(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    await _tables(call).batch_write(p["RequestItems"])
    entries = [
        (table, entry.get("PutRequest", {}).get("Item"))
        for table, requests in p["RequestItems"].items()
        for entry in requests
    ]
    units = _request_units(entries, 1.0)
    return {"UnprocessedItems": {}} | _per_table(units, p.get("ReturnConsumedCapacity"))


async def batch_get_item(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    found, left = await _tables(call).batch_get(p["RequestItems"])
    units = {
        table: sum(
            _read_units(item_size(i), bool(p["RequestItems"][table].get("ConsistentRead")))
            for i in items
        )
        for table, items in found.items()
    }
    answer = {"Responses": found, "UnprocessedKeys": left}
    return answer | _per_table(units, p.get("ReturnConsumedCapacity"))


async def transact_write_items(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    await _tables(call).transact_write(p["TransactItems"], p.get("ClientRequestToken"))
    entries = [
        (spec["TableName"], spec.get("Item"))
        for action in p["TransactItems"]
        for spec in action.values()
    ]
    return _per_table(_request_units(entries, 2.0), p.get("ReturnConsumedCapacity"))


async def transact_get_items(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    found = await _tables(call).transact_get(p["TransactItems"])
    units: dict[str, float] = {}
    for action, item in zip(p["TransactItems"], found, strict=True):
        table = action["Get"]["TableName"]
        units[table] = units.get(table, 0.0) + 2 * _read_units(item_size(item or {}), True)
    answer = {"Responses": [{} if item is None else {"Item": item} for item in found]}
    return answer | _per_table(units, p.get("ReturnConsumedCapacity"))


HANDLERS: dict[str, Handler] = {
    "CreateTable": create_table,
    "DescribeTable": describe_table,
    "UpdateTable": update_table,
    "DeleteTable": delete_table,
    "ListTables": list_tables,
    "UpdateTimeToLive": update_time_to_live,
    "DescribeTimeToLive": describe_time_to_live,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsOfResource": list_tags_of_resource,
    "DescribeEndpoints": describe_endpoints,
    "DescribeLimits": describe_limits,
    "PutItem": put_item,
    "GetItem": get_item,
    "DeleteItem": delete_item,
    "UpdateItem": update_item,
    "Query": query,
    "Scan": scan,
    "BatchWriteItem": batch_write_item,
    "BatchGetItem": batch_get_item,
    "TransactWriteItems": transact_write_items,
    "TransactGetItems": transact_get_items,
    "ExecuteStatement": execute_statement,
    "BatchExecuteStatement": batch_execute_statement,
    "ExecuteTransaction": execute_transaction,
    "CreateBackup": create_backup,
    "DescribeBackup": describe_backup,
    "DeleteBackup": delete_backup,
    "ListBackups": list_backups,
    "RestoreTableFromBackup": restore_table_from_backup,
    "DescribeContinuousBackups": describe_continuous_backups,
    "UpdateContinuousBackups": update_continuous_backups,
}
# BatchWriteItem takes up to 16 MB; framing and base64 on top.
API = Api("dynamodb", HANDLERS, ERRORS, body_limit=24 * 1024 * 1024)
