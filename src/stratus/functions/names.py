"""Function names and ARNs: every form Lambda accepts for FunctionName, and the ARNs it returns.

my-function                                          name
my-function:v1                                       name with qualifier
123456789012:function:my-function[:v1]               partial ARN
arn:aws:lambda:us-east-1:123456789012:function:my-function[:v1]
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from stratus.errors import Invalid, Validation

NAME_PATTERN = r"[a-zA-Z0-9\-_]{1,64}"
QUALIFIER_PATTERN = r"\$LATEST|[a-zA-Z0-9\-_]{1,128}"
_REFERENCE = re.compile(
    r"^(?:arn:(?:aws[a-zA-Z-]*):lambda:(?P<region>[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?"
    r"(?:(?P<account>\d{12}):)?"
    r"(?:function:)?"
    rf"(?P<name>{NAME_PATTERN})"
    rf"(?::(?P<qualifier>{QUALIFIER_PATTERN}))?$"
)


@dataclass(frozen=True, slots=True)
class FunctionRef:
    name: str
    qualifier: str | None = None


@functools.lru_cache(maxsize=4096)  # every invoke parses its name; callers repeat theirs
def parse_reference(value: str, qualifier: str | None = None) -> FunctionRef:
    """Parse a FunctionName parameter; a Qualifier given separately must agree with it."""
    match = _REFERENCE.match(value)
    if not match or len(value) > 170:
        raise Validation(
            f"1 validation error detected: Value '{value}' at 'functionName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?"
            "(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"
        )
    in_name = match.group("qualifier")
    if in_name and qualifier and in_name != qualifier:
        raise Invalid(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    return FunctionRef(match.group("name"), in_name or qualifier)


def function_arn(region: str, account: str, name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn
