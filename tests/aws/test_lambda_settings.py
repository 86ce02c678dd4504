"""The rest of a function's settings through boto3: tags, recursion and runtime management,
scaling, code signing configurations, and the deprecated InvokeAsync."""

import io
import json

import pytest

HANDLER = "def handler(e, c):\n    print('event', e)\n    return 1\n"
PROFILE = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/p/abcdefghij"


def arn_of(client, name):
    return client.get_function(FunctionName=name)["Configuration"]["FunctionArn"]


def test_tags_on_create_tag_untag_and_list(lambda_client, deploy):
    name = deploy(HANDLER, Tags={"team": "a"})
    arn = arn_of(lambda_client, name)

    lambda_client.tag_resource(Resource=arn, Tags={"env": "dev", "team": "b"})
    lambda_client.untag_resource(Resource=arn, TagKeys=["env"])

    assert lambda_client.list_tags(Resource=arn)["Tags"] == {"team": "b"}
    assert lambda_client.get_function(FunctionName=name)["Tags"] == {"team": "b"}
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.list_tags(Resource=arn + "-missing")
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.tag_resource(Resource=arn, Tags={f"k{n}": "v" for n in range(50)})


def test_recursion_config(lambda_client, deploy):
    name = deploy(HANDLER)

    before = lambda_client.get_function_recursion_config(FunctionName=name)["RecursiveLoop"]
    put = lambda_client.put_function_recursion_config(FunctionName=name, RecursiveLoop="Allow")

    assert before == "Terminate"
    assert put["RecursiveLoop"] == "Allow"
    assert lambda_client.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == (
        "Allow"
    )
    with pytest.raises(lambda_client.exceptions.ClientError, match="ValidationException"):
        lambda_client.put_function_recursion_config(FunctionName=name, RecursiveLoop="Sometimes")


def test_runtime_management_config(lambda_client, deploy):
    name = deploy(HANDLER)
    version_arn = "arn:aws:lambda:us-east-1::runtime:" + "a" * 64

    default = lambda_client.get_runtime_management_config(FunctionName=name)
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="Manual")
    put = lambda_client.put_runtime_management_config(
        FunctionName=name, UpdateRuntimeOn="Manual", RuntimeVersionArn=version_arn
    )

    assert default["UpdateRuntimeOn"] == "Auto"
    assert "RuntimeVersionArn" not in default
    assert put["RuntimeVersionArn"] == version_arn
    got = lambda_client.get_runtime_management_config(FunctionName=name)
    assert (got["UpdateRuntimeOn"], got["RuntimeVersionArn"]) == ("Manual", version_arn)


def test_scaling_config(lambda_client, deploy):
    name = deploy(HANDLER)
    version = lambda_client.publish_version(FunctionName=name)["Version"]

    put = lambda_client.put_function_scaling_config(
        FunctionName=name,
        Qualifier=version,
        FunctionScalingConfig={"MinExecutionEnvironments": 1, "MaxExecutionEnvironments": 3},
    )
    got = lambda_client.get_function_scaling_config(FunctionName=name, Qualifier=version)

    assert put["FunctionState"] == "Active"
    assert got["RequestedFunctionScalingConfig"] == {
        "MinExecutionEnvironments": 1,
        "MaxExecutionEnvironments": 3,
    }
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.put_function_scaling_config(
            FunctionName=name,
            Qualifier=version,
            FunctionScalingConfig={"MinExecutionEnvironments": 4, "MaxExecutionEnvironments": 3},
        )
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_function_scaling_config(FunctionName=name, Qualifier="99")


def test_code_signing_configs_and_their_functions(lambda_client, deploy):
    created = lambda_client.create_code_signing_config(
        Description="signed",
        AllowedPublishers={"SigningProfileVersionArns": [PROFILE]},
        Tags={"a": "1"},
    )["CodeSigningConfig"]
    arn = created["CodeSigningConfigArn"]
    name = deploy(HANDLER)

    assert created["CodeSigningPolicies"] == {"UntrustedArtifactOnDeployment": "Warn"}
    assert created["CodeSigningConfigId"].startswith("csc-")
    assert lambda_client.get_code_signing_config(CodeSigningConfigArn=arn)["CodeSigningConfig"] == (
        created
    )
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {"a": "1"}
    updated = lambda_client.update_code_signing_config(
        CodeSigningConfigArn=arn, CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"}
    )["CodeSigningConfig"]
    assert updated["CodeSigningPolicies"]["UntrustedArtifactOnDeployment"] == "Enforce"
    assert updated["Description"] == "signed"
    listed = lambda_client.list_code_signing_configs()["CodeSigningConfigs"]
    assert arn in [c["CodeSigningConfigArn"] for c in listed]

    lambda_client.put_function_code_signing_config(FunctionName=name, CodeSigningConfigArn=arn)

    got = lambda_client.get_function_code_signing_config(FunctionName=name)
    assert got == {**got, "CodeSigningConfigArn": arn, "FunctionName": name}
    by_config = lambda_client.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)
    assert by_config["FunctionArns"] == [arn_of(lambda_client, name)]
    with pytest.raises(lambda_client.exceptions.ResourceConflictException):
        lambda_client.delete_code_signing_config(CodeSigningConfigArn=arn)
    missing = arn[:-3] + "zzz"
    with pytest.raises(lambda_client.exceptions.CodeSigningConfigNotFoundException):
        lambda_client.put_function_code_signing_config(
            FunctionName=name, CodeSigningConfigArn=missing
        )

    lambda_client.delete_function_code_signing_config(FunctionName=name)
    lambda_client.delete_code_signing_config(CodeSigningConfigArn=arn)

    assert (
        lambda_client.get_function_code_signing_config(FunctionName=name)["CodeSigningConfigArn"]
        == ""
    )
    with pytest.raises(lambda_client.exceptions.CodeSigningConfigNotFoundException):
        lambda_client.get_code_signing_config(CodeSigningConfigArn=arn)


def test_create_function_takes_its_code_signing_config(lambda_client, deploy):
    arn = lambda_client.create_code_signing_config(
        AllowedPublishers={"SigningProfileVersionArns": [PROFILE]}
    )["CodeSigningConfig"]["CodeSigningConfigArn"]

    name = deploy(HANDLER, CodeSigningConfigArn=arn)

    got = lambda_client.get_function_code_signing_config(FunctionName=name)
    assert got["CodeSigningConfigArn"] == arn
    with pytest.raises(lambda_client.exceptions.CodeSigningConfigNotFoundException):
        deploy(HANDLER, CodeSigningConfigArn=arn[:-3] + "zzz")
    with pytest.raises(lambda_client.exceptions.ResourceConflictException):
        lambda_client.delete_code_signing_config(CodeSigningConfigArn=arn)


def test_a_code_signing_config_needs_a_publisher(server):
    unchecked = server.client("lambda", parameter_validation=False)
    with pytest.raises(unchecked.exceptions.ClientError, match="ValidationException"):
        unchecked.create_code_signing_config(AllowedPublishers={"SigningProfileVersionArns": []})


def test_invoke_async_queues_an_event(server, lambda_client, deploy):
    name = deploy(HANDLER)
    logs = server.client("logs")

    answer = lambda_client.invoke_async(FunctionName=name, InvokeArgs=io.BytesIO(b'{"n": 7}'))
    server.wait_idle()

    assert answer["Status"] == 202
    messages = [
        e["message"] for e in logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    ]
    assert "event {'n': 7}" in messages
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.invoke_async(FunctionName=name + "-missing", InvokeArgs=b"{}")
    assert json.dumps(answer["ResponseMetadata"])
