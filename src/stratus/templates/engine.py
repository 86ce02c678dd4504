"""The stack engine: applies a plan to a stack's resources, and undoes it when a step fails.

Create and update are one walk in creation order. Per resource, with its properties resolved
against what is already deployed:

    not deployed before, or of another type      create
    same properties                              keep
    changes the provider applies in place        update
    otherwise                                    create a replacement (the old one waits)

A failure stops the walk and rolls back, newest first: created resources are deleted,
updated ones updated back to their previous properties. Only once every resource and output
succeeded are the replaced and removed resources deleted (the cleanup phase; DeletionPolicy
and UpdateReplacePolicy `Retain` keep them). Every step leaves an event, as CloudFormation's
DescribeStackEvents shows them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from stratus.config import Settings
from stratus.errors import Invalid, StratusError
from stratus.services import Services

from . import dynamic_references, intrinsics, placeholders
from .model import Output, Stack, StackResource, now
from .outputs import local_url
from .plan import Plan
from .provider import (
    NO_ECHO_ATTRIBUTE,
    Context,
    Created,
    Provider,
    ResourceFailed,
    text,
    timed_out,
)
from .stack_tags import with_stack_tags
from .store import Applied, StackStore

log = logging.getLogger("stratus.templates")
STACK_TYPE = "AWS::CloudFormation::Stack"


class StepFailed(Exception):
    """A resource failed; `reason` is what its event and the stack's status reason say;
    `partial` what the failed step left that a rollback undoes (see ResourceFailed)."""

    def __init__(self, logical_id: str, reason: str, partial: Created | None = None) -> None:
        super().__init__(reason)
        self.logical_id = logical_id
        self.reason = reason
        self.partial = partial
        self.not_rolled_back: list[str] = []  # resources the rollback failed to undo


@dataclass
class Outcome:
    resources: dict[str, Applied]
    outputs: list[Output]
    exports: dict[str, str]
    replaced: list[tuple[str, Applied]] = field(default_factory=list)


@dataclass
class _Undo:
    logical_id: str
    before: Applied | None  # None: it was created
    after: Applied
    partial: bool = False  # left by a failed step (never recorded)


# The step under way: (logical id, type, resolved properties, DeletionPolicy, deployed before).
_InFlight = tuple[str, str, dict[str, Any], str, Applied | None]


def _partial_undo(step: _InFlight, partial: Created) -> _Undo:
    """What a failed step left, undone as CloudFormation undoes it: a failed creation is
    deleted, a failed in-place update is updated back to the properties it had."""
    logical_id, kind, props, policy, before = step
    after = Applied(kind, partial.physical_id, props, partial.attributes, policy)
    replacing = before is None or before.type != kind or partial.physical_id != before.physical_id
    return _Undo(logical_id, None if replacing else before, after, partial=True)


class Engine:
    def __init__(
        self,
        store: StackStore,
        providers: Mapping[str, Provider],
        settings: Settings,
        services: Services,
    ) -> None:
        self._store = store
        self._providers = providers
        self._settings = settings
        self._services = services

    def context(self, stack: Stack) -> Context:
        return Context(
            self._settings, stack.StackName, stack.StackId, self._services, store=self._store
        )

    # -- create and update ---------------------------------------------------------------
    async def wait_apply(
        self,
        stack: Stack,
        plan: Plan,
        deployed: dict[str, Applied],
        imports: Mapping[str, str],
        verb: str,
        roll_back: Callable[[StepFailed], Awaitable[None]] | None,
        skip: frozenset[str] = frozenset(),
    ) -> Outcome:
        """Deploy `plan` over `deployed`; on failure raise StepFailed, having rolled back
        (after `roll_back(failure)` announced it) unless `roll_back` is None. Resources in
        `skip` stay as deployed, marked UPDATE_COMPLETE (ContinueUpdateRollback's
        ResourcesToSkip)."""
        ctx = self.context(stack)
        clock = self._services.work.clock
        if verb == "CREATE" and stack.TimeoutInMinutes:
            # CreateStack's TimeoutInMinutes: checked before each step, and the steps that
            # wait on something outside (custom resources) stop waiting at it.
            ctx = replace(ctx, deadline=clock.now() + stack.TimeoutInMinutes * 60)
        current: dict[str, Applied] = {}
        undo: list[_Undo] = []
        replaced: list[tuple[str, Applied]] = []
        scope = self._scope(stack, plan, current, imports)
        in_flight: _InFlight | None = None
        try:
            for logical_id in plan.order:
                definition = plan.resources[logical_id]
                kind = definition["Type"]
                provider = self._providers[kind]
                if ctx.deadline is not None and clock.now() >= ctx.deadline:
                    raise StepFailed(logical_id, timed_out(stack.TimeoutInMinutes))
                props = with_stack_tags(
                    kind,
                    self._resolve(logical_id, definition.get("Properties") or {}, scope),
                    {t.Key: t.Value for t in stack.Tags},
                )
                before = deployed.get(logical_id)
                if before is not None and logical_id in skip:
                    current[logical_id] = before
                    await self._record(stack, logical_id, before, "UPDATE_COMPLETE")
                    continue
                policy = str(definition.get("DeletionPolicy", "Delete"))
                if (
                    before
                    and before.type == kind
                    and before.properties == props
                    and not provider.always_update
                ):
                    current[logical_id] = before
                    continue
                in_flight = (logical_id, kind, props, policy, before)
                if (
                    before
                    and before.type == kind
                    and not provider.needs_replacement(before.properties, props)
                ):
                    await self._event(
                        stack, logical_id, kind, "UPDATE_IN_PROGRESS", before.physical_id
                    )
                    made = await self._step(
                        logical_id,
                        self._wait_update(
                            provider,
                            ctx.of(logical_id, kind),
                            Created(before.physical_id, before.attributes),
                            before.properties,
                            props,
                        ),
                    )
                    after = Applied(kind, made.physical_id, props, made.attributes, policy)
                    status = "UPDATE_COMPLETE"
                    if made.physical_id != before.physical_id:  # a custom resource's new id
                        replaced.append((logical_id, before))
                else:
                    reason = (
                        "Requested update requires the creation of a new physical resource; "
                        "hence creating one."
                        if before
                        else None
                    )
                    await self._event(stack, logical_id, kind, "CREATE_IN_PROGRESS", reason=reason)
                    made = await self._step(
                        logical_id,
                        self._wait_create(provider, ctx.of(logical_id, kind), props),
                    )
                    after = Applied(kind, made.physical_id, props, made.attributes, policy)
                    if before:
                        replaced.append((logical_id, before))
                    status = "CREATE_COMPLETE"
                current[logical_id] = after
                undo.append(
                    _Undo(logical_id, before if status == "UPDATE_COMPLETE" else None, after)
                )
                in_flight = None
                await self._record(stack, logical_id, after, status)
            outputs, exports = self._outputs(plan, scope, current)
        except StepFailed as failure:
            if failure.partial is not None and in_flight is not None:
                undo.append(_partial_undo(in_flight, failure.partial))
            kind = plan.resources.get(failure.logical_id, {}).get("Type", STACK_TYPE)
            previous = deployed.get(failure.logical_id)
            # A resource an update adds (or whose type changes) fails creating, as on AWS.
            step = "CREATE" if previous is None or previous.type != kind else verb
            await self._event(
                stack, failure.logical_id, kind, f"{step}_FAILED", reason=failure.reason
            )
            if roll_back is not None:
                await roll_back(failure)
                failure.not_rolled_back = await self._wait_roll_back(stack, undo, deployed)
            raise
        for logical_id in plan.skipped:
            await self._event(
                stack, logical_id, plan.resources[logical_id]["Type"], "CREATE_SKIPPED",
                reason="Stratus does not support this resource type yet; Ref and Fn::GetAtt "
                "to it give placeholders of AWS's shape",
            )  # fmt: skip
        return Outcome(current, outputs, exports, replaced)

    async def _wait_roll_back(
        self, stack: Stack, undo: list[_Undo], deployed: dict[str, Applied]
    ) -> list[str]:
        """Undo `undo`, newest first; answers the resources that could not be updated back."""
        ctx = self.context(stack)
        failed: list[str] = []
        for step in reversed(undo):
            provider = self._providers[step.after.type]
            if step.before is None and step.partial:  # failed while created: only deleted
                await self._wait_delete(stack, step.logical_id, step.after, ctx)
                previous = deployed.get(step.logical_id)
                if previous is not None:
                    await self._record(stack, step.logical_id, previous, "UPDATE_COMPLETE")
                continue
            if step.before is None:
                await self._wait_delete(stack, step.logical_id, step.after, ctx)
                previous = deployed.get(step.logical_id)
                if previous is not None:  # a replacement: the old one is still there
                    await self._record(stack, step.logical_id, previous, "UPDATE_COMPLETE")
                continue
            before = step.before
            await self._event(
                stack, step.logical_id, before.type, "UPDATE_IN_PROGRESS", before.physical_id
            )
            try:
                await self._wait_update(
                    provider,
                    replace(ctx.of(step.logical_id, before.type), rolling_back=True),
                    Created(step.after.physical_id, step.after.attributes),
                    step.after.properties,
                    before.properties,
                )
            except StratusError as exc:
                await self._event(
                    stack,
                    step.logical_id,
                    before.type,
                    "UPDATE_FAILED",
                    before.physical_id,
                    exc.message,
                )
                failed.append(step.logical_id)
                continue
            await self._record(stack, step.logical_id, before, "UPDATE_COMPLETE")
        return failed

    # -- delete --------------------------------------------------------------------------
    async def wait_delete_all(
        self, stack: Stack, deployed: dict[str, Applied], order: list[str]
    ) -> list[str]:
        """Delete resources in reverse creation order; answers the ones that failed."""
        ctx = self.context(stack)
        failed = []
        for logical_id in reversed(order):
            applied = deployed.get(logical_id)
            if applied is None:
                continue
            if not await self._wait_delete(stack, logical_id, applied, ctx):
                failed.append(logical_id)
        return failed

    async def _wait_delete(
        self, stack: Stack, logical_id: str, applied: Applied, ctx: Context
    ) -> bool:
        if applied.deletion_policy == "Retain":
            await self._event(
                stack, logical_id, applied.type, "DELETE_SKIPPED", applied.physical_id
            )
            await self._store.drop_resource(stack.StackId, logical_id)
            return True
        await self._event(
            stack, logical_id, applied.type, "DELETE_IN_PROGRESS", applied.physical_id
        )
        provider = self._providers.get(applied.type)
        try:
            if provider is not None:
                await provider.wait_delete(
                    ctx.of(logical_id, applied.type), applied.physical_id, applied.properties
                )
        except StratusError as exc:
            await self._event(
                stack, logical_id, applied.type, "DELETE_FAILED", applied.physical_id, exc.message
            )
            await self._record(stack, logical_id, applied, "DELETE_FAILED", exc.message)
            return False
        await self._event(stack, logical_id, applied.type, "DELETE_COMPLETE", applied.physical_id)
        await self._store.drop_resource(stack.StackId, logical_id)
        return True

    async def wait_clean_up(
        self,
        stack: Stack,
        replaced: list[tuple[str, Applied]],
        removed: dict[str, Applied],
        old_order: list[str],
        policies: Mapping[str, str],
    ) -> None:
        """After a successful update: the old physical resources of replacements, then the
        resources the new template no longer has (reverse of their creation order)."""
        ctx = self.context(stack)
        for logical_id, applied in reversed(replaced):
            keep = policies.get(logical_id) == "Retain" or applied.deletion_policy == "Retain"
            await self._wait_delete_replaced(stack, logical_id, applied, ctx, keep)
        for logical_id in reversed(old_order):
            if logical_id in removed:
                await self._wait_delete(stack, logical_id, removed[logical_id], ctx)

    async def wait_restore(self, stack: Stack, logical_id: str, applied: Applied) -> None:
        """The resource row describes `applied` again (a held replacement undone)."""
        await self._record(stack, logical_id, applied, "UPDATE_COMPLETE")

    async def _wait_delete_replaced(
        self, stack: Stack, logical_id: str, applied: Applied, ctx: Context, keep: bool
    ) -> None:
        """The resource row now describes the replacement: only events tell of the old one."""
        if keep:
            return
        await self._event(
            stack, logical_id, applied.type, "DELETE_IN_PROGRESS", applied.physical_id
        )
        try:
            await self._providers[applied.type].wait_delete(
                ctx.of(logical_id, applied.type), applied.physical_id, applied.properties
            )
        except StratusError as exc:
            await self._event(
                stack, logical_id, applied.type, "DELETE_FAILED", applied.physical_id, exc.message
            )
            return
        await self._event(stack, logical_id, applied.type, "DELETE_COMPLETE", applied.physical_id)

    # -- pieces --------------------------------------------------------------------------
    def _scope(
        self, stack: Stack, plan: Plan, current: dict[str, Applied], imports: Mapping[str, str]
    ) -> intrinsics.Scope:
        where = (stack.StackName, self._settings.region, self._settings.account_id)

        def ref(logical_id: str) -> Any:
            if logical_id in plan.skipped:  # --skip-unsupported: a value of AWS's shape
                kind = plan.skipped[logical_id]
                return placeholders.ref(kind, where[0], logical_id, *where[1:])
            return current[logical_id].physical_id

        def get_att(logical_id: str, attribute: str) -> Any:
            if logical_id in plan.skipped:
                kind = plan.skipped[logical_id]
                return placeholders.attribute(kind, attribute, where[0], logical_id, *where[1:])
            attributes = current[logical_id].attributes
            if attribute not in attributes:
                raise Invalid(
                    f"Template error: resource {logical_id} does not support attribute type "
                    f"{attribute} in Fn::GetAtt"
                )
            return attributes[attribute]

        def import_value(name: str) -> Any:
            if name not in imports:
                raise Invalid(f"No export named {name} found.")
            return imports[name]

        return intrinsics.Scope(
            parameters=plan.parameters,
            conditions=plan.conditions,
            mappings=plan.template.get("Mappings") or {},
            ref=ref,
            get_att=get_att,
            import_value=import_value,
        )

    def _resolve(self, logical_id: str, value: Any, scope: intrinsics.Scope) -> Any:
        try:
            return intrinsics.resolve(value, scope)
        except StratusError as exc:
            raise StepFailed(logical_id, exc.message) from exc

    def _outputs(
        self, plan: Plan, scope: intrinsics.Scope, current: Mapping[str, Applied]
    ) -> tuple[list[Output], dict[str, str]]:
        outputs, exports = [], {}
        # A custom resource that answered NoEcho: outputs made from it are masked.
        masked = {k for k, a in current.items() if a.attributes.get(NO_ECHO_ATTRIBUTE)}
        for key, declared in (plan.template.get("Outputs") or {}).items():
            condition = declared.get("Condition")
            if condition is not None and not plan.conditions.get(condition, False):
                continue
            value = text(self._resolve(key, declared.get("Value"), scope))
            if masked and _attributes_used(declared.get("Value")) & masked:
                value = "*****"
            export = declared.get("Export")
            name = text(self._resolve(key, export.get("Name"), scope)) if export else None
            if name:
                exports[name] = value
            description = declared.get("Description")
            outputs.append(
                Output(OutputKey=key, OutputValue=value, Description=description, ExportName=name)
            )
        return outputs, exports

    def described(self, outputs: list[Output]) -> list[Output]:
        """Outputs as DescribeStacks shows them (see outputs.py)."""
        if self._settings.aws_output_urls:
            return outputs
        endpoint = self._settings.endpoint_url
        return [
            o.model_copy(update={"OutputValue": local_url(o.OutputValue, endpoint)})
            for o in outputs
        ]

    async def _wait_create(
        self, provider: Provider, ctx: Context, props: dict[str, Any]
    ) -> Created:
        """Create with the template's dynamic references read (dynamic_references.py)."""
        resolved = await self._wait_references(props)
        return await provider.wait_create(ctx, ctx.logical_id, resolved)

    async def _wait_update(
        self,
        provider: Provider,
        ctx: Context,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        old, new = await self._wait_references(old), await self._wait_references(new)
        return await provider.wait_update(ctx, ctx.logical_id, current, old, new)

    async def _wait_references(self, props: dict[str, Any]) -> dict[str, Any]:
        if not dynamic_references.has_references(props):
            return props
        resolved: dict[str, Any] = await dynamic_references.wait_resolve(props, self._services)
        return resolved

    async def _step(self, logical_id: str, work: Awaitable[Created]) -> Created:
        try:
            return await work
        except ResourceFailed as exc:
            raise StepFailed(logical_id, exc.message, exc.partial) from exc
        except StratusError as exc:
            raise StepFailed(logical_id, exc.message) from exc
        except (KeyError, TypeError, ValueError) as exc:  # a property of the wrong shape
            log.info("resource %s failed: %r", logical_id, exc)
            raise StepFailed(logical_id, f"Invalid properties: {exc}") from exc

    async def _event(
        self,
        stack: Stack,
        logical_id: str,
        kind: str,
        status: str,
        physical_id: str | None = None,
        reason: str | None = None,
    ) -> None:
        await self._store.add_event(
            stack,
            logical_id,
            kind,
            status,
            PhysicalResourceId=physical_id,
            ResourceStatusReason=reason,
        )

    async def _record(
        self,
        stack: Stack,
        logical_id: str,
        applied: Applied,
        status: str,
        reason: str | None = None,
    ) -> None:
        record = StackResource(
            StackName=stack.StackName,
            StackId=stack.StackId,
            LogicalResourceId=logical_id,
            PhysicalResourceId=applied.physical_id,
            ResourceType=applied.type,
            Timestamp=now(),
            ResourceStatus=status,
            ResourceStatusReason=reason,
        )
        await self._store.put_resource(record, applied)
        if status.endswith("_COMPLETE"):
            await self._event(stack, logical_id, applied.type, status, applied.physical_id)


def _attributes_used(value: Any) -> set[str]:
    """The resources whose attributes `value` reads (Fn::GetAtt, `${Res.Attr}` in Fn::Sub)."""
    if isinstance(value, list):
        return set().union(*(_attributes_used(v) for v in value)) if value else set()
    if not isinstance(value, dict):
        return set()
    found: set[str] = set()
    for key, inner in value.items():
        if key == "Fn::GetAtt":
            target = inner[0] if isinstance(inner, list) and inner else str(inner).split(".")[0]
            found.add(str(target))
        elif key == "Fn::Sub":
            source = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(source, str):
                found |= set(re.findall(r"\$\{([A-Za-z0-9]+)\.", source))
        found |= _attributes_used(inner)
    return found
