"""AWS::Lambda::EventSourceMapping over the mapping service, as CloudFormation makes it:
`Ref` is the mapping's UUID; `Fn::GetAtt` gives Id (the UUID) and EventSourceMappingArn.
FunctionName and every setting change in place (UpdateEventSourceMapping); EventSourceArn
replaces the mapping, and so does StartingPosition (the API cannot change it). SAM's `SQS`
and `DynamoDB` events on a function become one of these.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import Any, ClassVar, TypeVar

from stratus.errors import NotFound
from stratus.mappings.model import Settings, settings_of
from stratus.templates.provider import Context, Created, Provider, required, tag_map, text

T = TypeVar("T")
_SETTINGS = (
    "BatchSize", "MaximumBatchingWindowInSeconds", "FilterCriteria", "ScalingConfig",
    "FunctionResponseTypes", "Enabled", "ParallelizationFactor", "BisectBatchOnFunctionError",
    "MaximumRetryAttempts", "MaximumRecordAgeInSeconds", "TumblingWindowInSeconds",
    "DestinationConfig",
)  # fmt: skip


class EventSourceMapping(Provider):
    type_name = "AWS::Lambda::EventSourceMapping"
    updatable: ClassVar[frozenset[str]] = frozenset({"FunctionName", *_SETTINGS})

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        mapping = await ctx.services.mappings.create(
            text(required(props, "EventSourceArn", self.type_name)),
            text(required(props, "FunctionName", self.type_name)),
            settings_of(props),
            tag_map(props.get("Tags")),
        )
        return Created(mapping.uuid, _attributes(mapping.uuid, mapping.arn))

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        given = settings_of(new)
        stream = "/stream/" in text(new.get("EventSourceArn", ""))
        # Settings the template no longer names go back to Lambda's defaults.
        dropped = Settings(
            batch_size=(100 if stream else 10) if "BatchSize" not in new else None,
            window=0 if "MaximumBatchingWindowInSeconds" not in new else None,
            filters=() if "FilterCriteria" not in new else None,
            scaling_given="ScalingConfig" not in new,
            response_types=() if "FunctionResponseTypes" not in new else None,
            enabled=True if "Enabled" not in new else None,
        )
        merged = Settings(
            batch_size=given.batch_size if given.batch_size is not None else dropped.batch_size,
            window=given.window if given.window is not None else dropped.window,
            filters=given.filters if given.filters is not None else dropped.filters,
            max_concurrency=given.max_concurrency,
            scaling_given=given.scaling_given or dropped.scaling_given,
            response_types=given.response_types
            if given.response_types is not None
            else dropped.response_types,
            enabled=given.enabled if given.enabled is not None else dropped.enabled,
            unsupported=given.unsupported,
        )
        if stream:
            merged = replace(
                merged,
                parallelization=_or(given.parallelization, 1),
                bisect=_or(given.bisect, False),
                max_retries=_or(given.max_retries, -1),
                max_record_age=_or(given.max_record_age, -1),
                tumbling_window=_or(given.tumbling_window, 0),
                on_failure=_or(given.on_failure, ""),
                on_success=given.on_success,
                not_for_streams=given.not_for_streams,
            )
        function = text(required(new, "FunctionName", self.type_name))
        mapping, _ = await ctx.services.mappings.update(current.physical_id, function, merged)
        return Created(mapping.uuid, _attributes(mapping.uuid, mapping.arn))

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):  # already gone: deleting it is done
            await ctx.services.mappings.delete(physical_id)


def _or(given: T | None, default: T) -> T:
    return default if given is None else given


def _attributes(uuid: str, arn: str) -> dict[str, Any]:
    return {"Id": uuid, "EventSourceMappingArn": arn}


PROVIDERS = (EventSourceMapping,)
