"""What a service adapter is: a table `operation name -> handler(call, params)`.

A handler gets the operation's input members, parsed and validated by its protocol, and the
`Call` they came with; it returns the output members (None: no output), which the protocol
renders. It parses nothing and builds no response itself. The one escape hatch: a handler
may return an ASGI `Response` it built (InvokeWithResponseStream streams its answer while the
function runs), which is sent as it is.

An `Api` is one served AWS API: its botocore model name, its handlers and its error table.
Operations of the model without a handler answer the protocol's unknown-operation error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.model import ServiceModel
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Scope

from stratus.errors import UnknownOperation
from stratus.iam.model import Identity, root_identity
from stratus.services import Services
from stratus.templates.service import StackService

from ..actions import action_of, checked
from . import models
from .errors import ErrorTable


@dataclass(frozen=True, slots=True)
class Call:
    """Who is asking, and with what: what a handler may need beyond the input members."""

    services: Services
    stacks: StackService  # above the services (it deploys onto them), so not among them
    headers: Headers
    request_id: str
    scope: Scope

    @classmethod
    def of(cls, scope: Scope, headers: Headers, request_id: str) -> Call:
        """The call a request makes: the one place an adapter reaches the app's state."""
        state = scope["app"].state
        return cls(state.services, state.stacks, headers, request_id, scope)

    @property
    def identity(self) -> Identity:
        """Who signed the request (aws/signatures.py); the account's root user when
        signatures are not checked, as every caller then is."""
        found: Identity | None = self.scope.get("stratus.identity")
        return found or root_identity(self.services.settings.account_id)

    @property
    def base_url(self) -> str:
        """The endpoint the client called, e.g. http://127.0.0.1:4566 (for URLs we hand out)."""
        scheme = self.scope.get("scheme", "http")
        host = self.headers.get("host")
        if host is None:
            server = self.scope.get("server") or ("127.0.0.1", 80)
            host = f"{server[0]}:{server[1]}"
        return f"{scheme}://{host}"


Output = Mapping[str, Any] | Response | None
Handler = Callable[[Call, dict[str, Any]], Awaitable[Output]]
Handlers = Mapping[str, Handler]


@dataclass(frozen=True, slots=True)
class Api:
    """One AWS API as Stratus serves it."""

    name: str  # botocore's name of the model: "logs", "cloudformation", "s3"
    handlers: Handlers
    errors: ErrorTable  # this API's codes for Stratus's error meanings
    body_limit: int = 16 * 1024 * 1024  # request bodies past this are TooLarge
    # The SigV4 service name, when the model is a variant registered under another name
    # (models.register: SQS over the query protocol is "sqs-query", signed as "sqs").
    signing_name: str | None = None
    # Operations whose blob payload reaches the handler unread, as a protocols.body.BodyStream
    # (rest-xml: S3's PutObject and UploadPart stream to disk, never whole in memory).
    streamed: frozenset[str] = frozenset()


def handler_of(api: Api, model: ServiceModel, operation: str) -> Handler:
    """The handler of an operation the model has; UnknownOperation when Stratus lacks it."""
    handler = api.handlers.get(operation)
    if handler is None:
        raise UnknownOperation(f"Stratus does not implement {model.service_id} {operation} yet.")
    action = action_of(model, operation)  # IAM users' keys are checked per action
    return handler if action is None else checked(handler, action)


async def wait_by_target_prefix(apis: Iterable[Api]) -> dict[str, tuple[Api, ServiceModel]]:
    """Each API and its model by the model's `targetPrefix` (JSON's X-Amz-Target prefix,
    RPC v2's service name in the path)."""
    index = {}
    for api in apis:
        model = await models.wait_service_model(api.name)
        index[model.metadata["targetPrefix"]] = (api, model)
    return index
