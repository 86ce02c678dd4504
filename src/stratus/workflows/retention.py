"""Finished executions are kept for AWS's 90 days, then forgotten.

    an execution ends (the step's transaction) -> a work item (kind workflow-retention, id =
        the execution) due 90 days after its stop date
    the item falls due (one transaction) -> the execution, its history and any activity
        task rows are deleted, the item acked

The name of a forgotten execution is free again: AWS keeps execution names unique for the
90 days an execution is retained, which the execution's primary key gives while the row
exists. A redriven execution runs again and ends later; its item, met before its new stop
date is 90 days old, moves itself to that date instead of deleting.
"""

from __future__ import annotations

import sqlite3

from stratus.store.work import Kind, WorkItem, WorkQueue

RETENTION_S = 90 * 24 * 3600.0
SWEEPS = Kind("workflow-retention", lease_s=60.0, backoff=(1.0, 300.0))


def schedule(conn: sqlite3.Connection, work: WorkQueue, arn: str, stopped: float) -> None:
    """Inside the transaction that ends the execution."""
    work.enqueue(conn, SWEEPS, arn, b"", subject=arn, due=stopped + RETENTION_S)


def sweep(conn: sqlite3.Connection, work: WorkQueue, item: WorkItem) -> None:
    """Inside the caller's transaction: forget the execution the item names, if its time
    has come (it may have been redriven since, and be running or stopped later)."""
    if not work.ack(conn, item):
        return  # another claim holds it now
    arn = item.id
    row = conn.execute(
        "SELECT status, stopped FROM sfn_executions WHERE arn = ?", (arn,)
    ).fetchone()
    if row is None:
        return
    status, stopped = row
    if status == "RUNNING":
        return  # redriven: the step that ends it again schedules it again
    due = float(stopped or 0.0) + RETENTION_S
    if due > work.clock.now():
        schedule(conn, work, arn, float(stopped))
        return
    forget(conn, arn)


def forget(conn: sqlite3.Connection, arn: str) -> None:
    conn.execute("DELETE FROM sfn_history WHERE execution_arn = ?", (arn,))
    conn.execute("DELETE FROM sfn_activity_tasks WHERE execution_arn = ?", (arn,))
    conn.execute("DELETE FROM sfn_executions WHERE arn = ?", (arn,))
