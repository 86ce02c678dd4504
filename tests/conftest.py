"""Shared fixtures: one real Stratus server per test session, and helpers to deploy code."""

from __future__ import annotations

import contextlib
import gc
import io
import itertools
import json
import tempfile
import textwrap
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stratus.store.clock import ManualClock
from stratus.testing import RunningServer, serve_in_thread

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
_names = itertools.count()


def make_zip(files: dict[str, str], modes: dict[str, int] | None = None) -> bytes:
    """A deployment package from {path: source}; sources are dedented."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for path, source in files.items():
            info = zipfile.ZipInfo(path)
            info.external_attr = (modes or {}).get(path, 0o644) << 16
            bundle.writestr(info, textwrap.dedent(source))
    return buffer.getvalue()


def create_function(client: Any, name: str, files: dict[str, str] | str, **config: Any) -> dict:
    """CreateFunction from sources ({path: source}, or one app.py), Lambda's defaults otherwise."""
    if isinstance(files, str):
        files = {"app.py": files}
    return client.create_function(  # type: ignore[no-any-return]
        FunctionName=name,
        Runtime=config.pop("Runtime", "python3.11"),
        Role=ROLE,
        Handler=config.pop("Handler", "app.handler"),
        Code={"ZipFile": make_zip(files)},
        **config,
    )


def wait_for(predicate: Callable[[], object], timeout: float = 20.0) -> bool:
    """Poll until `predicate()` is true (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def state_of(client: Any, name: str, version: str) -> str:
    return str(client.get_function_configuration(FunctionName=name, Qualifier=version)["State"])


def wait_settled(client: Any, name: str, version: str) -> None:
    """Wait until a published version leaves Pending (a SnapStart version's snapshot is
    taken), as a user does before the first invoke."""
    assert wait_for(lambda: state_of(client, name, version) != "Pending")


def publish_snapstart(
    lambda_client: Any, deploy: Any, source: str, **config: Any
) -> tuple[str, dict]:
    """Deploy `source` with SnapStart, publish a version and wait until it leaves Pending,
    as a user would; the function's name and PublishVersion's answer."""
    snap_start = {"ApplyOn": "PublishedVersions"}
    name = deploy(source, Runtime="python3.12", SnapStart=snap_start, **config)
    published = lambda_client.publish_version(FunctionName=name)
    wait_settled(lambda_client, name, published["Version"])
    return name, published


def invoke_json(client: Any, name: str, payload: Any = None, **kwargs: Any) -> tuple[dict, Any]:
    """Invoke with a JSON payload; returns the response and its decoded payload."""
    response = client.invoke(FunctionName=name, Payload=json.dumps(payload or {}), **kwargs)
    return response, json.loads(response["Payload"].read() or b"null")


@pytest.fixture(scope="session", autouse=True)
def _collect_client_garbage_quietly() -> Iterator[None]:
    """At the session's end, collect what the session's clients left in reference cycles
    (botocore and httpx connection pools) with their "unclosed socket" ResourceWarning
    silenced: otherwise pytest's last collection meets them under `error` and fails a run
    whose every test passed. During the session such warnings still fail the test at hand."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.fixture(scope="session")
def server() -> Iterator[RunningServer]:
    # Not under /tmp: environments bind a private directory over /tmp, which would hide it.
    with (
        tempfile.TemporaryDirectory(prefix="stratus-test-", dir="/var/tmp") as data,
        # Durable work (retries, backoff) runs on a clock the tests move: server.advance().
        serve_in_thread(Path(data) / "data", clock=ManualClock()) as running,
    ):
        yield running


@pytest.fixture(scope="session")
def sns(server: RunningServer) -> Any:
    return server.client("sns")


@pytest.fixture(scope="session")
def sqs(server: RunningServer) -> Any:
    return server.client("sqs")


def unique(prefix: str) -> str:
    """A name no other test of this session uses."""
    return f"{prefix}-{next(_names)}"


def make_queue(sqs: Any, name: str | None = None, **attributes: str) -> tuple[str, str]:
    """CreateQueue (FIFO when the name ends in .fifo): its URL and ARN."""
    name = name or unique("q")
    if name.endswith(".fifo"):
        attributes["FifoQueue"] = "true"
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory both the test and its functions see and write (functions have a private
    /tmp, and run as uids of their own when the server is root)."""
    with tempfile.TemporaryDirectory(prefix="stratus-shared-", dir="/var/tmp") as path:
        Path(path).chmod(0o1777)
        yield Path(path)


@pytest.fixture(scope="session")
def lambda_client(server: RunningServer) -> Any:
    return server.client("lambda")


@pytest.fixture
def deploy(lambda_client: Any) -> Iterator[Callable[..., str]]:
    """Create a function from sources; returns its name. Deleted after the test."""
    created: list[str] = []

    def create(files: dict[str, str] | str, **config: Any) -> str:
        name = config.pop("FunctionName", None) or f"fn-{next(_names)}"
        create_function(lambda_client, name, files, **config)
        created.append(name)
        return name

    yield create
    for name in created:
        with contextlib.suppress(lambda_client.exceptions.ResourceNotFoundException):
            lambda_client.delete_function(FunctionName=name)


@pytest.fixture
def deploy_custom(lambda_client: Any) -> Iterator[Callable[..., str]]:
    """Create a custom-runtime (provided.al2023) function from {path: source}; files whose
    source starts with #! are executable. Returns its name; deleted after the test."""
    created: list[str] = []

    def create(files: dict[str, str], **config: Any) -> str:
        name = config.pop("FunctionName", None) or f"custom-{next(_names)}"
        scripts = [path for path, source in files.items() if textwrap.dedent(source)[:2] == "#!"]
        modes = dict.fromkeys(scripts, 0o755)
        modes |= config.pop("Modes", {})
        lambda_client.create_function(
            FunctionName=name,
            Runtime=config.pop("Runtime", "provided.al2023"),
            Role=ROLE,
            Code={"ZipFile": make_zip(files, modes)},
            **config,
        )
        created.append(name)
        return name

    yield create
    for name in created:
        with contextlib.suppress(lambda_client.exceptions.ResourceNotFoundException):
            lambda_client.delete_function(FunctionName=name)
