"""Expected failures become one red line and exit code 1; never a traceback.

    ClientError (the server said no)     error: <Code>: <Message>
    EndpointConnectionError, timeouts    error: no Stratus server at <URL>; start one ...
    other BotoCoreError                  error: <what botocore says>
    CliError (raised by our own code)    error: <message>

Bad usage stays typer's business (exit 2). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import typer
from typer.core import TyperGroup

from . import console

if TYPE_CHECKING:
    from botocore.exceptions import BotoCoreError

    # typer carries its own copy of click; TyperGroup is handed that copy's Context.
    from typer._click import Context


class CliError(Exception):
    """Something the person can fix, said in words they can act on."""


class ReportingGroup(TyperGroup):
    """The top-level command group: maps expected errors of every sub-command, once."""

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.TyperException, typer.Exit, typer.Abort):
            raise  # usage errors and exits are typer's to report
        except Exception as exc:
            message = describe(exc)
            if message is None:
                raise
            console.error(message)
            raise typer.Exit(1) from None


def describe(exc: Exception) -> str | None:
    """The one-line message for an expected error, or None for a bug."""
    if isinstance(exc, CliError):
        return str(exc)
    # Lazily: botocore is only loaded by commands that talk to a server.
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectionError,
        ReadTimeoutError,
    )

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'Error')}: {error.get('Message', str(exc))}"
    if isinstance(exc, ConnectionError):
        url = _server(exc)
        return f"no Stratus server at {url}; start one with `stratus server`"
    if isinstance(exc, ReadTimeoutError):
        url = _server(exc)
        return f"the Stratus server at {url} did not answer in time"
    if isinstance(exc, BotoCoreError):
        return str(exc)
    return None


def _server(exc: BotoCoreError) -> str:
    # botocore reports the full request URL; the person only needs the server's.
    url = str(exc.kwargs.get("endpoint_url", ""))
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url
