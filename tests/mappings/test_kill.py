"""Durability: `kill -9` of the server while a mapping consumes its queue loses no message;
after the restart the mapping is there and its pollers finish the work (at-least-once)."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.conftest import create_function, make_queue, wait_for
from tests.mappings.test_polling import RECORDER, bodies, count

from stratus.testing import serve_in_process


def test_kill_9_while_consuming_loses_nothing(tmp_path: Path, shared_dir: Path):
    """Every message sent reaches the function at least once, across a SIGKILL of the
    server in the middle of the consumption, and the queue ends empty."""
    data = tmp_path / "data"
    data.mkdir()
    sent = {f"m{i}" for i in range(200)}
    with serve_in_process(data) as server:
        sqs, lam = server.client("sqs"), server.client("lambda")
        url, arn = make_queue(sqs, "durable-esm", VisibilityTimeout="3")
        create_function(
            lam, "durable-fn", RECORDER, Environment={"Variables": {"OUT": str(shared_dir)}}
        )
        for start in range(0, 200, 10):
            sqs.send_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(10)],
            )
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="durable-fn", BatchSize=2)
        assert wait_for(lambda: len(bodies(shared_dir)) >= 20, timeout=30)
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
    before = set(bodies(shared_dir))

    with serve_in_process(data, port=server.settings.port) as again:
        sqs = again.client("sqs")
        assert wait_for(lambda: count(sqs, url) == 0, timeout=60)

    assert before < sent  # the kill came in the middle
    assert set(bodies(shared_dir)) == sent
