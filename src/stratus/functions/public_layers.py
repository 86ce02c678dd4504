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
import sys
import tempfile
import zipfile
from pathlib import Path

from stratus.runtime.sdk import installed_version, pip_install

log = logging.getLogger("stratus.functions")

POWERTOOLS_ACCOUNT = "017000801446"
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
    runtime, as on Lambda). Raises PipFailed."""
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "python"
        pip_install(sys.executable, target, wanted, python_version=python)
        built = installed_version(target, "aws_lambda_powertools")
        log.info("public layer: %s built from %s", wanted, built)
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
