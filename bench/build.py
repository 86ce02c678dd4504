"""Build and package times for a SAM function with a sizeable dependency.

    python bench/build.py [--modules 2000] [--module-kb 8]

Makes a local wheel of `--modules` modules (about modules x module-kb of code: a stand-in for
a real library, so no network is needed), a SAM template with one function that requires it,
and a server (in this process, on a temporary data directory). Then times
`build_and_package` three ways: the first time (pip runs), again unchanged (dependencies from
the cache, zips reused, nothing uploaded), and after a one-line change to the handler (the
function's zip is made and uploaded again). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import random
import string
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from stratus.cli.package import build_and_package
from stratus.testing import serve_in_thread


def make_wheel(directory: Path, modules: int, module_kb: int) -> None:
    rng = random.Random(6)

    def module() -> str:
        # Varied names and numbers: compresses about as well as real code, unlike repeats.
        lines, size = [], 0
        while size < module_kb * 1024:
            name = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 14)))
            lines.append(f"def {name}(x):\n    return x * {rng.randint(0, 10**9)} + {name!r}\n")
            size += len(lines[-1])
        return "".join(lines)

    entries = {f"biglib/m{i:05d}.py": module() for i in range(modules)}
    entries["biglib/__init__.py"] = "VALUE = 42\n"
    info = "biglib-1.0.dist-info"
    entries[f"{info}/METADATA"] = "Metadata-Version: 2.1\nName: biglib\nVersion: 1.0\n"
    entries[f"{info}/WHEEL"] = "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = []
    for path, text in entries.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    entries[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    directory.mkdir(parents=True)
    with zipfile.ZipFile(directory / "biglib-1.0-py3-none-any.whl", "w") as wheel:
        for path, text in entries.items():
            wheel.writestr(path, text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--modules", type=int, default=2000)
    parser.add_argument("--module-kb", type=int, default=8)
    args = parser.parse_args()
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    with tempfile.TemporaryDirectory(prefix="stratus-bench-", dir="/var/tmp") as tmp:
        root = Path(tmp)
        make_wheel(root / "wheels", args.modules, args.module_kb)
        app = root / "app" / "hello"
        app.mkdir(parents=True)
        (app / "app.py").write_text("import biglib\n\ndef handler(e, c):\n    return 1\n")
        (app / "requirements.txt").write_text(
            f"--no-index\n--find-links {root / 'wheels'}\nbiglib==1.0\n"
        )
        (root / "app" / "template.yaml").write_text(
            "Transform: AWS::Serverless-2016-10-31\nResources:\n  Hello:\n"
            "    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: hello\n"
            f"      Handler: app.handler\n      Runtime: {runtime}\n"
        )
        with serve_in_thread(root / "data") as server:

            def timed(label: str) -> None:
                started = time.perf_counter()
                build_and_package(
                    root / "app", server.endpoint_url, quiet=True, cache_dir=root / "cache"
                )
                print(f"{label:<44} {time.perf_counter() - started:7.3f} s")

            size = args.modules * args.module_kb / 1024
            print(f"one function, dependency of {args.modules} modules (~{size:.0f} MB)")
            timed("first build + package (pip runs)")
            timed("again, unchanged (cache, zip reused)")
            (app / "app.py").write_text("import biglib\n\ndef handler(e, c):\n    return 2\n")
            timed("after a one-line handler change")


if __name__ == "__main__":
    main()
