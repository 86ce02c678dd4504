"""Mappings outlive the server: after a restart on the same data, an enabled mapping's
pollers start again and consume what was sent."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.conftest import create_function, make_queue, wait_for
from tests.mappings.test_polling import RECORDER, bodies

from stratus.testing import serve_in_thread


def test_restart_keeps_mappings_and_resumes_polling(shared_dir):
    """A mapping created before a restart is listed after it, Enabled, and its poller
    delivers a message sent after the restart; a disabled one stays disabled."""
    with tempfile.TemporaryDirectory(prefix="stratus-test-", dir="/var/tmp") as data:
        with serve_in_thread(Path(data) / "data") as server:
            sqs, lam = server.client("sqs"), server.client("lambda")
            url, arn = make_queue(sqs, "kept")
            _, idle_arn = make_queue(sqs, "idle")
            create_function(
                lam, "keeper", RECORDER, Environment={"Variables": {"OUT": str(shared_dir)}}
            )
            uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="keeper")[
                "UUID"
            ]
            idle = lam.create_event_source_mapping(
                EventSourceArn=idle_arn, FunctionName="keeper", Enabled=False
            )["UUID"]
        with serve_in_thread(Path(data) / "data") as server:
            sqs, lam = server.client("sqs"), server.client("lambda")
            kept = lam.get_event_source_mapping(UUID=uuid)
            still_idle = lam.get_event_source_mapping(UUID=idle)
            sqs.send_message(QueueUrl=url, MessageBody="after the restart")

            assert wait_for(lambda: bodies(shared_dir) == ["after the restart"], timeout=30)
            assert kept["State"] == "Enabled"
            assert kept["EventSourceArn"] == arn
            assert still_idle["State"] == "Disabled"
