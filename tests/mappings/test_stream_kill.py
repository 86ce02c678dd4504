"""Durability of stream mappings: `kill -9` of the server while a mapping reads a table's
stream loses no record; after the restart the mapping resumes from its checkpoint in the
store (at-least-once), and in order within the shard."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.conftest import create_function, wait_for
from tests.mappings.test_streams import STREAM_RECORDER, keys

from stratus.testing import serve_in_process


def test_kill_9_while_reading_a_stream_loses_nothing(tmp_path: Path, shared_dir: Path):
    """Every change reaches the function at least once across a SIGKILL in the middle of
    the reading; what was checkpointed before the kill is not read again from the start."""
    data = tmp_path / "data"
    data.mkdir()
    written = [f"k{i:03d}" for i in range(150)]
    with serve_in_process(data) as server:
        ddb, lam = server.client("dynamodb"), server.client("lambda")
        stream = ddb.create_table(
            TableName="durable",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )["TableDescription"]["LatestStreamArn"]
        for key in written:
            ddb.put_item(TableName="durable", Item={"id": {"S": key}})
        create_function(
            lam,
            "durable-fn",
            STREAM_RECORDER,
            # 50 invocations of 0.1 s: the kill surely comes in the middle.
            Environment={"Variables": {"OUT": str(shared_dir), "SLEEP": "0.1"}},
        )
        lam.create_event_source_mapping(
            EventSourceArn=stream,
            FunctionName="durable-fn",
            StartingPosition="TRIM_HORIZON",
            BatchSize=3,
        )
        assert wait_for(lambda: len(keys(shared_dir)) >= 30, timeout=60)
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
    before = keys(shared_dir)

    with serve_in_process(data, port=server.settings.port) as again:
        assert wait_for(lambda: set(keys(shared_dir)) >= set(written), timeout=120)
        again.client("dynamodb").put_item(TableName="durable", Item={"id": {"S": "after"}})
        assert wait_for(lambda: keys(shared_dir)[-1:] == ["after"], timeout=60)

    seen = keys(shared_dir)
    assert set(before) < set(written)  # the kill came in the middle
    assert set(seen) == {*written, "after"}
    # Resumed from the checkpoint: at most the batch that was running comes twice.
    assert len(seen) - len(written) - 1 <= 3
    again_from = seen[len(before) : -1]
    assert again_from == sorted(again_from)  # in order within the shard
