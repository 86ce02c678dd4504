"""The server's event-loop CPU per warm Invoke, in process: no HTTP, no client, no neighbours.

    python bench/invoke_cpu.py [--n 3000] [--rounds 3] [--baseline-src DIR]

Builds the server's app (`stratus.server.create_app`) on a temporary data directory, runs
its lifespan, creates an echo function, and calls the ASGI app directly with the request a
boto3 Invoke sends, timing each call with the thread's own CPU clock: what the loop spends
per invoke, whatever the load of the machine (wall time on a shared machine measures the
neighbours). The environment process's own CPU is not counted; waiting for it costs the
loop nothing. Each round runs in a fresh process; with `--baseline-src`, rounds alternate
between this copy and that one (before vs after in one run). Prints p10 and p50 per round
and the median over the rounds. A measurement, not a verdict: nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from common import stratus_environ

INVOKE_PATH = "/2015-03-31/functions/echo/invocations"
# What boto3's Invoke sends (signatures are not checked by default).
HEADERS = [
    (b"host", b"127.0.0.1:4566"),
    (b"accept-encoding", b"identity"),
    (b"user-agent", b"Boto3/1.40.0 md/Botocore#1.40.0 ua/2.1 os/linux lang/python#3.11.7"),
    (b"x-amz-date", b"20261207T120000Z"),
    (b"x-amz-content-sha256", b"UNSIGNED-PAYLOAD"),
    (
        b"authorization",
        b"AWS4-HMAC-SHA256 Credential=test/20261207/us-east-1/lambda/aws4_request, "
        b"SignedHeaders=host;x-amz-date, Signature=0",
    ),
    (b"amz-sdk-invocation-id", b"0d8b6b0c-1b4f-4e6a-9a1c-4c3f6f8a6f11"),
    (b"amz-sdk-request", b"attempt=1; max=1"),
]


async def wait_call(app: Any, path: str, body: bytes) -> int:
    """One request through the ASGI app; its status."""
    headers = [*HEADERS, (b"content-length", str(len(body)).encode())]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000),
             "server": ("127.0.0.1", 4566), "state": {}}  # fmt: skip
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    status = 0

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # the client never leaves
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        status = message.get("status", status)

    await app(scope, receive, send)
    return status


async def wait_measure(n: int) -> list[float]:
    """Thread CPU seconds of `n` warm invokes (after a warm-up), in this process."""
    from stratus.config import Settings
    from stratus.server import create_app

    with tempfile.TemporaryDirectory(prefix="stratus-bench-", dir="/var/tmp") as data:
        app = create_app(replace(Settings(), data_dir=Path(data), port=4566))
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        life = asyncio.create_task(app({"type": "lifespan", "state": {}}, inbox.get, outbox.put))
        await inbox.put({"type": "lifespan.startup"})
        assert (await outbox.get())["type"] == "lifespan.startup.complete"
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as bundle:
            bundle.writestr("app.py", "def handler(event, context):\n    return event\n")
        create = {
            "FunctionName": "echo",
            "Runtime": f"python{sys.version_info[0]}.{sys.version_info[1]}",
            "Role": "arn:aws:iam::000000000000:role/bench",
            "Handler": "app.handler",
            "Code": {"ZipFile": base64.b64encode(package.getvalue()).decode()},
        }
        assert await wait_call(app, "/2015-03-31/functions", json.dumps(create).encode()) == 201
        for _ in range(300):
            assert await wait_call(app, INVOKE_PATH, b"{}") == 200
        samples = []
        for _ in range(n):
            started = time.thread_time()
            await wait_call(app, INVOKE_PATH, b"{}")
            samples.append(time.thread_time() - started)
        await inbox.put({"type": "lifespan.shutdown"})
        await life
    return samples


def round_in_child(src: Path | None, n: int) -> tuple[float, float]:
    """(p10, p50) in microseconds, from a fresh process importing stratus from `src`."""
    command = [sys.executable, __file__, "--child", str(n)]
    done = subprocess.run(
        command, env=stratus_environ(src), capture_output=True, text=True, check=True
    )
    p10, p50 = (float(x) for x in done.stdout.split())
    return p10, p50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="timed invokes per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stratus-src", type=Path, help="the copy of src/ to measure")
    parser.add_argument("--baseline-src", type=Path, help="another copy, in alternate rounds")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import uvloop

        samples = sorted(uvloop.run(wait_measure(args.child)))
        print(samples[len(samples) // 10] * 1e6, samples[len(samples) // 2] * 1e6)
        return
    targets = {"stratus": args.stratus_src}
    if args.baseline_src:
        targets["baseline"] = args.baseline_src
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in targets}
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for number in range(args.rounds):
        for name, src in targets.items():
            p10, p50 = round_in_child(src, args.n)
            results[name].append((p10, p50))
            print(
                f"round {number + 1} {name:9} loop CPU per invoke: p10 {p10:.1f}, p50 {p50:.1f} us"
            )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    for name, rounds in results.items():
        p10 = statistics.median(r[0] for r in rounds)
        p50 = statistics.median(r[1] for r in rounds)
        print(f"{name:9} median over {len(rounds)} rounds: p10 {p10:6.1f} us, p50 {p50:6.1f} us")


if __name__ == "__main__":
    main()
