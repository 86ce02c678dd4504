"""Any message a client can send is either stored and received back unchanged, with the
digests it was answered with, or refused with a typed error: never a crash."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stratus.config import Settings
from stratus.errors import StratusError
from stratus.queues.model import MessageAttribute, NewMessage, Receive
from stratus.queues.schema import SCHEMA
from stratus.queues.service import QueueService
from stratus.store.db import Database

names = st.text(st.sampled_from("abcXYZ019_-.A"), min_size=0, max_size=12)
attribute = st.one_of(
    st.builds(
        MessageAttribute,
        st.sampled_from(["String", "Number", "String.x", "Text", "Number.int", ""]),
        StringValue=st.one_of(st.none(), st.text(max_size=20)),
    ),
    st.builds(
        MessageAttribute,
        st.sampled_from(["Binary", "Binary.gz", "String"]),
        BinaryValue=st.one_of(st.none(), st.binary(max_size=20)),
    ),
)
message = st.builds(
    NewMessage,
    st.text(max_size=50),
    st.dictionaries(names, attribute, max_size=12),
    st.one_of(st.none(), st.text(max_size=10)),
    st.one_of(st.none(), st.integers(-5, 1000)),
    st.one_of(st.none(), st.text(max_size=5)),
)


class Clock:
    now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "q.db", (SCHEMA,))
    yield database
    database.close()


# One database for every example (each gets a queue of its own): creating one per example
# would make this test slow for no extra strength.
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(new=message)
def test_any_message_is_stored_whole_or_refused_by_type(db: Database, new: NewMessage) -> None:
    clock = Clock()
    service = QueueService(Settings(data_dir=Path("/nonexistent")), db, clock)

    async def scenario() -> None:
        url = service.url(await service.create_queue(f"fuzz-{next(_ids)}", {}, {}))
        try:
            sent = await service.send(url, new)
        except StratusError:
            return
        clock.now += 1000  # past any delay
        [got] = await service.receive(url, Receive(message_attributes=("All",), wait_seconds=0))

        assert got.Body == new.body
        assert got.MessageId == sent.MessageId
        assert got.MD5OfBody == sent.MD5OfMessageBody
        assert got.MD5OfMessageAttributes == sent.MD5OfMessageAttributes
        assert dict(got.MessageAttributes) == dict(new.attributes)

    asyncio.run(scenario())


_ids = itertools.count()
