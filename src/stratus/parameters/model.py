"""A parameter version as Parameter Store keeps it, and the checks on names, values and
labels that AWS makes (its limits and words)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from stratus.errors import Invalid, NotFound

TYPES = ("String", "StringList", "SecureString")
DEFAULT_KEY_ID = "alias/aws/ssm"
MAX_NAME = 2048
MAX_LEVELS = 15
MAX_VALUE = {"Standard": 4096, "Advanced": 8192}
MAX_VERSIONS = 100
MAX_LABELS = 10  # per version
_NAME = re.compile(r"^[a-zA-Z0-9_.\-/]+$")
_LABEL = re.compile(r"^[a-zA-Z0-9_.\-]+$")


class ParameterVersionNotFound(NotFound):
    """SSM's ParameterVersionNotFound (a version or label the parameter does not have)."""


class PatternMismatch(Invalid):
    """SSM's ParameterPatternMismatchException."""


class TooManyVersions(Invalid):
    """SSM's ParameterMaxVersionLimitExceeded."""


class HierarchyTooDeep(Invalid):
    """SSM's HierarchyLevelLimitExceededException."""


@dataclass
class Version:
    name: str
    type: str
    value: str  # ciphertext for a SecureString
    version: int
    modified: float  # epoch seconds
    description: str | None = None
    allowed_pattern: str | None = None
    key_id: str | None = None
    tier: str = "Standard"
    data_type: str = "text"
    user: str = "arn:aws:iam::000000000000:root"

    def dump(self) -> dict[str, Any]:
        return asdict(self)


def check_name(name: str) -> None:
    if len(name) > MAX_NAME:
        raise Invalid(f"Parameter name {name[:64]}... is longer than {MAX_NAME} characters.")
    if not _NAME.match(name):
        raise Invalid(
            'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If '
            "formed as a path, it can consist of sub-paths divided by slash symbol; each "
            "sub-path can be formed as a mix of letters, numbers and the following 3 symbols "
            ".-_"
        )
    bare = name.lstrip("/").lower()
    if bare.startswith(("aws", "ssm")):
        raise Invalid('Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).')
    if "/" in name and not name.startswith("/"):
        raise Invalid("Parameter name must be a fully qualified name.")
    if name.count("/") > MAX_LEVELS:
        raise HierarchyTooDeep(
            f"A hierarchy can have a maximum of {MAX_LEVELS} levels. {name} has {name.count('/')}."
        )


def check_label(label: str) -> bool:
    """Whether a label is one AWS accepts (the others come back as InvalidLabels)."""
    return (
        0 < len(label) <= 100
        and bool(_LABEL.match(label))
        and not label[0].isdigit()
        and not label.lower().startswith(("aws", "ssm"))
    )


def split_selector(name: str) -> tuple[str, str | None]:
    """`/a/b:3` or `/a/b:prod` -> ("/a/b", "3" / "prod"); an ARN gives its name."""
    if name.startswith("arn:") and ":parameter/" in name:
        name = name.split(":parameter/", 1)[1]  # "/"-less: the service tries both forms
    base, colon, selector = name.partition(":")
    return base, (selector if colon else None)


def arn(region: str, account_id: str, name: str) -> str:
    path = name if name.startswith("/") else "/" + name
    return f"arn:aws:ssm:{region}:{account_id}:parameter{path}"
