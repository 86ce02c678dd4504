"""Snapshot (SnapStart) starts against cold starts, for a function that imports numpy and boto3.

    python bench/snapshots.py [--snap 200] [--cold 30] [--rounds 5] [--gap-ms 100]
                              [--burst 100] [--burst-repeat 3] [--cold-burst 20]
                              [--runtime python3.12] [--json]

Starts `python -m stratus server` as a separate process on a fresh temporary data directory
(under ~/.cache, not /tmp, which environments may see replaced by a private /tmp) and creates
one function whose module imports numpy and boto3 and creates a boto3 client at init. numpy
comes in a layer (PublishLayerVersion; if the server has no layer API, numpy is packed into the
function's zip instead): the numpy installed for the runtime's interpreter, or, when that
interpreter has none, `python3.X -m pip install --target ~/.cache/stratus-bench/... numpy`
(a one-off download from PyPI, cached). The function is published with
SnapStart={"ApplyOn": "PublishedVersions"}: version 1 starts environments from the snapshot,
$LATEST (same code, same configuration) starts them cold.

What a "start" is: the time from the invoke request to the handler running, in a NEW
environment. Every measured invoke must get one, so after each measurement the bench retires
that environment with a second invoke whose handler calls os._exit (the server discards an
environment that died; the pool holds no other one, so that invoke lands on it). The REPORT
line of every measured invoke (LogType=Tail) must show `Restore Duration` (snapshot) or
`Init Duration` (cold); samples without it are counted and reported, not used. Per sample:

  * start = client wall time of the invoke - the handler's own time (taken by the handler);
  * to handler = handler entry - request sent (CLOCK_MONOTONIC is one clock for all processes
    on the host, so the bench and the handler can compare timestamps);
  * REPORT Restore Duration / Init Duration, as the server measured it;
  * the environment's USS (psutil memory_full_info().uss, summed over the processes of its
    memory cgroup, which the handler names: a confined environment is three, a restored one
    two, and its pid is 2 of its own namespace; else the handler's pid), taken after its
    first invoke; and a second, warm invoke on it (the same log stream), for the floor of
    `to handler`.

Each measured start follows --gap-ms (100) of quiet: on this kernel the first cgroup.procs
write after ~20-50 ms without any cgroup migration on the host costs ~10 ms (whichever
cgroup, new or already joined), while back-to-back ones cost 0.2 ms, so starts measured back
to back (--gap-ms 0) look faster than a new environment needed now and then.

Cold and snapshot batches alternate (`--rounds`, order reversed every round) so that noise on
this 2-core machine hits both alike. Then bursts: `--burst` threads, each with its own
connection (connected beforehand), released together by a barrier, invoke a version that has
no warm environment (a freshly created and published function each time): served in = from
the barrier to the last response. Once with a handler that returns at once (what a burst of
first invokes sees; the bench reports how many distinct environments served it), once with a
handler that holds each environment --hold-ms, so that every invoke needs its own. Snapshot
bursts are noisy here, so each runs --burst-repeat (3) times, alternating, and the run with the
median time is shown (with every run's time); the cold burst runs once. After each
snapshot burst the USS of all its live environments is read (siblings of one snapshot share
their clean pages, so this is the steady-state unique memory). The cold burst is smaller by
default (`--cold-burst 20`): a cold environment of this function has ~40 MB of unique memory,
so 100 would fit in memory (~4 GB), but each full init costs ~0.3 s of CPU, so 100 of them
take ~15-20 s on 2 cores (18.3 s measured once); pass --cold-burst 100 to try it.

Profiling: `--stratus-src DIR` runs the server on another copy of the package (e.g. an
instrumented one); `--trace` sets STRATUS_BENCH_TRACE=<file> for the server and, if that copy
appends JSON lines of `{"phase": ..., "steps": {name: ms}}` to it, prints the median of each
step (nothing in src/ writes it: it is for instrumented copies).

Everything printed is a measurement; the goals (snapshot start p50 <= 5 ms, p99 <= 10 ms;
USS <= 5 MB; 100 concurrent first invokes <= 0.5 s) are reported as MET / NOT MET, and
nothing here asserts.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gc
import hashlib
import http.client
import json
import os
import platform
import re
import socket
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import (  # bench/common.py: the server process, percentiles, the bench's main
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
MEMORY_MB = 512
FUNCTION = "bench-snap"
GOAL_START_P50_MS = 5.0
GOAL_START_P99_MS = 10.0
GOAL_USS_MB = 5.0
GOAL_BURST_S = 0.5
MB = 1024 * 1024

# The handler reports CLOCK_MONOTONIC timestamps (shared by every process on the host) and
# its pid. {"die": true} ends the environment mid-invocation, so the server discards it.
HANDLER = """\
import os
import time

import boto3
import numpy

client = boto3.client("lambda")
_TABLE = numpy.arange(1024, dtype=numpy.float64)


def _now():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def _memory_cgroup():
    with open("/proc/self/cgroup") as f:
        groups = [line.strip().split(":", 2) for line in f]
    found = [path for _, kinds, path in groups if "memory" in kinds.split(",") or not kinds]
    return found[0] if found else ""


def handler(event, context):
    entered = _now()
    if event.get("die"):
        os._exit(0)
    if event.get("hold_ms"):
        time.sleep(event["hold_ms"] / 1000)
    return {
        "pid": os.getpid(),
        "env": context.log_stream_name,
        "cgroup": _memory_cgroup(),
        "entered_ns": entered,
        "sum": float(_TABLE.sum()),
        "left_ns": _now(),
    }
"""
RESTORE_DURATION = re.compile(r"Restore Duration: ([0-9.]+) ms")
INIT_DURATION = re.compile(r"Init Duration: ([0-9.]+) ms")
REPORT_DURATION = re.compile(r"REPORT RequestId: \S+\tDuration: ([0-9.]+) ms")


def now_ns() -> int:
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


# -- numpy for the runtime's interpreter, packed for a layer or the function zip -------------
def runtime_interpreter(runtime: str) -> str:
    from stratus.runtime.interpreters import interpreter_for

    return interpreter_for(runtime).path


def find_numpy(interpreter: str, cache: Path) -> tuple[Path, str]:
    """The site-packages directory holding numpy for `interpreter` (installed there, or
    pip-installed once into the cache), and numpy's version."""
    probe = "import numpy, os; print(os.path.dirname(os.path.dirname(numpy.__file__)))"
    probe += "; print(numpy.__version__)"
    for attempt in range(2):
        for site in ([], [str(cache)]):
            environ = dict(os.environ, PYTHONPATH=os.pathsep.join(site))
            found = subprocess.run(
                [interpreter, "-c", probe], capture_output=True, text=True, env=environ
            )
            if found.returncode == 0:
                where, version = found.stdout.split()
                return Path(where), version
        if attempt == 0:
            log(f"{interpreter} has no numpy: pip install --target {cache} numpy (cached)")
            subprocess.run(
                [interpreter, "-m", "pip", "install", "-q", "--target", str(cache), "numpy"],
                check=True,
            )
    raise RuntimeError(f"could not find or install numpy for {interpreter}")


def numpy_files(site: Path) -> list[tuple[Path, str]]:
    """(file, name relative to site-packages) for numpy and its bundled libraries."""
    files = []
    for top in ("numpy", "numpy.libs"):
        root = site / top
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                files.append((path, str(path.relative_to(site))))
    return files


def cached_zip(
    cache: Path, key: str, entries: list[tuple[Path, str]], text: dict[str, str]
) -> bytes:
    """A deflated zip of `entries` (files) and `text` (name -> content), cached by `key`."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    target = cache / f"{digest}.zip"
    if not target.exists():
        cache.mkdir(parents=True, exist_ok=True)
        staging = target.with_suffix(f".{os.getpid()}.tmp")
        with zipfile.ZipFile(staging, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as bundle:
            for path, name in entries:
                bundle.write(path, name)
            for name, content in text.items():
                bundle.writestr(name, content)
        staging.replace(target)
    return target.read_bytes()


# -- the client ---------------------------------------------------------------------------------
@dataclass
class Reply:
    wall_ms: float
    sent_ns: int
    body: dict[str, Any]
    function_error: str | None
    tail: str

    @property
    def pid(self) -> int:
        return int(self.body["pid"])

    @property
    def env(self) -> str:
        """Which environment answered (pids repeat: each confined one is pid 2 of its own
        PID namespace)."""
        return str(self.body.get("env") or self.body["pid"])

    @property
    def host_pids(self) -> list[int]:
        """The environment's processes as the host numbers them: its memory cgroup's (a
        confined environment is three: outside, init, runtime; a restored one two), else the
        handler's pid."""
        cgroup = self.body.get("cgroup") or ""
        for root in ("/sys/fs/cgroup/memory", "/sys/fs/cgroup"):  # v1, v2
            procs = Path(f"{root}{cgroup}/cgroup.procs")
            if cgroup not in ("", "/") and procs.exists():
                with contextlib.suppress(OSError):
                    return [int(pid) for pid in procs.read_text().split()]
        return [self.pid]

    @property
    def handler_ms(self) -> float:
        return (self.body["left_ns"] - self.body["entered_ns"]) / 1e6

    @property
    def to_handler_ms(self) -> float:
        return (self.body["entered_ns"] - self.sent_ns) / 1e6

    @property
    def start_ms(self) -> float:
        """Client wall time minus the handler's own time."""
        return self.wall_ms - self.handler_ms

    def duration(self, pattern: re.Pattern[str]) -> float | None:
        found = pattern.search(self.tail)
        return float(found.group(1)) if found else None


class Connection:
    """One keep-alive connection; invokes with LogType=Tail."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._conn: http.client.HTTPConnection | None = None

    def connect(self) -> http.client.HTTPConnection:
        if self._conn is None:
            conn = http.client.HTTPConnection(HOST, self.port, timeout=120)
            conn.connect()
            assert conn.sock is not None
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def invoke(self, name: str, qualifier: str, event: dict[str, Any]) -> Reply:
        for attempt in range(2):
            conn = self.connect()
            payload = json.dumps(event).encode()
            headers = {"Content-Type": "application/json", "X-Amz-Log-Type": "Tail"}
            path = INVOKE_PATH.format(name=name) + f"?Qualifier={qualifier}"
            try:
                sent = now_ns()
                conn.request("POST", path, payload, headers)
                response = conn.getresponse()
                raw = response.read()
                wall_ms = (now_ns() - sent) / 1e6
            except (http.client.RemoteDisconnected, ConnectionError):
                self.close()  # the server dropped an idle keep-alive connection
                if attempt:
                    raise
                continue
            if response.status != 200:
                raise RuntimeError(
                    f"invoke {name}:{qualifier}: HTTP {response.status}: {raw[:300]!r}"
                )
            tail = base64.b64decode(response.getheader("X-Amz-Log-Result") or "").decode()
            error = response.getheader("X-Amz-Function-Error")
            body = json.loads(raw) if raw else None
            return Reply(wall_ms, sent, body if isinstance(body, dict) else {}, error, tail)
        raise AssertionError("unreachable")

    def retire(self, name: str, qualifier: str) -> None:
        """End the (only) warm environment of name:qualifier: its handler exits."""
        reply = self.invoke(name, qualifier, {"die": True})
        if reply.function_error is None:
            raise RuntimeError(f"retiring an environment of {name}:{qualifier} did not end it")


def lambda_client(port: int) -> Any:
    return aws_client("lambda", port, read_timeout=300, connect_timeout=10)


def memory_of(pids: int | list[int]) -> dict[str, float] | None:
    """USS, PSS and RSS (MB) of a process, or summed over one environment's processes."""
    import psutil

    total = {"uss_mb": 0.0, "pss_mb": 0.0, "rss_mb": 0.0}
    for pid in [pids] if isinstance(pids, int) else pids:
        try:
            info = psutil.Process(pid).memory_full_info()
        except psutil.Error:
            return None
        total["uss_mb"] += info.uss / MB
        total["pss_mb"] += info.pss / MB
        total["rss_mb"] += info.rss / MB
    return total


def parent_of(pids: list[int]) -> int | None:
    """The parent of an environment's first process (the one whose parent is not one of
    them): its snapshot holder, for a restored one."""
    import psutil

    try:
        parents = {pid: int(psutil.Process(pid).ppid()) for pid in pids}
    except psutil.Error:
        return None
    return next((parent for parent in parents.values() if parent not in parents), None)


# -- setup --------------------------------------------------------------------------------------
@dataclass
class Setup:
    layer_arn: str | None  # None: numpy is inside the function zip
    code: bytes
    numpy_version: str
    numpy_site: str
    interpreter: str
    layer_problem: str | None = None  # why numpy is not (or should not be) in a layer


def prepare_code(client: Any, port: int, args: argparse.Namespace, cache: Path) -> Setup:
    interpreter = runtime_interpreter(args.runtime)
    tag = hashlib.sha256(str(Path(interpreter).resolve()).encode()).hexdigest()[:8]
    site, version = find_numpy(interpreter, cache / f"numpy-{args.runtime}-{tag}")
    files = numpy_files(site)
    key = f"{site}|{version}|{len(files)}"
    log(f"numpy {version} from {site} ({len(files)} files)")
    bundled = Setup(None, b"", version, str(site), interpreter)
    if args.numpy_in in ("auto", "layer"):
        layer_zip = cached_zip(cache, f"layer|{key}", [(p, f"python/{n}") for p, n in files], {})
        try:
            layer = client.publish_layer_version(
                LayerName="bench-numpy",
                Content={"ZipFile": layer_zip},
                CompatibleRuntimes=[args.runtime],
            )
        except Exception as exc:  # no layer API (or it refused): pack numpy with the function
            bundled.layer_problem = f"PublishLayerVersion failed: {type(exc).__name__}: {exc}"
        else:
            code = cached_zip(cache, f"function|{HANDLER}", [], {"app.py": HANDLER})
            setup = Setup(layer["LayerVersionArn"], code, version, str(site), interpreter)
            problem = probe_layer(client, port, setup, args.runtime)
            if problem is None or args.numpy_in == "layer":
                setup.layer_problem = problem
                return setup
            bundled.layer_problem = problem
        log(f"{bundled.layer_problem}; numpy goes into the function zip instead")
    bundled.code = cached_zip(cache, f"function|{key}|{HANDLER}", files, {"app.py": HANDLER})
    return bundled


def probe_layer(client: Any, port: int, setup: Setup, runtime: str) -> str | None:
    """Does numpy import from the layer in a cold environment and in a snapshot?"""
    conn = Connection(port)
    try:
        for snapstart in (False, True):
            name = f"bench-probe-{'snap' if snapstart else 'cold'}"
            qualifier = create_function(client, name, setup, runtime, snapstart)
            kind = "a snapshot (SnapStart version)" if snapstart else "a cold environment"
            try:
                reply = conn.invoke(name, qualifier, {})
            except RuntimeError as exc:  # e.g. HTTP 500
                conn.close()
                return f"numpy in a layer fails in {kind}: {exc}"
            finally:
                client.delete_function(FunctionName=name)
            if reply.function_error:
                return f"numpy in a layer fails in {kind}: {reply.body.get('errorMessage')}"
    finally:
        conn.close()
    return None


def create_function(client: Any, name: str, setup: Setup, runtime: str, snapstart: bool) -> str:
    """Create `name`; with SnapStart, publish it. Returns the qualifier to invoke."""
    extra: dict[str, Any] = {"Layers": [setup.layer_arn]} if setup.layer_arn else {}
    if snapstart:
        extra["SnapStart"] = {"ApplyOn": "PublishedVersions"}
    client.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": setup.code},
        Timeout=60,
        MemorySize=MEMORY_MB,
        **extra,
    )
    if not snapstart:
        return "$LATEST"
    sent = time.perf_counter()
    published = client.publish_version(FunctionName=name)
    if published["SnapStart"]["OptimizationStatus"] != "On":
        raise RuntimeError(f"{name}: SnapStart is not on for version {published['Version']}")
    version = str(published["Version"])
    # A user waits for Active (the snapshot exists) before the first invoke.
    while (
        state := client.get_function_configuration(FunctionName=name, Qualifier=version)["State"]
    ) == "Pending":
        time.sleep(0.005)
    if state != "Active":
        raise RuntimeError(f"{name}:{version} is {state}, not Active")
    PUBLISH_TO_ACTIVE_MS.append((time.perf_counter() - sent) * 1000)
    return version


PUBLISH_TO_ACTIVE_MS: list[float] = []  # PublishVersion sent -> the version reads Active


# -- measurements ---------------------------------------------------------------------------------
@dataclass
class Starts:
    kind: str  # snapshot | cold
    qualifier: str
    pattern: re.Pattern[str]
    start: list[float]
    to_handler: list[float]
    reported: list[float]  # Restore Duration or Init Duration
    report_duration: list[float]  # REPORT Duration of the first invoke
    warm_to_handler: list[float]
    memory: list[dict[str, float]]
    not_new: int = 0
    zygote_pid: int | None = None


def measure_start(conn: Connection, starts: Starts, gap_s: float) -> None:
    time.sleep(gap_s)  # a quiet host, as when a new environment is needed now and then
    reply = conn.invoke(FUNCTION, starts.qualifier, {})
    if reply.function_error:
        raise RuntimeError(f"{starts.kind} invoke failed: {reply.body}")
    reported = reply.duration(starts.pattern)
    if reported is None:
        starts.not_new += 1  # it reused an environment: not a start; retire it and go on
    else:
        starts.start.append(reply.start_ms)
        starts.to_handler.append(reply.to_handler_ms)
        starts.reported.append(reported)
        duration = reply.duration(REPORT_DURATION)
        if duration is not None:
            starts.report_duration.append(duration)
        memory = memory_of(reply.host_pids)
        if memory is not None:
            starts.memory.append(memory)
        if starts.kind == "snapshot" and starts.zygote_pid is None:
            starts.zygote_pid = parent_of(reply.host_pids)
    warm = conn.invoke(FUNCTION, starts.qualifier, {})
    if warm.env == reply.env and warm.duration(starts.pattern) is None:
        starts.warm_to_handler.append(warm.to_handler_ms)
    conn.retire(FUNCTION, starts.qualifier)


def run_starts(conn: Connection, snapshot: Starts, cold: Starts, args: argparse.Namespace) -> None:
    per_round = {
        "snapshot": max(1, args.snap // args.rounds),
        "cold": max(1, args.cold // args.rounds),
    }
    for round_no in range(args.rounds):
        order = [snapshot, cold] if round_no % 2 == 0 else [cold, snapshot]
        for starts in order:
            log(
                f"round {round_no + 1}/{args.rounds}: {per_round[starts.kind]} {starts.kind} starts"
            )
            gc.collect()
            gc.disable()
            try:
                for _ in range(per_round[starts.kind]):
                    measure_start(conn, starts, args.gap_ms / 1000)
            finally:
                gc.enable()


@dataclass
class Fired:
    replies: list[Reply | None]  # None where the invoke raised
    errors: list[str]  # what the invokes raised
    ends: list[int]  # when each answer was read (0 if none)
    released: int  # when the barrier let every invoke go


def fire(port: int, name: str, qualifier: str, count: int, hold_ms: int) -> Fired:
    """`count` invokes on connections of their own, released together by a barrier."""
    connections = [Connection(port) for _ in range(count)]
    for conn in connections:
        conn.connect()
    barrier = threading.Barrier(count + 1)
    replies: list[Reply | None] = [None] * count
    errors: list[str] = []
    ends = [0] * count

    def worker(i: int) -> None:
        try:
            barrier.wait()
            replies[i] = connections[i].invoke(name, qualifier, {"hold_ms": hold_ms})
            ends[i] = now_ns()
        except threading.BrokenBarrierError:
            return
        except Exception as exc:  # reported, not raised: the other threads still finish
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    gc.collect()
    gc.disable()
    try:
        barrier.wait()
        released = now_ns()
        for thread in threads:
            thread.join()
    except BaseException:
        barrier.abort()  # Ctrl-C before the release: no thread waits forever
        raise
    finally:
        gc.enable()
    for conn in connections:
        conn.close()
    return Fired(replies, errors, ends, released)


def burst(
    port: int,
    client: Any,
    setup: Setup,
    args: argparse.Namespace,
    name: str,
    count: int,
    hold_ms: int,
    snapstart: bool,
) -> dict[str, Any]:
    """`count` concurrent first invokes of a version with no warm environment."""
    qualifier = create_function(client, name, setup, args.runtime, snapstart)
    primer = Connection(port)
    primer.retire(name, qualifier)  # waits for the snapshot (or primes bytecode); no env left
    primer.close()
    fired = fire(port, name, qualifier, count, hold_ms)
    replies, errors, ends, released = fired.replies, fired.errors, fired.ends, fired.released
    done = [r for r in replies if r is not None]
    failed = [r for r in done if r.function_error] + errors
    pattern = RESTORE_DURATION if snapstart else INIT_DURATION
    reported = [d for r in done if (d := r.duration(pattern)) is not None]
    envs = {r.env: r.host_pids for r in done if not r.function_error}
    pids = sorted(envs)
    memory = [m for p in envs.values() if (m := memory_of(p)) is not None] if snapstart else []
    result = {
        "kind": "snapshot" if snapstart else "cold",
        "count": count,
        "hold_ms": hold_ms,
        "served_s": (max(ends) - released) / 1e9 if done and not errors else float("nan"),
        "latency_ms": summarize([(e - released) / 1e6 for e in ends if e]),
        "new_environments": len(reported),
        "distinct_pids": len(pids),
        "reported": summarize(reported),
        "failed": len(failed),
        "failures": [str(f)[:200] for f in failed[:3]],
        "uss_mb": summarize([m["uss_mb"] for m in memory]),
        "pss_mb": summarize([m["pss_mb"] for m in memory]),
    }
    client.delete_function(FunctionName=name)  # stops its idle environments (and snapshot)
    return result


def median_run(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median `served_s`, with every run's served_s beside it."""
    ordered = sorted(results, key=lambda r: r["served_s"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["served_s_runs"] = [r["served_s"] for r in results]
    return chosen


# -- trace of an instrumented server --------------------------------------------------------------
def read_trace(path: Path) -> dict[str, dict[str, dict[str, float]]]:
    """{phase: {step: summary of ms}} from the JSON lines an instrumented server wrote."""
    steps: dict[str, dict[str, list[float]]] = {}
    if not path.exists():
        return {}
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        phase = steps.setdefault(str(record.get("phase", "?")), {})
        for step, ms in record.get("steps", {}).items():
            phase.setdefault(step, []).append(float(ms))
    return {p: {s: summarize(v) for s, v in by_step.items()} for p, by_step in steps.items()}


# -- the run --------------------------------------------------------------------------------------
def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    port = free_port()
    command = stratus_command(port, work / "data")
    environ = stratus_environ(
        args.stratus_src,
        base={k: v for k, v in os.environ.items() if k != "STRATUS_SNAPSHOT_LATEST"},
    )
    trace = work / "trace.jsonl"
    if args.trace:
        environ["STRATUS_BENCH_TRACE"] = str(trace)

    server: Child | None = None
    try:
        log(f"starting stratus on :{port} ({work})")
        server = start_child("stratus", command, port, work / "stratus.log", environ)
        client = lambda_client(port)
        setup = prepare_code(client, port, args, args.work_parent / "stratus-bench-cache")
        log(f"numpy via {'layer ' + setup.layer_arn if setup.layer_arn else 'the function zip'}")
        qualifier = create_function(client, FUNCTION, setup, args.runtime, snapstart=True)
        conn = Connection(port)
        log("waiting for the snapshot; priming the bytecode cache with one cold start")
        conn.retire(FUNCTION, qualifier)
        conn.retire(FUNCTION, "$LATEST")
        snapshot = Starts("snapshot", qualifier, RESTORE_DURATION, [], [], [], [], [], [])
        cold = Starts("cold", "$LATEST", INIT_DURATION, [], [], [], [], [], [])
        run_starts(conn, snapshot, cold, args)
        conn.close()
        zygote = memory_of(snapshot.zygote_pid) if snapshot.zygote_pid else None

        configs = [
            ("burst-snap-0", args.burst, 0, True),
            ("burst-snap-hold", args.burst, args.hold_ms, True),
            ("burst-cold-0", args.cold_burst, 0, False),
        ]
        runs: dict[str, list[dict[str, Any]]] = {}
        for repeat in range(args.burst_repeat):  # alternating, like the start batches
            for label, count, hold, snap in configs if repeat % 2 == 0 else configs[::-1]:
                if count <= 0 or (not snap and repeat > 0):
                    continue  # cold bursts are slow and steady: once is enough
                log(
                    f"burst {repeat + 1}/{args.burst_repeat}: {count} concurrent first invokes "
                    f"({label}, hold {hold} ms)"
                )
                name = f"{label}-{repeat}"
                runs.setdefault(label, []).append(
                    burst(port, client, setup, args, name, count, hold, snap)
                )
        bursts = [median_run(runs[label]) for label, *_ in configs if label in runs]
    except Exception:
        if server is not None:
            log(f"--- last lines of the server's log ---\n{server.tail()}")
        raise
    finally:
        if server is not None:
            server.stop()

    def starts_result(s: Starts) -> dict[str, Any]:
        return {
            "qualifier": s.qualifier,
            "start": summarize(s.start),
            "to_handler": summarize(s.to_handler),
            "reported": summarize(s.reported),
            "report_duration": summarize(s.report_duration),
            "warm_to_handler": summarize(s.warm_to_handler),
            "uss_mb": summarize([m["uss_mb"] for m in s.memory]),
            "pss_mb": summarize([m["pss_mb"] for m in s.memory]),
            "rss_mb": summarize([m["rss_mb"] for m in s.memory]),
            "not_new": s.not_new,
        }

    return {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "stratus_source": source_description(args.stratus_src),
        "config": {
            "runtime": args.runtime,
            "interpreter": setup.interpreter,
            "numpy": setup.numpy_version,
            "numpy_from": setup.numpy_site,
            "numpy_in": "layer" if setup.layer_arn else "function zip",
            "layer_problem": setup.layer_problem,
            "memory_mb": MEMORY_MB,
            "rounds": args.rounds,
            "gap_ms": args.gap_ms,
        },
        "snapshot": starts_result(snapshot),
        "cold": starts_result(cold),
        "zygote": zygote,
        "bursts": bursts,
        "publish_to_active_ms": PUBLISH_TO_ACTIVE_MS,
        "trace": read_trace(trace) if args.trace else {},
    }


# -- output ---------------------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def goals(result: dict[str, Any]) -> dict[str, bool]:
    snap = result["snapshot"]
    out = {
        "start_p50": snap["start"]["p50"] <= GOAL_START_P50_MS,
        "start_p99": snap["start"]["p99"] <= GOAL_START_P99_MS,
        "uss_p50": snap["uss_mb"]["p50"] <= GOAL_USS_MB,
    }
    for b in result["bursts"]:
        if b["kind"] == "snapshot" and b["hold_ms"] == 0 and b["count"] >= 100:
            out["burst_100"] = b["served_s"] <= GOAL_BURST_S
    return out


LABEL = 42


def table_header(title: str) -> list[str]:
    header = f"{title:<{LABEL}}{'n':>5}" + "".join(f"{c:>9}" for c in COLUMNS)
    return [header, "-" * len(header)]


COLUMNS = ("p50", "p90", "p99", "min", "max")


def row(label: str, s: dict[str, float], fmt: str = ".2f") -> str:
    return f"{label:<{LABEL}}{s['n']:>5}" + "".join(f"{s[c]:>9{fmt}}" for c in COLUMNS)


def render(result: dict[str, Any]) -> str:
    cfg, snap, cold = result["config"], result["snapshot"], result["cold"]
    lines = [
        f"Python {result['machine']['python']} bench, {result['machine']['cpus']} CPUs; "
        f"function: {cfg['runtime']} ({cfg['interpreter']}), imports numpy {cfg['numpy']} "
        f"(in a {cfg['numpy_in']}) and boto3, creates a boto3 client at init; "
        f"{cfg['memory_mb']} MB; {cfg['gap_ms']:.0f} ms idle before each measured start",
        f"stratus: {result['stratus_source']}",
    ]
    if cfg["layer_problem"]:
        lines.append(f"NOTE: {cfg['layer_problem']}")
    lines.append("")
    lines += table_header("new environment, ms")

    lines.append(row("snapshot: start (wall - handler)", snap["start"]))
    lines.append(row("snapshot: request -> handler", snap["to_handler"]))
    lines.append(row("snapshot: REPORT Restore Duration", snap["reported"]))
    lines.append(row("snapshot: REPORT Duration (1st)", snap["report_duration"]))
    lines.append(row("cold: start (wall - handler)", cold["start"], ".1f"))
    lines.append(row("cold: request -> handler", cold["to_handler"], ".1f"))
    lines.append(row("cold: REPORT Init Duration", cold["reported"], ".1f"))
    lines.append(row("warm: request -> handler (2nd invoke)", snap["warm_to_handler"]))
    active = sorted(result["publish_to_active_ms"])
    lines.append(
        f"PublishVersion -> Active: median {active[len(active) // 2]:.0f} ms, "
        f"max {active[-1]:.0f} ms over {len(active)} versions (the snapshot's init included)"
    )
    lines.append("")
    ratio50 = cold["start"]["p50"] / snap["start"]["p50"]
    ratio99 = cold["start"]["p99"] / snap["start"]["p99"]
    lines.append(
        f"cold / snapshot start: p50 x{ratio50:.0f}, p99 x{ratio99:.0f}; snapshot start over a "
        f"warm invoke (p50 request -> handler): "
        f"{snap['to_handler']['p50'] - snap['warm_to_handler']['p50']:+.2f} ms"
    )
    for kind, s in (("snapshot", snap), ("cold", cold)):
        if s["not_new"]:
            lines.append(
                f"  WARNING: {s['not_new']} {kind} invokes reused an environment (left out)"
            )
    lines.append("")
    lines += table_header("memory per environment, MB")
    lines.append(row("snapshot env USS (one alive)", snap["uss_mb"]))
    lines.append(row("snapshot env PSS (one alive)", snap["pss_mb"]))
    lines.append(row("snapshot env RSS", snap["rss_mb"]))
    for b in result["bursts"]:
        if b["kind"] == "snapshot" and b["uss_mb"]["n"]:
            label = f"snapshot env USS ({b['distinct_pids']} alive, hold {b['hold_ms']})"
            lines.append(row(label, b["uss_mb"]))
    lines.append(row("cold env USS", cold["uss_mb"]))
    lines.append(row("cold env RSS", cold["rss_mb"]))
    if result["zygote"]:
        z = result["zygote"]
        lines.append(
            f"  the snapshot holder (zygote): USS {z['uss_mb']:.1f}, RSS {z['rss_mb']:.1f} MB "
            "(paid once per version)"
        )
    lines.append("")
    if result["bursts"]:
        header = (
            f"{'concurrent first invokes':<26}{'n':>5}{'hold':>6}{'served s':>10}"
            f"{'lat p50':>9}{'lat max':>9}{'new envs':>9}{'restore/init p50':>17}{'max':>9}"
            f"{'failed':>7}"
        )
        lines += [header, "-" * len(header)]
        for b in result["bursts"]:
            lines.append(
                f"{b['kind']:<26}{b['count']:>5}{b['hold_ms']:>6}{b['served_s']:>10.3f}"
                f"{b['latency_ms']['p50']:>9.1f}{b['latency_ms']['max']:>9.1f}"
                f"{b['new_environments']:>9}{b['reported']['p50']:>17.1f}"
                f"{b['reported']['max']:>9.1f}{b['failed']:>7}"
            )
            if len(b["served_s_runs"]) > 1:
                runs = ", ".join(f"{x:.3f}" for x in b["served_s_runs"])
                lines.append(f"  served s of each run: {runs} (the median run is shown)")
            for failure in b["failures"]:
                lines.append(f"  failure: {failure}")
        lines.append(
            "  served = barrier release to the last response; lat = per-invoke latency (ms); "
            "new envs = invokes whose REPORT shows Restore/Init Duration; hold = handler sleep"
        )
        lines.append("")
    for phase, by_step in result["trace"].items():
        lines += table_header(f"trace: {phase}, ms")
        for step, s in by_step.items():
            lines.append(row(step, s, ".3f"))
        lines.append("")
    lines.append(summary_line(result))
    return "\n".join(lines)


def summary_line(result: dict[str, Any]) -> str:
    snap, cold, met = result["snapshot"], result["cold"], goals(result)
    line = (
        f"SUMMARY: snapshot start p50 {snap['start']['p50']:.2f} ms, p99 "
        f"{snap['start']['p99']:.2f} ms (goals <= {GOAL_START_P50_MS:.0f}/"
        f"{GOAL_START_P99_MS:.0f} ms: {verdict(met['start_p50'])}/{verdict(met['start_p99'])}); "
        f"cold start p50 {cold['start']['p50']:.0f} ms, p99 {cold['start']['p99']:.0f} ms "
        f"(x{cold['start']['p50'] / snap['start']['p50']:.0f} at p50); restored env USS p50 "
        f"{snap['uss_mb']['p50']:.1f} MB, max {snap['uss_mb']['max']:.1f} MB vs cold "
        f"{cold['uss_mb']['p50']:.1f} MB (goal <= {GOAL_USS_MB:.0f} MB: {verdict(met['uss_p50'])})"
    )
    for b in result["bursts"]:
        if b["hold_ms"] == 0:
            line += f"; {b['count']} concurrent first {b['kind']} invokes in {b['served_s']:.3f} s"
            if "burst_100" in met and b["kind"] == "snapshot":
                line += f" (goal <= {GOAL_BURST_S} s: {verdict(met['burst_100'])})"
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--snap", type=int, default=200, help="snapshot starts measured")
    parser.add_argument("--cold", type=int, default=30, help="cold starts measured")
    parser.add_argument("--rounds", type=int, default=5, help="alternating batches per kind")
    parser.add_argument(
        "--burst", type=int, default=100, help="concurrent snapshot starts (0: skip)"
    )
    parser.add_argument(
        "--cold-burst", type=int, default=20, help="concurrent cold starts (0: skip)"
    )
    parser.add_argument(
        "--gap-ms",
        type=float,
        default=100.0,
        help="idle time before each measured start (0: back to back, which flatters cgroup "
        "joins; see the docstring)",
    )
    parser.add_argument(
        "--burst-repeat",
        type=int,
        default=3,
        help="snapshot bursts per configuration (the median is reported; they are noisy)",
    )
    parser.add_argument(
        "--hold-ms", type=int, default=200, help="handler sleep in the second snapshot burst"
    )
    parser.add_argument("--runtime", default="python3.12", help="the function's Runtime")
    parser.add_argument(
        "--numpy-in",
        choices=("auto", "layer", "zip"),
        default="auto",
        help="where numpy goes; auto: a layer if the server has the API and a snapshot can "
        "import from it, else the function zip",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument(
        "--stratus-src",
        type=Path,
        help="run the server on the stratus package under this directory (e.g. an "
        "instrumented copy of src/), instead of the installed one",
    )
    parser.add_argument(
        "--trace",
        action="store_true",
        help="set STRATUS_BENCH_TRACE for the server and summarize what an instrumented "
        "copy writes there",
    )
    parser.add_argument(
        "--work-parent",
        type=Path,
        default=default_work_parent(),
        help="where the temporary data directory and the numpy cache go (default: ~/.cache; "
        "not /tmp, which Stratus may hide from environments behind a private /tmp)",
    )
    args = parser.parse_args(argv)

    return main_in_workdir(
        lambda work: run(args, work),
        render,
        work_parent=args.work_parent,
        prefix="stratus-bench-snap-",
        as_json=args.json,
    )


if __name__ == "__main__":
    sys.exit(main())
