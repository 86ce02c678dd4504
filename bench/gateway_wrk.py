"""Gateway throughput with wrk (a C load generator): an HTTP API, a REST API and a function URL
in front of one warm hello function, against a bare uvicorn + Starlette hello app, in one run.

    python bench/gateway_wrk.py [--connections 1,16,64] [--seconds 5] [--rounds 3] [--json]

Why wrk: bench/gateway.py's Python client is itself the bottleneck (it reports x0.55 where
wrk sees x0.20), so figures users would see need a client that costs the server nothing.
wrk comes from Debian (`apt-get install wrk`); without it this bench says so and stops.

Servers are separate processes (`python -m stratus server` and bench/gateway.py's bare hello
server on the same uvicorn config). For each connection count and round, every target gets
one wrk run of --seconds (2 threads, or 1 for one connection; --latency), the order reversed
every round; the table shows each target's median over rounds: requests/s, p50 and p99 as wrk
measured them, and the ratio to the bare app of the same round. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import (
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

from gateway import HELLO_HANDLER, ROLE, RUNTIME, make_zip

GOAL_RATIO = 0.5
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class Target:
    label: str
    url: str
    runs: dict[int, list[dict[str, float]]] = field(default_factory=dict)


def wrk(url: str, connections: int, seconds: int) -> dict[str, float]:
    """One wrk run: requests/s and the p50/p99 latency in ms; refuses runs with errors."""
    threads = min(2, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors against {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    found = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.MULTILINE))
    return {"rps": rps, "p50_ms": _ms(found["50"]), "p99_ms": _ms(found["99"])}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS_MS[unit]


def make_targets(port: int, base: str) -> list[Target]:
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
        Target("HTTP API", f"{base}/_aws/execute-api/{http_api}/hello"),
        Target("REST API", f"{base}/_aws/execute-api/{rest_id}/prod/hello"),
        Target("function URL", f"{base}/_aws/lambda-url/{url_id}/hello"),
    ]


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    stratus_port, hello_port = free_port(), free_port()
    environ = stratus_environ(None)
    hello_command = [sys.executable, str(Path(__file__).with_name("gateway.py"))]
    hello_command += ["--serve-hello", str(hello_port)]
    children: list[Child] = []
    load_before = os.getloadavg()[0]
    try:
        children.append(
            start_child(
                "stratus",
                stratus_command(stratus_port, work / "data"),
                stratus_port,
                work / "stratus.log",
                environ,
            )
        )
        children.append(
            start_child("hello", hello_command, hello_port, work / "hello.log", environ)
        )
        targets = make_targets(stratus_port, f"http://127.0.0.1:{stratus_port}")
        bare = Target("bare starlette", f"http://127.0.0.1:{hello_port}/hello")
        everything = [*targets, bare]
        log("warming up")
        for target in everything:
            wrk(target.url, 4, 1)
        for connections in args.connections:
            for round_no in range(args.rounds):
                order = everything if round_no % 2 == 0 else everything[::-1]
                for target in order:
                    log(f"c={connections} round {round_no + 1}: {target.label}")
                    run_ = wrk(target.url, connections, args.seconds)
                    target.runs.setdefault(connections, []).append(run_)
    except Exception:
        for child in children:
            log(f"--- last lines of the {child.name} server's log ---\n{child.tail()}")
        raise
    finally:
        for child in reversed(children):
            child.stop()
    return result_of(args, everything, load_before)


def result_of(args: argparse.Namespace, targets: list[Target], load: float) -> dict[str, Any]:
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
                    "ratio": statistics.median(ratios),
                }
            )
    return {
        "machine": {"cpus": os.cpu_count(), "load_before": load, "load_after": os.getloadavg()[0]},
        "stratus_source": source_description(None),
        "config": {"seconds": args.seconds, "rounds": args.rounds},
        "rows": rows,
        "goal_ratio": GOAL_RATIO,
    }


def render(result: dict[str, Any]) -> str:
    m, cfg = result["machine"], result["config"]
    lines = [
        f"wrk, {m['cpus']} CPUs, load {m['load_before']:.2f} before / {m['load_after']:.2f} "
        f"after; {cfg['rounds']} rounds of {cfg['seconds']} s per target and connection count "
        f"(medians); stratus: {result['stratus_source']}",
        "",
        f"{'target':<16}{'conns':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'x bare':>8}",
    ]
    lines.append("-" * len(lines[-1]))
    for row in result["rows"]:
        lines.append(
            f"{row['target']:<16}{row['connections']:>6}{row['rps']:>10.0f}"
            f"{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}{row['ratio']:>8.2f}"
        )
    lines.append("")
    lines.append(f"goal (issue 15): >= x{result['goal_ratio']} of bare at 16 and 64 connections")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--connections",
        type=lambda text: [int(part) for part in text.split(",")],
        default=[1, 16, 64],
        help="comma-separated connection counts",
    )
    parser.add_argument("--seconds", type=int, default=5, help="length of one wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per target and count")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--work-parent", type=Path, default=default_work_parent())
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk (Debian's package)", file=sys.stderr)
        return 2
    return main_in_workdir(
        lambda work: run(args, work),
        render,
        work_parent=args.work_parent,
        prefix="stratus-bench-wrk-",
        as_json=args.json,
    )


if __name__ == "__main__":
    sys.exit(main())
