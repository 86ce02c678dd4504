"""Custom runtimes: warm invoke latency over the Runtime API, beside the built-in runtime.

    python bench/custom_runtime.py [--n 500] [--no-network]

Starts `stratus server` as a child process on a fresh data directory and deploys the same
trivial function four ways:

  * python3.11          the built-in runtime (frames over a socketpair)
  * provided, keepalive a standard-library Python runtime keeping one HTTP connection
  * provided, awslambdaric   AWS's runtime interface client running `app.handler`
  * provided, bash+curl the AWS tutorial's runtime (two curl processes per invoke)

For each: one cold invoke (client wall time and the REPORT line's Init Duration), then n
warm invokes from one keep-alive boto3 client (p50 / p90 / p99 of client wall time), and
the REPORT `Duration` median (supervisor -> runtime -> supervisor). Then time-to-first-chunk
of InvokeWithResponseStream for a runtime that streams. Figures only; nothing is asserted.
--no-network: the server runs with STRATUS_NETWORK=false (confined, as root: the Runtime API
is relayed into each environment's own loopback by its init; compare with a run without).
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import io
import json
import os
import re
import statistics
import tempfile
import time
import zipfile
from pathlib import Path

from common import aws_client, free_port, start_child, stratus_command  # bench/common.py

ROLE = "arn:aws:iam::000000000000:role/bench"
HANDLER = "def handler(event, context):\n    return event\n"
KEEPALIVE = r"""#!/usr/bin/env python3
import http.client, os
api = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"])
while True:
    api.request("GET", "/2018-06-01/runtime/invocation/next")
    response = api.getresponse()
    event = response.read()
    request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
    api.request("POST", "/2018-06-01/runtime/invocation/%s/response" % request_id, event)
    api.getresponse().read()
"""
BASH = r"""#!/bin/bash
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
while true; do
  HEADERS="$(mktemp)"
  EVENT="$(curl -sS -D "$HEADERS" "$API/invocation/next")"
  ID="$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)"
  rm -f "$HEADERS"
  curl -sS "$API/invocation/$ID/response" -d "$EVENT" > /dev/null
done
"""
STREAMER = r"""#!/usr/bin/env python3
import http.client, os, time
host = os.environ["AWS_LAMBDA_RUNTIME_API"]
api = http.client.HTTPConnection(host)
while True:
    api.request("GET", "/2018-06-01/runtime/invocation/next")
    response = api.getresponse()
    response.read()
    request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
    upload = http.client.HTTPConnection(host)
    upload.putrequest("POST", "/2018-06-01/runtime/invocation/%s/response" % request_id)
    upload.putheader("Lambda-Runtime-Function-Response-Mode", "streaming")
    upload.putheader("Transfer-Encoding", "chunked")
    upload.endheaders()
    upload.send(b"5\r\nfirst\r\n")
    time.sleep(0.2)
    upload.send(b"4\r\nlast\r\n0\r\n\r\n")
    upload.getresponse().read()
    upload.close()
"""


def make_zip(files: dict[str, str], modes: dict[str, int]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for path, source in files.items():
            info = zipfile.ZipInfo(path)
            info.external_attr = modes.get(path, 0o644) << 16
            bundle.writestr(info, source)
    return buffer.getvalue()


def variants() -> dict[str, dict]:
    found = {
        "python3.11 (built-in)": {
            "Runtime": "python3.11",
            "Handler": "app.handler",
            "files": {"app.py": HANDLER},
        },
        "provided, keepalive": {"files": {"bootstrap": KEEPALIVE}},
        "provided, bash+curl": {"files": {"bootstrap": BASH}},
    }
    if importlib.util.find_spec("awslambdaric"):
        found["provided, awslambdaric"] = {
            "Handler": "app.handler",
            "files": {
                "bootstrap": '#!/bin/sh\nexec python3 -m awslambdaric "$_HANDLER"\n',
                "app.py": HANDLER,
            },
        }
    return found


def deploy(client, name: str, variant: dict) -> None:
    files = variant["files"]
    modes = {path: 0o755 for path, source in files.items() if source.startswith("#!")}
    client.create_function(
        FunctionName=name,
        Runtime=variant.get("Runtime", "provided.al2023"),
        Handler=variant.get("Handler", "bootstrap"),
        Role=ROLE,
        Code={"ZipFile": make_zip(files, modes)},
    )


def report_field(response: dict, name: str) -> float | None:
    log = base64.b64decode(response.get("LogResult", "")).decode()
    match = re.search(rf"{name}: ([\d.]+) ms", log)
    return float(match.group(1)) if match else None


def measure(client, name: str, n: int) -> dict[str, float | None]:
    started = time.perf_counter()
    cold = client.invoke(FunctionName=name, Payload=b'{"cold": 1}', LogType="Tail")
    cold_ms = (time.perf_counter() - started) * 1000
    for _ in range(20):
        client.invoke(FunctionName=name, Payload=b"{}")
    samples = []
    for i in range(n):
        started = time.perf_counter()
        client.invoke(FunctionName=name, Payload=json.dumps({"i": i}))["Payload"].read()
        samples.append((time.perf_counter() - started) * 1000)
    durations = [
        report_field(client.invoke(FunctionName=name, Payload=b"{}", LogType="Tail"), "Duration")
        for _ in range(50)
    ]
    quantiles = statistics.quantiles(samples, n=100)
    return {
        "cold_ms": cold_ms,
        "init_ms": report_field(cold, "Init Duration"),
        "p50": quantiles[49],
        "p90": quantiles[89],
        "p99": quantiles[98],
        "report_duration_p50": statistics.median(d for d in durations if d is not None),
    }


def first_chunk(client, name: str, n: int = 20) -> tuple[float, float]:
    firsts, totals = [], []
    for _ in range(n):
        started = time.perf_counter()
        response = client.invoke_with_response_stream(FunctionName=name, Payload=b"{}")
        for index, _event in enumerate(response["EventStream"]):
            if index == 0:
                firsts.append((time.perf_counter() - started) * 1000)
        totals.append((time.perf_counter() - started) * 1000)
    return statistics.median(firsts), statistics.median(totals)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--no-network", action="store_true")
    args = parser.parse_args()
    environ = dict(os.environ) | ({"STRATUS_NETWORK": "false"} if args.no_network else {})
    with tempfile.TemporaryDirectory(prefix="stratus-bench-", dir="/var/tmp") as work:
        port = free_port()
        command = stratus_command(port, Path(work) / "data")
        server = start_child("stratus", command, port, Path(work) / "stratus.log", environ)
        try:
            run(aws_client("lambda", port, read_timeout=910), args.n)
        finally:
            server.stop()


def run(client, n: int) -> None:
    columns = ("cold", "init", "p50", "p90", "p99", "dur")
    print(f"{'variant':26} " + " ".join(f"{c:>7}" for c in columns))
    for index, (label, variant) in enumerate(variants().items()):
        name = f"bench-{index}"
        deploy(client, name, variant)
        m = measure(client, name, n if "bash" not in label else max(n // 10, 20))
        print(
            f"{label:26} {m['cold_ms']:7.1f} {m['init_ms'] or 0:7.1f} {m['p50']:7.2f} "
            f"{m['p90']:7.2f} {m['p99']:7.2f} {m['report_duration_p50']:7.2f}   (ms)"
        )
    deploy(client, "bench-stream", {"files": {"bootstrap": STREAMER}})
    client.invoke_with_response_stream(FunctionName="bench-stream", Payload=b"{}")
    first, total = first_chunk(client, "bench-stream")
    print(
        f"streaming (chunk, 200 ms pause, chunk): first chunk after {first:.1f} ms, "
        f"stream complete after {total:.1f} ms (medians)"
    )


if __name__ == "__main__":
    main()
