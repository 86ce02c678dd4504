"""botocore's service models, the data every protocol is driven by.

A model names each operation of an API with its wire address (HTTP method and request URI,
`X-Amz-Target` prefix, or query `Action`), its input and output shapes with their constraints,
and the errors it may answer. Loading one reads and decodes a JSON file of up to several MB,
so each is loaded once per process, and the async door does it off the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable

import botocore.session
from botocore.model import OperationModel, ServiceModel

_models: dict[str, ServiceModel] = {}
_variants: dict[str, Callable[[], ServiceModel]] = {}
_loading = threading.Lock()


def register(name: str, build: Callable[[], ServiceModel]) -> None:
    """A model botocore does not ship under `name`, built on first use: e.g. an API's other
    protocol (SQS over query, for clients older than its move to JSON)."""
    _variants[name] = build


@functools.cache
def session() -> botocore.session.Session:
    return botocore.session.get_session()


def service_model(name: str) -> ServiceModel:
    """botocore's model of the API `name` (its botocore name: "logs", "cloudformation", "s3")."""
    model = _models.get(name)
    if model is None:
        with _loading:  # one load per model even when several threads ask at once
            model = _models.get(name)
            if model is None:
                build = _variants.get(name)
                model = build() if build else session().get_service_model(name)
                _models[name] = model
    return model


async def wait_service_model(name: str) -> ServiceModel:
    """`service_model`, loading in a thread the first time so the event loop never blocks."""
    model = _models.get(name)
    return model if model is not None else await asyncio.to_thread(service_model, name)


def loaded(name: str) -> ServiceModel | None:
    """The model of `name` if it is already loaded (error rendering must not load one)."""
    return _models.get(name)


def operation_model(service: str, operation: str) -> OperationModel:
    return service_model(service).operation_model(operation)
