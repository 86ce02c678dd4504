"""Object storage throughput: PUT and GET of 1 MB objects (wrk, a C load generator) and of
one big object (curl; 256 MB by default, --big-mb 1024 for the issue's 1 GB), against raw
file work on the same disk in the same run, with the server's memory during the big transfer.

    python bench/objects.py [--big-mb 256] [--seconds 5] [--connections 1,4] [--json]

Baselines (same disk, same run; the server's data dir is beside them):
  * copy:  read a file and write a new one, then fsync it: what a PUT must do at least
           (the server also hashes MD5 and a checksum, and fsyncs before it answers);
  * read:  read the file to nowhere: what a GET must do at least.
Server (`python -m stratus server` as a child): 1 MB objects with wrk (GET of one key; PUT
of one key with a Lua body, each PUT a full durable write) at each --connections; the big
object with `curl -T` (PUT) and `curl -o /dev/null` (GET), the server's RSS sampled every
20 ms (psutil) before and during each. Ratios are server / baseline, MB/s over MB/s.
wrk and curl come from Debian; without them this bench says so and stops. Nothing asserts.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil
from common import (
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

MB = 1000 * 1000
SMALL = 1 * MB
AUTH = (
    "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/s3/aws4_request, "
    "SignedHeaders=host, Signature=0"
)
BLOCK = 8 * 1024 * 1024
COPY_CPU_S = 0.0  # CPU seconds of the last copy_rate


def make_file(path: Path, size: int) -> None:
    with path.open("wb") as out:
        left = size
        while left:
            chunk = os.urandom(min(BLOCK, left))
            out.write(chunk)
            left -= len(chunk)


def copy_rate(source: Path, target: Path) -> float:
    """MB/s of read + write + fsync of `source` into a new file."""
    start = time.perf_counter()
    global COPY_CPU_S
    cpu = time.process_time()
    with source.open("rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, BLOCK)
        dst.flush()
        os.fsync(dst.fileno())
    elapsed = time.perf_counter() - start
    COPY_CPU_S = time.process_time() - cpu
    target.unlink()
    return source.stat().st_size / MB / elapsed


def read_rate(source: Path) -> float:
    start = time.perf_counter()
    with source.open("rb") as src:
        while src.read(BLOCK):
            pass
    return source.stat().st_size / MB / (time.perf_counter() - start)


def small_copies_per_s(source: Path, work: Path, seconds: float) -> float:
    done, deadline = 0, time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < deadline:
        copy_rate(source, work / f"copy-{done}")
        done += 1
    return done / (time.perf_counter() - start)


class RssSampler:
    """Peak RSS of a process, sampled every 20 ms while the block runs, and the CPU seconds
    it spent (a figure the machine's load does not move much, unlike MB/s)."""

    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self.before = self._process.memory_info().rss
        self.peak = self.before
        self.cpu = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def _cpu(self) -> float:
        times = self._process.cpu_times()
        return float(times.user + times.system)

    def __enter__(self) -> RssSampler:
        self._cpu_before = self._cpu()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu = self._cpu() - self._cpu_before


def curl(args: list[str]) -> float:
    """Seconds one curl transfer took (it must answer 200)."""
    start = time.perf_counter()
    out = subprocess.run(
        [
            "curl",
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            f"Authorization: {AUTH}",
            "-H",
            "Expect:",
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    elapsed = time.perf_counter() - start
    if out.strip() != "200":
        raise RuntimeError(f"curl {args} answered {out}")
    return elapsed


def wrk_rate(url: str, connections: int, seconds: int, script: Path | None) -> float:
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s"]
    command += ["-H", f"Authorization: {AUTH}"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk reported errors:\n{out}")
    found = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    if found is None:
        raise RuntimeError(f"no rate in wrk's output:\n{out}")
    return float(found.group(1))


def run(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    small, big = work / "small.bin", work / "big.bin"
    make_file(small, SMALL)
    log(f"writing a {args.big_mb} MB source file")
    make_file(big, args.big_mb * MB)
    lua = work / "put.lua"
    lua.write_text(
        'wrk.method = "PUT"\n'
        f'local f = io.open("{small}", "rb")\nwrk.body = f:read("*all")\nf:close()\n'
    )
    result: dict[str, Any] = {"source": source_description(args.src), "big_mb": args.big_mb}
    result["baseline"] = {
        "copy_mb_s": copy_rate(big, work / "copy.bin"),
        "copy_cpu_s": COPY_CPU_S,
        "read_mb_s": read_rate(big),
        "small_copies_per_s": small_copies_per_s(small, work, args.seconds),
    }
    port = free_port()
    environ = stratus_environ(args.src)
    server = start_child(
        "stratus", stratus_command(port, work / "data"), port, work / "stratus.log", environ
    )
    try:
        s3 = aws_client("s3", port)
        s3.create_bucket(Bucket="bench")
        base = f"http://127.0.0.1:{port}/bench"
        curl(["-T", str(small), f"{base}/small"])
        rows = []
        for connections in args.connections:
            put = wrk_rate(f"{base}/small-put", connections, args.seconds, lua)
            get = wrk_rate(f"{base}/small", connections, args.seconds, None)
            rows.append({"connections": connections, "put_per_s": put, "get_per_s": get})
        result["small"] = rows
        with RssSampler(server.process.pid) as put_memory:
            put_s = curl(["-T", str(big), f"{base}/big"])
        with RssSampler(server.process.pid) as get_memory:
            get_s = curl([f"{base}/big"])
        result["big"] = {
            "put_mb_s": args.big_mb / put_s,
            "get_mb_s": args.big_mb / get_s,
            "server_cpu_s_put": put_memory.cpu,
            "server_cpu_s_get": get_memory.cpu,
            "rss_mb_before_put": put_memory.before / 1e6,
            "rss_mb_peak_put": put_memory.peak / 1e6,
            "rss_mb_before_get": get_memory.before / 1e6,
            "rss_mb_peak_get": get_memory.peak / 1e6,
        }
    finally:
        server.stop()
    return result


def render(r: dict[str, Any]) -> str:
    b, big = r["baseline"], r["big"]
    lines = [
        f"objects bench ({r['source']})",
        f"baseline: copy+fsync {b['copy_mb_s']:.0f} MB/s, read {b['read_mb_s']:.0f} MB/s, "
        f"1 MB copies+fsync {b['small_copies_per_s']:.0f}/s",
        "1 MB objects (wrk):",
    ]
    for row in r["small"]:
        lines.append(
            f"  c={row['connections']:<3} PUT {row['put_per_s']:7.1f}/s "
            f"(x{row['put_per_s'] / b['small_copies_per_s']:.2f} of copies)   "
            f"GET {row['get_per_s']:7.1f}/s ({row['get_per_s']:.0f} MB/s, "
            f"x{row['get_per_s'] / b['read_mb_s']:.2f} of read)"
        )
    lines += [
        f"{r['big_mb']} MB object (curl):",
        f"  PUT {big['put_mb_s']:.0f} MB/s (x{big['put_mb_s'] / b['copy_mb_s']:.2f} of copy), "
        f"server CPU {big['server_cpu_s_put']:.2f} s (copy {b['copy_cpu_s']:.2f} s), "
        f"server RSS {big['rss_mb_before_put']:.0f} -> peak {big['rss_mb_peak_put']:.0f} MB",
        f"  GET {big['get_mb_s']:.0f} MB/s (x{big['get_mb_s'] / b['read_mb_s']:.2f} of read), "
        f"server CPU {big['server_cpu_s_get']:.2f} s, "
        f"server RSS {big['rss_mb_before_get']:.0f} -> peak {big['rss_mb_peak_get']:.0f} MB",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--big-mb", type=int, default=256)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument(
        "--connections", type=lambda s: [int(x) for x in s.split(",")], default=[1, 4]
    )
    parser.add_argument("--src", type=Path, default=Path(__file__).resolve().parents[1] / "src")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    for tool in ("wrk", "curl"):
        if shutil.which(tool) is None:
            print(f"{tool} is needed (apt-get install {tool})", file=sys.stderr)
            return 2
    return main_in_workdir(
        lambda work: run(work, args),
        render,
        work_parent=default_work_parent(),
        prefix="stratus-objects-",
        as_json=args.json,
    )


if __name__ == "__main__":
    sys.exit(main())
