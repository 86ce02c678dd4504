"""Object bytes as files under the data dir, written so that a crash leaves the old object or
the new one, never half of either.

    objects/tmp/<name>          being written, or written and committed but not yet moved
    objects/blobs/<ab>/<name>   in place

A write streams into tmp/<name> (hashed and written in 4 MiB blocks on a worker thread while
the next block arrives), is fsynced, and only then is the row naming it committed (store.py);
then it is renamed into blobs/. At start, `sweep` moves every tmp file a row names into
place and deletes the rest (uploads cut off by the crash). So a committed row always finds
its bytes, an uncommitted write leaves nothing, and start-up reads only tmp/, never the
whole store. Blobs are never changed once written: a copy is a hard link.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .checksums import Hasher

BLOCK = 4 * 1024 * 1024  # bytes hashed and written per hop to the worker thread
READ_BLOCK = 4 * 1024 * 1024  # bytes read per hop (a GET sends them as they come)


@dataclass(frozen=True, slots=True)
class Written:
    name: str
    size: int


class Blobs:
    def __init__(self, root: Path) -> None:
        self._blobs = root / "blobs"
        self._tmp = root / "tmp"
        self._blobs.mkdir(parents=True, exist_ok=True)
        self._tmp.mkdir(parents=True, exist_ok=True)
        # Settling a file and removing one are atomic towards each other: concurrent writes
        # of one key may remove a version's file while its own write is still settling it.
        self._moving = threading.Lock()

    def path(self, name: str) -> Path:
        return self._blobs / name[:2] / name

    def tmp_path(self, name: str) -> Path:
        return self._tmp / name

    async def wait_write(
        self,
        chunks: AsyncIterable[bytes],
        hashers: Sequence[Hasher],
        limit: int,
        too_large: Callable[[int], Exception],
    ) -> Written:
        """Stream `chunks` into a new tmp file, fsynced; `too_large(size)` is raised the
        moment more than `limit` bytes arrive. The file is removed if anything fails."""
        name = uuid.uuid4().hex
        path = self.tmp_path(name)
        out = await asyncio.to_thread(path.open, "wb")
        size = 0
        pending: list[bytes] = []
        buffered = 0
        # One block is hashed and written on the worker thread while the next arrives: the
        # socket and the disk work at once (at most two blocks in memory).
        writing: asyncio.Future[None] | None = None
        loop = asyncio.get_running_loop()
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise too_large(size)
                pending.append(chunk)
                buffered += len(chunk)
                if buffered >= BLOCK:
                    block = b"".join(pending)
                    pending, buffered = [], 0
                    if writing is not None:
                        await writing
                    writing = loop.run_in_executor(None, _absorb, out, block, hashers)
            if writing is not None:
                await writing
            await asyncio.to_thread(_finish, out, b"".join(pending), hashers)
        except BaseException:
            if writing is not None:
                await asyncio.wait([writing])  # the thread must be done with the file first
            await asyncio.to_thread(_abandon, out, path)
            raise
        return Written(name, size)

    async def wait_concatenate(self, names: Iterable[str | None], hashers: Sequence[Hasher]) -> str:
        """A new tmp file holding the blobs `names` one after another (a completed multipart
        upload), hashed by `hashers` on the way."""
        return await asyncio.to_thread(self._concatenate, list(names), hashers)

    def _concatenate(self, names: list[str | None], hashers: Sequence[Hasher]) -> str:
        name = uuid.uuid4().hex
        path = self.tmp_path(name)
        with path.open("wb") as out:
            try:
                for part in names:
                    if part is None:
                        continue
                    with self.open(part) as source:
                        while block := source.read(BLOCK):
                            _absorb(out, block, hashers)
                _finish(out, b"", hashers)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
        return name

    async def wait_link(self, name: str) -> str:
        """A new tmp name for the same bytes (CopyObject): blobs never change, so a hard
        link is a copy."""
        return await asyncio.to_thread(self._link, name)

    def _link(self, name: str) -> str:
        fresh = uuid.uuid4().hex
        try:
            os.link(self.path(name), self.tmp_path(fresh))
        except FileNotFoundError:  # committed a moment ago, not yet moved into place
            os.link(self.tmp_path(name), self.tmp_path(fresh))
        return fresh

    async def wait_copy_range(self, name: str, start: int, end: int) -> Written:
        """A new tmp file holding bytes start..end (inclusive) of blob `name`."""
        return await asyncio.to_thread(self._copy_range, name, start, end)

    def _copy_range(self, name: str, start: int, end: int) -> Written:
        fresh = uuid.uuid4().hex
        with self.open(name) as source, self.tmp_path(fresh).open("wb") as out:
            source.seek(start)
            left = end - start + 1
            while left > 0 and (block := source.read(min(BLOCK, left))):
                out.write(block)
                left -= len(block)
            _finish(out, b"", ())
        return Written(fresh, end - start + 1)

    def settle(self, name: str) -> None:
        """Move a committed tmp file into place (blocking). A file already gone was replaced
        and removed by a later write that committed first: nothing to do."""
        target = self.path(name)
        with self._moving:
            try:
                os.replace(self.tmp_path(name), target)
            except FileNotFoundError:
                if not self.tmp_path(name).exists():
                    return
                target.parent.mkdir(exist_ok=True)
                os.replace(self.tmp_path(name), target)

    def discard(self, name: str) -> None:
        """Remove a blob wherever it is (blocking)."""
        with self._moving:  # not between a concurrent settle's two places
            self.path(name).unlink(missing_ok=True)
            self.tmp_path(name).unlink(missing_ok=True)

    def discard_all(self, names: Iterable[str]) -> None:
        for name in names:
            self.discard(name)

    def open(self, name: str) -> BinaryIO:
        try:
            return self.path(name).open("rb")
        except FileNotFoundError:
            pass
        # Not settled yet, or settled between the two opens: look again where a concurrent
        # settle cannot move it in between (a GET right after its PUT's answer found neither
        # place: tests/objects/test_fuzz.py, once in a long run).
        with self._moving:
            try:
                return self.tmp_path(name).open("rb")
            except FileNotFoundError:
                return self.path(name).open("rb")

    async def wait_read(self, name: str | None, start: int, end: int) -> AsyncIterator[bytes]:
        """Bytes start..end (inclusive) of a blob, a block at a time (None: no bytes). Opening
        and the first block share one hop to the worker thread, so a small object costs one."""
        if name is None or end < start:
            return
        source, block = await asyncio.to_thread(self._open_at, name, start, end - start + 1)
        if source is None:
            yield block
            return
        left = end - start + 1 - len(block)
        try:
            yield block
            while left > 0 and block:
                block = await asyncio.to_thread(source.read, min(READ_BLOCK, left))
                left -= len(block)
                yield block
        finally:
            await asyncio.to_thread(source.close)

    def _open_at(self, name: str, start: int, length: int) -> tuple[BinaryIO | None, bytes]:
        """The file at `start` and its first block; None for the file when that block was
        all there is (closed already)."""
        source = self.open(name)
        source.seek(start)
        block = source.read(min(READ_BLOCK, length))
        if len(block) >= length or not block:
            source.close()
            return None, block
        return source, block

    def sweep(self, committed: Callable[[str], bool]) -> tuple[int, int]:
        """At start: move the tmp files rows name into place, delete the others.
        Returns (settled, removed)."""
        settled = removed = 0
        for path in self._tmp.iterdir():
            if committed(path.name):
                self.settle(path.name)
                settled += 1
            else:
                path.unlink(missing_ok=True)
                removed += 1
        return settled, removed


def _absorb(out: BinaryIO, block: bytes, hashers: Iterable[Hasher]) -> None:
    for hasher in hashers:
        hasher.update(block)
    out.write(block)


def _finish(out: BinaryIO, block: bytes, hashers: Iterable[Hasher]) -> None:
    if block:
        _absorb(out, block, hashers)
    out.flush()
    os.fsync(out.fileno())
    out.close()


def _abandon(out: BinaryIO, path: Path) -> None:
    with contextlib.suppress(OSError):
        out.close()
    path.unlink(missing_ok=True)
