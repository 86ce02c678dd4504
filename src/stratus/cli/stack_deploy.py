"""`stratus deploy [DIR|TEMPLATE]`: a SAM/CloudFormation template to a running stack.

    build_and_package (package.py)  ->  CreateStack | UpdateStack (stacks.py)
    -> one line per stack event until a final status
    -> success: tables of outputs and resources (stdout); failure: each reason, exit 1

Events and progress go to stderr, the tables to stdout.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from . import console, endpoint, samconfig
from .client import DEFAULT_ENDPOINT_URL, EndpointUrl, client
from .errors import CliError
from .local_server import is_serving
from .package import build_and_package
from .stacks import CAPABILITIES, Outcome, StackRequest, deploy, resources
from .template_file import find_template

if TYPE_CHECKING:
    from types_boto3_cloudformation import CloudFormationClient
    from types_boto3_cloudformation.type_defs import (
        OutputTypeDef,
        StackEventTypeDef,
        StackResourceSummaryTypeDef,
    )

# Stack names: a letter, then letters, digits and hyphens, at most 128 in all.
_NOT_IN_NAMES = re.compile(r"[^A-Za-z0-9-]+")
_OVERRIDE = re.compile(r"^([A-Za-z0-9]+)=(.*)$", re.DOTALL)
_TAG = re.compile(r"^([^=]+)=(.*)$", re.DOTALL)
_LONG_FORM = re.compile(r"^ParameterKey=([^,]+),ParameterValue=(.*)$", re.DOTALL)
_STATUS_WIDTH = len("UPDATE_IN_PROGRESS")  # the common ones line up; longer ones push on
_STATUS_STYLES = (("FAILED", "red"), ("ROLLBACK", "yellow"), ("COMPLETE", "green"))

ParameterOverrides = Annotated[
    list[str] | None,
    typer.Option(
        "--parameter-overrides",
        help="KEY=VALUE pairs, several after one flag (or ParameterKey=K,ParameterValue=V).",
    ),
]
SkipUnsupported = Annotated[
    bool,
    typer.Option(help="Deploy the resource types Stratus supports and report the others."),
]
StackName = Annotated[
    str | None, typer.Option(help="The stack's name (default: the project folder's name).")
]


def parse_overrides(values: Sequence[str]) -> dict[str, str]:
    """`["A=1", "B='x y' C=3"]` -> {"A": "1", "B": "x y", "C": "3"}; SAM's
    `ParameterKey=A,ParameterValue=1` form too."""
    words: list[str] = []
    for value in values:
        if _LONG_FORM.match(value):  # one pair, its value as the shell left it
            words.append(value)
            continue
        try:
            words += shlex.split(value)
        except ValueError as exc:
            raise CliError(f"cannot read --parameter-overrides {value!r}: {exc}") from exc
    return parse_pairs(words, "--parameter-overrides", "Stage=dev")


def parse_pairs(
    words: Sequence[str], flag: str, example: str, pair: re.Pattern[str] = _OVERRIDE
) -> dict[str, str]:
    """Words already split: `K=V` or `ParameterKey=K,ParameterValue=V` each."""
    pairs: dict[str, str] = {}
    for word in words:
        long_form = _LONG_FORM.match(word)
        match = long_form or pair.match(word)
        if not match:
            raise CliError(f"bad value {word!r} for {flag}: write KEY=VALUE, e.g. {flag} {example}")
        pairs[match.group(1)] = match.group(2)
    return pairs


def stack_name_for(template: Path) -> str:
    """A valid stack name from the template's folder: `my_app` -> `my-app`."""
    name = _NOT_IN_NAMES.sub("-", template.parent.name).strip("-")[:128]
    if not name or not name[0].isalpha():
        name = f"stack-{name}".rstrip("-")[:128]
    return name


def require_server(endpoint_url: str) -> None:
    # Checked before building: pip may run for a minute before the first call would fail.
    if not is_serving(endpoint_url):
        raise CliError(
            f"no Stratus server at {endpoint_url}; start one with `stratus server` "
            "(or run `stratus up`, which starts one)"
        )


def deploy_command(
    template: Annotated[
        Path, typer.Argument(help="template.yaml (or .json), or the folder holding it.")
    ] = Path("."),
    stack_name: StackName = None,
    parameter_overrides: ParameterOverrides = None,
    tags: Annotated[
        list[str] | None,
        typer.Option("--tags", help="KEY=VALUE stack tags, several after one flag."),
    ] = None,
    capabilities: Annotated[
        list[str] | None,
        typer.Option("--capabilities", help="CAPABILITY_* names (default: all of them)."),
    ] = None,
    config_env: Annotated[str, typer.Option(help="The samconfig environment to read.")] = "default",
    config_file: Annotated[
        Path | None, typer.Option(help="samconfig file (default: samconfig.toml by the template).")
    ] = None,
    skip_unsupported: SkipUnsupported = False,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Follow the stack until it is done.")
    ] = True,
    endpoint_url: EndpointUrl = DEFAULT_ENDPOINT_URL,
) -> None:
    """Build, upload and deploy a SAM/CloudFormation template as a stack (like `sam deploy`;
    reads samconfig.toml as it does)."""
    path = find_template(template)
    config = samconfig.load(path.parent, config_file, config_env)
    if config.path is not None:
        console.note(f"using {config.path} [{config_env}]")
    overrides = parse_pairs(config.parameter_overrides, "parameter_overrides", "Stage=dev")
    overrides |= parse_overrides(parameter_overrides or [])
    stack_tags = parse_pairs(config.tags, "tags", "team=a", _TAG)
    stack_tags |= parse_pairs(tags or [], "--tags", "team=a", _TAG)
    console.note(f"deploying to {endpoint.describe(endpoint_url)}")
    require_server(endpoint_url)
    packaged = build_and_package(path, endpoint_url)
    request = StackRequest(
        stack_name or config.stack_name or stack_name_for(path),
        packaged,
        overrides,
        skip_unsupported,
        tags=stack_tags,
        capabilities=tuple(capabilities or config.capabilities or CAPABILITIES),
    )
    cfn = client("cloudformation", endpoint_url)
    outcome = deploy(cfn, request, show_event, wait=wait)
    report(cfn, request.name, outcome, wait=wait)


def report(cfn: CloudFormationClient, name: str, outcome: Outcome, *, wait: bool = True) -> None:
    """Say how the deploy ended; raise typer.Exit(1) when it failed."""
    status = outcome.status
    if outcome.action == "none":
        console.note(f"stack {name}: no changes to deploy (it is up to date)")
    elif not wait:
        console.note(f"stack {name}: {status}; follow it with DescribeStackEvents")
        return
    if not outcome.ok:
        for problem in outcome.problems:
            console.error(problem)
        console.error(f"stack {name} failed: {status}")
        raise typer.Exit(1)
    warn_skipped(outcome)
    out = console.stdout()
    if outcome.outputs:
        out.print(outputs_table(outcome.outputs))
    out.print(resources_table(resources(cfn, name)))


def warn_skipped(outcome: Outcome) -> None:
    for skipped in outcome.skipped:  # one warning per resource left out
        text = (
            f"warning: not deployed, not supported yet: {skipped}; Ref and Fn::GetAtt to it "
            "give placeholders"
        )
        console.stderr().print(Text(text, style="yellow"))


def outputs_table(outputs: list[OutputTypeDef]) -> Table:
    table = Table(title="Outputs", title_justify="left")
    for column in ("Key", "Value", "Description"):
        table.add_column(column, overflow="fold")
    for output in outputs:
        table.add_row(output["OutputKey"], output["OutputValue"], output.get("Description", ""))
    return table


def resources_table(found: list[StackResourceSummaryTypeDef]) -> Table:
    table = Table(title="Resources", title_justify="left")
    for column in ("Logical id", "Type", "Physical id", "Status"):
        table.add_column(column, overflow="fold")
    for resource in found:
        table.add_row(
            resource["LogicalResourceId"],
            resource["ResourceType"],
            resource.get("PhysicalResourceId", ""),
            _status(resource["ResourceStatus"]),
        )
    return table


def show_event(event: StackEventTypeDef) -> None:
    """One stack event as a line on stderr: time, status, logical id, type, reason."""
    clock = _local(event["Timestamp"]).strftime("%H:%M:%S")
    line = Text(f"{clock} ", style="dim") + _status(event["ResourceStatus"].ljust(_STATUS_WIDTH))
    line += Text(f"  {event['LogicalResourceId']}  ")
    line += Text(event.get("ResourceType", ""), style="dim")
    if event.get("ResourceStatusReason"):
        line += Text(f"  {event['ResourceStatusReason']}")
    console.stderr().print(line)


def _status(status: str) -> Text:
    style = next((s for word, s in _STATUS_STYLES if word in status), "")
    return Text(status, style=style)


def _local(when: datetime) -> datetime:
    return when.astimezone() if when.tzinfo else when
