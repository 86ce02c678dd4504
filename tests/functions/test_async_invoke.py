"""Asynchronous (Event) invocations: accepted at once, durable, retried as on AWS."""

import json
import os
import signal
import sqlite3
import time
from pathlib import Path

from tests.conftest import create_function, wait_for

from stratus.testing import serve_in_process

RECORDER = """
import json, os, time
def handler(event, context):
    with open(event["path"], "a") as out:
        out.write(json.dumps({"pid": os.getpid(), "rid": context.aws_request_id}) + "\\n")
    if event.get("fail_times", 0) >= sum(1 for _ in open(event["path"])):
        raise RuntimeError("try again")
    time.sleep(event.get("sleep", 0))
    with open(event["path"] + ".done", "w") as out:
        out.write("done")
"""


def _attempts(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_event_invoke_returns_202_and_runs_in_the_background(lambda_client, deploy, shared_dir):
    """Invoke with InvocationType=Event answers 202 with a request id the function sees."""
    name = deploy(RECORDER)
    path = shared_dir / "calls.jsonl"

    response = lambda_client.invoke(
        FunctionName=name, InvocationType="Event", Payload=json.dumps({"path": str(path)})
    )

    assert response["StatusCode"] == 202
    assert wait_for(lambda: Path(f"{path}.done").exists())
    request_id = response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert _attempts(path)[0]["rid"] == request_id


def test_failed_event_is_retried_twice(server, lambda_client, deploy, shared_dir):
    """A function error is retried twice, a minute and then two minutes later (AWS's
    defaults), with one request id; then never again."""
    name = deploy(RECORDER)
    path = shared_dir / "calls.jsonl"

    lambda_client.invoke(
        FunctionName=name,
        InvocationType="Event",
        Payload=json.dumps({"path": str(path), "fail_times": 5}),
    )
    server.wait_idle()
    first = len(_attempts(path))
    server.advance(59)
    before_a_minute = len(_attempts(path))
    server.advance(1)
    after_a_minute = len(_attempts(path))
    server.advance(119)
    before_two_more = len(_attempts(path))
    server.advance(1)
    server.advance(24 * 3600)  # far past any retry delay: a fourth attempt would have run

    assert (first, before_a_minute, after_a_minute, before_two_more) == (1, 1, 2, 2)
    attempts = _attempts(path)
    assert len(attempts) == 3
    assert len({a["rid"] for a in attempts}) == 1


def test_accepted_events_survive_kill_9_of_the_server(shared_dir):
    """An event accepted before `kill -9` runs after the restart; no environment is orphaned."""
    data = shared_dir / "data"
    path = shared_dir / "calls.jsonl"
    with serve_in_process(data) as first:
        client = first.client("lambda")
        create_function(client, "durable", RECORDER)
        client.invoke(
            FunctionName="durable",
            InvocationType="Event",
            Payload=json.dumps({"path": str(path), "sleep": 30}),
        )
        assert wait_for(lambda: len(_attempts(path)) == 1)
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()
        port = first.settings.port
    orphan = _attempts(path)[0]["pid"]

    assert wait_for(lambda: not _alive(orphan), timeout=5)
    with serve_in_process(data, port=port):
        assert wait_for(lambda: len(_attempts(path)) == 2, timeout=30)
    assert not Path(f"{path}.done").exists()  # the rerun was cut short by the stop


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


def test_events_queued_by_the_previous_release_still_run(shared_dir):
    """A data directory from before the work queue (an event in `async_invocations`, a
    destination delivery in `destination_deliveries`, functions' tables at version 1) loses
    nothing: after the upgrade both run."""
    data = shared_dir / "data"
    event_path, delivered_path = shared_dir / "event.jsonl", shared_dir / "delivered.jsonl"
    with serve_in_process(data) as first:
        create_function(first.client("lambda"), "legacy", RECORDER)
    with sqlite3.connect(data / "stratus.db") as conn:
        conn.executescript(VERSION_1)
        conn.execute(
            "INSERT INTO async_invocations (id, function_name, qualifier, payload, attempts, "
            "not_before, received) VALUES ('old-event', 'legacy', '$LATEST', ?, 0, 0, ?)",
            (json.dumps({"path": str(event_path)}).encode(), time.time()),
        )
        conn.execute(
            "INSERT INTO destination_deliveries (id, target, payload, attempts, not_before) "
            "VALUES ('old-delivery', 'arn:aws:lambda:us-east-1:000000000000:function:legacy', "
            "?, 0, 0)",
            (json.dumps({"path": str(delivered_path)}).encode(),),
        )

    with serve_in_process(data):
        assert wait_for(lambda: _attempts(event_path) and _attempts(delivered_path))

    assert _attempts(event_path)[0]["rid"] == "old-event"
    assert _attempts(delivered_path)[0]["rid"] == "old-delivery"


# What the previous release's file held: its two queues, the functions' tables at version 1.
VERSION_1 = """
DELETE FROM work_items;
CREATE TABLE async_invocations (
    id TEXT PRIMARY KEY, function_name TEXT NOT NULL, qualifier TEXT NOT NULL,
    payload BLOB NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, not_before REAL NOT NULL,
    received REAL NOT NULL, last_response BLOB, last_version TEXT, last_error TEXT
);
CREATE TABLE destination_deliveries (
    id TEXT PRIMARY KEY, target TEXT NOT NULL, payload BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, not_before REAL NOT NULL
);
UPDATE schemas SET version = 1 WHERE name = 'functions';
"""
