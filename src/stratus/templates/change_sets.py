"""Change sets: an update (or a creation) planned and listed first, executed on request, as
`aws cloudformation deploy`, `sam deploy` and CDK drive CloudFormation.

    CreateChangeSet   plan + diff (changes.py) -> CREATE_COMPLETE, ExecutionStatus AVAILABLE
                      | FAILED ("didn't contain changes", or nothing to do), UNAVAILABLE
    ExecuteChangeSet  plans again (exports and parameters may have moved since), then runs
                      the stack's CreateStack/UpdateStack work: EXECUTE_IN_PROGRESS ->
                      EXECUTE_COMPLETE | EXECUTE_FAILED; the stack's other change sets go

A CREATE change set makes the stack at once, in REVIEW_IN_PROGRESS with no resources, as
AWS does; deleting that stack is allowed while it waits. The diff is cheap (no resource is
touched), so a change set is computed within the CreateChangeSet call and is never seen in
CREATE_PENDING or CREATE_IN_PROGRESS; waiters see CREATE_COMPLETE at their first poll.
IMPORT (adopting existing resources) is refused: Stratus's resources are all its own.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

from stratus.errors import Conflict, Invalid, NotFound

from .model import ChangeSet, Stack, now

if TYPE_CHECKING:
    from .service import StackService

NO_CHANGES = (
    "The submitted information didn't contain changes. Submit different information to "
    "create a change set."
)
_NAME = re.compile(r"^[a-zA-Z][-a-zA-Z0-9]{0,127}$")
_SUCCEEDED = ("CREATE_COMPLETE", "UPDATE_COMPLETE")


class ChangeSetNotFound(NotFound):
    """CloudFormation's ChangeSetNotFoundException (the ValidationError of other lookups)."""


class InvalidChangeSetStatus(Conflict):
    """CloudFormation's InvalidChangeSetStatusException."""


class ChangeSets:
    def __init__(self, stacks: StackService) -> None:
        self._stacks = stacks
        self._store = stacks.store

    async def create(
        self,
        stack_name: str,
        name: str,
        change_set_type: str,
        template_body: str | None,
        use_previous_template: bool,
        parameters: list[dict[str, Any]],
        capabilities: list[str],
        tags: list[dict[str, Any]] | None,
        description: str | None,
        notification_arns: list[str],
        *,
        include_nested: bool = False,
    ) -> tuple[str, str]:
        """(ChangeSetId, StackId). With `include_nested`, each nested stack the update
        modifies gets a change set of its own (on the child stack, ParentChangeSetId and
        RootChangeSetId set), named in the parent's change by ChangeSetId, recursively."""
        if not _NAME.match(name):
            raise Invalid(
                f"1 validation error detected: Value '{name}' at 'changeSetName' failed to "
                "satisfy constraint: Member must satisfy regular expression pattern: "
                "[a-zA-Z][-a-zA-Z0-9]*"
            )
        if change_set_type == "IMPORT":
            raise Invalid(
                "Stratus does not import existing resources into stacks (ChangeSetType "
                "IMPORT): every resource Stratus serves is created by a stack or an API call. "
                "Deploy the template with ChangeSetType CREATE or UPDATE instead."
            )
        if change_set_type not in ("CREATE", "UPDATE"):
            raise Invalid(
                f"1 validation error detected: Value '{change_set_type}' at 'changeSetType' "
                "failed to satisfy constraint: Member must satisfy enum value set: "
                "[IMPORT, UPDATE, CREATE]"
            )
        request = {
            "type": change_set_type,
            "template_body": template_body,
            "use_previous_template": use_previous_template,
            "parameters": parameters,
            "capabilities": capabilities,
            "tags": tags,
        }
        nested: list[tuple[ChangeSet, dict[str, Any]]] = []
        if change_set_type == "CREATE":
            stack, record = await self._create_type(stack_name, name, request)
        else:
            stack, record = await self._update_type(
                stack_name, name, request, nested if include_nested else None
            )
        record.Description = description
        record.NotificationARNs = notification_arns
        record.IncludeNestedStacks = include_nested
        request["nested"] = [child.ChangeSetId for child, _ in nested]
        await self._store.put_change_set(record, request)
        for child, child_request in nested:
            await self._store.put_change_set(child, child_request)
        return record.ChangeSetId, stack.StackId

    async def _create_type(
        self, stack_name: str, name: str, request: dict[str, Any]
    ) -> tuple[Stack, ChangeSet]:
        if request["template_body"] is None:
            raise Invalid("Either Template URL or Template Body must be specified.")
        if request["use_previous_template"]:
            raise Invalid("UsePreviousTemplate cannot be used with ChangeSetType CREATE.")
        existing = await self._live(stack_name)
        if existing is not None and existing.StackStatus != "REVIEW_IN_PROGRESS":
            raise Invalid(
                f"Stack [{stack_name}] already exists and cannot be created again with the "
                f"changeSet [{name}]."
            )
        stack_id = existing.StackId if existing else self._stacks.new_stack_id(stack_name)
        plan = await self._stacks.plan_create(
            stack_name, stack_id, request["template_body"], request["parameters"],
            _planning(request["capabilities"]), request["tags"] or [],
        )  # fmt: skip
        stack = existing or await self._stacks.insert_for_review(stack_name, stack_id)
        record = self._record(stack, name, self._stacks.described_parameters(plan), request)
        record.Changes = [
            {
                "Type": "Resource",
                "ResourceChange": {
                    "Action": "Add",
                    "LogicalResourceId": logical_id,
                    "ResourceType": plan.resources[logical_id]["Type"],
                    "Scope": [],
                    "Details": [],
                },
            }
            for logical_id in plan.order
        ]
        return stack, record

    async def _update_type(
        self,
        stack_name: str,
        name: str,
        request: dict[str, Any],
        nested: list[tuple[ChangeSet, dict[str, Any]]] | None = None,
        parent: ChangeSet | None = None,
    ) -> tuple[Stack, ChangeSet]:
        """The change set of an update; with `nested` (a list to fill), those of the nested
        stacks it modifies too."""
        if await self._live(stack_name) is None:
            raise Invalid(f"Stack [{stack_name}] does not exist")
        update = await self._stacks.plan_update(
            stack_name, request["template_body"], request["use_previous_template"],
            request["parameters"], _planning(request["capabilities"]), request["tags"],
        )  # fmt: skip
        parameters = self._stacks.described_parameters(update.plan)
        record = self._record(update.stack, name, parameters, request)
        if parent is not None:
            record.IncludeNestedStacks = True
            record.ParentChangeSetId = parent.ChangeSetId
            record.RootChangeSetId = parent.RootChangeSetId or parent.ChangeSetId
        if update.unchanged and parent is None:
            record.Status, record.ExecutionStatus = "FAILED", "UNAVAILABLE"
            record.StatusReason = NO_CHANGES
        elif not update.unchanged:
            record.Changes = await self._stacks.changes(update)
        if nested is None or update.unchanged:
            return update.stack, record
        found = await self._stacks.nested_updates(update, record.Changes)
        by_logical_id = {c["ResourceChange"]["LogicalResourceId"]: c for c in record.Changes}
        for logical_id, child_id, body, child_parameters in found:
            child_request = {
                "type": "UPDATE",
                "template_body": body,
                "use_previous_template": False,
                "parameters": child_parameters,
                "capabilities": request["capabilities"],
                "tags": request["tags"],
                "root": record.RootChangeSetId or record.ChangeSetId,
            }
            child_name = f"{name}-{logical_id}"[:100] + f"-{uuid.uuid4().hex[:8]}"
            _, child = await self._update_type(
                child_id, child_name, child_request, nested, parent=record
            )
            child.Description = f"Nested change set of {record.ChangeSetId}"
            child_request["nested"] = []
            nested.append((child, child_request))
            by_logical_id[logical_id]["ResourceChange"]["ChangeSetId"] = child.ChangeSetId
        return update.stack, record

    def _record(
        self, stack: Stack, name: str, parameters: Any, request: dict[str, Any]
    ) -> ChangeSet:
        region, account = self._stacks.region_and_account
        return ChangeSet(
            ChangeSetId=f"arn:aws:cloudformation:{region}:{account}:changeSet/{name}/{uuid.uuid4()}",
            ChangeSetName=name,
            StackId=stack.StackId,
            StackName=stack.StackName,
            Parameters=parameters,
            CreationTime=now(),
            ExecutionStatus="AVAILABLE",
            Status="CREATE_COMPLETE",
            Capabilities=request["capabilities"],
            Tags=self._stacks.tags_of(request["tags"], stack),
        )

    async def execute(self, name: str, stack_name: str | None, disable_rollback: bool) -> None:
        record, request = await self._find(name, stack_name)
        if record.ParentChangeSetId:
            raise Invalid(
                f"ChangeSet [{record.ChangeSetId}] is a nested change set: execute its root "
                f"change set [{record.RootChangeSetId}], which updates the nested stacks too."
            )
        nested = await self._nested(request)
        if record.ExecutionStatus != "AVAILABLE":
            raise InvalidChangeSetStatus(
                f"ChangeSet [{record.ChangeSetId}] cannot be executed in its current status of "
                f"[{record.Status}]"
                if record.Status != "CREATE_COMPLETE"
                else f"ChangeSet [{record.ChangeSetId}] cannot be executed in its current "
                f"execution status of [{record.ExecutionStatus}]"
            )

        async def finished(stack: Stack) -> None:
            ok = stack.StackStatus in _SUCCEEDED
            for done in (record, *nested):
                done.ExecutionStatus = "EXECUTE_COMPLETE" if ok else "EXECUTE_FAILED"
                await self._store.save_change_set(done)

        if request["type"] == "CREATE":
            stack = await self._store.find(record.StackId)
            plan = await self._stacks.plan_create(
                stack.StackName, stack.StackId, request["template_body"],
                request["parameters"], _planning(request["capabilities"]), request["tags"] or [],
            )  # fmt: skip
            await self._mark_executing(record)
            await self._stacks.launch_create(
                stack, plan, request["template_body"], request["capabilities"],
                self._stacks.tags_of(request["tags"], stack), disable_rollback, None, finished,
            )  # fmt: skip
            return
        update = await self._stacks.plan_update(
            record.StackId, request["template_body"], request["use_previous_template"],
            request["parameters"], _planning(request["capabilities"]), request["tags"],
        )  # fmt: skip
        update.stack.Capabilities = request["capabilities"]  # described as given
        await self._mark_executing(record)
        for child in nested:  # the parent's update updates these stacks
            await self._mark_executing(child)
        await self._stacks.launch_update(update, finished)

    async def _mark_executing(self, record: ChangeSet) -> None:
        record.ExecutionStatus = "EXECUTE_IN_PROGRESS"
        await self._store.save_change_set(record)
        await self._store.drop_change_sets(record.StackId, keep=record.ChangeSetId)

    async def delete(self, name: str, stack_name: str | None) -> None:
        try:
            record, request = await self._find(name, stack_name)
        except ChangeSetNotFound:
            # Named on a stack that exists, a missing change set is nothing to delete: AWS
            # answers success, and `cdk deploy`/`cdk diff` delete their fixed-name change
            # set that way before every update. An unknown ARN stays an error.
            if name.startswith("arn:") or stack_name is None or not await self._live(stack_name):
                raise
            return
        if record.ExecutionStatus == "EXECUTE_IN_PROGRESS":
            raise InvalidChangeSetStatus(
                f"Cannot delete ChangeSet [{record.ChangeSetId}] while it is being executed"
            )
        if record.ParentChangeSetId:
            raise Invalid(
                f"ChangeSet [{record.ChangeSetId}] is a nested change set: delete its root "
                f"change set [{record.RootChangeSetId}], which deletes it too."
            )
        for child in await self._nested(request):
            await self._store.drop_change_set(child.ChangeSetId)
        await self._store.drop_change_set(record.ChangeSetId)

    async def _nested(self, request: dict[str, Any]) -> list[ChangeSet]:
        """A root change set's nested change sets (IncludeNestedStacks) that still exist."""
        found = []
        for change_set_id in request.get("nested") or []:
            nested = await self._store.change_set(change_set_id, None)
            if nested is not None:
                found.append(nested[0])
        return found

    async def describe(self, name: str, stack_name: str | None) -> ChangeSet:
        record, _ = await self._find(name, stack_name)
        return record

    async def list(self, stack_name: str) -> list[ChangeSet]:
        stack = await self._store.find(stack_name)
        return await self._store.change_sets(stack.StackId)

    async def mark_interrupted(self, stack: Stack) -> None:
        """An execution the server stopped during ended with its stack's operation."""
        for record in await self._store.change_sets(stack.StackId):
            if record.ExecutionStatus == "EXECUTE_IN_PROGRESS":
                record.ExecutionStatus = "EXECUTE_FAILED"
                await self._store.save_change_set(record)

    async def _find(self, name: str, stack_name: str | None) -> tuple[ChangeSet, dict[str, Any]]:
        stack_id = None
        if not name.startswith("arn:"):
            if stack_name is None:
                raise Invalid(
                    "StackName must be specified if ChangeSetName is not specified as an ARN."
                )
            stack = await self._live(stack_name)
            stack_id = stack.StackId if stack else None
        found = await self._store.change_set(name, stack_id)
        if found is None:
            raise ChangeSetNotFound(f"ChangeSet [{name}] does not exist")
        return found

    async def _live(self, stack_name: str) -> Stack | None:
        try:
            stack = await self._store.find(stack_name)
        except Invalid:
            return None
        return None if stack.StackStatus == "DELETE_COMPLETE" else stack

    async def template(self, name: str, stack_name: str | None) -> str:
        """GetTemplate of a change set: the body it deploys (the stack's, if it kept it)."""
        record, request = await self._find(name, stack_name)
        if request["template_body"] is not None:
            return str(request["template_body"])
        original, _, _ = await self._store.documents(record.StackId)
        return original


def _planning(capabilities: list[str]) -> list[str]:
    """The capabilities a change set is planned with. CAPABILITY_AUTO_EXPAND "doesn't apply to
    creating change sets" (CreateChangeSet's reference): a change set of a template with a
    transform is how AWS expects macros to be reviewed, so `sam deploy` and `aws cloudformation
    deploy` send only CAPABILITY_IAM and AWS expands the transform anyway."""
    if "CAPABILITY_AUTO_EXPAND" in capabilities:
        return capabilities
    return [*capabilities, "CAPABILITY_AUTO_EXPAND"]
