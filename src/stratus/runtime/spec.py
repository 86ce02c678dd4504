"""What the execution layer needs to know about one function version, and what it returns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stratus.runtime.streaming import ResponseStream


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """An immutable description of a runnable function version.

    `revision` changes whenever code or configuration change: environments are pooled by
    (name, version, revision), so an update never reaches a stale environment.
    """

    name: str
    version: str
    revision: str
    arn: str  # unqualified function ARN
    runtime: str
    handler: str
    code_dir: Path
    memory_mb: int
    timeout_s: int
    ephemeral_mb: int
    environment: tuple[tuple[str, str], ...] = ()
    layers_dir: Path | None = None  # the function's layers, merged in order; seen at /opt
    snapshot: bool = False  # start environments from a snapshot (SnapStart)
    log_group_name: str = ""  # LoggingConfig.LogGroup; "" is Lambda's default group

    @property
    def pool_key(self) -> tuple[str, str, str]:
        return (self.name, self.version, self.revision)

    @property
    def log_group(self) -> str:
        return self.log_group_name or f"/aws/lambda/{self.name}"


@dataclass(frozen=True, slots=True)
class Invocation:
    request_id: str
    payload: bytes
    invoked_arn: str
    client_context: dict[str, object] | None = None
    want_log_tail: bool = False
    # InvokeWithResponseStream's receiver, for runtimes that stream (streaming.py).
    stream: ResponseStream | None = None


@dataclass(frozen=True, slots=True)
class InvokeResult:
    payload: bytes
    executed_version: str
    function_error: str | None = None  # "Unhandled" when the function failed
    log_tail: str = ""  # last 4 KB of this invocation's log, when asked for
