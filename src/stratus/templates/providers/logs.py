"""AWS::Logs::LogGroup as a real log group (stratus.observe.logs): created with its tags,
class and retention, updated in place for retention, tags and deletion protection, and
deleted with its events when the stack deletes it, as CloudFormation does."""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

from stratus.errors import NotFound
from stratus.templates.provider import Context, Created, Provider, tag_map


class LogGroup(Provider):
    type_name = "AWS::Logs::LogGroup"
    updatable: ClassVar[frozenset[str]] = frozenset(
        {"RetentionInDays", "Tags", "DeletionProtectionEnabled"}
    )

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        name = str(props.get("LogGroupName") or ctx.physical_name(logical_id, 512))
        logs = ctx.services.logs
        await logs.create_group(
            name,
            tags=tag_map(props.get("Tags")),
            kms_key_id=props.get("KmsKeyId"),
            log_group_class=str(props.get("LogGroupClass") or "STANDARD"),
            deletion_protection=_flag(props.get("DeletionProtectionEnabled")),
        )
        if props.get("RetentionInDays") is not None:
            await logs.set_retention(name, int(props["RetentionInDays"]))
        return Created(name, self._attributes(ctx, name))

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        name, logs = current.physical_id, ctx.services.logs
        days = new.get("RetentionInDays")
        await logs.set_retention(name, int(days) if days is not None else None)
        old_tags, new_tags = tag_map(old.get("Tags")), tag_map(new.get("Tags"))
        await logs.retag(name, new_tags, [k for k in old_tags if k not in new_tags])
        await logs.set_deletion_protection(name, _flag(new.get("DeletionProtectionEnabled")))
        return Created(name, self._attributes(ctx, name))

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await ctx.services.logs.delete_group(physical_id)

    def _attributes(self, ctx: Context, name: str) -> dict[str, Any]:
        return {"Arn": ctx.arn("logs", f"log-group:{name}:*")}


def _flag(value: Any) -> bool:
    return str(value).lower() == "true"


PROVIDERS = (LogGroup,)
