"""BatchExecuteStatement and ExecuteTransaction: many PartiQL statements at once.

A batch (≤ 25) is all reads or all writes; each statement runs on its own and answers its
own item or error (as BatchExecuteStatement's Responses carry them). A transaction (≤ 100)
is all reads (TransactGetItems) or all writes (TransactWriteItems, with its all-or-nothing
and its ClientRequestToken). Reads select one item by its whole key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ConditionFailed, TableNotFound, TableValidation
from ..expressions import paths
from ..expressions.parser import Parser
from .execute import DuplicateItem, execute, read_key, write_action
from .statements import Select, parse

if TYPE_CHECKING:
    from ..service import TableService

MAX_BATCH = 25
MAX_TRANSACTION = 100


async def batch(
    tables: TableService, statements: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    if len(statements) > MAX_BATCH:
        raise TableValidation(f"Member must have length less than or equal to {MAX_BATCH}")
    parsed = [parse(s["Statement"], s.get("Parameters", [])) for s in statements]
    reads = [isinstance(p, Select) for p in parsed]
    if any(reads) and not all(reads):
        raise TableValidation("Statements in a batch must be all reads or all writes")
    answers: list[dict[str, Any]] = []
    for spec, statement in zip(statements, parsed, strict=True):
        try:
            if isinstance(statement, Select):
                table, key, projection = read_key(tables, statement)
                item = await tables.get_item(
                    table,
                    key,
                    projection=projection.text if projection else None,
                    names=projection.names if projection else None,
                )
                answers.append({"TableName": table} | ({"Item": item} if item else {}))
            else:
                await execute(
                    tables,
                    spec["Statement"],
                    spec.get("Parameters", []),
                    on_failure=spec.get("ReturnValuesOnConditionCheckFailure"),
                )
                answers.append({"TableName": statement.table})
        except DuplicateItem as exc:
            answers.append({"Error": {"Code": "DuplicateItem", "Message": exc.message}})
        except ConditionFailed as exc:
            error: dict[str, Any] = {"Code": "ConditionalCheckFailed", "Message": exc.message}
            if exc.item is not None:
                error["Item"] = exc.item
            answers.append({"Error": error})
        except TableNotFound as exc:
            answers.append({"Error": {"Code": "ResourceNotFound", "Message": exc.message}})
        except TableValidation as exc:
            answers.append({"Error": {"Code": "ValidationError", "Message": exc.message}})
    return answers


async def transaction(
    tables: TableService, statements: Sequence[Mapping[str, Any]], token: str | None
) -> list[dict[str, Any]]:
    if len(statements) > MAX_TRANSACTION:
        raise TableValidation(f"Member must have length less than or equal to {MAX_TRANSACTION}")
    parsed = [parse(s["Statement"], s.get("Parameters", [])) for s in statements]
    reads = [isinstance(p, Select) for p in parsed]
    if any(reads) and not all(reads):
        raise TableValidation("Statements in a transaction must be all reads or all writes")
    if all(reads):
        wanted = [read_key(tables, p) for p in parsed]
        found = await tables.transact_get(
            [{"Get": {"TableName": table, "Key": key}} for table, key, _ in wanted]
        )
        answers: list[dict[str, Any]] = []
        for (_, _, projection), item in zip(wanted, found, strict=True):
            if item is not None and projection is not None:
                chosen = Parser(projection.names).projection(projection.text)
                item = paths.project(item, chosen)
            answers.append({} if item is None else {"Item": item})
        return answers
    actions = []
    for spec, statement in zip(statements, parsed, strict=True):
        kind, members = write_action(
            tables, statement, spec.get("ReturnValuesOnConditionCheckFailure")
        )
        actions.append({kind: members})
    await tables.transact_write(actions, token)
    return []
