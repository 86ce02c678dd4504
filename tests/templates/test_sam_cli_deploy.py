"""`sam deploy`, the real SAM CLI (pip aws-sam-cli, in a virtualenv of its own), unchanged:
only AWS_ENDPOINT_URL (and dummy credentials and region) point it at Stratus. It packages
CodeUri into the object storage, plans with CreateChangeSet (CAPABILITY_IAM only), prints
the change set and DescribeStackEvents' transitions, and reads the outputs; `--resolve-s3`
and `--guided` first deploy SAM's managed stack (a versioned bucket and its policy) and ask
STS who the caller is."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
from tests.templates.test_stacks import describe, physical_id, stack_name

# .ci/run installs aws-sam-cli into a virtualenv of its own (its pins clash with the
# project's) and names its `sam` in STRATUS_SAM_CLI; on a machine with `sam` on PATH that one.
SAM = os.environ.get("STRATUS_SAM_CLI") or shutil.which("sam")
pytestmark = pytest.mark.skipif(
    SAM is None,
    reason="needs the SAM CLI: set STRATUS_SAM_CLI to a `sam` (.ci/run installs "
    "aws-sam-cli==1.170.0 in a virtualenv of its own) or put one on PATH",
)
MANAGED_STACK = "aws-sam-cli-managed-default"  # what --resolve-s3 deploys, named by SAM

TEMPLATE = textwrap.dedent(
    """\
    AWSTemplateFormatVersion: '2010-09-09'
    Transform: AWS::Serverless-2016-10-31
    Parameters:
      Greeting:
        Type: String
        Default: hello
    Resources:
      HelloFunction:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: src/
          Handler: app.handler
          Runtime: python3.11
          Environment:
            Variables:
              GREETING: !Ref Greeting
          Events:
            Api:
              Type: HttpApi
              Properties:
                Path: /hello
                Method: get
      DefinedApi:
        Type: AWS::Serverless::HttpApi
        Properties:
          DefinitionUri: openapi.yaml
    Outputs:
      Function:
        Value: !Ref HelloFunction
      DefinedApi:
        Value: !Ref DefinedApi
    """
)
HANDLER = """\
import os
def handler(event, context):
    return {"statusCode": 200, "body": PREFIX + os.environ["GREETING"]}
"""


# An HttpApi's DefinitionUri: SAM uploads the file, the stack's HTTP API imports it from there
# (intrinsics are not read in such a file, on AWS neither).
OPENAPI = """\
openapi: "3.0.1"
info: {title: defined-by-file, version: "1"}
paths:
  /proxied:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: https://example.com/
        payloadFormatVersion: "1.0"
"""


def app(tmp_path: Path, prefix: str = "") -> Path:
    """A SAM project folder: template.yaml, openapi.yaml and src/app.py."""
    folder = tmp_path / "app"
    (folder / "src").mkdir(parents=True, exist_ok=True)
    (folder / "template.yaml").write_text(TEMPLATE)
    (folder / "openapi.yaml").write_text(OPENAPI)
    (folder / "src" / "app.py").write_text(HANDLER.replace("PREFIX", repr(prefix)))
    return folder


def sam(
    server: Any, folder: Path, *args: str, answers: str | None = None
) -> subprocess.CompletedProcess[str]:
    assert SAM is not None
    home = folder.parent / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "AWS_ENDPOINT_URL": server.endpoint_url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": server.settings.region,
        "SAM_CLI_TELEMETRY": "0",
    }
    return subprocess.run(
        [SAM, *args],
        cwd=folder,
        env=env,
        input=answers,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def greeting(lambda_client: Any, function: str) -> str:
    answer = lambda_client.invoke(FunctionName=function)
    assert "FunctionError" not in answer, answer["Payload"].read()
    return str(json.loads(answer["Payload"].read())["body"])


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def test_deploy_to_a_bucket_creates_then_updates_then_has_nothing_to_do(
    server: Any, cfn: Any, lambda_client: Any, tmp_path: Path
) -> None:
    server.client("s3").create_bucket(Bucket="sam-cli-artifacts")
    name = stack_name("sam")
    folder = app(tmp_path)
    deploy = (
        "deploy", "--stack-name", name, "--s3-bucket", "sam-cli-artifacts",
        "--capabilities", "CAPABILITY_IAM", "--no-confirm-changeset",
    )  # fmt: skip

    created = sam(server, folder, *deploy)

    assert created.returncode == 0, created.stdout + created.stderr
    assert f"Successfully created/updated stack - {name}" in created.stdout
    # The change set's table, then the stack's events as DescribeStackEvents lists them.
    assert "+ Add" in created.stdout
    assert "HelloFunctionRole" in created.stdout
    events = [line.split() for line in created.stdout.splitlines()]
    assert ["CREATE_COMPLETE", "AWS::Lambda::Function", "HelloFunction", "-"] in events
    assert describe(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    function = physical_id(cfn, name, "HelloFunction")
    assert greeting(lambda_client, function) == "hello"
    # The package SAM zipped and uploaded is in the bucket, named by its MD5.
    listed = server.client("s3").list_objects_v2(Bucket="sam-cli-artifacts")["Contents"]
    keys = [o["Key"] for o in listed]
    assert any(k.endswith(".template") for k in keys)  # the template, uploaded for TemplateURL
    assert len(keys) == 3  # and the zip of src/, and openapi.yaml
    http_api = physical_id(cfn, name, "DefinedApi")
    routes = server.client("apigatewayv2").get_routes(ApiId=http_api)["Items"]
    assert [r["RouteKey"] for r in routes] == ["GET /proxied"]

    # sam list endpoints: Cloud Control's GetResource per function (no URL: "-"), the APIs'
    # stages and routes. SAM writes the URLs in AWS's form itself.
    endpoints = sam(server, folder, "list", "endpoints", "--stack-name", name, "--output", "json")
    assert endpoints.returncode == 0, endpoints.stdout + endpoints.stderr
    listed = {e["LogicalResourceId"]: e for e in json.loads(endpoints.stdout)}
    assert listed["HelloFunction"]["CloudEndpoint"] == "-"
    assert listed["ServerlessHttpApi"]["Methods"] == ["/hello['get']"]

    app(tmp_path, prefix="v2 ")
    updated = sam(server, folder, *deploy, "--parameter-overrides", "Greeting=bonjour")

    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert ["UPDATE_COMPLETE", "AWS::Lambda::Function", "HelloFunction", "-"] in [
        line.split() for line in updated.stdout.splitlines()
    ]
    assert describe(cfn, name)["StackStatus"] == "UPDATE_COMPLETE"
    assert greeting(lambda_client, function) == "v2 bonjour"

    again = sam(server, folder, *deploy, "--no-fail-on-empty-changeset")

    assert again.returncode == 0, again.stdout + again.stderr
    assert f"No changes to deploy. Stack {name} is up to date" in again.stdout + again.stderr


def test_resolve_s3_deploys_sams_managed_stack_then_delete_removes_the_app(
    server: Any, cfn: Any, lambda_client: Any, tmp_path: Path
) -> None:
    name = stack_name("sam-resolve")
    folder = app(tmp_path)

    deployed = sam(
        server, folder, "deploy", "--stack-name", name, "--resolve-s3",
        "--capabilities", "CAPABILITY_IAM", "--no-confirm-changeset",
    )  # fmt: skip

    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    managed = describe(cfn, MANAGED_STACK)
    assert managed["StackStatus"] == "CREATE_COMPLETE"
    bucket = {o["OutputKey"]: o["OutputValue"] for o in managed["Outputs"]}["SourceBucket"]
    assert f"Managed S3 bucket: {bucket}" in deployed.stdout + deployed.stderr
    s3 = server.client("s3")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert "serverlessrepo.amazonaws.com" in s3.get_bucket_policy(Bucket=bucket)["Policy"]
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] >= 2  # the package and template
    assert greeting(lambda_client, physical_id(cfn, name, "HelloFunction")) == "hello"

    deleted = sam(server, folder, "delete", "--stack-name", name, "--no-prompts")

    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    assert name not in {s["StackName"] for s in cfn.describe_stacks()["Stacks"]}
    assert describe(cfn, MANAGED_STACK)["StackStatus"] == "CREATE_COMPLETE"  # SAM keeps it


def test_build_then_guided_deploy_answered_on_stdin_writes_samconfig_for_the_next(
    server: Any, cfn: Any, tmp_path: Path
) -> None:
    name = stack_name("sam-guided")
    folder = app(tmp_path)
    # Stack name, region, Greeting, confirm changes (N), allow IAM roles (Y), disable rollback
    # (N), "HelloFunction has no authentication. Is this okay?" (y), save (Y), file, env.
    answers = f"{name}\n\n\nN\nY\nN\ny\nY\n\n\n"
    built = sam(server, folder, "build")  # the usual first step: deploy then reads .aws-sam/

    guided = sam(server, folder, "deploy", "--guided", answers=answers)

    assert built.returncode == 0, built.stdout + built.stderr
    assert (folder / ".aws-sam" / "build" / "template.yaml").exists()
    assert guided.returncode == 0, guided.stdout + guided.stderr
    assert describe(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    config = (folder / "samconfig.toml").read_text()
    assert f'stack_name = "{name}"' in config
    assert "resolve_s3 = true" in config

    again = sam(server, folder, "deploy", "--no-fail-on-empty-changeset")

    assert again.returncode == 0, again.stdout + again.stderr
    assert f"No changes to deploy. Stack {name} is up to date" in again.stdout + again.stderr


SECRET_APP = textwrap.dedent(
    """\
    AWSTemplateFormatVersion: '2010-09-09'
    Transform: AWS::Serverless-2016-10-31
    Resources:
      DbSecret:
        Type: AWS::SecretsManager::Secret
        Properties:
          GenerateSecretString:
            SecretStringTemplate: '{"username": "app"}'
            GenerateStringKey: password
      Reader:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: src/
          Handler: app.handler
          Runtime: python3.11
          Timeout: 30  # boto3's first client on a loaded machine can take Lambda's default 3 s
          Policies:
            - AWSSecretsManagerGetSecretValuePolicy:
                SecretArn: !Ref DbSecret
          Environment:
            Variables:
              SECRET_ARN: !Ref DbSecret
              DB_PASSWORD: !Sub "{{resolve:secretsmanager:${DbSecret}:SecretString:password}}"
    """
)
SECRET_HANDLER = """\
import json, os
import boto3
def handler(event, context):
    value = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["SECRET_ARN"])
    return {"env": os.environ["DB_PASSWORD"], "read": json.loads(value["SecretString"])}
"""


def test_sam_deploys_a_secret_read_by_reference_and_by_boto3(
    server: Any, cfn: Any, lambda_client: Any, tmp_path: Path
) -> None:
    """`sam deploy` of an app with a generated secret: the function's environment gets the
    password through {{resolve:secretsmanager:...}}, its handler reads it with boto3."""
    server.client("s3").create_bucket(Bucket="sam-cli-secrets")
    folder = tmp_path / "secret-app"
    (folder / "src").mkdir(parents=True)
    (folder / "template.yaml").write_text(SECRET_APP)
    (folder / "src" / "app.py").write_text(SECRET_HANDLER)
    name = stack_name("sam-secret")

    deployed = sam(
        server, folder, "deploy", "--stack-name", name, "--s3-bucket", "sam-cli-secrets",
        "--capabilities", "CAPABILITY_IAM", "--no-confirm-changeset",
    )  # fmt: skip

    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    answer = lambda_client.invoke(FunctionName=physical_id(cfn, name, "Reader"))
    found = json.loads(answer["Payload"].read())
    assert "FunctionError" not in answer, found
    assert found["read"]["username"] == "app"
    assert found["env"] == found["read"]["password"]
    assert len(found["env"]) == 32
