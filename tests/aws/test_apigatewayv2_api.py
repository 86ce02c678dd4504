"""The apigatewayv2 adapter on the protocol layer: what the model refuses, how API Gateway
words it, and the operations Stratus does not have yet."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def apigw(server: Any) -> Any:
    return server.client("apigatewayv2")


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = caught.value.response
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    return response["Error"]["Code"], status, response["Error"]["Message"]


def test_model_refusals_are_bad_requests_in_aws_words(apigw):
    """A member the model refuses is BadRequestException (not rest-json's
    ValidationException), with the model's message naming the member by its jsonName."""
    with pytest.raises(ClientError) as caught:
        apigw.create_api(Name="a", ProtocolType="SOAP")

    assert error_of(caught) == (
        "BadRequestException",
        400,
        "1 validation error detected: Value 'SOAP' at 'protocolType' failed to satisfy "
        "constraint: Member must satisfy enum value set: [WEBSOCKET, HTTP]",
    )


def test_unreadable_json_is_a_bad_request(server):
    """A body that is not JSON is BadRequestException, as API Gateway says it."""
    answer = httpx.post(f"{server.endpoint_url}/v2/apis", content=b"{not json")

    assert answer.status_code == 400
    assert answer.headers["x-amzn-ErrorType"] == "BadRequestException"
    assert "Could not parse request body into json" in answer.json()["message"]


def test_operations_without_a_handler_say_so(apigw):
    """An operation of the model Stratus lacks answers UnknownOperationException 404."""
    with pytest.raises(ClientError) as caught:
        apigw.list_portals()

    code, status, message = error_of(caught)
    assert (code, status) == ("UnknownOperationException", 404)
    assert message.endswith("ListPortals yet.")


def test_members_round_trip_under_their_json_names(apigw):
    """Create answers 201 with every member back under botocore's names; nested shapes
    (CorsConfiguration) too; a deleted API is NotFoundException."""
    cors = {"AllowOrigins": ["https://example.com"], "MaxAge": 60}
    created = apigw.create_api(
        Name="round-trip", ProtocolType="HTTP", CorsConfiguration=cors, Tags={"team": "a"}
    )
    api_id = created["ApiId"]
    got = apigw.get_api(ApiId=api_id)
    apigw.delete_api(ApiId=api_id)
    with pytest.raises(apigw.exceptions.NotFoundException):
        apigw.get_api(ApiId=api_id)

    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert got["CorsConfiguration"] == cors
    assert got["Tags"] == {"team": "a"}
    assert got["CreatedDate"] == created["CreatedDate"]
    assert got["ApiEndpoint"].startswith("http")


def test_query_flags_are_typed_by_the_model(server):
    """ImportApi's failOnWarnings is a boolean: any other text is a bad request, in the
    model's words."""
    answer = httpx.put(f"{server.endpoint_url}/v2/apis?failOnWarnings=maybe", json={"body": "{}"})

    assert answer.status_code == 400
    assert answer.headers["x-amzn-ErrorType"] == "BadRequestException"
    assert answer.json()["message"] == (
        "1 validation error detected: Value 'maybe' at 'failOnWarnings' failed to satisfy "
        "constraint: Member must be true or false"
    )


def test_export_says_which_format_it_answers(apigw):
    """ExportApi's document is typed by OutputType: YAML or JSON."""
    api_id = apigw.create_api(Name="exported", ProtocolType="HTTP")["ApiId"]

    as_yaml = apigw.export_api(ApiId=api_id, Specification="OAS30", OutputType="YAML")
    as_json = apigw.export_api(ApiId=api_id, Specification="OAS30", OutputType="JSON")
    apigw.delete_api(ApiId=api_id)

    yaml_type = as_yaml["ResponseMetadata"]["HTTPHeaders"]["content-type"]
    assert yaml_type.startswith("application/yaml")
    assert as_json["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/json"
    assert as_yaml["body"].read().startswith(b"openapi:")


def test_update_integration_changes_what_is_given_and_checks_it(apigw):
    api_id = apigw.create_api(Name="updated", ProtocolType="HTTP")["ApiId"]
    made = apigw.create_integration(
        ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="GET",
        IntegrationUri="http://127.0.0.1:9/a", PayloadFormatVersion="1.0",
    )  # fmt: skip
    try:
        updated = apigw.update_integration(
            ApiId=api_id, IntegrationId=made["IntegrationId"],
            IntegrationUri="http://127.0.0.1:9/b", TimeoutInMillis=5000,
        )  # fmt: skip
        with pytest.raises(ClientError) as caught:
            apigw.update_integration(
                ApiId=api_id, IntegrationId=made["IntegrationId"], IntegrationUri="not a url"
            )
        kept = apigw.get_integration(ApiId=api_id, IntegrationId=made["IntegrationId"])
    finally:
        apigw.delete_api(ApiId=api_id)

    assert (updated["IntegrationUri"], updated["TimeoutInMillis"]) == ("http://127.0.0.1:9/b", 5000)
    assert updated["IntegrationMethod"] == "GET"
    assert error_of(caught)[0] == "BadRequestException"
    assert kept["IntegrationUri"] == "http://127.0.0.1:9/b"


def test_tags_on_apis_and_stages(server, apigw):
    api_id = apigw.create_api(Name="tagged", ProtocolType="HTTP", Tags={"team": "a"})["ApiId"]
    apigw.create_stage(ApiId=api_id, StageName="dev")
    region = server.settings.region
    api_arn = f"arn:aws:apigateway:{region}::/apis/{api_id}"
    stage_arn = f"{api_arn}/stages/dev"
    try:
        for arn in (api_arn, stage_arn):
            apigw.tag_resource(ResourceArn=arn, Tags={"env": "test", "gone": "x"})
            apigw.untag_resource(ResourceArn=arn, TagKeys=["gone"])
        found = [apigw.get_tags(ResourceArn=arn)["Tags"] for arn in (api_arn, stage_arn)]
        with pytest.raises(ClientError) as caught:
            apigw.tag_resource(ResourceArn=api_arn, Tags={"aws:x": "y"})
        shown = apigw.get_api(ApiId=api_id)["Tags"]
    finally:
        apigw.delete_api(ApiId=api_id)

    assert found == [{"team": "a", "env": "test"}, {"env": "test"}]
    assert shown == {"team": "a", "env": "test"}
    assert error_of(caught)[0] == "BadRequestException"
