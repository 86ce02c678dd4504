"""`stratus deploy`: a SAM template folder to a stack whose output URL answers; updates,
unchanged deploys, failures and parameter overrides."""

from __future__ import annotations

import contextlib
import re
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stratus.cli.errors import CliError
from stratus.cli.stack_deploy import parse_overrides, stack_name_for

RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
TEMPLATE = textwrap.dedent(
    f"""\
    Transform: AWS::Serverless-2016-10-31
    Parameters:
      Greeting:
        Type: String
        Default: Hello
    Resources:
      Hello:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: hello/
          Handler: app.handler
          Runtime: {RUNTIME}
          Environment:
            Variables:
              GREETING: !Ref Greeting
          Events:
            Get:
              Type: HttpApi
              Properties:
                Path: /hello
                Method: get
    Outputs:
      HelloUrl:
        Description: Where Hello answers
        Value: !Sub "https://${{ServerlessHttpApi}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/hello"
    """
)
HANDLER = textwrap.dedent(
    """\
    import os

    def handler(event, context):
        return {"statusCode": 200, "body": os.environ["GREETING"] + ", world"}
    """
)


def write_app(root: Path, template: str = TEMPLATE, handler: str = HANDLER) -> Path:
    (root / "hello").mkdir(parents=True, exist_ok=True)
    (root / "template.yaml").write_text(template)
    (root / "hello" / "app.py").write_text(handler)
    return root


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return write_app(tmp_path / "greeter")


@pytest.fixture
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


@pytest.fixture
def stack_name(cfn: Any) -> Iterator[Callable[[], str]]:
    """Unique stack names; the stacks are deleted after the test."""
    names: list[str] = []

    def make() -> str:
        names.append(f"deploy-{uuid.uuid4().hex[:8]}")
        return names[-1]

    yield make
    for name in names:
        with contextlib.suppress(cfn.exceptions.ClientError):
            cfn.delete_stack(StackName=name)


def output_url(cfn: Any, name: str) -> str:
    [stack] = cfn.describe_stacks(StackName=name)["Stacks"]
    return next(o["OutputValue"] for o in stack["Outputs"] if o["OutputKey"] == "HelloUrl")


def test_deploy_creates_a_stack_whose_output_url_answers(stratus, app, cfn, stack_name):
    """The first deploy creates the stack, prints its events, then the outputs (a local URL)
    and resources; the URL answers over HTTP."""
    name = stack_name()

    result = stratus("deploy", str(app), "--stack-name", name)
    url = output_url(cfn, name)
    response = httpx.get(url, timeout=30)

    assert result.exit_code == 0, result.output
    assert "CREATE_COMPLETE" in result.stderr
    assert url.startswith("http://127.0.0.1:")
    assert url in result.stdout
    assert "AWS::Lambda::Function" in result.stdout
    assert response.text == "Hello, world"


def test_deploying_again_unchanged_succeeds_and_a_changed_handler_updates(
    stratus, app, cfn, stack_name
):
    """An unchanged deploy is a success that updates nothing; a changed handler is deployed."""
    name = stack_name()
    stratus("deploy", str(app), "--stack-name", name)

    unchanged = stratus("deploy", str(app), "--stack-name", name)
    (app / "hello" / "app.py").write_text(HANDLER.replace(', world"', ', stack"'))
    changed = stratus("deploy", str(app), "--stack-name", name)
    response = httpx.get(output_url(cfn, name), timeout=30)

    assert unchanged.exit_code == 0, unchanged.output
    assert "no changes to deploy" in unchanged.stderr
    assert "UPDATE_" not in unchanged.stderr
    assert changed.exit_code == 0, changed.output
    assert "UPDATE_COMPLETE" in changed.stderr
    assert response.text == "Hello, stack"


def test_parameter_overrides_reach_the_function_and_stay_on_the_next_deploy(
    stratus, app, cfn, stack_name
):
    """--parameter-overrides sets a parameter; a later deploy without it keeps the value."""
    name = stack_name()

    first = stratus(
        "deploy", str(app), "--stack-name", name, "--parameter-overrides", "Greeting=Hi"
    )
    (app / "hello" / "app.py").write_text(HANDLER.replace(', world"', ', there"'))
    second = stratus("deploy", str(app), "--stack-name", name)
    response = httpx.get(output_url(cfn, name), timeout=30)

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert response.text == "Hi, there"


def test_a_template_the_server_refuses_exits_1_with_the_reason(stratus, tmp_path, stack_name):
    """A reference to a resource that does not exist: exit 1, the server's reason, no stack."""
    app = write_app(tmp_path / "broken", TEMPLATE.replace("!Ref Greeting", "!Ref Nowhere"))

    result = stratus("deploy", str(app), "--stack-name", stack_name())

    assert result.exit_code == 1
    assert "Nowhere" in result.stderr
    assert "Traceback" not in result.output


def test_a_template_failing_validation_exits_1_with_the_linters_reason(
    stratus, tmp_path, stack_name
):
    """A runtime Lambda does not have: exit 1 naming the property, before any change."""
    app = write_app(tmp_path / "bad-runtime", TEMPLATE.replace(RUNTIME, "cobol85"))

    result = stratus("deploy", str(app), "--stack-name", stack_name())

    assert result.exit_code == 1
    assert "Resources/Hello/Properties/Runtime: 'cobol85'" in result.stderr


def test_a_duplicate_key_keeps_the_last_one_with_a_warning(stratus, tmp_path, cfn, stack_name):
    """As `sam deploy` (PyYAML), a key written twice in one mapping deploys with the last
    value, and the CLI warns naming the key and its lines; the server, given the same text
    as a TemplateBody, refuses it as CloudFormation does."""
    twice = TEMPLATE.replace(
        "    Description: Where Hello answers\n",
        "    Description: first words\n    Description: Where Hello answers\n",
    )
    assert twice != TEMPLATE
    app = write_app(tmp_path / "twice", twice)
    name = stack_name()

    result = stratus("deploy", str(app), "--stack-name", name)
    [stack] = cfn.describe_stacks(StackName=name)["Stacks"]
    with pytest.raises(cfn.exceptions.ClientError) as refused:
        cfn.validate_template(TemplateBody=twice)

    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr
    assert "Duplicate key 'Description' (line 25" in result.stderr
    assert "first on line 24" in result.stderr
    [output] = stack["Outputs"]
    assert output["Description"] == "Where Hello answers"
    assert "Duplicate key 'Description'" in str(refused.value)


MISSING_LAYER = "arn:aws:lambda:us-east-1:000000000000:layer:missing-layer:1"


def test_a_resource_that_fails_to_create_rolls_back_and_exits_1(stratus, tmp_path, stack_name):
    """A function whose layer does not exist: its event's reason, the final status, exit 1;
    fixed, the next deploy replaces the rolled-back stack."""
    broken = TEMPLATE.replace(
        "Handler: app.handler", f"Handler: app.handler\n      Layers: [{MISSING_LAYER}]"
    )
    app = write_app(tmp_path / "bad-layer", broken)
    name = stack_name()

    failed = stratus("deploy", str(app), "--stack-name", name)
    write_app(app)
    fixed = stratus("deploy", str(app), "--stack-name", name)

    assert failed.exit_code == 1
    assert f"error: Hello: Layer version {MISSING_LAYER} does not exist." in failed.stderr
    assert f"error: stack {name} failed: ROLLBACK_COMPLETE" in failed.stderr
    assert fixed.exit_code == 0, fixed.output
    assert "CREATE_COMPLETE" in fixed.stderr


def test_bad_override_syntax_missing_template_and_no_server_are_one_line_errors(
    stratus, app, tmp_path
):
    """Each mistake is one red line saying what to do, exit 1, no traceback."""
    bad_override = stratus("deploy", str(app), "--parameter-overrides", "Greeting")
    no_template = stratus("deploy", str(tmp_path / "nothing-here"))
    (tmp_path / "empty").mkdir()
    empty = stratus("deploy", str(tmp_path / "empty"))
    no_server = stratus("deploy", str(app), "--endpoint-url", "http://127.0.0.1:9")

    assert bad_override.exit_code == 1
    assert "bad value 'Greeting' for --parameter-overrides: write KEY=VALUE" in bad_override.stderr
    assert no_template.exit_code == 1
    assert "does not exist" in no_template.stderr
    assert empty.exit_code == 1
    assert "has no template.yaml" in empty.stderr
    assert no_server.exit_code == 1
    assert "no Stratus server at http://127.0.0.1:9; start one with `stratus server`" in (
        no_server.stderr
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["A=1"], {"A": "1"}),
        (["A=1", "B=2"], {"A": "1", "B": "2"}),
        (["A=1 B='x y'"], {"A": "1", "B": "x y"}),
        (["Url=http://h/?a=b"], {"Url": "http://h/?a=b"}),
        (["Empty="], {"Empty": ""}),
    ],
)
def test_overrides_parse(values, expected):
    assert parse_overrides(values) == expected


@pytest.mark.parametrize("value", ["A", "=1", "A-B=1", "'unclosed"])
def test_bad_overrides_are_refused(value):
    with pytest.raises(CliError):
        parse_overrides([value])


@pytest.mark.parametrize(
    ("folder", "expected"),
    [("my_app", "my-app"), ("app", "app"), ("2048", "stack-2048"), ("__", "stack")],
)
def test_stack_names_come_from_the_folder(folder, expected):
    assert stack_name_for(Path("/x") / folder / "template.yaml") == expected


def test_no_wait_returns_once_the_stack_operation_started(stratus, app, cfn, stack_name):
    """--no-wait submits and returns; the stack completes on its own (a small one may already
    read complete when the command reports it)."""
    name = stack_name()

    result = stratus("deploy", str(app), "--stack-name", name, "--no-wait")
    waiter = cfn.get_waiter("stack_create_complete")
    waiter.wait(StackName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 150})

    assert result.exit_code == 0, result.output
    assert re.search(rf"stack {name}: CREATE_(IN_PROGRESS|COMPLETE)", result.stderr)
    assert "Outputs" not in result.stdout


def test_skip_unsupported_deploys_the_rest_and_names_what_it_left_out(
    stratus, tmp_path, cfn, stack_name
):
    """A stream (not supported yet) refuses the deploy; with --skip-unsupported the function
    deploys and answers, and the stream is reported."""
    template = TEMPLATE.replace("Outputs:", "  Stream:\n    Type: AWS::Kinesis::Stream\nOutputs:")
    app = write_app(tmp_path / "with-queue", template)
    name = stack_name()

    refused = stratus("deploy", str(app), "--stack-name", name)
    skipping = stratus("deploy", str(app), "--stack-name", name, "--skip-unsupported")
    response = httpx.get(output_url(cfn, name), timeout=30)

    assert refused.exit_code == 1
    assert "Stream (AWS::Kinesis::Stream)" in refused.stderr
    assert skipping.exit_code == 0, skipping.output
    assert "not deployed, not supported yet: Stream (AWS::Kinesis::Stream)" in skipping.stderr
    assert response.text == "Hello, world"


DEFINITION_FILES = textwrap.dedent(
    """\
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Machine:
        Type: AWS::Serverless::StateMachine
        Properties:
          DefinitionUri: statemachine/machine.asl.json
          DefinitionSubstitutions:
            Greeting: hello from a file
      Rest:
        Type: AWS::Serverless::Api
        Properties:
          StageName: prod
          DefinitionUri: rest.yaml
      Http:
        Type: AWS::Serverless::HttpApi
        Properties:
          DefinitionUri: http.yaml
    Outputs:
      MachineArn:
        Value: !Ref Machine
      RestUrl:
        Value: !Sub "https://${Rest}.execute-api.${AWS::Region}.amazonaws.com/prod/ping"
      HttpId:
        Value: !Ref Http
    """
)
MACHINE = (
    '{"StartAt": "Say", "States": {"Say": {"Type": "Pass", "Result": "${Greeting}", "End": true}}}'
)
REST_API = textwrap.dedent(
    """\
    openapi: "3.0.1"
    info: {title: from-a-file, version: "1"}
    paths:
      /ping:
        get:
          x-amazon-apigateway-integration:
            type: mock
            requestTemplates: {application/json: '{"statusCode": 200}'}
            responses:
              default:
                statusCode: "200"
                responseTemplates: {application/json: '{"pong": true}'}
    """
)
HTTP_API = textwrap.dedent(
    """\
    openapi: "3.0.1"
    info: {title: http-from-a-file, version: "1"}
    paths:
      /items:
        get:
          x-amazon-apigateway-integration:
            type: http_proxy
            httpMethod: GET
            uri: https://example.com/items
            payloadFormatVersion: "1.0"
    """
)


def test_local_definition_files_are_uploaded_and_read_by_their_resources(
    stratus, server, tmp_path, cfn, stack_name
):
    """A state machine's, a REST API's and an HTTP API's DefinitionUri naming local files
    (as in many SAM apps): `stratus deploy` uploads them, and each resource reads its file,
    DefinitionSubstitutions applied."""
    app = tmp_path / "files"
    (app / "statemachine").mkdir(parents=True)
    (app / "template.yaml").write_text(DEFINITION_FILES)
    (app / "statemachine" / "machine.asl.json").write_text(MACHINE)
    (app / "rest.yaml").write_text(REST_API)
    (app / "http.yaml").write_text(HTTP_API)
    name = stack_name()

    result = stratus("deploy", str(app), "--stack-name", name)
    assert result.exit_code == 0, result.output
    [stack] = cfn.describe_stacks(StackName=name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    sfn = server.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=outputs["MachineArn"])["executionArn"]
    described = _wait_ended(sfn, execution)
    pong = httpx.get(outputs["RestUrl"], timeout=30)
    routes = server.client("apigatewayv2").get_routes(ApiId=outputs["HttpId"])["Items"]

    assert described["status"] == "SUCCEEDED"
    assert described["output"] == '"hello from a file"'
    assert (pong.status_code, pong.json()) == (200, {"pong": True})
    assert [route["RouteKey"] for route in routes] == ["GET /items"]


def _wait_ended(sfn: Any, execution: str) -> dict[str, Any]:
    for _ in range(200):
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError(f"{execution} still running")
