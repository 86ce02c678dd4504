"""`stratus functions ...`: create, list and delete functions."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from . import console
from .client import DEFAULT_ENDPOINT_URL, EndpointUrl, client
from .deploy import (
    DEFAULT_HANDLER,
    DEFAULT_MEMORY_MB,
    DEFAULT_RUNTIME,
    DEFAULT_TIMEOUT_S,
    BadPackage,
    FunctionSource,
)
from .deploy import (
    create as create_function,
)

if TYPE_CHECKING:
    from types_boto3_lambda.type_defs import FunctionConfigurationTypeDef

app = typer.Typer(help="Create, list and delete functions.", no_args_is_help=True)


def parse_environment(pairs: list[str] | None) -> dict[str, str]:
    """`["A=1", "B=x=y"]` -> `{"A": "1", "B": "x=y"}`."""
    variables = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--env")
        variables[key] = value
    return variables


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="The new function's name.")],
    code: Annotated[
        Path,
        typer.Option(exists=True, help="A directory to zip, or a ready .zip package."),
    ],
    handler: Annotated[str, typer.Option(help="module.function to call.")] = DEFAULT_HANDLER,
    runtime: Annotated[str, typer.Option(help="python3.9 ... python3.14.")] = DEFAULT_RUNTIME,
    memory: Annotated[int, typer.Option(help="Memory in MB (128-10240).")] = DEFAULT_MEMORY_MB,
    timeout: Annotated[int, typer.Option(help="Timeout in seconds (1-900).")] = DEFAULT_TIMEOUT_S,
    env: Annotated[
        list[str] | None, typer.Option(help="An environment variable, KEY=VALUE; repeatable.")
    ] = None,
    description: Annotated[str, typer.Option(help="A note about the function.")] = "",
    endpoint_url: EndpointUrl = DEFAULT_ENDPOINT_URL,
) -> None:
    """Create a function from a directory or a .zip."""
    source = FunctionSource(
        name=name,
        code=code,
        handler=handler,
        runtime=runtime,
        memory_mb=memory,
        timeout_s=timeout,
        environment=parse_environment(env),
        description=description,
    )
    try:
        config = create_function(client("lambda", endpoint_url), source)
    except BadPackage as exc:
        raise typer.BadParameter(str(exc), param_hint="--code") from exc
    console.stdout().print(
        Text.assemble("created ", (config["FunctionName"], "bold"), f"  {config['FunctionArn']}")
    )


@app.command("list")
def list_(endpoint_url: EndpointUrl = DEFAULT_ENDPOINT_URL) -> None:
    """List functions as a table."""
    functions = [
        function
        for page in client("lambda", endpoint_url).get_paginator("list_functions").paginate()
        for function in page["Functions"]
    ]
    if not functions:
        console.note("no functions yet; create one with `stratus functions create NAME --code DIR`")
        return
    console.stdout().print(_table(functions))


@app.command()
def delete(
    name: Annotated[str, typer.Argument(help="The function to delete.")],
    endpoint_url: EndpointUrl = DEFAULT_ENDPOINT_URL,
) -> None:
    """Delete a function and all its versions."""
    client("lambda", endpoint_url).delete_function(FunctionName=name)
    console.stdout().print(Text.assemble("deleted ", (name, "bold")))


def _table(functions: list[FunctionConfigurationTypeDef]) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("NAME", overflow="fold")
    table.add_column("RUNTIME")
    table.add_column("MEMORY", justify="right")
    table.add_column("TIMEOUT", justify="right")
    table.add_column("LAST MODIFIED")
    for f in functions:
        table.add_row(
            f["FunctionName"],
            f.get("Runtime", ""),
            f"{f['MemorySize']} MB",
            f"{f['Timeout']} s",
            _local_time(f["LastModified"]),
        )
    return table


def _local_time(stamp: str) -> str:
    # Lambda's LastModified looks like 2024-05-01T12:00:00.000+0000.
    try:
        return (
            datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z")
            .astimezone()
            .strftime("%Y-%m-%d %H:%M:%S")
        )
    except ValueError:
        return stamp
