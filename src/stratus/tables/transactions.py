"""Batches and transactions: many item calls, checked up front, run in one database
transaction.

BatchWriteItem and BatchGetItem have no conditions; every request of a batch is processed
(UnprocessedItems stays empty; UnprocessedKeys holds what would pass BatchGetItem's 16 MB
answer). TransactWriteItems checks every condition against the items as they are, and
writes all of it or none: a failed condition cancels the whole transaction with one reason
per action, in AWS's shape. A ClientRequestToken makes a repeat within ten minutes a no-op,
and a reuse with other parameters an error.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from . import codec, keys, store
from .errors import (
    IdempotencyMismatch,
    TableValidation,
    TransactionCanceled,
)
from .expressions import conditions, paths, updates
from .model import Table
from .requests import Expressions, parse
from .values import Item, check_size, clean_item

MAX_BATCH_WRITE = 25
MAX_BATCH_GET = 100
MAX_TRANSACTION_BYTES = 4 * 1024 * 1024
BATCH_GET_BYTES = 16 * 1024 * 1024
TOKEN_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class Action:
    """One write of a batch or transaction, checked: its table, key and what it does."""

    kind: str  # Put | Delete | Update | ConditionCheck
    table: Table
    key: tuple[bytes, bytes]
    item: Item | None  # Put's item, Update's Key
    parsed: Expressions
    on_failure: str | None = None


def _expressions(spec: Mapping[str, Any], **texts: str | None) -> Expressions:
    return parse(
        spec.get("ExpressionAttributeNames"), spec.get("ExpressionAttributeValues"), **texts
    )


def write_action(kind: str, table: Table, spec: Mapping[str, Any]) -> Action:
    """A Put, Delete, Update or ConditionCheck of TransactWriteItems (or a batch's put or
    delete request), checked as the single call would be."""
    condition = spec.get("ConditionExpression")
    on_failure = spec.get("ReturnValuesOnConditionCheckFailure")
    if kind == "Put":
        item = clean_item(spec["Item"])
        check_size(item)
        return Action(kind, table, keys.of_item(table, item), item,
                      _expressions(spec, condition=condition), on_failure)  # fmt: skip
    key = clean_item(spec["Key"])
    encoded = keys.of_key(table, key)
    if kind == "Update":
        parsed = _expressions(spec, condition=condition, update=spec["UpdateExpression"])
        if parsed.update is not None:
            updates.check_keys(parsed.update, table.key.names())
            updates.check_operands(parsed.update)
        return Action(kind, table, encoded, key, parsed, on_failure)
    if kind == "ConditionCheck" and condition is None:
        raise TableValidation("The ConditionExpression of a ConditionCheck is required")
    return Action(kind, table, encoded, key, _expressions(spec, condition=condition), on_failure)


def check_distinct(actions: Sequence[Action], message: str) -> None:
    seen = set()
    for action in actions:
        where = (action.table.id, *action.key)
        if where in seen:
            raise TableValidation(message)
        seen.add(where)


def apply(
    conn: sqlite3.Connection, action: Action, old: Item | None, now: float | None = None
) -> None:
    """Write what one checked action does to its item (on the database thread)."""
    if action.kind == "Put":
        assert action.item is not None
        store.put(conn, action.table, action.key, action.item, check_size(action.item), old, now)
    elif action.kind == "Delete":
        if old is not None:
            store.delete(conn, action.table, action.key, old, now=now)
    elif action.kind == "Update":
        assert action.item is not None
        base = old if old is not None else dict(action.item)
        new = (
            updates.apply(action.parsed.update, base)
            if action.parsed.update is not None
            else dict(base)
        )
        keys.of_item(action.table, new)
        store.put(conn, action.table, action.key, new, check_size(new), old, now)


def holds(action: Action, old: Item | None) -> bool:
    condition = action.parsed.condition
    return condition is None or conditions.holds(condition, old or {})


def run_transaction(
    conn: sqlite3.Connection, actions: Sequence[Action], now: float | None = None
) -> None:
    """All the actions or none: every condition is read first, then every write made."""
    olds = [store.get(conn, a.table.id, *a.key) for a in actions]
    reasons: list[dict[str, Any]] = []
    failed = False
    for action, old in zip(actions, olds, strict=True):
        if holds(action, old):
            reasons.append({"Code": "None"})
            continue
        failed = True
        reason: dict[str, Any] = {
            "Code": "ConditionalCheckFailed",
            "Message": "The conditional request failed",
        }
        if action.on_failure == "ALL_OLD" and old is not None:
            reason["Item"] = old
        reasons.append(reason)
    if failed:
        raise TransactionCanceled(reasons)
    for index, (action, old) in enumerate(zip(actions, olds, strict=True)):
        try:
            apply(conn, action, old, now)
        except TableValidation as exc:
            reasons = [{"Code": "None"} for _ in actions]
            reasons[index] = {"Code": "ValidationError", "Message": exc.message}
            raise TransactionCanceled(reasons) from None


def digest(request: Any) -> str:
    """A ClientRequestToken's request, as a digest to compare a repeat with."""
    return hashlib.sha256(
        orjson.dumps(request, option=orjson.OPT_SORT_KEYS, default=codec.encode_bytes)
    ).hexdigest()


def check_token(conn: sqlite3.Connection, token: str, found: str, now: float) -> bool:
    """Whether this token was used already for the same request (then nothing is done)."""
    earlier = store.token(conn, token, now)
    if earlier is None:
        return False
    if earlier != found:
        raise IdempotencyMismatch(
            "Transaction request cannot be completed with the same ClientRequestToken and "
            "different parameters"
        )
    return True


def project(item: Item, parsed: Expressions) -> Item:
    return paths.project(item, parsed.projection) if parsed.projection is not None else item
