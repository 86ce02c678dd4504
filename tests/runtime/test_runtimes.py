"""Each python3.x runtime runs on its own interpreter when the host has it."""

import json
import sys

import pytest

from stratus.runtime.interpreters import interpreter_for

VERSION = """
import sys
def handler(event, context):
    return list(sys.version_info[:2])
"""


@pytest.mark.parametrize("runtime", ["python3.10", "python3.11", "python3.12", "python3.13"])
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


@pytest.mark.parametrize("runtime", ["python3.10", "python3.12", "python3.13"])
def test_boto3_is_importable_on_other_runtimes(lambda_client, deploy, runtime):
    """boto3 comes with every runtime, as on Lambda."""
    if not interpreter_for(runtime).exact:
        pytest.skip(f"{runtime} is not installed on this host")
    name = deploy(
        "import boto3\ndef handler(e, c):\n    return boto3.__version__\n", Runtime=runtime
    )

    response = lambda_client.invoke(FunctionName=name)

    assert "FunctionError" not in response
