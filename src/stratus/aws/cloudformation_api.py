"""CloudFormation over the AWS query protocol (Action=CreateStack&Version=2010-05-15…), for
boto3's `cloudformation` client and the aws CLI. Parsing and XML are protocols/query.py's;
each operation here picks its members, calls the stack service once and names what it answers.

Lists that AWS pages (DescribeStacks, ListStacks, ListStackResources, DescribeStackEvents,
ListExports) are cut into pages of 100; a NextToken names the first item of the next page, so
events added while a client pages (newest first) neither repeat nor hide any.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from stratus import paging
from stratus.errors import (
    AlreadyExists,
    Conflict,
    InsufficientCapabilities,
    Invalid,
    NotFound,
)
from stratus.objects.locations import location_of
from stratus.templates.change_sets import ChangeSetNotFound, InvalidChangeSetStatus
from stratus.templates.model import StackResource
from stratus.templates.service import StackService

from .protocols.adapter import Api, Call, Handler
from .protocols.errors import ErrorTable, WireError

SERVICE = "cloudformation"
# CloudFormation answers most refusals, an unknown stack included, as ValidationError.
ERRORS: ErrorTable = {
    Invalid: WireError("ValidationError", 400),
    NotFound: WireError("ValidationError", 400),
    Conflict: WireError("ValidationError", 400),
    AlreadyExists: WireError("AlreadyExistsException", 400),
    InsufficientCapabilities: WireError("InsufficientCapabilitiesException", 400),
    ChangeSetNotFound: WireError("ChangeSetNotFound", 404),
    InvalidChangeSetStatus: WireError("InvalidChangeSetStatus", 400),
}
PAGE_SIZE = 100  # AWS pages by size (1 MB); 100 is what it answers in practice
CHANGES_PAGE_SIZE = 100  # DescribeChangeSet's Changes per page
DESCRIBE_RESOURCES_LIMIT = 100  # "Only the first 100 resources will be returned"
NO_TEMPLATE_URL = "TemplateURL must be a supported URL."
MAX_TEMPLATE_BYTES = 1024 * 1024  # CloudFormation's limit for a template in S3

Answer = dict[str, Any] | None
T = TypeVar("T")


async def create_stack(stacks: StackService, p: dict[str, Any]) -> Answer:
    stack_id = await stacks.create_stack(
        p["StackName"],
        _template(p),
        p.get("Parameters", []),
        p.get("Capabilities", []),
        p.get("Tags", []),
        p.get("DisableRollback", False),
        p.get("OnFailure"),
        p.get("EnableTerminationProtection", False),
        timeout_in_minutes=p.get("TimeoutInMinutes"),
        notification_arns=p.get("NotificationARNs", []),
    )
    if "StackPolicyBody" in p:
        await stacks.set_stack_policy(stack_id, p["StackPolicyBody"])
    return {"StackId": stack_id}


async def update_stack(stacks: StackService, p: dict[str, Any]) -> Answer:
    if "TemplateURL" in p:
        raise Invalid(NO_TEMPLATE_URL)
    stack_id = await stacks.update_stack(
        p["StackName"],
        p.get("TemplateBody"),
        p.get("UsePreviousTemplate", False),
        p.get("Parameters", []),
        p.get("Capabilities", []),
        p.get("Tags"),  # absent keeps the stack's tags; an empty list removes them
        p.get("StackPolicyDuringUpdateBody"),
        p.get("NotificationARNs"),
    )
    if "StackPolicyBody" in p:
        await stacks.set_stack_policy(stack_id, p["StackPolicyBody"])
    return {"StackId": stack_id}


async def delete_stack(stacks: StackService, p: dict[str, Any]) -> Answer:
    await stacks.delete_stack(p["StackName"])
    return None


async def describe_stacks(stacks: StackService, p: dict[str, Any]) -> Answer:
    found = await stacks.describe_stacks(p.get("StackName"))
    page, token = _page(found, p.get("NextToken"), lambda s: s.StackId)
    return {"Stacks": [s.wire() for s in page], "NextToken": token}


async def list_stacks(stacks: StackService, p: dict[str, Any]) -> Answer:
    found = await stacks.list_stacks(p.get("StackStatusFilter", []))
    page, token = _page(found, p.get("NextToken"), lambda s: s.StackId)
    return {"StackSummaries": [s.wire() for s in page], "NextToken": token}


async def describe_stack_resource(stacks: StackService, p: dict[str, Any]) -> Answer:
    resource = await stacks.describe_stack_resource(p["StackName"], p["LogicalResourceId"])
    detail = resource.wire()
    detail["LastUpdatedTimestamp"] = detail.pop("Timestamp")
    return {"StackResourceDetail": detail}


async def describe_stack_resources(stacks: StackService, p: dict[str, Any]) -> Answer:
    if "PhysicalResourceId" in p:
        raise Invalid(
            "Stratus finds stack resources by StackName only; pass StackName "
            "(and LogicalResourceId) instead of PhysicalResourceId."
        )
    if "StackName" not in p:
        raise Invalid("You must specify either StackName or PhysicalResourceId.")
    found = await stacks.describe_stack_resources(p["StackName"], p.get("LogicalResourceId"))
    described = [r.wire() for r in found[:DESCRIBE_RESOURCES_LIMIT]]
    return {"StackResources": [{k: v for k, v in r.items() if k != "Metadata"} for r in described]}


async def list_stack_resources(stacks: StackService, p: dict[str, Any]) -> Answer:
    found = await stacks.list_stack_resources(p["StackName"])
    page, token = _page(found, p.get("NextToken"), lambda r: r.LogicalResourceId)
    return {"StackResourceSummaries": [_summary(r) for r in page], "NextToken": token}


async def describe_stack_events(stacks: StackService, p: dict[str, Any]) -> Answer:
    found = await stacks.describe_stack_events(p["StackName"])
    page, token = _page(found, p.get("NextToken"), lambda e: e.EventId)
    return {"StackEvents": [e.wire() for e in page], "NextToken": token}


async def describe_events(stacks: StackService, p: dict[str, Any]) -> Answer:
    name = p.get("StackName")
    if name is None and "ChangeSetName" in p:  # a change set's events are its stack's
        name = (await stacks.change_sets.describe(p["ChangeSetName"], None)).StackId
    found = await stacks.describe_events(
        name, p.get("OperationId"), bool((p.get("Filters") or {}).get("FailedEvents"))
    )
    page, token = _page(found, p.get("NextToken"), lambda e: str(e["EventId"]))
    return {"OperationEvents": page, "NextToken": token}


async def get_template(stacks: StackService, p: dict[str, Any]) -> Answer:
    if "ChangeSetName" in p:
        change_set = await stacks.change_sets.template(p["ChangeSetName"], p.get("StackName"))
        return {"TemplateBody": change_set, "StagesAvailable": ["Original"]}
    if "StackName" not in p:
        raise Invalid("You must specify StackName.")
    body = await stacks.get_template(p["StackName"], p.get("TemplateStage", "Original"))
    # For stacks, AWS always keeps both stages.
    return {"TemplateBody": body, "StagesAvailable": ["Original", "Processed"]}


async def validate_template(stacks: StackService, p: dict[str, Any]) -> Answer:
    summary = await stacks.validate_template(_template(p))
    return {"Parameters": [], **summary.wire()}  # an empty <Parameters/>, as AWS answers


async def list_exports(stacks: StackService, p: dict[str, Any]) -> Answer:
    found = await stacks.list_exports()
    page, token = _page(found, p.get("NextToken"), lambda e: e.Name)
    return {"Exports": [e.wire() for e in page], "NextToken": token}


async def create_change_set(stacks: StackService, p: dict[str, Any]) -> Answer:
    if "TemplateURL" in p:
        raise Invalid(NO_TEMPLATE_URL)
    change_set_id, stack_id = await stacks.change_sets.create(
        p["StackName"],
        p["ChangeSetName"],
        p.get("ChangeSetType", "UPDATE"),
        p.get("TemplateBody"),
        p.get("UsePreviousTemplate", False),
        p.get("Parameters", []),
        p.get("Capabilities", []),
        p.get("Tags"),
        p.get("Description"),
        p.get("NotificationARNs", []),
        include_nested=bool(p.get("IncludeNestedStacks", False)),
    )
    return {"Id": change_set_id, "StackId": stack_id}


async def describe_change_set(stacks: StackService, p: dict[str, Any]) -> Answer:
    change_set = await stacks.change_sets.describe(p["ChangeSetName"], p.get("StackName"))
    answer = change_set.wire()
    changes = list(enumerate(change_set.Changes))
    page, token = paging.page(changes, p.get("NextToken"), lambda c: str(c[0]), CHANGES_PAGE_SIZE)
    answer["Changes"] = [change for _, change in page]
    answer["NextToken"] = token
    return answer


async def execute_change_set(stacks: StackService, p: dict[str, Any]) -> Answer:
    await stacks.change_sets.execute(
        p["ChangeSetName"], p.get("StackName"), p.get("DisableRollback", False)
    )
    return None


async def delete_change_set(stacks: StackService, p: dict[str, Any]) -> Answer:
    await stacks.change_sets.delete(p["ChangeSetName"], p.get("StackName"))
    return None


async def list_change_sets(stacks: StackService, p: dict[str, Any]) -> Answer:
    found = await stacks.change_sets.list(p["StackName"])
    page, token = _page(found, p.get("NextToken"), lambda c: c.ChangeSetId)
    return {"Summaries": [c.summary() for c in page], "NextToken": token}


async def get_template_summary(stacks: StackService, p: dict[str, Any]) -> Answer:
    if "StackName" in p:
        summary = await stacks.stack_template_summary(p["StackName"])
    else:
        summary = await stacks.template_summary(_template(p))
    # AWS answers an empty <Parameters/> for a template that declares none (`sam deploy`
    # reads summary["Parameters"] before updating a stack), where wire() leaves lists out.
    return {"Parameters": [], **summary.wire()}


async def set_stack_policy(stacks: StackService, p: dict[str, Any]) -> Answer:
    if "StackPolicyBody" not in p:
        raise Invalid("Either StackPolicyBody or StackPolicyURL must be specified.")
    await stacks.set_stack_policy(p["StackName"], p["StackPolicyBody"])
    return None


async def get_stack_policy(stacks: StackService, p: dict[str, Any]) -> Answer:
    return {"StackPolicyBody": await stacks.get_stack_policy(p["StackName"])}


async def rollback_stack(stacks: StackService, p: dict[str, Any]) -> Answer:
    return {"StackId": await stacks.rollback_stack(p["StackName"])}


async def continue_update_rollback(stacks: StackService, p: dict[str, Any]) -> Answer:
    await stacks.continue_update_rollback(p["StackName"], list(p.get("ResourcesToSkip") or []))
    return None


async def update_termination_protection(stacks: StackService, p: dict[str, Any]) -> Answer:
    stack_id = await stacks.update_termination_protection(
        p["StackName"], p["EnableTerminationProtection"]
    )
    return {"StackId": stack_id}


def _on_stacks(run: Callable[[StackService, dict[str, Any]], Awaitable[Answer]]) -> Handler:
    async def handle(call: Call, params: dict[str, Any]) -> Answer:
        if "TemplateURL" in params:
            params = await _wait_template_from_url(call, params)
        for url, body in _POLICY_URLS:
            if url in params:
                params = await _wait_policy_from_url(call, params, url, body)
        return await run(call.stacks, params)

    return handle


async def _wait_template_from_url(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """TemplateURL: the template is an object of this server's object storage."""
    where = location_of(params["TemplateURL"])
    if where is None:
        raise Invalid("TemplateURL must be a supported URL.")
    try:
        body = await call.services.objects.wait_read_whole(
            where.bucket, where.key, where.version_id, MAX_TEMPLATE_BYTES
        )
    except NotFound as exc:
        raise Invalid(f"S3 error: {exc.message} ({params['TemplateURL']})") from exc
    rest = {k: v for k, v in params.items() if k != "TemplateURL"}
    return {**rest, "TemplateBody": body.decode("utf-8", "replace")}


# Stack policies by URL: objects of this server's object storage, as TemplateURL.
_POLICY_URLS = (
    ("StackPolicyURL", "StackPolicyBody"),
    ("StackPolicyDuringUpdateURL", "StackPolicyDuringUpdateBody"),
)
MAX_POLICY_BYTES = 16 * 1024  # a stack policy's limit on AWS


async def _wait_policy_from_url(
    call: Call, params: dict[str, Any], url: str, body: str
) -> dict[str, Any]:
    where = location_of(params[url])
    if where is None:
        raise Invalid(f"{url} must be a supported URL.")
    try:
        read = await call.services.objects.wait_read_whole(
            where.bucket, where.key, where.version_id, MAX_POLICY_BYTES
        )
    except NotFound as exc:
        raise Invalid(f"S3 error: {exc.message} ({params[url]})") from exc
    rest = {k: v for k, v in params.items() if k != url}
    return {**rest, body: read.decode("utf-8", "replace")}


API = Api(
    SERVICE,
    {
        name: _on_stacks(run)
        for name, run in {
            "CreateStack": create_stack,
            "UpdateStack": update_stack,
            "DeleteStack": delete_stack,
            "DescribeStacks": describe_stacks,
            "ListStacks": list_stacks,
            "DescribeStackResource": describe_stack_resource,
            "DescribeStackResources": describe_stack_resources,
            "ListStackResources": list_stack_resources,
            "DescribeStackEvents": describe_stack_events,
            "DescribeEvents": describe_events,
            "RollbackStack": rollback_stack,
            "ContinueUpdateRollback": continue_update_rollback,
            "GetTemplate": get_template,
            "ValidateTemplate": validate_template,
            "ListExports": list_exports,
            "CreateChangeSet": create_change_set,
            "DescribeChangeSet": describe_change_set,
            "ExecuteChangeSet": execute_change_set,
            "DeleteChangeSet": delete_change_set,
            "ListChangeSets": list_change_sets,
            "GetTemplateSummary": get_template_summary,
            "SetStackPolicy": set_stack_policy,
            "GetStackPolicy": get_stack_policy,
            "UpdateTerminationProtection": update_termination_protection,
        }.items()
    },
    ERRORS,
    # A 1 MB TemplateBody percent-encoded (up to 3 bytes a byte) and the rest of the form.
    body_limit=4 * 1024 * 1024,
)


def _template(p: dict[str, Any]) -> str:
    if "TemplateURL" in p:
        raise Invalid(NO_TEMPLATE_URL)
    if "TemplateBody" not in p:
        raise Invalid("Either Template URL or Template Body must be specified.")
    return str(p["TemplateBody"])


def _summary(resource: StackResource) -> dict[str, Any]:
    """ListStackResources' StackResourceSummary: a subset, with the time renamed."""
    return {
        "LogicalResourceId": resource.LogicalResourceId,
        "PhysicalResourceId": resource.PhysicalResourceId,
        "ResourceType": resource.ResourceType,
        "LastUpdatedTimestamp": resource.Timestamp,
        "ResourceStatus": resource.ResourceStatus,
        "ResourceStatusReason": resource.ResourceStatusReason,
    }


def _page(items: list[T], token: str | None, key: Callable[[T], str]) -> tuple[list[T], str | None]:
    return paging.page(items, token, key, PAGE_SIZE)
