"""AWS API actions called in process, for EventBridge Scheduler's universal targets.

A universal target (`arn:aws:scheduler:::aws-sdk:sqs:sendMessage`, schedules/universal.py)
calls an API action with the schedule's Input as its request parameters. Stratus makes the
call as if a boto3 request had arrived, minus the wire: the parameters are checked against
botocore's model (AWS's validation errors), blobs given as JSON strings become bytes, and
the adapter's own handler runs with the server's services. What the action answers is
dropped, as AWS drops it; what it raises goes back to the schedule, which retries or
dead-letters it as for its other targets.

The caller sits in the interface layer (it reaches every adapter) and is handed to the
schedules bridge by the composition root once the services exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlparse

from botocore.model import ListShape, MapShape, Shape, StructureShape
from starlette.datastructures import Headers

from stratus.errors import Invalid
from stratus.services import Services
from stratus.templates.service import StackService

from .protocols import models, validate
from .protocols.adapter import Api, Call, handler_of


class SdkCalls:
    def __init__(
        self, apis: Iterable[Api], services: Services, stacks: StackService, endpoint_url: str
    ) -> None:
        self._apis = {api.name: api for api in apis}
        self._services = services
        self._stacks = stacks
        self._endpoint = urlparse(endpoint_url)

    async def wait_call(self, api_name: str, operation: str, params: dict[str, Any]) -> None:
        api = self._apis.get(api_name)
        if api is None:
            raise Invalid(f"Stratus does not serve the {api_name} API.")
        model = await models.wait_service_model(api_name)
        if operation not in model.operation_names:
            raise Invalid(f"{model.service_id} has no action {operation}.")
        if operation not in api.handlers:
            raise Invalid(f"Stratus does not implement {model.service_id} {operation} yet.")
        handler = handler_of(api, model, operation)
        shape = model.operation_model(operation).input_shape
        given = _typed(shape, params) if shape is not None else {}
        validate.check(shape, given)
        await handler(self._call(model.metadata.get("protocol", ""), api, operation), given)

    def _call(self, protocol: str, api: Api, operation: str) -> Call:
        host = self._endpoint.hostname or "127.0.0.1"
        port = self._endpoint.port or 80
        headers = {"host": f"{host}:{port}"}
        if protocol == "json":  # handlers that answer per protocol look for this header
            headers["x-amz-target"] = f"{api.name}.{operation}"
        scope: dict[str, Any] = {
            "type": "http",
            "scheme": self._endpoint.scheme or "http",
            "server": (host, port),
            "method": "POST",
            "path": "/",
            "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        }
        return Call(self._services, self._stacks, Headers(headers), str(uuid.uuid4()), scope)


def _typed(shape: Shape, value: Any) -> Any:
    """JSON values as the protocols hand them to handlers: blobs as bytes (a JSON string is
    taken as its UTF-8 text), the rest as JSON gives them; unknown members refused, as the
    SDKs refuse them."""
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        unknown = sorted(set(value) - set(shape.members))
        if unknown:
            raise Invalid(
                f'Unknown parameter "{unknown[0]}" in the Input; {shape.name} takes: '
                f"{', '.join(shape.members)}."
            )
        return {name: _typed(shape.members[name], member) for name, member in value.items()}
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [_typed(shape.member, item) for item in value]
    if isinstance(shape, MapShape) and isinstance(value, dict):
        return {key: _typed(shape.value, item) for key, item in value.items()}
    if shape.type_name == "blob" and isinstance(value, str):
        return value.encode()
    return value
