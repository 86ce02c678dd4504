"""Each service's tables are created and migrated on their own; newer files are refused."""

import asyncio
import sqlite3
import threading

import pytest

from stratus.store.db import FORMAT_VERSION, Database, Schema

NOTES_V1 = Schema("notes", "CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY);\n")
NOTES_V2 = Schema(
    "notes",
    "CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY, body TEXT NOT NULL DEFAULT '');\n",
    version=2,
    migrations={2: "ALTER TABLE notes ADD COLUMN body TEXT NOT NULL DEFAULT '';\n"},
)


def _versions(path):
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT name, version FROM schemas").fetchall())


def test_versions_are_recorded_per_service_and_newer_files_refused(tmp_path):
    """A new database records its format and each service's version; a file from the future
    (format or one service) is not opened."""
    path = tmp_path / "stratus.db"
    Database(path, [NOTES_V1]).close()
    recorded = sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0]
    versions = _versions(path)
    Database(path, [NOTES_V2]).close()

    with pytest.raises(RuntimeError, match=r"newer Stratus \(notes 2, this one knows 1\)"):
        Database(path, [NOTES_V1])
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {FORMAT_VERSION + 1}")
    with pytest.raises(RuntimeError, match="newer Stratus"):
        Database(path, [NOTES_V2])

    assert recorded == FORMAT_VERSION
    assert versions == {"notes": 1}


def test_a_migration_changes_a_services_tables_and_keeps_its_rows(tmp_path):
    """Version 1's rows survive the step to version 2; a service new to a file is created at
    its current version without running its migrations."""
    path = tmp_path / "stratus.db"
    db = Database(path, [NOTES_V1])
    db.run_blocking(lambda conn: conn.execute("INSERT INTO notes (id) VALUES ('a')"))
    db.close()
    db = Database(path, [NOTES_V2])
    rows = db.run_blocking(lambda conn: conn.execute("SELECT id, body FROM notes").fetchall())
    db.close()
    fresh = tmp_path / "fresh.db"
    Database(fresh, [NOTES_V2]).close()

    assert [tuple(row) for row in rows] == [("a", "")]
    assert _versions(path) == {"notes": 2}
    assert _versions(fresh) == {"notes": 2}


def test_a_file_from_before_per_service_versions_counts_as_version_1(tmp_path):
    """Files written at format 5 (one version for every table) open; their tables are each
    service's version 1, so later migrations start from there."""
    path = tmp_path / "stratus.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id TEXT PRIMARY KEY)")
        conn.execute("INSERT INTO notes VALUES ('old')")
        conn.execute("PRAGMA user_version = 5")
    db = Database(path, [NOTES_V2])
    rows = db.run_blocking(lambda conn: conn.execute("SELECT id, body FROM notes").fetchall())
    db.close()

    assert [tuple(row) for row in rows] == [("old", "")]
    assert _versions(path) == {"notes": 2}


def test_calls_made_together_share_a_commit_and_fail_alone(tmp_path):
    """Group commit: every call is answered after a commit holding its writes; one that
    fails loses its own writes only, and the others' survive a reopening of the file."""
    path = tmp_path / "stratus.db"
    db = Database(path, (Schema("t", "CREATE TABLE IF NOT EXISTS t (n INTEGER);\n"),))

    def insert(n: int):
        def work(conn):
            conn.execute("INSERT INTO t VALUES (?)", (n,))
            if n % 7 == 0:
                raise ValueError(f"refused {n}")
            return n

        return work

    async def main():
        return await asyncio.gather(
            *(db.run_in_transaction(insert(n)) for n in range(1, 101)), return_exceptions=True
        )

    answers = asyncio.run(main())
    assert [a for a in answers if isinstance(a, int)] == [n for n in range(1, 101) if n % 7]
    assert [str(a) for a in answers if isinstance(a, Exception)] == [
        f"refused {n}" for n in range(7, 101, 7)
    ]
    db.close()
    reopened = Database(path, (Schema("t", "CREATE TABLE IF NOT EXISTS t (n INTEGER);\n"),))
    rows = reopened.run_blocking(lambda c: [r[0] for r in c.execute("SELECT n FROM t ORDER BY n")])
    assert rows == [n for n in range(1, 101) if n % 7]
    reopened.close()


COUNTER = Schema("c", "CREATE TABLE IF NOT EXISTS c (id INTEGER PRIMARY KEY, n INTEGER);\n")


def test_a_read_on_the_calling_thread_sees_every_answered_write(tmp_path):
    """`read` runs here, not on the database thread, yet each read after an answered write
    (plain or grouped) sees it: a client reads its own writes, one after another."""
    db = Database(tmp_path / "stratus.db", (COUNTER,))
    db.run_blocking(lambda c: c.execute("INSERT INTO c VALUES (1, 0)"))

    def bump(n: int):
        return lambda conn: conn.execute("UPDATE c SET n = ? WHERE id = 1", (n,))

    def current(conn):
        return conn.execute("SELECT n FROM c WHERE id = 1").fetchone()[0]

    async def main():
        seen, threads = [], set()
        for n in range(1, 201):
            if n % 2:
                await db.run_in_transaction(bump(n))
            else:
                await db.run(lambda conn: conn.execute("BEGIN"))
                await db.run(bump(n))
                await db.run(lambda conn: conn.execute("COMMIT"))
            seen.append(db.read(current))
            threads.add(db.read(lambda _: threading.get_ident()))
        return seen, threads

    seen, threads = asyncio.run(main())
    db.close()

    assert seen == list(range(1, 201))
    assert threads == {threading.get_ident()}


def test_a_read_cannot_write_and_each_thread_has_its_own_connection(tmp_path):
    """The calling thread's connection is read-only (a write must go through the database
    thread, which owns the transactions); other threads get their own; close ends them."""
    db = Database(tmp_path / "stratus.db", (COUNTER,))
    mine = db.read(lambda conn: conn)
    theirs: list[sqlite3.Connection] = []
    worker = threading.Thread(target=lambda: theirs.append(db.read(lambda conn: conn)))
    worker.start()
    worker.join()

    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.read(lambda conn: conn.execute("INSERT INTO c VALUES (2, 2)"))
    assert db.read(lambda conn: conn) is mine
    assert theirs[0] is not mine
    db.close()
    with pytest.raises(sqlite3.ProgrammingError):
        mine.execute("SELECT 1")


def test_a_call_alone_that_fails_leaves_nothing_and_the_next_one_commits(tmp_path):
    """A call that ran in a group of its own and failed has its writes undone; the calls
    after it are unaffected."""
    path = tmp_path / "stratus.db"
    db = Database(path, (COUNTER,))

    def failing(conn):
        conn.execute("INSERT INTO c VALUES (1, 1)")
        raise ValueError("refused")

    async def main():
        with pytest.raises(ValueError, match="refused"):
            await db.run_in_transaction(failing)
        await db.run_in_transaction(lambda conn: conn.execute("INSERT INTO c VALUES (2, 2)"))

    asyncio.run(main())
    db.close()
    reopened = Database(path, (COUNTER,))
    rows = reopened.run_blocking(lambda c: [tuple(r) for r in c.execute("SELECT * FROM c")])
    reopened.close()

    assert rows == [(2, 2)]


def test_an_answer_for_a_closed_loop_does_not_stop_the_database(tmp_path):
    """A call whose loop closed before its answer came (a cancelled request at shutdown)
    still runs, and the database goes on serving and closes."""
    db = Database(tmp_path / "stratus.db", (COUNTER,))
    started = threading.Event()
    release = threading.Event()

    def slow(conn):
        started.set()
        release.wait(10)
        return conn.execute("INSERT INTO c VALUES (1, 1)")

    async def leave_early():
        task = asyncio.ensure_future(db.run(slow))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
        task.cancel()

    asyncio.run(leave_early())  # the loop is closed when `slow` finishes
    release.set()
    rows = db.run_blocking(lambda c: [tuple(r) for r in c.execute("SELECT * FROM c")])
    db.close()

    assert rows == [(1, 1)]
