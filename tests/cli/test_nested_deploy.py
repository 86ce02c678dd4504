"""`stratus deploy` of a template whose nested stacks are local files: each nested template
is built and packaged like the parent (its functions' code uploaded), then uploaded itself,
and the nested stacks answer."""

from __future__ import annotations

import contextlib
import textwrap
import uuid
from pathlib import Path
from typing import Any

import httpx
from tests.cli.test_stack_deploy import HANDLER, TEMPLATE, write_app

PARENT = textwrap.dedent(
    """\
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Greeter:
        Type: AWS::Serverless::Application
        Properties:
          Location: greeter/template.yaml
          Parameters:
            Greeting: Howdy
      Queues:
        Type: AWS::CloudFormation::Stack
        Properties:
          TemplateURL: ./queues.yaml
    Outputs:
      HelloUrl:
        Value: !GetAtt Greeter.Outputs.HelloUrl
      QueueName:
        Value: !GetAtt Queues.Outputs.Name
    """
)
QUEUES = textwrap.dedent(
    """\
    Resources:
      Queue:
        Type: AWS::SQS::Queue
    Outputs:
      Name:
        Value: !GetAtt Queue.QueueName
    """
)


def test_local_nested_templates_are_packaged_and_deployed(
    stratus: Any, tmp_path: Path, server: Any
) -> None:
    root = tmp_path / "parent"
    write_app(root / "greeter", TEMPLATE, HANDLER)
    (root / "template.yaml").write_text(PARENT)
    (root / "queues.yaml").write_text(QUEUES)
    cfn = server.client("cloudformation")
    name = f"nested-{uuid.uuid4().hex[:8]}"
    try:
        result = stratus("deploy", str(root), "--stack-name", name)
        assert result.exit_code == 0, result.output
        [stack] = cfn.describe_stacks(StackName=name)["Stacks"]
        found = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        assert httpx.get(found["HelloUrl"], timeout=30).text == "Howdy, world"
        assert found["QueueName"].startswith(f"{name}-Queues-")
        children = [
            s for s in cfn.describe_stacks()["Stacks"] if s.get("ParentId") == stack["StackId"]
        ]
        assert sorted(s["StackName"].split("-")[2] for s in children) == ["Greeter", "Queues"]
    finally:
        with contextlib.suppress(cfn.exceptions.ClientError):
            cfn.delete_stack(StackName=name)
