"""EventBridge (JSON 1.1, X-Amz-Target: AWSEvents.*): buses, rules, targets, PutEvents,
TestEventPattern, tags, archives and replays, bus permissions and settings, connections, API
destinations, global endpoints and partner event sources. Each handler reads its members, asks
the event bus service (stratus.events) once and names what it answers.

Past 400 lines on purpose: one flat table of small handlers, one per operation of the API
(57); splitting it by resource would only spread the table."""

from __future__ import annotations

from typing import Any

from stratus.errors import AlreadyExists, Conflict, Invalid, InvalidPattern, NotFound, TooLarge
from stratus.events.connections import Connections
from stratus.events.resources import Resources, shown
from stratus.events.service import EventBusService
from stratus.patterns.eventbridge import event_pattern_matches

from .protocols.adapter import Api, Call
from .protocols.errors import ErrorTable, WireError

ERRORS: ErrorTable = {
    InvalidPattern: WireError("InvalidEventPatternException", 400),
    Invalid: WireError("ValidationException", 400),
    NotFound: WireError("ResourceNotFoundException", 400),
    AlreadyExists: WireError("ResourceAlreadyExistsException", 400),
    TooLarge: WireError("LimitExceededException", 400),
    Conflict: WireError("IllegalStatusException", 400),  # CancelReplay of a finished replay
}
MAX_LIMIT = 100


def _bus(call: Call) -> EventBusService:
    return call.services.events


def _bus_name(body: dict[str, Any]) -> str:
    return EventBusService.bus_name(body.get("EventBusName"))


def _tags(body: dict[str, Any]) -> dict[str, str]:
    return {str(t["Key"]): str(t["Value"]) for t in body.get("Tags") or []}


def _page(names: list[Any], body: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """One page of a sorted listing: NextToken is the index of the page's first item."""
    try:
        start = int(body.get("NextToken") or 0)
    except ValueError:
        raise Invalid("The NextToken is not valid.") from None
    limit = min(int(body.get("Limit") or MAX_LIMIT), MAX_LIMIT)
    page = names[start : start + limit]
    more = {"NextToken": str(start + limit)} if start + limit < len(names) else {}
    return page, more


async def create_event_bus(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    service = _bus(call)
    source = body.get("EventSourceName")
    if source is not None:  # a partner event bus: named after its (existing) source
        if source != body["Name"]:
            raise Invalid("A partner event bus must have the name of its event source.")
        await service.resources.event_source(source)
    arn = await service.create_bus(body["Name"], body.get("Description"), _tags(body))
    if source is not None:
        await service.resources.set_source_state(source, "ACTIVE")
    kept = ("KmsKeyIdentifier", "DeadLetterConfig", "LogConfig")
    settings: dict[str, Any] = {k: body[k] for k in kept if k in body}
    if settings:
        await service.resources.update_bus(body["Name"], settings)
    answer: dict[str, Any] = {"EventBusArn": arn, **settings}
    if body.get("Description"):
        answer["Description"] = body["Description"]
    return answer


async def delete_event_bus(call: Call, body: dict[str, Any]) -> None:
    await _bus(call).delete_bus(body["Name"])


async def describe_event_bus(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _bus(call).describe_bus(EventBusService.bus_name(body.get("Name")))


async def list_event_buses(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    service = _bus(call)
    names, more = _page(await service.bus_names(body.get("NamePrefix") or ""), body)
    return {"EventBuses": [await service.describe_bus(name) for name in names], **more}


async def put_rule(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    arn = await _bus(call).put_rule(
        _bus_name(body),
        body["Name"],
        pattern=body.get("EventPattern"),
        schedule=body.get("ScheduleExpression"),
        state=body.get("State"),
        description=body.get("Description"),
        role_arn=body.get("RoleArn"),
        tags=_tags(body),
    )
    return {"RuleArn": arn}


async def describe_rule(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    rule = await _bus(call).rule(_bus_name(body), body["Name"])
    return rule.described() | {"CreatedBy": call.services.settings.account_id}


async def list_rules(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    rules = await _bus(call).rules(_bus_name(body), body.get("NamePrefix") or "")
    page, more = _page(rules, body)
    return {"Rules": [rule.described() for rule in page], **more}


async def delete_rule(call: Call, body: dict[str, Any]) -> None:
    await _bus(call).delete_rule(_bus_name(body), body["Name"])


async def enable_rule(call: Call, body: dict[str, Any]) -> None:
    await _bus(call).set_state(_bus_name(body), body["Name"], "ENABLED")


async def disable_rule(call: Call, body: dict[str, Any]) -> None:
    await _bus(call).set_state(_bus_name(body), body["Name"], "DISABLED")


async def put_targets(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    failed = await _bus(call).put_targets(_bus_name(body), body["Rule"], list(body["Targets"]))
    return {"FailedEntryCount": len(failed), "FailedEntries": failed}


async def list_targets_by_rule(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    targets = await _bus(call).targets(_bus_name(body), body["Rule"])
    page, more = _page(targets, body)
    return {"Targets": [target.settings for target in page], **more}


async def list_rule_names_by_target(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    names = await _bus(call).rule_names_by_target(_bus_name(body), body["TargetArn"])
    page, more = _page(names, body)
    return {"RuleNames": page, **more}


async def remove_targets(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    missing = await _bus(call).remove_targets(_bus_name(body), body["Rule"], list(body["Ids"]))
    failed = [
        {"TargetId": i, "ErrorCode": "ResourceNotFoundException",
         "ErrorMessage": f"Target {i} does not exist on rule {body['Rule']}."}
        for i in missing
    ]  # fmt: skip
    return {"FailedEntryCount": len(failed), "FailedEntries": failed}


async def put_events(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    results = await _bus(call).put_events(list(body["Entries"]))
    return {
        "FailedEntryCount": sum("ErrorCode" in r for r in results),
        "Entries": results,
    }


async def test_event_pattern(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return {"Result": event_pattern_matches(body["EventPattern"], body["Event"])}


async def tag_resource(call: Call, body: dict[str, Any]) -> None:
    await _bus(call).tag(body["ResourceARN"], _tags(body))


async def untag_resource(call: Call, body: dict[str, Any]) -> None:
    await _bus(call).untag(body["ResourceARN"], list(body["TagKeys"]))


async def list_tags_for_resource(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    tags = await _bus(call).tags(body["ResourceARN"])
    return {"Tags": [{"Key": key, "Value": value} for key, value in tags.items()]}


async def create_archive(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _bus(call).archives.create(
        body["ArchiveName"], body["EventSourceArn"], body.get("EventPattern"),
        body.get("Description"), body.get("RetentionDays"),
    )  # fmt: skip


async def update_archive(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _bus(call).archives.update(
        body["ArchiveName"], body.get("EventPattern"), body.get("Description"),
        body.get("RetentionDays"),
    )  # fmt: skip


async def describe_archive(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _bus(call).archives.describe(body["ArchiveName"])


async def delete_archive(call: Call, body: dict[str, Any]) -> None:
    await _bus(call).archives.delete(body["ArchiveName"])


async def list_archives(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    found = await _bus(call).archives.archives(
        body.get("NamePrefix") or "", body.get("EventSourceArn"), body.get("State")
    )
    page, more = _page(found, body)
    return {"Archives": page, **more}


async def start_replay(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _bus(call).archives.start_replay(
        body["ReplayName"], body["EventSourceArn"], body["EventStartTime"],
        body["EventEndTime"], body["Destination"], body.get("Description"),
    )  # fmt: skip


async def describe_replay(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _bus(call).archives.describe_replay(body["ReplayName"])


async def list_replays(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    found = await _bus(call).archives.list_replays(
        body.get("NamePrefix") or "", body.get("State"), body.get("EventSourceArn")
    )
    page, more = _page(found, body)
    return {"Replays": page, **more}


async def cancel_replay(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _bus(call).archives.cancel_replay(body["ReplayName"])


# ---- bus permissions and settings, connections, API destinations, endpoints ---------------
# (stratus.events.resources: stored and answered; see its docstring for what is not done)


async def update_event_bus(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    service = _bus(call)
    name = EventBusService.bus_name(body.get("Name"))
    await service.describe_bus(name)  # ResourceNotFoundException for a bus that is not
    if body.get("Description") is not None:
        await service.update_bus(name, body["Description"])
    await service.resources.update_bus(name, body)
    described = await service.describe_bus(name)
    keep = ("Arn", "Name", "KmsKeyIdentifier", "Description", "DeadLetterConfig", "LogConfig")
    return {k: v for k, v in described.items() if k in keep}


async def put_permission(call: Call, body: dict[str, Any]) -> None:
    service = _bus(call)
    name = _bus_name(body)
    await service.describe_bus(name)
    await service.resources.put_permission(name, service.bus_arn(name), body)


async def remove_permission(call: Call, body: dict[str, Any]) -> None:
    service = _bus(call)
    name = _bus_name(body)
    await service.describe_bus(name)
    await service.resources.remove_permission(
        name, body.get("StatementId"), bool(body.get("RemoveAllPermissions"))
    )


def _resources(call: Call) -> Resources:
    return _bus(call).resources


def _connections(call: Call) -> Connections:
    return _bus(call).connections


async def create_connection(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _connections(call).create_connection(body)


async def describe_connection(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _connections(call).describe_connection(body["Name"])


async def update_connection(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _connections(call).update_connection(body)


async def deauthorize_connection(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _connections(call).deauthorize_connection(body["Name"])


async def delete_connection(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _connections(call).delete_connection(body["Name"])


async def list_connections(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    found = await _connections(call).connections(
        body.get("NamePrefix") or "", body.get("ConnectionState")
    )
    page, more = _page(found, body)
    return {"Connections": page, **more}


async def create_api_destination(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _connections(call).create_api_destination(body)


async def describe_api_destination(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _connections(call).describe_api_destination(body["Name"])


async def update_api_destination(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _connections(call).update_api_destination(body)


async def delete_api_destination(call: Call, body: dict[str, Any]) -> None:
    await _connections(call).delete_api_destination(body["Name"])


async def list_api_destinations(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    found = await _connections(call).api_destinations(
        body.get("NamePrefix") or "", body.get("ConnectionArn")
    )
    page, more = _page(found, body)
    return {"ApiDestinations": page, **more}


async def create_endpoint(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _resources(call).create_endpoint(body)


async def describe_endpoint(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _resources(call).describe_endpoint(body["Name"])


async def update_endpoint(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _resources(call).update_endpoint(body)


async def delete_endpoint(call: Call, body: dict[str, Any]) -> None:
    await _resources(call).delete_endpoint(body["Name"])


async def list_endpoints(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    page, more = _page(await _resources(call).endpoints(body.get("NamePrefix") or ""), body)
    return {"Endpoints": page, **more}


# Partner event sources (SaaS partners' events): no partner sends to Stratus, so there are
# none; the account-side calls answer as for an account without any.


async def list_event_sources(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    page, more = _page(await _resources(call).event_sources(body.get("NamePrefix") or ""), body)
    return {"EventSources": page, **more}


async def describe_event_source(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    doc = await _resources(call).event_source(body["Name"])
    keep = ("Arn", "CreatedBy", "CreationTime", "Name", "State")
    return {k: v for k, v in shown(doc).items() if k in keep}


async def activate_event_source(call: Call, body: dict[str, Any]) -> None:
    resources = _resources(call)
    name = body["Name"]
    await resources.event_source(name)
    has_bus = name in await _bus(call).bus_names(name)
    await resources.set_source_state(name, "ACTIVE" if has_bus else "PENDING")


async def deactivate_event_source(call: Call, body: dict[str, Any]) -> None:
    await _resources(call).set_source_state(body["Name"], "DISABLED")


# The partner's side: what a SaaS partner calls to offer events to an account.


async def create_partner_event_source(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    arn = await _resources(call).create_partner_source(body["Name"], body["Account"])
    return {"EventSourceArn": arn}


async def describe_partner_event_source(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _resources(call).describe_partner_source(body["Name"])


async def list_partner_event_sources(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    page, more = _page(await _resources(call).partner_sources(body["NamePrefix"]), body)
    return {"PartnerEventSources": page, **more}


async def list_partner_event_source_accounts(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    found = await _resources(call).partner_source_accounts(body["EventSourceName"])
    page, more = _page(found, body)
    return {"PartnerEventSourceAccounts": page, **more}


async def delete_partner_event_source(call: Call, body: dict[str, Any]) -> None:
    await _resources(call).delete_partner_source(body["Name"], body["Account"])


async def put_partner_events(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    """Each entry goes to the partner event bus of its Source, while that source is
    ACTIVE; others fail one by one."""
    service, answers = _bus(call), []
    for entry in body.get("Entries") or []:
        source = str(entry.get("Source") or "")
        state = await service.resources.source_state(source)
        if state != "ACTIVE":
            answers.append({"ErrorCode": "ResourceNotFoundException",
                            "ErrorMessage": f"Event source {source} is not active "
                            f"({state or 'unknown'})."})  # fmt: skip
            continue
        [result] = await service.put_events([{**entry, "EventBusName": source}])
        answers.append(result)
    failed = sum("ErrorCode" in a for a in answers)
    return {"FailedEntryCount": failed, "Entries": answers}


API = Api(
    "events",
    {
        "CreateEventBus": create_event_bus,
        "DeleteEventBus": delete_event_bus,
        "DescribeEventBus": describe_event_bus,
        "ListEventBuses": list_event_buses,
        "PutRule": put_rule,
        "DescribeRule": describe_rule,
        "ListRules": list_rules,
        "DeleteRule": delete_rule,
        "EnableRule": enable_rule,
        "DisableRule": disable_rule,
        "PutTargets": put_targets,
        "ListTargetsByRule": list_targets_by_rule,
        "RemoveTargets": remove_targets,
        "ListRuleNamesByTarget": list_rule_names_by_target,
        "PutEvents": put_events,
        "TestEventPattern": test_event_pattern,
        "TagResource": tag_resource,
        "UntagResource": untag_resource,
        "ListTagsForResource": list_tags_for_resource,
        "CreateArchive": create_archive,
        "UpdateArchive": update_archive,
        "DescribeArchive": describe_archive,
        "DeleteArchive": delete_archive,
        "ListArchives": list_archives,
        "StartReplay": start_replay,
        "DescribeReplay": describe_replay,
        "ListReplays": list_replays,
        "CancelReplay": cancel_replay,
        "UpdateEventBus": update_event_bus,
        "PutPermission": put_permission,
        "RemovePermission": remove_permission,
        "CreateConnection": create_connection,
        "DescribeConnection": describe_connection,
        "UpdateConnection": update_connection,
        "DeauthorizeConnection": deauthorize_connection,
        "DeleteConnection": delete_connection,
        "ListConnections": list_connections,
        "CreateApiDestination": create_api_destination,
        "DescribeApiDestination": describe_api_destination,
        "UpdateApiDestination": update_api_destination,
        "DeleteApiDestination": delete_api_destination,
        "ListApiDestinations": list_api_destinations,
        "CreateEndpoint": create_endpoint,
        "DescribeEndpoint": describe_endpoint,
        "UpdateEndpoint": update_endpoint,
        "DeleteEndpoint": delete_endpoint,
        "ListEndpoints": list_endpoints,
        "ListEventSources": list_event_sources,
        "DescribeEventSource": describe_event_source,
        "ActivateEventSource": activate_event_source,
        "DeactivateEventSource": deactivate_event_source,
        "CreatePartnerEventSource": create_partner_event_source,
        "DescribePartnerEventSource": describe_partner_event_source,
        "ListPartnerEventSources": list_partner_event_sources,
        "ListPartnerEventSourceAccounts": list_partner_event_source_accounts,
        "DeletePartnerEventSource": delete_partner_event_source,
        "PutPartnerEvents": put_partner_events,
    },
    ERRORS,
    # PutEvents' 1 MiB of entries, and the JSON around them.
    body_limit=1_048_576 + 256 * 1024,
)
