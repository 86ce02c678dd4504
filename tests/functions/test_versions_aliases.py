"""Versions and aliases: immutable snapshots of a function, and names that route to them."""

import json
from collections import Counter

import pytest
from botocore.exceptions import ClientError
from tests.conftest import ROLE, invoke_json, make_zip

V1 = "def handler(event, context):\n    return ['v1', context.function_version]\n"
V2 = "def handler(event, context):\n    return ['v2', context.function_version]\n"


def _publish_two(lambda_client, deploy):
    name = deploy(V1)
    first = lambda_client.publish_version(FunctionName=name, Description="first")
    lambda_client.update_function_code(FunctionName=name, ZipFile=make_zip({"app.py": V2}))
    second = lambda_client.publish_version(FunctionName=name)
    return name, first, second


def test_published_versions_keep_their_code(lambda_client, deploy):
    """Each version runs the code it was published with; $LATEST runs the newest."""
    name, first, second = _publish_two(lambda_client, deploy)

    assert first["Version"] == "1"
    assert second["Version"] == "2"
    assert first["FunctionArn"].endswith(f":function:{name}:1")
    assert first["Description"] == "first"
    assert invoke_json(lambda_client, name, Qualifier="1")[1] == ["v1", "1"]
    assert invoke_json(lambda_client, name, Qualifier="2")[1] == ["v2", "2"]
    response, body = invoke_json(lambda_client, name)
    assert body == ["v2", "$LATEST"]
    assert response["ExecutedVersion"] == "$LATEST"
    assert invoke_json(lambda_client, f"{name}:1")[0]["ExecutedVersion"] == "1"


def test_publishing_unchanged_code_returns_the_same_version(lambda_client, deploy):
    """PublishVersion twice without a change gives the existing version, not a new one."""
    name = deploy(V1)

    first = lambda_client.publish_version(FunctionName=name)
    again = lambda_client.publish_version(FunctionName=name)
    listed = lambda_client.list_versions_by_function(FunctionName=name)["Versions"]

    assert again["Version"] == first["Version"] == "1"
    assert [v["Version"] for v in listed] == ["$LATEST", "1"]


def test_publish_checks_code_sha256_and_revision(lambda_client, deploy):
    """A CodeSha256 or RevisionId that does not match $LATEST is refused."""
    name = deploy(V1)

    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.publish_version(FunctionName=name, CodeSha256="bogus")
    with pytest.raises(ClientError) as excinfo:
        lambda_client.publish_version(FunctionName=name, RevisionId="stale")
    assert excinfo.value.response["Error"]["Code"] == "PreconditionFailedException"


def test_create_and_update_with_publish(lambda_client, deploy):
    """Publish=True on CreateFunction and UpdateFunctionCode publishes a version."""
    name = deploy(V1, Publish=True)

    updated = lambda_client.update_function_code(
        FunctionName=name, ZipFile=make_zip({"app.py": V2}), Publish=True
    )

    assert updated["Version"] == "2"
    assert invoke_json(lambda_client, name, Qualifier="1")[1] == ["v1", "1"]


def test_versions_are_immutable_and_deletable(lambda_client, deploy):
    """Versions cannot be updated; deleting one leaves the others; numbers are not reused."""
    name, _, _ = _publish_two(lambda_client, deploy)

    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.update_function_configuration(FunctionName=f"{name}:1", Timeout=9)
    lambda_client.delete_function(FunctionName=name, Qualifier="2")
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.invoke(FunctionName=name, Qualifier="2")
    lambda_client.update_function_configuration(FunctionName=name, Timeout=9)
    third = lambda_client.publish_version(FunctionName=name)

    assert third["Version"] == "3"
    assert invoke_json(lambda_client, name, Qualifier="1")[1] == ["v1", "1"]
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.delete_function(FunctionName=name, Qualifier="$LATEST")


def test_alias_routes_to_its_version(lambda_client, deploy):
    """Invoking an alias runs its version; GetFunction via the alias shows that version."""
    name, _, _ = _publish_two(lambda_client, deploy)

    alias = lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    response, body = invoke_json(lambda_client, name, Qualifier="live")
    arn_body = invoke_json(lambda_client, f"{name}:live")[1]
    config = lambda_client.get_function_configuration(FunctionName=name, Qualifier="live")
    lambda_client.update_alias(FunctionName=name, Name="live", FunctionVersion="2")
    after = invoke_json(lambda_client, name, Qualifier="live")[1]

    assert alias["AliasArn"].endswith(f":function:{name}:live")
    assert alias["RevisionId"]
    assert body == arn_body == ["v1", "1"]
    assert response["ExecutedVersion"] == "1"
    assert config["Version"] == "1"
    assert after == ["v2", "2"]


def test_invoked_arn_names_the_alias(lambda_client, deploy):
    """context.invoked_function_arn is the ARN the caller used, alias included."""
    name = deploy("def handler(e, c):\n    return c.invoked_function_arn\n", Publish=True)
    lambda_client.create_alias(FunctionName=name, Name="prod", FunctionVersion="1")

    _, arn = invoke_json(lambda_client, name, Qualifier="prod")

    assert arn.endswith(f":function:{name}:prod")


def test_weighted_alias_splits_traffic(lambda_client, deploy):
    """AdditionalVersionWeights sends about that share of invocations to the second version."""
    name, _, _ = _publish_two(lambda_client, deploy)
    lambda_client.create_alias(
        FunctionName=name,
        Name="canary",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.3}},
    )

    executed = Counter(
        lambda_client.invoke(FunctionName=name, Qualifier="canary")["ExecutedVersion"]
        for _ in range(200)
    )

    assert set(executed) == {"1", "2"}
    assert 30 <= executed["2"] <= 90  # 60 expected; far outside means the weight is ignored


def test_alias_errors_match_aws(server, deploy):
    """Bad alias requests get AWS's error types."""
    lambda_client = server.client("lambda", parameter_validation=False)
    name, _, _ = _publish_two(lambda_client, deploy)
    lambda_client.create_alias(FunctionName=name, Name="a", FunctionVersion="1")

    def code(**kwargs):
        with pytest.raises(ClientError) as excinfo:
            lambda_client.create_alias(FunctionName=name, **kwargs)
        return excinfo.value.response["Error"]["Code"]

    assert code(Name="a", FunctionVersion="1") == "ResourceConflictException"
    assert code(Name="b", FunctionVersion="9") == "ResourceNotFoundException"
    assert code(Name="123", FunctionVersion="1") == "ValidationException"
    weights = {"AdditionalVersionWeights": {"2": 1.5}}
    assert code(Name="c", FunctionVersion="1", RoutingConfig=weights) == "ValidationException"
    two = {"AdditionalVersionWeights": {"2": 0.1, "3": 0.1}}
    assert code(Name="d", FunctionVersion="1", RoutingConfig=two) == (
        "InvalidParameterValueException"
    )
    latest = {"AdditionalVersionWeights": {"2": 0.1}}
    assert code(Name="e", FunctionVersion="$LATEST", RoutingConfig=latest) == (
        "InvalidParameterValueException"
    )
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_alias(FunctionName=name, Name="missing")
    with pytest.raises(lambda_client.exceptions.ResourceConflictException):
        lambda_client.delete_function(FunctionName=name, Qualifier="1")  # alias "a" uses it


def test_list_and_delete_aliases(lambda_client, deploy):
    """ListAliases (optionally by version) and DeleteAlias."""
    name, _, _ = _publish_two(lambda_client, deploy)
    lambda_client.create_alias(FunctionName=name, Name="one", FunctionVersion="1")
    lambda_client.create_alias(FunctionName=name, Name="two", FunctionVersion="2")

    everything = lambda_client.list_aliases(FunctionName=name)["Aliases"]
    of_two = lambda_client.list_aliases(FunctionName=name, FunctionVersion="2")["Aliases"]
    lambda_client.delete_alias(FunctionName=name, Name="one")
    remaining = lambda_client.list_aliases(FunctionName=name)["Aliases"]

    assert [a["Name"] for a in everything] == ["one", "two"]
    assert [a["Name"] for a in of_two] == ["two"]
    assert [a["Name"] for a in remaining] == ["two"]
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.invoke(FunctionName=name, Qualifier="one", Payload=json.dumps({}))


def test_list_functions_with_all_versions(lambda_client, deploy):
    """ListFunctions(FunctionVersion=ALL) includes published versions."""
    name = deploy(V1, Publish=True)

    everything = [
        (f["FunctionName"], f["Version"])
        for page in lambda_client.get_paginator("list_functions").paginate(FunctionVersion="ALL")
        for f in page["Functions"]
    ]
    latest_only = [f["FunctionName"] for f in lambda_client.list_functions()["Functions"]]

    assert (name, "$LATEST") in everything
    assert (name, "1") in everything
    assert latest_only.count(name) == 1


def test_snapstart_needs_a_python_runtime(lambda_client):
    """SnapStart on a custom runtime is refused, as on AWS."""
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.create_function(
            FunctionName="snap-custom",
            Runtime="provided.al2023",
            Role=ROLE,
            Handler="x",
            Code={"ZipFile": make_zip({"bootstrap": "#!/bin/sh\n"})},
            SnapStart={"ApplyOn": "PublishedVersions"},
        )
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_function(FunctionName="snap-custom")
