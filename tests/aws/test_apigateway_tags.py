"""Tags on REST API resources by ARN (TagResource / UntagResource / GetTags), over boto3."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def apigw(server: Any) -> Any:
    return server.client("apigateway")


def _arn(server: Any, path: str) -> str:
    return f"arn:aws:apigateway:{server.settings.region}::{path}"


def test_tags_on_apis_stages_keys_and_plans(server, apigw):
    api = apigw.create_rest_api(name="tagged", tags={"team": "a"})
    root = apigw.get_resources(restApiId=api["id"])["items"][0]["id"]
    apigw.put_method(
        restApiId=api["id"], resourceId=root, httpMethod="GET", authorizationType="NONE"
    )
    apigw.put_integration(restApiId=api["id"], resourceId=root, httpMethod="GET", type="MOCK")
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    key = apigw.create_api_key(name="tagged-key")
    plan = apigw.create_usage_plan(name="tagged-plan")
    arns = [
        _arn(server, f"/restapis/{api['id']}"),
        _arn(server, f"/restapis/{api['id']}/stages/prod"),
        _arn(server, f"/apikeys/{key['id']}"),
        _arn(server, f"/usageplans/{plan['id']}"),
    ]
    try:
        for arn in arns:
            apigw.tag_resource(resourceArn=arn, tags={"env": "test", "gone": "x"})
            apigw.untag_resource(resourceArn=arn, tagKeys=["gone"])

        found = [apigw.get_tags(resourceArn=arn)["tags"] for arn in arns]
        shown = apigw.get_rest_api(restApiId=api["id"])["tags"]
    finally:
        apigw.delete_rest_api(restApiId=api["id"])
        apigw.delete_api_key(apiKey=key["id"])
        apigw.delete_usage_plan(usagePlanId=plan["id"])

    assert found[0] == {"team": "a", "env": "test"}
    assert found[1:] == [{"env": "test"}] * 3
    assert shown == {"team": "a", "env": "test"}


@pytest.mark.parametrize(
    ("path", "tags", "code"),
    [
        ("/restapis/nosuchapi", {"a": "b"}, "NotFoundException"),
        ("/things/1", {"a": "b"}, "NotFoundException"),
        (None, {"aws:reserved": "x"}, "BadRequestException"),
        (None, {f"k{i}": "v" for i in range(51)}, "BadRequestException"),
    ],
)
def test_bad_tags_are_refused(server, apigw, path, tags, code):
    api = apigw.create_rest_api(name="tag-errors")
    try:
        arn = _arn(server, path or f"/restapis/{api['id']}")
        with pytest.raises(ClientError) as caught:
            apigw.tag_resource(resourceArn=arn, tags=tags)
    finally:
        apigw.delete_rest_api(restApiId=api["id"])
    assert caught.value.response["Error"]["Code"] == code
