"""Logical ids work where users have them: `stratus invoke Fn --stack S`, `stratus logs
--stack S` (every function, interleaved, named), `stratus env --stack S`; unknown names are
errors that name the candidates."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from typing import Any

import pytest

TWO_FUNCTIONS = textwrap.dedent(
    """\
    Resources:
      FirstFunction:
        Type: AWS::Lambda::Function
        Properties:
          Runtime: python3.11
          Handler: index.handler
          Role: arn:aws:iam::000000000000:role/lambda-role
          Code:
            ZipFile: |
              def handler(event, context):
                  print("first says hi")
                  return {"from": "first"}
      SecondFunction:
        Type: AWS::Lambda::Function
        Properties:
          Runtime: python3.11
          Handler: index.handler
          Role: arn:aws:iam::000000000000:role/lambda-role
          Code:
            ZipFile: |
              def handler(event, context):
                  print("second says hi")
                  return {"from": "second"}
    Outputs:
      FirstName:
        Value: !Ref FirstFunction
    """
)


@pytest.fixture(scope="module")
def app_stack(server: Any) -> str:
    cfn = server.client("cloudformation")
    name = f"names-{uuid.uuid4().hex[:6]}"
    cfn.create_stack(StackName=name, TemplateBody=TWO_FUNCTIONS)
    cfn.get_waiter("stack_create_complete").wait(
        StackName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 300}
    )
    return name


def test_invoke_by_logical_id(stratus: Any, app_stack: str) -> None:
    result = stratus("invoke", "SecondFunction", "--stack", app_stack)

    assert result.exit_code == 0, result.output
    assert '"from": "second"' in result.stdout


def test_an_unknown_logical_id_names_the_candidates(stratus: Any, app_stack: str) -> None:
    result = stratus("invoke", "SecondFunctoin", "--stack", app_stack)

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: stack {app_stack} has no function 'SecondFunctoin'; "
        "the functions are: SecondFunction, FirstFunction"
    )
    unknown_stack = stratus("logs", "--stack", app_stack + "x")
    assert unknown_stack.exit_code == 1
    assert f"no stack named '{app_stack}x'; the stacks are: {app_stack}" in unknown_stack.stderr


def test_logs_of_a_stack_are_interleaved_and_named(stratus: Any, app_stack: str) -> None:
    stratus("invoke", "FirstFunction", "--stack", app_stack)
    stratus("invoke", "SecondFunction", "--stack", app_stack)
    deadline = time.monotonic() + 15
    while True:
        result = stratus("logs", "--stack", app_stack)
        said = [line for line in result.stdout.splitlines() if "says hi" in line]
        done = said and "second says hi" in said[-1] and any("first" in line for line in said)
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.2)

    assert result.exit_code == 0
    # Time order across both functions (second was invoked last), each line named.
    assert "second says hi" in said[-1]
    assert "first says hi" in said[-2]
    for line in said:
        owner = "FirstFunction " if "first says" in line else "SecondFunction "
        assert line.startswith(owner)


def test_logs_of_a_stack_name_says_to_use_stack(stratus: Any, app_stack: str) -> None:
    result = stratus("logs", app_stack)

    assert result.exit_code == 1
    assert f"no function named '{app_stack}', but {app_stack} is a stack: use --stack" in (
        result.stderr
    )


@pytest.mark.skipif(shutil.which("aws") is None, reason="needs the aws CLI")
def test_env_lines_work_pasted_into_a_shell(server: Any, app_stack: str) -> None:
    """eval "$(stratus env --stack S)" sets up a shell whose aws CLI reaches Stratus and whose
    variables hold the stack's outputs."""
    script = (
        f'eval "$({sys.executable} -m stratus env --stack {app_stack})"\n'
        f'echo "first=$FirstName"\n'
        f"aws cloudformation describe-stacks --stack-name {app_stack} "
        "--query 'Stacks[0].StackStatus' --output text\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STRATUS_"))}
    env = clean | {"STRATUS_ENDPOINT_URL": server.endpoint_url, "HOME": "/nonexistent"}

    done = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False
    )

    assert done.returncode == 0, done.stderr
    physical = server.client("cloudformation").describe_stack_resource(
        StackName=app_stack, LogicalResourceId="FirstFunction"
    )["StackResourceDetail"]["PhysicalResourceId"]
    assert done.stdout.splitlines() == [f"first={physical}", "CREATE_COMPLETE"]
