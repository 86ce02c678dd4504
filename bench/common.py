"""What the benches share: servers started as child processes and stopped again, and the
small helpers around them. Nothing here measures.

    command = stratus_command(port, work / "data", cprofile=..., wrap=...)
    server = start_child("stratus", command, port, work / "stratus.log", environ)
    ...                                       # /_stratus/health answered 200: it is up
    server.stop()                             # SIGINT to its process group, then harder

A child runs in its own process group (Ctrl-C reaches only the bench, which then stops it)
and dies with the bench (PR_SET_PDEATHSIG). `main_in_workdir` wraps a bench's run: signals
unwind into KeyboardInterrupt, so servers are stopped and the temporary directory removed.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import json
import os
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- child processes --------------------------------------------------------------------------
def _detach_and_follow_parent() -> None:
    """In the child: own process group (Ctrl-C reaches only the bench), die with the bench."""
    os.setsid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGINT first (uvicorn shuts down gracefully, stopping its environments; profilers
        write their output), then SIGTERM, then SIGKILL, to the whole process group."""
        if self.process.poll() is not None:
            return
        for sig, wait_s in ((signal.SIGINT, STOP_TIMEOUT_S), (signal.SIGTERM, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=wait_s)
                return
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def start_child(
    name: str, command: list[str], port: int, log_path: Path, environ: dict[str, str]
) -> Child:
    """Start `command` (its output to `log_path`) and wait until it answers
    GET /_stratus/health with 200 on `port`."""
    with open(log_path, "ab") as out:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=environ,
            preexec_fn=_detach_and_follow_parent,  # the bench has no threads at this point
        )
    child = Child(name, process, log_path)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited during start-up:\n{child.tail()}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=1)
            conn.request("GET", "/_stratus/health")
            if conn.getresponse().status == 200:
                conn.close()
                return child
        except OSError:
            time.sleep(0.05)
    child.stop()
    raise RuntimeError(f"{name} did not answer on port {port} within {STARTUP_TIMEOUT_S} s")


def stratus_command(
    port: int, data_dir: Path, *, cprofile: Path | None = None, wrap: str | None = None
) -> list[str]:
    """`python -m stratus server` on `port` and `data_dir`; under cProfile (output to
    `cprofile`) and/or behind a command prefix (`wrap`, e.g. a profiler's)."""
    command = [sys.executable, "-m", "stratus", "server", "--port", str(port)]
    command += ["--data-dir", str(data_dir)]
    if cprofile is not None:
        command[1:2] = ["-m", "cProfile", "-o", str(cprofile), "-m"]
    return shlex.split(wrap or "") + command


def stratus_environ(src: Path | None, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for servers that import stratus from `src` (PYTHONPATH precedes the
    editable install), or the installed one when `src` is None."""
    environ = dict(os.environ if base is None else base)
    if src is not None:
        paths = [str(src.resolve()), environ.get("PYTHONPATH", "")]
        environ["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return environ


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def aws_client(service: str, port: int, **config: Any) -> Any:
    """A boto3 client for `service` on a local server; `config` goes to botocore's Config
    (each bench keeps its own timeouts)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=f"http://{HOST}:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, **config),
    )


def source_description(src: Path | None) -> str:
    """Where the servers' stratus came from, with its git revision (+dirty) when known."""
    if src is None:
        import stratus

        src = Path(stratus.__file__).resolve().parent.parent
    try:
        revision = subprocess.run(
            ["git", "-C", str(src), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return str(src)
    return f"{src} @ {revision}"


# -- figures -------------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "mean": statistics.fmean(values) if values else float("nan"),
        "min": min(values, default=float("nan")),
        "max": max(values, default=float("nan")),
    }


# -- a bench's main -----------------------------------------------------------------------------
def default_work_parent() -> Path:
    """~/.cache, not /tmp: Stratus may hide /tmp from environments behind a private one."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def main_in_workdir(
    run: Callable[[Path], dict[str, Any]],
    render: Callable[[dict[str, Any]], str],
    *,
    work_parent: Path,
    prefix: str,
    as_json: bool,
) -> int:
    """Run `run(work)` in a fresh temporary directory under `work_parent` and print its
    result (JSON, or `render`'s text). Ctrl-C, SIGTERM and SIGHUP unwind (even if SIGINT
    was inherited as ignored), so servers are stopped and the directory removed: 130."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_interrupt)
    work_parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=prefix, dir=work_parent))
    try:
        result = run(work)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2) if as_json else render(result), flush=True)
    return 0


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
