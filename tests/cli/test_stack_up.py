"""`stratus up DIR` on a folder with a SAM template: deploy, endpoints table, logs, hot reload
on save (in-flight requests finish, broken saves keep the old version), clean Ctrl-C."""

from __future__ import annotations

import concurrent.futures
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from stratus.testing import free_port

RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
TEMPLATE = textwrap.dedent(
    f"""\
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Hello:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: hello/
          Handler: app.handler
          Runtime: {RUNTIME}
          Timeout: 30
          Events:
            Get:
              Type: HttpApi
              Properties:
                Path: /hello
                Method: get
    Outputs:
      HelloUrl:
        Value: !Sub "https://${{ServerlessHttpApi}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/hello"
    """
)
HANDLER = textwrap.dedent(
    """\
    import time

    WORD = "world"

    def handler(event, context):
        if (event.get("queryStringParameters") or {}).get("slow"):
            time.sleep(3)
        print(f"answering with {WORD}")
        return {"statusCode": 200, "body": f"Hello, {WORD}"}
    """
)


def wait_for(check: Callable[[], object], what: str, timeout_s: float = 60.0) -> object:
    deadline = time.monotonic() + timeout_s
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return value


def answer(url: str) -> str | None:
    try:
        return httpx.get(url, timeout=30).text
    except httpx.TransportError:
        return None


def url_in(text: str) -> str | None:
    for word in text.split():
        if word.startswith("http://127.0.0.1:") and word.endswith("/hello"):
            return word
    return None


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "live-app"
    (root / "hello").mkdir(parents=True)
    (root / "template.yaml").write_text(TEMPLATE)
    (root / "hello" / "app.py").write_text(HANDLER)
    return root


def test_up_deploys_a_template_and_reloads_it_on_save(app, tmp_path):
    """The endpoints table names a URL that answers; a saved handler is live within moments
    ("reloaded Hello"), while a request that started before the save still completes; a broken
    template prints its error and the old version keeps answering; the fixed template is
    deployed again; SIGINT exits 0 and stops the server `up` started."""
    port = free_port()
    out, err = tmp_path / "out", tmp_path / "err"
    command = [sys.executable, "-m", "stratus", "up", str(app), "--port", str(port)]
    command += ["--data-dir", str(tmp_path / "data")]
    environ = {**os.environ, "COLUMNS": "200", "STRATUS_CACHE_DIR": str(tmp_path / "cache")}
    with out.open("wb") as stdout, err.open("wb") as stderr:
        up = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=environ)
    try:
        url = str(wait_for(lambda: url_in(out.read_text()), "the endpoints table", 120))
        first = answer(url)
        logged = wait_for(lambda: "answering with world" in out.read_text(), "a log line")
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            slow = pool.submit(httpx.get, url, params={"slow": "1"}, timeout=60)
            time.sleep(0.5)  # the slow request is running the old code now
            saved = time.monotonic()
            (app / "hello" / "app.py").write_text(HANDLER.replace('"world"', '"reload"'))
            wait_for(lambda: answer(url) == "Hello, reload", "the reloaded answer", 30)
            seconds = time.monotonic() - saved
            in_flight = slow.result()
        reloaded = wait_for(lambda: "reloaded Hello in" in out.read_text(), "the reload line")
        (app / "template.yaml").write_text(TEMPLATE.replace("Handler:", "Handler: [", 1))
        wait_for(lambda: "error:" in err.read_text(), "the template error", 30)
        after_error = answer(url)
        (app / "template.yaml").write_text(TEMPLATE.replace("Timeout: 30", "Timeout: 20"))
        wait_for(lambda: out.read_text().count("reloaded Hello in") == 2, "a template reload", 30)
        up.send_signal(signal.SIGINT)
        code = up.wait(timeout=60)
    finally:
        up.kill()
    print(f"reload: new answer {seconds:.2f} s after the save")
    print(out.read_text())
    print(err.read_text())

    assert first == "Hello, world"
    assert logged
    assert in_flight.status_code == 200
    assert in_flight.text == "Hello, world"
    assert reloaded
    assert "keeps running" in err.read_text()
    assert after_error == "Hello, reload"
    assert code == 0, err.read_text()
    assert "Traceback" not in err.read_text()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass


def test_up_with_a_broken_template_keeps_watching_and_deploys_once_fixed(app, tmp_path, server):
    """A template that cannot deploy at start is reported, `up` stays, and the first good save
    deploys it (on a server that already runs, which `up` uses and leaves running)."""
    (app / "template.yaml").write_text(TEMPLATE.replace("Handler:", "Handler: [", 1))
    out, err = tmp_path / "out", tmp_path / "err"
    command = [sys.executable, "-m", "stratus", "up", str(app), "--port", str(server.settings.port)]
    command += ["--stack-name", "up-broken-then-fixed"]
    environ = {**os.environ, "COLUMNS": "200", "STRATUS_CACHE_DIR": str(tmp_path / "cache")}
    with out.open("wb") as stdout, err.open("wb") as stderr:
        up = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=environ)
    try:
        wait_for(lambda: "`stratus up` deploys again" in err.read_text(), "the error", 60)
        (app / "template.yaml").write_text(TEMPLATE)
        url = str(wait_for(lambda: url_in(out.read_text()), "the endpoints table", 60))
        first = answer(url)
        up.send_signal(signal.SIGINT)
        code = up.wait(timeout=60)
    finally:
        up.kill()
        server.client("cloudformation").delete_stack(StackName="up-broken-then-fixed")

    assert "YAML not well-formed" in err.read_text()
    assert first == "Hello, world"
    assert code == 0, err.read_text()
    assert "Traceback" not in err.read_text()
