"""Layers AWS publishes from its own accounts, which SAM templates name by ARN: Powertools
for AWS Lambda (Python), `arn:aws:lambda:<region>:017000801446:layer:AWSLambdaPowertools
Python[V2|V3-python3XX-<arch>]:<n>`.

Stratus cannot fetch AWS's archives, so it builds the layer from the package index instead:
the newest release of the layer's major version (`aws-lambda-powertools>=3,<4` for V3), for
the Python the layer's name gives, wheels under `python/` as the layer has them. V2's and V3's
layers hold every extra (`[all]`: aws-xray-sdk for Tracer, fastjsonschema for Validation,
pydantic for Parser, ...) but not the SDK and its dependencies, which the runtime brings: AWS
builds them so (powertools-lambda-python, layer_v3/docker/Dockerfile), and templates' Tracer
and Validation users import them from the layer alone.
A layer whose name gives no Python (V1's, V2's first) serves every Python runtime, so it is
built for the oldest one Lambda still runs (OLDEST_PYTHON): its dependencies (V1 brings
boto3 and urllib3) then import on python3.9 as on python3.13, where a build for the server's
Python carried a urllib3 that python3.9 cannot import.
Which release a layer number holds is AWS's table, not Stratus's: the newest of the major
stands in for every number (the server's log says which). Built once per data directory, on
the first function that names it; without the package index it is refused, saying why.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from stratus.runtime.interpreters import interpreter_for
from stratus.runtime.sdk import installed_version, pip_install

log = logging.getLogger("stratus.functions")

POWERTOOLS_ACCOUNT = "017000801446"
OLDEST_PYTHON = "3.9"  # the oldest Python runtime Lambda still runs (and Stratus serves)
_POWERTOOLS = re.compile(
    r"^AWSLambdaPowertoolsPython(?:V(?P<major>[23]))?"
    r"(?:-python3(?P<minor>\d+)-(?:x86_64|arm64))?$"
)


def requirement(account: str, name: str) -> tuple[str, str] | None:
    """(pip requirement, Python version) for a public layer Stratus can build."""
    found = _POWERTOOLS.match(name) if account == POWERTOOLS_ACCOUNT else None
    if found is None:
        return None
    major = int(found["major"] or 1)
    python = f"3.{found['minor']}" if found["minor"] else OLDEST_PYTHON
    extras = "[all]" if major >= 2 else ""  # V1's extras were in its own dependencies
    return f"aws-lambda-powertools{extras}>={major},<{major + 1}", python


def build(wanted: str, python: str) -> bytes:
    """The layer's zip: `wanted` and its dependencies under python/ (V2's and V3's leave
    boto3 to the runtime, as on Lambda; V1's requires it), for `python`. Raises PipFailed."""
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "python"
        interpreter = interpreter_for(f"python{python}")
        if interpreter.exact:
            # That Python's own pip skips releases whose Requires-Python excludes it; the
            # server's, told --python-version, does not when the index omits
            # data-requires-python (and installed a urllib3 python3.9 cannot import).
            pip_install(interpreter.path, target, wanted)
        else:
            pip_install(sys.executable, target, wanted, python_version=python)
        if "[all]" in wanted:
            _leave_the_sdk_to_the_runtime(target)
        built = installed_version(target, "aws_lambda_powertools")
        log.info("public layer: %s built from %s", wanted, built)
        return _zipped(Path(scratch))


# What AWS's build removes from the extras' install: boto3, botocore and their dependencies.
_SDK = ("boto*", "s3transfer*", "*dateutil*", "urllib3*", "six*", "jmespath*")


def _leave_the_sdk_to_the_runtime(target: Path) -> None:
    for pattern in _SDK:
        for path in target.glob(pattern):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


def _zipped(root: Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for directory, _, files in sorted(os.walk(root)):
            for name in sorted(files):
                path = Path(directory) / name
                if "__pycache__" not in path.parts:
                    archive.write(path, path.relative_to(root).as_posix())
    return out.getvalue()
