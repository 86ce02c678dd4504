"""REST APIs' request validation (models as JSON Schema draft 4, required parameters) end to
end, and MOCK integrations as a table."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stratus.apis.rest.model import Integration
from stratus.gateway.rest_integration import Call, answer_mock

ECHO = """
import json

def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
"""
INVALID_BODY = {"message": "Invalid request body"}
MODEL_URL = "https://apigateway.amazonaws.com/restapis/{api}/models/{name}"


@pytest.fixture
def validated(rest_api, deploy, apigateway):
    """An API whose POST /pets takes a Pet (which refers to a Tag model), requires the
    query parameter `mode` and the header `X-Token`, and whose GET /pets checks parameters
    only and needs the query parameters `a` and `b`."""
    api = rest_api()
    apigateway.create_model(
        restApiId=api.id, name="Tag", contentType="application/json",
        schema=json.dumps({"type": "object", "required": ["label"],
                           "properties": {"label": {"type": "string", "maxLength": 5}}}),
    )  # fmt: skip
    tag = MODEL_URL.format(api=api.id, name="Tag")
    apigateway.create_model(
        restApiId=api.id,
        name="Pet",
        contentType="application/json",
        schema=json.dumps({
            "$schema": "http://json-schema.org/draft-04/schema#",
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "age": {"type": "integer", "minimum": 0},
                "tags": {"type": "array", "items": {"$ref": tag}},
            },
        }),
    )  # fmt: skip
    both = apigateway.create_request_validator(
        restApiId=api.id, name="all", validateRequestBody=True, validateRequestParameters=True
    )["id"]
    parameters = apigateway.create_request_validator(
        restApiId=api.id, name="params", validateRequestParameters=True
    )["id"]
    echo = deploy(ECHO)
    api.method(
        "/pets", "POST", echo, requestValidatorId=both, requestModels={"application/json": "Pet"},
        requestParameters={"method.request.querystring.mode": True,
                           "method.request.header.X-Token": True,
                           "method.request.querystring.optional": False},
    )  # fmt: skip
    api.method(
        "/pets", "GET", echo, requestValidatorId=parameters,
        requestParameters={"method.request.querystring.b": True,
                           "method.request.querystring.a": True},
    )  # fmt: skip
    api.deploy("prod")
    return api


def _post(api: Any, body: Any, *, query: str = "?mode=x", **headers: str) -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "X-Token": "t"} | headers
    return api.call("POST", f"/prod/pets{query}", content=content, headers=headers)


@pytest.mark.parametrize(
    "body",
    [
        {"name": "rex"},
        {"name": "rex", "age": 3, "tags": [{"label": "good"}]},
    ],
)
def test_valid_bodies_pass(validated, body):
    response = _post(validated, body)

    assert response.status_code == 200
    assert json.loads(response.json()["body"]) == body


@pytest.mark.parametrize(
    "body",
    [
        {"age": 3},  # name required
        {"name": "rex", "age": -1},
        {"name": 5},
        {"name": "rex", "tags": [{"label": "too long"}]},  # the referred model's rule
        {"name": "rex", "tags": [{}]},
        [1, 2],
        b"{not json",
        b"",  # checked as {}: name is missing
    ],
)
def test_invalid_bodies_are_400(validated, body):
    """A body not valid against the method's model (or not JSON) is 400 Invalid request
    body; the function is not called."""
    response = _post(validated, body)

    assert (response.status_code, response.json()) == (400, INVALID_BODY)
    assert response.headers["x-amzn-errortype"] == "BadRequestException"


def test_missing_parameters_are_400(validated):
    """Required query parameters and headers must be present (names in the order of the
    parameters' keys); optional ones need not be."""
    no_query = _post(validated, {"name": "rex"}, query="")
    no_header = validated.call(
        "POST", "/prod/pets?mode=1", json={"name": "rex"}, headers={"x-token": "t"}
    )
    get_none = validated.call("GET", "/prod/pets")
    get_one = validated.call("GET", "/prod/pets?b=1")
    get_both = validated.call("GET", "/prod/pets?a=&b=1")

    assert no_query.status_code == 400
    assert no_query.json() == {"message": "Missing required request parameters: [mode]"}
    assert no_header.status_code == 200  # header names match in any case
    assert get_none.json() == {"message": "Missing required request parameters: [a, b]"}
    assert get_one.json() == {"message": "Missing required request parameters: [a]"}
    assert get_both.status_code == 200


def test_missing_header_is_named(validated):
    response = validated.call(
        "POST",
        "/prod/pets?mode=1",
        json={"name": "rex"},
        headers={"Content-Type": "application/json"},
    )

    assert response.json() == {"message": "Missing required request parameters: [X-Token]"}


DATE_FORMATS = "[yyyy-MM-dd'T'HH:mm:ssZ, yyyy-MM-dd'T'HH:mm:ss.[0-9]{1,12}Z]"


@pytest.fixture
def reminders(rest_api, apigateway):
    """POST / takes a Reminder (a `date-time` and an `email`), on a MOCK integration; the
    API's BAD_REQUEST_BODY response is `$context.error.validationErrorString` alone."""
    api = rest_api()
    apigateway.create_model(
        restApiId=api.id, name="Reminder", contentType="application/json",
        schema=json.dumps({
            "type": "object", "required": ["datetime", "email"],
            "properties": {"datetime": {"type": "string", "format": "date-time"},
                           "email": {"type": "string", "format": "email"},
                           "host": {"type": "string", "format": "hostname"},
                           "repeat": {"type": "integer", "minimum": 1}},
        }),
    )  # fmt: skip
    validator = apigateway.create_request_validator(
        restApiId=api.id, name="body", validateRequestBody=True
    )["id"]
    mock = {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}}
    resource_id = api.method(
        "/", "POST", requestValidatorId=validator,
        requestModels={"application/json": "Reminder"}, integration=mock,
    )  # fmt: skip
    api.respond(resource_id, "POST", responseTemplates={"application/json": '{"ok": true}'})
    apigateway.put_gateway_response(
        restApiId=api.id, responseType="BAD_REQUEST_BODY", statusCode="422",
        responseTemplates={"application/json": "$context.error.validationErrorString"},
    )  # fmt: skip
    api.deploy("v1")
    return api


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            {"datetime": "2026-01-01T00:00:00Z"},
            '[object has missing required properties (["email"])]',
        ),
        ({}, '[object has missing required properties (["datetime","email"])]'),
        (
            {"datetime": "not-a-date", "email": "nope"},
            f'[string "not-a-date" is invalid against requested date format(s) {DATE_FORMATS}, '
            'string "nope" is not a valid email address]',
        ),
        (
            {"datetime": "2026-02-30T10:00:00Z", "email": "a@b.example", "host": "-x-"},
            f'[string "2026-02-30T10:00:00Z" is invalid against requested date format(s) '
            f'{DATE_FORMATS}, string "-x-" is not a valid hostname]',
        ),
        (
            {"datetime": 5, "email": "a@b.example", "repeat": 0},
            "[instance type (integer) does not match any allowed primitive type "
            '(allowed: ["string"]), numeric instance is lower than the required minimum '
            "(minimum: 1, found: 0)]",
        ),
        (b"{not json", "[Unknown error parsing request body]"),
    ],
)
def test_validation_error_string_says_what_failed(reminders, body, detail):
    """`$context.error.validationErrorString` lists each failure in the words API Gateway's
    validator uses, in brackets; draft 4's formats are checked."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()

    response = reminders.call(
        "POST", "/v1/", content=content, headers={"Content-Type": "application/json"}
    )

    assert (response.status_code, response.text) == (422, detail)


def test_bodies_in_their_formats_pass(reminders):
    """Offsets, fractions of seconds and dotted host names are valid in their formats."""
    body = {"datetime": "2026-01-01T09:30:00.125+01:00", "email": "ada@example.com",
            "host": "api.example.com", "repeat": 2}  # fmt: skip

    response = reminders.call("POST", "/v1/", json=body)

    assert (response.status_code, response.json()) == (200, {"ok": True})


# -- MOCK integrations -------------------------------------------------------------------------

CORS = {
    "200": {
        "statusCode": "200",
        "responseParameters": {
            "method.response.header.Access-Control-Allow-Origin": "'*'",
            "method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS'",
            "method.response.header.X-From-Request": "integration.response.header.x",
        },
        "responseTemplates": {"application/json": "{}\n"},
    },
    "404": {"statusCode": "404", "selectionPattern": "4\\d\\d"},
}


@pytest.mark.parametrize(
    ("template", "status", "headers", "body"),
    [
        (
            '{\n  "statusCode" : 200\n}\n',
            200,
            {
                "Content-Type": "application/json",
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Methods": "GET,OPTIONS",
            },
            b"{}\n",
        ),
        (None, 200, None, b"{}\n"),
        ('{"statusCode": 404}', 404, {"Content-Type": "application/json"}, b""),
        ('#set($x = 4){"statusCode": 40$x}', 404, None, b""),  # Velocity is evaluated
    ],
)
def test_mock_responses(template, status, headers, body):
    integration = Integration.model_validate({
        "type": "MOCK",
        "requestTemplates": {"application/json": template} if template else None,
        "integrationResponses": CORS,
    })  # fmt: skip

    response = answer_mock(Call({}, integration))

    assert (response.status, response.body) == (status, body)
    if headers is not None:
        assert dict(response.headers) == headers


def test_mock_without_a_matching_response_is_500():
    integration = Integration(
        type="MOCK", requestTemplates={"application/json": '{"statusCode": 500}'}
    )

    assert answer_mock(Call({}, integration)).status == 500
