"""Start execution environments: the one seam between the pool and how processes are made.

`ProcessLauncher.wait_launch(spec)` starts a fresh interpreter running `lib/bootstrap.py` and
waits for its init phase. The snapshot launcher (zygote forks) will offer the same method.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import os
import shutil
import socket
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson

from stratus.runtime import confinement
from stratus.runtime.bytecode_seed import BytecodeSeeds
from stratus.runtime.confinement import RUNTIME_ROOT, TASK_ROOT, Bind
from stratus.runtime.environment import Environment
from stratus.runtime.frames import wait_connect
from stratus.runtime.interpreters import interpreter_for
from stratus.runtime.sandbox import Cage, Limits, Sandbox
from stratus.runtime.scheduling import lower_group
from stratus.runtime.scratch import ScratchPool
from stratus.runtime.sdk import RuntimeSdks
from stratus.runtime.spec import FunctionSpec

log = logging.getLogger("stratus.runtime")

RUNTIME_SOURCE = Path(__file__).parent / "lib"
# Lambda gives the init phase 10 seconds; an init that needs longer is retried inside the first
# invoke, under the function's own timeout (a "suppressed init": Invoker._wait_run_suppressed).
INIT_LIMIT_S = 10.0
# boto3 and its pure-Python dependencies, made importable for every runtime (as on Lambda).
# Where a custom runtime without network finds its Runtime API (Lambda's own address).
RUNTIME_API_INSIDE = "127.0.0.1:9001"
SDK_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")


@dataclass(slots=True)
class InitFailure:
    """The init phase failed; `payload` is the error Invoke returns. `timed_out`: it ran
    past its limit (so Lambda retries it within the invoke); `log` writes to the failed
    environment's log stream (the invoker ends a retried init's invoke there)."""

    payload: bytes
    init_ms: float
    timed_out: bool = False
    log: Callable[[str], None] | None = None


def init_report(init_ms: float, phase: str, status: str, payload: bytes = b"") -> str:
    """Lambda's INIT_REPORT line for an init that did not finish: `phase` is init (the 10 s
    init phase) or invoke (init retried inside the first invoke); `status` timeout or error."""
    line = f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: {phase}\tStatus: {status}"
    if status == "error":
        line += f"\tError Type: {_error_type(payload)}"
    return line


def failed_init(
    log_line: Callable[[str], None],
    payload: bytes,
    init_ms: float,
    init_limit_s: float | None,
    request_id: str,
    timed_out: bool = False,
) -> InitFailure:
    """Log the INIT_REPORT of a failed init and say how it failed. `init_limit_s` is None in
    the init phase; in the invoke phase (a retried init) a timeout is the invoke's own:
    Task timed out after the function's timeout."""
    phase = "init" if init_limit_s is None else "invoke"
    if timed_out and init_limit_s is not None:
        timestamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        log_line(f"{timestamp} {request_id} Task timed out after {init_limit_s:.2f} seconds")
        payload = orjson.dumps(
            {
                "errorMessage": f"RequestId: {request_id} Error: Task timed out after "
                f"{init_limit_s:.2f} seconds",
                "errorType": "Sandbox.Timedout",
            }
        )
    log_line(init_report(init_ms, phase, "timeout" if timed_out else "error", payload))
    return InitFailure(payload, init_ms, timed_out, log_line)


def _error_type(payload: bytes) -> str:
    try:
        error = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return "Runtime.Unknown"
    kind = error.get("errorType") if isinstance(error, dict) else None
    return kind if isinstance(kind, str) and kind else "Runtime.Unknown"


def _trusting(trust_dir: Path | None) -> dict[str, str]:
    """The variables that make SDKs trust the gateway's TLS door (HostContext.trust_dir)."""
    if trust_dir is None:
        return {}
    return {
        "AWS_CA_BUNDLE": str(trust_dir / "bundle.pem"),
        "NODE_EXTRA_CA_CERTS": str(trust_dir / "door.pem"),
    }


def start_line(request_id: str, spec: FunctionSpec) -> str:
    return f"START RequestId: {request_id} Version: {spec.version}"


@dataclass(frozen=True, slots=True)
class HostContext:
    """What every environment on this server shares."""

    region: str
    endpoint_url: str
    work_dir: Path  # per-environment /tmp directories and compiled-bytecode cache live here
    network: bool = True  # False: confined Python environments get no network at all
    # The gateway's TLS door (gateway/callback_tls.py): a directory holding its certificate
    # (door.pem, for Node's SDKs) and a CA bundle with it (bundle.pem, for boto3), which
    # every environment trusts. Public files only: its key lives elsewhere.
    trust_dir: Path | None = None


class ProcessLauncher:
    def __init__(
        self,
        host: HostContext,
        sandbox: Sandbox,
        emit_log: Callable[[str, str, str], None],  # (group, stream, line)
    ) -> None:
        self.host = host
        self.sandbox = sandbox
        self.emit_log = emit_log
        self._sdk_dir = _link_sdk(host.work_dir / "sdk")
        self._sdks = RuntimeSdks(host.work_dir, self._sdk_dir)  # (python3.9's is its own)
        # A copy inside the data directory: environments never depend on the source tree.
        self._runtime_dir = host.work_dir / "runtime"
        shutil.copytree(RUNTIME_SOURCE, self._runtime_dir, dirs_exist_ok=True)
        self.confined = sandbox.confinement.enabled
        if self.confined:
            # Mount points for the SDK and the bytecode cache inside /var/runtime; the data
            # directory (database, code store, other environments) is the server's alone.
            for name in ("sdk", "bytecode", "children", "trust"):
                (self._runtime_dir / name).mkdir(exist_ok=True)
            host.work_dir.parent.chmod(0o700)
            host.work_dir.chmod(0o700)
        self.scratch = ScratchPool.detect(host.work_dir / "scratch") if self.confined else None
        self._private_tmp = self.confined or _private_tmp_possible(host.work_dir, self._sdk_dir)
        self._warned_tmp = False
        self._bytecode_seeds: BytecodeSeeds | None = None
        self._opt_mount = self._private_tmp and _opt_mount_possible(host.work_dir, self._sdk_dir)

    def close(self) -> None:
        if self.scratch is not None:
            self.scratch.close()

    @property
    def runtime_dir(self) -> Path:
        """Where the runtime's own files are on the host (environments may see them at
        /var/runtime)."""
        return self._runtime_dir

    @property
    def private_tmp(self) -> bool:
        return self._private_tmp

    async def wait_launch(
        self,
        spec: FunctionSpec,
        capture: list[str] | None = None,
        request_id: str = "",
        init_type: str = "on-demand",
        init_limit_s: float | None = None,
    ) -> Environment | InitFailure:
        """A new environment that has finished its init phase, or why init failed.

        `request_id` is the invocation waiting for it (named in a crash report), if any;
        `init_type` is AWS_LAMBDA_INITIALIZATION_TYPE (on-demand, provisioned-concurrency);
        `init_limit_s`: None for the init phase (INIT_LIMIT_S), else the init is retried
        inside the invoke of `request_id` (its START is logged here) under this limit."""
        if spec.runtime.startswith("provided"):
            # Imported here: custom.py builds on this module (InitFailure, variables).
            from stratus.runtime.custom import wait_launch_custom

            return await wait_launch_custom(
                self, spec, capture, request_id, init_type, init_limit_s
            )
        env_id, stream, tmp, cage = await self.wait_slot(spec)
        parent_sock, child_sock = socket.socketpair()
        variables = self.variables(spec, stream, tmp, child_sock.fileno(), cage)
        variables["AWS_LAMBDA_INITIALIZATION_TYPE"] = init_type
        started = time.perf_counter()
        env = await self.wait_spawn(
            spec, env_id, stream, variables, parent_sock, child_sock, cage, tmp, capture
        )
        if init_limit_s is not None:
            env.log(start_line(request_id, spec))
        return await self._wait_init(env, started, request_id, init_limit_s)

    async def wait_slot(
        self,
        spec: FunctionSpec,
        prefix: str = "",
        tmp: Path | None = None,
        owner: int | None = None,
        holder: bool = False,
        tmp_owner: int | None = None,
        own_tmp: bool = True,
    ) -> tuple[str, str, Path, Cage]:
        """A new environment's id, log stream, /tmp directory (under `tmp` if given, owned
        by `tmp_owner` if given; none if not `own_tmp`: a snapshot child given a filesystem
        of its own, and the path is then /tmp) and cage (joined by itself as `owner`, a
        snapshot holder's uid, if given; a snapshot `holder`'s cage carries uids for its
        children)."""
        await self._sdks.wait_ready(spec.runtime)
        env_id = prefix + uuid.uuid4().hex
        stream = time.strftime("%Y/%m/%d", time.gmtime()) + f"/[{spec.version}]{env_id}"
        limits = Limits(memory_bytes=spec.memory_mb * 1024 * 1024)
        cage = self.sandbox.cage(env_id, limits, owner, holder)
        if not own_tmp:
            return env_id, stream, Path("/tmp"), cage
        size = spec.ephemeral_mb * 1024 * 1024
        if tmp is None and self.scratch is not None and cage.uid is not None:
            take = functools.partial(self.scratch.take, size, cage.uid)
            tmp = take() if self.scratch.ready(size) else await asyncio.to_thread(take)
            if holder:
                self._divide_holder_tmp(tmp, cage.uid)
            return env_id, stream, tmp, cage
        tmp = tmp / env_id if tmp is not None else self.host.work_dir / "envs" / env_id / "tmp"
        self._host_view(tmp).mkdir(parents=True, mode=0o700)
        uid = tmp_owner if tmp_owner is not None else cage.uid
        if uid is not None:
            os.chown(self._host_view(tmp), uid, uid)
        if holder and self.confined:  # (rootless, or no scratch filesystems)
            self._divide_holder_tmp(tmp, cage.uid)
        return env_id, stream, tmp, cage

    def _divide_holder_tmp(self, tmp: Path, uid: int | None) -> None:
        """A snapshot holder's /tmp filesystem (or directory, rootless): `tmp/` (its own
        /tmp) and `children/`, where the server makes each child's /tmp (its uid's alone),
        bound at /var/runtime/children. As root, both are root's, so the holder (`uid`) can
        neither rename nor replace `children`."""
        root = self._host_view(tmp)
        (root / "tmp").mkdir(mode=0o700)
        if uid is None:  # rootless: everything is the server's uid's anyway
            (root / "children").mkdir(mode=0o700)
            return
        os.chown(root, 0, 0)
        root.chmod(0o755)
        os.chown(root / "tmp", uid, uid)
        (root / "children").mkdir(mode=0o711)

    def _host_view(self, path: Path) -> Path:
        """Where the server reaches `path`: in a scratch filesystem, through the keeper."""
        if self.scratch is not None and path.is_relative_to(self.scratch.root):
            return self.scratch.view(path)
        return path

    def release_tmp(self, tmp: Path) -> None:
        """Remove an environment's /tmp (the filesystem itself, if it had one)."""
        if self.scratch is not None and tmp.parent == self.scratch.root:
            self.scratch.release_soon(tmp)
        elif tmp.name == "tmp":
            shutil.rmtree(tmp.parent, ignore_errors=True)
        else:  # a snapshot child's directory in its holder's /tmp
            shutil.rmtree(self._host_view(tmp), ignore_errors=True)

    async def wait_spawn(
        self,
        spec: FunctionSpec,
        env_id: str,
        stream: str,
        variables: dict[str, str],
        parent_sock: socket.socket,
        child_sock: socket.socket,
        cage: Cage,
        tmp: Path,
        capture: list[str] | None = None,
    ) -> Environment:
        """Start the runtime process (its init phase begins at once) and watch its output."""
        interpreter = interpreter_for(spec.runtime)
        read_fd, write_fd = os.pipe()
        try:
            process = await asyncio.create_subprocess_exec(
                interpreter.path,
                "-s",
                "-u",
                str(self._runtime_dir / "bootstrap.py"),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=write_fd,
                stderr=write_fd,
                pass_fds=(child_sock.fileno(),),
                env=variables,
                cwd=spec.code_dir,
                start_new_session=True,
            )
            lower_group(process.pid)  # its session's group: scheduling.py says why
        finally:
            os.close(write_fd)
            child_sock.close()
        channel = await wait_connect(parent_sock)
        group = spec.log_group
        env = Environment(
            spec,
            env_id,
            stream,
            process,
            channel,
            read_fd,
            cage,
            emit_log=functools.partial(self.emit_log, group),  # no Python frame per line
            on_exit=lambda e: self.release_tmp(tmp),
            capture=capture,
        )
        env.watch_output()
        version = f"python:{spec.runtime.removeprefix('python')}.stratus"
        env.log(
            f"INIT_START Runtime Version: {version}\tRuntime Version ARN: "
            f"arn:aws:lambda:{self.host.region}::runtime:stratus-{spec.runtime}"
        )
        return env

    async def wait_retire(
        self, name: str, keep_revision: str | None = None, version: str | None = None
    ) -> None:
        """Nothing outlives its environments here (the snapshot launcher keeps holders)."""

    async def _wait_init(
        self, env: Environment, started: float, request_id: str, init_limit_s: float | None
    ) -> Environment | InitFailure:
        limit = INIT_LIMIT_S if init_limit_s is None else init_limit_s
        try:
            async with asyncio.timeout(limit):
                header, body = await env.wait_frame()
        except asyncio.CancelledError:  # (a closing server: nobody will take it)
            await env.wait_kill()
            raise
        except TimeoutError:
            await env.wait_kill()
            error = {
                "errorMessage": f"Init phase timed out after {limit:.2f} seconds",
                "errorType": "Sandbox.Timedout",
            }
            payload = orjson.dumps(error)
            return failed_init(env.log, payload, limit * 1000, init_limit_s, request_id, True)
        except (asyncio.IncompleteReadError, ConnectionError):
            outcome = await env.wait_crash_outcome(request_id)
            init_ms = (time.perf_counter() - started) * 1000
            return failed_init(env.log, outcome.payload, init_ms, init_limit_s, request_id)
        init_ms = (time.perf_counter() - started) * 1000
        if header.get("type") != "ready":
            await env.wait_kill()
            return failed_init(env.log, body, init_ms, init_limit_s, request_id)
        env.init_ms = init_ms
        if self._private_tmp and not header.get("private_tmp") and not self._warned_tmp:
            self._warned_tmp = True
            log.warning("could not mount a private /tmp for environments; they get TMPDIR only")
        return env

    def variables(
        self,
        spec: FunctionSpec,
        stream: str,
        tmp: Path,
        fd: int,
        cage: Cage,
        runtime_api: str | None = None,
    ) -> dict[str, str]:
        """The environment's variables: Lambda's, the function's, and the runtime's own
        (STRATUS_*, which it removes before user code runs). `runtime_api`: where a custom
        runtime's Runtime API listens on the host (AWS_LAMBDA_RUNTIME_API is set here)."""
        variables = self._lambda_variables(spec, stream, tmp, fd) | cage.env
        if runtime_api is not None:
            variables["AWS_LAMBDA_RUNTIME_API"] = runtime_api
        if self.confined:
            for name in ("STRATUS_PRIVATE_TMP", "STRATUS_OPT_SOURCE"):
                variables.pop(name, None)  # the plan binds /tmp and /opt itself
            variables |= self._confined_variables(spec, tmp, cage, runtime_api)
        return variables

    def _confined_variables(
        self, spec: FunctionSpec, tmp: Path, cage: Cage, runtime_api: str | None
    ) -> dict[str, str]:
        """Paths as a confined environment sees them, and the plan lib/confine.py follows."""
        interpreter = interpreter_for(spec.runtime)
        binds = [
            Bind(spec.code_dir, TASK_ROOT),
            Bind(self._runtime_dir, RUNTIME_ROOT),
            Bind(self._sdks.dir_for(spec.runtime), RUNTIME_ROOT / "sdk"),
            Bind(self._bytecode_dir(spec), RUNTIME_ROOT / "bytecode", writable=True),
        ]
        if cage.holder:  # a snapshot holder (_divide_holder_tmp)
            binds.append(Bind(tmp / "tmp", Path("/tmp"), writable=True))
            binds.append(Bind(tmp / "children", RUNTIME_ROOT / "children", writable=True))
        else:
            binds.append(Bind(tmp, Path("/tmp"), writable=True))
        variables = {
            "TMPDIR": "/tmp",
            "LAMBDA_TASK_ROOT": str(TASK_ROOT),
            "LAMBDA_RUNTIME_DIR": str(RUNTIME_ROOT),
            "PYTHONPYCACHEPREFIX": str(RUNTIME_ROOT / "bytecode"),
            "STRATUS_SDK_PATH": "" if interpreter.is_server_python else str(RUNTIME_ROOT / "sdk"),
        }
        if spec.layers_dir is not None:
            binds.append(Bind(spec.layers_dir, Path("/opt")))
            variables |= {"STRATUS_OPT": "/opt", "LD_LIBRARY_PATH": "/opt/lib"}
        if self.host.trust_dir is not None:
            binds.append(Bind(self.host.trust_dir, RUNTIME_ROOT / "trust"))
            variables |= {
                name: value
                for name, value in _trusting(RUNTIME_ROOT / "trust").items()
                if name not in dict(spec.environment)  # the function's own settings win
            }
        reveal = [
            *confinement.interpreter_paths(interpreter.path, interpreter.is_server_python),
            *(Path(os.path.realpath(source)) for source in _sdk_sources()),
        ]
        namespace = self.scratch.namespace if self.scratch is not None else None
        rootless = self.sandbox.confinement.rootless
        # Rootless, init cannot reach the host's network to relay a Runtime API (that takes
        # root): custom runtimes keep the host's network, where theirs is.
        network = self.host.network or (rootless and runtime_api is not None)
        relay = None
        if runtime_api is not None and not network:
            # No network: the Runtime API is at Lambda's own address on the environment's
            # loopback, relayed to the host's by its init (lib/confine.py).
            relay = (RUNTIME_API_INSIDE, runtime_api)
            variables["AWS_LAMBDA_RUNTIME_API"] = RUNTIME_API_INSIDE
        uid = os.getuid() if cage.uid is None else cage.uid  # (rootless: the server's)
        hide = self._rootless_hide() if rootless else None
        variables["STRATUS_CONFINE"] = confinement.plan(
            uid, binds, reveal, namespace, network, relay, cage.children, hide
        )
        return variables

    def _rootless_hide(self) -> list[Path]:
        """What a rootless environment (the server's uid) must not see: the data directory,
        the server's home, and /var, under which its mount points (/var/task, /var/runtime)
        are made (an unprivileged server cannot make them on the host)."""
        hide = [self.host.work_dir.parent]
        home = Path(os.path.expanduser("~"))
        if home.is_dir() and home != Path("/"):
            hide.append(home)
        if not (TASK_ROOT.is_dir() and RUNTIME_ROOT.is_dir()):
            hide.append(TASK_ROOT.parent)
        return hide

    def _bytecode_dir(self, spec: FunctionSpec) -> Path:
        """Compiled bytecode, kept per function, code and layers: writable by that function's
        environments only, so no function can plant bytecode another one runs. On the
        scratch pool's bytecode filesystem when there is one, so that writing there cannot
        fill the host's disk either."""
        layers = spec.layers_dir.name if spec.layers_dir is not None else ""
        key = hashlib.sha256(f"{spec.name}\0{spec.code_dir.name}\0{layers}".encode())
        base = self.scratch.bytecode if self.scratch is not None else self.host.work_dir
        directory = base / "pycache" / spec.runtime / key.hexdigest()[:32]
        if not self._host_view(directory).is_dir():
            self._host_view(directory).mkdir(parents=True)
            self._host_view(directory).chmod(0o777)  # uids differ; only binds reach it
            if spec.runtime.startswith("python"):  # the SDK comes compiled (bytecode_seed.py)
                interpreter = interpreter_for(spec.runtime)
                seeds = self._seeds(base)
                seeds.link_into(
                    spec.runtime,
                    interpreter.path,
                    interpreter.is_server_python,
                    directory,
                    self._sdks.dir_for(spec.runtime),
                )
        return directory

    def _seeds(self, base: Path) -> BytecodeSeeds:
        if self._bytecode_seeds is None:
            self._bytecode_seeds = BytecodeSeeds(base, self._host_view)
        return self._bytecode_seeds

    def _lambda_variables(
        self, spec: FunctionSpec, stream: str, tmp: Path, fd: int
    ) -> dict[str, str]:
        interpreter = interpreter_for(spec.runtime)
        host = self.host
        sdk_path = "" if interpreter.is_server_python else str(self._sdks.dir_for(spec.runtime))
        private_tmp = {"STRATUS_PRIVATE_TMP": str(tmp)} if self._private_tmp else {}
        opt = self._opt(spec)
        return private_tmp | {
            "PATH": f"{Path(interpreter.path).parent}:/usr/local/bin:/usr/bin:/bin:{opt}/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "TMPDIR": "/tmp" if self._private_tmp else str(tmp),
            "PYTHONPYCACHEPREFIX": str(host.work_dir / "pycache" / spec.runtime),
            "AWS_ENDPOINT_URL": host.endpoint_url,
            **_trusting(host.trust_dir),
            **self._layer_variables(spec, opt),
            **dict(spec.environment),
            "_HANDLER": spec.handler,
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
            "LAMBDA_RUNTIME_DIR": str(self._runtime_dir),
            "AWS_REGION": host.region,
            "AWS_DEFAULT_REGION": host.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_SESSION_TOKEN": "test",
            "STRATUS_CONTROL_FD": str(fd),
            "STRATUS_SUPERVISOR_PID": str(os.getpid()),
            "STRATUS_SDK_PATH": sdk_path,
            "STRATUS_EPHEMERAL_BYTES": str(spec.ephemeral_mb * 1024 * 1024),
        }

    def _opt(self, spec: FunctionSpec) -> str:
        """Where the environment sees its layers: at /opt, bound there in its mount namespace,
        or else at the merged directory's real path. The one answer to "where is /opt"."""
        if spec.layers_dir is None:
            return "/opt"
        needed = (interpreter_for(spec.runtime).path, spec.code_dir)
        if self._opt_mount and not any(_under("/opt", path) for path in needed):
            return "/opt"
        return str(spec.layers_dir)

    def _layer_variables(self, spec: FunctionSpec, opt: str) -> dict[str, str]:
        """Tell the bootstrap where layers are (and what to bind at /opt); libraries in lib/."""
        if spec.layers_dir is None:
            return {}
        variables = {"STRATUS_OPT": opt, "LD_LIBRARY_PATH": f"{opt}/lib"}
        if opt == "/opt":
            # Every layer set has the same paths at /opt, so its bytecode is cached apart:
            # a stale .pyc of another set could otherwise pass the mtime and size check.
            pycache = self.host.work_dir / "pycache" / spec.runtime / spec.layers_dir.name
            variables |= {
                "STRATUS_OPT_SOURCE": str(spec.layers_dir),
                "PYTHONPYCACHEPREFIX": str(pycache),
            }
        return variables


def _opt_mount_possible(*paths: Path) -> bool:
    """Layers are bound over /opt in the namespace the private /tmp makes; that hides the
    host's /opt, so /opt must exist and nothing environments need may lie under it."""
    needed = [*paths, Path(sys.prefix), Path(sys.executable), *map(Path, _sdk_sources())]
    under_opt = [path for path in needed if _under("/opt", path)]
    if not Path("/opt").is_dir() or under_opt:
        log.warning(
            "layers cannot be mounted at /opt (%s); environments find them at their real path",
            f"{under_opt[0]} is under /opt" if under_opt else "/opt does not exist",
        )
        return False
    return True


def _under(root: str, path: Path | str) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(root)


def _private_tmp_possible(*paths: Path) -> bool:
    """Binding a private directory over /tmp hides the host's /tmp, so every path an
    environment needs must lie elsewhere; it also needs root (a mount namespace)."""
    if os.geteuid() != 0 or not Path("/proc/self/ns/mnt").exists():
        log.warning("not root: environments get a private TMPDIR but share the host's /tmp")
        return False
    needed = [*paths, Path(sys.prefix), Path(sys.executable), *map(Path, _sdk_sources())]
    under_tmp = [p for p in needed if Path(os.path.realpath(p)).is_relative_to("/tmp")]
    if under_tmp:
        log.warning(
            "%s is under /tmp, so environments cannot get a private /tmp; they get a private "
            "TMPDIR instead (move the data directory and virtualenv out of /tmp for the full "
            "behaviour)",
            under_tmp[0],
        )
        return False
    log.info("isolation: each environment gets a private /tmp (mount namespace)")
    return True


def _sdk_sources() -> list[str]:
    return [
        str(Path(entry) / name)
        for entry in sys.path
        for name in SDK_PACKAGES
        if (Path(entry) / name).exists()
    ]


def _link_sdk(target: Path) -> Path:
    """A directory holding only the AWS SDK, linked from the server's own installation."""
    target.mkdir(parents=True, exist_ok=True)
    for source in map(Path, _sdk_sources()):
        link = target / source.name
        if link.is_symlink() or link.exists():
            link.unlink()  # may point into an older installation
        link.symlink_to(source)
    return target
