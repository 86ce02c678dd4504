"""ListEventSourceMappings' filter by function and its paging marker."""

from __future__ import annotations

import base64
import binascii

from stratus.errors import Invalid


def names_function(name: str, function_arn: str) -> bool:
    """ListEventSourceMappings' FunctionName filter: a name, a partial or a full ARN, with
    or without a qualifier; unqualified matches every qualifier of that function."""
    parts = function_arn.split(":")
    wanted = name.split(":")
    if name.startswith("arn:"):
        wanted = wanted[6:]
    elif len(wanted) >= 3 and wanted[1] == "function":
        wanted = wanted[2:]
    if wanted[0] != parts[6]:
        return False
    return len(wanted) == 1 or (len(parts) > 7 and parts[7] == wanted[1])


def marker(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def unmarker(marker: str | None) -> int:
    if not marker:
        return 0
    try:
        return int(base64.urlsafe_b64decode(marker.encode()).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Invalid(f"Invalid Marker: {marker!r}") from exc
