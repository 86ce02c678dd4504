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

from stratus.store.work import Kind, WorkItem, WorkQueue, carry_over

RETENTION_S = 90 * 24 * 3600.0
SWEEPS = Kind("workflow-retention", lease_s=60.0, backoff=(1.0, 300.0))


def schedule(conn: sqlite3.Connection, work: WorkQueue, arn: str, stopped: float) -> None:
    """Inside the transaction that ends the execution.

    The sweeper is woken only when no sweep is due before this one: it sleeps until its
    earliest item, and sweeps are due in the order executions stop, so waking it at every
    end of an execution (a claim round each) bought nothing."""
    due = stopped + RETENTION_S
    earlier = conn.execute(
        "SELECT 1 FROM work_items WHERE kind = ? AND due <= ? LIMIT 1", (SWEEPS.name, due)
    ).fetchone()
    added = carry_over(conn, SWEEPS, arn, b"", subject=arn, due=due, enqueued=work.clock.now())
    if added and earlier is None:
        work.wake(SWEEPS)


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
