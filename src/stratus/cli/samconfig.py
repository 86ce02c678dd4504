"""samconfig.toml (or .yaml), read as `sam deploy` reads it: the `[<env>.deploy.parameters]`
table over `[<env>.global.parameters]`, for the environment `--config-env` names (`default`
unless given). Flags on the command line win over the file.

    version = 0.1
    [default.deploy.parameters]
    stack_name = "my-app"
    parameter_overrides = "Stage=dev Size=2"      # or a list of "K=V"
    tags = 'team="a" env="dev"'                   # or a list of "K=V"
    capabilities = "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND"   # or a list
"""

from __future__ import annotations

import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import CliError

DEFAULT_FILES = ("samconfig.toml", "samconfig.yaml", "samconfig.yml")


@dataclass(frozen=True)
class DeployConfig:
    path: Path | None = None  # the file read, if any
    stack_name: str | None = None
    parameter_overrides: list[str] = field(default_factory=list)  # "K=V" words
    tags: list[str] = field(default_factory=list)  # "K=V" words
    capabilities: list[str] = field(default_factory=list)


def load(project: Path, config_file: Path | None = None, env: str = "default") -> DeployConfig:
    """The deploy settings of `env` from the project's samconfig (none: all empty)."""
    path = _find(project, config_file)
    if path is None:
        if env != "default":
            raise CliError(f"--config-env {env}: no samconfig.toml in {project}")
        return DeployConfig()
    document = _read(path)
    if env not in document:
        if env == "default":
            return DeployConfig(path)
        raise CliError(
            f"{path} has no environment {env!r}; it has: {', '.join(sorted(document)) or 'none'}"
        )
    section = document[env] if isinstance(document[env], Mapping) else {}
    merged = {**_parameters(section, "global"), **_parameters(section, "deploy")}
    return DeployConfig(
        path=path,
        stack_name=merged.get("stack_name"),
        parameter_overrides=_words(merged.get("parameter_overrides")),
        tags=_words(merged.get("tags")),
        capabilities=_words(merged.get("capabilities")),
    )


def _find(project: Path, config_file: Path | None) -> Path | None:
    if config_file is not None:
        path = config_file if config_file.is_absolute() else project / config_file
        if not path.is_file():
            raise CliError(f"--config-file {config_file}: no such file ({path})")
        return path
    return next((project / n for n in DEFAULT_FILES if (project / n).is_file()), None)


def _read(path: Path) -> dict[str, Any]:
    try:
        if path.suffix == ".toml":
            return tomllib.loads(path.read_text())
        found = yaml.safe_load(path.read_text()) or {}
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from exc
    if not isinstance(found, dict):
        raise CliError(f"cannot read {path}: not a table of environments")
    return found


def _parameters(section: Mapping[str, Any], command: str) -> dict[str, Any]:
    table = section.get(command)
    params = table.get("parameters") if isinstance(table, Mapping) else None
    return dict(params) if isinstance(params, Mapping) else {}


def _words(value: Any) -> list[str]:
    """A list as it is, a string split as a shell would (`K="a b"` stays one word)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    try:
        return shlex.split(str(value))
    except ValueError as exc:
        raise CliError(f"cannot read {value!r} from samconfig: {exc}") from exc
