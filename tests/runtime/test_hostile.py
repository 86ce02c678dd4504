"""Hostile handlers: each attack a function could try on the server or its neighbours, proven
refused (issue 11). The server runs as root, as it usually does in containers and CI; where
the host cannot confine environments, the tests say so and skip."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import (
    create_function,
    invoke_json,
    make_zip,
    publish_snapstart,
    state_of,
    wait_for,
    wait_settled,
)

from stratus.testing import RunningServer, serve_in_process

# One module of attacks, chosen by the event's "attack"; each returns what it got (an error's
# name, or what it read), so the asserts below say what was refused and how.
ATTACKER = r"""
import ctypes, glob, json, os, signal, socket, subprocess, sys, time

def _try(action):
    try:
        return {"ok": action()}
    except Exception as exc:
        return {"error": type(exc).__name__, "errno": getattr(exc, "errno", None)}

def kill_parent(event):
    return {"ppid": os.getppid(), "pid": os.getpid(),
            "parent": None if event.get("dry_run") else _try(lambda: os.kill(os.getppid(), 9)),
            "server": _try(lambda: os.kill(event["server_pid"], signal.SIGKILL)),
            "group": _try(lambda: os.killpg(os.getpgrp(), 0))}

def processes(event):
    return sorted(int(p) for p in os.listdir("/proc") if p.isdigit())

def read_environ(event):
    found = []
    for path in glob.glob("/proc/*/environ"):
        try:
            with open(path, "rb") as f:
                if event["secret"].encode() in f.read():
                    found.append(path)
        except OSError:
            pass
    return {"found": found,
            "neighbour": _try(lambda: open("/proc/%d/environ" % event["pid"]).read()),
            "init": _try(lambda: open("/proc/1/environ", "rb").read().decode())}

def read_file(event):
    return {path: _try(lambda: open(path, "rb").read(64).hex()) for path in event["paths"]}

def list_dirs(event):
    return {path: _try(lambda: os.listdir(path)) for path in event["paths"]}

def append(event):
    def write(path):
        with open(path, "a") as f:
            f.write("\nraise SystemExit('planted')\n")
    return {path: _try(lambda: write(path)) for path in event["paths"]}

def runtime_api(event):
    def ask(path):
        with socket.create_connection(("127.0.0.1", event["port"]), timeout=2) as sock:
            sock.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
            return sock.recv(4096).decode()
    # An unknown path is answered at once by a server that talks to us (404); the real
    # theft is /next, which would be served the victim's next event.
    return {"probe": _try(lambda: ask("/2018-06-01/runtime/probe")),
            "next": _try(lambda: ask("/2018-06-01/runtime/invocation/next"))}

def spawn(event):
    marker = event["marker"]
    code = "import time\nwhile True: time.sleep(1)  # %s" % marker
    subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    if os.fork() == 0:  # a daemon: double fork, parent exits
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", code])
        os._exit(0)
    return "spawned"

def privileged(event):
    libc = ctypes.CDLL(None, use_errno=True)
    def call(result):
        if result != 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
        return result
    def cgroup_limit():
        for line in open("/proc/self/cgroup"):
            _, controllers, path = line.strip().split(":", 2)
            if "memory" in controllers.split(","):
                name = "/sys/fs/cgroup/memory%s/memory.limit_in_bytes" % path
                with open(name, "w") as f:
                    f.write(str(1 << 40))
                return name
        raise OSError(2, "no memory cgroup")
    PTRACE_ATTACH = 16
    return {
        "mount": _try(lambda: call(libc.mount(b"tmpfs", b"/tmp", b"tmpfs", 0, None))),
        "raw_socket": _try(lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, 1).close()),
        "ptrace_neighbour": _try(lambda: call(libc.ptrace(PTRACE_ATTACH, event["pid"], 0, 0))),
        "ptrace_init": _try(lambda: call(libc.ptrace(PTRACE_ATTACH, 1, 0, 0))),
        "cgroup_limit": _try(cgroup_limit),
        "write_task": _try(lambda: open("/var/task/new.py", "w").close()),
        "chmod_task": _try(lambda: os.chmod("/var/task/app.py", 0o777)),
        "setuid_root": _try(lambda: os.setuid(0)),
        "uid": os.getuid(),
    }

def write_tmp(event):
    with open("/tmp/" + event["name"], "w") as f:
        f.write(event["secret"])
    return os.getpid()

def fill_tmp(event):
    written, error = 0, None
    chunk = b"x" * (1 << 20)
    try:
        for index in range(event["files"]):
            with open("/tmp/fill-%d" % index, "wb") as f:
                for _ in range(event["mb_each"]):
                    f.write(chunk)
                    written += len(chunk)
    except OSError as exc:
        error = exc.errno
    for name in glob.glob("/tmp/fill-*"):
        os.unlink(name)
    return {"written_mb": written >> 20, "errno": error}

def filesystems(event):
    sizes = {}
    for path in ("/tmp", "/var/runtime/bytecode"):
        stat = os.statvfs(path)
        sizes[path] = stat.f_blocks * stat.f_frsize >> 20
    return sizes

def handler(event, context):
    return globals()[event["attack"]](event)
"""

VICTIM = """
import os
def handler(event, context):
    return {"pid": os.getpid(), "secret": os.environ["SECRET"]}
"""


@pytest.fixture(scope="module")
def confined(server: RunningServer) -> dict[str, Any]:
    isolation = server.isolation()
    if isolation["identity"] == "off":
        pytest.skip(f"environments are not confined here: {isolation['enable']['identity']}")
    return isolation


@pytest.fixture
def attacker(deploy: Any, lambda_client: Any, confined: dict[str, Any]) -> Any:
    name = deploy(ATTACKER, MemorySize=256, Timeout=30)

    def attack(kind: str, **event: Any) -> Any:
        response, body = invoke_json(lambda_client, name, {"attack": kind, **event})
        assert "FunctionError" not in response, body
        return body

    attack.function_name = name  # type: ignore[attr-defined]
    return attack


@pytest.fixture
def victim(deploy: Any, lambda_client: Any) -> dict[str, Any]:
    """A warm neighbour holding a secret in its environment; `pid` is its host pid."""
    secret = f"secret-{uuid.uuid4().hex}"
    name = deploy(VICTIM, Environment={"Variables": {"SECRET": secret}})
    invoke_json(lambda_client, name)
    pids = _host_pids_with(secret)
    assert pids, "the victim's environment is not running"
    return {"name": name, "secret": secret, "pid": max(pids)}


def _host_pids_with(text: str) -> list[int]:
    """Processes on the host whose environment or command line holds `text` (we are root)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if any(text.encode() in (proc / f).read_bytes() for f in ("environ", "cmdline")):
                found.append(int(proc.name))
    return found


def test_a_function_cannot_kill_the_server(attacker, lambda_client):
    """os.kill(os.getppid(), 9) reaches no one: the parent is the environment's own init
    (root, so refused), and the server's pid does not exist in the environment."""
    body = attacker("kill_parent", server_pid=os.getpid())

    assert body["ppid"] == 1
    assert body["pid"] == 2
    assert body["parent"]["error"] == "PermissionError"
    assert body["server"]["error"] == "ProcessLookupError"
    assert attacker("processes") == [1, 2]  # it sees only its own processes
    assert lambda_client.list_functions()["Functions"]  # the server is alive


def test_a_function_cannot_read_a_neighbours_environment(attacker, victim):
    """No /proc/<pid>/environ of a neighbour (or of the server) is visible: the environment
    has a /proc of its own. /proc/1 is its own init, which it cannot read either."""
    body = attacker("read_environ", secret=victim["secret"], pid=victim["pid"])

    assert body["found"] == []
    assert body["neighbour"]["error"] in ("FileNotFoundError", "PermissionError")
    assert "PYTEST_CURRENT_TEST" not in str(body["init"])  # never the server's variables


def test_a_function_cannot_read_the_database_or_the_data_directory(server, attacker):
    """The data directory (database, code store, other environments' /tmp) is the server's."""
    data = server.settings.data_dir
    paths = [str(data / "stratus.db"), str(data / "stratus.db-wal")]

    read = attacker("read_file", paths=paths)
    listed = attacker("list_dirs", paths=[str(data), str(data / "code"), str(data / "work")])

    assert all(outcome["error"] == "PermissionError" for outcome in read.values()), read
    assert all(outcome["error"] == "PermissionError" for outcome in listed.values()), listed


def test_a_function_cannot_change_code_shared_with_another(server, attacker, deploy, lambda_client):
    """Two functions with one package share its tree in the code store; neither can write
    to it, through /var/task or through the store's path."""
    neighbour = deploy(ATTACKER)  # the same archive: the same tree
    config = lambda_client.get_function(FunctionName=neighbour)["Configuration"]
    tree = server.settings.data_dir / "code" / base64.b64decode(config["CodeSha256"]).hex()
    before = (tree / "app.py").read_bytes()

    body = attacker("append", paths=["/var/task/app.py", str(tree / "app.py")])

    assert body["/var/task/app.py"]["errno"] in (13, 30)  # sealed, and mounted read-only
    assert body[str(tree / "app.py")]["error"] == "PermissionError"
    assert (tree / "app.py").read_bytes() == before
    assert invoke_json(lambda_client, neighbour, {"attack": "processes"})[1] == [1, 2]


CUSTOM_VICTIM = r"""#!/usr/bin/env python3
import json, os, urllib.request
API = "http://%s/2018-06-01/runtime" % os.environ["AWS_LAMBDA_RUNTIME_API"]
while True:
    with urllib.request.urlopen(API + "/invocation/next") as response:
        request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(response.read())
    answer = json.dumps({"api": os.environ["AWS_LAMBDA_RUNTIME_API"], "event": event}).encode()
    urllib.request.urlopen(API + "/invocation/%s/response" % request_id, answer).read()
"""


def test_a_function_cannot_take_a_neighbours_invocations(attacker, deploy_custom, lambda_client):
    """A custom runtime's Runtime API listens on the host's loopback, where a neighbour can
    find the port; a connection from any uid but the environment's own is closed unread,
    so the neighbour can neither take the next event nor answer for it."""
    victim = deploy_custom({"bootstrap": CUSTOM_VICTIM})
    port = int(invoke_json(lambda_client, victim, {"n": 1})[1]["api"].rsplit(":", 1)[1])

    stolen = attacker("runtime_api", port=port)
    after = invoke_json(lambda_client, victim, {"n": 2})[1]

    assert stolen["probe"] in ({"ok": ""}, {"error": "ConnectionResetError", "errno": 104})
    assert stolen["next"] in ({"ok": ""}, {"error": "ConnectionResetError", "errno": 104})
    assert after["event"] == {"n": 2}


def test_a_function_cannot_reach_into_the_kernel_or_its_limits(attacker, victim):
    """Mounting, raw sockets, ptrace of a neighbour or of its init, raising its own cgroup
    limits, writing its code, becoming root: all refused."""
    body = attacker("privileged", pid=victim["pid"])

    assert body["uid"] >= 1_500_000_000
    assert body["mount"]["error"] == "PermissionError"
    assert body["raw_socket"]["error"] == "PermissionError"
    assert body["ptrace_neighbour"]["errno"] == 3  # ESRCH: not in its namespace
    assert body["ptrace_init"]["errno"] == 1  # EPERM
    assert body["cgroup_limit"]["error"] in ("PermissionError", "OSError")
    assert body["write_task"]["error"] == "OSError"  # EROFS
    assert body["chmod_task"]["error"] in ("OSError", "PermissionError")
    assert body["setuid_root"]["error"] == "PermissionError"


def test_a_function_cannot_read_a_neighbours_tmp(server, attacker, deploy, lambda_client):
    """Another environment's /tmp is neither under the data directory (unreadable) nor
    under /proc/<pid>/root (its processes are invisible)."""
    writer = deploy(ATTACKER)
    secret = uuid.uuid4().hex
    pid_inside = invoke_json(
        lambda_client, writer, {"attack": "write_tmp", "name": "note", "secret": secret}
    )[1]
    host_pids = [p for p in _host_pids_with(writer) if p]
    work = server.settings.data_dir / "work"
    paths = [f"/proc/{p}/root/tmp/note" for p in [*host_pids, pid_inside]]
    paths += [str(p) for p in [*work.glob("envs/*/tmp/note"), *work.glob("scratch/*/note")]]
    assert len(paths) > 2  # the note is somewhere under the data directory

    body = attacker("read_file", paths=paths)

    assert secret.encode().hex()[:16] not in json.dumps(body)
    assert all("error" in outcome for outcome in body.values()), body


def _running(marker: str) -> list[int]:
    return [pid for pid in _host_pids_with(marker) if pid != os.getpid()]


def test_reclaiming_an_environment_kills_everything_it_started(attacker, lambda_client):
    """setsid children and double-forked daemons die with their environment."""
    marker = f"orphan-{uuid.uuid4().hex}"
    attacker("spawn", marker=marker)
    assert wait_for(lambda: len(_running(marker)) == 2, timeout=5)

    name = attacker.function_name
    lambda_client.update_function_configuration(FunctionName=name, Description="reclaim")

    assert wait_for(lambda: not _running(marker), timeout=10), _running(marker)


def test_a_killed_server_leaves_nothing_running(shared_dir):
    """kill -9 of the server: every environment, and everything they started, dies."""
    data = shared_dir
    marker = f"orphan-{uuid.uuid4().hex}"
    with serve_in_process(data / "data") as running:
        if running.isolation()["processes"] == "off":
            pytest.skip("environments have no PID namespace here")
        client = running.client("lambda")
        create_function(client, "spawner", ATTACKER, Timeout=30)
        invoke_json(client, "spawner", {"attack": "spawn", "marker": marker})
        assert wait_for(lambda: len(_running(marker)) == 2, timeout=5)

        assert running.process is not None
        running.process.send_signal(signal.SIGKILL)
        running.process.wait()

        assert wait_for(lambda: not _running(marker), timeout=10), _running(marker)


def test_tmp_is_capped_in_total(confined, attacker):
    """Several files together cannot outgrow EphemeralStorage (512 MB): ENOSPC. The
    bytecode cache, the one other writable place, is a capped filesystem too."""
    if confined.get("tmp_size") != "capped":
        pytest.skip("/tmp is capped per file only on this host")

    body = attacker("fill_tmp", files=4, mb_each=200)
    sizes = attacker("filesystems")

    assert body["errno"] == 28  # ENOSPC
    assert 500 <= body["written_mb"] <= 514
    assert sizes["/var/runtime/bytecode"] <= 1100  # the only other place it can write


def test_a_restored_environment_is_confined_too(server, confined, lambda_client, deploy):
    """A SnapStart environment (forked from its version's snapshot holder) runs as a uid of
    its own in a PID namespace of its own: it cannot see or signal the server (or its
    holder), read the data directory, mount or open raw sockets."""
    name, _ = publish_snapstart(lambda_client, deploy, ATTACKER)

    def attack(kind: str, **event: Any) -> Any:
        response, body = invoke_json(lambda_client, name, {"attack": kind, **event}, Qualifier="1")
        assert "FunctionError" not in response, body
        return body

    killed = attack("kill_parent", server_pid=os.getpid(), dry_run=True)
    seen = attack("processes")
    data = attack("read_file", paths=[str(server.settings.data_dir / "stratus.db")])
    body = attack("privileged", pid=os.getpid())

    assert killed["server"]["error"] == "ProcessLookupError"
    assert killed["ppid"] == 1  # its own init, not the holder
    assert seen == [1, 2]  # its own namespace: its init and itself
    assert all(outcome["error"] == "PermissionError" for outcome in data.values())
    assert 1 <= body["uid"] <= 1024  # a uid of its holder's user namespace, not its root
    assert body["mount"]["error"] == "PermissionError"
    assert body["raw_socket"]["error"] == "PermissionError"
    assert body["ptrace_neighbour"]["errno"] == 3  # the server: not in its namespace


# Who the function is, as code that needs a user name or home asks (matplotlib's import,
# getpass, Path.home()), at init and in the handler; and whether it can rename itself.
IDENTITY = r"""
import getpass, os, pwd
from pathlib import Path

AT_INIT = getpass.getuser()

def handler(event, context):
    try:
        with open("/etc/passwd", "a") as f:
            f.write("root2:x:0:0::/:/bin/sh")
        rewrite = "written"
    except OSError as exc:
        rewrite = type(exc).__name__
    return {"uid": os.getuid(), "name": pwd.getpwuid(os.getuid()).pw_name,
            "user": getpass.getuser(), "home": str(Path.home()), "at_init": AT_INIT,
            "users": sorted(entry.pw_name for entry in pwd.getpwall()), "rewrite": rewrite}
"""

CUSTOM_IDENTITY = r"""#!/usr/bin/env python3
import http.client, json, os, pwd
api = os.environ["AWS_LAMBDA_RUNTIME_API"]
while True:
    connection = http.client.HTTPConnection(api, timeout=30)
    connection.request("GET", "/2018-06-01/runtime/invocation/next")
    response = connection.getresponse()
    request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
    response.read()
    answer = {"uid": os.getuid(), "name": pwd.getpwuid(os.getuid()).pw_name}
    connection.request("POST", "/2018-06-01/runtime/invocation/%s/response" % request_id,
                       json.dumps(answer))
    connection.getresponse().read()
    connection.close()
"""


def _is_lambdas_user(body: dict[str, Any]) -> None:
    assert body["name"] == body["user"] == body["at_init"] == "sbx_user1051"
    assert body["home"] == "/home/sbx_user1051"  # (HOME unset, as on Lambda)
    # None of the host's (and no nobody where the uid is nobody's: rootless, as nobody).
    assert "sbx_user1051" in body["users"]
    assert set(body["users"]) <= {"nobody", "root", "sbx_user1051"}
    assert body["rewrite"] in ("PermissionError", "OSError")  # read-only, not its own


def test_a_function_has_a_user_name_and_home(confined, lambda_client, deploy, deploy_custom):
    """Its uid is named in its /etc/passwd, as Lambda's is (sbx_user1051), so getpass,
    Path.home() and whatever imports them work; a custom runtime's too. It cannot change
    the file."""
    name = deploy(IDENTITY)
    custom = deploy_custom({"bootstrap": CUSTOM_IDENTITY})

    body = invoke_json(lambda_client, name)[1]
    answer = invoke_json(lambda_client, custom)[1]

    _is_lambdas_user(body)
    assert answer["name"] == "sbx_user1051"


def test_a_restored_environment_has_a_user_name_and_home(confined, lambda_client, deploy):
    """Restored from a snapshot, an environment takes a uid of its holder's namespace (a
    small one, which the host names "daemon" or "bin"): it is named Lambda's user too, as
    the holder's was while init ran."""
    name, published = publish_snapstart(lambda_client, deploy, IDENTITY)

    body = invoke_json(lambda_client, name, Qualifier=published["Version"])[1]

    _is_lambdas_user(body)


def _invoke_in_background(
    lambda_client: Any, name: str, version: str, event: dict[str, Any]
) -> tuple[threading.Thread, dict[str, Any]]:
    """An invoke of `name`:`version` running in a thread (started); the dict gets its answer's
    body once it returns (join the thread first)."""
    answer: dict[str, Any] = {}

    def invoke() -> None:
        answer.update(invoke_json(lambda_client, name, event, Qualifier=version)[1])

    thread = threading.Thread(target=invoke)
    thread.start()
    return thread, answer


def test_a_restored_environment_that_times_out_dies_with_what_it_started(
    confined, lambda_client, deploy
):
    """Past its Timeout, a SnapStart environment is killed with every process it started (a
    setsid child, and a double-forked daemon its init adopted): the namespace goes."""
    hang = ATTACKER + "\ndef hang(event):\n    spawn(event)\n    time.sleep(60)\n"
    name, published = publish_snapstart(lambda_client, deploy, hang, Timeout=3)
    version = published["Version"]
    marker = f"orphan-{uuid.uuid4().hex}"
    event = {"attack": "hang", "marker": marker}
    invoking, answered = _invoke_in_background(lambda_client, name, version, event)
    started = wait_for(lambda: len(_running(marker)) == 2, timeout=10)
    invoking.join(timeout=30)

    assert started
    assert answered["errorType"] == "Sandbox.Timedout"
    assert wait_for(lambda: not _running(marker), timeout=10), _running(marker)


# A SnapStart function whose init leaves a file in /tmp (part of the snapshot, as on Lambda):
# `hold` keeps an environment busy with a secret in its /tmp; `neighbour`, run meanwhile in
# another environment of the same snapshot, tries every way to it.
SNAPSHOT_NEIGHBOURS = (
    ATTACKER
    + r"""
with open("/tmp/seed", "w") as f:
    f.write("from init")

def hold(event):
    with open("/tmp/note", "w") as f:
        f.write(event["secret"])
    with open("/tmp/seed", "a") as f:
        f.write(" + hold")
    deadline = time.time() + 30
    while not os.path.exists("/tmp/release") and time.time() < deadline:
        time.sleep(0.05)
    return {"uid": os.getuid(), "processes": processes(event), "note": open("/tmp/note").read(),
            "seed": open("/tmp/seed").read()}

def neighbour(event):
    def join(procs):
        with open(procs, "w") as f:
            f.write(str(os.getpid()))
    with open("/tmp/seed", "a") as f:
        f.write(" + neighbour")
    libc = ctypes.CDLL(None, use_errno=True)
    def ptrace(pid):
        if libc.ptrace(16, pid, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return {
        "uid": os.getuid(),
        "processes": processes(event),
        "kill_all": _try(lambda: os.kill(-1, signal.SIGKILL)),  # all it may signal: none
        "kill": _try(lambda: os.kill(event["pid"], signal.SIGKILL)),
        "ptrace": _try(lambda: ptrace(event["pid"])),
        "read": {path: _try(lambda: open(path).read()) for path in event["paths"]},
        "list": _try(lambda: os.listdir("/var/runtime/children")),
        "cgroups": {path: _try(lambda: join(path)) for path in event["cgroups"]},
        "seed": open("/tmp/seed").read(),
    }
"""
)


def _child_holding(secret: str, holder_uid: int | None = None) -> tuple[int, Path] | None:
    """The host pid of the snapshot child whose /tmp/note holds `secret` (its runtime,
    not its outside or init, which keep the holder's uid), and its /tmp's path in its
    holder's filesystem (from its mount table)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if (proc / "root/tmp/note").read_text() != secret:
                continue
            status = (proc / "status").read_text()
            uid = int(status.split("Uid:")[1].split()[0])
            parent = int(status.split("PPid:")[1].split()[0])
            if uid < 1_500_000_000 or uid == _uid_of(parent):
                continue
            for line in (proc / "mountinfo").read_text().splitlines():
                fields = line.split()
                if fields[4] == "/tmp":
                    return int(proc.name), Path(fields[3])
    return None


def _uid_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("Uid:")[1].split()[0])


def test_environments_of_one_snapshot_cannot_reach_each_other(confined, lambda_client, deploy):
    """Two environments restored from one snapshot (one version's, so they share a holder):
    each has its own uid, PID namespace and /tmp (a copy of what init left there). One,
    running alongside the other, can neither see, signal nor ptrace it, nor read its /tmp,
    nor move itself into its cgroups; the other finishes untouched."""
    name, published = publish_snapstart(lambda_client, deploy, SNAPSHOT_NEIGHBOURS, Timeout=60)
    version = published["Version"]
    secret = uuid.uuid4().hex
    hold = {"attack": "hold", "secret": secret}
    holding, held = _invoke_in_background(lambda_client, name, version, hold)
    try:
        assert wait_for(lambda: _child_holding(secret) is not None, timeout=20)
        found = _child_holding(secret)
        assert found is not None
        pid, tmp_root = found
        cgroups = []
        for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in filter(None, controllers.split(",")):
                procs = Path("/sys/fs/cgroup") / controller / path.lstrip("/") / "cgroup.procs"
                if procs.exists():
                    cgroups.append(str(procs))
        paths = [f"/var/runtime{tmp_root}/note", f"/proc/{pid}/root/tmp/note"]
        event = {"attack": "neighbour", "pid": pid, "paths": paths, "cgroups": cgroups}
        response, other = invoke_json(lambda_client, name, event, Qualifier=version)
        assert "FunctionError" not in response, other
        host_uid = _uid_of(pid)
    finally:
        marker = _child_holding(secret)
        if marker is not None:  # let the holding environment finish
            Path(f"/proc/{marker[0]}/root/tmp/release").touch()
        holding.join(timeout=60)

    assert held["note"] == secret  # untouched
    assert held["seed"] == "from init + hold"  # its own copy of init's /tmp
    assert other["seed"] == "from init + neighbour"
    assert held["processes"] == other["processes"] == [1, 2]
    assert held["uid"] != other["uid"]
    assert host_uid >= 1_500_000_000
    assert other["kill_all"]["error"] == "ProcessLookupError"  # nothing it may signal
    assert other["kill"]["error"] == "ProcessLookupError"
    assert other["ptrace"]["errno"] == 3  # ESRCH
    assert all("error" in outcome for outcome in other["read"].values()), other["read"]
    assert secret not in json.dumps(other)
    assert other["list"]["error"] == "PermissionError"
    assert cgroups
    assert all(
        outcome.get("error") == "PermissionError" for outcome in other["cgroups"].values()
    ), other["cgroups"]


NETWORK_PROBE = """
import os, socket
from urllib.parse import urlsplit

def handler(event, context):
    endpoint = urlsplit(os.environ["AWS_ENDPOINT_URL"])
    try:
        socket.create_connection((endpoint.hostname, endpoint.port), timeout=2).close()
        outside = "reached"
    except OSError as exc:
        outside = type(exc).__name__
    with socket.socket() as server:  # its own loopback still works
        server.bind(("127.0.0.1", 0))
        server.listen()
        socket.create_connection(server.getsockname(), timeout=2).close()
    return {"outside": outside}
"""


# A custom runtime (Python's standard library, as awslambdaric would be): each event is
# answered with its Runtime API's address, whether the Stratus endpoint is reachable, and
# the event; a new connection per request, as the bash tutorial's curl makes, and a large
# answer so the relay's backpressure path runs.
CUSTOM_PROBE = r"""#!/usr/bin/env python3
import http.client, json, os, socket
from urllib.parse import urlsplit
api = os.environ["AWS_LAMBDA_RUNTIME_API"]
endpoint = urlsplit(os.environ["AWS_ENDPOINT_URL"])
while True:
    connection = http.client.HTTPConnection(api, timeout=30)
    connection.request("GET", "/2018-06-01/runtime/invocation/next")
    response = connection.getresponse()
    request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
    event = json.loads(response.read())
    connection.close()
    try:
        socket.create_connection((endpoint.hostname, endpoint.port), timeout=2).close()
        outside = "reached"
    except OSError as exc:
        outside = type(exc).__name__
    answer = {"api": api, "outside": outside, "event": event, "padding": "x" * event["size"]}
    connection = http.client.HTTPConnection(api, timeout=30)
    connection.request("POST", "/2018-06-01/runtime/invocation/%s/response" % request_id,
                       json.dumps(answer))
    connection.getresponse().read()
    connection.close()
"""


def test_network_access_can_be_turned_off(confined, shared_dir):
    """STRATUS_NETWORK=false: an environment has a loopback of its own and nothing else,
    not even the Stratus endpoint, restored from a snapshot too; with the default it
    reaches the endpoint. A custom runtime finds its Runtime API at Lambda's 127.0.0.1:9001
    on that loopback (relayed to the server by its init), and a neighbour still cannot use
    that Runtime API."""
    from stratus.testing import serve_in_thread

    with serve_in_thread(shared_dir / "data", network=False) as running:
        client = running.client("lambda")
        create_function(client, "probe", NETWORK_PROBE)
        _, cut_off = invoke_json(client, "probe")
        snap_start = {"ApplyOn": "PublishedVersions"}
        create_function(client, "snap-probe", NETWORK_PROBE, SnapStart=snap_start)
        version = client.publish_version(FunctionName="snap-probe")["Version"]
        wait_settled(client, "snap-probe", version)
        tail = {"Qualifier": version, "LogType": "Tail"}
        response, restored = invoke_json(client, "snap-probe", **tail)
        scripts = {"bootstrap": CUSTOM_PROBE}
        client.create_function(
            FunctionName="custom-probe",
            Runtime="provided.al2023",
            Role="arn:aws:iam::000000000000:role/test",
            Code={"ZipFile": make_zip(scripts, {"bootstrap": 0o755})},
        )
        wait_for(lambda: state_of(client, "custom-probe", "$LATEST") == "Active")
        answers = [
            invoke_json(client, "custom-probe", {"n": n, "size": size})[1]
            for n, size in enumerate((10, 3_000_000, 10))
        ]
        health = running.isolation()

    assert cut_off["outside"] in ("OSError", "ConnectionRefusedError", "TimeoutError")
    assert restored["outside"] in ("OSError", "ConnectionRefusedError", "TimeoutError")
    assert "Restore Duration" in base64.b64decode(response["LogResult"]).decode()
    assert health["network"] == "none"
    assert [answer["event"]["n"] for answer in answers] == [0, 1, 2]
    assert len(answers[1]["padding"]) == 3_000_000
    assert all(answer["api"] == "127.0.0.1:9001" for answer in answers)
    assert {answer["outside"] for answer in answers} <= {"OSError", "ConnectionRefusedError"}


def test_functions_reach_the_endpoint_by_default(lambda_client, deploy, confined):
    """By default environments keep outbound network access (as on Lambda)."""
    name = deploy(NETWORK_PROBE)

    assert invoke_json(lambda_client, name)[1] == {"outside": "reached"}


# One environment of a snapshot fills its /tmp and holds it full; another of the same snapshot
# meanwhile writes its own EphemeralStorage in full.
SNAPSHOT_FILLERS = (
    ATTACKER
    + r"""
def tmp_type():  # (of the last mount at /tmp: the one on top)
    mounts = [line.split() for line in open("/proc/self/mountinfo")]
    return [fields[fields.index("-") + 1] for fields in mounts if fields[4] == "/tmp"][-1]

def fill_and_hold(event):
    with open("/tmp/note", "w") as f:
        f.write(event["secret"])
    written, error, chunk = 0, None, b"x" * (1 << 20)
    try:
        for index in range(8):
            with open("/tmp/full-%d" % index, "wb") as f:
                for _ in range(200):
                    f.write(chunk)
                    written += len(chunk)
    except OSError as exc:
        error = exc.errno
    with open("/tmp/filled", "w"):  # (an empty file: needs no block)
        pass
    deadline = time.time() + 60
    while os.path.exists("/tmp/note") and time.time() < deadline:
        time.sleep(0.05)
    return {"written_mb": written >> 20, "errno": error, "type": tmp_type()}

def fill(event):
    return {**fill_tmp(event), "type": tmp_type(), "size_mb": filesystems(event)["/tmp"]}
"""
)


def test_environments_of_one_snapshot_each_have_all_their_tmp(confined, lambda_client, deploy):
    """Each environment restored from one snapshot has a /tmp filesystem of its own, capped
    at EphemeralStorage: one fills its /tmp to ENOSPC and holds it full, and a sibling of
    the same snapshot still writes its full 512 MB (then ENOSPC too)."""
    if confined.get("tmp_size") != "capped":
        pytest.skip("/tmp is capped per file only on this host")
    name, published = publish_snapstart(lambda_client, deploy, SNAPSHOT_FILLERS, Timeout=90)
    version = published["Version"]
    secret = uuid.uuid4().hex

    def filled() -> bool:
        found = _child_holding(secret)
        return found is not None and Path(f"/proc/{found[0]}/root/tmp/filled").exists()

    hold = {"attack": "fill_and_hold", "secret": secret}
    holding, held = _invoke_in_background(lambda_client, name, version, hold)
    try:
        assert wait_for(filled, timeout=60)
        event = {"attack": "fill", "files": 4, "mb_each": 200}
        response, other = invoke_json(lambda_client, name, event, Qualifier=version)
        assert "FunctionError" not in response, other
    finally:
        found = _child_holding(secret)
        if found is not None:  # let the full environment finish
            Path(f"/proc/{found[0]}/root/tmp/note").unlink()
        holding.join(timeout=90)

    assert held["errno"] == 28  # ENOSPC: its own /tmp is full ...
    assert 500 <= held["written_mb"] <= 514
    assert other["errno"] == 28  # ... and the sibling's is all its own
    assert 500 <= other["written_mb"] <= 514
    assert 500 <= other["size_mb"] <= 530
    assert held["type"] == other["type"] == "ext4"  # disk, not memory (standby children)


BURST_TMP = r"""
import os, time, uuid

def handler(event, context):
    mine = uuid.uuid4().hex
    open("/tmp/" + mine, "w").close()
    time.sleep(event["hold"])
    stat = os.statvfs("/tmp")
    mounts = [line.split() for line in open("/proc/self/mountinfo")]
    kind = [fields[fields.index("-") + 1] for fields in mounts if fields[4] == "/tmp"][-1]
    return {"mine": mine, "seen": sorted(os.listdir("/tmp")), "type": kind,
            "size_mb": stat.f_blocks * stat.f_frsize >> 20}
"""


@pytest.mark.parametrize("pool", ["ready", "used up"])
def test_every_environment_of_a_burst_has_a_capped_tmp_of_its_own(
    confined, lambda_client, deploy, monkeypatch, pool
):
    """More restores at once than standby children: each environment still gets a /tmp of
    its own capped at EphemeralStorage and sees only its own files there; when the burst
    has used every filesystem made ahead ("used up", as a burst larger than the pool
    would), a tmpfs of that size."""
    from concurrent.futures import ThreadPoolExecutor

    from stratus.runtime.scratch import ScratchPool

    if confined.get("tmp_size") != "capped":
        pytest.skip("/tmp is capped per file only on this host")
    if pool == "used up":  # (standby children, made ahead, wait for theirs)
        take = ScratchPool.take_detached
        monkeypatch.setattr(
            ScratchPool,
            "take_detached",
            lambda self, size, uid, wait=False: take(self, size, uid, True) if wait else None,
        )
    name, published = publish_snapstart(lambda_client, deploy, BURST_TMP, Timeout=60)
    version = published["Version"]

    def call(_: int) -> dict[str, Any]:
        response, body = invoke_json(lambda_client, name, {"hold": 2}, Qualifier=version)
        assert "FunctionError" not in response, body
        return body

    with ThreadPoolExecutor(8) as threads:
        bodies = list(threads.map(call, range(8)))

    assert len({body["mine"] for body in bodies}) == 8
    assert all(body["seen"] == [body["mine"]] for body in bodies), bodies
    assert all(500 <= body["size_mb"] <= 530 for body in bodies), bodies
    kinds = [body["type"] for body in bodies]
    if pool == "ready":  # (a burst larger than the pool made so far gets tmpfs too)
        assert "ext4" in kinds, kinds
        assert set(kinds) <= {"ext4", "tmpfs"}, kinds
    else:
        assert kinds.count("ext4") <= 2, kinds
        assert "tmpfs" in kinds, kinds
