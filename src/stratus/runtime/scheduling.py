"""Environments below the server: each environment's scheduling group is lowered to nice 10.

Every environment is a session of its own (so a timeout kills its process group), and with
the kernel's autogroup scheduling (CONFIG_SCHED_AUTOGROUP, on in most distributions) each
session is a scheduling group weighted like the server's whole process. At nice 10 a group
weighs a ninth of the server's when they compete for a CPU; alone on one it runs as fast.

The environment lowers its own group (lib/bootstrap.py), but the kernel lets a process
without CAP_SYS_ADMIN change any autogroup's nice only once per 100 ms machine-wide (EAGAIN
otherwise): of 64 environments started by 64 connections, most stayed at nice 0 and
together outweighed the event loop serving them (bench/gateway.py fell from 16 connections
to 64). So the server lowers each new environment's group itself as well: with
CAP_SYS_ADMIN it is not limited. Best effort: no autogroup, or not allowed, no change.
"""

from __future__ import annotations

import contextlib
import os

AUTOGROUP_NICE = b"10"


def lower_group(pid: int) -> None:
    """Lower the scheduling group (autogroup) of process `pid` to nice 10, if allowed."""
    with contextlib.suppress(OSError):
        fd = os.open(f"/proc/{pid}/autogroup", os.O_WRONLY)
        try:
            os.write(fd, AUTOGROUP_NICE)
        finally:
            os.close(fd)
