"""Settings: one value object, read once at start-up from flags and `STRATUS_*` variables."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4566
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT_ID = "000000000000"
DEFAULT_IDLE_SECONDS = 300.0
DEFAULT_ACCOUNT_CONCURRENCY = 1000
# AWS retries a failed asynchronous invocation twice, about one and two minutes later.
DEFAULT_ASYNC_RETRY_DELAYS = (60.0, 120.0)


def default_data_dir() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "stratus"


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    data_dir: Path = field(default_factory=default_data_dir)
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID
    # Warm environments idle this long are stopped.
    idle_seconds: float = DEFAULT_IDLE_SECONDS
    account_concurrency: int = DEFAULT_ACCOUNT_CONCURRENCY
    async_retry_delays: tuple[float, ...] = DEFAULT_ASYNC_RETRY_DELAYS
    # Where handlers' boto3 clients are pointed (AWS_ENDPOINT_URL); defaults to this server.
    public_url: str | None = None
    # A Stratus extension: start $LATEST from snapshots too (per function: the tag
    # stratus:snapshot-latest=true), so local development gets millisecond starts.
    snapshot_latest: bool = False
    # Stack outputs that are AWS URLs of APIs and function URLs Stratus serves are described
    # as URLs that work here (templates/outputs.py); True keeps AWS's literal form.
    aws_output_urls: bool = False
    # Confine each environment (own uid, PID and mount namespaces; runtime/confinement.py).
    # Off only to measure what it costs, or on a host where it cannot work.
    isolation: bool = True
    # Outbound network for confined Python environments (False: a network namespace of their
    # own with only a loopback; custom runtimes keep the host's, where their Runtime API is).
    network: bool = True
    # Clients must send a request's headers within this, and each piece of its body within
    # body_timeout of the last (slow_clients.py); 408 and closed otherwise.
    header_timeout: float = 30.0
    body_timeout: float = 30.0
    # Check every AWS request's SigV4 signature against the access keys IAM issued (and the
    # default test/test pair), and AWS_IAM authorization on APIs and function URLs. Off:
    # any credentials work and every caller is the account's root user.
    verify_signatures: bool = False
    # Answer warm synchronous Invokes by the short path (aws/fast_invoke.py). Off only to
    # hold it to the generic path's answers (tests) or to measure what it saves (benches).
    fast_invoke: bool = True
    # WebSocket APIs' quotas (gateway/websocket.py): a connection with no message for the
    # first, or open for the second, is closed (1001), as API Gateway does.
    websocket_idle_timeout: float = 600.0
    websocket_max_duration: float = 7200.0

    @property
    def endpoint_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return self.public_url or f"http://{host}:{self.port}"

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str] | None = None, **overrides: object
    ) -> Settings:
        """Build settings from `STRATUS_*` variables, then explicit overrides (CLI flags)."""
        env = os.environ if environ is None else environ
        # Each field's own type, checked by its reader; `replace` cannot see that through a dict.
        values: dict[str, Any] = {}
        readers: dict[str, Callable[[str], object]] = {
            "host": str,
            "port": int,
            "data_dir": Path,
            "region": str,
            "account_id": str,
            "idle_seconds": float,
            "account_concurrency": int,
            "async_retry_delays": _parse_delays,
            "public_url": str,
            "snapshot_latest": _parse_bool,
            "aws_output_urls": _parse_bool,
            "isolation": _parse_bool,
            "network": _parse_bool,
            "header_timeout": float,
            "body_timeout": float,
            "verify_signatures": _parse_bool,
            "fast_invoke": _parse_bool,
            "websocket_idle_timeout": float,
            "websocket_max_duration": float,
        }
        for name, read in readers.items():
            raw = env.get(f"STRATUS_{name.upper()}")
            if raw:
                try:
                    values[name] = read(raw)
                except ValueError as exc:
                    raise ValueError(f"STRATUS_{name.upper()}={raw!r} is not valid: {exc}") from exc
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)


def _parse_bool(raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError("use true or false")


def _parse_delays(raw: str) -> tuple[float, ...]:
    return tuple(float(part) for part in raw.split(",") if part.strip())
