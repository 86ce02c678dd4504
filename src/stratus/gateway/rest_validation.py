"""REST APIs' request validation ("Request validation for REST APIs in API Gateway").

A method with a requestValidatorId is checked by that validator, after its authorizer and
API key:

- validateRequestParameters: every `method.request.{header|multivalueheader|querystring|
  multivaluequerystring|path}.NAME` of its requestParameters marked true must be in the
  request (headers by any case; a query parameter given empty counts), else 400
  `Missing required request parameters: [NAME, ...]`, the names in the order of the
  parameters' keys;
- validateRequestBody: the body must be JSON valid against the model its requestModels
  names for the request's media type (`application/json` when there is no Content-Type),
  else `$default`; with neither, the `Empty` model. An empty body is checked as `{}`. Not
  JSON or not valid: 400 `Invalid request body`, with what failed (rest_schema.py) in
  `$context.error.validationErrorString`.

Models are JSON Schema draft 4 (jsonschema's Draft4Validator, its formats checked as
rest_schema.py says). A model refers to another of
its API by `{"$ref": "https://apigateway.amazonaws.com/restapis/{api}/models/{name}"}`; the
references resolve among the deployment's models. Validators are built once per deployment
and model (deployments are frozen snapshots).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT4

from stratus.apis.rest.model import Method
from stratus.apis.rest.service import RestDeployment
from stratus.gateway.responses import HttpResponse
from stratus.gateway.rest_responses import BAD_BODY, bad_body, missing_parameters
from stratus.gateway.rest_schema import FORMATS, NOT_JSON, failures, validation_error_string

MODEL_URI = "https://apigateway.amazonaws.com/restapis/{api}/models/{name}"
EMPTY_SCHEMA = {"type": "object"}
_VALIDATORS_LIMIT = 1024
_validators: dict[tuple[str, str, str], jsonschema.Draft4Validator] = {}


def _schema(text: str | None) -> Any:
    return EMPTY_SCHEMA if text is None else json.loads(text)


def validator_for(deployment: RestDeployment, name: str) -> jsonschema.Draft4Validator:
    """The model `name` of this deployment as a validator (built once, then kept)."""
    api_id = deployment.api.id
    key = (api_id, deployment.deployment_id, name)
    found = _validators.get(key)
    if found is None:
        resources = [
            (
                MODEL_URI.format(api=api_id, name=model.name),
                Resource.from_contents(_schema(model.schema_), default_specification=DRAFT4),
            )
            for model in deployment.models.values()
        ]
        model = deployment.models.get(name)
        schema = _schema(model.schema_ if model else None)
        if len(_validators) >= _VALIDATORS_LIMIT:
            _validators.clear()
        found = _validators[key] = jsonschema.Draft4Validator(
            schema, registry=Registry().with_resources(resources), format_checker=FORMATS
        )
    return found


def missing(method: Method, event: Mapping[str, Any]) -> list[str]:
    """The names of the method's required parameters the request lacks."""
    headers = {k.lower() for k in event["multiValueHeaders"]}
    query = event["multiValueQueryStringParameters"] or {}
    path = event["pathParameters"] or {}
    absent: list[str] = []
    for parameter, required in sorted((method.requestParameters or {}).items()):
        if not required:
            continue
        _, _, kind_and_name = parameter.partition("method.request.")
        kind, _, name = kind_and_name.partition(".")
        if kind in ("header", "multivalueheader"):
            found = name.lower() in headers
        elif kind in ("querystring", "multivaluequerystring"):
            found = name in query
        else:
            found = kind != "path" or name in path
        if not found:
            absent.append(name)
    return absent


def model_name(method: Method, content_type: str | None) -> str:
    media = (content_type or "application/json").split(";", 1)[0].strip().lower()
    models = method.requestModels or {}
    return models.get(media) or models.get("$default") or "Empty"


def check_request(
    deployment: RestDeployment, method: Method, event: Mapping[str, Any], body: bytes
) -> HttpResponse | None:
    """None when the request passes the method's validator, else the 400 to send."""
    validator = deployment.validators.get(method.requestValidatorId or "")
    if validator is None:
        return None
    if validator.validateRequestParameters:
        absent = missing(method, event)
        if absent:
            return missing_parameters(absent)
    if validator.validateRequestBody:
        content_type = next(
            (vs[-1] for k, vs in event["multiValueHeaders"].items() if k.lower() == "content-type"),
            None,
        )
        try:
            document = json.loads(body) if body.strip() else {}
        except ValueError:
            return bad_body(validation_error_string([NOT_JSON]))
        schema = validator_for(deployment, model_name(method, content_type))
        try:
            failed = failures(schema, document)
        except Unresolvable:  # a $ref to no model of the deployment: the body cannot pass
            return BAD_BODY
        if failed:
            return bad_body(validation_error_string(failed))
    return None
