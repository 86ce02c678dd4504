"""Nested stacks: AWS::CloudFormation::Stack (and AWS::Serverless::Application, which the SAM
translator turns into one) as a resource whose physical thing is a real stack.

    parent step  ──create_stack(name=<parent>-<Logical>-<SUFFIX>, ParentId, RootId)──> child
                 <──(polls the child's status until it rests)──

The child is an ordinary stack of the same service (DescribeStacks shows it, with ParentId and
RootId; its own events; its own rollback), created, updated and deleted by the parent's steps,
so the parent's rollback undoes it like any resource: a child created by a failed parent
operation is deleted, one updated is updated back to the parent's previous properties. A
child that failed rolls itself back first; the parent then fails with AWS's "Embedded stack …
was not successfully created" and deletes it. Its template is read from TemplateURL: this
server's object storage (`s3://`, path or virtual-host URLs) or the artifact store
(`s3://stratus-artifacts/…`, where `stratus deploy` uploads a local template file).
`Outputs.Name` attributes are the child's outputs. Every parent update updates the child
(its template behind an unchanged URL may have changed); "no updates" keeps it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from stratus.errors import Invalid
from stratus.objects.locations import location_of
from stratus.store.artifacts import NoSuchArtifact

from .model import Stack
from .provider import Context, Created, Provider, ResourceFailed, required, text

if TYPE_CHECKING:
    from stratus.services import Services

    from .service import StackService

STACK_TYPE = "AWS::CloudFormation::Stack"
MAX_TEMPLATE_BYTES = 1024 * 1024
# An attribute of an updated nested stack: the child's template before the update, which the
# parent's rollback puts back (the TemplateURL may hold another one by then, as on AWS).
PREVIOUS_TEMPLATE = "stratus:PreviousTemplate"  # CloudFormation's limit for a template in S3
NAME_LIMIT = 128  # a stack name's


class NestedStack(Provider):
    type_name = STACK_TYPE
    always_update = True
    # Every property changes the child in place (change sets say Replacement False).
    updatable = frozenset(
        {"TemplateURL", "Parameters", "NotificationARNs", "Tags", "TimeoutInMinutes"}
    )

    def __init__(self, stacks: StackService) -> None:
        self._stacks = stacks

    def needs_replacement(self, old: dict[str, Any], new: dict[str, Any]) -> bool:
        return False  # TemplateURL, Parameters and the rest change the child in place

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        parent = await self._stacks.store.find(ctx.stack_id)
        body = await self._wait_template(ctx, props)
        name = ctx.physical_name(logical_id, NAME_LIMIT)
        child_id = await self._stacks.create_stack(
            name,
            body,
            _parameters(props),
            parent.Capabilities,
            [t.model_dump() for t in parent.Tags],
            disable_rollback=parent.DisableRollback,
            timeout_in_minutes=_timeout(props),
            notification_arns=[str(a) for a in props.get("NotificationARNs") or []],
            parent_id=parent.StackId,
            root_id=parent.RootId or parent.StackId,
        )
        child = await self._wait_rest(child_id)
        if child.StackStatus != "CREATE_COMPLETE":
            reason = await self._failure(child)
            raise ResourceFailed(
                f"Embedded stack {child_id} was not successfully created: {reason}",
                Created(child_id),
            )
        return Created(child_id, _outputs(child))

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        parent = await self._stacks.store.find(ctx.stack_id)
        child_id = current.physical_id
        previous = current.attributes.get(PREVIOUS_TEMPLATE)
        if ctx.rolling_back:
            # The originals of what the child replaced are still there (its cleanup waits
            # for the root): the child points at them again before going back.
            await self._stacks.wait_undo_held_update(child_id)
        if ctx.rolling_back and isinstance(previous, str):
            body = previous  # the template it had, whatever its TemplateURL holds now
        else:
            body = await self._wait_template(ctx, new)
        had, _, _ = await self._stacks.store.documents(child_id)
        try:
            await self._stacks.update_stack(
                child_id,
                body,
                False,
                _parameters(new),
                parent.Capabilities,
                [t.model_dump() for t in parent.Tags],
            )
        except Invalid as exc:
            if exc.message != "No updates are to be performed.":
                raise
            return Created(child_id, _outputs(await self._stacks.store.find(child_id)))
        child = await self._wait_rest(child_id)
        kept = {PREVIOUS_TEMPLATE: had}
        if child.StackStatus != "UPDATE_COMPLETE":
            reason = await self._failure(child)
            raise ResourceFailed(
                f"Embedded stack {child_id} was not successfully updated. Currently in "
                f"{child.StackStatus} with reason: {reason}"
            )
        return Created(child_id, _outputs(child) | kept)

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        try:
            child = await self._wait_rest(physical_id)
        except Invalid:
            return  # never created, or gone
        if child.StackStatus == "DELETE_COMPLETE":
            return
        await self._stacks.delete_stack(physical_id)
        child = await self._wait_rest(physical_id)
        if child.StackStatus != "DELETE_COMPLETE":
            raise ResourceFailed(
                f"Embedded stack {physical_id} was not successfully deleted: "
                f"{child.StackStatusReason or child.StackStatus}"
            )

    async def _wait_rest(self, stack_id: str) -> Stack:
        return await self._stacks.wait_rest(stack_id)

    async def _failure(self, child: Stack) -> str:
        """Why the child failed: the reason its rollback started with."""
        for event in await self._stacks.store.events(child.StackId):
            if event.LogicalResourceId == child.StackName and event.ResourceStatus in (
                "ROLLBACK_IN_PROGRESS",
                "UPDATE_ROLLBACK_IN_PROGRESS",
                "CREATE_FAILED",
                "UPDATE_FAILED",
            ):
                return event.ResourceStatusReason or event.ResourceStatus
        return child.StackStatusReason or child.StackStatus

    async def _wait_template(self, ctx: Context, props: dict[str, Any]) -> str:
        return await wait_read_template(self._stacks, ctx.services, props)


async def wait_read_template(
    stacks: StackService, services: Services, props: dict[str, Any]
) -> str:
    """The child's template body, from the TemplateURL in `props`."""
    url = str(required(props, "TemplateURL", STACK_TYPE))
    where = location_of(url)
    if where is None:
        raise ResourceFailed(
            f"TemplateURL must be a supported URL: {url} (an S3 URL of this server's "
            "object storage; `stratus deploy` uploads a local template file)"
        )
    try:
        body = await asyncio.to_thread(
            services.artifacts.read_object,
            where.bucket,
            where.key,
            where.version_id,
            MAX_TEMPLATE_BYTES,
        )
    except NoSuchArtifact as exc:
        raise ResourceFailed(f"S3 error: {exc.args[0]} ({url})") from exc
    return body.decode("utf-8", "replace")


def parameters_of(props: dict[str, Any]) -> list[dict[str, Any]]:
    """The child's Parameters, as CreateStack/UpdateStack take them."""
    return _parameters(props)


def _parameters(props: dict[str, Any]) -> list[dict[str, Any]]:
    given = props.get("Parameters") or {}
    if not isinstance(given, dict):
        raise ResourceFailed("Parameters must be a map of parameter names to values")
    return [{"ParameterKey": k, "ParameterValue": text(v)} for k, v in given.items()]


def _timeout(props: dict[str, Any]) -> int | None:
    given = props.get("TimeoutInMinutes")
    if given is None:
        return None
    try:
        minutes = int(str(given))
    except ValueError:
        minutes = 0
    if minutes < 1:
        raise ResourceFailed(f"TimeoutInMinutes must be a positive whole number, not {given!r}")
    return minutes


def _outputs(child: Stack) -> dict[str, Any]:
    return {f"Outputs.{o.OutputKey}": o.OutputValue for o in child.Outputs}


class WithNested(Mapping[str, Provider]):
    """The providers of a stack service: the registry's, and the nested-stack provider that
    needs the service itself."""

    def __init__(self, base: Mapping[str, Provider], nested: NestedStack) -> None:
        self._base = base
        self._nested = nested

    def __getitem__(self, kind: str) -> Provider:
        return self._nested if kind == STACK_TYPE else self._base[kind]

    def __iter__(self) -> Iterator[str]:
        yield STACK_TYPE
        yield from (k for k in self._base if k != STACK_TYPE)

    def __len__(self) -> int:
        return len(self._base) + (STACK_TYPE not in self._base)

    def __contains__(self, kind: object) -> bool:
        return kind == STACK_TYPE or kind in self._base
