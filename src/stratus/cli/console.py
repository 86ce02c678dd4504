"""Where the CLI writes: results to stdout, everything for the person (errors, hints) to stderr.

Consoles are made per call so that they follow whatever sys.stdout/sys.stderr are right now
(a test runner swaps them). soft_wrap keeps long lines, such as JSON or ARNs, unbroken when
the output is piped.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text


def stdout() -> Console:
    return Console(soft_wrap=True, highlight=False)


def stderr() -> Console:
    return Console(stderr=True, soft_wrap=True, highlight=False)


def error(message: str) -> None:
    """One red line on stderr: `error: <message>`."""
    # A Text, not markup: messages carry brackets ("[Event, RequestResponse]").
    stderr().print(Text(f"error: {message}", style="red"))


def warning(message: str) -> None:
    """One yellow line on stderr: `warning: <message>`."""
    stderr().print(Text(f"warning: {message}", style="yellow"))


def note(message: str) -> None:
    """A dim line on stderr for the person watching; never part of a command's result."""
    stderr().print(Text(message, style="dim"))
