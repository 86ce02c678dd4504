"""The seam notifications will hang on: every committed creation or removal of an object is
announced to the service's subscribers, in S3's event names, with a sequencer that grows."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from stratus.config import Settings
from stratus.errors import PreconditionFailed
from stratus.objects.model import ObjectEvent, WriteOptions
from stratus.objects.multipart import ChosenPart, Multipart
from stratus.objects.schema import SCHEMA
from stratus.objects.service import ObjectService
from stratus.store.db import Database


class Body:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.trailers: dict[str, str] = {}

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        yield self.data


def test_events_for_every_kind_of_write(tmp_path: Path):
    """Put, copy, multipart completion, delete, and (versioned) delete-marker creation are
    each announced once, after their commit; a refused write announces nothing."""
    db = Database(tmp_path / "db.sqlite", [SCHEMA])
    objects = ObjectService(Settings(data_dir=tmp_path), db, tmp_path / "objects")
    uploads = Multipart(objects, lambda: 0.0)
    seen: list[ObjectEvent] = []
    objects.subscribe(seen.append)

    async def scenario() -> None:
        await objects.create_bucket("events", None, None)
        put = await objects.put_object("events", "a b", Body(b"data"), WriteOptions())
        await objects.copy_object(put, "events", "copy", WriteOptions(), False)
        upload = await uploads.create("events", "multi", WriteOptions(), None)
        part = await uploads.upload_part(
            "events", "multi", upload.id, 1, Body(os.urandom(10)), WriteOptions()
        )
        await uploads.complete(
            "events", "multi", upload.id, [ChosenPart(1, part.etag)], WriteOptions()
        )
        with pytest.raises(PreconditionFailed):
            await objects.put_object("events", "a b", Body(b"x"), WriteOptions(if_none_match="*"))
        await objects.delete_object("events", "copy", None)
        await objects.set_bucket("events", "versioning", "Enabled")
        await objects.delete_object("events", "a b", None)

    asyncio.run(scenario())
    db.close()

    assert [(e.name, e.key) for e in seen] == [
        ("ObjectCreated:Put", "a b"),
        ("ObjectCreated:Copy", "copy"),
        ("ObjectCreated:CompleteMultipartUpload", "multi"),
        ("ObjectRemoved:Delete", "copy"),
        ("ObjectRemoved:DeleteMarkerCreated", "a b"),
    ]
    assert seen[0].size == 4
    assert seen[0].etag == "8d777f385d3dfec8815d20f7496026dc"
    assert seen[-1].version_id is not None
    width = max(len(e.sequencer) for e in seen)
    for key in {e.key for e in seen}:  # S3's rule: per key, right-padded with zeros
        ordered = [e.sequencer.ljust(width, "0") for e in seen if e.key == key]
        assert ordered == sorted(ordered)
