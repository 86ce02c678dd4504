"""The seam between the environment pool and whatever starts execution environments.

    EnvironmentPool ──wait_launch(spec)──▶ Launcher
                                             └ SnapshotLauncher (zygote.py): forks an initialised
                                               snapshot, or asks ProcessLauncher (launcher.py)
                                               for a fresh process that runs the init phase

The pool owns environments once they exist (idle, busy, reaped); a launcher owns only how
they start and what outlives them (snapshot holders), so it is told when a function's
environments are retired and when the server stops. A second way to start environments
(a VM, another host) implements this Protocol and nothing above the pool changes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from stratus.runtime.environment import Environment
from stratus.runtime.launcher import InitFailure
from stratus.runtime.spec import FunctionSpec

# Told how taking a snapshot ended: the init error's payload, or None when it was taken.
Reporter = Callable[[bytes | None], Awaitable[None]]


class Launcher(Protocol):
    async def wait_launch(
        self,
        spec: FunctionSpec,
        capture: list[str] | None = None,
        request_id: str = "",
        init_type: str = "on-demand",
        init_limit_s: float | None = None,
    ) -> Environment | InitFailure:
        """A new environment for `spec`, its init phase run; or how the init failed.
        `init_limit_s`: None for the 10 s init phase; else the init is retried inside the
        invoke of `request_id`, under this limit (the function's timeout)."""
        ...

    def prepare(self, spec: FunctionSpec, report: Reporter | None = None) -> None:
        """Get ready to start environments of `spec` fast (e.g. take its snapshot now)."""
        ...

    async def wait_retire(
        self, name: str, keep_revision: str | None = None, version: str | None = None
    ) -> None:
        """Drop what was kept to start a function's environments (all, all but one revision,
        or one version's): its code or configuration changed, or it was deleted."""
        ...

    async def wait_close(self) -> None:
        """Stop everything the launcher keeps (the server is stopping)."""
        ...
