"""`aws cloudformation deploy`, the real aws CLI, unchanged: only AWS_ENDPOINT_URL points it at
Stratus. It drives change sets (CreateChangeSet, its waiter, ExecuteChangeSet, the stack
waiters) and GetTemplateSummary on update."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.templates.test_stacks import describe, physical_id, stack_name, template

pytestmark = pytest.mark.skipif(shutil.which("aws") is None, reason="needs the aws CLI")

INLINE = template(
    """
    Parameters:
      Greeting:
        Type: String
        Default: hello
    Resources:
      Greeter:
        Type: AWS::Lambda::Function
        Properties:
          Runtime: python3.11
          Handler: index.handler
          Role: arn:aws:iam::000000000000:role/lambda-role
          Environment:
            Variables:
              GREETING: !Ref Greeting
          Code:
            ZipFile: |
              import os
              def handler(event, context):
                  return os.environ["GREETING"]
      Inbox:
        Type: AWS::SQS::Queue
        Properties:
          Tags:
            - Key: team
              Value: !Ref Greeting
    Outputs:
      Queue:
        Value: !Ref Inbox
    """
)


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def aws(server: Any, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "AWS_ENDPOINT_URL": server.endpoint_url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": server.settings.region,
    }
    return subprocess.run(
        ["aws", *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_deploy_creates_then_updates_then_has_nothing_to_do(
    server: Any, cfn: Any, lambda_client: Any, tmp_path: Path
) -> None:
    name = stack_name("cli")
    path = tmp_path / "template.yaml"
    path.write_text(INLINE)
    deploy = ("cloudformation", "deploy", "--template-file", str(path), "--stack-name", name)

    created = aws(server, tmp_path, *deploy)

    assert created.returncode == 0, created.stderr
    assert f"Successfully created/updated stack - {name}" in created.stdout
    assert describe(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    function = physical_id(cfn, name, "Greeter")
    answer = lambda_client.invoke(FunctionName=function)["Payload"].read()
    assert answer == b'"hello"'

    updated = aws(server, tmp_path, *deploy, "--parameter-overrides", "Greeting=bonjour")

    assert updated.returncode == 0, updated.stderr
    assert describe(cfn, name)["StackStatus"] == "UPDATE_COMPLETE"
    answer = lambda_client.invoke(FunctionName=function)["Payload"].read()
    assert answer == b'"bonjour"'

    again = aws(server, tmp_path, *deploy, "--no-fail-on-empty-changeset")

    assert again.returncode == 0, again.stderr
    assert "No changes to deploy" in again.stdout
    # Unspecified parameters keep their previous value (the CLI sends UsePreviousValue).
    values = {p["ParameterKey"]: p["ParameterValue"] for p in describe(cfn, name)["Parameters"]}
    assert values == {"Greeting": "bonjour"}
