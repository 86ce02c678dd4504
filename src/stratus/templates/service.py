"""The stack service: CloudFormation's operations, whichever interface calls them (the
CloudFormation API for boto3 and the aws CLI; `stratus deploy` and `stratus up` go through it).

A call validates everything it can first (plan.py) and answers at once; the work runs in the
background, one operation per stack at a time, and is followed through DescribeStacks and
DescribeStackEvents, as on AWS:

    CreateStack  CREATE_IN_PROGRESS -> CREATE_COMPLETE | (rollback) ROLLBACK_COMPLETE
                 (DisableRollback / OnFailure=DO_NOTHING: CREATE_FAILED; OnFailure=DELETE)
    UpdateStack  UPDATE_IN_PROGRESS -> UPDATE_COMPLETE_CLEANUP_IN_PROGRESS -> UPDATE_COMPLETE
                 | UPDATE_ROLLBACK_IN_PROGRESS -> UPDATE_ROLLBACK_COMPLETE
    DeleteStack  DELETE_IN_PROGRESS -> DELETE_COMPLETE | DELETE_FAILED

A stack left in progress by a server that stopped is settled at the next start: a creation
rolls back (its recorded resources are deleted), a rollback or deletion goes on (deleting is
safe to repeat); an update is marked UPDATE_ROLLBACK_FAILED (resuming half of one could
repeat a step that is not idempotent). A resource whose creation was cut off before the
engine recorded it is not known, and so not deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from stratus.config import Settings
from stratus.errors import Invalid, NotFound, StratusError
from stratus.objects.locations import location_of
from stratus.services import Services
from stratus.store.artifacts import ArtifactStore, NoSuchArtifact
from stratus.store.db import Database

from . import include, loader, notifications
from . import policy as stack_policy
from .change_sets import ChangeSets
from .changes import resolved_properties, resource_changes
from .deferred_cleanup import Cleanup, DeferredCleanups
from .engine import STACK_TYPE, Engine, StepFailed
from .model import (
    Export,
    Parameter,
    ParameterDeclaration,
    Stack,
    StackEvent,
    StackResource,
    StackSummary,
    StackTemplateSummary,
    Tag,
    TemplateParameter,
    TemplateSummary,
    now,
)
from .nested import NestedStack, WithNested
from .nested import parameters_of as nested_params
from .nested import wait_read_template as nested_template
from .operations import operation_events
from .parameters import SSM_TYPE, ssm_names
from .plan import Identity, Plan, prepare
from .provider import Provider, tag_map, text
from .sam import transforms
from .store import Applied, StackStore

log = logging.getLogger("stratus.templates")
SKIP_UNSUPPORTED_TAG = "stratus:skip-unsupported"
_NAME = r"^[a-zA-Z][-a-zA-Z0-9]{0,127}$"
_INTERRUPTED = {
    "CREATE_IN_PROGRESS": "CREATE_FAILED",
    "ROLLBACK_IN_PROGRESS": "ROLLBACK_FAILED",
    "UPDATE_IN_PROGRESS": "UPDATE_ROLLBACK_FAILED",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS": "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_IN_PROGRESS": "UPDATE_ROLLBACK_FAILED",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": "UPDATE_ROLLBACK_COMPLETE",
    "DELETE_IN_PROGRESS": "DELETE_FAILED",
}
# Interrupted operations that end by deleting, finished at the next start.
_UNDONE_AT_START = ("CREATE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "DELETE_IN_PROGRESS")
_UPDATABLE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE")


@dataclass
class Update:
    """An update planned and checked, not yet started."""

    stack: Stack  # with the new tags and capabilities
    plan: Plan
    template_body: str
    processed: dict[str, Any]  # the deployed template, processed
    state: dict[str, Any]  # the deployed state
    unchanged: bool  # nothing to do: UpdateStack refuses, a change set fails


class StackService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        providers: Mapping[str, Provider],
        services: Services,
        artifacts: ArtifactStore,
    ) -> None:
        self._settings = settings
        self._store = StackStore(db)
        self._store.on_event = functools.partial(notifications.wait_publish, services)
        providers = WithNested(providers, NestedStack(self))
        self._providers = providers
        self._engine = Engine(self._store, providers, settings, services)
        self._services = services
        self._artifacts = artifacts
        self._work: asyncio.Queue[Callable[[], Coroutine[Any, Any, None]]] = asyncio.Queue()
        self._busy: set[str] = set()  # stack ids with an operation under way
        self._held = DeferredCleanups()  # nested stacks' cleanups, for their root's
        self.change_sets = ChangeSets(self)

    @property
    def store(self) -> StackStore:
        return self._store

    @property
    def region_and_account(self) -> tuple[str, str]:
        return self._settings.region, self._settings.account_id

    # -- background work -----------------------------------------------------------------
    async def wait_run_forever(self) -> None:
        async with asyncio.TaskGroup() as tasks:
            # Settling runs beside the loop: settling a parent deletes its nested stacks,
            # which is work for this loop.
            tasks.create_task(self._wait_mark_interrupted())
            while True:
                tasks.create_task((await self._work.get())())

    async def _wait_mark_interrupted(self) -> None:
        for stack in await self._store.stacks(deleted=False):
            pending = await self._store.pending_requests(stack.StackId)
            if stack.StackStatus == "CREATE_IN_PROGRESS" and "Create" in pending:
                # A custom resource was awaiting its answer: the creation goes on.
                self._start(stack.StackId, functools.partial(self._wait_resume_create, stack))
            elif stack.StackStatus in _UNDONE_AT_START and not stack.DisableRollback:
                # Children settle first (newer rows); a parent waits for them when it deletes.
                self._start(stack.StackId, functools.partial(self._wait_finish_interrupted, stack))
            elif stack.StackStatus in _INTERRUPTED:
                await self._store.drop_pending_requests(stack.StackId)
                status = _INTERRUPTED[stack.StackStatus]
                reason = "Stratus stopped during this operation"
                await self._set_status(stack, status, reason)
            await self.change_sets.mark_interrupted(stack)

    async def _wait_resume_create(self, stack: Stack) -> None:
        """Go on with a creation cut off while a custom resource awaited its answer: the
        walk keeps what was recorded and waits for the same request again (its answer goes
        to the same key); a failure rolls back everything, recorded before the stop or not."""
        template, _, state = await self._store.documents(stack.StackId)
        try:
            plan = await self._wait_plan(
                stack.StackName, stack.StackId, template, state.get("given") or {}, None,
                stack.Capabilities, stack.Tags,
            )  # fmt: skip
        except StratusError:
            await self._wait_finish_interrupted(stack)
            return
        deployed = await self._deployed(stack)

        async def roll_back(failure: StepFailed) -> None:
            await self._set_status(stack, "ROLLBACK_IN_PROGRESS", _reason(failure, "create"))

        keep = stack.DisableRollback
        try:
            outcome = await self._engine.wait_apply(
                stack, plan, deployed, await self._imports(), "CREATE", None if keep else roll_back
            )
            await self._store.replace_exports(stack.StackId, outcome.exports)
        except StepFailed as failure:
            if keep:
                await self._set_status(stack, "CREATE_FAILED", _reason(failure, "create"))
                return
            rest = await self._deployed(stack)
            order = plan.order + [k for k in rest if k not in plan.order]
            failed = await self._engine.wait_delete_all(stack, rest, order)
            if failed:
                reason = "The following resource(s) failed to delete: [" + ", ".join(failed)
                await self._set_status(stack, "ROLLBACK_FAILED", reason + "]. ")
                return
            await self._set_status(stack, "ROLLBACK_COMPLETE", None)
            return
        stack.Outputs = outcome.outputs
        await self._set_status(stack, "CREATE_COMPLETE", None)

    async def _wait_finish_interrupted(self, stack: Stack) -> None:
        """A creation (or its rollback) cut off by a stop rolls back, and a deletion goes on:
        both only delete, which is safe to repeat (a resource already gone counts as
        deleted), so nothing half-made stays behind as CREATE_FAILED."""
        _, _, state = await self._store.documents(stack.StackId)
        order = state.get("order") or []
        if stack.StackStatus == "DELETE_IN_PROGRESS":
            await self._wait_delete(stack, order)
            return
        if stack.StackStatus == "CREATE_IN_PROGRESS":
            reason = "Stratus stopped during this operation; rolling back what was created"
            await self._set_status(stack, "ROLLBACK_IN_PROGRESS", reason)
        deployed = await self._deployed(stack)
        failed = await self._engine.wait_delete_all(
            stack, deployed, order + [k for k in deployed if k not in order]
        )
        await self._wait_delete_orphans(stack, deployed)
        if failed:
            reason = "The following resource(s) failed to delete: [" + ", ".join(failed) + "]. "
            await self._set_status(stack, "ROLLBACK_FAILED", reason)
            return
        await self._set_status(stack, "ROLLBACK_COMPLETE", None)

    async def _wait_delete_orphans(self, stack: Stack, deployed: dict[str, Applied]) -> None:
        """Nested stacks whose creation the stop cut off before the parent recorded them
        (they settled first: children are newer) go with the parent's rollback."""
        recorded = {applied.physical_id for applied in deployed.values()}
        for child in await self._store.stacks(deleted=False):
            if child.ParentId != stack.StackId or child.StackId in recorded:
                continue
            child = await self.wait_rest(child.StackId)  # settling (or resuming) itself
            if child.StackStatus == "DELETE_COMPLETE":
                continue
            _, _, state = await self._store.documents(child.StackId)
            await self._set_status(child, "DELETE_IN_PROGRESS", "Parent stack rolled back")
            await self._wait_delete(child, state.get("order") or [])

    def _start(self, stack_id: str, work: Callable[[], Awaitable[None]]) -> None:
        self._busy.add(stack_id)

        async def run() -> None:
            try:
                await work()
            finally:
                self._busy.discard(stack_id)

        self._work.put_nowait(run)

    # -- operations ----------------------------------------------------------------------
    async def create_stack(
        self,
        name: str,
        template_body: str,
        parameters: list[dict[str, Any]],
        capabilities: list[str],
        tags: list[dict[str, Any]],
        disable_rollback: bool = False,
        on_failure: str | None = None,
        termination_protection: bool = False,
        *,
        timeout_in_minutes: int | None = None,
        notification_arns: list[str] | None = None,
        parent_id: str | None = None,
        root_id: str | None = None,
    ) -> str:
        _check_name(name)
        if on_failure is not None and disable_rollback:
            raise Invalid("You cannot specify both DisableRollback and OnFailure.")
        stack_id = self.new_stack_id(name)
        stack_tags = _tags(tags)
        plan = await self._wait_plan(
            name, stack_id, template_body, _given(parameters), None, capabilities, stack_tags
        )
        stack = Stack(
            StackId=stack_id,
            StackName=name,
            CreationTime=now(),
            StackStatus="CREATE_IN_PROGRESS",
            EnableTerminationProtection=termination_protection,
            TimeoutInMinutes=timeout_in_minutes,
            NotificationARNs=notification_arns or [],
            ParentId=parent_id,
            RootId=root_id,
        )
        await self._store.insert(stack, template_body)
        await self.launch_create(
            stack, plan, template_body, capabilities, stack_tags, disable_rollback, on_failure
        )
        return stack_id

    async def plan_create(
        self,
        name: str,
        stack_id: str,
        template_body: str,
        parameters: list[dict[str, Any]],
        capabilities: list[str],
        tags: list[dict[str, Any]],
    ) -> Plan:
        _check_name(name)
        given = _given(parameters)
        return await self._wait_plan(
            name, stack_id, template_body, given, None, capabilities, _tags(tags)
        )

    async def insert_for_review(self, name: str, stack_id: str) -> Stack:
        """The stack a CREATE change set makes: no template applied, no resources."""
        stack = Stack(
            StackId=stack_id,
            StackName=name,
            CreationTime=now(),
            StackStatus="REVIEW_IN_PROGRESS",
            StackStatusReason="User Initiated",
        )
        await self._store.insert(stack, "{}")
        await self._store.add_event(
            stack, name, STACK_TYPE, "REVIEW_IN_PROGRESS",
            PhysicalResourceId=stack_id, ResourceStatusReason="User Initiated",
        )  # fmt: skip
        return stack

    def described_parameters(self, plan: Plan) -> list[Parameter]:
        return self._parameters(plan)

    def tags_of(self, tags: list[dict[str, Any]] | None, stack: Stack) -> list[Tag]:
        """A request's tags; absent keeps the stack's."""
        return stack.Tags if tags is None else _tags(tags)

    def new_stack_id(self, name: str) -> str:
        return (
            f"arn:aws:cloudformation:{self._settings.region}:{self._settings.account_id}:"
            f"stack/{name}/{uuid.uuid4()}"
        )

    async def launch_create(
        self,
        stack: Stack,
        plan: Plan,
        template_body: str,
        capabilities: list[str],
        tags: list[Tag],
        disable_rollback: bool,
        on_failure: str | None,
        then: Callable[[Stack], Awaitable[None]] | None = None,
    ) -> None:
        """Start creating `stack` (inserted, or waiting in REVIEW_IN_PROGRESS) from `plan`;
        `then(stack)` runs once the operation ended, whichever way."""
        stack.Description = plan.template.get("Description")
        stack.Parameters = self._parameters(plan)
        stack.DisableRollback = disable_rollback or on_failure == "DO_NOTHING"
        stack.Capabilities = capabilities
        stack.Tags = tags
        stack.StackStatus = "CREATE_IN_PROGRESS"
        stack.StackStatusReason = "User Initiated"
        await self._store.save(
            stack, template=template_body, processed=plan.template, state=_state(plan)
        )
        await self._store.add_event(
            stack, stack.StackName, STACK_TYPE, "CREATE_IN_PROGRESS",
            PhysicalResourceId=stack.StackId, ResourceStatusReason="User Initiated",
        )  # fmt: skip
        self._start(
            stack.StackId, lambda: _then(self._wait_create(stack, plan, on_failure), stack, then)
        )

    async def _wait_create(self, stack: Stack, plan: Plan, on_failure: str | None) -> None:
        async def roll_back(failure: StepFailed) -> None:
            await self._set_status(stack, "ROLLBACK_IN_PROGRESS", _reason(failure, "create"))

        try:
            outcome = await self._engine.wait_apply(
                stack, plan, {}, await self._imports(), "CREATE",
                None if stack.DisableRollback else roll_back,
            )  # fmt: skip
            await self._store.replace_exports(stack.StackId, outcome.exports)
        except StepFailed as failure:
            if stack.DisableRollback:
                await self._set_status(stack, "CREATE_FAILED", _reason(failure, "create"))
                return
            await self._set_status(stack, "ROLLBACK_COMPLETE", None)
            if on_failure == "DELETE":
                await self._set_status(stack, "DELETE_COMPLETE", None, deleted=True)
            return
        stack.Outputs = outcome.outputs
        await self._set_status(stack, "CREATE_COMPLETE", None)

    async def update_stack(
        self,
        name: str,
        template_body: str | None,
        use_previous_template: bool,
        parameters: list[dict[str, Any]],
        capabilities: list[str],
        tags: list[dict[str, Any]] | None,
        policy_during_update: str | None = None,
        notification_arns: list[str] | None = None,
    ) -> str:
        update = await self.plan_update(
            name, template_body, use_previous_template, parameters, capabilities, tags
        )
        if notification_arns is not None:  # absent keeps the stack's topics; [] removes them
            update.unchanged &= notification_arns == update.stack.NotificationARNs
            update.stack.NotificationARNs = notification_arns
        if update.unchanged:
            raise Invalid("No updates are to be performed.")
        await self.launch_update(update, policy_during_update=policy_during_update)
        return update.stack.StackId

    async def plan_update(
        self,
        name: str,
        template_body: str | None,
        use_previous_template: bool,
        parameters: list[dict[str, Any]],
        capabilities: list[str],
        tags: list[dict[str, Any]] | None,
    ) -> Update:
        """Everything an update checks before it changes anything."""
        stack = await self._store.find(name)
        self._check_idle(stack, "updated")
        if stack.StackStatus not in _UPDATABLE:
            raise Invalid(
                f"Stack:{stack.StackId} is in {stack.StackStatus} state and can not be updated."
            )
        original, processed, state = await self._store.documents(stack.StackId)
        if template_body is None:
            if not use_previous_template:
                raise Invalid("Either Template URL or Template Body must be specified.")
            template_body = original
        stack_tags = stack.Tags if tags is None else _tags(tags)
        plan = await self._wait_plan(
            stack.StackName, stack.StackId, template_body, _given(parameters),
            _previous_values(processed, state), capabilities, stack_tags,
        )  # fmt: skip
        unchanged = (
            not any(d.get("Type") == STACK_TYPE for d in plan.resources.values())
            and plan.template == processed
            and plan.given == state.get("given")
            and stack_tags == stack.Tags
        )
        stack = stack.model_copy(update={"Tags": stack_tags, "Capabilities": capabilities})
        return Update(stack, plan, template_body, processed, state, unchanged)

    async def launch_update(
        self,
        update: Update,
        then: Callable[[Stack], Awaitable[None]] | None = None,
        policy_during_update: str | None = None,
    ) -> None:
        stack = update.stack
        denied = await self._denied(update, policy_during_update)
        await self._set_status(stack, "UPDATE_IN_PROGRESS", "User Initiated")
        old_order = update.state.get("order") or []

        def work() -> Awaitable[None]:  # made when it runs: never an unawaited coroutine
            if denied is not None:
                return self._wait_refuse_update(stack, update, *denied)
            return self._wait_update(
                stack, update.plan, update.template_body, update.processed, update.state,
                old_order,
            )  # fmt: skip

        self._start(stack.StackId, lambda: _then(work(), stack, then))

    async def changes(self, update: Update) -> list[dict[str, Any]]:
        """What the update would do, as a change set lists it."""
        return resource_changes(
            update.plan,
            update.processed,
            await self._deployed(update.stack),
            update.state.get("given") or {},
            self._providers,
            await self._imports(),
            {t.Key: t.Value for t in update.stack.Tags},
        )

    async def nested_updates(
        self, update: Update, changes: list[dict[str, Any]]
    ) -> list[tuple[str, str, str, list[dict[str, Any]]]]:
        """The nested stacks `update` modifies, as (logical id, child stack id, the template
        and parameters the child would be updated with): what IncludeNestedStacks lists."""
        deployed = await self._deployed(update.stack)
        modified = {
            c["ResourceChange"]["LogicalResourceId"]
            for c in changes
            if c["ResourceChange"]["Action"] == "Modify"
            and c["ResourceChange"]["ResourceType"] == STACK_TYPE
            and c["ResourceChange"].get("Replacement", "False") == "False"
        }
        found = []
        for logical_id in update.plan.order:
            if logical_id not in modified:
                continue
            props = resolved_properties(
                update.plan, logical_id, deployed, changes, await self._imports()
            )
            if props is None:
                raise Invalid(
                    f"The nested stack {logical_id}'s properties refer to values known only "
                    "once the change set executes; create the change set without "
                    "IncludeNestedStacks"
                )
            try:
                body = await nested_template(self, self._services, props)
            except StratusError as exc:
                raise Invalid(f"{logical_id}: {exc.message}") from exc
            found.append((logical_id, deployed[logical_id].physical_id, body, nested_params(props)))
        return found

    async def _denied(self, update: Update, during_update: str | None) -> tuple[str, str] | None:
        """(logical id, reason) of the first change the stack policy refuses."""
        body = during_update or await self._store.policy(update.stack.StackId)
        if body is None:
            return None
        document = stack_policy.parse(body)
        for change in await self.changes(update):
            reason = stack_policy.denial(document, change["ResourceChange"])
            if reason is not None:
                return change["ResourceChange"]["LogicalResourceId"], reason
        return None

    async def _wait_refuse_update(
        self, stack: Stack, update: Update, logical_id: str, reason: str
    ) -> None:
        """An update the stack policy refuses fails on that resource and rolls back, as on AWS
        (nothing was changed, so the rollback has nothing to undo)."""
        kind = update.plan.resources.get(logical_id, {}).get("Type") or next(
            (r.ResourceType for r, _ in await self._store.resources(stack.StackId)
             if r.LogicalResourceId == logical_id),
            STACK_TYPE,
        )  # fmt: skip
        await self._store.add_event(
            stack, logical_id, kind, "UPDATE_FAILED", ResourceStatusReason=reason
        )
        failed = f"The following resource(s) failed to update: [{logical_id}]. "
        await self._set_status(stack, "UPDATE_ROLLBACK_IN_PROGRESS", failed)
        await self._set_status(stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", None)
        await self._set_status(stack, "UPDATE_ROLLBACK_COMPLETE", None)

    async def set_stack_policy(self, name: str, body: str) -> None:
        stack = await self._store.find(name)
        stack_policy.parse(body)
        await self._store.set_policy(stack.StackId, body)

    async def get_stack_policy(self, name: str) -> str | None:
        stack = await self._store.find(name)
        return await self._store.policy(stack.StackId)

    async def update_termination_protection(self, name: str, enabled: bool) -> str:
        stack = await self._store.find(name)
        stack.EnableTerminationProtection = enabled
        await self._store.save(stack)
        return stack.StackId

    async def _wait_update(
        self,
        stack: Stack,
        plan: Plan,
        template_body: str,
        old_template: dict[str, Any],
        old_state: dict[str, Any],
        old_order: list[str],
    ) -> None:
        deployed = await self._deployed(stack)

        async def roll_back(failure: StepFailed) -> None:
            await self._set_status(stack, "UPDATE_ROLLBACK_IN_PROGRESS", _reason(failure, "update"))

        try:
            outcome = await self._engine.wait_apply(
                stack, plan, deployed, await self._imports(), "UPDATE", roll_back
            )
            await self._store.replace_exports(stack.StackId, outcome.exports)
        except StepFailed as failure:
            if failure.not_rolled_back:  # ContinueUpdateRollback takes it from here
                # What the tree holds stays held: for ContinueUpdateRollback's cleanup phase,
                # or the root's deletion (_wait_continue_rollback, _wait_delete).
                await self._set_status(stack, "UPDATE_ROLLBACK_FAILED", _unrolled(failure))
                return
            await self._set_status(stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", None)
            await self._wait_clean_up_held(stack)
            await self._set_status(stack, "UPDATE_ROLLBACK_COMPLETE", None)
            return
        stack.Outputs = outcome.outputs
        stack.Parameters = self._parameters(plan)
        stack.Description = plan.template.get("Description")
        stack.LastUpdatedTime = now()
        await self._store.save(
            stack, template=template_body, processed=plan.template, state=_state(plan)
        )
        await self._set_status(stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None)
        removed = {k: v for k, v in deployed.items() if k not in outcome.resources}
        policies = {
            k: str(d.get("UpdateReplacePolicy", "Delete")) for k, d in plan.resources.items()
        }
        cleanup = Cleanup(stack.StackId, outcome.replaced, removed, old_order, policies)
        if stack.RootId and stack.RootId in self._busy:
            self._held.hold(stack.RootId, cleanup)  # deleted in the root's cleanup phase
        else:
            await self._wait_clean_up(stack, cleanup)
        await self._wait_clean_up_held(stack)
        await self._set_status(stack, "UPDATE_COMPLETE", None)

    async def _wait_clean_up(self, stack: Stack, cleanup: Cleanup) -> None:
        await self._engine.wait_clean_up(
            stack, cleanup.replaced, cleanup.removed, cleanup.old_order, cleanup.policies
        )

    async def _wait_clean_up_held(self, stack: Stack) -> None:
        """A root's cleanup phase: its nested stacks' cleanups too (deferred_cleanup.py)."""
        if stack.RootId:
            return
        for cleanup in self._held.take(stack.StackId):
            try:
                child = await self._store.find(cleanup.stack_id)
            except (Invalid, NotFound):
                continue
            if child.StackStatus != "DELETE_COMPLETE":  # (deleted meanwhile, with them all)
                await self._wait_clean_up(child, cleanup)

    async def wait_undo_held_update(self, child_id: str) -> None:
        """A nested stack's update, whose cleanup its root holds, is being rolled back: its
        replaced resources are the originals again (deferred_cleanup.py)."""
        child = await self._store.find(child_id)

        async def restore(logical_id: str, original: Applied) -> None:
            await self._engine.wait_restore(child, logical_id, original)

        await self._held.wait_undo_replacements(child, await self._deployed(child), restore)

    async def continue_update_rollback(self, name: str, resources_to_skip: list[str]) -> str:
        """ContinueUpdateRollback: a stack left UPDATE_ROLLBACK_FAILED (a resource could not be
        updated back, or the server stopped mid-update) goes back to the template and
        parameters it had before that update; `resources_to_skip` are left as they are and
        marked UPDATE_COMPLETE. UPDATE_ROLLBACK_COMPLETE, or UPDATE_ROLLBACK_FAILED again."""
        stack = await self._store.find(name)
        self._check_idle(stack, "rolled back")
        if stack.StackStatus != "UPDATE_ROLLBACK_FAILED":
            raise Invalid(
                f"Stack:{stack.StackId} is in {stack.StackStatus} state and can not continue "
                "the update rollback: only a stack in UPDATE_ROLLBACK_FAILED can."
            )
        deployed = await self._deployed(stack)
        unknown = sorted(set(resources_to_skip) - deployed.keys())
        if unknown:
            raise Invalid(
                f"ResourcesToSkip [{', '.join(unknown)}] are not resources of stack "
                f"{stack.StackName}."
            )
        original, processed, state = await self._store.documents(stack.StackId)
        previous = _previous_values(processed, state)
        plan = await self._wait_plan(
            stack.StackName, stack.StackId, original, dict(previous), previous,
            stack.Capabilities, stack.Tags,
        )  # fmt: skip
        await self._set_status(stack, "UPDATE_ROLLBACK_IN_PROGRESS", "User Initiated")
        skip = frozenset(resources_to_skip)
        self._start(
            stack.StackId, lambda: self._wait_continue_rollback(stack, plan, deployed, skip)
        )
        return stack.StackId

    async def _wait_continue_rollback(
        self, stack: Stack, plan: Plan, deployed: dict[str, Applied], skip: frozenset[str]
    ) -> None:
        try:
            outcome = await self._engine.wait_apply(
                stack, plan, deployed, await self._imports(), "UPDATE", None, skip
            )
        except StepFailed as failure:
            await self._set_status(stack, "UPDATE_ROLLBACK_FAILED", _reason(failure, "update"))
            return
        stack.Outputs = outcome.outputs
        await self._store.save(stack)
        await self._set_status(stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", None)
        removed = {k: v for k, v in deployed.items() if k not in outcome.resources}
        order = [k for k in deployed if k not in plan.order] + plan.order
        await self._engine.wait_clean_up(stack, outcome.replaced, removed, order, {})
        await self._wait_clean_up_held(stack)  # held since the update whose rollback failed
        await self._set_status(stack, "UPDATE_ROLLBACK_COMPLETE", None)

    async def rollback_stack(self, name: str) -> str:
        """RollbackStack: a creation left CREATE_FAILED (DisableRollback, `sam deploy
        --disable-rollback`) rolls back as it would have: what was created is deleted,
        ROLLBACK_IN_PROGRESS -> ROLLBACK_COMPLETE (or ROLLBACK_FAILED). Updates here always
        roll back, so UPDATE_FAILED, the other status AWS rolls back from, never rests."""
        stack = await self._store.find(name)
        self._check_idle(stack, "rolled back")
        if stack.StackStatus != "CREATE_FAILED":
            raise Invalid(
                f"Stack:{stack.StackId} is in {stack.StackStatus} state and can not be rolled "
                "back: only a stack in CREATE_FAILED or UPDATE_FAILED can."
            )
        await self._set_status(stack, "ROLLBACK_IN_PROGRESS", "User Initiated")
        self._start(stack.StackId, lambda: self._wait_finish_interrupted(stack))
        return stack.StackId

    async def delete_stack(self, name: str) -> None:
        try:
            stack = await self._store.find(name)
        except Invalid:
            return  # deleting a stack that does not exist succeeds, as on AWS
        if stack.StackStatus == "DELETE_COMPLETE":
            return
        if stack.EnableTerminationProtection:
            raise Invalid(
                f"Stack [{stack.StackName}] cannot be deleted while TerminationProtection is "
                "enabled"
            )
        if stack.StackStatus != "REVIEW_IN_PROGRESS":  # a stack of change sets only
            self._check_idle(stack, "deleted")
        await self._check_exports_unused(stack)
        _, _, state = await self._store.documents(stack.StackId)
        await self._set_status(stack, "DELETE_IN_PROGRESS", "User Initiated")
        self._start(stack.StackId, lambda: self._wait_delete(stack, state.get("order") or []))

    async def _wait_delete(self, stack: Stack, order: list[str]) -> None:
        # A root left UPDATE_ROLLBACK_FAILED may hold its tree's cleanups: they delete what
        # no stack points at any more, so they run before the tree goes, or nothing would.
        await self._wait_clean_up_held(stack)
        deployed = await self._deployed(stack)
        order = order + [k for k in deployed if k not in order]
        failed = await self._engine.wait_delete_all(stack, deployed, order)
        if failed:
            reason = "The following resource(s) failed to delete: [" + ", ".join(failed) + "]. "
            await self._set_status(stack, "DELETE_FAILED", reason)
            return
        await self._store.replace_exports(stack.StackId, {})
        await self._store.drop_change_sets(stack.StackId)
        stack.DeletionTime = now()
        await self._set_status(stack, "DELETE_COMPLETE", None)

    # -- reading -------------------------------------------------------------------------
    async def describe_stacks(self, name: str | None) -> list[Stack]:
        stacks = [await self._store.find(name)] if name else await self._store.stacks(deleted=False)
        return [s.model_copy(update={"Outputs": self._engine.described(s.Outputs)}) for s in stacks]

    async def list_stacks(self, status_filter: list[str]) -> list[StackSummary]:
        return [
            StackSummary(
                StackId=s.StackId,
                StackName=s.StackName,
                TemplateDescription=s.Description,
                CreationTime=s.CreationTime,
                LastUpdatedTime=s.LastUpdatedTime,
                DeletionTime=s.DeletionTime,
                StackStatus=s.StackStatus,
                StackStatusReason=s.StackStatusReason,
                ParentId=s.ParentId,
                RootId=s.RootId,
            )
            for s in await self._store.stacks(deleted=True)
            if not status_filter or s.StackStatus in status_filter
        ]

    async def describe_stack_resources(
        self, name: str, logical_id: str | None
    ) -> list[StackResource]:
        found = await self.list_stack_resources(name)
        return [r for r in found if logical_id in (None, r.LogicalResourceId)]

    async def describe_stack_resource(self, name: str, logical_id: str) -> StackResource:
        for resource in await self.list_stack_resources(name):
            if resource.LogicalResourceId == logical_id:
                return resource
        raise Invalid(f"Resource {logical_id} does not exist for stack {name}")

    async def list_stack_resources(self, name: str) -> list[StackResource]:
        stack = await self._store.find(name)
        return [record for record, _ in await self._store.resources(stack.StackId)]

    async def describe_stack_events(self, name: str) -> list[StackEvent]:
        stack = await self._store.find(name)
        return await self._store.events(stack.StackId)

    async def describe_events(
        self, name: str | None, operation_id: str | None, failed_only: bool
    ) -> list[dict[str, Any]]:
        """DescribeEvents: a stack's events grouped by operation (operations.py)."""
        if name is not None:
            stack_id = (await self._store.find(name)).StackId
        elif operation_id is not None:
            found = await self._store.stack_of_operation(operation_id)
            if found is None:
                raise Invalid(f"Operation {operation_id} does not exist")
            stack_id = found
        else:
            raise Invalid("One of ChangeSetName, OperationId or StackName must be specified.")
        events = await self._store.events(stack_id)
        return operation_events(events, operation_id, failed_only)

    async def get_template(self, name: str, stage: str) -> str:
        stack = await self._store.find(name)
        original, processed, _ = await self._store.documents(stack.StackId)
        if stage == "Processed":
            return orjson.dumps(processed, option=orjson.OPT_INDENT_2).decode()
        return original

    async def validate_template(self, template_body: str) -> TemplateSummary:
        template = await asyncio.to_thread(loader.load_template, template_body)
        declared = template.get("Parameters") or {}
        resources = template.get("Resources") or {}
        iam = any(str(d.get("Type", "")).startswith("AWS::IAM::") for d in resources.values())
        declared_transforms = [t for t in transforms(template) if isinstance(t, str)]
        return TemplateSummary(
            Parameters=[
                TemplateParameter(
                    ParameterKey=key,
                    DefaultValue=None if d.get("Default") is None else str(d["Default"]),
                    NoEcho=str(d.get("NoEcho", "")).lower() == "true",
                    Description=d.get("Description"),
                )
                for key, d in declared.items()
            ],
            Description=template.get("Description"),
            Capabilities=["CAPABILITY_IAM"] if iam else [],
            CapabilitiesReason="The following resource(s) require capabilities: "
            + ", ".join(
                sorted(
                    {
                        d["Type"]
                        for d in resources.values()
                        if str(d.get("Type", "")).startswith("AWS::IAM::")
                    }
                )
            )
            if iam
            else None,
            DeclaredTransforms=declared_transforms,
        )

    async def template_summary(self, template_body: str) -> StackTemplateSummary:
        template = await asyncio.to_thread(loader.load_template, template_body)
        base = await self.validate_template(template_body)
        declared = template.get("Parameters") or {}
        resources = template.get("Resources") or {}
        capabilities = list(base.Capabilities)
        if base.DeclaredTransforms and "CAPABILITY_AUTO_EXPAND" not in capabilities:
            capabilities.append("CAPABILITY_AUTO_EXPAND")
        metadata = template.get("Metadata")
        return StackTemplateSummary(
            Parameters=[
                ParameterDeclaration(
                    ParameterKey=p.ParameterKey,
                    DefaultValue=p.DefaultValue,
                    ParameterType=str(declared[p.ParameterKey].get("Type", "String")),
                    NoEcho=p.NoEcho,
                    Description=p.Description,
                    ParameterConstraints={
                        "AllowedValues": [
                            text(v) for v in declared[p.ParameterKey].get("AllowedValues") or []
                        ]
                    },
                )
                for p in base.Parameters
            ],
            Description=base.Description,
            Capabilities=capabilities,
            CapabilitiesReason=base.CapabilitiesReason,
            ResourceTypes=sorted({str(d.get("Type", "")) for d in resources.values()}),
            Version=template.get("AWSTemplateFormatVersion"),
            Metadata=None if metadata is None else orjson.dumps(metadata).decode(),
            DeclaredTransforms=base.DeclaredTransforms,
        )

    async def stack_template_summary(self, name: str) -> StackTemplateSummary:
        """The summary of the template a stack was last deployed with."""
        return await self.template_summary(await self.get_template(name, "Original"))

    async def list_exports(self) -> list[Export]:
        return [
            Export(ExportingStackId=stack_id, Name=name, Value=value)
            for name, stack_id, value in await self._store.exports()
        ]

    # -- pieces --------------------------------------------------------------------------
    async def _wait_plan(
        self,
        name: str,
        stack_id: str,
        body: str,
        given: dict[str, str | None],
        previous: dict[str, str] | None,
        capabilities: list[str],
        tags: list[Tag],
    ) -> Plan:
        skip = any(t.Key == SKIP_UNSUPPORTED_TAG and t.Value.lower() == "true" for t in tags)
        identity = Identity(name, stack_id, self._settings.region, self._settings.account_id)
        ssm_values = await self._wait_ssm_values(body, given, previous or {})
        return await asyncio.to_thread(
            prepare,
            body,
            given,
            previous,
            identity,
            supported=self._providers.__contains__,
            read_artifact=self._read_artifact,
            capabilities=capabilities,
            skip_unsupported=skip,
            ssm_values=ssm_values,
        )

    async def _wait_ssm_values(
        self, body: str, given: dict[str, str | None], previous: dict[str, str]
    ) -> dict[str, str]:
        """The Parameter Store values the template's SSM-typed parameters name (read here,
        on the loop, so that planning stays a pure function in its thread)."""
        if SSM_TYPE not in body:
            return {}
        try:
            template = await asyncio.to_thread(loader.load_template, body)
            names = ssm_names(template.get("Parameters") or {}, given, previous)
        except Invalid:
            return {}  # planning reports the template's error
        found = {}
        for name in set(names.values()):
            with contextlib.suppress(NotFound):
                found[name] = await self._services.parameters.wait_value(name)
        return found

    def _read_artifact(self, location: str) -> bytes:
        """An AWS::Include snippet (blocking): uploaded by `stratus deploy` or `stratus
        package` (s3://stratus-artifacts/<key>), or any object of this server's."""
        where = location_of(location)
        if where is None:
            raise Invalid(f"{location} is not an S3 location (s3://bucket/key)")
        try:
            return self._artifacts.read_object(
                where.bucket, where.key, where.version_id, include.MAX_SNIPPET_BYTES
            )
        except NoSuchArtifact as exc:
            raise Invalid(exc.args[0]) from None

    def _parameters(self, plan: Plan) -> list[Parameter]:
        declared = plan.template.get("Parameters") or {}
        described = []
        for key, definition in declared.items():
            value = text(plan.parameters.get(key, ""))
            if str(definition.get("Type", "")).startswith(SSM_TYPE):  # name, and its value
                described.append(
                    Parameter(
                        ParameterKey=key,
                        ParameterValue=plan.given.get(key, ""),
                        ResolvedValue=value,
                    )
                )
                continue
            shown = "****" if key in plan.no_echo else value
            described.append(Parameter(ParameterKey=key, ParameterValue=shown))
        return described

    async def _deployed(self, stack: Stack) -> dict[str, Applied]:
        return {
            record.LogicalResourceId: applied
            for record, applied in await self._store.resources(stack.StackId)
            if applied is not None
        }

    async def _imports(self) -> dict[str, str]:
        return {name: value for name, _, value in await self._store.exports()}

    async def _check_exports_unused(self, stack: Stack) -> None:
        mine = {
            name for name, stack_id, _ in await self._store.exports() if stack_id == stack.StackId
        }
        if not mine:
            return
        for other in await self._store.stacks(deleted=False):
            if other.StackId == stack.StackId:
                continue
            _, _, state = await self._store.documents(other.StackId)
            used = mine & set(state.get("imports") or [])
            if used:
                raise Invalid(
                    f"Export {sorted(used)[0]} cannot be deleted as it is in use by "
                    f"{other.StackName}"
                )

    async def wait_rest(self, stack_id: str) -> Stack:
        """The stack once no operation is under way on it (polled: 20 ms doubling to 0.5 s)."""
        pause = 0.02
        while True:
            stack = await self._store.find(stack_id)
            if not self.busy(stack):
                return stack
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.5)

    def busy(self, stack: Stack) -> bool:
        """An operation is under way on `stack` (or was, when the server stopped)."""
        return stack.StackId in self._busy or (
            stack.StackStatus.endswith("_IN_PROGRESS")
            and (stack.StackStatus != "REVIEW_IN_PROGRESS")
        )

    def _check_idle(self, stack: Stack, verb: str) -> None:
        if stack.StackId in self._busy or stack.StackStatus.endswith("_IN_PROGRESS"):
            raise Invalid(
                f"Stack:{stack.StackId} is in {stack.StackStatus} state and can not be {verb}."
            )

    async def _set_status(
        self, stack: Stack, status: str, reason: str | None, *, deleted: bool = False
    ) -> None:
        stack.StackStatus = status
        stack.StackStatusReason = reason
        if deleted:
            stack.DeletionTime = now()
        await self._store.save(stack)
        await self._store.add_event(
            stack, stack.StackName, STACK_TYPE, status,
            PhysicalResourceId=stack.StackId, ResourceStatusReason=reason,
        )  # fmt: skip


async def _then(
    work: Awaitable[None], stack: Stack, then: Callable[[Stack], Awaitable[None]] | None
) -> None:
    try:
        await work
    finally:
        if then is not None:
            await then(stack)


def _check_name(name: str) -> None:
    if not re.match(_NAME, name):
        raise Invalid(
            f"1 validation error detected: Value '{name}' at 'stackName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "[a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*"
        )


def _tags(tags: list[dict[str, Any]]) -> list[Tag]:
    return [Tag(Key=key, Value=value) for key, value in tag_map(tags).items()]


def _previous_values(processed: dict[str, Any], state: dict[str, Any]) -> dict[str, str]:
    """Each parameter's value in the deployed stack. Stacks deployed before every value was
    kept hold only the given ones: the others had their defaults."""
    defaults = {
        key: text(definition["Default"])
        for key, definition in (processed.get("Parameters") or {}).items()
        if isinstance(definition, dict) and definition.get("Default") is not None
    }
    return defaults | (state.get("given") or {})


def _given(parameters: list[dict[str, Any]]) -> dict[str, str | None]:
    """CloudFormation's Parameters list: a value, or UsePreviousValue (None here)."""
    given: dict[str, str | None] = {}
    for item in parameters:
        key = str(item.get("ParameterKey", ""))
        if item.get("UsePreviousValue"):
            given[key] = None
        else:
            given[key] = str(item.get("ParameterValue", ""))
    return given


def _state(plan: Plan) -> dict[str, Any]:
    return {
        "given": plan.given,
        "order": plan.order,
        "imports": sorted(_imported_names(plan.template)),
    }


def _imported_names(value: Any) -> set[str]:
    if isinstance(value, dict):
        if set(value) == {"Fn::ImportValue"} and isinstance(value["Fn::ImportValue"], str):
            return {value["Fn::ImportValue"]}
        return set().union(*(_imported_names(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_imported_names(v) for v in value)) if value else set()
    return set()


def _unrolled(failure: StepFailed) -> str:
    names = ", ".join(failure.not_rolled_back)
    return f"The following resource(s) failed to update: [{names}]. "


def _reason(failure: StepFailed, verb: str) -> str:
    return f"The following resource(s) failed to {verb}: [{failure.logical_id}]. {failure.reason}"
