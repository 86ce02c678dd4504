"""`stratus deploy` speaks `sam deploy`'s dialect: the endpoint from AWS_ENDPOINT_URL,
several values after one flag, SAM's ParameterKey form, and samconfig.toml."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stratus.cli import endpoint
from stratus.cli.main import app
from stratus.cli.multi_value import spread
from stratus.cli.stack_deploy import parse_overrides

QUEUES = textwrap.dedent(
    """\
    Parameters:
      Visibility:
        Type: Number
        Default: 30
      Label:
        Type: String
        Default: none
    Resources:
      Inbox:
        Type: AWS::SQS::Queue
        Properties:
          VisibilityTimeout: !Ref Visibility
          Tags:
            - Key: label
              Value: !Ref Label
    Outputs:
      Url:
        Value: !Ref Inbox
    """
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "template.yaml").write_text(QUEUES)
    return tmp_path


def run(env: dict[str, str | None], *args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **env})


def parameters(server: Any, name: str) -> dict[str, str]:
    stack = server.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    return {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}


def test_endpoint_resolution_order() -> None:
    env = {
        "STRATUS_ENDPOINT_URL": "http://s",
        "AWS_ENDPOINT_URL": "http://a",
        "AWS_ENDPOINT_URL_LAMBDA": "http://l",
    }
    assert endpoint.resolve("http://flag", env) == endpoint.Endpoint(
        "http://flag", "--endpoint-url"
    )
    assert endpoint.resolve(None, env).url == "http://s"
    without = {k: v for k, v in env.items() if k != "STRATUS_ENDPOINT_URL"}
    assert endpoint.resolve(None, without, "lambda") == endpoint.Endpoint(
        "http://l", "$AWS_ENDPOINT_URL_LAMBDA"
    )
    assert endpoint.resolve(None, without).url == "http://a"
    assert endpoint.resolve(None, {}).url == endpoint.DEFAULT_ENDPOINT_URL
    # A URL from AWS_ENDPOINT_URL gives way to the service's own, as in boto3.
    assert endpoint.for_service("http://a", "lambda", without) == "http://l"
    assert endpoint.for_service("http://a", "logs", without) == "http://a"
    assert endpoint.for_service("http://s", "lambda", env) == "http://s"


def test_several_values_after_one_flag() -> None:
    args = ["--parameter-overrides", "A=1", "B=2", "dir", "--tags", "t=1", "u=2"]
    assert spread(args) == [
        "--parameter-overrides", "A=1", "--parameter-overrides", "B=2", "dir",
        "--tags", "t=1", "--tags", "u=2",
    ]  # fmt: skip
    assert parse_overrides(["ParameterKey=A,ParameterValue=x,y", "B=2"]) == {"A": "x,y", "B": "2"}


def test_deploy_goes_where_aws_endpoint_url_points(server: Any, project: Path) -> None:
    name = f"dialect-{uuid.uuid4().hex[:6]}"

    result = run(
        {"AWS_ENDPOINT_URL": server.endpoint_url, "STRATUS_ENDPOINT_URL": None},
        "deploy", str(project), "--stack-name", name,
        "--parameter-overrides", "Visibility=45", "ParameterKey=Label,ParameterValue=a b",
        "--tags", "team=blue", "env=dev",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert f"deploying to {server.endpoint_url} (from $AWS_ENDPOINT_URL)" in result.output
    assert parameters(server, name) == {"Visibility": "45", "Label": "a b"}
    stack = server.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    assert {t["Key"]: t["Value"] for t in stack["Tags"]} == {"team": "blue", "env": "dev"}


def test_deploy_reads_samconfig(server: Any, project: Path) -> None:
    name = f"samconfig-{uuid.uuid4().hex[:6]}"
    (project / "samconfig.toml").write_text(
        textwrap.dedent(
            f"""\
            version = 0.1
            [default.deploy.parameters]
            stack_name = "{name}"
            parameter_overrides = "Visibility=50 Label=\\"from config\\""
            tags = 'team="green"'
            capabilities = "CAPABILITY_IAM"
            [prod.deploy.parameters]
            stack_name = "{name}-prod"
            parameter_overrides = ["Visibility=60"]
            """
        )
    )
    env = {"STRATUS_ENDPOINT_URL": server.endpoint_url}

    first = run(env, "deploy", str(project))
    prod = run(env, "deploy", str(project), "--config-env", "prod")
    flag_wins = run(env, "deploy", str(project), "--parameter-overrides", "Visibility=55")
    missing = run(env, "deploy", str(project), "--config-env", "staging")

    assert first.exit_code == 0, first.output
    assert "samconfig.toml [default]" in first.output
    assert parameters(server, name) == {"Visibility": "55", "Label": "from config"}
    stack = server.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    assert stack["Tags"] == [{"Key": "team", "Value": "green"}]
    assert prod.exit_code == 0, prod.output
    assert parameters(server, f"{name}-prod") == {"Visibility": "60", "Label": "none"}
    assert flag_wins.exit_code == 0, flag_wins.output
    assert missing.exit_code == 1
    assert "has no environment 'staging'; it has: default, prod" in missing.output
