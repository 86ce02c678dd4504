"""Each python3.x runtime runs on its own interpreter when the host has it."""

import json
import sys

import pytest
from tests.conftest import wait_for

from stratus.runtime.interpreters import interpreter_for

VERSION = """
import sys
def handler(event, context):
    return list(sys.version_info[:2])
"""


@pytest.mark.parametrize(
    "runtime", ["python3.9", "python3.10", "python3.11", "python3.12", "python3.13"]
)
def test_runtime_runs_on_the_matching_interpreter(lambda_client, deploy, runtime):
    """The handler runs on the Python its Runtime names (when this host has that Python)."""
    if not interpreter_for(runtime).exact:
        pytest.skip(f"{runtime} is not installed on this host")
    name = deploy(VERSION, Runtime=runtime)

    result = json.loads(lambda_client.invoke(FunctionName=name)["Payload"].read())

    assert f"python{result[0]}.{result[1]}" == runtime


def test_missing_interpreter_falls_back_to_the_servers_python(lambda_client, deploy):
    """A runtime with no interpreter on the host runs on the server's Python, not an error."""
    if interpreter_for("python3.14").exact:
        pytest.skip("python3.14 is installed here")
    name = deploy(VERSION, Runtime="python3.14")

    result = json.loads(lambda_client.invoke(FunctionName=name)["Payload"].read())

    assert result == list(sys.version_info[:2])


CALLS_BOTO3 = """
import sys
import boto3

def handler(event, context):
    found = boto3.client("lambda").get_function(FunctionName=context.function_name)
    return {"python": list(sys.version_info[:2]), "name": found["Configuration"]["FunctionName"]}
"""


@pytest.mark.parametrize("runtime", ["python3.9", "python3.10", "python3.12", "python3.13"])
def test_boto3_comes_with_other_runtimes_and_reaches_the_server(lambda_client, deploy, runtime):
    """boto3 comes with every runtime, as on Lambda, and calls the server. The server's own
    boto3 needs Python 3.10, so python3.9 gets the newest that supports it (runtime/sdk.py)."""
    if not interpreter_for(runtime).exact:
        pytest.skip(f"{runtime} is not installed on this host")
    name = deploy(CALLS_BOTO3, Runtime=runtime, Timeout=30)

    response = lambda_client.invoke(FunctionName=name)
    body = json.loads(response["Payload"].read())

    assert "FunctionError" not in response, body
    assert body == {"python": [int(part) for part in runtime[6:].split(".")], "name": name}


SDK_BYTECODE = """
import importlib.util, os
import boto3, botocore.client

def handler(event, context):
    compiled = importlib.util.cache_from_source(botocore.client.__file__)
    return {"owner": os.stat(compiled).st_uid, "me": os.getuid(), "at": compiled}
"""


@pytest.mark.parametrize("runtime", ["python3.12"])
def test_a_new_functions_first_environment_finds_the_sdk_compiled(
    server, lambda_client, deploy, runtime
):
    """Confined, each function has a bytecode cache of its own; the SDK's bytecode comes
    made (by the server, read-only) in every new one, so a new function's first init does
    not compile botocore (as on Lambda, whose runtime's SDK comes compiled)."""
    if server.isolation()["identity"] == "off" or not interpreter_for(runtime).exact:
        pytest.skip("per-function bytecode caches are for confined environments")

    def seeded() -> bool:
        name = deploy(SDK_BYTECODE, Runtime=runtime, Timeout=60)
        body = json.loads(lambda_client.invoke(FunctionName=name)["Payload"].read())
        assert body["at"].startswith("/var/runtime/bytecode/"), body
        assert body["me"] != 0
        # The seed's (the first new function of a runtime starts making it), not compiled
        # by this environment.
        return bool(body["owner"] == 0)

    assert wait_for(seeded, timeout=180)
