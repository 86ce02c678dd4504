"""Input and output members every part of the Lambda API reads or writes the same way."""

from __future__ import annotations

from typing import Any

from stratus.functions.names import FunctionRef, parse_reference


def ref(params: dict[str, Any]) -> FunctionRef:
    """The function (and version or alias) named by FunctionName and Qualifier."""
    return parse_reference(params["FunctionName"], params.get("Qualifier"))


def listed(key: str, items: list[Any], next_marker: str | None) -> dict[str, Any]:
    """A page of a List call: the items, and NextMarker when there are more."""
    return {key: items, "NextMarker": next_marker} if next_marker else {key: items}
