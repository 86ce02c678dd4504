"""Find a Stratus server at an endpoint, or run one as a child process for as long as needed.

The child runs in its own session, so a Ctrl-C at the terminal reaches only the parent, which
then stops the child in order (SIGTERM, a grace period, then SIGKILL) after it has finished
with it.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from .errors import CliError

HEALTH_PATH = "/_stratus/health"
STARTUP_TIMEOUT_S = 30.0
STOP_GRACE_S = 30.0
PR_SET_PDEATHSIG = 1
LOG_NAME = "server.log"


def is_serving(endpoint_url: str, timeout_s: float = 1.0) -> bool:
    """Whether a Stratus server answers its health check at `endpoint_url`."""
    url = f"{endpoint_url.rstrip('/')}{HEALTH_PATH}"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            status: int = response.status
            return status == 200
    except (OSError, ValueError):  # refused, reset, timed out, HTTP error, bad URL
        return False


@contextlib.contextmanager
def child_server(port: int, data_dir: Path) -> Iterator[str]:
    """Run `stratus server` on 127.0.0.1:`port` until the block ends; yields its endpoint URL."""
    endpoint = f"http://127.0.0.1:{port}"
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / LOG_NAME
    command = [sys.executable, "-m", "stratus", "server", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--data-dir", str(data_dir)]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_stop_with_parent,  # the CLI has no threads yet, so this is safe
        )
    try:
        _block_until_healthy(process, endpoint, log_path)
        yield endpoint
    finally:
        stop(process)


def _stop_with_parent() -> None:
    """In the child: get SIGTERM if `stratus up` dies, even by kill -9."""
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the server shuts down its environments), then SIGKILL after a grace period."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_GRACE_S)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):  # stuck, or a second Ctrl-C
        process.kill()
        process.wait()


def _block_until_healthy(process: subprocess.Popen[bytes], endpoint: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CliError(
                f"the Stratus server exited during start-up (is {endpoint} taken?); "
                f"its log is {log}{_last_line(log)}"
            )
        if is_serving(endpoint):
            return
        time.sleep(0.05)
    raise CliError(f"the Stratus server did not answer on {endpoint} in time; see {log}")


def _last_line(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return f": {lines[-1]}" if lines else ""
