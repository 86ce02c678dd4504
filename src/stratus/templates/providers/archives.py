"""AWS::Events::Archive over the event bus's archives, as CloudFormation makes it: Ref is the
archive's name, GetAtt Arn its ARN. Without ArchiveName one is generated (48 characters at
most). Description, EventPattern (an object in the template) and RetentionDays change in
place; ArchiveName and SourceArn replace the archive."""

from __future__ import annotations

import contextlib
import json
from typing import Any, ClassVar

from stratus.errors import NotFound
from stratus.templates.provider import Context, Created, Provider, required

ARCHIVE = "AWS::Events::Archive"
MAX_NAME = 48


def _pattern(props: dict[str, Any]) -> str | None:
    pattern = props.get("EventPattern")
    if pattern is None or isinstance(pattern, str):
        return pattern
    return json.dumps(pattern)


def _retention(props: dict[str, Any]) -> int | None:
    value = props.get("RetentionDays")
    return None if value in (None, "") else int(value)


class Archive(Provider):
    type_name = ARCHIVE
    updatable: ClassVar[frozenset[str]] = frozenset(
        {"Description", "EventPattern", "RetentionDays"}
    )

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        name = str(props.get("ArchiveName") or ctx.physical_name(logical_id, MAX_NAME))
        created = await ctx.services.events.archives.create(
            name, str(required(props, "SourceArn", ARCHIVE)), _pattern(props),
            props.get("Description"), _retention(props),
        )  # fmt: skip
        return Created(name, {"Arn": created["ArchiveArn"]})

    async def wait_update(
        self, ctx: Context, logical_id: str, current: Created, old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:  # fmt: skip
        await ctx.services.events.archives.update(
            current.physical_id, _pattern(new), new.get("Description"),
            _retention(new) or 0,
        )  # fmt: skip
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await ctx.services.events.archives.delete(physical_id)


PROVIDERS = (Archive,)
