"""Gateway throughput: an HTTP API in front of a warm hello-world function, against a bare
uvicorn + Starlette hello app.

    python bench/gateway.py [--requests 4000] [--rounds 6] [--concurrency 8] [--json]

Starts, as separate processes (so the client does not share a GIL with either server):

  * `python -m stratus server` on a fresh temporary data directory, with a hello-world
    function and an HTTP API quick-created for it (`CreateApi` with `Target`), reached at
    `/_aws/execute-api/{apiId}/hello` (or by Host header with `--by-host`);
  * a hello server: this file with `--serve-hello`, on the very uvicorn.Config that
    `stratus.server.uvicorn_config` builds, with only the app swapped for a one-route
    Starlette app answering `hello`.

The client keeps `--concurrency` keep-alive http.client connections per target, one thread
each, and sends a fixed number of GET requests per batch (shared out between the threads);
batches alternate between the targets for `--rounds` rounds, reversing the order every round,
after a warm-up. Throughput is the median of the rounds' requests/s; latency percentiles are
over all requests of a target. The client is Python too: its own cost caps what it can
measure, the same for both targets. Nothing here asserts on timing.

`--server-wrap 'py-spy record -f speedscope -o FILE --'` puts a profiler in front of Stratus.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shlex
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from invoke import (  # bench/invoke.py: processes, percentiles, boto3 set-up
    HOST,
    Child,
    _raise_interrupt,
    free_port,
    lambda_client,
    log,
    make_zip,
    source_description,
    start_child,
    summarize,
)

RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
ROLE = "arn:aws:iam::000000000000:role/bench"
HELLO_HANDLER = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'hello'}\n"
GOAL_RATIO = 0.5


# -- the hello server (this file, run with --serve-hello) ---------------------------------
def hello_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    async def hello(request: Request) -> Response:
        return PlainTextResponse("hello")

    async def health(request: Request) -> Response:
        return Response(b'{"status":"running"}', media_type="application/json")

    return Starlette(
        routes=[
            Route("/hello", hello, methods=["GET"]),
            Route("/_stratus/health", health, methods=["GET"]),
        ]
    )


def serve_hello(port: int) -> None:
    import uvicorn

    from stratus.config import Settings
    from stratus.server import uvicorn_config

    with tempfile.TemporaryDirectory(prefix="stratus-bench-hello-") as unused:
        config = uvicorn_config(Settings(port=port, data_dir=Path(unused)))
        config.app = hello_app()
        uvicorn.Server(config).run()


# -- the client ---------------------------------------------------------------------------
@dataclass
class Target:
    label: str
    port: int
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    round_rps: list[float] = field(default_factory=list)
    _conns: list[http.client.HTTPConnection] = field(default_factory=list)

    def connections(self, count: int) -> list[http.client.HTTPConnection]:
        while len(self._conns) < count:
            conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
            conn.connect()
            assert conn.sock is not None
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._conns.append(conn)
        return self._conns[:count]

    def close(self) -> None:
        for conn in self._conns:
            conn.close()
        self._conns.clear()

    def _worker(
        self, conn: http.client.HTTPConnection, count: int, out: list[float], errors: list[str]
    ) -> None:
        try:
            for _ in range(count):
                started = time.perf_counter()
                conn.request("GET", self.path, headers=self.headers)
                response = conn.getresponse()
                body = response.read()
                out.append((time.perf_counter() - started) * 1000)
                if response.status != 200 or body != b"hello":
                    errors.append(f"HTTP {response.status}: {body[:200]!r}")
                    return
        except Exception as exc:  # reported by the caller
            errors.append(repr(exc))

    def run_batch(self, requests: int, concurrency: int, record: bool) -> None:
        conns = self.connections(concurrency)
        shares = [
            requests // concurrency + (i < requests % concurrency) for i in range(concurrency)
        ]
        outs: list[list[float]] = [[] for _ in conns]
        errors: list[str] = []
        threads = [
            threading.Thread(target=self._worker, args=(c, n, o, errors))
            for c, n, o in zip(conns, shares, outs, strict=True)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        if errors:
            raise RuntimeError(f"{self.label}: {errors[0]}")
        if record:
            for out in outs:
                self.latencies.extend(out)
            self.round_rps.append(requests / elapsed)


# -- the run ------------------------------------------------------------------------------
def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    stratus_port, hello_port = free_port(), free_port()
    server_command = [
        sys.executable, "-m", "stratus", "server",
        "--port", str(stratus_port), "--data-dir", str(work / "data"),
    ]  # fmt: skip
    server_command = shlex.split(args.server_wrap or "") + server_command
    hello_command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--serve-hello",
        str(hello_port),
    ]
    environ = dict(os.environ)
    children: list[Child] = []
    try:
        log(f"starting stratus on :{stratus_port} and the hello server on :{hello_port}")
        children.append(
            start_child("stratus", server_command, stratus_port, work / "stratus.log", environ)
        )
        children.append(
            start_child("hello", hello_command, hello_port, work / "hello.log", environ)
        )
        client = lambda_client(stratus_port)
        client.create_function(
            FunctionName="bench-hello",
            Runtime=RUNTIME,
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": make_zip(HELLO_HANDLER)},
            Timeout=30,
            MemorySize=512,
        )
        arn = client.get_function(FunctionName="bench-hello")["Configuration"]["FunctionArn"]
        apigw = _apigw_client(stratus_port)
        api_id = apigw.create_api(Name="bench", ProtocolType="HTTP", Target=arn)["ApiId"]
        if args.by_host:
            gateway = Target(
                "gateway (HTTP API)",
                stratus_port,
                "/hello",
                {"Host": f"{api_id}.execute-api.localhost:{stratus_port}"},
            )
        else:
            gateway = Target(
                "gateway (HTTP API)", stratus_port, f"/_aws/execute-api/{api_id}/hello"
            )
        bare = Target("bare starlette", hello_port, "/hello")
        targets = [gateway, bare]
        log(f"warming up ({args.warmup} requests per target, concurrency {args.concurrency})")
        for target in targets:
            target.run_batch(args.warmup, args.concurrency, record=False)
        per_round = max(args.concurrency, args.requests // args.rounds)
        log(f"measuring: {args.rounds} rounds x {per_round} requests x {len(targets)} targets")
        for round_no in range(args.rounds):
            order = targets if round_no % 2 == 0 else targets[::-1]
            for target in order:
                target.run_batch(per_round, args.concurrency, record=True)
        for target in targets:
            target.close()
    except Exception:
        for child in children:
            log(f"--- last lines of the {child.name} server's log ---\n{child.tail()}")
        raise
    finally:
        for child in reversed(children):
            child.stop()

    results = {
        t.label: {
            "rps_median": statistics.median(t.round_rps),
            "rps_rounds": t.round_rps,
            "latency_ms": summarize(t.latencies),
        }
        for t in targets
    }
    ratio = results[gateway.label]["rps_median"] / results[bare.label]["rps_median"]
    return {
        "machine": {"python": sys.version.split()[0], "cpus": os.cpu_count()},
        "stratus_source": source_description(None),
        "config": {
            "requests": per_round * args.rounds,
            "rounds": args.rounds,
            "concurrency": args.concurrency,
            "warmup": args.warmup,
            "address": "host header" if args.by_host else "path",
        },
        "targets": results,
        "ratio": ratio,
        "goal_ratio": GOAL_RATIO,
        "goal_met": ratio >= GOAL_RATIO,
    }


def _apigw_client(port: int) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "apigatewayv2",
        endpoint_url=f"http://{HOST}:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def render(result: dict[str, Any]) -> str:
    cfg = result["config"]
    lines = [
        f"Python {result['machine']['python']}, {result['machine']['cpus']} CPUs; "
        f"{cfg['requests']} requests per target in {cfg['rounds']} alternating rounds, "
        f"{cfg['concurrency']} keep-alive connections, warm-up {cfg['warmup']}, "
        f"API addressed by {cfg['address']}",
        f"stratus: {result['stratus_source']}",
        "",
    ]
    header = f"{'target':<20}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    lines += [header, "-" * len(header)]
    for label, r in result["targets"].items():
        s = r["latency_ms"]
        lines.append(
            f"{label:<20}{r['rps_median']:>9.0f}{s['p50']:>9.3f}{s['p90']:>9.3f}"
            f"{s['p99']:>9.3f}{s['max']:>9.3f}"
        )
    lines.append("")
    lines.append(summary_line(result))
    return "\n".join(lines)


def summary_line(result: dict[str, Any]) -> str:
    gateway, bare = result["targets"].values()
    verdict = "MET" if result["goal_met"] else "NOT MET"
    return (
        f"SUMMARY: gateway {gateway['rps_median']:.0f} req/s (p50 "
        f"{gateway['latency_ms']['p50']:.3f} ms, p99 {gateway['latency_ms']['p99']:.3f} ms) vs "
        f"bare starlette {bare['rps_median']:.0f} req/s (p50 {bare['latency_ms']['p50']:.3f} "
        f"ms, p99 {bare['latency_ms']['p99']:.3f} ms) -> x{result['ratio']:.2f} of the bare "
        f"app's throughput; goal >= x{result['goal_ratio']:.1f}: {verdict}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=4000, help="measured requests per target")
    parser.add_argument("--rounds", type=int, default=6, help="alternating batches per target")
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive connections")
    parser.add_argument("--warmup", type=int, default=400, help="unrecorded requests per target")
    parser.add_argument("--by-host", action="store_true", help="address the API by Host header")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--server-wrap", help="command prefix for the Stratus server (profilers)")
    parser.add_argument(
        "--work-parent",
        type=Path,
        default=Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"),
        help="where the temporary data directory goes (not /tmp, see bench/invoke.py)",
    )
    parser.add_argument("--serve-hello", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve_hello is not None:
        serve_hello(args.serve_hello)
        return 0

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_interrupt)
    args.work_parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="stratus-bench-gw-", dir=args.work_parent))
    try:
        result = run(args, work)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2) if args.json else render(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
