"""Invoke latency: Stratus's warm overhead over a bare ASGI echo, and cold starts.

    python bench/invoke.py [--n 2000] [--rounds 10] [--cold 15] [--json]

Starts, as separate processes (so the client does not share a GIL with either server):

  * `python -m stratus server` on a fresh temporary data directory, and
  * an echo server: this file with `--serve-echo`, on the very uvicorn.Config that
    `stratus.server.uvicorn_config` builds (same loop, http, lifespan, logging options),
    with only the app swapped for an echo. It serves two echoes:
      - a one-route Starlette app at the invoke path (the framework Stratus is built on);
      - a raw ASGI callable at /raw (the floor of the uvicorn stack).

One client (http.client, one keep-alive connection per target, sequential requests, timed
with perf_counter) then alternates batches between the three targets, `--rounds` rounds of
n/rounds requests each, reversing the order every round, after a warm-up. Percentiles are
taken over all samples of a target. Warm overhead = Stratus - Starlette echo. Two more
targets do the same through one boto3 Lambda client's Invoke each, against Stratus and
against the echo (which answers Invoke's path with the payload): the overhead users see,
beside its own baseline from the same rounds (issue 15's goal: p50 <= 0.2 ms). A further
batch with LogType=Tail reads the REPORT line's `Duration` (the supervisor -> runtime ->
supervisor round trip, timed inside the server), which splits the overhead into that hop
and Stratus's own HTTP-side work.

Cold starts: the first invoke of a new environment, for an empty handler and for one whose
module imports boto3 and creates a client at init; the client's wall time, plus the
`Init Duration` of the REPORT line (LogType=Tail). New environments come from distinct
functions (`--cold-mode create`) or from UpdateFunctionConfiguration of an environment
variable before each invoke (`--cold-mode update`), which retires the warm ones.

Profiling and A/B: `--cprofile FILE` runs the Stratus server under cProfile;
`--server-wrap 'py-spy record -f raw -o FILE --'` puts any command in front of it;
`--stratus-src DIR` runs both servers on another copy of the package, e.g.
`git archive REV src | tar -x -C /tmp/snap` then `--stratus-src /tmp/snap/src`;
`--baseline-src DIR` adds a second Stratus server on that copy, called raw and through boto3,
as two more targets in the same alternating rounds (before vs after in one run).

Everything printed is a measurement, not a verdict; nothing here asserts on timing.
"""

from __future__ import annotations

import argparse
import base64
import gc
import http.client
import io
import os
import platform
import re
import socket
import statistics
import sys
import tempfile
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
    source_description,
    start_child,
    stratus_command,
    stratus_environ,
    summarize,
)

INVOKE_PATH = "/2015-03-31/functions/{name}/invocations"
ROLE = "arn:aws:iam::000000000000:role/bench"
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
GOAL_OVERHEAD_P50_MS = 1.0
GOAL_BOTO3_OVERHEAD_P50_MS = 0.2  # issue 15; the floor is a Unix socket round trip (~55 us)
PAYLOAD = b"{}"

EMPTY_HANDLER = "def handler(e, c):\n    return None\n"
BOTO3_HANDLER = (
    "import boto3\n\nclient = boto3.client('lambda')\n\n\ndef handler(e, c):\n    return None\n"
)
INIT_DURATION = re.compile(r"Init Duration: ([0-9.]+) ms")
REPORT_DURATION = re.compile(r"REPORT RequestId: \S+\tDuration: ([0-9.]+) ms")


# -- the echo server (this file, run with --serve-echo) -----------------------------------
def echo_app() -> Any:
    """A raw ASGI echo at /raw; everything else goes to a minimal Starlette echo app."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def echo(request: Request) -> Response:
        return Response(await request.body(), media_type="application/json")

    async def health(request: Request) -> Response:
        return Response(b'{"status":"running"}', media_type="application/json")

    framework = Starlette(
        routes=[
            Route(INVOKE_PATH.format(name="{name}"), echo, methods=["POST"]),
            Route("/_stratus/health", health, methods=["GET"]),
        ]
    )

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/raw":
            await framework(scope, receive, send)
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def serve_echo(port: int) -> None:
    import uvicorn

    from stratus.config import Settings
    from stratus.server import uvicorn_config

    with tempfile.TemporaryDirectory(prefix="stratus-bench-echo-") as unused:
        # Stratus's own config, so loop/http/lifespan/log options are identical; the Stratus
        # app it builds is dropped before its lifespan ever runs.
        config = uvicorn_config(Settings(port=port, data_dir=Path(unused)))
        config.app = echo_app()
        uvicorn.Server(config).run()


# -- the client -----------------------------------------------------------------------------
@dataclass
class Target:
    label: str
    port: int
    path: str
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    samples: list[float] = field(default_factory=list)
    round_p50s: list[float] = field(default_factory=list)
    log_results: list[str] = field(default_factory=list)  # X-Amz-Log-Result, if asked for
    _conn: http.client.HTTPConnection | None = None

    def connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
            conn.connect()
            assert conn.sock is not None
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self) -> tuple[float, int, bytes]:
        """One request on the kept-alive connection: (milliseconds, status, body)."""
        conn = self.connection()
        started = time.perf_counter()
        conn.request("POST", self.path, PAYLOAD, self.headers)
        response = conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if "X-Amz-Log-Type" in self.headers:
            self.log_results.append(response.getheader("X-Amz-Log-Result") or "")
        return elapsed, response.status, body

    def checked_request(self) -> float:
        try:
            elapsed, status, body = self.request()
        except (http.client.RemoteDisconnected, ConnectionError):
            # The server closed an idle keep-alive connection: reconnect (outside the timing).
            self.close()
            elapsed, status, body = self.request()
        if status != 200:
            raise RuntimeError(f"{self.label}: HTTP {status}: {body[:300]!r}")
        return elapsed

    def run_batch(self, count: int, record: bool) -> None:
        batch: list[float] = []
        gc.collect()
        gc.disable()
        try:
            for _ in range(count):
                batch.append(self.checked_request())
        finally:
            gc.enable()
        if record:
            self.samples.extend(batch)
            self.round_p50s.append(statistics.median(batch))


class BotoTarget(Target):
    """The same alternating batches through one boto3 Lambda client's Invoke (the way users
    call), against Stratus or the echo server (which answers Invoke's path with the payload,
    so botocore parses both answers alike)."""

    client: Any = None

    def request(self) -> tuple[float, int, bytes]:
        if self.client is None:
            self.client = aws_client("lambda", self.port, read_timeout=60)
        started = time.perf_counter()
        response = self.client.invoke(FunctionName="bench-empty", Payload=PAYLOAD)
        body = response["Payload"].read()
        elapsed = (time.perf_counter() - started) * 1000
        return elapsed, response["StatusCode"], body

    def close(self) -> None:
        pass


# -- Stratus setup ----------------------------------------------------------------------------
def make_zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("app.py", source)
    return buffer.getvalue()


def lambda_client(port: int) -> Any:
    return aws_client("lambda", port, read_timeout=120)


def create_function(client: Any, name: str, source: str) -> None:
    client.create_function(
        FunctionName=name,
        Runtime=RUNTIME,
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": make_zip(source)},
        Timeout=30,
        MemorySize=512,
    )


def measure_cold(
    client: Any, port: int, kind: str, source: str, count: int, mode: str
) -> dict[str, Any]:
    wall: list[float] = []
    init: list[float] = []
    first: dict[str, float | None] = {}
    name = f"cold-{kind}"
    for i in range(count + 1):  # the first one primes the bytecode cache; reported apart
        if mode == "create":
            name = f"cold-{kind}-{i}"
            create_function(client, name, source)
        elif i == 0:
            create_function(client, name, source)
        else:
            client.update_function_configuration(
                FunctionName=name, Environment={"Variables": {"BENCH_ROUND": str(i)}}
            )
        elapsed, init_ms = timed_tail_invoke(port, name)
        if i == 0:
            first = {"wall_ms": elapsed, "init_duration_ms": init_ms}
            continue
        wall.append(elapsed)
        if init_ms is not None:
            init.append(init_ms)
    return {
        "kind": kind,
        "mode": mode,
        "first": first,
        "wall": summarize(wall),
        "init_duration": summarize(init),
        "missing_init_duration": len(wall) - len(init),
    }


def timed_tail_invoke(port: int, name: str) -> tuple[float, float | None]:
    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        conn.connect()
        headers = {"Content-Type": "application/json", "X-Amz-Log-Type": "Tail"}
        started = time.perf_counter()
        conn.request("POST", INVOKE_PATH.format(name=name), PAYLOAD, headers)
        response = conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200 or response.getheader("X-Amz-Function-Error"):
            raise RuntimeError(f"cold invoke of {name}: HTTP {response.status}: {body[:300]!r}")
        tail = base64.b64decode(response.getheader("X-Amz-Log-Result") or "").decode()
    finally:
        conn.close()
    found = INIT_DURATION.search(tail)
    return elapsed, float(found.group(1)) if found else None


# -- the run ------------------------------------------------------------------------------------
def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from stratus.config import Settings
    from stratus.server import uvicorn_config

    probe = uvicorn_config(Settings(port=0, data_dir=work / "unused"))
    stack = {
        "uvicorn_loop": probe.loop,
        "uvicorn_http": probe.http,
        "lifespan": probe.lifespan,
        "access_log": probe.access_log,
        "uvloop": _importable("uvloop"),
        "httptools": _importable("httptools"),
    }

    stratus_port, echo_port = free_port(), free_port()
    server_command = stratus_command(
        stratus_port, work / "data", cprofile=args.cprofile, wrap=args.server_wrap
    )
    echo_command = [sys.executable, str(Path(__file__).resolve()), "--serve-echo", str(echo_port)]
    environ = stratus_environ(args.stratus_src)  # both servers import stratus from there

    children: list[Child] = []
    try:
        log(f"starting stratus on :{stratus_port} and the echo server on :{echo_port}")
        children.append(
            start_child("stratus", server_command, stratus_port, work / "stratus.log", environ)
        )
        children.append(start_child("echo", echo_command, echo_port, work / "echo.log", environ))
        log(f"stratus pid {children[0].process.pid}, echo pid {children[1].process.pid}")
        client = lambda_client(stratus_port)
        create_function(client, "bench-empty", EMPTY_HANDLER)

        targets = [
            Target("stratus invoke", stratus_port, INVOKE_PATH.format(name="bench-empty")),
            Target("starlette echo", echo_port, INVOKE_PATH.format(name="bench-empty")),
            Target("raw asgi echo", echo_port, "/raw"),
            BotoTarget("boto3 stratus", stratus_port, ""),
            BotoTarget("boto3 echo", echo_port, ""),
        ]
        stratus, echo, raw, boto_stratus, boto_echo = targets
        if args.baseline_src is not None:
            base_port = free_port()
            children.append(
                start_child(
                    "baseline",
                    stratus_command(base_port, work / "baseline-data"),
                    base_port,
                    work / "baseline.log",
                    stratus_environ(args.baseline_src),
                )
            )
            create_function(lambda_client(base_port), "bench-empty", EMPTY_HANDLER)
            targets.append(
                Target("baseline invoke", base_port, INVOKE_PATH.format(name="bench-empty"))
            )
            targets[-1].checked_request()
            targets.append(BotoTarget("boto3 baseline", base_port, ""))
        empty_cold_ms = stratus.checked_request()  # the first invoke starts the environment
        log(f"warming up ({args.warmup} requests per target)")
        for target in targets:
            target.run_batch(args.warmup, record=False)

        per_round = max(1, args.n // args.rounds)
        log(f"measuring: {args.rounds} rounds x {per_round} requests x {len(targets)} targets")
        for round_no in range(args.rounds):
            order = targets if round_no % 2 == 0 else targets[::-1]
            for target in order:
                target.run_batch(per_round, record=True)
        for target in targets:
            target.close()

        # Where Stratus's time goes: the REPORT line's Duration is the supervisor -> runtime
        # -> supervisor round trip (frame out, handler, frame back), timed inside the server.
        tail = Target(
            "stratus, LogType=Tail",
            stratus_port,
            stratus.path,
            headers={"Content-Type": "application/json", "X-Amz-Log-Type": "Tail"},
        )
        tail.run_batch(args.warmup, record=False)
        tail.log_results.clear()
        tail.run_batch(max(100, per_round * args.rounds // 4), record=True)
        tail.close()
        report_durations = [
            float(found.group(1))
            for encoded in tail.log_results
            if (found := REPORT_DURATION.search(base64.b64decode(encoded).decode()))
        ]

        cold: list[dict[str, Any]] = []
        if args.cold > 0:
            for kind, source in (("empty", EMPTY_HANDLER), ("boto3", BOTO3_HANDLER)):
                log(f"cold starts: {args.cold} x {kind} handler ({args.cold_mode})")
                cold.append(
                    measure_cold(client, stratus_port, kind, source, args.cold, args.cold_mode)
                )
    except Exception:
        for child in children:
            log(f"--- last lines of the {child.name} server's log ---\n{child.tail()}")
        raise
    finally:
        for child in reversed(children):
            child.stop()

    stats = {t.label: summarize(t.samples) for t in targets}
    round_overheads = [s - e for s, e in zip(stratus.round_p50s, echo.round_p50s, strict=True)]
    overhead = {
        "vs": echo.label,
        "p50_ms": stats[stratus.label]["p50"] - stats[echo.label]["p50"],
        "p99_ms": stats[stratus.label]["p99"] - stats[echo.label]["p99"],
        "p50_ratio": stats[stratus.label]["p50"] / stats[echo.label]["p50"],
        "p99_ratio": stats[stratus.label]["p99"] / stats[echo.label]["p99"],
        "per_round_p50_ms": {
            "min": min(round_overheads),
            "median": statistics.median(round_overheads),
            "max": max(round_overheads),
        },
        "p50_vs_raw_asgi_ms": stats[stratus.label]["p50"] - stats[raw.label]["p50"],
        "starlette_over_raw_p50_ms": stats[echo.label]["p50"] - stats[raw.label]["p50"],
        "goal_p50_ms": GOAL_OVERHEAD_P50_MS,
    }
    overhead["goal_met"] = overhead["p50_ms"] <= GOAL_OVERHEAD_P50_MS
    boto_rounds = [
        s - e for s, e in zip(boto_stratus.round_p50s, boto_echo.round_p50s, strict=True)
    ]
    overhead["boto3"] = {
        "p50_ms": stats[boto_stratus.label]["p50"] - stats[boto_echo.label]["p50"],
        "p99_ms": stats[boto_stratus.label]["p99"] - stats[boto_echo.label]["p99"],
        "per_round_p50_ms": {
            "min": min(boto_rounds),
            "median": statistics.median(boto_rounds),
            "max": max(boto_rounds),
        },
        "goal_p50_ms": GOAL_BOTO3_OVERHEAD_P50_MS,
    }
    duration = summarize(report_durations)
    breakdown = {
        "with_tail": summarize(tail.samples),
        "report_duration": duration,
        # What remains of the overhead once the runtime round trip is taken out: Stratus's
        # own HTTP-side work (routing, service, invoker, logs, response) beyond the echo's.
        "overhead_p50_minus_report_duration_p50_ms": overhead["p50_ms"] - duration["p50"],
    }
    return {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "stratus_source": source_description(args.stratus_src),
        "baseline_source": args.baseline_src and source_description(args.baseline_src),
        "stack": stack,
        "config": {
            "n": per_round * args.rounds,
            "rounds": args.rounds,
            "warmup": args.warmup,
            "payload": PAYLOAD.decode(),
            "runtime": RUNTIME,
        },
        "warm": stats,
        "overhead": overhead,
        "breakdown": breakdown,
        "bench_empty_first_invoke_ms": empty_cold_ms,
        "cold": cold,
    }


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


# -- output --------------------------------------------------------------------------------------
def render(result: dict[str, Any]) -> str:
    lines: list[str] = []
    cfg, stack, over = result["config"], result["stack"], result["overhead"]
    lines.append(
        f"Python {result['machine']['python']}, {result['machine']['cpus']} CPUs; uvicorn "
        f"loop={stack['uvicorn_loop']} (uvloop {'yes' if stack['uvloop'] else 'no'}) "
        f"http={stack['uvicorn_http']} (httptools {'yes' if stack['httptools'] else 'no'}); "
        f"n={cfg['n']} per target in {cfg['rounds']} alternating rounds, "
        f"warm-up {cfg['warmup']}, payload {cfg['payload']}"
    )
    lines.append(f"stratus: {result['stratus_source']}")
    if result["baseline_source"]:
        lines.append(f"baseline: {result['baseline_source']}")
    lines.append("")
    header = (
        f"{'warm, ms':<18}{'n':>6}{'p50':>9}{'p90':>9}{'p99':>9}{'mean':>9}{'min':>9}{'max':>9}"
    )
    lines.append(header)
    lines.append("-" * len(header))
    for label, s in result["warm"].items():
        lines.append(
            f"{label:<18}{s['n']:>6}{s['p50']:>9.3f}{s['p90']:>9.3f}{s['p99']:>9.3f}"
            f"{s['mean']:>9.3f}{s['min']:>9.3f}{s['max']:>9.3f}"
        )
    lines.append("")
    baseline = result["warm"].get("baseline invoke")
    if baseline is not None:
        now = result["warm"]["stratus invoke"]
        lines.append(
            f"stratus vs baseline: p50 {now['p50'] - baseline['p50']:+.3f} ms, "
            f"p99 {now['p99'] - baseline['p99']:+.3f} ms, "
            f"mean {now['mean'] - baseline['mean']:+.3f} ms"
        )
    rounds = over["per_round_p50_ms"]
    lines.append(
        f"warm overhead vs {over['vs']}: p50 {over['p50_ms']:+.3f} ms "
        f"(x{over['p50_ratio']:.2f}), p99 {over['p99_ms']:+.3f} ms (x{over['p99_ratio']:.2f}); "
        f"per-round p50 overhead min/median/max "
        f"{rounds['min']:+.3f}/{rounds['median']:+.3f}/{rounds['max']:+.3f} ms"
    )
    boto = over["boto3"]
    lines.append(
        f"boto3 Invoke overhead vs the same client on the echo: p50 {boto['p50_ms']:+.3f} ms, "
        f"p99 {boto['p99_ms']:+.3f} ms; per-round p50 overhead min/median/max "
        f"{boto['per_round_p50_ms']['min']:+.3f}/{boto['per_round_p50_ms']['median']:+.3f}/"
        f"{boto['per_round_p50_ms']['max']:+.3f} ms (goal <= {boto['goal_p50_ms']} ms)"
    )
    lines.append(
        f"  (vs raw asgi echo: p50 {over['p50_vs_raw_asgi_ms']:+.3f} ms; Starlette itself "
        f"adds {over['starlette_over_raw_p50_ms']:+.3f} ms p50 over raw ASGI)"
    )
    boto_base = result["warm"].get("boto3 baseline")
    if boto_base is not None:
        echo_p50 = result["warm"]["boto3 echo"]["p50"]
        lines.append(
            f"  (the baseline's boto3 Invoke overhead, same rounds: p50 "
            f"{boto_base['p50'] - echo_p50:+.3f} ms)"
        )
    b = result["breakdown"]
    lines.append(
        f"  breakdown: REPORT Duration (runtime round trip, timed in the server) p50 "
        f"{b['report_duration']['p50']:.3f} ms, p99 {b['report_duration']['p99']:.3f} ms "
        f"(n={b['report_duration']['n']}, 0.01 ms resolution); overhead p50 left for "
        f"Stratus's HTTP-side work: {b['overhead_p50_minus_report_duration_p50_ms']:+.3f} ms"
    )
    lines.append(
        f"  (that batch used LogType=Tail: invoke p50 {b['with_tail']['p50']:.3f} ms, "
        f"p99 {b['with_tail']['p99']:.3f} ms; not part of the table above)"
    )
    if result["cold"]:
        lines.append("")
        header = (
            f"{'cold start, ms':<22}{'n':>4}{'wall p50':>10}{'wall p99':>10}"
            f"{'init p50':>10}{'init p99':>10}{'1st wall':>10}{'1st init':>10}"
        )
        lines.append(header)
        lines.append("-" * len(header))
        for c in result["cold"]:
            first = c["first"]
            first_init = first.get("init_duration_ms")
            lines.append(
                f"{c['kind'] + ' (' + c['mode'] + ')':<22}{c['wall']['n']:>4}"
                f"{c['wall']['p50']:>10.1f}{c['wall']['p99']:>10.1f}"
                f"{c['init_duration']['p50']:>10.1f}{c['init_duration']['p99']:>10.1f}"
                f"{first['wall_ms']:>10.1f}"
                f"{first_init if first_init is not None else float('nan'):>10.1f}"
            )
        for c in result["cold"]:
            if c["missing_init_duration"]:
                lines.append(
                    f"  WARNING: {c['missing_init_duration']} {c['kind']} invokes showed no "
                    "Init Duration (were they really cold?)"
                )
        lines.append(
            "  wall = client-side time of the first invoke; init = REPORT 'Init Duration'; "
            "1st = the very first, with an empty bytecode cache (not in p50/p99)"
        )
    lines.append("")
    lines.append(summary_line(result))
    return "\n".join(lines)


def summary_line(result: dict[str, Any]) -> str:
    over = result["overhead"]
    verdict = "MET" if over["goal_met"] else "NOT MET"
    line = (
        f"SUMMARY: warm invoke p50 {result['warm']['stratus invoke']['p50']:.3f} ms vs echo "
        f"{result['warm'][over['vs']]['p50']:.3f} ms -> overhead p50 {over['p50_ms']:+.3f} ms, "
        f"p99 {over['p99_ms']:+.3f} ms (x{over['p50_ratio']:.2f}); goal p50 overhead <= "
        f"{over['goal_p50_ms']:.0f} ms: {verdict}; boto3 Invoke p50 "
        f"{result['warm']['boto3 stratus']['p50']:.3f} vs {result['warm']['boto3 echo']['p50']:.3f}"
        f" ms -> {over['boto3']['p50_ms']:+.3f} ms (goal <= {over['boto3']['goal_p50_ms']} ms)"
    )
    for c in result["cold"]:
        if c["kind"] == "boto3":
            line += (
                f"; cold start (boto3) p50 {c['wall']['p50']:.0f} ms, "
                f"Init Duration p50 {c['init_duration']['p50']:.0f} ms"
            )
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="warm requests per target")
    parser.add_argument("--rounds", type=int, default=10, help="alternating batches per target")
    parser.add_argument("--warmup", type=int, default=200, help="unrecorded requests per target")
    parser.add_argument("--cold", type=int, default=15, help="cold starts per handler (0: skip)")
    parser.add_argument("--cold-mode", choices=("create", "update"), default="create")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--cprofile", type=Path, help="run the Stratus server under cProfile")
    parser.add_argument(
        "--server-wrap",
        help="command prefix for the Stratus server, e.g. 'py-spy record -f raw -o s.txt --'",
    )
    parser.add_argument(
        "--stratus-src",
        type=Path,
        help="run both servers on the stratus package under this directory (e.g. a snapshot "
        "of another revision's src/), instead of the installed one",
    )
    parser.add_argument(
        "--baseline-src",
        type=Path,
        help="also run a Stratus server on the package under this directory, as a fourth "
        "target alternating with the others (before vs after in the same run)",
    )
    parser.add_argument(
        "--work-parent",
        type=Path,
        default=default_work_parent(),
        help="where the temporary data directory goes (default: ~/.cache; not /tmp, which "
        "Stratus may hide from environments behind a private /tmp)",
    )
    parser.add_argument("--serve-echo", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve_echo is not None:
        serve_echo(args.serve_echo)
        return 0
    return main_in_workdir(
        lambda work: run(args, work),
        render,
        work_parent=args.work_parent,
        prefix="stratus-bench-",
        as_json=args.json,
    )


if __name__ == "__main__":
    sys.exit(main())
