"""What a handler sees and how its outcomes come back: the Lambda Python runtime contract."""

import base64
import json
import os

import pytest
from tests.conftest import invoke_json


def test_context_carries_lambdas_attributes(lambda_client, deploy):
    """The context object has the attributes and remaining-time clock of Lambda's."""
    name = deploy(
        """
        def handler(event, context):
            return {
                "function_name": context.function_name,
                "function_version": context.function_version,
                "invoked_function_arn": context.invoked_function_arn,
                "memory_limit_in_mb": context.memory_limit_in_mb,
                "aws_request_id": context.aws_request_id,
                "log_group_name": context.log_group_name,
                "log_stream_name": context.log_stream_name,
                "remaining": context.get_remaining_time_in_millis(),
                "identity": context.identity.cognito_identity_id,
                "custom": context.client_context.custom if context.client_context else None,
            }
        """,
        MemorySize=256,
        Timeout=7,
    )
    client_context = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()

    response, body = invoke_json(lambda_client, name, ClientContext=client_context)

    assert body["function_name"] == name
    assert body["function_version"] == "$LATEST"
    assert body["invoked_function_arn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    assert body["memory_limit_in_mb"] == "256"
    assert body["aws_request_id"] == response["ResponseMetadata"]["HTTPHeaders"].get(
        "x-amzn-requestid", body["aws_request_id"]
    )
    assert body["log_group_name"] == f"/aws/lambda/{name}"
    assert "[$LATEST]" in body["log_stream_name"]
    assert 6000 < body["remaining"] <= 7000
    assert body["identity"] is None
    assert body["custom"] == {"k": "v"}


def test_standard_environment_variables_point_back_at_stratus(server, lambda_client, deploy):
    """Handlers get Lambda's variables plus AWS_ENDPOINT_URL aimed at this server."""
    name = deploy(
        """
        import os
        KEYS = ["AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_REGION", "AWS_DEFAULT_REGION",
                "AWS_EXECUTION_ENV", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "_HANDLER",
                "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "TZ",
                "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                "AWS_ENDPOINT_URL", "GREETING"]
        def handler(event, context):
            return {"env": {k: os.environ.get(k) for k in KEYS}, "cwd": os.getcwd(),
                    "leaked": [k for k in os.environ if k.startswith("STRATUS_")]}
        """,
        Environment={"Variables": {"GREETING": "hi"}},
    )

    _, body = invoke_json(lambda_client, name)

    env = body["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.11"
    assert env["_HANDLER"] == "app.handler"
    assert env["TZ"] == ":UTC"
    assert env["AWS_ENDPOINT_URL"] == server.endpoint_url
    assert env["GREETING"] == "hi"
    assert env["AWS_ACCESS_KEY_ID"]
    assert env["AWS_SECRET_ACCESS_KEY"]
    assert env["AWS_SESSION_TOKEN"]
    assert body["cwd"] == env["LAMBDA_TASK_ROOT"]
    assert body["leaked"] == []


def test_unchanged_boto3_code_in_a_handler_talks_to_stratus(lambda_client, deploy):
    """A boto3 client made at init, with no endpoint in code, reaches this server."""
    name = deploy(
        """
        import boto3
        client = boto3.client("lambda")
        def handler(event, context):
            config = client.get_function_configuration(FunctionName=context.function_name)
            return config["FunctionName"]
        """
    )

    _, body = invoke_json(lambda_client, name)

    assert body == name


def test_unhandled_exception_is_reported_like_lambdas_python_runtime(lambda_client, deploy):
    """errorMessage/errorType/requestId/stackTrace, our frames trimmed, X-Amz-Function-Error."""
    name = deploy(
        """
        def helper():
            raise KeyError("missing")
        def handler(event, context):
            helper()
        """
    )

    response, body = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "KeyError"
    assert body["errorMessage"] == "'missing'"
    assert body["requestId"]
    assert len(body["stackTrace"]) == 2
    assert body["stackTrace"][0].startswith('  File "')
    assert "in handler" in body["stackTrace"][0]
    assert "bootstrap" not in "".join(body["stackTrace"])


def test_unserialisable_result_is_a_marshal_error(lambda_client, deploy):
    """A return value json cannot encode gives Runtime.MarshalError."""
    name = deploy("def handler(event, context):\n    return object()\n")

    response, body = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.MarshalError"
    assert body["errorMessage"].startswith("Unable to marshal response")


def test_init_phase_runs_once_per_environment(lambda_client, deploy):
    """Module code runs at init; sequential invokes reuse the warm environment."""
    name = deploy(
        """
        import os, time
        STARTED = time.time()
        calls = 0
        def handler(event, context):
            global calls
            calls += 1
            env = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]  # one per environment
            return {"pid": env, "calls": calls, "started": STARTED}
        """
    )

    results = [invoke_json(lambda_client, name)[1] for _ in range(3)]

    assert len({r["pid"] for r in results}) == 1
    assert [r["calls"] for r in results] == [1, 2, 3]
    assert len({r["started"] for r in results}) == 1


def test_handler_in_a_subfolder(lambda_client, deploy):
    """Handler 'path/to/module.function' resolves inside the package."""
    name = deploy(
        {
            "src/__init__.py": "",
            "src/api/__init__.py": "",
            "src/api/views.py": "def handle(event, context):\n    return 'deep'\n",
        },
        Handler="src/api/views.handle",
    )

    _, body = invoke_json(lambda_client, name)

    assert body == "deep"


def test_each_environment_has_its_own_tmp(server, lambda_client, deploy):
    """/tmp is private to the environment: kept while warm, fresh in a new environment, and
    never the host's /tmp."""
    if server.isolation()["tmp"] != "private":
        pytest.skip("this host cannot give environments a private /tmp (see the server log)")
    name = deploy(
        """
        import os
        def handler(event, context):
            path = "/tmp/note-" + context.function_name
            existed = os.path.exists(path)
            with open(path, "w") as f:
                f.write("x")
            return {"existed": existed, "path": path}
        """
    )

    first = invoke_json(lambda_client, name)[1]
    second = invoke_json(lambda_client, name)[1]
    lambda_client.update_function_configuration(FunctionName=name, Description="new env")
    third = invoke_json(lambda_client, name)[1]

    assert first["existed"] is False
    assert second["existed"] is True  # same warm environment
    assert third["existed"] is False  # fresh environment, fresh /tmp
    assert not os.path.exists(first["path"])  # the host's /tmp never saw it


def test_files_cannot_outgrow_ephemeral_storage(lambda_client, deploy):
    """Writing a file larger than EphemeralStorage fails inside the function (EFBIG)."""
    name = deploy(
        """
        def handler(event, context):
            try:
                with open("/tmp/big", "wb") as f:
                    f.write(b"x" * (513 * 1024 * 1024))
            except OSError as exc:
                return exc.strerror
            return "wrote it"
        """,
        MemorySize=2048,
        Timeout=30,  # a slow disk: 513 MB written
    )

    _, body = invoke_json(lambda_client, name)

    assert body == "File too large"
