"""Hot reload: from a save to the first answer of the new code, as `stratus up` does it.

    python bench/reload.py [--saves 5] [--deps-mb 21]

Two SAM functions, each in a stack of its own on one server (a child process, as `stratus up`
talks to one): `small` (a handler alone) and `deps` (the same handler with a dependency of
about `--deps-mb` MB of pure-Python modules, from a wheel made on the spot: no network).
Each is deployed and reloaded the way `stratus up` reloads (`StackApp.reload` after the file
watcher reports the save), then invoked until it answers with the new code. Every case runs
with the automatic dependency layer (today's path) and without it (`--no-dependency-layer`:
the whole package zipped and uploaded on each save, as before), in the same run, and with
`stratus:snapshot-latest` on (the first request after a save should be a snapshot restore).
`--only "whole zip"` with PYTHONPATH=<an older tree>/src:bench times that tree's reloads
(before the dependency layer, the faster polls, the lint memo and eager snapshots).
Printed, never asserted: the median (and range) of save -> new answer, and its parts.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from build import make_wheel  # bench/build.py

from stratus.cli.stack_up import StackApp
from stratus.cli.watch import Changes, Watcher
from stratus.testing import serve_in_process

RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
MODULE_KB = 8
HANDLER = (
    "# {label}\n{imports}\nVALUE = {value}\n\ndef handler(event, context):\n    return VALUE\n"
)


def template(snapshot: bool) -> str:
    tags = "      Tags:\n        stratus:snapshot-latest: 'true'\n" if snapshot else ""
    return (
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
        "    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: fn\n"
        f"      Handler: app.handler\n      Runtime: {RUNTIME}\n      Timeout: 30\n{tags}"
    )


class Timed(StackApp):
    """StackApp with its two reload steps timed."""

    parts: dict[str, float]

    def _package(self, progress: Any) -> dict[str, Any]:
        started = time.monotonic()
        try:
            return super()._package(progress)
        finally:
            self.parts["package"] = time.monotonic() - started

    def _apply(self, packaged: dict[str, Any], show: Any) -> Any:
        started = time.monotonic()
        try:
            return super()._apply(packaged, show)
        finally:
            self.parts["update stack"] = time.monotonic() - started


def make_app(root: Path, wheels: Path | None, snapshot: bool) -> Path:
    """The app of one case; its handler names the case, so no two cases share a package."""
    code = root / "fn"
    code.mkdir(parents=True)
    imports = "import biglib" if wheels else ""
    (code / "app.py").write_text(HANDLER.format(label=root.name, imports=imports, value=0))
    if wheels:
        (code / "requirements.txt").write_text(f"--no-index\n--find-links {wheels}\nbiglib==1.0\n")
    (root / "template.yaml").write_text(template(snapshot))
    return root


def run_case(
    label: str, root: Path, endpoint: str, layer: bool, saves: int, cache: Path
) -> list[dict[str, float]]:
    os.environ["STRATUS_CACHE_DIR"] = str(cache)
    name = f"bench-{root.name}"
    if layer:
        app = Timed(root / "template.yaml", endpoint, name, overrides={}, dependency_layer=True)
    else:  # also runs on a tree from before the dependency layer (PYTHONPATH=<main>/src)
        app = Timed(root / "template.yaml", endpoint, name, overrides={})
        app._dependency_layer = False
    app.parts = {}
    lambda_ = boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(read_timeout=120, retries={"max_attempts": 1}),
    )
    runs: list[dict[str, float]] = []
    with Watcher(root) as watcher:
        app.deploy_first()
        function = next(
            r["PhysicalResourceId"]
            for r in app._cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
            if r["ResourceType"] == "AWS::Lambda::Function"
        )
        invoke(lambda_, function)  # warm: the first save is not the first invoke
        for value in range(1, saves + 1):
            handler = (root / "fn" / "app.py").read_text()
            old = f"VALUE = {value - 1}\n"
            saved = time.monotonic()
            (root / "fn" / "app.py").write_text(handler.replace(old, f"VALUE = {value}\n"))
            changes = wait(lambda: watcher.next_changes(0.05))
            app.parts = {"watch": time.monotonic() - saved}
            app.reload(Changes(changes.paths, saved))
            asked = time.monotonic()
            while (answer := invoke(lambda_, function))[0] != value:
                time.sleep(0.01)
            app.parts["first answer"] = time.monotonic() - asked
            app.parts["init"], app.parts["restores"] = answer[1], answer[2]
            app.parts["total"] = time.monotonic() - saved
            runs.append(dict(app.parts))
    summary = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    total = [r["total"] for r in runs]
    parts = "  ".join(
        f"{k} {v:.2f}" for k, v in summary.items() if k not in ("total", "init", "restores")
    )
    restores = sum(int(r["restores"]) for r in runs)
    print(
        f"{label:<34} save->answer p50 {summary['total']:.2f} s "
        f"({min(total):.2f}-{max(total):.2f})  [{parts}; init or restore "
        f"{summary['init'] * 1000:.0f} ms; restores {restores}/{len(runs)}]",
        flush=True,
    )
    return runs


def invoke(client: Any, function: str) -> tuple[int, float, bool]:
    """The function's answer, its init or restore duration (0 when warm) in seconds, and
    whether it was a snapshot restore."""
    reply = client.invoke(FunctionName=function, Payload=b"{}", LogType="Tail")
    tail = base64.b64decode(reply.get("LogResult", "")).decode(errors="replace")
    init = 0.0
    for word in ("Init Duration: ", "Restore Duration: "):
        if word in tail:
            init = float(tail.split(word)[1].split(" ")[0]) / 1000
    restored = "Restore Duration: " in tail
    return json.loads(reply["Payload"].read()), init, restored


def wait(check: Callable[[], Any], timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (value := check()):
        if time.monotonic() > deadline:
            raise TimeoutError("no save seen")
    return value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=5)
    parser.add_argument("--deps-mb", type=float, default=21.0)
    parser.add_argument("--only", default="", help="run only the cases whose label has this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stratus-bench-", dir="/var/tmp") as tmp:
        work = Path(tmp)
        wheels = work / "wheels"
        make_wheel(wheels, int(args.deps_mb * 1024 / MODULE_KB), MODULE_KB)
        (work / "data").mkdir()
        with serve_in_process(work / "data") as server:
            endpoint = server.endpoint_url
            for snapshot in (False, True):
                for deps in (False, True):
                    for layer in (False, True):
                        kind = f"{args.deps_mb:.0f} MB deps" if deps else "small"
                        how = "dependency layer" if layer else "whole zip"
                        snap = ", snapshot" if snapshot else ""
                        label = f"{kind}, {how}{snap}"
                        if args.only not in label:
                            continue
                        root = work / f"{'d' if deps else 's'}{int(layer)}{int(snapshot)}"
                        make_app(root, wheels if deps else None, snapshot)
                        run_case(label, root, endpoint, layer, args.saves, work / "c")


if __name__ == "__main__":
    main()
