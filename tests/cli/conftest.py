"""Run `stratus` commands in-process against the session's real server."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from stratus.cli.main import app
from stratus.testing import RunningServer

Stratus = Callable[..., Result]


@pytest.fixture
def stratus(server: RunningServer) -> Stratus:
    """`stratus(*args)` runs the CLI pointed at the test server (via STRATUS_ENDPOINT_URL)."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(
            app,
            list(args),
            input=input,
            env={"STRATUS_ENDPOINT_URL": server.endpoint_url, "COLUMNS": "200"},
            # A bug must fail the test with its traceback, not pass as "exit code 1".
            catch_exceptions=False,
        )

    return run


@pytest.fixture
def new_name(lambda_client: Any) -> Iterator[Callable[[str], str]]:
    """Unique function names; the functions are deleted after the test."""
    names: list[str] = []

    def make(prefix: str = "cli") -> str:
        names.append(f"{prefix}-{uuid.uuid4().hex[:8]}")
        return names[-1]

    yield make
    for name in names:
        with contextlib.suppress(lambda_client.exceptions.ResourceNotFoundException):
            lambda_client.delete_function(FunctionName=name)


@pytest.fixture
def code_dir(tmp_path: Path) -> Callable[[str], Path]:
    """A directory holding app.py with the given source."""

    def make(source: str) -> Path:
        directory = tmp_path / f"code-{uuid.uuid4().hex[:6]}"
        directory.mkdir()
        (directory / "app.py").write_text(source)
        return directory

    return make


def eventually(check: Callable[[], Any], timeout_s: float = 10.0) -> Any:
    """Retry `check` until it returns something truthy (log lines arrive asynchronously)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


@pytest.fixture
def logs_showing(stratus: Stratus) -> Callable[[str, str], Result | None]:
    """`logs_showing(NAME, text)`: `stratus logs NAME`, retried until its output shows text."""

    def run(name: str, text: str) -> Result | None:
        def attempt() -> Result | None:
            result = stratus("logs", name)
            return result if text in result.stdout else None

        return eventually(attempt)  # type: ignore[no-any-return]

    return run
