"""The event loop's CPU per gateway request, in process: what wrk's requests/s hides under
a loaded machine's noise.

    python bench/gateway_cpu.py [--requests 1000] [--rounds 8] [--stub] [--baseline-src DIR]

A real Stratus server runs in this process's loop (uvicorn on a free port, the same
uvicorn.Config as `stratus server`); the bench's hello function goes behind an HTTP API, a
REST API and a function URL (gateway.py's `make_targets`, through boto3 in a thread). Then
each request is sent straight to the ASGI app, without HTTP, and the loop thread's own CPU
clock (time.thread_time_ns) is read around it: the middlewares, the gateway's steps and the
invocation up to the environment's answer, not the environment's own CPU nor the HTTP parser
(uvicorn's share, ~45 us, is the bare app's as well). Targets alternate by round; the table
gives each target's lowest per-round p10 and the median of its per-round medians.

`--stub` answers every invocation at once with the hello function's output: what is left is
the gateway's own work. `--baseline-src DIR` runs the same in child processes on another
copy of the package (`git archive REV src | tar -x -C /tmp/base`), alternating with this one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import free_port, stratus_environ

from gateway import make_targets

HELLO_OUTPUT = b'{"statusCode": 200, "body": "hello"}'


def scope_for(path: str, port: int, app: Any) -> dict[str, Any]:
    """What uvicorn hands the app for `GET path` from wrk (its two headers)."""
    return {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1", "server": ("127.0.0.1", port), "client": ("127.0.0.1", 40000),
        "scheme": "http", "method": "GET", "root_path": "", "path": path,
        "raw_path": path.encode(), "query_string": b"", "app": app,
        "headers": [(b"host", f"127.0.0.1:{port}".encode()), (b"user-agent", b"wrk/4.1.0")],
    }  # fmt: skip


async def wait_measure(requests: int, rounds: int, stub: bool) -> dict[str, dict[str, float]]:
    import uvicorn

    from stratus.config import Settings
    from stratus.runtime.spec import InvokeResult
    from stratus.server import uvicorn_config

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="stratus-bench-gateway-cpu-") as data:
        config = uvicorn_config(Settings(port=port, data_dir=Path(data)))
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 (uvicorn offers a flag, not an event)
            await asyncio.sleep(0.05)
        targets = await asyncio.to_thread(make_targets, port, f"http://127.0.0.1:{port}")
        starlette, app = config.app, server.config.loaded_app
        if stub:

            async def answer_at_once(*args: Any, **kwargs: Any) -> InvokeResult:
                return InvokeResult(HELLO_OUTPUT, "$LATEST", None, "")

            starlette.state.services.functions.invoke = answer_at_once

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        runs: dict[str, list[tuple[float, float]]] = {t.label: [] for t in targets}
        for round_no in range(rounds):
            for target in targets if round_no % 2 == 0 else targets[::-1]:
                path = target.url.split(str(port), 1)[1]
                sent: list[dict[str, Any]] = []

                async def send(message: dict[str, Any], sent: list[Any] = sent) -> None:
                    sent.append(message)

                times = []
                for _ in range(requests):
                    sent.clear()
                    scope = scope_for(path, port, starlette)
                    started = time.thread_time_ns()
                    await app(scope, receive, send)
                    times.append((time.thread_time_ns() - started) / 1000)
                    if sent[0]["status"] != 200:
                        raise RuntimeError(f"{target.label} answered {sent}")
                times.sort()
                runs[target.label].append((times[len(times) // 10], statistics.median(times)))
        server.should_exit = True
        await serving
    return {
        label: {"p10_us": min(r[0] for r in rs), "p50_us": statistics.median(r[1] for r in rs)}
        for label, rs in runs.items()
    }


def run_child(args: argparse.Namespace, src: Path | None) -> dict[str, dict[str, float]]:
    command = [sys.executable, str(Path(__file__).resolve()), "--json", "--rounds", "2"]
    command += ["--requests", str(args.requests)] + (["--stub"] if args.stub else [])
    out = subprocess.run(
        command, env=stratus_environ(src), capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="per target and round")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--stub", action="store_true", help="invocations answered at once")
    parser.add_argument("--baseline-src", type=Path, help="also measure the package under DIR")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.baseline_src is None:
        import uvloop

        result = {"": uvloop.run(wait_measure(args.requests, args.rounds, args.stub))}
    else:  # alternating child processes, two rounds each
        runs: dict[str, list[dict[str, dict[str, float]]]] = {"": [], "baseline ": []}
        for _ in range(max(1, args.rounds // 2)):
            runs[""].append(run_child(args, None))
            runs["baseline "].append(run_child(args, args.baseline_src))
        result = {
            prefix: {
                label: {
                    "p10_us": min(r[label]["p10_us"] for r in rs),
                    "p50_us": statistics.median(r[label]["p50_us"] for r in rs),
                }
                for label in rs[0]
            }
            for prefix, rs in runs.items()
        }
    if args.json:
        print(json.dumps(result[""]))
        return 0
    print(f"loop CPU per request, us ({'stub' if args.stub else 'real'} invocations), "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    for prefix, targets in result.items():
        for label, figures in targets.items():
            p10, p50 = figures["p10_us"], figures["p50_us"]
            print(f"  {prefix + label:<24}p10 {p10:7.1f}   p50 {p50:7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
