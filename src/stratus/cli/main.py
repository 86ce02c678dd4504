"""The `stratus` command: wires the sub-commands together; each lives in its own module.

stratus server                     run the server in the foreground
stratus up [DIR]                   deploy a folder or template on a local server, hot reload
stratus functions create|list|delete
stratus invoke NAME [--stack S]    call a function (by logical id in a stack), print its result
stratus logs NAME|--stack S [-f]   print (or follow) a function's or a stack's logs
stratus build [TEMPLATE]           build a SAM template's code into .stratus/build (sam build)
stratus package [TEMPLATE]         build, upload, print the packaged template (sam package)
stratus deploy [TEMPLATE]          build, upload, create or update the stack (sam deploy)
stratus generate-event SERVICE EVENT   print a sample event (like sam local generate-event)
stratus queues list|send|receive|peek|redrive
stratus topics list|publish|outbox
stratus buses list
stratus events put                 put an event on a bus
stratus env [--stack S]            print export lines: endpoint, region, credentials, outputs
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from stratus.config import Settings

from . import (
    build,
    buses,
    env,
    functions,
    generate_event,
    invoke,
    logs,
    package,
    queues,
    stack_deploy,
    topics,
    up,
    workflows,
)
from .errors import ReportingGroup
from .multi_value import MultiValueCommand

app = typer.Typer(
    help="Stratus: AWS Lambda and the services around it, on your own machine.",
    no_args_is_help=True,
    cls=ReportingGroup,
)


@app.callback()
def main() -> None:
    """Stratus: AWS Lambda and the services around it, on your own machine."""


@app.command()
def server(
    host: Annotated[str | None, typer.Option(help="Address to listen on [STRATUS_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [STRATUS_PORT].")] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where state lives [STRATUS_DATA_DIR].")
    ] = None,
) -> None:
    """Run the Stratus server in the foreground."""
    from stratus.server import serve

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    serve(Settings.from_environ(host=host, port=port, data_dir=data_dir))


app.command(cls=MultiValueCommand)(up.up)
app.add_typer(functions.app, name="functions")
app.add_typer(workflows.app, name="workflows")
app.command()(invoke.invoke)
app.command()(logs.logs)
app.command(name="build")(build.build_command)
app.command(name="package")(package.package_command)
app.command(name="deploy", cls=MultiValueCommand)(stack_deploy.deploy_command)
app.command(name="generate-event")(generate_event.generate_event)
app.add_typer(queues.app, name="queues")
app.add_typer(topics.app, name="topics")
app.add_typer(buses.buses, name="buses")
app.add_typer(buses.events, name="events")
app.command(name="env")(env.env)
