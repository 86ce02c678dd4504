"""Queue limits with an injected clock: messages in flight (OverLimit on standard queues,
nothing more on FIFO queues) and the 60 s before a deleted queue's name is free again.
AWS's limits are 120,000 and 20,000 in flight; the service takes them as a value, so these
tests use small ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.queues.test_service import Clock, clock, db, make, receive, run, service

from stratus.config import Settings
from stratus.queues import errors
from stratus.queues.model import NewMessage
from stratus.queues.service import InflightLimits, QueueService
from stratus.store.db import Database

__all__ = ["clock", "db", "service"]  # fixtures shared with test_service


@pytest.fixture
def limited(db: Database, clock: Clock) -> QueueService:
    limits = InflightLimits(standard=5, fifo=3)
    return QueueService(Settings(data_dir=Path("/nonexistent")), db, clock, limits)


def fill(service: QueueService, url: str, count: int, group: str | None = None) -> None:
    for i in range(count):
        message = NewMessage(str(i), group_id=group, dedup_id=f"{group}{i}" if group else None)
        run(lambda m=message: service.send(url, m))


def test_standard_queue_refuses_receives_past_the_in_flight_limit(limited, clock):
    """Past the in-flight limit a receive fails with OverLimit; deleting one message or a
    visibility timeout running out makes room again; a receive near the limit is cut to fit."""
    url = make(limited, "busy", VisibilityTimeout="30")
    fill(limited, url, 8)
    first = receive(limited, url, max_messages=4)
    cut = receive(limited, url, max_messages=4)

    with pytest.raises(errors.OverLimit):
        receive(limited, url)
    run(lambda: limited.delete_message(url, first[0].ReceiptHandle))
    one_more = receive(limited, url, max_messages=4)
    clock.now += 31
    after_expiry = receive(limited, url, max_messages=10)

    assert (len(first), len(cut), len(one_more)) == (4, 1, 1)
    assert len(after_expiry) == 5


def test_fifo_queue_answers_nothing_past_the_in_flight_limit(limited, clock):
    """A FIFO queue at its in-flight limit answers no messages and no error."""
    url = make(limited, "busy.fifo", FifoQueue="true")
    for group in ("a", "b", "c", "d"):
        fill(limited, url, 1, group)
    taken = receive(limited, url, max_messages=10)
    held = receive(limited, url, max_messages=10)
    run(lambda: limited.delete_message(url, taken[0].ReceiptHandle))
    freed = receive(limited, url, max_messages=10)

    assert [m.Body for m in taken] == ["0", "0", "0"]
    assert held == []
    assert len(freed) == 1


def test_a_deleted_queue_name_is_free_after_60_seconds(service, clock):
    """Within 60 s of DeleteQueue the name is refused; after, it makes a new, empty queue."""
    url = make(service, "reuse")
    fill(service, url, 2)
    run(lambda: service.delete_queue(url))
    clock.now += 59

    with pytest.raises(errors.QueueDeletedRecently):
        make(service, "reuse")
    clock.now += 1.5
    again = make(service, "reuse")
    assert receive(service, again) == []


def test_visibility_changes_end_12_hours_after_the_receive(service, clock):
    """ChangeMessageVisibility may keep a message in flight up to 12 hours from its receive,
    in all; a change past that is refused, not shortened."""
    url = make(service, "long-job", VisibilityTimeout="30")
    fill(service, url, 1)
    [message] = receive(service, url)
    run(lambda: service.change_visibility(url, message.ReceiptHandle, 43_000))
    clock.now += 11 * 3600

    run(lambda: service.change_visibility(url, message.ReceiptHandle, 3600))
    with pytest.raises(errors.InvalidParameter, match="beyond the limit"):
        run(lambda: service.change_visibility(url, message.ReceiptHandle, 3601))
    clock.now += 3600
    [again] = receive(service, url)
    run(lambda: service.change_visibility(url, again.ReceiptHandle, 43_200))
