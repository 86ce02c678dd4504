"""`stratus up [DIR]`: one command from a folder of code to a function you can call.

    server answering at 127.0.0.1:PORT?  -- no -->  start `stratus server` as a child
    DIR has a template.yaml?  -- yes -->  deploy it as a stack, hot-reload it (stack_up.py)
    else: load the project (project.py)  ->  deploy the folder as one function (deploy.py)
    print how to call it  ->  follow its logs (logs.py) until Ctrl-C  ->  stop the child

Ctrl-C, SIGTERM and SIGHUP all end it the same way: cleanly, with exit code 0.
"""

from __future__ import annotations

import contextlib
import functools
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from stratus.config import DEFAULT_PORT, default_data_dir

from . import console
from .client import DEFAULT_ENDPOINT_URL, client
from .deploy import DEFAULT_HANDLER, DEFAULT_RUNTIME, Deployed, deploy
from .local_server import child_server, is_serving
from .logs import LogCursor, follow, log_group, now_ms, show_event
from .project import Project, load_project
from .stack_deploy import (
    ParameterOverrides,
    SkipUnsupported,
    StackName,
    parse_overrides,
    stack_name_for,
)
from .stack_up import StackApp, template_in


def up(
    directory: Annotated[
        Path,
        typer.Argument(
            exists=True,
            file_okay=False,
            help="A folder with a template.yaml, or with one function's code.",
        ),
    ] = Path("."),
    name: Annotated[
        str | None, typer.Option(help="Function name [default: the folder's name].")
    ] = None,
    handler: Annotated[str, typer.Option(help="module.function to call.")] = DEFAULT_HANDLER,
    runtime: Annotated[str, typer.Option(help="python3.9 ... python3.14.")] = DEFAULT_RUNTIME,
    port: Annotated[
        int, typer.Option(envvar="STRATUS_PORT", help="Port of the local server.")
    ] = DEFAULT_PORT,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            envvar="STRATUS_DATA_DIR",
            help="Where a server started here keeps its state.",
        ),
    ] = None,
    stack_name: StackName = None,
    parameter_overrides: ParameterOverrides = None,
    skip_unsupported: SkipUnsupported = False,
    no_dependency_layer: Annotated[
        bool,
        typer.Option(
            "--no-dependency-layer",
            help="Keep each function's libraries in its package (re-zipped on every save) "
            "instead of a layer made once, as `sam sync --no-dependency-layer`.",
        ),
    ] = False,
) -> None:
    """Deploy DIR on a local server (started if needed), follow its logs; with a template,
    redeploy on every save."""
    endpoint = f"http://127.0.0.1:{port}"
    template = template_in(directory)
    run: Callable[[bool], None]
    if template is None:
        project = load_project(directory, name=name, handler=handler, runtime=runtime)
        run = functools.partial(_up_project, endpoint, project)
    else:
        stack = StackApp(
            template,
            endpoint,
            stack_name or stack_name_for(template.resolve()),
            overrides=parse_overrides(parameter_overrides or []),
            skip_unsupported=skip_unsupported,
            dependency_layer=not no_dependency_layer,
        )
        run = stack.run
    with _signals_interrupt():
        try:
            with _server(endpoint, port, data_dir) as started:
                run(started)
        except KeyboardInterrupt:
            pass  # the way to stop `up`: the server (if ours) is already stopped by now
    console.note("stopped")


def _up_project(endpoint: str, project: Project, started: bool) -> None:
    """A folder of code as functions: deploy, say how to call them, follow their logs."""
    since = now_ms()
    lambda_ = client("lambda", endpoint)
    deployed = [deploy(lambda_, source) for source in project.functions]
    console.stdout().print(_panel(endpoint, deployed, started))
    cursors = [LogCursor(log_group(d.configuration["FunctionName"]), since) for d in deployed]
    follow(client("logs", endpoint), cursors, show_event)


@contextlib.contextmanager
def _server(endpoint: str, port: int, data_dir: Path | None) -> Iterator[bool]:
    """Use the server at `endpoint`, or run one for the block; yields whether we started it."""
    if is_serving(endpoint):
        console.note(f"using the Stratus server already running at {endpoint}")
        if data_dir:
            console.note(f"(--data-dir {data_dir} is ignored: that server has its own)")
        yield False
        return
    data = (data_dir or default_data_dir()).resolve()
    console.note(f"starting a Stratus server at {endpoint} (data in {data})")
    with child_server(port, data):
        try:
            yield True
        finally:
            console.note("stopping the server")


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP (terminal closed) unwind like Ctrl-C, so the child server stops too."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _panel(endpoint: str, deployed: list[Deployed], started: bool) -> Panel:
    server = "started by this command; Ctrl-C stops it" if started else "already running"
    rows = Table.grid(padding=(0, 2))
    rows.add_column(style="bold")
    rows.add_column(overflow="fold")
    rows.add_row("Endpoint", Text(f"{endpoint}  ({server})"))
    flag = "" if endpoint == DEFAULT_ENDPOINT_URL else f" --endpoint-url {endpoint}"
    for item in deployed:
        config = item.configuration
        fn = config["FunctionName"]
        action = "created" if item.created else "updated"
        summary = f"{fn}  ({config['Runtime']}, {config['Handler']}, {action})"
        rows.add_row("Function", Text(summary))
        rows.add_row("Invoke", Text(f'stratus invoke {fn} -p \'{{"name": "Ada"}}\' --log{flag}'))
        rows.add_row(
            "boto3",
            Text(f'boto3.client("lambda", endpoint_url="{endpoint}").invoke(FunctionName="{fn}")'),
        )
        rows.add_row(
            "aws CLI",
            Text(f"aws --endpoint-url {endpoint} lambda invoke --function-name {fn} out.json"),
        )
    hint = Text("Following logs; press Ctrl-C to stop.", style="dim")
    return Panel(Group(rows, Text(), hint), title="stratus up", title_align="left", expand=False)
