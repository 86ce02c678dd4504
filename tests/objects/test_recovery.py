"""Start-up recovery of the blob files (service level: the states a crash leaves between a
commit and the file moves that follow it)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from stratus.config import Settings
from stratus.objects.model import WriteOptions
from stratus.objects.schema import SCHEMA
from stratus.objects.service import ObjectService
from stratus.store.db import Database


class Body:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.trailers: dict[str, str] = {}

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        yield self.data


def _service(root: Path) -> tuple[Database, ObjectService]:
    db = Database(root / "db.sqlite", [SCHEMA])
    return db, ObjectService(Settings(data_dir=root), db, root / "objects")


def test_committed_file_left_in_tmp_is_moved_into_place(tmp_path: Path):
    """A crash after the commit but before the file moved: at start the file is moved into
    place and the object reads whole."""
    db, objects = _service(tmp_path)

    async def write() -> str:
        await objects.create_bucket("b-one", None, None)
        version = await objects.put_object("b-one", "k", Body(b"committed"), WriteOptions())
        assert version.file is not None
        return version.file

    name = asyncio.run(write())
    objects.blobs.path(name).rename(objects.blobs.tmp_path(name))  # as if never moved
    db.close()
    db, again = _service(tmp_path)

    async def read() -> bytes:
        version = await again.head_object("b-one", "k", None)
        return b"".join([chunk async for chunk in again.wait_read(version, 0, version.size - 1)])

    assert asyncio.run(read()) == b"committed"
    assert again.blobs.path(name).exists()
    assert not again.blobs.tmp_path(name).exists()
    db.close()


def test_replaced_file_left_behind_is_removed(tmp_path: Path):
    """A crash after an overwrite committed but before the old file was removed: the garbage
    list names it, and the next start removes it."""
    db, objects = _service(tmp_path)

    async def write() -> str:
        await objects.create_bucket("b-two", None, None)
        old = await objects.put_object("b-two", "k", Body(b"old"), WriteOptions())
        assert old.file is not None
        return old.file

    old_file = asyncio.run(write())
    kept = objects.blobs.path(old_file).read_bytes()

    async def overwrite() -> None:
        await objects.put_object("b-two", "k", Body(b"new"), WriteOptions())

    asyncio.run(overwrite())
    objects.blobs.path(old_file).write_bytes(kept)  # as if the removal never happened
    db.run_blocking(lambda conn: conn.execute("INSERT INTO object_garbage VALUES (?)", (old_file,)))
    db.close()
    db, again = _service(tmp_path)

    assert not again.blobs.path(old_file).exists()
    assert (
        db.run_blocking(
            lambda conn: conn.execute("SELECT count(*) FROM object_garbage").fetchone()[0]
        )
        == 0
    )
    db.close()
