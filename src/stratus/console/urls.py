"""Where the console's pages live: the server routes them, the CLI prints them. Kept free
of imports so the CLI can name a page without loading the server."""

from __future__ import annotations

from urllib.parse import quote

PREFIX = "/_stratus"


def machine_path(name: str) -> str:
    return f"{PREFIX}/workflows/{quote(name)}"


def execution_path(arn: str) -> str:
    """An execution's page (ARNs keep their colons: they are legal in a path)."""
    return f"{PREFIX}/executions/{quote(arn, safe=':')}"
