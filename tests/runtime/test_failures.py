"""Limits the supervisor enforces, and failures that must never take the server down."""

import base64

import pytest
from tests.conftest import invoke_json


def test_timeout_kills_the_environment_and_reports_sandbox_timedout(lambda_client, deploy):
    """A handler running past Timeout is killed; the next invoke gets a fresh environment."""
    name = deploy(
        """
        import os, time
        def handler(event, context):
            if event.get("sleep"):
                time.sleep(30)
            return os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]  # one per environment
        """,
        Timeout=1,
    )
    _, first_pid = invoke_json(lambda_client, name)

    response, body = invoke_json(lambda_client, name, {"sleep": True}, LogType="Tail")
    _, next_pid = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert "Task timed out after 1.00 seconds" in base64.b64decode(response["LogResult"]).decode()
    assert next_pid != first_pid


def test_a_crashing_runtime_gives_runtime_exit_error(lambda_client, deploy):
    """os._exit in user code is Runtime.ExitError; the server keeps serving."""
    name = deploy("import os\ndef handler(event, context):\n    os._exit(3)\n")

    response, body = invoke_json(lambda_client, name)
    again, _ = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("Runtime exited with error: exit status 3")
    assert again["FunctionError"] == "Unhandled"


def test_a_segfault_is_reported_with_its_signal(lambda_client, deploy):
    """A process killed by a signal says which, Go-style, as Lambda does."""
    name = deploy(
        """
        import os, signal
        def handler(event, context):
            os.kill(os.getpid(), signal.SIGSEGV)
        """
    )

    _, body = invoke_json(lambda_client, name)

    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("signal: segmentation fault")


def test_memory_limit_is_enforced(lambda_client, deploy):
    """Allocating past MemorySize ends in Runtime.OutOfMemory, then a fresh environment."""
    name = deploy(
        """
        def handler(event, context):
            if event.get("hog"):
                blocks = []
                for _ in range(400):
                    blocks.append(bytearray(1024 * 1024))
            return "fine"
        """,
        MemorySize=128,
    )

    response, body = invoke_json(lambda_client, name, {"hog": True})
    _, after = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.OutOfMemory"
    assert after == "fine"


@pytest.mark.parametrize(
    ("files", "handler", "error_type", "message"),
    [
        (
            {"app.py": "x = 1\n"},
            "missing.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'missing': No module named 'missing'",
        ),
        (
            {"app.py": "x = 1\n"},
            "app.handler",
            "Runtime.HandlerNotFound",
            "Handler 'handler' missing on module 'app'",
        ),
        (
            {"app.py": "def handler(:\n"},
            "app.handler",
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module 'app'",
        ),
        ({"app.py": "x = 1\n"}, "nodot", "Runtime.MalformedHandlerName", "Bad handler 'nodot'"),
        (
            {"app.py": "raise RuntimeError('init failed')\n"},
            "app.handler",
            "RuntimeError",
            "init failed",
        ),
    ],
)
def test_init_errors_use_lambdas_error_types(
    lambda_client, deploy, files, handler, error_type, message
):
    """Broken code or handler names give the Runtime.* error Lambda gives."""
    name = deploy(files, Handler=handler)

    response, body = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == error_type
    assert body["errorMessage"].startswith(message)


def test_an_environment_dying_while_idle_is_replaced(lambda_client, deploy):
    """A warm environment that exits between invokes is not reused."""
    name = deploy(
        """
        import os, threading
        def handler(event, context):
            if event.get("die_later"):
                threading.Timer(0.1, lambda: os._exit(0)).start()
            return os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]  # one per environment
        """
    )
    _, pid = invoke_json(lambda_client, name, {"die_later": True})
    import time

    time.sleep(0.5)

    response, next_pid = invoke_json(lambda_client, name)

    assert "FunctionError" not in response
    assert next_pid != pid


def test_init_longer_than_ten_seconds_is_cut_off(lambda_client, deploy):
    """The init phase gets 10 s, as on Lambda; retried within the invoke (3 s, the default
    Timeout), an init that never ends fails the invoke with Sandbox.Timedout. (More in
    test_init_timeout.py.)"""
    name = deploy("import time\ntime.sleep(60)\ndef handler(event, context):\n    return 1\n")

    response, body = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Task timed out after 3.00 seconds")
