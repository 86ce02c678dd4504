"""SSM Parameter Store over JSON 1.1, with boto3's `ssm` client against the real server."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from stratus.testing import RunningServer


@pytest.fixture(scope="module")
def ssm(server: RunningServer) -> Any:
    return server.client("ssm")


@pytest.fixture
def root() -> str:
    return f"/t{uuid.uuid4().hex[:8]}"


def code(refused: pytest.ExceptionInfo[ClientError]) -> str:
    return str(refused.value.response["Error"]["Code"])


def test_put_get_and_versions(ssm: Any, root: str) -> None:
    first = ssm.put_parameter(Name=f"{root}/db/host", Value="a.local", Type="String")
    assert first == {
        "Version": 1,
        "Tier": "Standard",
        "ResponseMetadata": first["ResponseMetadata"],
    }

    with pytest.raises(ClientError) as exists:
        ssm.put_parameter(Name=f"{root}/db/host", Value="b.local", Type="String")
    assert code(exists) == "ParameterAlreadyExists"
    second = ssm.put_parameter(Name=f"{root}/db/host", Value="b.local", Overwrite=True)

    got = ssm.get_parameter(Name=f"{root}/db/host")["Parameter"]
    assert second["Version"] == 2
    assert (got["Name"], got["Type"], got["Value"], got["Version"]) == (
        f"{root}/db/host", "String", "b.local", 2
    )  # fmt: skip
    assert got["ARN"] == f"arn:aws:ssm:us-east-1:000000000000:parameter{root}/db/host"
    assert got["DataType"] == "text"
    old = ssm.get_parameter(Name=f"{root}/db/host:1")["Parameter"]
    assert (old["Value"], old["Selector"]) == ("a.local", ":1")
    with pytest.raises(ClientError) as no_version:
        ssm.get_parameter(Name=f"{root}/db/host:7")
    assert code(no_version) == "ParameterVersionNotFound"


def test_secure_string_is_encrypted_at_rest(server: RunningServer, ssm: Any, root: str) -> None:
    ssm.put_parameter(Name=f"{root}/secret", Value="hunter2-very-secret", Type="SecureString")

    hidden = ssm.get_parameter(Name=f"{root}/secret")["Parameter"]
    shown = ssm.get_parameter(Name=f"{root}/secret", WithDecryption=True)["Parameter"]

    assert hidden["Type"] == "SecureString"
    assert hidden["Value"] != "hunter2-very-secret"
    assert shown["Value"] == "hunter2-very-secret"
    with sqlite3.connect(server.settings.data_dir / "stratus.db") as db:
        stored = [r[0] for r in db.execute("SELECT record FROM ssm_parameter_versions")]
    assert stored
    assert not any("hunter2" in record for record in stored)
    described = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": [f"{root}/secret"]}]
    )["Parameters"]
    assert described[0]["KeyId"] == "alias/aws/ssm"


def test_get_parameters_names_the_missing(ssm: Any, root: str) -> None:
    ssm.put_parameter(Name=f"{root}/a", Value="1,2,3", Type="StringList")

    found = ssm.get_parameters(Names=[f"{root}/a", f"{root}/missing"])

    assert [(p["Name"], p["Value"], p["Type"]) for p in found["Parameters"]] == [
        (f"{root}/a", "1,2,3", "StringList")
    ]
    assert found["InvalidParameters"] == [f"{root}/missing"]


def test_get_parameters_by_path_one_level_recursive_and_paged(ssm: Any, root: str) -> None:
    for name in ("x", "y", "sub/z", "sub/deeper/w"):
        ssm.put_parameter(Name=f"{root}/app/{name}", Value=name, Type="String")
    for i in range(12):
        ssm.put_parameter(Name=f"{root}/many/p{i:02}", Value=str(i), Type="String")

    one = ssm.get_parameters_by_path(Path=f"{root}/app")["Parameters"]
    every = ssm.get_parameters_by_path(Path=f"{root}/app/", Recursive=True)["Parameters"]
    pages = list(ssm.get_paginator("get_parameters_by_path").paginate(Path=f"{root}/many"))

    assert sorted(p["Value"] for p in one) == ["x", "y"]
    assert sorted(p["Value"] for p in every) == ["sub/deeper/w", "sub/z", "x", "y"]
    assert [len(p["Parameters"]) for p in pages] == [10, 2]
    with pytest.raises(ClientError) as relative:
        ssm.get_parameters_by_path(Path="app")
    assert code(relative) == "ValidationException"


def test_delete_and_describe(ssm: Any, root: str) -> None:
    for name in ("a", "b", "c"):
        ssm.put_parameter(Name=f"{root}/d/{name}", Value=name, Type="String", Description=name)

    ssm.delete_parameter(Name=f"{root}/d/a")
    both = ssm.delete_parameters(Names=[f"{root}/d/b", f"{root}/d/nope"])
    left = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [f"{root}/d"]}]
    )["Parameters"]

    assert both["DeletedParameters"] == [f"{root}/d/b"]
    assert both["InvalidParameters"] == [f"{root}/d/nope"]
    assert [(p["Name"], p["Description"], p["Version"]) for p in left] == [(f"{root}/d/c", "c", 1)]
    with pytest.raises(ClientError) as gone:
        ssm.delete_parameter(Name=f"{root}/d/a")
    assert code(gone) == "ParameterNotFound"
    with pytest.raises(ClientError) as missing:
        ssm.get_parameter(Name=f"{root}/d/a")
    assert code(missing) == "ParameterNotFound"


def test_labels_and_history(ssm: Any, root: str) -> None:
    name = f"{root}/labelled"
    ssm.put_parameter(Name=name, Value="v1", Type="String")
    ssm.put_parameter(Name=name, Value="v2", Overwrite=True)

    labelled = ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["prod", "1bad"])
    history = ssm.get_parameter_history(Name=name)["Parameters"]

    assert labelled["ParameterVersion"] == 1
    assert labelled["InvalidLabels"] == ["1bad"]
    assert ssm.get_parameter(Name=f"{name}:prod")["Parameter"]["Value"] == "v1"
    assert [(h["Version"], h["Value"], h["Labels"]) for h in history] == [
        (1, "v1", ["prod"]), (2, "v2", [])
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("request_", "wanted"),
    [
        ({"Name": "awsthing", "Value": "x", "Type": "String"}, "ValidationException"),
        ({"Name": "a/b", "Value": "x", "Type": "String"}, "ValidationException"),
        ({"Name": "/new-without-type", "Value": "x"}, "ValidationException"),
        ({"Name": "/long", "Value": "x" * 4097, "Type": "String"}, "ValidationException"),
        (
            {"Name": "/pattern", "Value": "abc", "Type": "String", "AllowedPattern": "^[0-9]+$"},
            "ParameterPatternMismatchException",
        ),
        ({"Name": "/" + "/".join("l" * 16), "Value": "x", "Type": "String"},
         "HierarchyLevelLimitExceededException"),
    ],
)  # fmt: skip
def test_bad_puts_are_refused_by_aws_code(ssm: Any, request_: dict[str, Any], wanted: str) -> None:
    with pytest.raises(ClientError) as refused:
        ssm.put_parameter(**request_)
    assert code(refused) == wanted
