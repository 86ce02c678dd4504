"""Reserved and provisioned concurrency through the Lambda API, and what invokes then see."""

import base64
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError
from tests.conftest import invoke_json, wait_for

SLEEPER = """
import os, time
def handler(event, context):
    if event.get("mark"):
        open(event["mark"], "w").close()  # tells the test this invocation is running
    time.sleep(event.get("sleep", 0))
    return {"pid": os.getpid(), "init": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"]}
"""


def _throttle_reason(lambda_client, name, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        lambda_client.invoke(FunctionName=name, **kwargs)
    error = excinfo.value.response
    assert error["Error"]["Code"] == "TooManyRequestsException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    return error["Reason"]


def test_reserved_concurrency_caps_a_function(lambda_client, deploy, shared_dir):
    """With 1 reserved, a second simultaneous invoke is throttled; 0 throttles everything."""
    name = deploy(SLEEPER)
    put = lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    mark = shared_dir / "running"
    payload = json.dumps({"sleep": 1.5, "mark": str(mark)}).encode()
    busy = threading.Thread(
        target=lambda_client.invoke, kwargs={"FunctionName": name, "Payload": payload}
    )
    busy.start()
    assert wait_for(mark.exists)

    reason = _throttle_reason(lambda_client, name)
    busy.join()
    shown = lambda_client.get_function_concurrency(FunctionName=name)
    in_get_function = lambda_client.get_function(FunctionName=name)["Concurrency"]
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    zero_reason = _throttle_reason(lambda_client, name)
    lambda_client.delete_function_concurrency(FunctionName=name)

    assert put["ReservedConcurrentExecutions"] == 1
    assert reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert shown["ReservedConcurrentExecutions"] == 1
    assert in_get_function == {"ReservedConcurrentExecutions": 1}
    assert zero_reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert "ReservedConcurrentExecutions" not in lambda_client.get_function_concurrency(
        FunctionName=name
    )
    assert invoke_json(lambda_client, name)[0]["StatusCode"] == 200


def test_reservations_keep_the_unreserved_minimum(lambda_client, deploy):
    """Reserving more than the account pool minus 100 is InvalidParameterValueException."""
    name = deploy(SLEEPER)

    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as excinfo:
        lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=901)
    settings = lambda_client.get_account_settings()

    assert "minimum value of [100]" in str(excinfo.value)
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountUsage"]["FunctionCount"] >= 1


def test_throttled_async_events_are_kept_until_they_can_run(
    server, lambda_client, deploy, shared_dir
):
    """An Event invoke of a function reserved at 0 waits (retried with backoff, for hours),
    and runs once the limit lifts."""
    name = deploy("def handler(event, context):\n    open(event['path'], 'w').write('ran')\n")
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    path = shared_dir / "ran.txt"

    response = lambda_client.invoke(
        FunctionName=name, InvocationType="Event", Payload=json.dumps({"path": str(path)})
    )
    for _ in range(3):
        server.advance(3600)
    ran_while_throttled = path.exists()
    lambda_client.delete_function_concurrency(FunctionName=name)
    server.advance(300)  # the longest backoff

    assert response["StatusCode"] == 202
    assert not ran_while_throttled
    assert path.exists()


def test_provisioned_concurrency_starts_environments_ahead(lambda_client, deploy):
    """Provisioned environments are initialised before any invoke; extra load spills over."""
    name = deploy(SLEEPER, Publish=True)

    put = lambda_client.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=2
    )
    assert wait_for(
        lambda: (
            lambda_client.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1")[
                "Status"
            ]
            == "READY"
        )
    )
    ready = lambda_client.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
    first = lambda_client.invoke(FunctionName=name, Qualifier="1", LogType="Tail")
    with ThreadPoolExecutor(3) as pool:
        bodies = list(
            pool.map(
                lambda _: invoke_json(lambda_client, name, {"sleep": 1.0}, Qualifier="1")[1],
                range(3),
            )
        )
    listed = lambda_client.list_provisioned_concurrency_configs(FunctionName=name)

    assert put["Status"] == "IN_PROGRESS"
    assert put["RequestedProvisionedConcurrentExecutions"] == 2
    assert ready["AvailableProvisionedConcurrentExecutions"] == 2
    assert json.loads(first["Payload"].read())["init"] == "provisioned-concurrency"
    assert "Init Duration" not in base64.b64decode(first["LogResult"]).decode()
    assert sorted(b["init"] for b in bodies) == [
        "on-demand",
        "provisioned-concurrency",
        "provisioned-concurrency",
    ]
    assert listed["ProvisionedConcurrencyConfigs"][0]["FunctionArn"].endswith(f"{name}:1")


def test_provisioned_concurrency_rules(lambda_client, deploy):
    """$LATEST cannot be provisioned; unknown configs are not found; delete removes them."""
    name = deploy(SLEEPER, Publish=True)

    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="$LATEST", ProvisionedConcurrentExecutions=1
        )
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="7", ProvisionedConcurrentExecutions=1
        )
    with pytest.raises(lambda_client.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lambda_client.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=2
        )
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    lambda_client.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1
    )
    with pytest.raises(lambda_client.exceptions.ResourceConflictException):
        lambda_client.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=1
        )
    lambda_client.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    with pytest.raises(lambda_client.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lambda_client.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")


def test_reserved_concurrency_is_per_function_not_per_version(server, deploy):
    """A qualified name is refused by PutFunctionConcurrency; unknown functions name their ARN."""
    lambda_client = server.client("lambda", parameter_validation=False)
    name = deploy(SLEEPER, Publish=True)

    with pytest.raises(ClientError) as qualified:
        lambda_client.put_function_concurrency(
            FunctionName=f"{name}:1", ReservedConcurrentExecutions=1
        )
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as missing:
        lambda_client.put_function_concurrency(
            FunctionName="absent", ReservedConcurrentExecutions=1
        )

    assert qualified.value.response["Error"]["Code"] == "ValidationException"
    assert "arn:aws:lambda:us-east-1:000000000000:function:absent" in str(missing.value)
