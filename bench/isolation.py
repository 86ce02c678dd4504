"""What confining environments costs: the same measurements with isolation on and off.

    python bench/isolation.py [--cold 20] [--snap 40] [--warm 400] [--idle 5] [--rounds 2]
                              [--runtime python3.11] [--bare] [--json]

Starts two `python -m stratus server` processes on fresh data directories: one as it runs by
default (each environment confined: own uid, PID/mount/IPC/UTS namespaces, a /tmp
filesystem of its own; runtime/confinement.py), one with STRATUS_ISOLATION=false (the
environments of before issue 11: the server's uid and PID namespace, a bound /tmp
directory). Run it as root, or both servers are unconfined and the comparison is moot (it
says so). Each server gets the same function (a handler that imports json and boto3, as
most do; --bare: json only, to see confinement's own cost) and a SnapStart version of it.
Measured, alternating between the two servers in `--rounds` batches so noise on a shared
machine hits both alike:

  * cold start: client wall time of an invoke that needs a new environment (the previous
    one is retired by an invoke whose handler calls os._exit), and REPORT's Init Duration;
  * snapshot start: the same on the SnapStart version (a standby child claimed), REPORT's
    Restore Duration;
  * warm invoke: client wall time of back-to-back invokes on one warm environment;
  * memory per idle environment: `--idle` environments kept warm at once (concurrent
    invokes), then the PSS and USS of each environment's processes summed (a confined
    environment is three: the waiter outside, the namespace's init, the runtime), from
    /proc/<pid>/smaps_rollup; processes are those of its memory cgroup (else those whose
    environment names its log stream). The same for restored (SnapStart) environments,
    which are two processes (the namespace's init, the runtime; their holder waits in
    place of `outside`), forks of their snapshot holder.

Everything printed is a measurement; nothing asserts.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import re
import sys
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

from common import (  # bench/common.py: the server process, percentiles, the bench's main
    aws_client,
    default_work_parent,
    free_port,
    log,
    main_in_workdir,
    start_child,
    stratus_command,
    stratus_environ,
    summarize,
)

HANDLER = """
import json, os, time
import boto3

def handler(event, context):
    if event.get("exit"):
        os._exit(0)
    time.sleep(event.get("sleep", 0))
    with open("/proc/self/cgroup") as f:  # (its memory cgroup holds every process it has)
        groups = [line.strip().split(":", 2) for line in f]
    memory = [path for _, kinds, path in groups if "memory" in kinds.split(",") or not kinds]
    return {"stream": context.log_stream_name, "cgroup": memory[0] if memory else ""}
"""
ROLE = "arn:aws:iam::000000000000:role/bench"
MODES = ("isolated", "unconfined")


def _zip(bare: bool) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("app.py", HANDLER.replace("import boto3", "") if bare else HANDLER)
    return buffer.getvalue()


class Target:
    """One server and its function."""

    def __init__(self, mode: str, work: Path, runtime: str, bare: bool) -> None:
        self.mode = mode
        self.port = free_port()
        environ = stratus_environ(None)
        environ["STRATUS_ISOLATION"] = "true" if mode == "isolated" else "false"
        command = stratus_command(self.port, work / mode / "data")
        (work / mode).mkdir(parents=True)
        self.server = start_child(mode, command, self.port, work / mode / "server.log", environ)
        self.client = aws_client("lambda", self.port, read_timeout=120)
        self.health = json.loads(_get(self.port, "/_stratus/health"))["isolation"]
        self.client.create_function(
            FunctionName="bench",
            Runtime=runtime,
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": _zip(bare)},
            Timeout=30,
            SnapStart={"ApplyOn": "PublishedVersions"},
        )
        self.client.get_waiter("function_active_v2").wait(FunctionName="bench")
        version = self.client.publish_version(FunctionName="bench")["Version"]
        self.client.get_waiter("published_version_active").wait(
            FunctionName="bench", Qualifier=version
        )
        self.version = version

    def invoke(self, qualifier: str = "$LATEST", **event: Any) -> tuple[float, dict[str, Any], str]:
        started = time.perf_counter()
        response = self.client.invoke(
            FunctionName="bench", Qualifier=qualifier, Payload=json.dumps(event), LogType="Tail"
        )
        body = response["Payload"].read()
        elapsed = (time.perf_counter() - started) * 1000
        tail = base64.b64decode(response.get("LogResult", "")).decode(errors="replace")
        return elapsed, json.loads(body or b"null") or {}, tail

    def start(self, qualifier: str, key: str) -> tuple[float, float] | None:
        """Retire the warm environment, then time an invoke that starts a new one."""
        self.invoke(qualifier, exit=True)
        time.sleep(0.1)  # let a snapshot holder refill its standby children
        elapsed, _, tail = self.invoke(qualifier)
        found = re.search(rf"{key}: ([0-9.]+) ms", tail)
        return (elapsed, float(found.group(1))) if found else None


def _get(port: int, path: str) -> bytes:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    return connection.getresponse().read()


def _memory_of(stream: str, cgroup: str) -> tuple[float, float]:
    """PSS and USS (MB) of every process of one environment: those in its memory cgroup
    (a confined environment is three: the waiter outside, the namespace's init, the
    runtime), else those whose environment names its log stream."""
    pids = []
    for procs in (
        f"/sys/fs/cgroup/memory{cgroup}/cgroup.procs",
        f"/sys/fs/cgroup{cgroup}/cgroup.procs",
    ):
        if cgroup and cgroup != "/" and Path(procs).exists():
            pids = Path(procs).read_text().split()
            break
    if not pids:
        marker = f"AWS_LAMBDA_LOG_STREAM_NAME={stream}".encode()
        for proc in Path("/proc").iterdir():
            with contextlib.suppress(OSError):
                if proc.name.isdigit() and marker in (proc / "environ").read_bytes():
                    pids.append(proc.name)
    pss = uss = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        fields = dict(re.findall(r"^(\w+):\s+(\d+) kB", rollup, re.M))
        pss += int(fields.get("Pss", 0))
        uss += int(fields.get("Private_Clean", 0)) + int(fields.get("Private_Dirty", 0))
    return pss / 1024, uss / 1024


def _idle_memory(target: Target, count: int, qualifier: str) -> list[tuple[float, float]]:
    found: dict[str, str] = {}
    lock = threading.Lock()

    def one() -> None:
        _, body, _ = target.invoke(qualifier, sleep=1.0)
        with lock:
            found[body["stream"]] = body.get("cgroup", "")

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(0.5)
    return [_memory_of(stream, cgroup) for stream, cgroup in found.items()]


def run(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    targets = [Target(mode, work, args.runtime, args.bare) for mode in MODES]
    samples: dict[str, dict[str, list[float]]] = {
        t.mode: {k: [] for k in ("cold", "init", "snap", "restore", "warm")} for t in targets
    }
    try:
        for round_number in range(args.rounds):
            order = targets if round_number % 2 == 0 else targets[::-1]
            log(f"round {round_number + 1}/{args.rounds}")
            for target in order:
                got = samples[target.mode]
                for _ in range(args.cold // args.rounds):
                    measured = target.start("$LATEST", "Init Duration")
                    if measured:
                        got["cold"].append(measured[0])
                        got["init"].append(measured[1])
                for _ in range(args.snap // args.rounds):
                    measured = target.start(target.version, "Restore Duration")
                    if measured:
                        got["snap"].append(measured[0])
                        got["restore"].append(measured[1])
                target.invoke()
                for _ in range(args.warm // args.rounds):
                    got["warm"].append(target.invoke()[0])
        memory = {t.mode: _idle_memory(t, args.idle, "$LATEST") for t in targets}
        restored = {t.mode: _idle_memory(t, args.idle, t.version) for t in targets}
        return {
            "runtime": args.runtime + (" (handler without boto3)" if args.bare else ""),
            "health": {t.mode: t.health for t in targets},
            "figures": {
                mode: {name: summarize(values) for name, values in kinds.items()}
                for mode, kinds in samples.items()
            },
            "memory_mb": {
                mode: {
                    "pss": summarize([m[0] for m in values]),
                    "uss": summarize([m[1] for m in values]),
                }
                for mode, values in memory.items()
            },
            "restored_memory_mb": {
                mode: {
                    "pss": summarize([m[0] for m in values]),
                    "uss": summarize([m[1] for m in values]),
                }
                for mode, values in restored.items()
            },
        }
    finally:
        for target in targets:
            target.server.stop()


def render(result: dict[str, Any]) -> str:
    lines = [f"isolation cost, runtime {result['runtime']} (ms unless noted; p50 / p90)"]
    iso = result["health"]["isolated"]
    if iso.get("identity") == "off":
        lines.append(f"NOTE: the 'isolated' server is not confined here: {iso['enable']}")
    names = {
        "cold": "cold start, client",
        "init": "cold start, Init Duration",
        "snap": "snapshot start, client",
        "restore": "snapshot start, Restore Duration",
        "warm": "warm invoke, client",
    }
    lines.append(f"{'':36}{'isolated':>22}{'unconfined':>22}")
    for key, label in names.items():
        cells = []
        for mode in MODES:
            figure = result["figures"][mode][key]
            cells.append(f"{figure['p50']:8.2f} / {figure['p90']:8.2f} (n={figure['n']})")
        lines.append(f"{label:36}{cells[0]:>22}{cells[1]:>22}")
    for key, label in (("memory_mb", "idle environment"), ("restored_memory_mb", "idle restored")):
        for kind in ("pss", "uss"):
            cells = [f"{result[key][mode][kind]['p50']:.1f} MB" for mode in MODES]
            lines.append(f"{label + ', ' + kind.upper():36}{cells[0]:>22}{cells[1]:>22}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cold", type=int, default=20)
    parser.add_argument("--snap", type=int, default=40)
    parser.add_argument("--warm", type=int, default=400)
    parser.add_argument("--idle", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--runtime", default="python3.11")
    parser.add_argument("--bare", action="store_true", help="a handler that imports no boto3")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    return main_in_workdir(
        lambda work: run(work, args),
        render,
        work_parent=default_work_parent(),
        prefix="stratus-bench-isolation-",
        as_json=args.json,
    )


if __name__ == "__main__":
    sys.exit(main())
