"""Snapshots (SnapStart): environments start by forking an initialised snapshot holder."""

import base64
import contextlib
import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import WaiterError
from tests.conftest import (
    create_function,
    invoke_json,
    make_zip,
    publish_snapstart,
    state_of,
    wait_for,
    wait_settled,
)

from stratus.testing import serve_in_process

SNAPPY = """
import os, random, time
import boto3
from snapshot_restore_py import register_after_restore, register_before_snapshot

client = boto3.client("lambda")
client.list_functions()  # a connection opened at init, inherited by every restored copy
HOOKS = {"before": 0, "after": 0}


@register_before_snapshot
def before():
    HOOKS["before"] += 1


def after(extra):
    HOOKS["after"] += extra


register_after_restore(after, 1)


# Made once, at init: the same in every environment restored from one snapshot (each of
# which has a PID namespace of its own when confined, so pids say nothing).
SNAPSHOT = os.urandom(8).hex()


def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {
        "pid": os.getpid(), "ppid": SNAPSHOT, "random": random.random(), "hooks": HOOKS,
        "init": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"],
        "functions": len(client.list_functions()["Functions"]),
        "stream": context.log_stream_name,
    }
"""


def _holders(name):
    """The host pids of the snapshot holders of function `name` that the server started."""
    found = []
    for proc in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError):
            environ = (proc / "environ").read_bytes().split(b"\0")
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            wanted = {b"STRATUS_ZYGOTE=1", f"AWS_LAMBDA_FUNCTION_NAME={name}".encode()}
            if wanted <= set(environ) and int(stat[1]) == os.getpid():
                found.append(int(proc.name))
    assert found, "no snapshot holder found"
    return found


def _report(response):
    return base64.b64decode(response["LogResult"]).decode().splitlines()[-1]


def test_snapstart_version_restores_from_the_snapshot(lambda_client, deploy):
    """Init and before-snapshot hooks run once; each environment runs after-restore hooks,
    gets its own random state, and its REPORT shows Restore Duration."""
    name, published = publish_snapstart(lambda_client, deploy, SNAPPY)

    with ThreadPoolExecutor(2) as pool:
        responses = list(
            pool.map(
                lambda _: lambda_client.invoke(
                    FunctionName=name, Qualifier="1", LogType="Tail", Payload=b'{"sleep": 0.5}'
                ),
                range(2),
            )
        )
    bodies = [json.loads(r["Payload"].read()) for r in responses]
    latest = lambda_client.get_function_configuration(FunctionName=name)

    assert published["SnapStart"] == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "On"}
    assert latest["SnapStart"] == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "Off"}
    assert len({b["ppid"] for b in bodies}) == 1  # both restored from one snapshot
    assert len({b["random"] for b in bodies}) == 2
    assert len({b["stream"] for b in bodies}) == 2
    assert all(b["hooks"] == {"before": 1, "after": 1} for b in bodies)
    assert all(b["init"] == "snap-start" for b in bodies)
    assert all(b["functions"] >= 1 for b in bodies)  # inherited connections were not reused
    for response in responses:
        assert "Restore Duration:" in _report(response)
        assert "Billed Restore Duration:" in _report(response)
        assert "Init Duration" not in _report(response)


def test_without_snapstart_versions_start_cold(lambda_client, deploy):
    """A version published without SnapStart runs its init phase in each new environment."""
    name = deploy(SNAPPY, Runtime="python3.12")
    lambda_client.publish_version(FunctionName=name)

    response = lambda_client.invoke(FunctionName=name, Qualifier="1", LogType="Tail")

    assert "Init Duration:" in _report(response)
    assert json.loads(response["Payload"].read())["hooks"] == {"before": 0, "after": 0}


def test_a_function_with_threads_at_init_falls_back_to_cold_starts(lambda_client, deploy):
    """Forking a process with running threads is unsafe: such a version starts cold."""
    name, _ = publish_snapstart(
        lambda_client,
        deploy,
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
        "def handler(e, c):\n    return 'ok'\n",
    )

    response = lambda_client.invoke(FunctionName=name, Qualifier="1", LogType="Tail")

    assert json.loads(response["Payload"].read()) == "ok"
    assert "Init Duration:" in _report(response)


def test_latest_snapshots_are_opt_in_and_follow_code_changes(lambda_client, deploy):
    """With the stratus:snapshot-latest tag, $LATEST restores too; new code, new snapshot."""
    name = deploy(
        SNAPPY.replace("def handler(", "def full_handler(")
        + "def handler(e, c):\n    return ['one', SNAPSHOT]\n",
        Tags={"stratus:snapshot-latest": "true"},
    )
    first = lambda_client.invoke(FunctionName=name, LogType="Tail")
    body = json.loads(first["Payload"].read())
    lambda_client.update_function_code(
        FunctionName=name,
        ZipFile=make_zip(
            {
                "app.py": SNAPPY.replace("def handler(", "def full_handler(")
                + "def handler(e, c):\n    return ['two', SNAPSHOT]\n"
            }
        ),
    )
    second = lambda_client.invoke(FunctionName=name, LogType="Tail")
    after = json.loads(second["Payload"].read())

    assert "Restore Duration:" in _report(first)
    assert "Restore Duration:" in _report(second)
    assert body[0] == "one"
    assert after[0] == "two"
    assert after[1] != body[1]  # a new snapshot holder for the new code


def test_latest_snapshot_is_taken_at_the_update_not_at_the_first_request(
    server, lambda_client, deploy
):
    """`stratus up`'s saves: with stratus:snapshot-latest, UpdateFunctionCode starts the new
    code's init (its log line appears with no request), so the first request restores."""
    source = "print('init {word}')\ndef handler(e, c):\n    return '{word}'\n"
    name = deploy(source.format(word="one"), Tags={"stratus:snapshot-latest": "true"})
    lambda_client.invoke(FunctionName=name)
    logs = server.client("logs")
    lambda_client.update_function_code(
        FunctionName=name, ZipFile=make_zip({"app.py": source.format(word="two")})
    )

    def init_logged():
        events = logs.filter_log_events(
            logGroupName=f"/aws/lambda/{name}", filterPattern='"init two"'
        )["events"]
        return bool(events)

    assert wait_for(init_logged, timeout=30)  # nothing invoked the new code yet
    response = lambda_client.invoke(FunctionName=name, LogType="Tail")
    assert json.loads(response["Payload"].read()) == "two"
    assert "Restore Duration:" in _report(response)


def test_a_dead_snapshot_holder_is_replaced(lambda_client, deploy):
    """If the holder dies, its environments go with it and the next invoke re-snapshots."""
    name, _ = publish_snapstart(lambda_client, deploy, SNAPPY)
    _, body = invoke_json(lambda_client, name, Qualifier="1")

    for pid in _holders(name):
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.3)
    response, again = invoke_json(lambda_client, name, Qualifier="1")

    assert "FunctionError" not in response
    assert again["ppid"] != body["ppid"]
    assert again["hooks"] == {"before": 1, "after": 1}


def test_snapshot_init_errors_are_reported(lambda_client, deploy):
    """A SnapStart version whose init fails becomes Failed with the reason, and invoking it
    answers with the init error, as on AWS."""
    name, published = publish_snapstart(lambda_client, deploy, "import missing_module\n")

    config = lambda_client.get_function_configuration(FunctionName=name, Qualifier="1")
    response, body = invoke_json(lambda_client, name, Qualifier="1")

    assert published["State"] == "Pending"
    assert config["State"] == "Failed"
    assert config["StateReasonCode"] == "FunctionError"
    assert config["StateReason"].startswith("Runtime.ImportModuleError")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"


def test_snapshots_are_taken_again_after_a_restart(shared_dir):
    """Snapshot holders die with the server; on start-up they are rebuilt for SnapStart
    versions, so the first invoke after a restart restores."""
    data = shared_dir / "data"
    with serve_in_process(data) as first:
        client = first.client("lambda")
        create_function(
            client,
            "snappy",
            SNAPPY,
            Runtime="python3.12",
            SnapStart={"ApplyOn": "PublishedVersions"},
        )
        client.publish_version(FunctionName="snappy")
        wait_settled(client, "snappy", "1")

    with serve_in_process(data) as second:
        response = second.client("lambda").invoke(
            FunctionName="snappy", Qualifier="1", LogType="Tail"
        )

    assert "Restore Duration:" in _report(response)


def test_snapshot_holders_see_layers_at_opt(lambda_client, deploy):
    """A SnapStart function that imports from a layer at init restores like any other."""
    layer = lambda_client.publish_layer_version(
        LayerName="snap-helper",
        Content={"ZipFile": make_zip({"python/snap_helper.py": "GREETING = 'from a layer'\n"})},
    )
    name, _ = publish_snapstart(
        lambda_client,
        deploy,
        "import snap_helper\ndef handler(e, c):\n    return snap_helper.GREETING\n",
        Layers=[layer["LayerVersionArn"]],
    )

    response = lambda_client.invoke(FunctionName=name, Qualifier="1", LogType="Tail")

    assert json.loads(response["Payload"].read()) == "from a layer"
    assert "Restore Duration:" in _report(response)


def test_a_burst_of_first_invokes_is_served_from_one_snapshot(server, lambda_client, deploy):
    """100 simultaneous first invokes of a SnapStart version all succeed, each restored
    (children are born in the holder's cgroup, which must not run out of memory)."""
    source = (
        "import time, boto3\nclient = boto3.client('lambda')\n"
        "def handler(e, c):\n    time.sleep(0.3)\n    return 'ok'\n"
    )
    name, _ = publish_snapstart(lambda_client, deploy, source)
    lambda_client.invoke(FunctionName=name, Qualifier="1")

    def first_invoke(_):
        client = boto3.client(
            "lambda",
            endpoint_url=server.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}),
        )
        return client.invoke(FunctionName=name, Qualifier="1")

    with ThreadPoolExecutor(100) as pool:
        responses = list(pool.map(first_invoke, range(100)))

    assert [r.get("FunctionError") for r in responses] == [None] * 100
    assert [json.loads(r["Payload"].read()) for r in responses] == ["ok"] * 100


SLOW_INIT = SNAPPY.replace("HOOKS = {", "time.sleep(1.5)\nHOOKS = {")


def test_a_snapstart_version_is_pending_until_its_snapshot_is_taken(lambda_client, deploy):
    """Until its snapshot exists a SnapStart version reads Pending and refuses invokes with
    AWS's conflict; once Active, the first invoke is a restore whose Restore Duration holds
    no wait for init."""
    name = deploy(SLOW_INIT, Runtime="python3.12", SnapStart={"ApplyOn": "PublishedVersions"})
    published = lambda_client.publish_version(FunctionName=name)
    stored = state_of(lambda_client, name, "1")
    with pytest.raises(lambda_client.exceptions.ResourceConflictException) as refused:
        lambda_client.invoke(FunctionName=name, Qualifier="1")
    wait_settled(lambda_client, name, "1")
    state = state_of(lambda_client, name, "1")
    response = lambda_client.invoke(FunctionName=name, Qualifier="1", LogType="Tail")
    restore_ms = float(_report(response).split("Restore Duration: ")[1].split(" ms")[0])

    assert published["State"] == stored == "Pending"
    assert "following state: Pending" in str(refused.value)
    assert state == "Active"
    assert "FunctionError" not in response
    assert restore_ms < 500  # init sleeps 1.5 s: none of it is in the restore


TMP_AT_INIT = """
import os, time
os.makedirs("/tmp/cache/deep")
with open("/tmp/cache/deep/model", "w") as f:
    f.write("weights")
os.symlink("/etc/hostname", "/tmp/link")
os.mkfifo("/tmp/pipe")

def handler(event, context):
    with open("/tmp/cache/deep/model", "a") as f:
        f.write("+" + event["who"])
    time.sleep(event["sleep"])  # (so that the two calls need two environments)
    return {"model": open("/tmp/cache/deep/model").read(), "link": os.readlink("/tmp/link"),
            "pipe": os.path.exists("/tmp/pipe"), "uid": os.stat("/tmp/cache/deep/model").st_uid}
"""


def test_each_restored_environment_gets_a_copy_of_inits_tmp(server, lambda_client, deploy):
    """As on Lambda, whose snapshots hold the disk: what init wrote to /tmp is there in every
    restored environment, a copy of its own (owned by it; symlinks as symlinks); what
    cannot be copied (a named pipe) is skipped with a warning, not a failed restore."""
    if not server.isolation()["snapshots"].startswith("own"):
        pytest.skip("restored environments share their holder's /tmp here")
    name, _ = publish_snapstart(lambda_client, deploy, source=TMP_AT_INIT)

    def call(who):
        return invoke_json(lambda_client, name, {"who": who, "sleep": 1}, Qualifier="1")[1]

    with ThreadPoolExecutor(2) as pool:  # two environments at once
        bodies = list(pool.map(call, ["a", "b"]))

    assert sorted(b["model"] for b in bodies) == ["weights+a", "weights+b"]
    assert all(b["link"] == "/etc/hostname" and b["pipe"] is False for b in bodies)
    assert bodies[0]["uid"] != bodies[1]["uid"]


HOLDS = """
import time
def handler(event, context):
    time.sleep(event["hold"])
    return "held"
"""


def _holder_children(name: str, version: str | None = None) -> int:
    """How many children the snapshot holder of function `name` (of its `version`) has (its
    standby children and its live environments), counted as the uids they run as: each has
    one of its own; the holder's uid is the commonest (the holder, and each child's outside
    and init)."""
    markers = [f"AWS_LAMBDA_FUNCTION_NAME={name}\0".encode()]
    if version is not None:
        markers.append(f"AWS_LAMBDA_FUNCTION_VERSION={version}\0".encode())
    uids = []
    for proc in Path("/proc").iterdir():
        with contextlib.suppress(OSError, IndexError, ValueError):
            environ = (proc / "environ").read_bytes()
            if all(marker in environ for marker in markers):
                status = (proc / "status").read_text()
                uids.append(int(status.split("Uid:")[1].split()[0]))
    confined = [uid for uid in uids if uid != 0]
    if not confined:
        return 0
    holder = max(set(confined), key=confined.count)
    return len(set(confined) - {holder})


def test_after_a_burst_more_children_are_forked_ahead(server, lambda_client, deploy):
    """A burst beyond the standby children makes the holder keep more of them forked ahead
    (up to 8, for a minute), so the next burst of the version claims children already made."""
    if server.isolation()["identity"] == "off":
        pytest.skip("counted by their uids: needs confined environments")
    name = deploy(HOLDS, SnapStart={"ApplyOn": "PublishedVersions"}, Timeout=30)
    version = lambda_client.publish_version(FunctionName=name)["Version"]
    wait_settled(lambda_client, name, version)
    assert wait_for(lambda: _holder_children(name) == 2)  # the two standby children

    def call(_: int) -> None:
        invoke_json(lambda_client, name, {"hold": 1}, Qualifier=version)

    with ThreadPoolExecutor(6) as threads:
        list(threads.map(call, range(6)))

    # 6 warm environments, and more than the 2 standby children of before.
    assert wait_for(lambda: _holder_children(name) >= 6 + 4, timeout=30), _holder_children(name)


def test_a_new_version_is_born_with_children_for_its_functions_recent_concurrency(
    server, lambda_client, deploy
):
    """A version published while its function ran 6 invocations at once is Active with (at
    least) 6 children forked ahead, not 2: traffic moving to it finds them. Claimed, they
    are not forked again (they are warm environments now): 6 live and the usual 2."""
    if server.isolation()["identity"] == "off":
        pytest.skip("counted by their uids: needs confined environments")
    name = deploy(HOLDS, SnapStart={"ApplyOn": "PublishedVersions"}, Timeout=30)
    first = lambda_client.publish_version(FunctionName=name)["Version"]
    wait_settled(lambda_client, name, first)

    def burst(version: str) -> None:
        def call(_: int) -> None:
            invoke_json(lambda_client, name, {"hold": 1}, Qualifier=version)

        with ThreadPoolExecutor(6) as threads:
            list(threads.map(call, range(6)))

    burst(first)
    lambda_client.update_function_configuration(
        FunctionName=name, Environment={"Variables": {"RELEASE": "2"}}
    )
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name)
    second = lambda_client.publish_version(FunctionName=name)["Version"]
    wait_settled(lambda_client, name, second)

    assert _holder_children(name, second) >= 6
    burst(second)
    assert wait_for(lambda: _holder_children(name, second) == 6 + 2, timeout=30)
    time.sleep(1)  # (a refill would have begun by now)
    assert _holder_children(name, second) == 6 + 2


def test_waiters_see_a_snapstart_version_become_active_or_failed(lambda_client, deploy):
    """boto3's published_version_active and function_active_v2 waiters wait through Pending
    to Active; a version whose snapshot's init fails stops them with Failed."""
    name = deploy(SLOW_INIT, Runtime="python3.12", SnapStart={"ApplyOn": "PublishedVersions"})
    broken = deploy("import missing_module\n", SnapStart={"ApplyOn": "PublishedVersions"})
    version = lambda_client.publish_version(FunctionName=name)["Version"]
    failing = lambda_client.publish_version(FunctionName=broken)["Version"]
    fast = {"Delay": 0.2, "MaxAttempts": 150}

    lambda_client.get_waiter("published_version_active").wait(
        FunctionName=name, Qualifier=version, WaiterConfig=fast
    )
    state = state_of(lambda_client, name, version)
    lambda_client.get_waiter("function_active_v2").wait(
        FunctionName=name, Qualifier=version, WaiterConfig=fast
    )
    with pytest.raises(WaiterError) as stopped:
        lambda_client.get_waiter("published_version_active").wait(
            FunctionName=broken, Qualifier=failing, WaiterConfig=fast
        )

    assert state == "Active"
    assert "Failed" in str(stopped.value)


SNAPSHOT_MEMORY = """
BLOCK = bytearray(40 * 1024 * 1024)
BLOCK[::4096] = b"x" * len(BLOCK[::4096])  # 40 MB resident from init, in the snapshot


def handler(event, context):
    extra = bytearray(event["mb"] * 1024 * 1024)
    extra[::4096] = b"y" * len(extra[::4096])
    return len(BLOCK) + len(extra)
"""


def test_a_restored_environments_max_memory_used_counts_its_snapshot(lambda_client, deploy):
    """REPORT's Max Memory Used of a restored environment counts what it holds from the
    snapshot (charged to the holder's cgroup, not its own) and what it allocates, within
    its Memory Size."""
    name, _ = publish_snapstart(lambda_client, deploy, SNAPSHOT_MEMORY, MemorySize=128)

    def used(mb):
        response = lambda_client.invoke(
            FunctionName=name, Qualifier="1", LogType="Tail", Payload=json.dumps({"mb": mb})
        )
        assert "FunctionError" not in response
        return int(_report(response).split("Max Memory Used: ")[1].split(" MB")[0])

    first, grown = used(0), used(30)

    assert 40 <= first <= 128
    assert first + 25 <= grown <= 128


def test_a_start_that_waits_for_the_snapshots_init_reports_it_apart(lambda_client, deploy):
    """$LATEST with snapshots takes its snapshot at the first invoke: that invoke's REPORT
    shows the wait as Init Duration and a Restore Duration of the restore alone."""
    name = deploy(SLOW_INIT, Runtime="python3.12", Tags={"stratus:snapshot-latest": "true"})

    report = _report(lambda_client.invoke(FunctionName=name, LogType="Tail"))
    init_ms = float(report.split("Init Duration: ")[1].split(" ms")[0])
    restore_ms = float(report.split("Restore Duration: ")[1].split(" ms")[0])

    assert init_ms >= 1500  # init sleeps 1.5 s
    assert restore_ms < init_ms - 1000
