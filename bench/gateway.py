"""Gateway throughput: an HTTP API in front of a warm hello-world function, against a bare
uvicorn + Starlette hello app, in one run.

    python bench/gateway.py [--rounds 9] [--per-round 2000] [--concurrency 8] [--json]

Starts, as separate processes (so the client does not share a GIL with either server):

  * `python -m stratus server` on a fresh temporary data directory, with a hello-world
    function and an HTTP API quick-created for it (`CreateApi` with `Target`), reached at
    `/_aws/execute-api/{apiId}/hello` (or by Host header with `--by-host`); every request is
    a real invocation through FunctionService;
  * a hello server: this file with `--serve-hello`, on the very uvicorn.Config that
    `stratus.server.uvicorn_config` builds, with only the app swapped for a one-route
    Starlette app answering `hello`.

The client keeps `--concurrency` keep-alive http.client connections per target, one thread
each, and sends `--per-round` GET requests per batch (shared out between the threads). After
a warm-up, each round runs one batch per target, back to back, the order reversed every
round. Each round gives both targets' requests/s and latency percentiles and their ratio
(gateway / bare, taken within the round, so both saw the same machine); the summary is the
median over the rounds, with the ratio's range. The client is Python too: its own cost caps
what it can measure, the same for both targets. Nothing here asserts on timing.

Profiling and A/B: `--cprofile FILE` runs Stratus under cProfile; `--server-wrap 'py-spy
record -f raw -o FILE --'` puts any command in front of it; `--stratus-src DIR` runs both
servers on another copy of the package (`git archive REV src | tar -x -C /tmp/snap`, then
`--stratus-src /tmp/snap/src`).
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import (  # bench/common.py: child processes, percentiles, the bench's main
    HOST,
    Child,
    aws_client,
    default_work_parent,
    free_port,
    log,
    main_in_workdir,
    percentile,
    source_description,
    start_child,
    stratus_command,
    stratus_environ,
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
class Round:
    rps: float
    latencies_ms: list[float]

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 99)


@dataclass
class Target:
    label: str
    port: int
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    rounds: list[Round] = field(default_factory=list)
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
            self.rounds.append(Round(requests / elapsed, [ms for out in outs for ms in out]))


# -- the run ------------------------------------------------------------------------------
def make_zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("app.py", source)
    return buffer.getvalue()


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    stratus_port, hello_port = free_port(), free_port()
    server_command = stratus_command(
        stratus_port, work / "data", cprofile=args.cprofile, wrap=args.server_wrap
    )
    hello_command = [sys.executable, str(Path(__file__).resolve()), "--serve-hello"]
    hello_command.append(str(hello_port))
    environ = stratus_environ(args.stratus_src)  # both servers import stratus from there
    load_before = os.getloadavg()
    children: list[Child] = []
    try:
        log(f"starting stratus on :{stratus_port} and the hello server on :{hello_port}")
        children.append(
            start_child("stratus", server_command, stratus_port, work / "stratus.log", environ)
        )
        children.append(
            start_child("hello", hello_command, hello_port, work / "hello.log", environ)
        )
        client = aws_client("lambda", stratus_port, read_timeout=120)
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
        apigw = aws_client("apigatewayv2", stratus_port)
        api_id = apigw.create_api(Name="bench", ProtocolType="HTTP", Target=arn)["ApiId"]
        if args.by_host:
            host = {"Host": f"{api_id}.execute-api.localhost:{stratus_port}"}
            gateway = Target("gateway (HTTP API)", stratus_port, "/hello", host)
        else:
            path = f"/_aws/execute-api/{api_id}/hello"
            gateway = Target("gateway (HTTP API)", stratus_port, path)
        bare = Target("bare starlette", hello_port, "/hello")
        targets = [gateway, bare]
        log(f"warming up ({args.warmup} requests per target, concurrency {args.concurrency})")
        for target in targets:
            target.run_batch(args.warmup, args.concurrency, record=False)
        log(f"measuring: {args.rounds} rounds x {args.per_round} requests x {len(targets)} targets")
        for round_no in range(args.rounds):
            for target in targets if round_no % 2 == 0 else targets[::-1]:
                target.run_batch(args.per_round, args.concurrency, record=True)
        for target in targets:
            target.close()
    except Exception:
        for child in children:
            log(f"--- last lines of the {child.name} server's log ---\n{child.tail()}")
        raise
    finally:
        for child in reversed(children):
            child.stop()
    return result_of(args, gateway, bare, load_before)


def result_of(
    args: argparse.Namespace, gateway: Target, bare: Target, load_before: tuple[float, ...]
) -> dict[str, Any]:
    ratios = [g.rps / b.rps for g, b in zip(gateway.rounds, bare.rounds, strict=True)]
    rounds = [
        {
            "gateway_rps": g.rps,
            "bare_rps": b.rps,
            "ratio": ratio,
            "gateway_p50_ms": g.p50,
            "gateway_p99_ms": g.p99,
            "bare_p50_ms": b.p50,
            "bare_p99_ms": b.p99,
        }
        for g, b, ratio in zip(gateway.rounds, bare.rounds, ratios, strict=True)
    ]
    medians = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    ratio = medians["ratio"]
    return {
        "machine": {
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "load_average_before": load_before[0],
            "load_average_after": os.getloadavg()[0],
        },
        "stratus_source": source_description(args.stratus_src),
        "config": {
            "rounds": args.rounds,
            "per_round": args.per_round,
            "concurrency": args.concurrency,
            "warmup": args.warmup,
            "address": "host header" if args.by_host else "path",
        },
        "rounds": rounds,
        "medians": medians,
        "ratio": ratio,
        "ratio_range": [min(ratios), max(ratios)],
        "latency_ms": {
            t.label: summarize([ms for r in t.rounds for ms in r.latencies_ms])
            for t in (gateway, bare)
        },
        "goal_ratio": GOAL_RATIO,
        "goal_met": ratio >= GOAL_RATIO,
    }


def render(result: dict[str, Any]) -> str:
    cfg, machine = result["config"], result["machine"]
    lines = [
        f"Python {machine['python']}, {machine['cpus']} CPUs, load average "
        f"{machine['load_average_before']:.2f} before the run, "
        f"{machine['load_average_after']:.2f} after it; {cfg['rounds']} rounds of "
        f"{cfg['per_round']} requests "
        f"per target, {cfg['concurrency']} keep-alive connections, warm-up {cfg['warmup']}, "
        f"API addressed by {cfg['address']}",
        f"stratus: {result['stratus_source']}",
        "",
    ]
    header = (
        f"{'round':<8}{'gateway/s':>10}{'bare/s':>9}{'ratio':>8}"
        f"{'gw p50':>9}{'gw p99':>9}{'bare p50':>10}{'bare p99':>10}   (ms)"
    )
    lines += [header, "-" * len(header)]
    rows = [(str(i + 1), r) for i, r in enumerate(result["rounds"])]
    for label, r in [*rows, ("median", result["medians"])]:
        if label == "median":
            lines.append("-" * len(header))
        lines.append(
            f"{label:<8}{r['gateway_rps']:>10.0f}{r['bare_rps']:>9.0f}{r['ratio']:>8.2f}"
            f"{r['gateway_p50_ms']:>9.3f}{r['gateway_p99_ms']:>9.3f}"
            f"{r['bare_p50_ms']:>10.3f}{r['bare_p99_ms']:>10.3f}"
        )
    lines.append("")
    lines.append(summary_line(result))
    return "\n".join(lines)


def summary_line(result: dict[str, Any]) -> str:
    m = result["medians"]
    low, high = result["ratio_range"]
    verdict = "MET" if result["goal_met"] else "NOT MET"
    return (
        f"SUMMARY: gateway {m['gateway_rps']:.0f} req/s (p50 {m['gateway_p50_ms']:.3f} ms, p99 "
        f"{m['gateway_p99_ms']:.3f} ms) vs bare starlette {m['bare_rps']:.0f} req/s (p50 "
        f"{m['bare_p50_ms']:.3f} ms, p99 {m['bare_p99_ms']:.3f} ms), medians over "
        f"{len(result['rounds'])} rounds -> x{result['ratio']:.2f} of the bare app's "
        f"throughput (rounds x{low:.2f}-x{high:.2f}); goal >= x{result['goal_ratio']:.1f}: "
        f"{verdict}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9, help="rounds (a batch per target)")
    parser.add_argument("--per-round", type=int, default=2000, help="requests per batch")
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive connections")
    parser.add_argument("--warmup", type=int, default=400, help="unrecorded requests per target")
    parser.add_argument("--by-host", action="store_true", help="address the API by Host header")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--cprofile", type=Path, help="run the Stratus server under cProfile")
    parser.add_argument("--server-wrap", help="command prefix for the Stratus server (profilers)")
    parser.add_argument(
        "--stratus-src",
        type=Path,
        help="run both servers on the stratus package under this directory (e.g. `git "
        "archive REV src | tar -x -C DIR`, then DIR/src), instead of the installed one",
    )
    parser.add_argument(
        "--work-parent",
        type=Path,
        default=default_work_parent(),
        help="where the temporary data directory goes (not /tmp, see bench/common.py)",
    )
    parser.add_argument("--serve-hello", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve_hello is not None:
        serve_hello(args.serve_hello)
        return 0
    return main_in_workdir(
        lambda work: run(args, work),
        render,
        work_parent=args.work_parent,
        prefix="stratus-bench-gw-",
        as_json=args.json,
    )


if __name__ == "__main__":
    sys.exit(main())
