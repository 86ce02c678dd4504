"""Documentation parts and versions, the account, client certificates, VPC links, model
templates and SDK types through boto3's `apigateway` client, against a real server."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509


@pytest.fixture(scope="module")
def apigw(server: Any) -> Any:
    return server.client("apigateway")


@pytest.fixture
def api_id(apigw: Any) -> Iterator[str]:
    made = apigw.create_rest_api(name="documented")
    yield made["id"]
    with contextlib.suppress(apigw.exceptions.NotFoundException):
        apigw.delete_rest_api(restApiId=made["id"])


def _code(caught: pytest.ExceptionInfo[ClientError]) -> str:
    return str(caught.value.response["Error"]["Code"])


def _deployed(apigw: Any, api_id: str) -> None:
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(
        restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )  # fmt: skip
    apigw.create_deployment(restApiId=api_id, stageName="prod")


def test_documentation_parts_round_trip_with_aws_location_rules(apigw, api_id):
    made = apigw.create_documentation_part(
        restApiId=api_id, location={"type": "METHOD", "path": "/pets"},
        properties=json.dumps({"summary": "List pets"}),
    )  # fmt: skip
    api_part = apigw.create_documentation_part(
        restApiId=api_id, location={"type": "API"}, properties='{"description": "Pets"}'
    )

    assert made["location"] == {"type": "METHOD", "path": "/pets", "method": "*"}
    with pytest.raises(ClientError) as twice:
        apigw.create_documentation_part(
            restApiId=api_id, location={"type": "METHOD", "path": "/pets", "method": "*"},
            properties="{}",
        )  # fmt: skip
    assert _code(twice) == "ConflictException"
    with pytest.raises(ClientError) as nameless:
        apigw.create_documentation_part(
            restApiId=api_id, location={"type": "QUERY_PARAMETER", "path": "/pets"},
            properties="{}",
        )  # fmt: skip
    assert _code(nameless) == "BadRequestException"
    with pytest.raises(ClientError) as not_json:
        apigw.create_documentation_part(
            restApiId=api_id, location={"type": "RESOURCE", "path": "/x"}, properties="nope"
        )
    assert _code(not_json) == "BadRequestException"

    updated = apigw.update_documentation_part(
        restApiId=api_id, documentationPartId=made["id"],
        patchOperations=[{"op": "replace", "path": "/properties", "value": '{"summary": "All"}'}],
    )  # fmt: skip
    assert json.loads(updated["properties"]) == {"summary": "All"}
    methods = apigw.get_documentation_parts(restApiId=api_id, type="METHOD")["items"]
    assert [p["id"] for p in methods] == [made["id"]]
    assert (
        apigw.get_documentation_parts(restApiId=api_id, locationStatus="UNDOCUMENTED")["items"]
        == []
    )
    apigw.delete_documentation_part(restApiId=api_id, documentationPartId=api_part["id"])
    with pytest.raises(ClientError) as gone:
        apigw.get_documentation_part(restApiId=api_id, documentationPartId=api_part["id"])
    assert _code(gone) == "NotFoundException"


def test_import_versions_and_export_carry_the_documentation(apigw, api_id):
    document = {
        "swagger": "2.0", "info": {"title": "x", "version": "1"}, "paths": {},
        "x-amazon-apigateway-documentation": {"version": "1", "documentationParts": [
            {"location": {"type": "API"}, "properties": {"description": "Pet store"}},
            {"location": {"type": "MODEL", "name": "Pet"}, "properties": {"title": "A pet"}},
            {"location": {"type": "BOGUS"}, "properties": {}},
        ]},
    }  # fmt: skip
    imported = apigw.import_documentation_parts(
        restApiId=api_id, mode="overwrite", body=json.dumps(document).encode()
    )
    assert len(imported["ids"]) == 2
    assert len(imported["warnings"]) == 1
    with pytest.raises(ClientError) as strict:
        apigw.import_documentation_parts(
            restApiId=api_id, failOnWarnings=True, body=json.dumps(document).encode()
        )
    assert _code(strict) == "BadRequestException"

    _deployed(apigw, api_id)
    version = apigw.create_documentation_version(
        restApiId=api_id, documentationVersion="1.0", stageName="prod", description="first"
    )
    # A later part is not in version 1.0's snapshot.
    apigw.create_documentation_part(
        restApiId=api_id, location={"type": "RESOURCE", "path": "/"}, properties="{}"
    )

    assert version["version"] == "1.0"
    assert apigw.get_stage(restApiId=api_id, stageName="prod")["documentationVersion"] == "1.0"
    exported = json.loads(
        apigw.get_export(
            restApiId=api_id, stageName="prod", exportType="swagger",
            parameters={"extensions": "documentation"},
        )["body"].read()
    )  # fmt: skip
    section = exported["x-amazon-apigateway-documentation"]
    assert section["version"] == "1.0"
    assert sorted(p["location"]["type"] for p in section["documentationParts"]) == ["API", "MODEL"]
    updated = apigw.update_documentation_version(
        restApiId=api_id, documentationVersion="1.0",
        patchOperations=[{"op": "replace", "path": "/description", "value": "renamed"}],
    )  # fmt: skip
    assert updated["description"] == "renamed"
    assert [v["version"] for v in apigw.get_documentation_versions(restApiId=api_id)["items"]] == [
        "1.0"
    ]
    apigw.delete_documentation_version(restApiId=api_id, documentationVersion="1.0")
    with pytest.raises(ClientError) as gone:
        apigw.get_documentation_version(restApiId=api_id, documentationVersion="1.0")
    assert _code(gone) == "NotFoundException"


def test_the_account_answers_aws_defaults_and_keeps_the_role(apigw):
    found = apigw.get_account()
    assert found["throttleSettings"] == {"burstLimit": 5000, "rateLimit": 10000.0}
    assert "UsagePlans" in found["features"]

    role = "arn:aws:iam::000000000000:role/apigw-logs"
    apigw.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn",
                                           "value": role}])  # fmt: skip
    assert apigw.get_account()["cloudwatchRoleArn"] == role
    with pytest.raises(ClientError) as bad:
        apigw.update_account(patchOperations=[{"op": "replace", "path": "/apiKeyVersion",
                                               "value": "3"}])  # fmt: skip
    assert _code(bad) == "BadRequestException"


def test_client_certificates_are_real_and_a_stage_names_one(apigw, api_id):
    made = apigw.generate_client_certificate(description="backend", tags={"team": "a"})
    try:
        certificate = x509.load_pem_x509_certificate(made["pemEncodedCertificate"].encode())
        lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
        assert lifetime.days == 365
        assert made["expirationDate"] > made["createdDate"]
        assert (
            apigw.get_client_certificate(clientCertificateId=made["clientCertificateId"])[
                "pemEncodedCertificate"
            ]
            == made["pemEncodedCertificate"]
        )
        listed = apigw.get_client_certificates()["items"]
        assert made["clientCertificateId"] in [c["clientCertificateId"] for c in listed]

        _deployed(apigw, api_id)
        stage = apigw.update_stage(
            restApiId=api_id, stageName="prod",
            patchOperations=[{"op": "replace", "path": "/clientCertificateId",
                              "value": made["clientCertificateId"]}],
        )  # fmt: skip
        assert stage["clientCertificateId"] == made["clientCertificateId"]
        with pytest.raises(ClientError) as unknown:
            apigw.update_stage(
                restApiId=api_id, stageName="prod",
                patchOperations=[{"op": "replace", "path": "/clientCertificateId",
                                  "value": "nosuch"}],
            )  # fmt: skip
        assert _code(unknown) == "NotFoundException"
        arn = f"arn:aws:apigateway:us-east-1::/clientcertificates/{made['clientCertificateId']}"
        apigw.tag_resource(resourceArn=arn, tags={"env": "dev"})
        assert apigw.get_tags(resourceArn=arn)["tags"] == {"team": "a", "env": "dev"}
        renamed = apigw.update_client_certificate(
            clientCertificateId=made["clientCertificateId"],
            patchOperations=[{"op": "replace", "path": "/description", "value": "new"}],
        )  # fmt: skip
        assert renamed["description"] == "new"
    finally:
        apigw.delete_client_certificate(clientCertificateId=made["clientCertificateId"])
    with pytest.raises(ClientError) as gone:
        apigw.get_client_certificate(clientCertificateId=made["clientCertificateId"])
    assert _code(gone) == "NotFoundException"


def test_vpc_links_are_pending_then_available(apigw):
    made = apigw.create_vpc_link(name="nlb", targetArns=["arn:aws:elasticloadbalancing:x"])
    try:
        assert made["status"] == "PENDING"
        assert apigw.get_vpc_link(vpcLinkId=made["id"])["status"] == "AVAILABLE"
        assert made["id"] in [v["id"] for v in apigw.get_vpc_links()["items"]]
        renamed = apigw.update_vpc_link(
            vpcLinkId=made["id"], patchOperations=[{"op": "replace", "path": "/name", "value": "b"}]
        )
        assert renamed["name"] == "b"
        with pytest.raises(ClientError) as two:
            apigw.create_vpc_link(name="two", targetArns=["arn:a", "arn:b"])
        assert _code(two) == "BadRequestException"
    finally:
        apigw.delete_vpc_link(vpcLinkId=made["id"])
    with pytest.raises(ClientError) as gone:
        apigw.get_vpc_link(vpcLinkId=made["id"])
    assert _code(gone) == "NotFoundException"


def test_model_template_copies_each_property(apigw, api_id):
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"}, "age": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
    }  # fmt: skip
    apigw.create_model(restApiId=api_id, name="Pet", contentType="application/json",
                       schema=json.dumps(schema))  # fmt: skip

    template = apigw.get_model_template(restApiId=api_id, modelName="Pet")["value"]

    assert template.startswith("#set($inputRoot = $input.path('$'))")
    assert '"name" : "$inputRoot.name"' in template
    assert '"age" : $inputRoot.age' in template
    assert "#foreach($elem in $inputRoot.tags)" in template
    with pytest.raises(ClientError) as missing:
        apigw.get_model_template(restApiId=api_id, modelName="Nope")
    assert _code(missing) == "NotFoundException"


def test_sdk_types_are_aws_list(apigw):
    ids = [t["id"] for t in apigw.get_sdk_types()["items"]]
    assert {"javascript", "java", "android", "objectivec", "swift", "ruby"} <= set(ids)
    assert apigw.get_sdk_type(id="javascript")["friendlyName"] == "JavaScript"
    with pytest.raises(ClientError) as unknown:
        apigw.get_sdk_type(id="cobol")
    assert _code(unknown) == "NotFoundException"
    with pytest.raises(ClientError) as no_api:
        apigw.get_sdk(restApiId="abc", stageName="prod", sdkType="javascript")
    assert _code(no_api) == "NotFoundException"


def test_an_imported_definition_brings_its_documentation(apigw):
    """ImportRestApi reads x-amazon-apigateway-documentation too, as GetExport writes it."""
    document = {
        "swagger": "2.0", "info": {"title": "documented-import", "version": "1"},
        "paths": {"/pets": {"get": {"responses": {"200": {"description": "ok"}},
                                    "x-amazon-apigateway-integration": {"type": "mock"}}}},
        "x-amazon-apigateway-documentation": {"version": "1", "documentationParts": [
            {"location": {"type": "RESOURCE", "path": "/pets"},
             "properties": {"description": "The pets"}},
        ]},
    }  # fmt: skip
    made = apigw.import_rest_api(body=json.dumps(document).encode())
    try:
        parts = apigw.get_documentation_parts(restApiId=made["id"])["items"]
        assert [(p["location"], json.loads(p["properties"])) for p in parts] == [
            ({"type": "RESOURCE", "path": "/pets"}, {"description": "The pets"})
        ]
    finally:
        apigw.delete_rest_api(restApiId=made["id"])
