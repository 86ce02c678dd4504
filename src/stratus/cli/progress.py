"""One line per resource while a template builds and uploads: a spinner while it works, then
✓ (or ✗) and what happened. Quiet mode (tests, scripts) prints nothing.

Thread-safe: builds run in worker threads and report from there.
"""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress as RichProgress
from rich.progress import SpinnerColumn, TaskID, TextColumn
from rich.table import Column

from . import console as consoles

NAME_WIDTH = 20


class Progress:
    def __init__(self, console: Console | None = None, *, quiet: bool = False) -> None:
        self._quiet = quiet
        self._lock = threading.Lock()
        self._tasks: dict[str, TaskID] = {}
        self._depth = 0  # nested `with`: build inside build_and_package shares the display
        # Started at the first line, so a command that fails before any prints no blank line.
        self._started = False
        self._rich = RichProgress(
            SpinnerColumn(finished_text=" "),
            # Folded, not cut: a path or an error's end is what the person needs to see.
            TextColumn("{task.description}", table_column=Column(overflow="fold")),
            console=console or consoles.stderr(),
            transient=False,
            disable=quiet,
        )

    def __enter__(self) -> Progress:
        self._depth += 1
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth == 0 and self._started:
            self._rich.stop()
            self._started = False

    def add(self, name: str, text: str) -> None:
        with self._lock:
            if not self._started:
                self._rich.start()
                self._started = True
            if name not in self._tasks:
                self._tasks[name] = self._rich.add_task(_line(" ", name, text), total=1)

    def update(self, name: str, text: str) -> None:
        self.add(name, text)
        self._rich.update(self._tasks[name], description=_line(" ", name, text))

    def done(self, name: str, text: str) -> None:
        self._finish(name, "[green]✓[/]", text)

    def fail(self, name: str, text: str) -> None:
        self._finish(name, "[red]✗[/]", text)

    def skip(self, name: str, text: str) -> None:
        self._finish(name, "[dim]•[/]", f"[dim]{escape(text)}[/]", escaped=True)

    def warn(self, text: str) -> None:
        if not self._quiet:
            self._rich.console.print(f"[yellow]warning:[/] {escape(text)}")

    def _finish(self, name: str, mark: str, text: str, *, escaped: bool = False) -> None:
        self.add(name, "")
        self._rich.update(
            self._tasks[name], description=_line(mark, name, text, escaped=escaped), completed=1
        )


def _line(mark: str, name: str, text: str, *, escaped: bool = False) -> str:
    return f"{mark} [bold]{escape(name):<{NAME_WIDTH}}[/] {text if escaped else escape(text)}"
