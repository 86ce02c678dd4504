"""Start a custom runtime's `bootstrap` inside its execution environment's sandbox.

Standard library only, Python 3.9 syntax, like bootstrap.py beside it, whose sandbox functions
it uses. Started by the supervisor (stratus.runtime.custom) as

    python -I -S exec_wrapper.py        cwd = LAMBDA_TASK_ROOT, AWS_LAMBDA_RUNTIME_API set

It enters the sandbox exactly as the built-in Python runtime does (dies with the supervisor,
joins the environment's cgroups, applies the rlimits, binds its private /tmp), removes
Stratus's own variables, then replaces itself (execv, same pid) with the function's executable:
`$LAMBDA_TASK_ROOT/bootstrap`, else a layer's `/opt/bootstrap`. Cgroup membership, rlimits,
the mount namespace and PR_SET_PDEATHSIG all survive execve, so no user code ever runs
outside the limits.

With nothing it can run, it reports Runtime.InvalidEntrypoint through the Runtime API's
/runtime/init/error, as Lambda does, and exits.
"""

import json
import os
import sys

# Types in comments, as in bootstrap.py (this file too is compiled at every start).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn  # noqa: F401 (used in the type comments, unseen by ruff)

    from stratus.runtime.lib import bootstrap
else:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bootstrap  # the built-in runtime's module, for its sandbox functions

ENTRYPOINT_ERROR = "Runtime.InvalidEntrypoint"


def main():  # type: () -> NoReturn
    bootstrap._die_with_supervisor()
    request_id = os.environ.pop("STRATUS_REQUEST_ID", "")
    bootstrap._enter_sandbox()
    opt = os.environ.get("STRATUS_OPT", "/opt")  # layers: /opt, or their directory if unbound
    for name in [name for name in os.environ if name.startswith("STRATUS_")]:
        del os.environ[name]
    candidates = [
        os.path.join(os.environ["LAMBDA_TASK_ROOT"], "bootstrap"),
        os.path.join(opt, "bootstrap"),
    ]
    for path in candidates:
        if os.path.isfile(path):
            try:
                os.execv(path, [path])
            except OSError as exc:
                # Go's wording, as Lambda reports it: "fork/exec <path>: permission denied".
                reason = (exc.strerror or str(exc)).lower()
                _fail(request_id, f"fork/exec {path}: {reason}")
    _fail(request_id, f"Couldn't find valid bootstrap(s): [{' '.join(candidates)}]")


def _fail(request_id, reason):  # type: (str, str) -> NoReturn
    """Log the error as the platform does, report it as the init error, and exit."""
    import http.client

    message = f"RequestId: {request_id} Error: {reason}" if request_id else reason
    sys.stderr.write(f"{message}\n{ENTRYPOINT_ERROR}\n")
    sys.stderr.flush()
    body = json.dumps({"errorMessage": message, "errorType": ENTRYPOINT_ERROR})
    connection = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"], timeout=5)
    try:
        connection.request(
            "POST",
            "/2018-06-01/runtime/init/error",
            body,
            {"Lambda-Runtime-Function-Error-Type": ENTRYPOINT_ERROR},
        )
        connection.getresponse().read()
    except OSError:
        pass  # the supervisor still sees the exit, and reports Runtime.ExitError
    finally:
        connection.close()
    sys.exit(1)


if __name__ == "__main__":
    main()
