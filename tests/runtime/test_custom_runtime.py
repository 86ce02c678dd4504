"""Custom runtimes (provided.al2023, provided.al2): a `bootstrap` that speaks the Runtime API."""

import base64
import importlib.util
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from tests.conftest import invoke_json, make_zip

# The AWS tutorial's runtime, in bash and curl: events in a loop, answers by request id.
# An event may ask it to fail in the ways the tests need.
BASH_BOOTSTRAP = r"""#!/bin/bash
set -euo pipefail
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
echo "bootstrap started in $PWD"
while true; do
  HEADERS="$(mktemp)"
  EVENT="$(curl -sS -D "$HEADERS" "$API/invocation/next")"
  ID="$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)"
  rm -f "$HEADERS"
  echo "handling $EVENT"
  case "$EVENT" in
    *'"sleep"'*) sleep 30 ;;
    *'"exit"'*) exit "$(echo "$EVENT" | tr -dc 0-9)" ;;
    *'"fail"'*)
      curl -sS "$API/invocation/$ID/error" -H "Lambda-Runtime-Function-Error-Type: Bad.Input" \
        -d '{"errorMessage": "cannot handle this", "errorType": "Bad.Input", "stackTrace": []}' \
        > /dev/null
      continue ;;
  esac
  curl -sS "$API/invocation/$ID/response" \
    -d "{\"event\": $EVENT, \"id\": \"$ID\", \"cwd\": \"$PWD\",
         \"pid\": \"$AWS_LAMBDA_LOG_STREAM_NAME\",
         \"task_root\": \"$LAMBDA_TASK_ROOT\", \"api\": \"$AWS_LAMBDA_RUNTIME_API\"}" \
    > /dev/null
done
"""

# A Python runtime on the standard library, reporting what the Runtime API told it.
PROBE_BOOTSTRAP = r"""#!/usr/bin/env python3
import ctypes, json, os, resource, urllib.error, urllib.request

API = "http://%s/2018-06-01/runtime" % os.environ["AWS_LAMBDA_RUNTIME_API"]


def call(method, path, body=None, headers=None):
    request = urllib.request.Request(API + path, body, headers or {}, method=method)
    try:
        with urllib.request.urlopen(request) as response:
            return [response.status, json.loads(response.read() or b"null")]
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return [exc.code, json.loads(raw)]
        except ValueError:
            return [exc.code, raw.decode()]


def sandbox():
    pdeathsig = ctypes.c_int()
    ctypes.CDLL(None).prctl(2, ctypes.byref(pdeathsig))  # PR_GET_PDEATHSIG
    with open("/proc/self/cgroup") as f:
        cgroups = f.read()
    return {
        "pdeathsig": pdeathsig.value,
        "cgroups": cgroups,
        "fsize": resource.getrlimit(resource.RLIMIT_FSIZE)[0],
        "tmp": sorted(os.listdir("/tmp")),
        "stratus_vars": [k for k in os.environ if k.startswith("STRATUS_")],
        "env": {k: os.environ.get(k) for k in (
            "_HANDLER", "LAMBDA_TASK_ROOT", "AWS_LAMBDA_FUNCTION_NAME", "AWS_REGION",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_EXECUTION_ENV",
            "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_ENDPOINT_URL")},
        "cwd": os.getcwd(),
        "pid": os.environ["AWS_LAMBDA_LOG_STREAM_NAME"],
    }


previous = None
big_status = None
while True:
    with urllib.request.urlopen(API + "/invocation/next") as response:
        headers = {k.lower(): v for k, v in response.headers.items()}
        event = json.loads(response.read())
    request_id = headers["lambda-runtime-aws-request-id"]
    if event.get("mode"):
        call("POST", "/invocation/%s/response" % request_id, b"{}",
             {"Lambda-Runtime-Function-Response-Mode": event["mode"]})
        continue
    if event.get("big"):
        big_status = call("POST", "/invocation/%s/response" % request_id, b"1" * event["big"])
        continue
    probes = {
        "wrong_id": call("POST", "/invocation/not-the-request/response", b"{}"),
        "init_error_after_init": call("POST", "/init/error", b"{}"),
        "unknown_path": call("GET", "/nothing/here"),
        "wrong_method": call("GET", "/invocation/%s/response" % request_id),
        "answered_before": previous and call("POST", "/invocation/%s/response" % previous, b"{}"),
        "big": big_status,
    }
    answer = {"headers": headers, "event": event, "probes": probes, "sandbox": sandbox()}
    call("POST", "/invocation/%s/response" % request_id, json.dumps(answer).encode())
    previous = request_id
"""


def test_a_bash_bootstrap_serves_invocations_over_the_runtime_api(lambda_client, deploy_custom):
    """The AWS tutorial's bash runtime works unchanged: each event comes from /next with its
    request id, the answer posted to /response is Invoke's payload, and the environment (and
    its process) is reused warm. It runs in the task root, told where the Runtime API is."""
    name = deploy_custom({"bootstrap": BASH_BOOTSTRAP})

    first, body = invoke_json(lambda_client, name, {"n": 1}, LogType="Tail")
    _, again = invoke_json(lambda_client, name, {"n": 2})

    assert "FunctionError" not in first
    assert body["event"] == {"n": 1}
    assert f"START RequestId: {body['id']} " in base64.b64decode(first["LogResult"]).decode()
    assert again["event"] == {"n": 2}
    assert again["pid"] == body["pid"]
    assert again["id"] != body["id"]
    assert body["cwd"] == body["task_root"]
    assert body["api"].startswith("127.0.0.1:")


def test_next_carries_lambdas_invocation_headers_and_environment(
    server, lambda_client, deploy_custom
):
    """/next answers with the request id, deadline, invoked ARN, trace id and client context;
    the bootstrap runs in the task root with Lambda's variables and AWS_LAMBDA_RUNTIME_API."""
    name = deploy_custom({"bootstrap": PROBE_BOOTSTRAP}, Timeout=7, Handler="my.handler")
    client_context = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    before_ms = time.time() * 1000

    response, body = invoke_json(lambda_client, name, {"x": 1}, ClientContext=client_context)

    headers, env = body["headers"], body["sandbox"]["env"]
    assert "FunctionError" not in response
    assert body["event"] == {"x": 1}
    assert headers["content-type"] == "application/json"
    assert len(headers["lambda-runtime-aws-request-id"]) == 36
    assert headers["lambda-runtime-invoked-function-arn"] == (
        f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    )
    assert (
        before_ms + 6000 < int(headers["lambda-runtime-deadline-ms"]) <= time.time() * 1000 + 7000
    )
    assert headers["lambda-runtime-trace-id"].startswith("Root=1-")
    assert json.loads(headers["lambda-runtime-client-context"]) == {"custom": {"k": "v"}}
    assert "lambda-runtime-cognito-identity" not in headers
    assert env["_HANDLER"] == "my.handler"
    assert env["LAMBDA_TASK_ROOT"] == body["sandbox"]["cwd"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128"
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert env["AWS_EXECUTION_ENV"] is None
    assert env["AWS_ENDPOINT_URL"] == server.endpoint_url
    assert body["sandbox"]["stratus_vars"] == []


def test_the_runtime_api_refuses_what_lambda_refuses(lambda_client, deploy_custom):
    """Wrong request ids are 400 InvalidRequestID, /init/error after init is 403
    InvalidStateTransition, an answered invocation cannot be answered again, and unknown
    paths and methods are 404 and 405."""
    name = deploy_custom({"bootstrap": PROBE_BOOTSTRAP})
    invoke_json(lambda_client, name)

    _, body = invoke_json(lambda_client, name)

    probes = body["probes"]
    assert probes["wrong_id"] == [
        400,
        {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"},
    ]
    assert probes["init_error_after_init"] == [
        403,
        {
            "errorMessage": "State transition from Running to InitError failed for runtime. "
            "Error: State transition is not allowed",
            "errorType": "InvalidStateTransition",
        },
    ]
    assert probes["answered_before"][0] == 400
    assert probes["unknown_path"][0] == 404
    assert probes["wrong_method"][0] == 405


def test_an_unknown_response_mode_fails_the_invocation(lambda_client, deploy_custom):
    """Lambda-Runtime-Function-Response-Mode must be "streaming" when present."""
    name = deploy_custom({"bootstrap": PROBE_BOOTSTRAP})

    response, body = invoke_json(lambda_client, name, {"mode": "chunky"})
    after, _ = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.InvalidResponseModeHeader"
    assert "FunctionError" not in after


def test_a_response_over_six_megabytes_is_refused(lambda_client, deploy_custom):
    """A buffered response past 6 MB fails the invocation with Function.ResponseSizeTooLarge;
    the runtime is told 413 RequestEntityTooLarge, and carries on."""
    name = deploy_custom({"bootstrap": PROBE_BOOTSTRAP})
    size = 7 * 1024 * 1024

    response, body = invoke_json(lambda_client, name, {"big": size})
    _, after = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Function.ResponseSizeTooLarge"
    assert body["errorMessage"].startswith(f"Response payload size ({size} bytes) exceeded")
    assert after["probes"]["big"] == [
        413,
        {
            "errorMessage": "Exceeded maximum allowed payload size (6291556 bytes).",
            "errorType": "RequestEntityTooLarge",
        },
    ]


def test_handler_is_optional_for_provided_runtimes_and_recorded_when_given(
    lambda_client, deploy_custom, deploy
):
    """An OS-only runtime needs no Handler (the configuration then has none); a given one is
    recorded and reaches the bootstrap as _HANDLER. Python runtimes still require it."""
    bare = deploy_custom({"bootstrap": BASH_BOOTSTRAP})
    named = deploy_custom({"bootstrap": BASH_BOOTSTRAP}, Handler="function.handler")
    updated = lambda_client.update_function_configuration(FunctionName=bare, Runtime="provided.al2")

    bare_config = lambda_client.get_function_configuration(FunctionName=bare)
    named_config = lambda_client.get_function_configuration(FunctionName=named)
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as refused:
        lambda_client.create_function(
            FunctionName="no-handler-python",
            Runtime="python3.11",
            Role="arn:aws:iam::000000000000:role/r",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        )

    assert "Handler" not in bare_config
    assert updated["Runtime"] == bare_config["Runtime"] == "provided.al2"
    assert named_config["Handler"] == "function.handler"
    assert named_config["Runtime"] == "provided.al2023"
    assert "Runtime and Handler are mandatory" in str(refused.value)
    assert invoke_json(lambda_client, bare, {"ok": True})[1]["event"] == {"ok": True}


def test_an_error_post_is_the_invocations_error(lambda_client, deploy_custom):
    """What the runtime posts to /error is Invoke's error payload (FunctionError Unhandled);
    the environment stays warm."""
    name = deploy_custom({"bootstrap": BASH_BOOTSTRAP})
    _, first = invoke_json(lambda_client, name)

    response, body = invoke_json(lambda_client, name, {"fail": True})
    _, after = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert body == {
        "errorMessage": "cannot handle this",
        "errorType": "Bad.Input",
        "stackTrace": [],
    }
    assert after["pid"] == first["pid"]


def test_a_timeout_kills_the_runtime_and_reports_sandbox_timedout(lambda_client, deploy_custom):
    """A runtime that does not answer within Timeout is killed (with its children: the
    sleeping process); the next invoke starts a fresh one."""
    name = deploy_custom({"bootstrap": BASH_BOOTSTRAP}, Timeout=1)
    _, first = invoke_json(lambda_client, name)
    started = time.monotonic()

    response, body = invoke_json(lambda_client, name, {"sleep": True}, LogType="Tail")
    elapsed = time.monotonic() - started
    _, after = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert "Status: timeout" in base64.b64decode(response["LogResult"]).decode()
    assert elapsed < 5
    assert after["pid"] != first["pid"]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (3, "Runtime exited with error: exit status 3"),
        (0, "Runtime exited without providing a reason"),
    ],
)
def test_a_runtime_exiting_mid_invocation_is_runtime_exit_error(
    lambda_client, deploy_custom, code, message
):
    """A runtime that exits instead of answering fails the invocation as Lambda words it;
    the next invoke gets a new environment."""
    name = deploy_custom({"bootstrap": BASH_BOOTSTRAP})
    _, first = invoke_json(lambda_client, name)

    response, body = invoke_json(lambda_client, name, {"exit": code})
    _, after = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"] == f"RequestId: {body['errorMessage'].split()[1]} Error: {message}"
    assert after["pid"] != first["pid"]


INIT_ERROR_BOOTSTRAP = r"""#!/bin/sh
echo "cannot find my config"
curl -sS "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/init/error" \
  -H "Lambda-Runtime-Function-Error-Type: Runtime.ConfigInvalid" \
  -d '{"errorMessage": "config.toml is missing", "errorType": "Runtime.ConfigInvalid"}'
exit 1
"""


def test_an_init_error_post_fails_the_invocation(lambda_client, deploy_custom):
    """/init/error's body is what the invocation returns, as Lambda does; init runs again on
    the next invoke."""
    name = deploy_custom({"bootstrap": INIT_ERROR_BOOTSTRAP})

    response, body = invoke_json(lambda_client, name, LogType="Tail")
    again, _ = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert body == {"errorMessage": "config.toml is missing", "errorType": "Runtime.ConfigInvalid"}
    assert "cannot find my config" in base64.b64decode(response["LogResult"]).decode()
    assert again["FunctionError"] == "Unhandled"


def test_exiting_before_the_first_next_is_an_exit_error(lambda_client, deploy_custom):
    """A bootstrap that exits during init, without reporting, fails with Runtime.ExitError."""
    name = deploy_custom({"bootstrap": "#!/bin/sh\necho starting\nexit 2\n"})

    response, body = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("Runtime exited with error: exit status 2")


@pytest.mark.parametrize(
    ("files", "modes", "reason"),
    [
        ({"app.sh": "echo hi\n"}, {}, "Couldn't find valid bootstrap(s): ["),
        ({"bootstrap": "echo hi\n"}, {"bootstrap": 0o644}, ": permission denied"),
        ({"bootstrap": "#!/no/such/shell\n"}, {}, ": no such file or directory"),
    ],
)
def test_a_bootstrap_that_cannot_run_is_runtime_invalid_entrypoint(
    lambda_client, deploy_custom, files, modes, reason
):
    """No bootstrap, one that is not executable, or one whose interpreter is missing: the
    invocation fails with Runtime.InvalidEntrypoint, in Lambda's words."""
    name = deploy_custom(files, Modes=modes)

    response, body = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.InvalidEntrypoint"
    assert body["errorMessage"].startswith("RequestId: ")
    assert reason in body["errorMessage"]


def test_a_layers_bootstrap_runs_when_the_package_has_none(lambda_client, deploy_custom):
    """With no bootstrap in the package, the one a layer puts at /opt runs (as on Lambda)."""
    layer = lambda_client.publish_layer_version(
        LayerName=f"runtime-layer-{os.getpid()}",
        Content={"ZipFile": make_zip({"bootstrap": BASH_BOOTSTRAP}, {"bootstrap": 0o755})},
    )
    try:
        name = deploy_custom({"data.txt": "x"}, Layers=[layer["LayerVersionArn"]])

        response, body = invoke_json(lambda_client, name, {"from": "layer"})
    finally:
        lambda_client.delete_layer_version(
            LayerName=layer["LayerArn"].rsplit(":", 1)[-1], VersionNumber=layer["Version"]
        )

    assert "FunctionError" not in response
    assert body["event"] == {"from": "layer"}


def test_the_bootstrap_runs_inside_the_environments_sandbox(server, lambda_client, deploy_custom):
    """The limits apply before the bootstrap runs: it is in the environment's cgroups, dies
    with the server (PDEATHSIG), has the ephemeral-storage file limit and a private /tmp,
    and sees none of Stratus's own variables."""
    isolation = server.isolation()
    marker = f"/tmp/stratus-host-marker-{os.getpid()}"
    with open(marker, "w") as f:
        f.write("host")
    try:
        name = deploy_custom({"bootstrap": PROBE_BOOTSTRAP}, EphemeralStorage={"Size": 600})
        _, body = invoke_json(lambda_client, name)
    finally:
        os.unlink(marker)

    sandbox = body["sandbox"]
    assert sandbox["pdeathsig"] == 9
    assert sandbox["fsize"] == 600 * 1024 * 1024
    assert sandbox["stratus_vars"] == []
    if isolation["limits"].startswith("cgroup"):
        assert "stratus-" in sandbox["cgroups"]
    if isolation["tmp"] == "private":
        assert os.path.basename(marker) not in sandbox["tmp"]


MEMORY_HOG = r"""#!/usr/bin/env python3
import os, urllib.request
API = "http://%s/2018-06-01/runtime" % os.environ["AWS_LAMBDA_RUNTIME_API"]
while True:
    with urllib.request.urlopen(API + "/invocation/next") as response:
        request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
        hog = b"hog" in response.read()
    blocks = [bytearray(1024 * 1024) for _ in range(400 if hog else 1)]
    urllib.request.urlopen(API + "/invocation/%s/response" % request_id, b'"fine"').read()
"""


def test_memory_limit_is_enforced_on_the_runtime(server, lambda_client, deploy_custom):
    """A custom runtime allocating past MemorySize ends in Runtime.OutOfMemory; the next
    invoke gets a fresh environment."""
    if not server.isolation()["limits"].startswith("cgroup"):
        pytest.skip("memory is only limited by RLIMIT_DATA on this host")
    name = deploy_custom({"bootstrap": MEMORY_HOG}, MemorySize=128)

    response, body = invoke_json(lambda_client, name, {"hog": True})
    _, after = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.OutOfMemory"
    assert after == "fine"


def test_logs_surround_the_runtimes_output(lambda_client, deploy_custom):
    """The bootstrap's stdout lands between START and END, followed by a REPORT with the
    init duration on a cold start."""
    name = deploy_custom({"bootstrap": BASH_BOOTSTRAP})

    response, _ = invoke_json(lambda_client, name, {"hello": "logs"}, LogType="Tail")

    lines = base64.b64decode(response["LogResult"]).decode().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("START RequestId: "))
    assert lines[start + 1] == 'handling {"hello": "logs"}'
    assert lines[start + 2].startswith("END RequestId: ")
    assert lines[start + 3].startswith("REPORT RequestId: ")
    assert "Init Duration: " in lines[start + 3]
    assert "Max Memory Used: " in lines[start + 3]


def test_concurrent_invokes_get_their_own_runtimes(lambda_client, deploy_custom):
    """Each environment serves one invocation at a time, with its own Runtime API."""
    name = deploy_custom({"bootstrap": BASH_BOOTSTRAP})

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda n: invoke_json(lambda_client, name, {"n": n})[1], range(3)))

    assert [r["event"] for r in results] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert len({r["id"] for r in results}) == 3


AWSLAMBDARIC_APP = """
import os

COLD = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]

def handler(event, context):
    if event.get("raise"):
        raise ValueError("no good")
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "remaining": context.get_remaining_time_in_millis(),
        "pid": COLD,
    }
"""


@pytest.mark.skipif(
    importlib.util.find_spec("awslambdaric") is None,
    reason="awslambdaric (the dev extra) is not installed",
)
def test_awslambdaric_runs_an_ordinary_handler(lambda_client, deploy_custom):
    """AWS's own Python runtime interface client, as a custom runtime, runs an unchanged
    handler: results, context and exceptions look as they do on Lambda."""
    name = deploy_custom(
        {
            "bootstrap": '#!/bin/sh\nexec python3 -m awslambdaric "$_HANDLER"\n',
            "app.py": AWSLAMBDARIC_APP,
        },
        Handler="app.handler",
        Timeout=5,
    )

    response, body = invoke_json(lambda_client, name, {"a": 1})
    failed, error = invoke_json(lambda_client, name, {"raise": True})
    _, warm = invoke_json(lambda_client, name, {"a": 2})

    assert "FunctionError" not in response
    assert body["event"] == {"a": 1}
    assert len(body["request_id"]) == 36
    assert body["function_name"] == name
    assert 4000 < body["remaining"] <= 5000
    assert failed["FunctionError"] == "Unhandled"
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "no good"
    assert error["requestId"]
    assert warm["pid"] == body["pid"]
