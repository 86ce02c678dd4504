"""The built-in Python runtime: runs inside every execution environment.

Standard library only, and Python 3.9 syntax: it runs on whichever interpreter matches the
function's runtime. Started by the supervisor (stratus.runtime.environment) as

    python -s -u bootstrap.py      cwd = LAMBDA_TASK_ROOT, fd STRATUS_CONTROL_FD = socket

It runs the init phase (imports the handler module) once, then serves one invocation at a
time. stdout and stderr are the function's log; the control socket carries frames:

    frame   = u32 header_length | u32 body_length | header (JSON object) | body (bytes)

    supervisor -> runtime   {"type": "invoke", "request_id", "deadline_ms", "invoked_arn",
                             "client_context", "identity", "trace_id"}      body: event JSON
    runtime -> supervisor   {"type": "ready", "init_ms", "private_tmp"}     body: empty
                            {"type": "init_error"}                          body: error JSON
                            {"type": "result", "ok", "max_rss_kb"}          body: result JSON

Everything written to stdout/stderr before a result frame is written to the pipe before the
frame is sent, which is what lets the supervisor attribute log lines to invocations.
"""

import contextlib
import ctypes
import importlib
import json
import logging
import os
import resource
import select
import signal
import socket
import struct
import sys
import time
import traceback

FRAME = struct.Struct(">II")
PR_SET_PDEATHSIG = 1
CLONE_NEWNS = 0x00020000
MS_BIND, MS_REC, MS_PRIVATE = 0x1000, 0x4000, 0x40000
MS_RDONLY, MS_REMOUNT = 0x1, 0x20
LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"

_request_id = ""

# Types are in comments: this file is compiled at every start (it runs as __main__, so no
# cached bytecode), and annotations would cost that compile time; typing costs import time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

    Handler = Callable[[Any, "LambdaContext"], Any]
    Error = dict[str, Any]  # errorMessage, errorType, requestId, stackTrace, as Lambda's
    Header = dict[str, Any]  # a control frame's header


def main():  # type: () -> None
    _die_with_supervisor()
    private_tmp = _enter_sandbox()
    control = socket.socket(fileno=int(os.environ.pop("STRATUS_CONTROL_FD")))
    _set_sys_path()
    _install_log_handler()
    started = time.perf_counter()
    handler, error = _load_handler(os.environ["_HANDLER"])
    if error is not None:
        _log_error(error)
        _send(control, {"type": "init_error"}, _dumps(error))
        sys.exit(1)
    assert handler is not None  # _load_handler returns one of the two
    init_ms = (time.perf_counter() - started) * 1000
    if os.environ.pop("STRATUS_ZYGOTE", ""):
        if TYPE_CHECKING:
            from stratus.runtime.lib import snapshot_zygote
        else:
            import snapshot_zygote

        snapshot_zygote.hold(sys.modules[__name__], control, handler, init_ms)
    _send(control, {"type": "ready", "init_ms": init_ms, "private_tmp": private_tmp}, b"")
    serve(control, handler)


def serve(control, handler):  # type: (socket.socket, Handler) -> None
    """Answer invoke frames, one at a time, until the supervisor closes the socket."""
    # Wait in poll(), not in recv(): a process asleep in recv() on a Unix stream socket is
    # woken, for nothing, when the supervisor reads its previous answer (the kernel's
    # write-space wake-up does not look at what the sleeper waits for; poll's does). That
    # is a context switch per invocation saved.
    _lower_scheduling_group()
    incoming = select.poll()
    incoming.register(control, select.POLLIN)
    while True:
        incoming.poll()
        frame = _receive(control)
        if frame is None:
            return
        header, body = frame
        ok, result = _invoke(handler, header, body)
        sys.stdout.flush()
        sys.stderr.flush()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        answer = _RESULT % (b"true" if ok else b"false", rss)
        control.sendall(FRAME.pack(len(answer), len(result)) + answer + result)
        if not ok and json.loads(result).get("errorType") == "Runtime.OutOfMemory":
            sys.exit(1)  # a process that ran out of memory is not reused


AUTOGROUP_NICE = b"10"
# The result frame's header, written without the json module: an environment idle between
# invocations runs this code with cold caches, where every Python call costs several times
# its warm figure (json.dumps and json.loads' detection of the encoding are Python code).
_RESULT = b'{"type":"result","ok":%s,"max_rss_kb":%d}'
_HEADER = json.JSONDecoder()  # frame headers are our own compact JSON: raw_decode suffices


def _lower_scheduling_group():  # type: () -> None
    """Every environment is a session of its own (so a timeout kills its process group),
    and with the kernel's autogroup scheduling (CONFIG_SCHED_AUTOGROUP, on in most
    distributions) each session is a scheduling group weighted like the server's whole
    process: 64 busy environments outweighed the one event loop serving them all, and the
    gateway did half as much at 64 connections as at 16 (bench/gateway.py). At nice 10 an
    environment's group weighs a ninth of the server's when they compete for a CPU; alone
    on one it runs as fast. Lowering is allowed to any process, but without CAP_SYS_ADMIN
    only once per 100 ms machine-wide, so the server lowers it too (runtime/scheduling.py);
    no autogroup, no change."""
    with contextlib.suppress(OSError):
        fd = os.open("/proc/self/autogroup", os.O_WRONLY)
        try:
            os.write(fd, AUTOGROUP_NICE)
        finally:
            os.close(fd)


def _die_with_supervisor():  # type: () -> None
    """Exit if the supervisor dies, even by kill -9: no orphan environments."""
    with contextlib.suppress(OSError, AttributeError):
        _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != int(os.environ.pop("STRATUS_SUPERVISOR_PID", os.getppid())):
        os._exit(1)  # the supervisor died before prctl took effect


def _enter_sandbox():  # type: () -> bool
    """Join the cgroups the supervisor prepared (or apply the rlimit fallback), cap file
    sizes at the ephemeral storage size, and give this environment its own /tmp."""
    for procs in filter(None, os.environ.pop("STRATUS_CGROUP_PROCS", "").split(os.pathsep)):
        with open(procs, "w") as f:
            f.write(str(os.getpid()))
    limit = os.environ.pop("STRATUS_DATA_RLIMIT", "")
    if limit:
        resource.setrlimit(resource.RLIMIT_DATA, (int(limit), int(limit)))
    storage = int(os.environ.pop("STRATUS_EPHEMERAL_BYTES", "0"))
    if storage:
        resource.setrlimit(resource.RLIMIT_FSIZE, (storage, storage))
    plan = os.environ.pop("STRATUS_CONFINE", "")
    if plan:
        if TYPE_CHECKING:
            from stratus.runtime.lib import confine
        else:
            import confine  # beside this file; imported only when confining

        confine.enter(json.loads(plan))
        return True
    private_tmp = os.environ.pop("STRATUS_PRIVATE_TMP", "")
    if os.environ.pop("STRATUS_LAYERS_ONLY", ""):
        # A snapshot holder: /opt for its init, but no /tmp (each child binds its own).
        _mount_layers(in_namespace=_unshare_mounts())
        return False
    if not private_tmp:
        return False
    if not _mount_private_tmp(private_tmp):
        os.environ["TMPDIR"] = private_tmp  # still private, just not at /tmp
        _mount_layers(in_namespace=False)
        return False
    _mount_layers(in_namespace=True)
    return True


def _mount_private_tmp(source):  # type: (str) -> bool
    """In a mount namespace of our own, bind this environment's directory over /tmp."""
    if not _unshare_mounts():
        return False
    return bool(_libc().mount(source.encode(), b"/tmp", None, MS_BIND, None) == 0)


def _unshare_mounts():  # type: () -> bool
    """A mount namespace of our own, where mounts do not propagate back to the host."""
    libc = _libc()
    if libc.unshare(CLONE_NEWNS) != 0:
        return False
    return bool(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) == 0)


_LIBC = []  # type: list[ctypes.CDLL]


def _libc():  # type: () -> Any  # the C library: its functions are found by name
    if not _LIBC:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_void_p]
        _LIBC.append(libc)
    return _LIBC[0]


def _mount_layers(in_namespace):  # type: (bool) -> None
    """Bind the function's merged layers over /opt (read-only) in our mount namespace; failing
    that, point the paths that name /opt at the directory itself, and say so in the log."""
    source = os.environ.pop("STRATUS_OPT_SOURCE", "")
    if not source:
        return
    if in_namespace:
        libc = _libc()
        if libc.mount(source.encode(), b"/opt", None, MS_BIND, None) == 0:
            libc.mount(None, b"/opt", None, MS_REMOUNT | MS_BIND | MS_RDONLY, None)
            return
    for key in ("STRATUS_OPT", "PATH", "LD_LIBRARY_PATH"):
        parts = os.environ.get(key, "").split(os.pathsep)
        moved = [source + p[4:] if p == "/opt" or p.startswith("/opt/") else p for p in parts]
        os.environ[key] = os.pathsep.join(moved)
    sys.stdout.write(f"[WARNING] could not mount layers at /opt; they are at {source}\n")


def _set_sys_path():  # type: () -> None
    """Task root, the layers' Python directories, the runtime directory, then the shared SDK
    (as on Lambda)."""
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    # Where the environment sees this directory (/var/runtime when confined) and where the
    # interpreter found it (which a confined environment cannot read).
    here = os.environ.get("LAMBDA_RUNTIME_DIR") or os.path.dirname(os.path.abspath(__file__))
    started_in = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if p not in ("", here, started_in)]
    sys.path.insert(0, task_root)
    sys.path.insert(1, here)
    sys.path[1:1] = _layer_paths()
    for extra in filter(None, os.environ.pop("STRATUS_SDK_PATH", "").split(os.pathsep)):
        sys.path.append(extra)


def _layer_paths():  # type: () -> list[str]
    """Where layers put Python code: /opt/python/lib/python3.X/site-packages, /opt/python."""
    opt = os.environ.pop("STRATUS_OPT", "")
    if not opt:
        return []
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    return [f"{opt}/python/lib/{version}/site-packages", f"{opt}/python"]


class _RequestIdFilter(logging.Filter):
    def filter(self, record):  # type: (logging.LogRecord) -> bool
        record.aws_request_id = _request_id
        return True


def _install_log_handler():  # type: () -> None
    """The same root-logger format the Lambda Python runtime installs."""
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter(LOG_FORMAT, datefmt="%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.terminator = ""
    handler.addFilter(_RequestIdFilter())
    logging.getLogger().addHandler(handler)


def _load_handler(spec):  # type: (str) -> tuple[Handler | None, Error | None]
    try:
        module_name, function_name = spec.rsplit(".", 1)
    except ValueError as exc:
        return None, _init_error("Runtime.MalformedHandlerName", f"Bad handler '{spec}': {exc}")
    module_name = module_name.replace("/", ".")
    if module_name in sys.builtin_module_names:
        return None, _init_error(
            "Runtime.BuiltInModuleConflict",
            f"Cannot use built-in module {module_name} as a handler module",
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        return None, _init_error(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}"
        )
    except SyntaxError as exc:
        error = _init_error(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}"
        )
        error["stackTrace"] = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        return None, error
    except Exception as exc:
        return None, _error_result(exc, "")
    handler = getattr(module, function_name, None)  # type: Handler | None
    if handler is None:
        return None, _init_error(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        )
    return handler, None


def _init_error(error_type, message):  # type: (str, str) -> Error
    return {"errorMessage": message, "errorType": error_type, "requestId": "", "stackTrace": []}


def _invoke(handler, header, body):  # type: (Handler, Header, bytes) -> tuple[bool, bytes]
    global _request_id
    _request_id = header["request_id"]
    os.environ["_X_AMZN_TRACE_ID"] = header.get("trace_id") or ""
    try:
        event = json.loads(body) if body else {}
        result = handler(event, LambdaContext(header))
    except MemoryError:
        error = {  # type: Error
            "errorMessage": f"RequestId: {_request_id} Error: Runtime exited with error: "
            "out of memory",
            "errorType": "Runtime.OutOfMemory",
        }
        _log_error(error)
        return False, _dumps(error)
    except Exception as exc:
        error = _error_result(exc, _request_id, skip_frames=1)
        _log_error(error)
        return False, _dumps(error)
    try:
        return True, _dumps(result)
    except (TypeError, ValueError) as exc:
        error = {
            "errorMessage": f"Unable to marshal response: {exc}",
            "errorType": "Runtime.MarshalError",
            "requestId": _request_id,
            "stackTrace": [],
        }
        _log_error(error)
        return False, _dumps(error)


def _error_result(exc, request_id, skip_frames=0):  # type: (BaseException, str, int) -> Error
    tb = exc.__traceback__
    for _ in range(skip_frames):
        tb = tb.tb_next if tb is not None and tb.tb_next is not None else tb
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(traceback.extract_tb(tb)),
    }


def _log_error(error):  # type: (Error) -> None
    """One log record, lines joined with \\r, as the Lambda runtime writes it."""
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}"]
    if error.get("stackTrace"):
        lines.append("Traceback (most recent call last):")
        for frame in error["stackTrace"]:
            lines.extend(frame.rstrip("\n").split("\n"))
    sys.stdout.write("\r".join(lines) + "\n")


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, identity):  # type: (dict[str, Any] | None) -> None
        identity = identity or {}
        self.cognito_identity_id = identity.get("cognitoIdentityId")
        self.cognito_identity_pool_id = identity.get("cognitoIdentityPoolId")


class Client:
    __slots__ = (
        "app_package_name",
        "app_title",
        "app_version_code",
        "app_version_name",
        "installation_id",
    )

    def __init__(self, client):  # type: (dict[str, Any]) -> None
        self.installation_id = client.get("installation_id")
        self.app_title = client.get("app_title")
        self.app_version_name = client.get("app_version_name")
        self.app_version_code = client.get("app_version_code")
        self.app_package_name = client.get("app_package_name")


class ClientContext:
    __slots__ = ("client", "custom", "env")

    def __init__(self, context):  # type: (dict[str, Any]) -> None
        self.client = Client(context["client"]) if context.get("client") else None
        self.custom = context.get("custom")
        self.env = context.get("env")


class LambdaContext:
    """The `context` argument, with the attributes the Lambda Python runtime provides."""

    def __init__(self, header):  # type: (Header) -> None
        self.aws_request_id = header["request_id"]
        self.invoked_function_arn = header["invoked_arn"]
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = CognitoIdentity(header.get("identity"))
        client_context = header.get("client_context")
        self.client_context = ClientContext(client_context) if client_context else None
        self._deadline_ms = header["deadline_ms"]

    def get_remaining_time_in_millis(self):  # type: () -> int
        return max(int(self._deadline_ms - time.time() * 1000), 0)

    def __repr__(self):  # type: () -> str
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},"
            f"function_name={self.function_name},function_version={self.function_version}])"
        )


def _dumps(value):  # type: (Any) -> bytes
    return json.dumps(value).encode()


def _send(sock, header, body):  # type: (socket.socket, Header, bytes) -> None
    raw = json.dumps(header).encode()
    sock.sendall(FRAME.pack(len(raw), len(body)) + raw + body)


# Bytes received past the frame returned last. The supervisor never sends ahead of an
# answer, so this is empty between invocations; reading whatever has arrived at once saves
# a recv() per frame over reading the prefix and then the rest.
_received = bytearray()


def _receive(sock):  # type: (socket.socket) -> tuple[Header, bytes] | None
    """The next frame (header, body), or None once the supervisor has closed the socket."""
    while len(_received) < FRAME.size or len(_received) < _frame_end(_received):
        chunk = sock.recv(65536)
        if not chunk:
            return None
        _received.extend(chunk)
    header_len, _ = FRAME.unpack_from(_received)
    end = _frame_end(_received)
    header = _HEADER.raw_decode(_received[FRAME.size : FRAME.size + header_len].decode())[0]
    body = bytes(_received[FRAME.size + header_len : end])
    del _received[:end]
    return header, body


def _frame_end(buffer):  # type: (bytearray) -> int
    header_len, body_len = FRAME.unpack_from(buffer)  # type: int, int
    return FRAME.size + header_len + body_len


if __name__ == "__main__":
    main()
