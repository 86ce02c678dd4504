"""The SQLite database: every durable byte except code archives goes through it.

One connection, used from one dedicated thread (the "thread door"): the event loop never
waits for a write, and writes never see two threads. WAL mode keeps committed writes safe
across `kill -9` of the server.

The door is a plain thread reading one `queue.SimpleQueue` (C) and answering through
`call_soon_threadsafe`, not a `ThreadPoolExecutor`: the executor's per-call bookkeeping (its
Python-level idle semaphore, work item and future chaining) cost more than the short
statements most calls carry.

Point reads (`read`) do not cross it: they run on the calling thread, on a read-only
connection of that thread's own. WAL lets readers run beside the writer; a read starts its
own snapshot, so it sees every transaction committed before it began, and since writes are
answered only after their COMMIT, a client reads its own answered writes. Only reads that
cost less than the hop (a primary-key lookup, tens of microseconds) belong there: whatever
runs there holds the event loop.

Group commit (`run_in_transaction`): short transactions that arrive while the database thread
is busy wait in one list and run together, each in a savepoint of one shared transaction, and
are answered together after its COMMIT. One hop to the thread and back, one BEGIN/COMMIT and
one write of the log serve the whole group; each caller still hears back only after the
commit that holds its writes, and a call that fails rolls back its own savepoint only.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
Migration = Callable[[sqlite3.Connection], None]

# The file's layout: 6 = each service's tables versioned on their own (table `schemas`).
# Files at 5 held every table under one version; their tables are each service's version 1.
FORMAT_VERSION = 6
_LEGACY_FORMAT = 5
_BOOKKEEPING = "CREATE TABLE IF NOT EXISTS schemas (name TEXT PRIMARY KEY, version INTEGER)"


@dataclass(frozen=True, slots=True)
class Schema:
    """The tables one service owns. `ddl` creates them and runs at every start, so it must
    be idempotent (CREATE ... IF NOT EXISTS): a new table needs no migration. A change to an
    existing table bumps `version` and adds `migrations[version]`, which takes the service's
    tables from version - 1 to version: SQL, or a function of the connection where rows must
    be rewritten in Python. Migrations run before `ddl`, inside the opening transaction."""

    name: str
    ddl: str
    version: int = 1
    migrations: Mapping[int, str | Migration] = field(default_factory=dict)


class Database:
    """One SQLite file holding the tables of every service in `schemas` (created or migrated
    in that order: a schema may refer to tables of one before it)."""

    def __init__(self, path: Path, schemas: Sequence[Schema] = ()) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        opened: Future[sqlite3.Connection] = Future()
        self._thread = threading.Thread(
            target=self._serve, args=(path, schemas, opened), name="stratus-db", daemon=True
        )
        self._thread.start()
        self._conn = opened.result()  # raises what opening raised; the thread has ended
        self._grouping = threading.Lock()
        self._waiting: list[_Grouped] = []  # run_in_transaction calls not yet run
        self._draining = False  # a group is queued on, or running on, the thread
        self._readers = threading.local()  # each thread's read-only connection
        self._all_readers: list[sqlite3.Connection] = []  # closed with the database

    def _serve(
        self, path: Path, schemas: Sequence[Schema], opened: Future[sqlite3.Connection]
    ) -> None:
        """The database thread: open the file, then run jobs in arrival order until told
        to stop."""
        try:
            conn = self._open(path, schemas)
        except BaseException as exc:
            opened.set_exception(exc)
            return
        opened.set_result(conn)
        get = self._jobs.get
        while True:
            work, target = get()
            if isinstance(work, _Marker):
                if work is _STOP:
                    return
                self._drain()
                continue
            try:
                value, ok = work(conn), True
            except BaseException as exc:  # the caller's error, handed back to it
                value, ok = exc, False
            if isinstance(target, asyncio.Future):
                _answer(target.get_loop(), _resolve, target, ok, value)
            elif target is not None:
                _resolve_blocking(target, ok, value)

    @staticmethod
    def _open(path: Path, schemas: Sequence[Schema]) -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        found = conn.execute("PRAGMA user_version").fetchone()[0]
        if found > FORMAT_VERSION:
            raise RuntimeError(_newer(path, f"format {found}, this one knows {FORMAT_VERSION}"))
        with transaction(conn):
            conn.execute(_BOOKKEEPING)
            versions = dict(conn.execute("SELECT name, version FROM schemas").fetchall())
            legacy = 1 if found == _LEGACY_FORMAT else 0  # a service new to the file: 0
            for schema in schemas:
                _apply(conn, schema, versions.get(schema.name, legacy), path)
            conn.execute(f"PRAGMA user_version = {FORMAT_VERSION}")
        return conn

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(connection)` on the database thread; one statement batch at a time.
        It runs even if the caller stops waiting for it."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.put((work, future))
        return await future

    def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(connection)` now, on this thread's read-only connection: it sees every
        transaction committed before it began (module doc). For reads cheaper than the hop
        to the database thread; `work` must finish its statements (fetch what it reads)."""
        conn: sqlite3.Connection | None = getattr(self._readers, "conn", None)
        if conn is None:
            conn = self._readers.conn = self._open_reader()
        return work(conn)

    def _open_reader(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA query_only=ON")  # a write here would bypass the door
        conn.execute("PRAGMA busy_timeout=10000")  # WAL readers wait only in rare recoveries
        with self._grouping:
            self._all_readers.append(conn)
        return conn

    async def run_in_transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(connection)` on the database thread inside a transaction, answered after
        its commit; calls made while the thread is busy share one transaction (module doc).
        `work` must not open a transaction itself."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._grouping:
            self._waiting.append(_Grouped(work, future, loop))
            start, self._draining = not self._draining, True
        if start:
            self._jobs.put((_DRAIN, None))
        return await future

    def _drain(self) -> None:
        """On the database thread: run the calls waiting now as one group."""
        with self._grouping:
            group, self._waiting = self._waiting, []
        conn = self._conn
        outcomes: list[tuple[bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            if len(group) == 1:  # alone: its own transaction is its savepoint
                outcomes.append(_alone(conn, group[0]))
            else:
                for call in group:
                    conn.execute("SAVEPOINT grouped")
                    try:
                        outcomes.append((True, call.work(conn)))
                    except Exception as exc:  # the caller's error, handed back to it
                        conn.execute("ROLLBACK TO grouped")
                        outcomes.append((False, exc))
                    conn.execute("RELEASE grouped")
            if conn.in_transaction:
                conn.execute("COMMIT")
        except Exception as exc:  # the group's commit failed: every call fails
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(False, exc)] * len(group)
        finally:
            with self._grouping:  # what arrived meanwhile runs next, after queued run()s
                if self._waiting:
                    self._jobs.put((_DRAIN, None))
                else:
                    self._draining = False
        if group:
            _answer(group[0].loop, _settle, group, outcomes)

    def run_blocking(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """For callers outside the event loop (start-up, tests)."""
        future: Future[T] = Future()
        self._jobs.put((work, future))
        return future.result()

    def close(self) -> None:
        with self._grouping:
            readers, self._all_readers = self._all_readers, []
        for reader in readers:
            reader.close()
        self.run_blocking(lambda conn: conn.close())
        self._jobs.put((_STOP, None))
        self._thread.join()


class _Marker:
    """A job that is not a call: drain the group commit's list, or stop the thread."""


_DRAIN = _Marker()
_STOP = _Marker()
# (work, whom to answer): an asyncio future, a concurrent one (run_blocking), or none.
_Job = tuple[
    "Callable[[sqlite3.Connection], Any] | _Marker",
    "asyncio.Future[Any] | Future[Any] | None",
]


def _answer(loop: asyncio.AbstractEventLoop, callback: Callable[..., None], *args: Any) -> None:
    """Hand an outcome to the caller's loop; a loop closed meanwhile has no one to hear it
    (the thread must live on: close() and other loops still need it)."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(callback, *args)


def _resolve(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # the caller stopped waiting
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def _resolve_blocking(future: Future[Any], ok: bool, value: Any) -> None:
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


@dataclass(frozen=True, slots=True)
class _Grouped:
    work: Callable[[sqlite3.Connection], Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


def _alone(conn: sqlite3.Connection, call: _Grouped) -> tuple[bool, Any]:
    try:
        return True, call.work(conn)
    except Exception as exc:  # the caller's error, handed back to it, its writes undone
        if conn.in_transaction:  # (SQLite may have rolled back already)
            conn.execute("ROLLBACK")
        return False, exc


def _settle(group: list[_Grouped], outcomes: list[tuple[bool, Any]]) -> None:
    for call, (ok, value) in zip(group, outcomes, strict=True):
        if call.future.cancelled():
            continue
        if ok:
            call.future.set_result(value)
        else:
            call.future.set_exception(value)


def _apply(conn: sqlite3.Connection, schema: Schema, found: int, path: Path) -> None:
    """Create or migrate one service's tables; `found` is 0 for a service new to the file."""
    if found > schema.version:
        raise RuntimeError(_newer(path, f"{schema.name} {found}, this one knows {schema.version}"))
    steps = range(found + 1, schema.version + 1) if found else range(0)
    for script in [*(schema.migrations[step] for step in steps), schema.ddl]:
        if callable(script):
            script(conn)
            continue
        for statement in _statements(script):
            conn.execute(statement)
    conn.execute("INSERT OR REPLACE INTO schemas VALUES (?, ?)", (schema.name, schema.version))


def _statements(ddl: str) -> list[str]:
    """`ddl` cut into statements (executescript would commit the open transaction)."""
    statements, current = [], ""
    for line in ddl.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current)
            current = ""
    return statements


def _newer(path: Path, versions: str) -> str:
    return (
        f"{path} was written by a newer Stratus ({versions}); upgrade Stratus or use "
        "another --data-dir"
    )


def transaction(conn: sqlite3.Connection) -> sqlite3.Connection:
    """`with transaction(conn):` — BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error."""
    return _Transaction(conn)  # type: ignore[return-value]


class _Transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
