"""What `stratus up DIR` deploys.

Today a project is one function made from the folder's files, named after the folder. A later
issue reads a SAM template.yaml here instead and returns one FunctionSource per
AWS::Serverless::Function; everything after loading (deploy, panel, logs) already takes many.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .deploy import DEFAULT_HANDLER, DEFAULT_RUNTIME, FunctionSource
from .errors import CliError

# Lambda function names: letters, digits, hyphens and underscores, at most 64 of them.
_NOT_IN_NAMES = re.compile(r"[^A-Za-z0-9_-]+")
NAME_LIMIT = 64


@dataclass(frozen=True, slots=True)
class Project:
    root: Path
    functions: tuple[FunctionSource, ...]


def load_project(
    root: Path,
    *,
    name: str | None = None,
    handler: str = DEFAULT_HANDLER,
    runtime: str = DEFAULT_RUNTIME,
) -> Project:
    root = root.resolve()
    _check_handler(root, handler)
    function = FunctionSource(
        name=name or function_name_for(root), code=root, handler=handler, runtime=runtime
    )
    return Project(root, (function,))


def function_name_for(folder: Path) -> str:
    """A valid function name from a folder's name: `my app` -> `my-app`."""
    name = _NOT_IN_NAMES.sub("-", folder.name).strip("-")[:NAME_LIMIT]
    if not name:
        raise CliError(f"cannot make a function name from {folder}; pass --name")
    return name


def _check_handler(root: Path, handler: str) -> None:
    # Caught here, the mistake costs one line; caught at invoke time, a Runtime.ImportModuleError.
    module, _, function = handler.rpartition(".")
    if not module or not function:
        raise CliError(f"handler {handler!r} must look like module.function (e.g. app.handler)")
    path = root / module.replace(".", "/")
    if not (path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()):
        raise CliError(
            f"{root} has no {module.replace('.', '/')}.py for handler {handler!r}; "
            "pass --handler module.function"
        )
