"""Runtime hooks for snapshots, importable exactly as on AWS Lambda's Python SnapStart:

    from snapshot_restore_py import register_before_snapshot, register_after_restore

    @register_before_snapshot
    def close_connections(): ...

    register_after_restore(reconnect, "db", retries=3)

Before-snapshot hooks run once, in the snapshot holder, after the init phase; after-restore
hooks run in every environment started from the snapshot, before it serves.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs start-up time; the checker needs it only here
if TYPE_CHECKING:
    from typing import Any, Callable, TypeVar

    F = TypeVar("F", bound=Callable[..., object])
    Hook = tuple[Callable[..., object], tuple[Any, ...], dict[str, Any]]  # func, args, kwargs

_before_snapshot: list[Hook] = []
_after_restore: list[Hook] = []


def register_before_snapshot(func: F, *args: Any, **kwargs: Any) -> F:
    _before_snapshot.append((func, args, kwargs))
    return func


def register_after_restore(func: F, *args: Any, **kwargs: Any) -> F:
    _after_restore.append((func, args, kwargs))
    return func


def get_before_snapshot() -> list[Hook]:
    return list(_before_snapshot)


def get_after_restore() -> list[Hook]:
    return list(_after_restore)
