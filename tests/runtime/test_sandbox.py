"""Choosing the isolation mechanism from what the host offers."""

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from stratus.runtime import sandbox
from stratus.runtime.sandbox import Limits


def test_without_cgroups_memory_falls_back_to_rlimits(tmp_path, caplog):
    """A host with no cgroup controllers gets RLIMIT_DATA, and the log says so."""
    chosen = sandbox.detect(cgroup_root=tmp_path, isolation=False)

    cage = chosen.cage("env", Limits(memory_bytes=128 * 1024 * 1024))
    chosen.close()

    assert chosen.mode == "rlimit"
    assert cage.env == {"STRATUS_DATA_RLIMIT": str(128 * 1024 * 1024)}
    assert "falling back to RLIMIT_DATA" in caplog.text


@pytest.mark.skipif(not os.path.exists("/sys/fs/cgroup/memory/cgroup.procs"), reason="no v1")
def test_cgroup_v1_cage_carries_the_limits():
    """On a cgroup v1 host each environment gets memory and pids limits of its own."""
    chosen = sandbox.detect()
    try:
        cage = chosen.cage("env-under-test", Limits(memory_bytes=256 * 1024 * 1024))
        memory, pids = cage.groups[:2]

        assert (memory / "memory.limit_in_bytes").read_text().strip() == str(256 * 1024 * 1024)
        assert (pids / "pids.max").read_text().strip() == "1024"
        assert cage.out_of_memory() is False
        cage.release()
        assert not memory.exists()
    finally:
        chosen.close()


@pytest.mark.skipif(
    not os.path.exists("/proc/self/autogroup"), reason="no autogroup scheduling on this kernel"
)
def test_environments_schedule_below_the_server(lambda_client, deploy):
    """An environment's scheduling group (its session's autogroup) is lowered to nice 10, so
    many busy environments do not outweigh the server's one event loop (bootstrap.py)."""
    name = deploy(
        """
        def handler(event, context):
            with open("/proc/self/autogroup") as f:
                return f.read().split()[-1]
        """
    )
    answer = lambda_client.invoke(FunctionName=name)

    assert answer["Payload"].read() == b'"10"'


@pytest.mark.skipif(
    not os.path.exists("/proc/self/autogroup") or os.geteuid() != 0,
    reason="no autogroup scheduling, or no privilege to lower groups without the rate limit",
)
def test_a_burst_of_environments_all_schedule_below_the_server(lambda_client, deploy):
    """Environments started together are all lowered, not only the first of each 100 ms
    (the kernel's limit on unprivileged autogroup changes): the server lowers each one."""
    name = deploy(
        """
        import time

        def handler(event, context):
            time.sleep(0.3)  # keeps each environment busy, so the burst starts eight
            with open("/proc/self/autogroup") as f:
                return f.read().split()[-1]
        """
    )
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: lambda_client.invoke(FunctionName=name), range(8)))

    assert [a["Payload"].read() for a in answers] == [b'"10"'] * 8
