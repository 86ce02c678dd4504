"""`stratus up DIR` when DIR holds a SAM/CloudFormation template: a stack that follows the code.

    deploy (build, package, CreateStack/UpdateStack)  ->  tables: endpoints, functions
    loop  logs.follow polls the functions' log groups; between polls it waits for saves
          a save under a CodeUri (or ContentUri, ...) or of the template
            -> build + package (unchanged code uploads nothing) -> UpdateStack
            -> "reloaded Hello in 0.42 s", or the error: the running version stays

Nothing here exits on a bad save: the person fixes it and saves again. In-flight requests
finish on the old code: UpdateFunctionCode lets running invocations end.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from . import console
from .build import build
from .client import client
from .errors import describe
from .logs import LogCursor, follow, log_group, now_ms, show_event
from .package import package
from .progress import Progress
from .stack_deploy import outputs_table, warn_skipped
from .stack_deploy import show_event as show_stack_event
from .stacks import Outcome, Show, StackRequest, deploy, resources
from .template_file import TEMPLATE_NAMES
from .uploads import Uploader
from .watch import Changes, Watcher

if TYPE_CHECKING:
    from types_boto3_cloudformation.type_defs import OutputTypeDef, StackResourceSummaryTypeDef

FUNCTION_TYPE = "AWS::Lambda::Function"


def template_in(directory: Path) -> Path | None:
    """The folder's template.yaml (or .yml, .json), if it has one."""
    return next((directory / n for n in TEMPLATE_NAMES if (directory / n).is_file()), None)


class StackApp:
    """One template deployed as one stack, redeployed on each relevant save."""

    def __init__(
        self,
        template: Path,
        endpoint_url: str,
        name: str,
        *,
        overrides: Mapping[str, str],
        skip_unsupported: bool = False,
        dependency_layer: bool = True,
    ) -> None:
        self.template = template.resolve()
        self.name = name
        self._endpoint_url = endpoint_url
        self._overrides = dict(overrides)
        self._skip = skip_unsupported
        self._dependency_layer = dependency_layer
        self._cfn = client("cloudformation", endpoint_url)
        self._uploader = Uploader(endpoint_url)
        self._since = now_ms()
        self._deployed: dict[str, Any] | None = None  # the packaged template now running
        self._sources: tuple[Path, ...] = ()  # what a save must touch to matter
        self._shown: tuple[Any, ...] = ()  # the endpoints and functions last printed
        self.cursors: list[LogCursor] = []
        self._stops = "it"  # what Ctrl-C stops

    def run(self, started_server: bool = False) -> None:
        """Deploy, then follow logs and reload on saves until Ctrl-C."""
        self._stops = "it and the server" if started_server else "it"
        with Watcher(self.template.parent) as watcher:
            self.deploy_first()

            def between_polls(seconds: float) -> None:
                changes = watcher.next_changes(seconds)
                if changes and self.matters(changes):
                    self.reload(changes)

            logs = client("logs", self._endpoint_url)
            follow(logs, self.cursors, show_event, sleep=between_polls)

    def deploy_first(self) -> None:
        try:
            with Progress() as progress:
                packaged = self._package(progress)
            outcome = self._apply(packaged, show_stack_event)
        except Exception as exc:
            self._report_error(exc, "fix it and save: `stratus up` deploys again")
            return
        if not outcome.ok:
            self._report_failure(outcome, "fix it and save: `stratus up` deploys again")
            return
        self._deployed = packaged
        warn_skipped(outcome)
        self._show_tables(outcome)

    def matters(self, changes: Changes) -> bool:
        """Whether a save touched the template or code it deploys (anything, before a build)."""
        if not self._sources:
            return True
        return any(
            path == source or path.is_relative_to(source)
            for path in changes.paths
            for source in (self.template, *self._sources)
        )

    def reload(self, changes: Changes) -> None:
        try:
            packaged = self._package(Progress(quiet=True))
            if packaged == self._deployed:
                console.note("saved; nothing to deploy")
                return
            outcome = self._apply(packaged, lambda event: None)
        except Exception as exc:
            self._report_error(exc, "the previous version keeps running")
            return
        if not outcome.ok:
            self._report_failure(outcome, "the previous version keeps running")
            return
        seconds = time.monotonic() - changes.seen_at
        what = _changed(self._deployed or {}, packaged)
        self._deployed = packaged
        line = Text("reloaded ", style="green") + Text(what, style="bold")
        console.stdout().print(line + Text(f" in {seconds:.2f} s", style="green"))
        self._show_tables(outcome, only_if_changed=True)

    def _package(self, progress: Progress) -> dict[str, Any]:
        with progress:
            result = build(
                self.template, progress=progress, dependency_layer=self._dependency_layer
            )
            packaged = package(result, self._uploader, progress=progress)
        self._sources = tuple(b.artifact.path for b in result.built) + tuple(
            f.path for f in result.files
        )
        return packaged

    def _apply(self, packaged: dict[str, Any], show: Show) -> Outcome:
        request = StackRequest(self.name, packaged, self._overrides, self._skip)
        return deploy(self._cfn, request, show)

    def _show_tables(self, outcome: Outcome, *, only_if_changed: bool = False) -> None:
        found = resources(self._cfn, self.name)
        functions = [r for r in found if r["ResourceType"] == FUNCTION_TYPE]
        urls = [o for o in outcome.outputs if _is_url(o["OutputValue"])]
        shown = (tuple(_key(o) for o in urls), tuple(_key(f) for f in functions))
        for function in functions:
            group = log_group(function["PhysicalResourceId"])
            if all(c.group != group for c in self.cursors):
                self.cursors.append(LogCursor(group, self._since))
        if only_if_changed and shown == self._shown:
            return
        self._shown = shown
        out = console.stdout()
        out.print(endpoints_table(urls, functions))
        if outcome.outputs:
            out.print(outputs_table(outcome.outputs))
        out.print(functions_table(functions))
        hint = f"Watching for saves and following logs; Ctrl-C stops {self._stops}."
        out.print(Text(hint, style="dim"))

    def _report_error(self, exc: Exception, then: str) -> None:
        message = describe(exc)
        if message is None:
            raise exc  # a bug: its traceback is worth more than staying up
        console.error(message)
        console.note(then)

    def _report_failure(self, outcome: Outcome, then: str) -> None:
        for problem in outcome.problems:
            console.error(problem)
        console.error(f"stack {self.name}: {outcome.status}")
        console.note(then)


def endpoints_table(
    urls: list[OutputTypeDef], functions: list[StackResourceSummaryTypeDef]
) -> Table:
    """Endpoints: each output that is a URL, then each function's name (for invoke, logs)."""
    table = Table(title="Endpoints", title_justify="left")
    table.add_column("Name", style="bold")
    table.add_column("Where", overflow="fold")
    for output in urls:
        table.add_row(output["OutputKey"], output["OutputValue"])
    for function in functions:
        table.add_row(function["LogicalResourceId"], f"function {function['PhysicalResourceId']}")
    return table


def functions_table(functions: list[StackResourceSummaryTypeDef]) -> Table:
    table = Table(title="Functions", title_justify="left")
    for column in ("Function", "Name", "Logs"):
        table.add_column(column, overflow="fold")
    for function in functions:
        name = function["PhysicalResourceId"]
        table.add_row(function["LogicalResourceId"], name, log_group(name))
    return table


def _changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    old, new = before.get("Resources") or {}, after.get("Resources") or {}
    names = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    return ", ".join(names) if names else "the template"


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def _key(item: Mapping[str, Any]) -> tuple[str, str]:
    return (
        item.get("OutputKey") or item.get("LogicalResourceId", ""),
        item.get("OutputValue") or item.get("PhysicalResourceId", ""),
    )
