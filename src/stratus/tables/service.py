"""The table service: DynamoDB's rules over the store, for every caller (the DynamoDB API,
templates, workflows) alike.

Guarantees:
- A write's condition, the write and its index entries run in one transaction on the
  database thread, answered after the commit: `kill -9` loses nothing accepted, and two
  writers to one item are serialised (a condition sees the latest committed item).
- Key lookups and ranges read SQLite's own primary-key B-trees (store.py), never a scan.

Tables themselves are few and read on every call, so they live in memory, loaded at start
and changed by the calls that write them.

Past 400 lines on purpose: this class is the one door to the tables, and each method is a
short ladder (look the table up, check and parse, one unit of work on the database thread)
over the modules that own the rules: definitions.py (table settings), keys.py and values.py
(items), expressions/ (conditions, updates, projections), reads.py (Query and Scan),
transactions.py (batches and transactions), ttl.py, streams.py, store.py (SQL).
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from stratus.config import Settings
from stratus.store.db import Database, transaction
from stratus.store.work import WorkQueue

from . import definitions, keys, model, reads, store, streams, transactions, ttl
from .backups import Backups
from .describe import description
from .errors import (
    ConditionFailed,
    TableInUse,
    TableNotFound,
    TableValidation,
    invalid_parameters,
)
from .expressions import conditions, paths, updates
from .model import Table
from .requests import Expressions, parse, return_values
from .stream_changes import StreamChanges
from .stream_reader import StreamReader
from .sweeper import Sweeper
from .values import Item, Value, check_size, clean_item, item_size

T = TypeVar("T")
MAX_TAGS = 50


@dataclass(frozen=True, slots=True)
class Written:
    """What a write answers: the attributes ReturnValues asked for, and the sizes it
    wrote (for ConsumedCapacity)."""

    attributes: Item | None
    size: int


class TableService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        work: WorkQueue | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`work`: the durable work queue the TTL and stream sweep runs on (None: no sweep,
        for tools that only read and write items)."""
        self.settings = settings
        self._db = db
        self._clock = clock
        # Stream records are stamped by the work queue's clock (which tests move), so their
        # age, their 24 hours and an event source mapping's windows are counted on one clock.
        self._stamp: Callable[[], float] = work.clock.now if work is not None else clock
        self.changes = StreamChanges()  # wakes the stream mappings' pollers after a write
        self._tables: dict[str, Table] = {}
        for row in db.run_blocking(store.all_tables):
            self._remember(self._table_of(row))
        self._orphans = db.run_blocking(store.orphan_tables)
        # Iterators expire by the work queue's clock, which tests move.
        self.streams = StreamReader(
            db, settings.region, work.clock.now if work is not None else time.time
        )
        self.backups = Backups(db, self, clock)
        self._sweeper = (
            Sweeper(db, work, lambda: list(self._tables.values()), self._wrote)
            if work is not None
            else None
        )

    async def wait_run_forever(self) -> None:
        """Finish deleting what a crash interrupted, then sweep TTL and streams forever."""
        await self.wait_drop_orphans()
        if self._sweeper is not None:
            await self._sweeper.wait_run_forever()

    def _wrote(self, *tables: Table) -> None:
        """After a write's commit: wake the readers of the streams it may have written to."""
        for table in tables:
            self.changes.notify(streams.arn(self._tables.get(table.name, table)))

    def _schedule_sweep(self, conn: sqlite3.Connection) -> None:
        if self._sweeper is not None:
            self._sweeper.schedule(conn)

    # ---- the tables -----------------------------------------------------------------

    def arn(self, name: str) -> str:
        return f"arn:aws:dynamodb:{self.settings.region}:{self.settings.account_id}:table/{name}"

    def _table_of(self, row: sqlite3.Row) -> Table:
        definition = json.loads(row["definition"])
        return model.from_json(
            row["id"], row["name"], self.arn(row["name"]), row["created"], definition
        )

    # The tables change on the database thread, in the work that commits the change, so
    # work queued after it (an item write) sees the table as committed (a new index, a
    # stream). Each change replaces the dict whole: readers on the loop iterate a snapshot.

    def _remember(self, table: Table) -> None:
        self._tables = {**self._tables, table.name: table}

    def _forget(self, name: str) -> None:
        self._tables = {k: v for k, v in self._tables.items() if k != name}

    def _live(self, table: Table) -> Table:
        """The table as committed now (on the database thread): its indexes, stream and TTL
        may have changed since the call looked it up; it may be gone."""
        found = self._tables.get(table.name)
        if found is None or found.id != table.id:
            raise TableNotFound()
        return found

    def table(self, name: str) -> Table:
        """A table by name or ARN."""
        if name.startswith("arn:"):
            name = name.rpartition("/")[2] if ":table/" in name else name
        found = self._tables.get(name)
        if found is None:
            raise TableNotFound()
        return found

    def names(self) -> list[str]:
        return sorted(self._tables)

    async def create_table(self, params: Mapping[str, Any]) -> dict[str, Any]:
        name = definitions.check_name(params["TableName"])
        if name in self._tables:
            raise TableInUse(f"Table already exists: {name}")
        key = definitions.key_schema(params["KeySchema"])
        attributes = definitions.attribute_types(params["AttributeDefinitions"])
        mode, throughput = definitions.billing(
            params.get("BillingMode"), params.get("ProvisionedThroughput")
        )
        tags = _tags(params.get("Tags", []))
        stream = _stream(params.get("StreamSpecification"))
        table = Table(
            id=0,
            name=name,
            arn=self.arn(name),
            table_id=str(uuid.uuid4()),
            key=key,
            attributes=attributes,
            billing_mode=mode,
            throughput=throughput,
            created=self._clock(),
            stream=stream,
            stream_label=_label(self._clock()) if stream else None,
            deletion_protection=bool(params.get("DeletionProtectionEnabled", False)),
            table_class=params.get("TableClass", "STANDARD"),
            tags=tags,
        )
        # Indexes need the table's id; check them once with a placeholder id first so a
        # refused table leaves no row behind.
        checked = definitions.indexes(
            0,
            key,
            mode,
            params.get("GlobalSecondaryIndexes", []),
            params.get("LocalSecondaryIndexes", []),
        )
        definitions.check_attributes(attributes, key, checked)

        def create(conn: sqlite3.Connection) -> Table:
            with transaction(conn):
                try:
                    row_id = store.insert_table(conn, name, model.to_json(table), table.created)
                except sqlite3.IntegrityError:  # a CreateTable of the same name won the race
                    raise TableInUse(f"Table already exists: {name}") from None
                made = table.with_changes(
                    id=row_id,
                    indexes=definitions.indexes(
                        row_id,
                        key,
                        mode,
                        params.get("GlobalSecondaryIndexes", []),
                        params.get("LocalSecondaryIndexes", []),
                    ),
                )
                store.update_table(conn, row_id, model.to_json(made))
                if made.stream:
                    streams.open_stream(conn, made, made.created)
                    self._schedule_sweep(conn)
            self._remember(made)
            return made

        made = await self._db.run(create)
        return description(made, "CREATING", (0, 0))

    async def describe_table(self, name: str) -> dict[str, Any]:
        table = self.table(name)

        def read(conn: sqlite3.Connection) -> tuple[tuple[int, int], dict[str, int]]:
            counts = store.statistics(conn, table.id)
            return counts, {i.name: store.index_count(conn, i.id) for i in table.indexes}

        counts, index_counts = await self._db.run(read)
        return description(table, "ACTIVE", counts, index_counts)

    async def delete_table(self, name: str) -> dict[str, Any]:
        table = self.table(name)
        if table.deletion_protection:
            raise invalid_parameters(
                "Resource cannot be deleted as it is currently protected against deletion. "
                "Disable deletion protection first."
            )

        def delete(conn: sqlite3.Connection) -> tuple[int, int]:
            with transaction(conn):
                counts = store.statistics(conn, table.id)
                store.delete_table(conn, table.id)
                ttl.forget(conn, table.id)
                stream_arn = streams.arn(table)
                if stream_arn:
                    streams.close_stream(conn, stream_arn, self._clock())
            self._forget(table.name)
            return counts

        counts = await self._db.run(delete)
        await self._wait_drop_items(table.id, [i.id for i in table.indexes])
        return description(table, "DELETING", counts)

    async def _wait_drop_items(self, table_id: int, index_ids: list[int]) -> None:
        """A deleted table's rows, a chunk per transaction (the database thread is never
        held for long)."""

        def some(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                return store.delete_some_items(conn, table_id, index_ids)

        while await self._db.run(some):  # each chunk hands the loop back while it runs
            pass

    async def wait_drop_orphans(self) -> None:
        """Items of tables deleted before a crash finished removing them."""
        for table_id in self._orphans:
            index_ids = [table_id * definitions.SLOTS + s for s in range(definitions.SLOTS)]
            await self._wait_drop_items(table_id, index_ids)
        self._orphans = []

    async def update_table(self, params: Mapping[str, Any]) -> dict[str, Any]:
        table = self.table(params["TableName"])
        changes: dict[str, Any] = {}
        attributes = dict(table.attributes)
        for d in params.get("AttributeDefinitions", []):
            attributes[d["AttributeName"]] = d["AttributeType"]
        mode = params.get("BillingMode", table.billing_mode)
        if "BillingMode" in params or "ProvisionedThroughput" in params:
            given = params.get("ProvisionedThroughput")
            if mode == "PROVISIONED" and given is None and table.billing_mode == "PROVISIONED":
                given = {"ReadCapacityUnits": table.throughput.read,
                         "WriteCapacityUnits": table.throughput.write}  # fmt: skip
            changes["billing_mode"], changes["throughput"] = definitions.billing(mode, given)
        if "DeletionProtectionEnabled" in params:
            changes["deletion_protection"] = bool(params["DeletionProtectionEnabled"])
        if "TableClass" in params:
            changes["table_class"] = params["TableClass"]
        if "StreamSpecification" in params:
            stream = _stream(params["StreamSpecification"])
            if stream and table.stream:
                raise TableValidation(f"Table already has an enabled stream: {streams.arn(table)}")
            if not stream and not table.stream:
                raise TableValidation("Table does not have a stream to disable")
            changes["stream"] = stream
            changes["stream_label"] = _label(self._clock()) if stream else None
        indexes = list(table.indexes)
        created: list[int] = []
        dropped: list[int] = []
        for update in params.get("GlobalSecondaryIndexUpdates", []):
            if "Create" in update:
                spec = update["Create"]
                if table.index(spec["IndexName"]) is not None or any(
                    i.name == spec["IndexName"] for i in indexes
                ):
                    raise TableValidation("Attempting to create an index which already exists")
                index = definitions.index(
                    spec, definitions.free_slot(table.id, indexes), True, table.key, mode
                )
                indexes.append(index)
                created.append(index.id)
            elif "Delete" in update:
                gone = table.index(update["Delete"]["IndexName"])
                if gone is None or not gone.is_global:
                    raise TableNotFound(
                        f"Requested resource not found: Index: {update['Delete']['IndexName']} "
                        "not found"
                    )
                indexes.remove(gone)
                dropped.append(gone.id)
            elif "Update" in update:
                spec = update["Update"]
                found = table.index(spec["IndexName"])
                if found is None:
                    raise TableNotFound()
                indexes[indexes.index(found)] = model.Index(
                    found.id, found.name, found.key, found.projection, True,
                    definitions.throughput(spec.get("ProvisionedThroughput")),
                )  # fmt: skip
        if created or dropped:
            definitions.check_attributes(
                {n: t for n, t in attributes.items() if n in _used(table.key, indexes)},
                table.key,
                indexes,
            )
            attributes = {n: t for n, t in attributes.items() if n in _used(table.key, indexes)}
            changes["indexes"] = tuple(indexes)
        changes["attributes"] = attributes
        updated = table.with_changes(**changes)

        def write(conn: sqlite3.Connection) -> tuple[int, int]:
            with transaction(conn):
                store.update_table(conn, table.id, model.to_json(updated))
                for index_id in dropped:
                    while store.delete_index_entries(conn, index_id):
                        pass
                for index_id in created:
                    store.index_rebuild(conn, updated, index_id)
                if "StreamSpecification" in params:
                    _switch_stream(conn, table, updated, self._clock())
                    self._schedule_sweep(conn)
                counts = store.statistics(conn, table.id)
            self._remember(updated)
            return counts

        counts = await self._db.run(write)
        return description(updated, "UPDATING" if created or dropped else "ACTIVE", counts)

    async def set_time_to_live(self, name: str, spec: Mapping[str, Any]) -> None:
        table = self.table(name)
        enabled = bool(spec["Enabled"])
        attribute = spec["AttributeName"]
        if enabled and table.ttl_attribute is not None:
            raise TableValidation("TimeToLive is already enabled")
        if not enabled and table.ttl_attribute is None:
            raise TableValidation("TimeToLive is already disabled")
        updated = table.with_changes(ttl_attribute=attribute if enabled else None)

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                store.update_table(conn, table.id, model.to_json(updated))
                if enabled:
                    ttl.backfill(conn, updated)
                    self._schedule_sweep(conn)
                else:
                    ttl.forget(conn, table.id)
            self._remember(updated)

        await self._db.run(write)

    async def _save(self, table: Table) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                store.update_table(conn, table.id, model.to_json(table))
            self._remember(table)

        await self._db.run(write)

    async def tag(self, arn: str, tags: Sequence[Mapping[str, str]]) -> None:
        table = self._by_arn(arn)
        merged = table.tags | _tags(tags)
        if len(merged) > MAX_TAGS:
            raise TableValidation("One or more parameter values were invalid: Too many tags")
        await self._save(table.with_changes(tags=merged))

    async def untag(self, arn: str, names: Sequence[str]) -> None:
        table = self._by_arn(arn)
        await self._save(
            table.with_changes(tags={k: v for k, v in table.tags.items() if k not in names})
        )

    def tags(self, arn: str) -> dict[str, str]:
        return self._by_arn(arn).tags

    def _by_arn(self, arn: str) -> Table:
        found = next((t for t in self._tables.values() if t.arn == arn), None)
        if found is None:
            raise TableNotFound(f"Requested resource not found: ResourcArn: {arn} not found")
        return found

    # ---- items --------------------------------------------------------------------------

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return await self._db.run(work)

    async def put_item(
        self,
        table_name: str,
        item: Item,
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Value] | None = None,
        returns: str | None = None,
        on_failure: str | None = None,
    ) -> Written:
        table = self.table(table_name)
        wanted = return_values("PutItem", returns)
        item = clean_item(item)
        key = keys.of_item(table, item)
        size = check_size(item)
        parsed = parse(names, values, condition=condition)
        # The item it replaces matters only to a condition, ALL_OLD, or what the write must
        # keep in line (index entries, expiry rows, stream records): else a blind upsert.
        needs_old = (
            parsed.condition is not None
            or wanted == "ALL_OLD"
            or bool(table.indexes)
            or table.stream is not None
            or table.ttl_attribute is not None
        )

        def write(conn: sqlite3.Connection) -> Item | None:
            live = self._live(table)
            old = store.get(conn, table.id, *key) if needs_old or live is not table else None
            check_condition(parsed, old, on_failure)
            store.put(conn, live, key, item, size, old, self._stamp())
            return old

        old = await self._db.run_in_transaction(write)  # shares a commit with its neighbours
        self._wrote(table)
        return Written(old if wanted == "ALL_OLD" else None, max(size, _size(old)))

    async def get_item(
        self,
        table_name: str,
        key: Mapping[str, Value],
        *,
        projection: str | None = None,
        names: Mapping[str, str] | None = None,
    ) -> Item | None:
        table = self.table(table_name)
        encoded = keys.of_key(table, clean_item(key))
        # Without a projection or names there is nothing to parse (nor to refuse).
        parsed = (
            None
            if names is None and projection is None
            else parse(names, None, projection=projection)
        )
        # A key lookup costs less than the hop to the database thread: read it here, on
        # this thread's own connection, which sees every write answered before (store/db.py).
        item = self._db.read(lambda conn: store.get(conn, table.id, *encoded))
        if item is None or parsed is None or parsed.projection is None:
            return item
        return paths.project(item, parsed.projection)

    async def delete_item(
        self,
        table_name: str,
        key: Mapping[str, Value],
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Value] | None = None,
        returns: str | None = None,
        on_failure: str | None = None,
    ) -> Written:
        table = self.table(table_name)
        wanted = return_values("DeleteItem", returns)
        encoded = keys.of_key(table, clean_item(key))
        parsed = parse(names, values, condition=condition)

        def write(conn: sqlite3.Connection) -> Item | None:
            live = self._live(table)
            old = store.get(conn, table.id, *encoded)
            check_condition(parsed, old, on_failure)
            if old is not None:
                store.delete(conn, live, encoded, old, now=self._stamp())
            return old

        old = await self._db.run_in_transaction(write)
        self._wrote(table)
        return Written(old if wanted == "ALL_OLD" else None, _size(old))

    async def update_item(
        self,
        table_name: str,
        key: Mapping[str, Value],
        *,
        update: str | None = None,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Value] | None = None,
        returns: str | None = None,
        on_failure: str | None = None,
    ) -> Written:
        table = self.table(table_name)
        wanted = return_values("UpdateItem", returns)
        key = clean_item(key)
        encoded = keys.of_key(table, key)
        parsed = parse(names, values, condition=condition, update=update)
        if parsed.update is not None:
            updates.check_keys(parsed.update, table.key.names())
            updates.check_operands(parsed.update)

        def write(conn: sqlite3.Connection) -> tuple[Item | None, Item]:
            live = self._live(table)
            old = store.get(conn, table.id, *encoded)
            check_condition(parsed, old, on_failure)
            new = apply_update(live, parsed, old, key)
            store.put(conn, live, encoded, new, check_size(new), old, self._stamp())
            return old, new

        old, new = await self._db.run_in_transaction(write)
        self._wrote(table)
        return Written(returned(wanted, parsed, old, new), max(_size(old), _size(new)))

    # ---- batches and transactions --------------------------------------------------------

    async def batch_write(self, requests: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        """BatchWriteItem: puts and deletes without conditions, in one transaction."""
        actions: list[transactions.Action] = []
        for table_name, entries in requests.items():
            table = self.table(table_name)
            for entry in entries:
                if len(entry) != 1:
                    raise TableValidation(
                        "Supplied AttributeValue has more than one datatypes set, must contain "
                        "exactly one of the supported datatypes"
                        if entry
                        else "Supplied write request is empty"
                    )
                if "PutRequest" in entry:
                    actions.append(transactions.write_action("Put", table, entry["PutRequest"]))
                else:
                    spec = entry["DeleteRequest"]
                    actions.append(transactions.write_action("Delete", table, spec))
        if len(actions) > transactions.MAX_BATCH_WRITE:
            raise TableValidation("Too many items requested for the BatchWriteItem call")
        transactions.check_distinct(actions, "Provided list of item keys contains duplicates")

        def write(conn: sqlite3.Connection) -> None:
            live = [replace(a, table=self._live(a.table)) for a in actions]
            with transaction(conn):
                for action in live:
                    old = store.get(conn, action.table.id, *action.key)
                    transactions.apply(conn, action, old, self._stamp())

        await self._db.run(write)
        self._wrote(*(a.table for a in actions))

    async def load(self, table_name: str, items: Sequence[Item]) -> None:
        """Put these items, unconditionally, in one transaction (a restore's)."""
        table = self.table(table_name)
        actions = [transactions.write_action("Put", table, {"Item": item}) for item in items]

        def write(conn: sqlite3.Connection) -> None:
            live = [replace(a, table=self._live(a.table)) for a in actions]
            with transaction(conn):
                for action in live:
                    transactions.apply(conn, action, None, self._stamp())

        await self._db.run(write)
        self._wrote(table)

    async def batch_get(
        self, requests: Mapping[str, Mapping[str, Any]]
    ) -> tuple[dict[str, list[Item]], dict[str, dict[str, Any]]]:
        """BatchGetItem: the items found per table, and the keys left for another call
        (past 16 MB of answer)."""
        wanted: list[tuple[str, Table, Item, tuple[bytes, bytes], Expressions]] = []
        for table_name, spec in requests.items():
            table = self.table(table_name)
            parsed = parse(
                spec.get("ExpressionAttributeNames"),
                None,
                projection=spec.get("ProjectionExpression"),
            )
            for key in spec["Keys"]:
                cleaned = clean_item(key)
                wanted.append((table_name, table, cleaned, keys.of_key(table, cleaned), parsed))
        if len(wanted) > transactions.MAX_BATCH_GET:
            raise TableValidation("Too many items requested for the BatchGetItem call")
        where = [(w[1].id, *w[3]) for w in wanted]
        if len(set(where)) != len(where):
            raise TableValidation("Provided list of item keys contains duplicates")

        def read(conn: sqlite3.Connection) -> list[Item | None]:
            return [store.get(conn, w[1].id, *w[3]) for w in wanted]

        found = await self._db.run(read)
        answers: dict[str, list[Item]] = {name: [] for name in requests}
        left: dict[str, dict[str, Any]] = {}
        total = 0
        for (table_name, _, key, _, parsed), item in zip(wanted, found, strict=True):
            if item is None:
                continue
            total += item_size(item)
            if total > transactions.BATCH_GET_BYTES:
                rest = left.setdefault(
                    table_name, {k: v for k, v in requests[table_name].items() if k != "Keys"}
                )
                rest.setdefault("Keys", []).append(key)
                continue
            answers[table_name].append(transactions.project(item, parsed))
        return answers, left

    async def transact_write(
        self, items: Sequence[Mapping[str, Any]], token: str | None = None
    ) -> None:
        """TransactWriteItems: every action or none."""
        actions = []
        for entry in items:
            if len(entry) != 1:
                raise TableValidation(
                    "TransactItems can only contain one of Check, Put, Update or Delete"
                )
            ((kind, spec),) = entry.items()
            actions.append(transactions.write_action(kind, self.table(spec["TableName"]), spec))
        transactions.check_distinct(
            actions, "Transaction request cannot include multiple operations on one item"
        )
        if sum(item_size(a.item) for a in actions if a.item) > transactions.MAX_TRANSACTION_BYTES:
            raise TableValidation("Transaction size has exceeded the maximum allowed size of 4 MB")
        found_digest = transactions.digest(list(items)) if token else ""

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                now = self._clock()
                if token and transactions.check_token(conn, token, found_digest, now):
                    return
                live = [replace(a, table=self._live(a.table)) for a in actions]
                transactions.run_transaction(conn, live, self._stamp())
                if token:
                    store.remember_token(
                        conn, token, found_digest, now + transactions.TOKEN_SECONDS
                    )

        await self._db.run(write)
        self._wrote(*(a.table for a in actions))

    async def transact_get(self, items: Sequence[Mapping[str, Any]]) -> list[Item | None]:
        """TransactGetItems: the items as of one moment."""
        wanted = []
        for entry in items:
            spec = entry["Get"]
            table = self.table(spec["TableName"])
            parsed = parse(
                spec.get("ExpressionAttributeNames"),
                None,
                projection=spec.get("ProjectionExpression"),
            )
            wanted.append((table, keys.of_key(table, clean_item(spec["Key"])), parsed))

        def read(conn: sqlite3.Connection) -> list[Item | None]:
            with transaction(conn):
                return [store.get(conn, t.id, *k) for t, k, _ in wanted]

        found = await self._db.run(read)
        return [
            None if item is None else transactions.project(item, parsed)
            for item, (_, _, parsed) in zip(found, wanted, strict=True)
        ]

    # ---- Query and Scan ----------------------------------------------------------------

    async def read(
        self,
        table_name: str,
        *,
        query: bool,
        index: str | None = None,
        key_condition: str | None = None,
        filter: str | None = None,
        projection: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Value] | None = None,
        select: str | None = None,
        limit: int | None = None,
        start: Mapping[str, Value] | None = None,
        forward: bool = True,
        consistent: bool = False,
        segment: int | None = None,
        total_segments: int | None = None,
        key_in_filter: bool = False,
    ) -> reads.Page:
        """One page of a Query (`query`) or a Scan. `key_in_filter`: PartiQL may filter on
        the key (the Query API may not)."""
        table = self.table(table_name)
        parsed = parse(
            names,
            values,
            key_condition=key_condition,
            filter=filter,
            projection=projection,
        )
        planned = reads.plan(
            table,
            index,
            parsed,
            select=select,
            limit=limit,
            start=clean_item(start) if start else None,
            forward=forward,
            consistent=consistent,
            segment=segment,
            total_segments=total_segments,
            query=query,
            key_in_filter=key_in_filter,
        )
        return await self._db.run(lambda conn: reads.run(conn, planned))


def check_condition(parsed: Expressions, old: Item | None, on_failure: str | None) -> None:
    if parsed.condition is not None and not conditions.holds(parsed.condition, old or {}):
        raise ConditionFailed(old if on_failure == "ALL_OLD" and old is not None else None)


def apply_update(table: Table, parsed: Expressions, old: Item | None, key: Item) -> Item:
    """The item after an UpdateItem: an update of a missing item starts from its key."""
    base = old if old is not None else dict(key)
    if parsed.update is None:
        return dict(base)
    new = updates.apply(parsed.update, base)
    keys.of_item(table, new)
    return new


def returned(wanted: str, parsed: Expressions, old: Item | None, new: Item) -> Item | None:
    if wanted == "ALL_NEW":
        return new
    if wanted == "ALL_OLD":
        return old
    if wanted in ("UPDATED_OLD", "UPDATED_NEW"):
        touched = parsed.update.paths() if parsed.update is not None else []
        source = old if wanted == "UPDATED_OLD" else new
        return paths.project(source, touched) if source is not None else None
    return None


def _size(item: Item | None) -> int:
    return 0 if item is None else item_size(item)


def _used(key: model.KeySchema, indexes: Sequence[model.Index]) -> set[str]:
    used = set(key.names())
    for index in indexes:
        used.update(index.key.names())
    return used


def _switch_stream(conn: sqlite3.Connection, old: Table, new: Table, now: float) -> None:
    """UpdateTable's StreamSpecification: the old stream closes, a new one opens."""
    old_arn = streams.arn(old)
    if old_arn:
        streams.close_stream(conn, old_arn, now)
    if new.stream:
        streams.open_stream(conn, new, now)


def _tags(tags: Sequence[Mapping[str, str]]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags}


def _stream(spec: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not spec or not spec.get("StreamEnabled"):
        return None
    view = spec.get("StreamViewType")
    if view is None:
        raise TableValidation(
            "One or more parameter values were invalid: StreamViewType is required when "
            "StreamEnabled is true"
        )  # fmt: skip
    return {"StreamEnabled": True, "StreamViewType": view}


def _label(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
