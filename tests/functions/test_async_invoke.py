"""Asynchronous (Event) invocations: accepted at once, durable, retried as on AWS."""

import json
import signal
import time
from pathlib import Path

from tests.conftest import create_function, wait_for

from stratus.testing import serve_in_process

RECORDER = """
import json, os, time
os.umask(0)  # environments run as uids of their own: let the next one append too
def handler(event, context):
    stream = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
    with open(event["path"], "a") as out:
        out.write(json.dumps({"env": stream, "rid": context.aws_request_id}) + "\\n")
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


def test_failed_event_is_retried_twice(lambda_client, deploy, shared_dir):
    """A function error is retried twice (delays shortened in the test server) with one id."""
    name = deploy(RECORDER)
    path = shared_dir / "calls.jsonl"

    lambda_client.invoke(
        FunctionName=name,
        InvocationType="Event",
        Payload=json.dumps({"path": str(path), "fail_times": 5}),
    )

    assert wait_for(lambda: len(_attempts(path)) >= 3)
    time.sleep(0.6)  # longer than the retry delay: a fourth attempt would have happened
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
    orphan = _attempts(path)[0]["env"]

    assert wait_for(lambda: not _alive(orphan), timeout=5)
    with serve_in_process(data, port=port):
        assert wait_for(lambda: len(_attempts(path)) == 2, timeout=30)
    assert not Path(f"{path}.done").exists()  # the rerun was cut short by the stop


def _alive(stream: str) -> bool:
    """Is any process of the environment with log stream `stream` still running?"""
    marker = f"AWS_LAMBDA_LOG_STREAM_NAME={stream}".encode()
    for proc in Path("/proc").iterdir():
        try:
            if marker in (proc / "environ").read_bytes():
                return "State:\tZ" not in (proc / "status").read_text()
        except OSError:
            continue
    return False
