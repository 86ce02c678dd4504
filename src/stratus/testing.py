"""Run a real Stratus server for tests: in a thread of this process, or as a child process.

    with serve_in_thread(tmp_path) as server:
        server.client("lambda").invoke(FunctionName="f")

Both give a `RunningServer` with the endpoint URL and boto3 clients pointed at it. A server
in a thread may run on a `ManualClock`: its durable work (retries, delays, leases) then waits
for `server.advance(seconds)`, so tests prove "nothing happens before" without sleeping.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import uvicorn

from stratus.config import Settings
from stratus.store.clock import ManualClock
from stratus.store.work import KindStatistics, WorkStatistics

# Generous: a restart after kill -9 recovers its work first, and CI machines run loaded.
STARTUP_TIMEOUT_S = 60.0
IDLE_TIMEOUT_S = 30.0


@dataclass
class RunningServer:
    settings: Settings
    process: subprocess.Popen[bytes] | None = None
    clock: ManualClock | None = None  # the work queue's, when the test drives it
    _clients: dict[str, Any] = field(default_factory=dict)

    @property
    def endpoint_url(self) -> str:
        return self.settings.endpoint_url

    def isolation(self) -> dict[str, str]:
        """What isolation the server gives environments, from its health endpoint."""
        with urllib.request.urlopen(f"{self.endpoint_url}/_stratus/health") as response:
            isolation: dict[str, str] = json.load(response)["isolation"]
            return isolation

    def work(self) -> WorkStatistics:
        """The work queue's statistics, from the server's /_stratus/work."""
        with urllib.request.urlopen(f"{self.endpoint_url}/_stratus/work") as response:
            kinds = json.load(response)
        return WorkStatistics({name: KindStatistics(**kind) for name, kind in kinds.items()})

    def wait_idle(self, timeout: float = IDLE_TIMEOUT_S) -> None:
        """Return once no work is running and none is due: all that was due is done."""
        deadline = time.monotonic() + timeout
        while not (statistics := self.work()).idle():
            if time.monotonic() > deadline:
                raise TimeoutError(f"work still due or running after {timeout} s: {statistics}")
            time.sleep(0.02)

    def advance(self, seconds: float) -> None:
        """Move the server's manual clock on by `seconds`, once what is due now is done, and
        return once what fell due in those seconds (retries, delayed work) is done too."""
        if self.clock is None:
            raise RuntimeError("advance needs a server started with clock=ManualClock()")
        self.wait_idle()
        self.clock.advance(seconds)
        self.wait_idle()

    def client(self, service: str, **config: Any) -> Any:
        """A boto3 client for `service` talking to this server, signing with the default
        test/test key (the account root, accepted also when signatures are checked)."""
        import boto3
        from botocore.config import Config

        key = f"{service}:{sorted(config.items())}"
        if key not in self._clients:
            # Tests name any service; boto3's stubs accept only literal names.
            self._clients[key] = boto3.client(  # type: ignore[call-overload]
                service,
                endpoint_url=self.endpoint_url,
                region_name=self.settings.region,
                aws_access_key_id="test",
                aws_secret_access_key="test",
                config=Config(retries={"max_attempts": 1}, read_timeout=910, **config),
            )
        return self._clients[key]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_in_thread(
    data_dir: Path, clock: ManualClock | None = None, **overrides: Any
) -> Iterator[RunningServer]:
    """A server on a free port, running in a background thread until the block ends; its
    work queue runs on `clock` if given (see `RunningServer.advance`), else on real time."""
    from stratus.server import uvicorn_config

    settings = replace(Settings(), data_dir=data_dir, port=free_port(), **overrides)
    server = uvicorn.Server(uvicorn_config(settings, clock))
    thread = threading.Thread(target=server.run, name="stratus-server", daemon=True)
    thread.start()
    try:
        _wait_until_healthy(settings, lambda: thread.is_alive())
        yield RunningServer(settings, clock=clock)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextlib.contextmanager
def serve_in_process(
    data_dir: Path, port: int | None = None, environ: dict[str, str] | None = None
) -> Iterator[RunningServer]:
    """`stratus server` as a child process (for tests that kill it)."""
    settings = replace(Settings(), data_dir=data_dir, port=port or free_port())
    command = [
        sys.executable,
        "-m",
        "stratus",
        "server",
        "--port",
        str(settings.port),
        "--data-dir",
        str(data_dir),
    ]
    log = open(data_dir.parent / f"server-{settings.port}.log", "ab")  # noqa: SIM115
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(environ or {})}
    )
    try:
        _wait_until_healthy(settings, lambda: process.poll() is None)
        yield RunningServer(settings, process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def _wait_until_healthy(settings: Settings, running: Callable[[], bool]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    url = f"{settings.endpoint_url}/_stratus/health"
    while time.monotonic() < deadline:
        if not running():
            raise RuntimeError("the Stratus server exited during start-up")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"the Stratus server did not answer on {url} within {STARTUP_TIMEOUT_S} s")
