"""Layers AWS publishes from its own accounts, which SAM templates name by ARN: Powertools
for AWS Lambda (Python), `arn:aws:lambda:<region>:017000801446:layer:AWSLambdaPowertools
Python[V2|V3-python3XX-<arch>]:<n>`.

Stratus cannot fetch AWS's archives, so it builds the layer from the package index instead:
the newest release of the layer's major version (`aws-lambda-powertools>=3,<4` for V3), for
the Python the layer's name gives, pure-Python wheels under `python/` as the layer has them.
Which release a layer number holds is AWS's table, not Stratus's: the newest of the major
stands in for every number (the server's log says which). Built once per data directory, on
the first function that names it; without the package index it is refused, saying why.
"""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

log = logging.getLogger("stratus.functions")

POWERTOOLS_ACCOUNT = "017000801446"
BUILD_TIMEOUT_S = 600.0
_POWERTOOLS = re.compile(
    r"^AWSLambdaPowertoolsPython(?:V(?P<major>[23]))?"
    r"(?:-python3(?P<minor>\d+)-(?:x86_64|arm64))?$"
)


def requirement(account: str, name: str) -> tuple[str, str | None] | None:
    """(pip requirement, Python version or None) for a public layer Stratus can build."""
    found = _POWERTOOLS.match(name) if account == POWERTOOLS_ACCOUNT else None
    if found is None:
        return None
    major = int(found["major"] or 1)
    python = f"3.{found['minor']}" if found["minor"] else None
    return f"aws-lambda-powertools>={major},<{major + 1}", python


def build(wanted: str, python: str | None) -> bytes:
    """The layer's zip: `wanted` and its dependencies under python/ (boto3 comes with the
    runtime, as on Lambda). Raises CalledProcessError / TimeoutExpired / OSError."""
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "python"
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-warn-script-location", "--only-binary=:all:", "--target", str(target),
        ]  # fmt: skip
        if python is not None:
            command += ["--python-version", python]
        subprocess.run([*command, wanted], check=True, capture_output=True, timeout=BUILD_TIMEOUT_S)
        installed = sorted(p.name for p in target.glob("aws_lambda_powertools-*.dist-info"))
        log.info("public layer: %s built from %s", wanted, installed[0] if installed else "?")
        return _zipped(Path(scratch))


def _zipped(root: Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for directory, _, files in sorted(os.walk(root)):
            for name in sorted(files):
                path = Path(directory) / name
                if "__pycache__" not in path.parts:
                    archive.write(path, path.relative_to(root).as_posix())
    return out.getvalue()
