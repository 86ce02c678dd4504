"""What REST APIs validate requests with: models (JSON Schema draft 4, by name) and request
validators (whether a method checks its body, its parameters, or both).

A model's `schema` is JSON text that must be a valid draft 4 schema; Stratus checks it with
jsonschema when the model is made or changed, so the data plane can trust it. Every new REST
API has AWS's two models, `Empty` and `Error`. Model names are alphanumeric and unique in
their API; a model or validator that methods use cannot be deleted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import jsonschema

from stratus.errors import Conflict, Invalid

from .model import parse_request
from .rest_model import Model, RequestValidator
from .rest_patch import SET, apply_patch, boolean, field
from .rest_requests import (
    CreateModelRequest,
    CreateRequestValidatorRequest,
    PatchOperation,
)
from .rest_store import MODELS, RESOURCES, VALIDATORS, Parts, RestStore, page

DRAFT_4 = "http://json-schema.org/draft-04/schema#"
DEFAULT_MODELS = {
    "Empty": {"$schema": DRAFT_4, "title": "Empty Schema", "type": "object"},
    "Error": {
        "$schema": DRAFT_4,
        "title": "Error Schema",
        "type": "object",
        "properties": {"message": {"type": "string"}},
    },
}
_NAME = re.compile(r"^[A-Za-z0-9]+$")
_MODEL_PATCH = (field("/schema", ops=SET), field("/description"))
_VALIDATOR_PATCH = (
    field("/name", ops=SET),
    field("/validateRequestBody", boolean, ops=SET),
    field("/validateRequestParameters", boolean, ops=SET),
)


def check_schema(text: str) -> str:
    """`text` if it is a JSON Schema draft 4 document, else AWS's BadRequestException."""
    try:
        schema = json.loads(text)
        if not isinstance(schema, dict):
            raise ValueError("a schema is a JSON object")
        jsonschema.Draft4Validator.check_schema(schema)
    except (ValueError, jsonschema.SchemaError) as exc:
        reason = exc.message if isinstance(exc, jsonschema.SchemaError) else str(exc)
        raise Invalid(
            "Invalid model specified: Validation Result: warnings : [], errors : "
            f"[Invalid model schema specified: {reason}]"
        ) from None
    return text


def make_model(fields: dict[str, Any]) -> Model:
    model = parse_request(Model, fields)
    if not _NAME.match(model.name):
        raise Invalid(f"Invalid model name specified: {model.name!r}: a model name is alphanumeric")
    if model.schema_ is not None:
        check_schema(model.schema_)
    return model


def default_models(new_id: Callable[[], str]) -> list[Model]:
    return [
        Model(
            id=new_id(),
            name=name,
            contentType="application/json",
            schema=json.dumps(schema, indent=2),
        )
        for name, schema in DEFAULT_MODELS.items()
    ]


def _users(parts: Parts, wanted: Callable[[Any], bool]) -> list[str]:
    return [
        f"{name} {resource.path}"
        for resource in parts.all(RESOURCES)
        for name, method in resource.methods.items()
        if wanted(method)
    ]


class Models:
    """Create/Get/Update/Delete Model(s)."""

    def __init__(self, store: RestStore, new_id: Callable[[], str]) -> None:
        self._store = store
        self._new_id = new_id

    async def create(self, api_id: str, request: CreateModelRequest) -> Model:
        model = make_model(
            {"id": self._new_id(), **request.model_dump(by_alias=True, exclude_none=True)}
        )

        def work(parts: Parts) -> Model:
            if parts.get(MODELS, model.name) is not None:
                raise Conflict("Model name already exists for this REST API")
            parts.put(MODELS, model.name, model)
            return model

        return await self._store.write(api_id, work)

    async def get(self, api_id: str, name: str) -> Model:
        return await self._store.read(api_id, lambda parts: parts.require(MODELS, name))

    async def list(
        self, api_id: str, position: str | None = None, limit: int | None = None
    ) -> tuple[list[Model], str | None]:
        found = await self._store.read(api_id, lambda parts: parts.all(MODELS))
        return page(found, lambda m: m.name, position, limit)

    async def update(self, api_id: str, name: str, patch: list[PatchOperation]) -> Model:
        def work(parts: Parts) -> Model:
            found = parts.require(MODELS, name)
            model = make_model(apply_patch(found.wire(), patch, _MODEL_PATCH))
            parts.put(MODELS, name, model)
            return model

        return await self._store.write(api_id, work)

    async def delete(self, api_id: str, name: str) -> None:
        def work(parts: Parts) -> None:
            parts.require(MODELS, name)
            users = _users(parts, lambda m: name in (m.requestModels or {}).values())
            if users:
                raise Conflict(
                    f"Cannot delete model '{name}', is referenced in method request: "
                    f"{', '.join(users)}"
                )
            parts.delete(MODELS, name)

        await self._store.write(api_id, work)


class RequestValidators:
    """Create/Get/Update/Delete RequestValidator(s)."""

    def __init__(self, store: RestStore, new_id: Callable[[], str]) -> None:
        self._store = store
        self._new_id = new_id

    async def create(self, api_id: str, request: CreateRequestValidatorRequest) -> RequestValidator:
        validator_id = self._new_id()
        validator = RequestValidator(
            id=validator_id,
            name=request.name or validator_id,
            validateRequestBody=request.validateRequestBody,
            validateRequestParameters=request.validateRequestParameters,
        )

        def work(parts: Parts) -> RequestValidator:
            parts.put(VALIDATORS, validator.id, validator)
            return validator

        return await self._store.write(api_id, work)

    async def get(self, api_id: str, validator_id: str) -> RequestValidator:
        return await self._store.read(api_id, lambda parts: parts.require(VALIDATORS, validator_id))

    async def list(
        self, api_id: str, position: str | None = None, limit: int | None = None
    ) -> tuple[list[RequestValidator], str | None]:
        found = await self._store.read(api_id, lambda parts: parts.all(VALIDATORS))
        return page(found, lambda v: v.id, position, limit)

    async def update(
        self, api_id: str, validator_id: str, patch: list[PatchOperation]
    ) -> RequestValidator:
        def work(parts: Parts) -> RequestValidator:
            found = parts.require(VALIDATORS, validator_id)
            validator = parse_request(
                RequestValidator, apply_patch(found.wire(), patch, _VALIDATOR_PATCH)
            )
            parts.put(VALIDATORS, validator_id, validator)
            return validator

        return await self._store.write(api_id, work)

    async def delete(self, api_id: str, validator_id: str) -> None:
        def work(parts: Parts) -> None:
            parts.require(VALIDATORS, validator_id)
            users = _users(parts, lambda m: m.requestValidatorId == validator_id)
            if users:
                raise Invalid(
                    f"Cannot delete request validator {validator_id}: it is used by method "
                    f"{', '.join(users)}; change their requestValidatorId first"
                )
            parts.delete(VALIDATORS, validator_id)

        await self._store.write(api_id, work)
