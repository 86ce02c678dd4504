"""Cloud Control's GetResource of AWS::Lambda::Url (boto3 `cloudcontrol` against the real
server): what `sam list endpoints` reads for each function of a stack."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import create_function, unique

HANDLER = "def handler(event, context):\n    return 'ok'\n"


def test_a_function_url_as_cloud_control_describes_it(server: Any, lambda_client: Any) -> None:
    cloudcontrol = server.client("cloudcontrol")
    name = unique("ccurl")
    arn = create_function(lambda_client, name, {"index.py": HANDLER})["FunctionArn"]
    with pytest.raises(ClientError) as none_yet:
        cloudcontrol.get_resource(TypeName="AWS::Lambda::Url", Identifier=arn)
    made = lambda_client.create_function_url_config(FunctionName=name, AuthType="NONE")

    found = cloudcontrol.get_resource(TypeName="AWS::Lambda::Url", Identifier=arn)

    assert none_yet.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert found["TypeName"] == "AWS::Lambda::Url"
    assert found["ResourceDescription"]["Identifier"] == arn
    properties = json.loads(found["ResourceDescription"]["Properties"])
    assert properties["FunctionUrl"] == made["FunctionUrl"]
    assert properties["TargetFunctionArn"] == arn
    assert properties["AuthType"] == "NONE"
    assert properties["InvokeMode"] == "BUFFERED"


def test_other_types_are_refused_by_name(server: Any) -> None:
    cloudcontrol = server.client("cloudcontrol")

    with pytest.raises(ClientError) as refused:
        cloudcontrol.get_resource(TypeName="AWS::SQS::Queue", Identifier="q")

    assert refused.value.response["Error"]["Code"] == "UnsupportedActionException"
    assert "AWS::Lambda::Url only" in refused.value.response["Error"]["Message"]
