"""Durability: `kill -9` during an upload leaves the old object or the new one, never half of
either, and the unfinished upload's file is swept at the next start."""

from __future__ import annotations

import hashlib
import json
import signal
import socket
import time
from pathlib import Path

from stratus.testing import serve_in_process

OLD = b"old object " * 10_000
NEW_SIZE = 50 * 1024 * 1024


def _start_upload(port: int, path: str, sent: bytes, total: int) -> socket.socket:
    """A PUT declaring `total` bytes that sends only `sent` of them (and then waits)."""
    sock = socket.create_connection(("127.0.0.1", port))
    head = (
        f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {total}\r\n"
        "Authorization: AWS4-HMAC-SHA256 Credential=t/20260101/us-east-1/s3/aws4_request, "
        "SignedHeaders=host, Signature=0\r\n\r\n"
    )
    sock.sendall(head.encode() + sent)
    return sock


def _wait_for(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.05)


def test_kill_9_mid_upload_keeps_the_old_object(tmp_path: Path):
    """The server is killed while a new version of a key is half uploaded (its bytes are in a
    temporary file). After a restart the key still reads as the old object, whole, and the
    temporary file is gone."""
    data = tmp_path / "data"
    data.mkdir()
    with serve_in_process(data) as server:
        s3 = server.client("s3")
        s3.create_bucket(Bucket="durable")
        s3.put_object(Bucket="durable", Key="k", Body=OLD)
        tmp = data / "objects" / "tmp"
        sock = _start_upload(server.settings.port, "/durable/k", b"n" * (5 * 1024 * 1024), NEW_SIZE)
        _wait_for(lambda: any(p.stat().st_size > 0 for p in tmp.iterdir()))
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        sock.close()
        leftovers = list(tmp.iterdir())

    with serve_in_process(data, port=server.settings.port) as again:
        got = again.client("s3").get_object(Bucket="durable", Key="k")
        body = got["Body"].read()
        swept = list(tmp.iterdir())

    assert leftovers  # the cut-off upload had left its temporary file
    assert hashlib.md5(body).hexdigest() == hashlib.md5(OLD).hexdigest()
    assert got["ETag"] == f'"{hashlib.md5(OLD).hexdigest()}"'
    assert swept == []


def test_kill_9_between_uploads_keeps_every_answered_put(tmp_path: Path):
    """Every PUT that was answered before the kill reads back whole after the restart."""
    data = tmp_path / "data"
    data.mkdir()
    with serve_in_process(data) as server:
        s3 = server.client("s3")
        s3.create_bucket(Bucket="many")
        bodies = {f"k{i}": bytes([i]) * (1000 * i + 1) for i in range(30)}
        for key, body in bodies.items():
            s3.put_object(Bucket="many", Key=key, Body=body)
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()

    with serve_in_process(data, port=server.settings.port) as again:
        s3 = again.client("s3")
        found = {key: s3.get_object(Bucket="many", Key=key)["Body"].read() for key in bodies}

    assert found == bodies


def test_kill_9_keeps_every_answered_puts_notification(tmp_path: Path):
    """Notifications are queued in the transaction that commits their object: after a kill -9
    right behind a burst of answered PUTs, the restarted server delivers a record for each
    (at least once)."""
    data = tmp_path / "data"
    data.mkdir()
    keys = [f"k{i}" for i in range(100)]
    with serve_in_process(data) as server:
        s3, sqs = server.client("s3"), server.client("sqs")
        url = sqs.create_queue(QueueName="events")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        s3.create_bucket(Bucket="notified")
        s3.put_bucket_notification_configuration(
            Bucket="notified",
            NotificationConfiguration={
                "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]
            },
        )
        for key in keys:
            s3.put_object(Bucket="notified", Key=key, Body=b"x")
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()

    seen: set[str] = set()
    with serve_in_process(data, port=server.settings.port) as again:
        sqs = again.client("sqs")
        deadline = time.monotonic() + 60
        while len(seen) < len(keys) and time.monotonic() < deadline:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for message in got.get("Messages", []):
                body = json.loads(message["Body"])
                for record in body.get("Records", []):
                    seen.add(record["s3"]["object"]["key"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    assert seen == set(keys)
