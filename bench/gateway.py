"""Gateway throughput with wrk: an HTTP API, a REST API and a function URL in front of one warm
hello function, beside a bare uvicorn + Starlette hello app, in one run.

    python bench/gateway.py [--connections 1,16,64] [--seconds 3] [--rounds 3] [--json]

wrk (a C load generator, Debian's `wrk`) keeps one keep-alive connection per client and costs
the servers next to nothing, so what it sees is what users would see. (A Python client was
itself the bottleneck: it reported x0.55 where wrk saw x0.20.) Without wrk on PATH the bench
installs it with apt-get when it runs as root, and otherwise says how and stops.

Servers are separate processes: `python -m stratus server` on a fresh data directory, and
this file with `--serve-hello`, a one-route Starlette app on the very uvicorn.Config that
`stratus.server.uvicorn_config` builds (same loop, parser, protocol; only the app differs).
With `--baseline-src DIR` a second Stratus server on another copy of the package
(`git archive REV src | tar -x -C /tmp/base`) adds "baseline HTTP API" as a further target:
before and after in one run.

For each connection count and round, every target gets one wrk run of --seconds (1 thread
for one connection, else 2; --latency), the order reversed every round, so each target sees
the machine as the others do. The table gives, per connection count and target, the median
over rounds of requests/s, p50 and p99 as wrk measured them, and the median of the ratio to
the bare app's requests/s in the same round; the load average is printed before and after.
Nothing here asserts on timing.

Profiling: `--server-wrap 'py-spy record -r 500 -f raw -o s.txt --'` puts any command in front
of the Stratus server (the environments are its children: `py-spy record --subprocesses`).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import (  # bench/common.py: child processes, the bench's main
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
)

RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
ROLE = "arn:aws:iam::000000000000:role/bench"
HELLO_HANDLER = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'hello'}\n"
GOAL_RATIO = 0.5  # issue 15: at 16 and 64 connections, with p99 under 10 ms
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


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


# -- wrk -------------------------------------------------------------------------------------
def ensure_wrk() -> bool:
    """wrk on PATH, installed from Debian's package when possible (root with apt-get)."""
    if shutil.which("wrk") is not None:
        return True
    if os.geteuid() == 0 and shutil.which("apt-get") is not None:
        log("wrk is missing: apt-get install -y wrk")
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
            subprocess.run(
                command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
            )
    if shutil.which("wrk") is not None:
        return True
    print(
        "this bench needs wrk (a C HTTP load generator): apt-get install wrk (Debian/Ubuntu), "
        "brew install wrk (macOS), or build it from https://github.com/wg/wrk",
        file=sys.stderr,
    )
    return False


def wrk(url: str, connections: int, seconds: int) -> dict[str, float]:
    """One wrk run: requests/s, the p50/p99 latency in ms and the requests that got no
    answer within wrk's 2 s timeout (counted, not refused: a loaded machine has them);
    refuses runs with wrong answers or broken connections."""
    threads = min(2, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    broken = errors is not None and any(int(n) for n in errors.groups()[:3])
    if "Non-2xx" in out or broken:
        raise RuntimeError(f"wrk saw errors against {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    found = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.MULTILINE))
    timeouts = int(errors.group(4)) if errors is not None else 0
    result = {"rps": rps, "p50_ms": _ms(found["50"]), "p99_ms": _ms(found["99"])}
    return result | {"timeouts": timeouts}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS_MS[unit]


# -- the targets -----------------------------------------------------------------------------
@dataclass
class Target:
    label: str
    url: str
    runs: dict[int, list[dict[str, float]]] = field(default_factory=dict)


def make_zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def make_targets(port: int, base: str, prefix: str = "") -> list[Target]:
    """A hello function behind an HTTP API, a REST API (proxy integration) and a URL."""
    lam = aws_client("lambda", port, read_timeout=120)
    lam.create_function(
        FunctionName="bench-hello",
        Runtime=RUNTIME,
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": make_zip(HELLO_HANDLER)},
        Timeout=30,
        MemorySize=512,
    )
    arn = lam.get_function(FunctionName="bench-hello")["Configuration"]["FunctionArn"]
    http_api = aws_client("apigatewayv2", port).create_api(
        Name="bench", ProtocolType="HTTP", Target=arn
    )["ApiId"]
    rest = aws_client("apigateway", port)
    rest_id = rest.create_rest_api(name="bench")["id"]
    root = rest.get_resources(restApiId=rest_id)["items"][0]["id"]
    hello = rest.create_resource(restApiId=rest_id, parentId=root, pathPart="hello")["id"]
    rest.put_method(restApiId=rest_id, resourceId=hello, httpMethod="GET", authorizationType="NONE")
    rest.put_integration(
        restApiId=rest_id,
        resourceId=hello,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations",
    )
    rest.create_deployment(restApiId=rest_id, stageName="prod")
    url = lam.create_function_url_config(FunctionName="bench-hello", AuthType="NONE")
    url_id = re.match(r"https?://([a-z0-9]+)\.", url["FunctionUrl"]).group(1)  # type: ignore[union-attr]
    return [
        Target(f"{prefix}HTTP API", f"{base}/_aws/execute-api/{http_api}/hello"),
        Target(f"{prefix}REST API", f"{base}/_aws/execute-api/{rest_id}/prod/hello"),
        Target(f"{prefix}function URL", f"{base}/_aws/lambda-url/{url_id}/hello"),
    ]


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    stratus_port, hello_port = free_port(), free_port()
    environ = stratus_environ(args.stratus_src)
    hello_command = [sys.executable, str(Path(__file__).resolve()), "--serve-hello"]
    hello_command.append(str(hello_port))
    children: list[Child] = []
    load_before = os.getloadavg()
    try:
        command = stratus_command(stratus_port, work / "data", wrap=args.server_wrap)
        children.append(start_child("stratus", command, stratus_port, work / "s.log", environ))
        children.append(
            start_child("hello", hello_command, hello_port, work / "hello.log", environ)
        )
        targets = make_targets(stratus_port, f"http://127.0.0.1:{stratus_port}")
        if args.baseline_src is not None:
            base_port = free_port()
            children.append(
                start_child(
                    "baseline",
                    stratus_command(base_port, work / "base-data"),
                    base_port,
                    work / "baseline.log",
                    stratus_environ(args.baseline_src),
                )
            )
            base_targets = make_targets(base_port, f"http://127.0.0.1:{base_port}", "baseline ")
            targets.append(base_targets[0])
        bare = Target("bare Starlette", f"http://127.0.0.1:{hello_port}/hello")
        everything = [*targets, bare]
        log("warming up (every connection count starts its environments)")
        for target in everything:
            for connections in args.connections:
                wrk(target.url, connections, 1)
        for connections in args.connections:
            for round_no in range(args.rounds):
                order = everything if round_no % 2 == 0 else everything[::-1]
                for target in order:
                    measured = wrk(target.url, connections, args.seconds)
                    target.runs.setdefault(connections, []).append(measured)
                    log(
                        f"c={connections} round {round_no + 1}: {target.label}: "
                        f"{measured['rps']:.0f}/s p50 {measured['p50_ms']:.2f} ms "
                        f"p99 {measured['p99_ms']:.2f} ms load {os.getloadavg()[0]:.1f}"
                    )
    except Exception:
        for child in children:
            log(f"--- last lines of the {child.name} server's log ---\n{child.tail()}")
        raise
    finally:
        for child in reversed(children):
            child.stop()
    return result_of(args, everything, load_before)


def result_of(
    args: argparse.Namespace, targets: list[Target], load: tuple[float, ...]
) -> dict[str, Any]:
    bare = targets[-1]
    rows = []
    for connections in args.connections:
        for target in targets:
            runs = target.runs[connections]
            ratios = [
                r["rps"] / b["rps"] for r, b in zip(runs, bare.runs[connections], strict=True)
            ]
            rows.append(
                {
                    "target": target.label,
                    "connections": connections,
                    **{k: statistics.median(r[k] for r in runs) for k in runs[0]},
                    "timeouts": sum(r["timeouts"] for r in runs),
                    "ratio": statistics.median(ratios),
                    "ratios": ratios,
                }
            )
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "load_before": list(load),
            "load_after": list(os.getloadavg()),
        },
        "stratus_source": source_description(args.stratus_src),
        "baseline_source": source_description(args.baseline_src) if args.baseline_src else None,
        "config": {"seconds": args.seconds, "rounds": args.rounds},
        "rows": rows,
        "goal_ratio": GOAL_RATIO,
    }


def render(result: dict[str, Any]) -> str:
    m, cfg = result["machine"], result["config"]
    loads = "load average {:.2f} {:.2f} {:.2f}".format(*m["load_before"])
    loads += " before, {:.2f} {:.2f} {:.2f} after".format(*m["load_after"])
    lines = [
        f"wrk, {m['cpus']} CPUs, {loads}; {cfg['rounds']} rounds of {cfg['seconds']} s per "
        "target and connection count, alternating (medians)",
        f"stratus: {result['stratus_source']}",
    ]
    if result["baseline_source"]:
        lines.append(f"baseline: {result['baseline_source']}")
    lines.append("")
    header = f"{'conns':>5}  {'target':<22}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'x bare':>8}"
    header += f"{'timeouts':>10}"
    lines += [header, "-" * len(header)]
    previous = None
    for row in result["rows"]:
        conns = "" if row["connections"] == previous else str(row["connections"])
        previous = row["connections"]
        lines.append(
            f"{conns:>5}  {row['target']:<22}{row['rps']:>9.0f}{row['p50_ms']:>9.2f}"
            f"{row['p99_ms']:>9.2f}{row['ratio']:>8.2f}{row['timeouts']:>10.0f}"
        )
    lines.append("")
    lines.append(
        f"goal (issue 15): >= x{result['goal_ratio']} of bare at 16 and 64 connections, "
        "p99 < 10 ms; REST API no slower than HTTP API; more req/s at 64 than at 16"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--connections",
        type=lambda text: [int(part) for part in text.split(",")],
        default=[1, 16, 64],
        help="comma-separated connection counts",
    )
    parser.add_argument("--seconds", type=int, default=3, help="length of one wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per target and count")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--server-wrap", help="command prefix for the Stratus server (profilers)")
    parser.add_argument(
        "--stratus-src", type=Path, help="run the servers on the stratus package under DIR"
    )
    parser.add_argument(
        "--baseline-src",
        type=Path,
        help="also run a Stratus server on the package under DIR (its HTTP API as a target)",
    )
    parser.add_argument("--work-parent", type=Path, default=default_work_parent())
    parser.add_argument("--serve-hello", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_hello is not None:
        serve_hello(args.serve_hello)
        return 0
    if not ensure_wrk():
        return 2
    return main_in_workdir(
        lambda work: run(args, work),
        render,
        work_parent=args.work_parent,
        prefix="stratus-bench-gateway-",
        as_json=args.json,
    )


if __name__ == "__main__":
    sys.exit(main())
