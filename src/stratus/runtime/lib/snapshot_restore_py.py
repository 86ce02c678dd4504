"""Runtime hooks for snapshots, importable exactly as on AWS Lambda's Python SnapStart:

    from snapshot_restore_py import register_before_snapshot, register_after_restore

    @register_before_snapshot
    def close_connections(): ...

    register_after_restore(reconnect, "db", retries=3)

Before-snapshot hooks run once, in the snapshot holder, after the init phase; after-restore
hooks run in every environment started from the snapshot, before it serves.
"""

_before_snapshot = []
_after_restore = []


def register_before_snapshot(func, *args, **kwargs):
    _before_snapshot.append((func, args, kwargs))
    return func


def register_after_restore(func, *args, **kwargs):
    _after_restore.append((func, args, kwargs))
    return func


def get_before_snapshot():
    return list(_before_snapshot)


def get_after_restore():
    return list(_after_restore)
