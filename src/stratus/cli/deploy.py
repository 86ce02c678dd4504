"""Deploy a function from local files: package them in memory, then create or update it.

`deploy()` is declarative: whatever the function looked like before, afterwards it has the
source's code and configuration. `stratus functions create` and `stratus up` both end here, and
so will SAM templates.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types_boto3_lambda import LambdaClient
    from types_boto3_lambda.literals import WaiterName
    from types_boto3_lambda.type_defs import FunctionConfigurationResponseTypeDef

DEFAULT_HANDLER = "app.handler"
DEFAULT_RUNTIME = "python3.11"
DEFAULT_MEMORY_MB = 128
DEFAULT_TIMEOUT_S = 3
# Stratus checks that a role looks like an IAM role ARN; it grants nothing.
ROLE_ARN = "arn:aws:iam::000000000000:role/stratus-cli"
# Never part of a function: caches and tool state that only bloat the package.
SKIPPED_DIRS = frozenset({"__pycache__", ".git", ".hg", ".venv", ".mypy_cache", ".ruff_cache"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")
# A fixed timestamp makes the same files give the same zip, so CodeSha256 only changes with
# the code.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class BadPackage(ValueError):
    """The code path is neither a directory of files nor a .zip archive."""


@dataclass(frozen=True, slots=True)
class FunctionSource:
    """One function as the person describes it: where its code is and how it runs."""

    name: str
    code: Path
    handler: str = DEFAULT_HANDLER
    runtime: str = DEFAULT_RUNTIME
    memory_mb: int = DEFAULT_MEMORY_MB
    timeout_s: int = DEFAULT_TIMEOUT_S
    environment: Mapping[str, str] = field(default_factory=dict)
    description: str = ""

    def configuration(self) -> dict[str, Any]:
        """The settings CreateFunction and UpdateFunctionConfiguration share."""
        return {
            "Handler": self.handler,
            "Runtime": self.runtime,
            "MemorySize": self.memory_mb,
            "Timeout": self.timeout_s,
            "Environment": {"Variables": dict(self.environment)},
            "Description": self.description,
            "Role": ROLE_ARN,
        }


@dataclass(frozen=True, slots=True)
class Deployed:
    configuration: FunctionConfigurationResponseTypeDef  # the function's, after the deploy
    created: bool  # False when an existing function was updated


def package(code: Path) -> bytes:
    """A zip of `code` (a directory), or the bytes of `code` when it already is a zip."""
    if code.is_dir():
        return _zip_directory(code)
    if code.is_file() and zipfile.is_zipfile(code):
        return code.read_bytes()
    raise BadPackage(f"{code} is neither a directory nor a .zip file")


def create(client: LambdaClient, source: FunctionSource) -> FunctionConfigurationResponseTypeDef:
    """CreateFunction, then wait (as AWS requires) until the function is Active."""
    client.create_function(
        FunctionName=source.name, Code={"ZipFile": package(source.code)}, **source.configuration()
    )
    _wait(client, "function_active_v2", source.name)
    return _configuration(client, source.name)


def deploy(client: LambdaClient, source: FunctionSource) -> Deployed:
    """Create the function, or bring an existing one up to date with `source`."""
    try:
        return Deployed(create(client, source), created=True)
    except client.exceptions.ResourceConflictException:
        pass  # it exists: update it below
    client.update_function_code(FunctionName=source.name, ZipFile=package(source.code))
    # AWS refuses a configuration update while the code update is in progress.
    _wait(client, "function_updated_v2", source.name)
    client.update_function_configuration(FunctionName=source.name, **source.configuration())
    _wait(client, "function_updated_v2", source.name)
    return Deployed(_configuration(client, source.name), created=False)


def _wait(client: LambdaClient, waiter: WaiterName, name: str) -> None:
    # Stratus is ready at once, so this is one GetFunction; against AWS it really waits.
    client.get_waiter(waiter).wait(FunctionName=name, WaiterConfig={"Delay": 1})


def _configuration(client: LambdaClient, name: str) -> FunctionConfigurationResponseTypeDef:
    return client.get_function_configuration(FunctionName=name)


def _zip_directory(root: Path) -> bytes:
    buffer = io.BytesIO()
    count = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in _files(root):
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), ZIP_EPOCH)
            # Keep permission bits: executables (a custom `bootstrap`) must stay executable.
            info.external_attr = (path.stat().st_mode & 0o777) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, path.read_bytes())
            count += 1
    if not count:
        raise BadPackage(f"{root} has no files to deploy")
    return buffer.getvalue()


def _files(root: Path) -> Iterator[Path]:
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in SKIPPED_DIRS)
        for name in sorted(files):
            if not name.endswith(SKIPPED_SUFFIXES):
                yield Path(directory) / name
