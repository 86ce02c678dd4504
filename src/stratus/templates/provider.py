"""What a resource type must do for the stack engine: create, update, delete.

A provider turns one resource's resolved properties into calls on a Stratus service and
answers what the rest of the template may refer to: the `Ref` value (the physical id) and
the `Fn::GetAtt` attributes. The engine decides *when* (order, diffs, rollback); providers
decide *how*. A property change the service cannot apply in place means replacement, as
CloudFormation's "Update requires: Replacement": the engine creates the new resource and
deletes the old one once the whole update has succeeded.
"""

from __future__ import annotations

import asyncio
import secrets
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import orjson

from stratus.config import Settings
from stratus.errors import StratusError
from stratus.services import Services
from stratus.store.artifacts import NoSuchArtifact

from .store import StackStore

_SUFFIX = string.ascii_uppercase + string.digits
NO_ECHO_ATTRIBUTE = "stratus:NoEcho"  # an attribute: outputs made from this resource are masked


@dataclass(frozen=True, slots=True)
class Created:
    physical_id: str  # also the resource's Ref value
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Context:
    """What a provider may use: the stack's identity and the services."""

    settings: Settings
    stack_name: str
    stack_id: str
    services: Services
    # The resource a step is about (custom resources name both in their requests).
    logical_id: str = ""
    resource_type: str = ""
    # Where a step that waits on something outside keeps what it waits for, durably.
    store: StackStore | None = None
    # When the stack's creation must have ended (TimeoutInMinutes), on the work clock.
    deadline: float | None = None
    # The step puts a resource back as it was (a rollback), not forward.
    rolling_back: bool = False

    def of(self, logical_id: str, resource_type: str) -> Context:
        return replace(self, logical_id=logical_id, resource_type=resource_type)

    def physical_name(self, logical_id: str, limit: int = 64) -> str:
        """A generated name, as CloudFormation makes them: stack-logical-SUFFIX, cut to fit."""
        suffix = "".join(secrets.choice(_SUFFIX) for _ in range(12))
        room = limit - len(suffix) - 2
        stack, logical = self.stack_name, logical_id
        if len(stack) + len(logical) > room:
            stack = stack[: max(room // 2, room - len(logical))]
            logical = logical[: room - len(stack)]
        return f"{stack}-{logical}-{suffix}"

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        where = self.settings.region if region else ""
        return f"arn:aws:{service}:{where}:{self.settings.account_id}:{resource}"


class ResourceFailed(StratusError):
    """A resource could not be created, updated or deleted; the message is the
    ResourceStatusReason the stack's events show. `partial` is what the failed step left
    behind that a rollback must still undo (a custom resource whose handler answered FAILED
    gets its Delete; a nested stack that rolled back is deleted), as CloudFormation does."""

    code, status = "ValidationError", 400

    def __init__(self, message: str, partial: Created | None = None) -> None:
        super().__init__(message)
        self.partial = partial


class Provider:
    """Defaults: any property change replaces the resource (subclasses list in `updatable`
    the properties they can change in place)."""

    type_name: ClassVar[str]
    updatable: ClassVar[frozenset[str]] = frozenset()
    # Updated on every stack update even with unchanged properties: a nested stack, whose
    # template behind an unchanged TemplateURL may have changed (ChangeSource Automatic).
    always_update: ClassVar[bool] = False

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        raise NotImplementedError

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        raise NotImplementedError

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        raise NotImplementedError

    def needs_replacement(self, old: dict[str, Any], new: dict[str, Any]) -> bool:
        changed = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
        return not changed <= self.updatable


def timed_out(minutes: int | None) -> str:
    """The reason a step gives when the stack's TimeoutInMinutes has passed."""
    return f"Resource creation cancelled: the stack's TimeoutInMinutes ({minutes}) passed"


def text(value: Any) -> str:
    """A value as CloudFormation writes it where text is due (outputs, parameters,
    environment variables): lists comma-joined, booleans lower-case, objects as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join(text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return orjson.dumps(value).decode()


def tag_map(tags: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """CloudFormation's `Tags: [{Key, Value}]` as the services' {key: value}."""
    return {str(t["Key"]): str(t["Value"]) for t in tags or []}


async def wait_read_document(ctx: Context, what: str, where: Any, limit: int) -> bytes:
    """The document a `{Bucket, Key, Version}` property names (DefinitionS3Location,
    BodyS3Location): uploaded by `stratus deploy` (a local DefinitionUri) or an object of this
    server's; ResourceFailed "<what>: <S3's words>" when it cannot be read."""
    if not isinstance(where, Mapping) or not where.get("Bucket") or not where.get("Key"):
        raise ResourceFailed(f"{what} must be an object with Bucket and Key")
    version = where.get("Version")
    try:
        return await asyncio.to_thread(
            ctx.services.artifacts.read_object,
            text(where["Bucket"]),
            text(where["Key"]),
            None if version is None else text(version),
            limit,
        )
    except NoSuchArtifact as exc:
        raise ResourceFailed(f"{what}: {exc.args[0]}") from exc


def required(props: Mapping[str, Any], name: str, type_name: str) -> Any:
    if props.get(name) in (None, ""):
        raise ResourceFailed(f"Property {name} is required for {type_name}")
    return props[name]
