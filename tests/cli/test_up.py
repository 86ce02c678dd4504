"""`stratus up DIR` and the examples it is meant for."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from stratus.testing import free_port

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_up_starts_a_server_deploys_follows_logs_and_stops_cleanly_on_ctrl_c(tmp_path):
    """`stratus up examples/hello` serves the function on its port, prints its log lines,
    and on SIGINT stops the server it started and exits 0."""
    port = free_port()
    out, err = tmp_path / "out", tmp_path / "err"
    command = [sys.executable, "-m", "stratus", "up", str(EXAMPLES / "hello")]
    command += ["--port", str(port), "--data-dir", str(tmp_path / "data")]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        up = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=os.environ.copy())
    try:
        answer = _invoke_when_ready(port, "hello", {"name": "Ada"})
        deadline = time.monotonic() + 10
        while "saying hello to Ada" not in out.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        up.send_signal(signal.SIGINT)
        code = up.wait(timeout=40)
    finally:
        up.kill()

    assert answer == {"message": "Hello, Ada!"}
    assert "stratus invoke hello" in out.read_text()
    assert "saying hello to Ada" in out.read_text()
    assert code == 0, err.read_text()
    assert "Traceback" not in err.read_text()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass


def test_up_refuses_a_folder_without_the_handlers_module(tmp_path):
    """A folder with no app.py for app.handler fails at once (exit 1), before any server."""
    (tmp_path / "empty").mkdir()

    result = subprocess.run(
        [sys.executable, "-m", "stratus", "up", str(tmp_path / "empty"), "--port", "1"],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 1
    assert "has no app.py for handler 'app.handler'" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_hello_example_greets_by_name(stratus, new_name):
    """examples/hello deploys with `functions create` and returns a greeting."""
    name = new_name("hello")

    created = stratus("functions", "create", name, "--code", str(EXAMPLES / "hello"))
    result = stratus("invoke", name, "-p", '{"name": "Grace"}')

    assert created.exit_code == 0, created.output
    assert json.loads(result.stdout) == {"message": "Hello, Grace!"}


def test_the_boto3_example_lists_functions_including_itself(stratus, new_name):
    """examples/boto3-app's unchanged boto3 client reaches Stratus and finds its own name."""
    name = new_name("boto3-app")

    created = stratus("functions", "create", name, "--code", str(EXAMPLES / "boto3-app"))
    result = stratus("invoke", name)

    assert created.exit_code == 0, created.output
    assert result.exit_code == 0, result.output
    assert name in json.loads(result.stdout)["functions"]


def _invoke_when_ready(port: int, name: str, event: dict[str, str]) -> object:
    """Invoke `name` on the server at `port` as soon as it exists there."""
    client = boto3.client(
        "lambda",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1),
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            response = client.invoke(FunctionName=name, Payload=json.dumps(event))
            return json.loads(response["Payload"].read())
        except (EndpointConnectionError, ClientError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
