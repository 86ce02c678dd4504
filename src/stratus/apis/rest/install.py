"""Installing an OpenAPI definition (openapi.py) into a REST API, inside one transaction.

    overwrite (ImportRestApi, PutRestApi mode=overwrite): the API becomes the document:
        authorizers, models and validators are replaced, resources the document does not
        name are deleted, and the ones it names keep their ids but get the document's methods;
    merge (PutRestApi's default): the document's methods, authorizers, models and validators
        (matched by name) replace or join the existing ones; the rest stays.

Deployments and stages are untouched either way: a stage serves its deployment's snapshot
until the next CreateDeployment. Everything goes through the same checks as the single
calls (Tree, make_authorizer, make_model, check_method, check_integration), so an import
cannot store what PutMethod would refuse; a failure names the path and method, like
API Gateway's "Unable to put method 'GET' on resource at path '/pets': ...".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from stratus.errors import Invalid

from ..shape import parse_request
from .authorizers import make_authorizer
from .documentation import install_parts
from .gateway_responses import put_in
from .methods import check_integration, check_method
from .model import (
    Integration,
    Method,
    RequestValidator,
    RestApi,
)
from .models import DEFAULT_MODELS, make_model
from .openapi import Definition
from .resources import Tree
from .store import AUTHORIZERS, GATEWAY_RESPONSES, MODELS, RESOURCES, VALIDATORS, Parts

MODEL_URL = "https://apigateway.amazonaws.com/restapis/{api}/models/{name}"


def install(
    parts: Parts, definition: Definition, *, overwrite: bool, new_id: Callable[[int], str]
) -> RestApi:
    """Writes `definition` into the API of `parts`; returns the API, with the warnings."""
    authorizers = _authorizers(parts, definition, overwrite, new_id)
    validators = _validators(parts, definition, overwrite, new_id)
    _models(parts, definition, overwrite, new_id)
    if overwrite:
        parts.clear(GATEWAY_RESPONSES)
    for response_type, fields in definition.gateway_responses.items():
        try:
            put_in(parts, {**fields, "responseType": response_type})
        except Invalid as exc:
            raise Invalid(
                f"Unable to put gateway response '{response_type}': {exc.message}"
            ) from None
    if definition.documentation is not None:
        install_parts(
            parts, definition.documentation, overwrite=overwrite, new_id=lambda: new_id(6)
        )
    tree = Tree(parts.all(RESOURCES), lambda: new_id(10))
    if overwrite:
        _prune(tree, definition)
    for path, operations in definition.paths.items():
        resource = tree.ensure(path)
        for http_method, operation in operations.items():
            fields = dict(operation.method, httpMethod=http_method)
            if operation.authorizer is not None:
                fields["authorizerId"] = authorizers[operation.authorizer]
            if operation.validator is not None:
                fields["requestValidatorId"] = validators[operation.validator]
            method = _method(parts, fields, resource.id, path)
            resource = tree.by_id[resource.id].with_method(method)
            tree.save(resource)
    tree.write(parts)
    api = parse_request(RestApi, parts.api.wire() | definition.api)
    parts.save_api(api)
    return api.model_copy(update={"warnings": definition.warnings or None})


def _method(parts: Parts, fields: dict[str, Any], resource_id: str, path: str) -> Method:
    http_method = fields["httpMethod"]
    integration = fields.pop("methodIntegration", None)
    try:
        method = check_method(parts, parse_request(Method, fields))
    except Invalid as exc:
        raise Invalid(
            f"Unable to put method '{http_method}' on resource at path '{path}': {exc.message}"
        ) from None
    if integration is None:
        return method
    try:
        checked = check_integration(parse_request(Integration, integration), resource_id)
    except Invalid as exc:
        raise Invalid(
            f"Unable to put integration on '{http_method}' for resource at path '{path}': "
            f"{exc.message}"
        ) from None
    return method.model_copy(update={"methodIntegration": checked})


def _prune(tree: Tree, definition: Definition) -> None:
    """Deletes the resources the document does not name (nor any of its paths' ancestors),
    and clears the methods of the others."""
    wanted = {"/"}
    for path in definition.paths:
        parts = path.strip("/").split("/") if path != "/" else []
        wanted.update("/" + "/".join(parts[:n]) for n in range(1, len(parts) + 1))
    for resource in sorted(tree.by_id.values(), key=lambda r: r.path.count("/")):
        if resource.id not in tree.by_id:
            continue  # went with an ancestor
        if resource.path not in wanted:
            tree.remove(resource.id)
        elif resource.resourceMethods:
            tree.save(resource.model_copy(update={"resourceMethods": None}))


def _authorizers(
    parts: Parts, definition: Definition, overwrite: bool, new_id: Callable[[int], str]
) -> dict[str, str]:
    if overwrite:
        parts.clear(AUTHORIZERS)
    ids = {a.name: a.id for a in parts.all(AUTHORIZERS)}
    for name, fields in definition.authorizers.items():
        try:
            authorizer = make_authorizer({"id": ids.get(name) or new_id(6), **fields})
        except Invalid as exc:
            raise Invalid(f"Unable to create authorizer '{name}': {exc.message}") from None
        parts.put(AUTHORIZERS, authorizer.id, authorizer)
        ids[name] = authorizer.id
    return ids


def _validators(
    parts: Parts, definition: Definition, overwrite: bool, new_id: Callable[[int], str]
) -> dict[str, str]:
    if overwrite:
        parts.clear(VALIDATORS)
    ids = {v.name: v.id for v in parts.all(VALIDATORS)}
    for name, fields in definition.validators.items():
        validator = RequestValidator(id=ids.get(name) or new_id(6), **fields)
        parts.put(VALIDATORS, validator.id, validator)
        ids[name] = validator.id
    return ids


def _models(
    parts: Parts, definition: Definition, overwrite: bool, new_id: Callable[[int], str]
) -> None:
    existing = {m.name: m for m in parts.all(MODELS)}
    schemas: Mapping[str, object]
    if overwrite:
        parts.clear(MODELS)
        existing = {}
        schemas = DEFAULT_MODELS | definition.models
    else:
        schemas = definition.models
    for name, schema in schemas.items():
        text = json.dumps(_with_model_urls(schema, parts.api_id), indent=2)
        old = existing.get(name)
        fields = {
            "id": old.id if old else new_id(6),
            "name": name,
            "contentType": "application/json",
            "schema": text,
        }
        try:
            model = make_model(fields)
        except Invalid as exc:
            raise Invalid(f"Unable to create model '{name}': {exc.message}") from None
        parts.put(MODELS, name, model)


def _with_model_urls(schema: Any, api_id: str) -> Any:
    """A schema with `#/definitions/X` and `#/components/schemas/X` references written the
    way API Gateway stores them: as the referenced model's URL."""
    if isinstance(schema, dict):
        found = {k: _with_model_urls(v, api_id) for k, v in schema.items()}
        ref = found.get("$ref")
        for prefix in ("#/definitions/", "#/components/schemas/"):
            if isinstance(ref, str) and ref.startswith(prefix):
                found["$ref"] = MODEL_URL.format(api=api_id, name=ref[len(prefix) :])
        return found
    if isinstance(schema, list):
        return [_with_model_urls(v, api_id) for v in schema]
    return schema
