"""Reading OpenAPI 3 / Swagger 2 documents with API Gateway's extensions (apis/rest_openapi.py),
including what the SAM translator makes of an AWS::Serverless::Api."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import boto3
import pytest
import yaml
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from stratus.apis.rest.openapi import read_definition
from stratus.errors import Invalid

LAMBDA = "arn:aws:lambda:us-east-1:000000000000:function:{}"
URI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{}/invocations"


def proxy(function: str = "fn") -> dict[str, Any]:
    return {"type": "aws_proxy", "httpMethod": "POST", "uri": URI.format(LAMBDA.format(function))}


SWAGGER: dict[str, Any] = {
    "swagger": "2.0",
    "info": {"title": "pets", "description": "Pets!", "version": "1.2"},
    "x-amazon-apigateway-binary-media-types": ["image/png"],
    "x-amazon-apigateway-api-key-source": "authorizer",
    "x-amazon-apigateway-request-validators": {
        "all": {"validateRequestBody": True, "validateRequestParameters": True},
        "params": {"validateRequestParameters": True},
    },
    "x-amazon-apigateway-request-validator": "params",
    "securityDefinitions": {
        "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
        "Token": {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": {
                "type": "token",
                "authorizerUri": URI.format(LAMBDA.format("auth")),
                "authorizerResultTtlInSeconds": 60,
                "identityValidationExpression": "^Bearer .+$",
            },
        },
        "Req": {
            "type": "apiKey",
            "name": "Unused",
            "in": "header",
            "x-amazon-apigateway-authorizer": {
                "type": "request",
                "authorizerUri": URI.format(LAMBDA.format("auth")),
                "identitySource": "method.request.header.X-A, method.request.querystring.q",
            },
        },
        "sigv4": {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "awsSigv4",
        },
    },
    "security": [{"Token": []}],
    "definitions": {"Pet": {"type": "object", "properties": {"name": {"type": "string"}}}},
    "paths": {
        "/": {"get": {"x-amazon-apigateway-integration": proxy()}},
        "/pets/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True, "type": "string"}],
            "get": {
                "operationId": "getPet",
                "parameters": [
                    {"name": "verbose", "in": "query", "type": "boolean"},
                    {"name": "X-Trace", "in": "header", "required": True, "type": "string"},
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "headers": {"X-Count": {"type": "integer"}},
                        "schema": {"$ref": "#/definitions/Pet"},
                    },
                    "default": {"description": "error"},
                },
                "security": [{"Req": []}, {"api_key": []}],
                "x-amazon-apigateway-integration": proxy(),
            },
            "put": {
                "consumes": ["application/json", "application/x-pet"],
                "parameters": [
                    {"name": "pet", "in": "body", "schema": {"$ref": "#/definitions/Pet"}}
                ],
                "x-amazon-apigateway-request-validator": "all",
                "security": [],
                "x-amazon-apigateway-integration": proxy(),
            },
            "x-amazon-apigateway-any-method": {
                "security": [{"sigv4": []}],
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "passthroughBehavior": "when_no_templates",
                    "requestTemplates": {"application/json": '{"statusCode": 200}'},
                    "responses": {
                        "default": {
                            "statusCode": "200",
                            "responseTemplates": {"application/json": "{}"},
                        },
                        "4\\d{2}": {"statusCode": "400", "contentHandling": "convert_to_text"},
                    },
                },
            },
        },
    },
}


def operation(doc: Any, path: str, method: str, basepath: str = "ignore") -> Any:
    return read_definition(doc, basepath).paths[path][method]


def test_api_members():
    """info and the API-level extensions set the REST API's members."""
    found = read_definition(SWAGGER)

    assert found.api == {
        "name": "pets",
        "description": "Pets!",
        "version": "1.2",
        "binaryMediaTypes": ["image/png"],
        "apiKeySource": "AUTHORIZER",
    }
    assert found.warnings == []


def test_paths_become_resources_with_methods():
    """Every path is a resource; each operation a method, x-amazon-apigateway-any-method ANY."""
    found = read_definition(SWAGGER)

    assert sorted(found.paths) == ["/", "/pets/{id}"]
    assert sorted(found.paths["/pets/{id}"]) == ["ANY", "GET", "PUT"]


def test_parameters_and_responses():
    """Path-level and operation parameters become requestParameters (path ones required),
    responses become methodResponses with their headers and models."""
    found = operation(SWAGGER, "/pets/{id}", "GET")

    assert found.method["operationName"] == "getPet"
    assert found.method["requestParameters"] == {
        "method.request.path.id": True,
        "method.request.querystring.verbose": False,
        "method.request.header.X-Trace": True,
    }
    assert found.method["methodResponses"] == {
        "200": {
            "statusCode": "200",
            "responseParameters": {"method.response.header.X-Count": False},
            "responseModels": {"application/json": "Pet"},
        }
    }


def test_body_parameter_is_a_request_model_per_media_type():
    """A body parameter's $ref names the model for each media type the operation consumes."""
    found = operation(SWAGGER, "/pets/{id}", "PUT")

    assert found.method["requestModels"] == {"application/json": "Pet", "application/x-pet": "Pet"}
    assert found.validator == "all"


def test_security():
    """security picks the authorizer (CUSTOM), apiKeyRequired, AWS_IAM; [] means none; the
    document's security is the default."""
    get = operation(SWAGGER, "/pets/{id}", "GET")
    put = operation(SWAGGER, "/pets/{id}", "PUT")
    any_ = operation(SWAGGER, "/pets/{id}", "ANY")
    root = operation(SWAGGER, "/", "GET")

    assert (get.method["authorizationType"], get.authorizer, get.method["apiKeyRequired"]) == (
        "CUSTOM",
        "Req",
        True,
    )
    assert (put.method["authorizationType"], put.authorizer) == ("NONE", None)
    assert (any_.method["authorizationType"], any_.authorizer) == ("AWS_IAM", None)
    assert (root.method["authorizationType"], root.authorizer) == ("CUSTOM", "Token")
    assert root.validator == "params"  # the document's default validator


def test_authorizers():
    """x-amazon-apigateway-authorizer schemes become authorizers; a TOKEN one's identity
    source is the scheme's header."""
    found = read_definition(SWAGGER).authorizers

    assert found == {
        "Token": {
            "name": "Token",
            "type": "TOKEN",
            "authorizerUri": URI.format(LAMBDA.format("auth")),
            "authorizerResultTtlInSeconds": 60,
            "identityValidationExpression": "^Bearer .+$",
            "identitySource": "method.request.header.Authorization",
            "authType": "custom",
        },
        "Req": {
            "name": "Req",
            "type": "REQUEST",
            "authorizerUri": URI.format(LAMBDA.format("auth")),
            "identitySource": "method.request.header.X-A, method.request.querystring.q",
        },
    }


def test_integration():
    """x-amazon-apigateway-integration: enums upper-cased, responses keyed by status code with
    their selection pattern ("default" has none)."""
    found = operation(SWAGGER, "/pets/{id}", "ANY").method["methodIntegration"]

    assert found == {
        "type": "MOCK",
        "passthroughBehavior": "WHEN_NO_TEMPLATES",
        "requestTemplates": {"application/json": '{"statusCode": 200}'},
        "integrationResponses": {
            "200": {"statusCode": "200", "responseTemplates": {"application/json": "{}"}},
            "400": {
                "statusCode": "400",
                "selectionPattern": "4\\d{2}",
                "contentHandling": "CONVERT_TO_TEXT",
            },
        },
    }


def test_models_and_validators():
    found = read_definition(SWAGGER)

    assert found.models == {"Pet": SWAGGER["definitions"]["Pet"]}
    assert found.validators["params"] == {
        "name": "params",
        "validateRequestBody": False,
        "validateRequestParameters": True,
    }


def test_openapi_3():
    """OpenAPI 3: components, requestBody content, $ref'd parameters, YAML text."""
    doc = {
        "openapi": "3.0.1",
        "info": {"title": "three"},
        "components": {
            "schemas": {"Pet": {"type": "object"}},
            "parameters": {"Id": {"name": "id", "in": "path", "required": True}},
            "securitySchemes": {"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}},
        },
        "paths": {
            "/pets/{id}": {
                "post": {
                    "parameters": [{"$ref": "#/components/parameters/Id"}],
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}
                        }
                    },
                    "responses": {
                        "201": {
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}
                            }
                        }
                    },
                    "security": [{"api_key": []}],
                    "x-amazon-apigateway-integration": proxy(),
                }
            }
        },
    }

    found = read_definition(yaml.safe_dump(doc))
    post = found.paths["/pets/{id}"]["POST"].method

    assert found.models == {"Pet": {"type": "object"}}
    assert post["requestParameters"] == {"method.request.path.id": True}
    assert post["requestModels"] == {"application/json": "Pet"}
    assert post["methodResponses"]["201"]["responseModels"] == {"application/json": "Pet"}
    assert (post["authorizationType"], post["apiKeyRequired"]) == ("NONE", True)


@pytest.mark.parametrize(
    ("basepath", "path"), [("ignore", "/pets"), ("prepend", "/v1/api/pets"), ("split", "/api/pets")]
)
def test_basepath(basepath, path):
    """basepath=ignore (default), prepend, or split (the first segment is the stage's)."""
    doc = {
        "swagger": "2.0",
        "info": {"title": "t"},
        "basePath": "/v1/api",
        "paths": {"/pets": {"get": {"x-amazon-apigateway-integration": proxy()}}},
    }

    assert list(read_definition(doc, basepath).paths) == [path]


def test_warnings():
    """What Stratus does not keep is a warning, not a silent loss."""
    doc = copy.deepcopy(SWAGGER)
    doc["x-amazon-apigateway-documentation"] = {}
    doc["paths"]["/x"] = {"get": {"security": [{"Missing": []}, {"NONE": []}]}}

    found = read_definition(doc).warnings

    assert found == [
        "paths./x.get: security scheme 'Missing' is not defined; ignored",
        "paths./x.get has no x-amazon-apigateway-integration: it cannot be deployed",
        "x-amazon-apigateway-documentation is not supported by Stratus yet and was ignored",
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[1, 2]", "the document must be a JSON or YAML object"),
        ("a: [b", "neither JSON nor YAML"),
        ({"info": {}}, "give a Swagger 2.0"),
        ({"swagger": "2.0", "paths": {"pets": {}}}, "path 'pets' must start with /"),
        (
            {"swagger": "2.0", "paths": {"/p": {"get": {"x-amazon-apigateway-integration": {}}}}},
            "paths./p.get.x-amazon-apigateway-integration needs a type",
        ),
        ({"swagger": "2.0", "paths": {"/p": {"$ref": "other.yaml#/p"}}}, "cannot follow $ref"),
        ({"swagger": "2.0", "paths": {"/p": {"$ref": "#/nowhere"}}}, "points at nothing"),
        (
            {"swagger": "2.0", "x-amazon-apigateway-request-validator": "v", "paths": {}},
            "names no validator: 'v'",
        ),
        (
            {"swagger": "2.0", "x-amazon-apigateway-api-key-source": "COOKIE", "paths": {}},
            "must be HEADER or AUTHORIZER",
        ),
        ({"swagger": "2.0", "paths": []}, "paths must be an object"),
    ],
)
def test_invalid_documents(body, message):
    """A document that cannot be read is a BadRequestException saying where."""
    with pytest.raises(Invalid) as caught:
        read_definition(body)

    assert caught.value.message.startswith("Invalid OpenAPI input: ")
    assert message in caught.value.message


# -- what the SAM translator emits -------------------------------------------------------------
SAM = {
    "Transform": "AWS::Serverless-2016-10-31",
    "Resources": {
        "Api": {
            "Type": "AWS::Serverless::Api",
            "Properties": {
                "StageName": "prod",
                "Auth": {
                    "DefaultAuthorizer": "TokenAuth",
                    "Authorizers": {
                        "TokenAuth": {
                            "FunctionArn": {"Fn::GetAtt": ["AuthFn", "Arn"]},
                            "Identity": {"Header": "Authorization", "ReauthorizeEvery": 30},
                        }
                    },
                },
            },
        },
        "AuthFn": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Runtime": "python3.11",
                "Handler": "app.handler",
                "CodeUri": "s3://b/k",
            },
        },
        "Fn": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Runtime": "python3.11",
                "Handler": "app.handler",
                "CodeUri": "s3://b/k",
                "Events": {
                    "Get": {
                        "Type": "Api",
                        "Properties": {
                            "RestApiId": {"Ref": "Api"},
                            "Path": "/pets/{id}",
                            "Method": "get",
                        },
                    },
                    "Open": {
                        "Type": "Api",
                        "Properties": {
                            "RestApiId": {"Ref": "Api"},
                            "Path": "/open",
                            "Method": "any",
                            "Auth": {"Authorizer": "NONE", "ApiKeyRequired": True},
                        },
                    },
                    "Implicit": {"Type": "Api", "Properties": {"Path": "/hello", "Method": "post"}},
                },
            },
        },
    },
}


def resolve(value: Any) -> Any:
    """The few intrinsics SAM's API bodies hold, resolved as a stack would (region us-east-1,
    stack "stack", functions by logical id)."""
    if isinstance(value, list):
        return [resolve(v) for v in value]
    if not isinstance(value, dict):
        return value
    if list(value) == ["Ref"]:
        return {"AWS::StackName": "stack", "AWS::Region": "us-east-1"}[value["Ref"]]
    if list(value) == ["Fn::GetAtt"]:
        return LAMBDA.format(value["Fn::GetAtt"][0])
    if list(value) == ["Fn::Sub"]:
        text, names = (
            value["Fn::Sub"] if isinstance(value["Fn::Sub"], list) else (value["Fn::Sub"], {})
        )
        names = {k: resolve(v) for k, v in names.items()} | {"AWS::Region": "us-east-1"}
        return re.sub(
            r"\$\{([^}]+)\}", lambda m: names.get(m[1]) or LAMBDA.format(m[1].split(".")[0]), text
        )
    return {k: resolve(v) for k, v in value.items()}


def sam_bodies(template: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI Body of every AWS::ApiGateway::RestApi the translator makes, resolved."""
    session = boto3.session.Session(region_name="us-east-1")  # only its region is read
    translated = Translator(None, Parser(), boto_session=session).translate(
        copy.deepcopy(template), parameter_values={}, get_managed_policy_map=lambda: {}
    )
    return {
        name: resolve(resource["Properties"]["Body"])
        for name, resource in translated["Resources"].items()
        if resource["Type"] == "AWS::ApiGateway::RestApi"
    }


@pytest.mark.parametrize("version", ["2.0", "3.0.1"])
def test_sam_api_with_a_token_authorizer(version):
    """SAM's body: the default TOKEN authorizer on every method, `Authorizer: NONE` honoured,
    ApiKeyRequired as the api_key scheme, Lambda proxy integrations."""
    template = copy.deepcopy(SAM)
    if version != "2.0":
        template["Resources"]["Api"]["Properties"]["OpenApiVersion"] = version

    found = read_definition(json.dumps(sam_bodies(template)["Api"]))
    get = found.paths["/pets/{id}"]["GET"]
    open_ = found.paths["/open"]["ANY"]

    assert found.warnings == []
    assert found.api["name"] == "stack"
    assert found.authorizers["TokenAuth"] == {
        "name": "TokenAuth",
        "type": "TOKEN",
        "authorizerUri": URI.format(LAMBDA.format("AuthFn")),
        "authorizerResultTtlInSeconds": 30,
        "identitySource": "method.request.header.Authorization",
        "authType": "custom",
    }
    assert (get.method["authorizationType"], get.authorizer) == ("CUSTOM", "TokenAuth")
    assert get.method["methodIntegration"] == {
        "type": "AWS_PROXY",
        "httpMethod": "POST",
        "uri": URI.format(LAMBDA.format("Fn")),
    }
    assert (open_.method["authorizationType"], open_.authorizer) == ("NONE", None)
    assert open_.method["apiKeyRequired"] is True


def test_sam_implicit_api():
    """An Api event without RestApiId lands in the implicit ServerlessRestApi."""
    found = read_definition(sam_bodies(SAM)["ServerlessRestApi"])

    assert list(found.paths) == ["/hello"]
    assert found.paths["/hello"]["POST"].method["authorizationType"] == "NONE"
