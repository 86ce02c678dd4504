"""`stratus invoke`: call a function and show what it returned, as a person wants to read it.

stdout gets the result payload only (pretty JSON), so `stratus invoke f | jq` works; the log
tail and errors go to stderr.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from . import console, names
from .client import DEFAULT_ENDPOINT_URL, EndpointUrl, client


def read_payload(value: str) -> str:
    """The event as JSON text: given inline, or `@file` (`@-` for stdin); checked before sending."""
    if value.startswith("@"):
        source = value[1:]
        try:
            value = sys.stdin.read() if source == "-" else Path(source).read_text()
        except OSError as exc:
            raise typer.BadParameter(f"cannot read {source}: {exc.strerror}") from exc
    try:
        json.loads(value)
    except ValueError as exc:
        raise typer.BadParameter(f"not valid JSON ({exc})") from exc
    return value


def invoke(
    name: Annotated[
        str, typer.Argument(help="Function name or ARN; with --stack, its logical id.")
    ],
    payload: Annotated[
        str,
        typer.Option(
            "--payload",
            "-p",
            callback=read_payload,
            help="The event: JSON, or @file with JSON in it (@- reads stdin).",
        ),
    ] = "{}",
    qualifier: Annotated[str | None, typer.Option(help="Version or alias to invoke.")] = None,
    log: Annotated[
        bool, typer.Option("--log", help="Print the invocation's log tail to stderr.")
    ] = False,
    async_: Annotated[
        bool,
        typer.Option("--async", help="Queue the event (InvocationType Event); print its id."),
    ] = False,
    stack: Annotated[
        str | None, typer.Option("--stack", help="Find NAME among this stack's functions.")
    ] = None,
    endpoint_url: EndpointUrl = DEFAULT_ENDPOINT_URL,
) -> None:
    """Invoke a function and print its result; exit 1 if the function failed."""
    if async_ and log:
        raise typer.BadParameter(
            "cannot be used with --async: only a synchronous invoke returns a log tail",
            param_hint="--log",
        )
    if stack is not None:
        name = names.in_stack(client("cloudformation", endpoint_url), stack, name)
    request: dict[str, Any] = {"FunctionName": name, "Payload": payload.encode()}
    if qualifier:
        request["Qualifier"] = qualifier
    lambda_ = client("lambda", endpoint_url)
    try:
        if async_:
            response = lambda_.invoke(InvocationType="Event", **request)
            console.stdout().print(response["ResponseMetadata"]["RequestId"], markup=False)
            return
        response = lambda_.invoke(LogType="Tail" if log else "None", **request)
    except lambda_.exceptions.ResourceNotFoundException:
        if not qualifier and not name.startswith("arn:"):  # say which names there are
            names.check_function(lambda_, client("cloudformation", endpoint_url), name)
        raise
    if log and response.get("LogResult"):
        tail = base64.b64decode(response["LogResult"]).decode(errors="replace")
        # \r joins the lines of one multi-line record; on a terminal it would overwrite them.
        tail = tail.replace("\r", "\n")
        sys.stderr.write(tail if tail.endswith("\n") else tail + "\n")
        sys.stderr.flush()
    result = response["Payload"].read().decode(errors="replace")
    _print_result(result)
    if response.get("FunctionError"):
        console.error(_describe_failure(response["FunctionError"], result))
        raise typer.Exit(1)


def _print_result(text: str) -> None:
    try:
        console.stdout().print_json(data=json.loads(text))
    except ValueError:
        console.stdout().print(text, markup=False)


def _describe_failure(kind: str, result: str) -> str:
    """`function failed (Unhandled): ValueError: boom`, from Lambda's error payload."""
    try:
        body = json.loads(result)
        detail = f"{body['errorType']}: {body['errorMessage']}"
    except (ValueError, KeyError, TypeError):
        detail = result.strip() or "no details"
    return f"function failed ({kind}): {detail}"
