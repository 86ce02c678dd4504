"""`aws cloudformation deploy`, the real aws CLI, unchanged: only AWS_ENDPOINT_URL points it at
Stratus. It drives change sets (CreateChangeSet, its waiter, ExecuteChangeSet, the stack
waiters) and GetTemplateSummary on update. `aws cloudformation package` uploads local
artifacts to the object storage and rewrites the template to point at them; the stack reads
them from there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
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


PACKAGED_APP = textwrap.dedent(
    """\
    AWSTemplateFormatVersion: '2010-09-09'
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Layer:
        Type: AWS::Serverless::LayerVersion
        Properties:
          ContentUri: layer/
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: src/
          Handler: app.handler
          Runtime: python3.11
          Layers: [!Ref Layer]
      PlainFn:
        Type: AWS::Lambda::Function
        Properties:
          Code: src/
          Handler: app.handler
          Runtime: python3.11
          Role: arn:aws:iam::000000000000:role/r
          Layers: [!Ref Layer]
      Machine:
        Type: AWS::Serverless::StateMachine
        Properties:
          DefinitionUri: machine.json
          Policies: []
      Api:
        Type: AWS::ApiGateway::RestApi
        Properties:
          BodyS3Location: api.yaml
    Outputs:
      Fn:
        Value: !Ref Fn
      PlainFn:
        Value: !Ref PlainFn
      Machine:
        Value: !Ref Machine
      Api:
        Value: !Ref Api
    """
)
OPENAPI = """\
openapi: "3.0.1"
info: {title: packaged-api, version: "1"}
paths:
  /hi:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200"}}
      responses: {"200": {description: ok}}
"""


def test_package_uploads_artifacts_that_deploy_reads_from_the_object_storage(
    server: Any, cfn: Any, lambda_client: Any, tmp_path: Path
) -> None:
    """CodeUri and Code (zipped folders), ContentUri (a layer), DefinitionUri (a state
    machine's definition) and BodyS3Location (an OpenAPI file): the CLI uploads each and
    rewrites it to s3:// or Bucket/Key; each resource reads its object back."""
    folder = tmp_path / "app"
    (folder / "src").mkdir(parents=True)
    (folder / "layer" / "python").mkdir(parents=True)
    (folder / "src" / "app.py").write_text(
        "import helper\ndef handler(event, context):\n    return helper.word()\n"
    )
    (folder / "layer" / "python" / "helper.py").write_text("def word():\n    return 'layered'\n")
    machine = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": 7, "End": True}}}
    (folder / "machine.json").write_text(json.dumps(machine))
    (folder / "api.yaml").write_text(OPENAPI)
    (folder / "template.yaml").write_text(PACKAGED_APP)
    server.client("s3").create_bucket(Bucket="cli-packages")
    packaged = folder / "packaged.yaml"
    name = stack_name("cli-package")

    made = aws(
        server, tmp_path, "cloudformation", "package", "--template-file",
        str(folder / "template.yaml"), "--s3-bucket", "cli-packages",
        "--output-template-file", str(packaged),
    )  # fmt: skip

    assert made.returncode == 0, made.stderr
    rewritten = packaged.read_text()
    assert "CodeUri: s3://cli-packages/" in rewritten
    assert "ContentUri: s3://cli-packages/" in rewritten
    assert "S3Bucket: cli-packages" in rewritten  # Code, and DefinitionUri, BodyS3Location

    deployed = aws(
        server, tmp_path, "cloudformation", "deploy", "--template-file", str(packaged),
        "--stack-name", name, "--capabilities", "CAPABILITY_IAM",
    )  # fmt: skip

    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    values = {o["OutputKey"]: o["OutputValue"] for o in describe(cfn, name)["Outputs"]}
    for function in (values["Fn"], values["PlainFn"]):
        answer = lambda_client.invoke(FunctionName=function)
        assert answer["Payload"].read() == b'"layered"'  # the zip and the layer from S3
    definition = server.client("stepfunctions").describe_state_machine(
        stateMachineArn=values["Machine"]
    )["definition"]
    assert json.loads(definition) == machine
    resources = server.client("apigateway").get_resources(restApiId=values["Api"])["items"]
    assert "/hi" in {r["path"] for r in resources}


NESTED_PARENT = textwrap.dedent(
    """\
    AWSTemplateFormatVersion: '2010-09-09'
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Child:
        Type: AWS::CloudFormation::Stack
        Properties:
          TemplateURL: child/template.yaml
          Parameters:
            Word: nested
      App:
        Type: AWS::Serverless::Application
        Properties:
          Location: app/template.yaml
    Outputs:
      Fn:
        Value: !GetAtt Child.Outputs.Fn
      Queue:
        Value: !GetAtt App.Outputs.Queue
    """
)
NESTED_CHILD = textwrap.dedent(
    """\
    AWSTemplateFormatVersion: '2010-09-09'
    Transform: AWS::Serverless-2016-10-31
    Parameters:
      Word:
        Type: String
    Resources:
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: src/
          Handler: app.handler
          Runtime: python3.11
          Environment:
            Variables:
              WORD: !Ref Word
    Outputs:
      Fn:
        Value: !Ref Fn
    """
)
NESTED_APP = textwrap.dedent(
    """\
    Resources:
      Queue:
        Type: AWS::SQS::Queue
    Outputs:
      Queue:
        Value: !GetAtt Queue.QueueName
    """
)


def test_package_of_nested_stacks_uploads_each_template_and_deploy_creates_them(
    server: Any, cfn: Any, lambda_client: Any, tmp_path: Path
) -> None:
    """`aws cloudformation package` packages a nested stack's local TemplateURL (and a SAM
    application's Location) recursively: the child's code and the child template itself go
    to the bucket, TemplateURL becomes the object's URL; `deploy` creates both levels."""
    folder = tmp_path / "nested"
    (folder / "child" / "src").mkdir(parents=True)
    (folder / "app").mkdir()
    (folder / "child" / "src" / "app.py").write_text(
        "import os\ndef handler(event, context):\n    return os.environ['WORD']\n"
    )
    (folder / "child" / "template.yaml").write_text(NESTED_CHILD)
    (folder / "app" / "template.yaml").write_text(NESTED_APP)
    (folder / "template.yaml").write_text(NESTED_PARENT)
    server.client("s3").create_bucket(Bucket="cli-nested")
    packaged = folder / "packaged.yaml"
    name = stack_name("cli-nested")

    made = aws(
        server, tmp_path, "cloudformation", "package", "--template-file",
        str(folder / "template.yaml"), "--s3-bucket", "cli-nested",
        "--output-template-file", str(packaged),
    )  # fmt: skip

    assert made.returncode == 0, made.stderr
    rewritten = packaged.read_text()
    assert "child/template.yaml" not in rewritten
    assert "app/template.yaml" not in rewritten
    deployed = aws(
        server, tmp_path, "cloudformation", "deploy", "--template-file", str(packaged),
        "--stack-name", name, "--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND",
    )  # fmt: skip

    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    values = {o["OutputKey"]: o["OutputValue"] for o in describe(cfn, name)["Outputs"]}
    assert lambda_client.invoke(FunctionName=values["Fn"])["Payload"].read() == b'"nested"'
    assert server.client("sqs").get_queue_url(QueueName=values["Queue"])["QueueUrl"]
    nested = [
        r for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
        if r["ResourceType"] == "AWS::CloudFormation::Stack"
    ]  # fmt: skip
    assert len(nested) == 2
    assert all(r["ResourceStatus"] == "CREATE_COMPLETE" for r in nested)
