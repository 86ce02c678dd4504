"""Paging a list the way AWS's NextToken APIs do, for lists held whole in memory.

A NextToken names the key of the first item of the next page (base64), not a position, so
items added or removed while a client pages neither repeat nor hide the ones that stay.
A token that does not decode, or whose item is gone, is Invalid.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from stratus.errors import Invalid

T = TypeVar("T")


def page(
    items: list[T], token: str | None, key: Callable[[T], str], size: int
) -> tuple[list[T], str | None]:
    """One page of `items` from the one `token` names, and the token of the next."""
    start = 0
    if token:
        try:
            wanted = base64.urlsafe_b64decode(token.encode()).decode()
        except (binascii.Error, UnicodeError, ValueError):
            raise Invalid(f"Invalid NextToken: {token}") from None
        keys = [key(item) for item in items]
        if wanted not in keys:
            raise Invalid("The NextToken is no longer valid; list again without it.")
        start = keys.index(wanted)
    found = items[start : start + size]
    if start + size >= len(items):
        return found, None
    return found, base64.urlsafe_b64encode(key(items[start + size]).encode()).decode()


def answer(
    member: str,
    items: list[T],
    request: Mapping[str, Any],
    size: int,
    key: Callable[[T], str],
) -> dict[str, Any]:
    """A MaxResults/NextToken API's answer: `{member: page}` and its NextToken, if any;
    MaxResults above `size` (the API's largest page) gives `size`."""
    limit = min(int(request.get("MaxResults") or size), size)
    found, token = page(items, request.get("NextToken"), key, limit)
    out: dict[str, Any] = {member: found}
    if token:
        out["NextToken"] = token
    return out
