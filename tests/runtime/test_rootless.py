"""A server that is not root (issue 11): environments confined in user namespaces of their own
where the host allows them, and every protection that needs root listed as off, at start and
in /_stratus/health, with how to turn it on. The test (root) starts the server as `nobody`;
it skips, saying why, where it cannot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from tests.conftest import ROLE, make_zip
from tests.runtime.test_hostile import ATTACKER, IDENTITY, _is_lambdas_user

from stratus.testing import free_port

NOBODY = 65534

# Run `python -m stratus <args>` as nobody. The interpreter lives under /root (mode 0700) on
# test machines, where nobody could not even start it: in a mount namespace of the server's
# own, /root is covered and the interpreter's tree bound back, as if installed for everyone.
AS_NOBODY = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_void_p]
def check(result, what):
    if result != 0:
        raise SystemExit("%s: %s" % (what, os.strerror(ctypes.get_errno())))
closed, tree = sys.argv[1], sys.argv[2]
if closed:
    check(libc.unshare(0x00020000), "unshare")
    check(libc.mount(b"none", b"/", None, 0x4000 | 0x40000, None), "private")
    keep = os.open(tree, os.O_PATH)
    check(libc.mount(b"tmpfs", closed.encode(), b"tmpfs", 0, b"mode=755"), "cover")
    os.makedirs(tree)
    source = ("/proc/self/fd/%d" % keep).encode()
    check(libc.mount(source, tree.encode(), None, 0x1000 | 0x4000, None), "bind")
os.setgroups([])
os.setresgid(65534, 65534, 65534)
os.setresuid(65534, 65534, 65534)
os.execv(sys.executable, [sys.executable, "-m", "stratus", *sys.argv[3:]])
"""

WRITE_AT_INIT = """
with open("/tmp/seed", "w") as f:
    f.write("from init")
"""

USERNS_PROBE = """
import ctypes, os
os.setgroups([]); os.setresgid(65534, 65534, 65534); os.setresuid(65534, 65534, 65534)
if ctypes.CDLL(None, use_errno=True).unshare(0x10000000 | 0x20000000 | 0x00020000) != 0:
    raise SystemExit(os.strerror(ctypes.get_errno()))
"""


def _interpreter_tree() -> tuple[str, str]:
    """(closed ancestor, the interpreter's tree under it), or ("", "") if nobody can reach
    the interpreter as it is."""
    prefix = Path(os.path.realpath(sys.base_prefix))
    for ancestor in reversed(prefix.parents):
        if ancestor != Path("/") and not ancestor.stat().st_mode & 0o001:
            tree = prefix.parents[len(prefix.parents) - len(ancestor.parts) - 1]
            return str(ancestor), str(tree)
    return "", ""


def _reachable_by_everyone(path: Path) -> bool:
    return all(p.stat().st_mode & 0o001 for p in (path, *path.parents))


@pytest.fixture(scope="module")
def rootless(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if os.geteuid() != 0:
        pytest.skip("the test starts the server as nobody, which takes root")
    probe = subprocess.run([sys.executable, "-c", USERNS_PROBE], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"unprivileged users cannot make user namespaces here: {probe.stderr}")
    venv, source = Path(sys.prefix), Path(__file__).parents[2] / "src"
    if venv != Path(sys.base_prefix) and not _reachable_by_everyone(venv):
        pytest.skip(f"nobody cannot reach this virtualenv ({venv}): a directory above it is closed")
    if not _reachable_by_everyone(source):
        pytest.skip(f"nobody cannot reach the source ({source}): a directory above it is closed")
    work = Path("/var/tmp") / f"stratus-rootless-{os.getpid()}"
    work.mkdir(mode=0o755)
    os.chown(work, NOBODY, NOBODY)
    port = free_port()
    closed, tree = _interpreter_tree()
    log = open(work.parent / f"{work.name}.log", "wb")  # noqa: SIM115
    command = [sys.executable, "-c", AS_NOBODY, closed, tree]
    command += ["server", "--port", str(port), "--data-dir", str(work / "data")]
    server = subprocess.Popen(
        command,
        env={**os.environ, "PYTHONPATH": str(source), "HOME": str(Path.home())},
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=work,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, (work.parent / f"{work.name}.log").read_text()
            try:
                with urllib.request.urlopen(f"{url}/_stratus/health", timeout=1) as response:
                    health = json.load(response)
                break
            except OSError:
                assert time.monotonic() < deadline, "the rootless server did not start"
                time.sleep(0.1)
        client = boto3.client(
            "lambda",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(read_timeout=60, retries={"max_attempts": 0}),
        )
        yield {
            "health": health["isolation"],
            "client": client,
            "pid": server.pid,
            "data": work / "data",
            "log": work.parent / f"{work.name}.log",
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        subprocess.run(["rm", "-rf", str(work)], check=False)
        (work.parent / f"{work.name}.log").unlink(missing_ok=True)


def _attack(server: dict[str, Any], kind: str, **event: Any) -> Any:
    client = server["client"]
    response = client.invoke(FunctionName="attacker", Payload=json.dumps({"attack": kind, **event}))
    body = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, body
    return body


def test_protections_that_need_root_are_listed_off_with_how_to_enable(rootless):
    health = rootless["health"]

    assert health["processes"] == "own PID namespace (in a user namespace)"
    assert health["files"] == "own mount namespace (in a user namespace)"
    assert health["snapshots"] == "own PID namespace per environment (in a user namespace)"
    for name in ("identity", "runtime_api", "tmp_size"):
        assert health[name] == "off" or name == "tmp_size"
        assert name in health["off"]
        assert "root" in health["enable"][name]
    logged = rootless["log"].read_text()
    assert "isolation: identity is OFF for every environment" in logged
    assert "isolation: runtime_api is OFF for every environment" in logged


def test_a_rootless_environment_cannot_reach_the_server(rootless):
    """Even with the server's uid, an environment sees only its own processes, cannot
    signal the server, cannot read the data directory (covered), mount, or ptrace its init."""
    client = rootless["client"]
    client.create_function(
        FunctionName="attacker",
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": ATTACKER})},
        Timeout=30,
    )
    client.get_waiter("function_active_v2").wait(FunctionName="attacker")
    data = rootless["data"]

    killed = _attack(rootless, "kill_parent", server_pid=rootless["pid"])
    seen = _attack(rootless, "processes")
    read = _attack(rootless, "read_file", paths=[str(data / "stratus.db"), "/proc/1/environ"])
    body = _attack(rootless, "privileged", pid=rootless["pid"])

    assert killed["ppid"] == 1  # its own init, which ignores it (the kernel's rule for PID 1)
    assert killed["server"]["error"] == "ProcessLookupError"
    assert seen == [1, 2]
    assert read[str(data / "stratus.db")]["error"] == "FileNotFoundError"
    assert read["/proc/1/environ"]["error"] == "PermissionError"
    assert body["uid"] == NOBODY  # the server's: the one thing that needs root
    assert body["mount"]["error"] == "PermissionError"
    assert body["ptrace_init"]["errno"] == 1
    assert body["ptrace_neighbour"]["errno"] == 3  # the server: not in its namespace
    assert body["write_task"]["error"] in ("OSError", "PermissionError")
    assert _attack(rootless, "processes") == [1, 2]  # and the server is still there


def _publish_snapstart(client: Any, name: str, source: str) -> str:
    """Create a SnapStart function and publish it; its version, once restorable."""
    client.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": source})},
        Timeout=30,
        SnapStart={"ApplyOn": "PublishedVersions"},
    )
    client.get_waiter("function_active_v2").wait(FunctionName=name)
    version = client.publish_version(FunctionName=name)["Version"]
    client.get_waiter("published_version_active").wait(FunctionName=name, Qualifier=version)
    return str(version)


def test_rootless_snapshot_environments_are_confined_too(rootless):
    """Restored from a snapshot, each environment still has PID and mount namespaces of its
    own (a user namespace of its own, made by the child of its holder)."""
    client = rootless["client"]
    version = _publish_snapstart(client, "snap-attacker", ATTACKER + WRITE_AT_INIT)

    def attack(kind: str, **event: Any) -> Any:
        payload = json.dumps({"attack": kind, **event})
        response = client.invoke(FunctionName="snap-attacker", Qualifier=version, Payload=payload)
        body = json.loads(response["Payload"].read())
        assert "FunctionError" not in response, body
        return body

    killed = attack("kill_parent", server_pid=rootless["pid"], dry_run=True)
    seen = attack("processes")
    read = attack("read_file", paths=[str(rootless["data"] / "stratus.db"), "/tmp/seed"])

    assert killed["ppid"] == 1
    assert killed["server"]["error"] == "ProcessLookupError"
    assert seen == [1, 2]
    assert read[str(rootless["data"] / "stratus.db")]["error"] == "FileNotFoundError"
    assert bytes.fromhex(read["/tmp/seed"]["ok"]) == b"from init"  # init's /tmp, copied


def test_a_rootless_environment_has_a_user_name_and_home_too(rootless):
    """With the server's uid (here nobody's), an environment is still Lambda's user, on
    demand and restored from a snapshot."""
    client = rootless["client"]
    version = _publish_snapstart(client, "identity", IDENTITY)

    for qualifier in ("$LATEST", version):
        response = client.invoke(FunctionName="identity", Qualifier=qualifier)
        body = json.loads(response["Payload"].read())
        assert "FunctionError" not in response, body
        _is_lambdas_user(body)
        assert body["uid"] == NOBODY
