"""EventBridge Scheduler (boto3 `scheduler`, rest-json): schedules, schedule groups and their
tags, served from botocore's model by protocols/rest_json.py. Each handler makes one
SchedulerService call (stratus.schedules) and names what it answers.

`/tags/{ResourceArn}` is API Gateway's path too (GET and DELETE alike): `route()` answers
it only for a Scheduler ARN, so the two APIs share the address as AWS's two hosts would.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from stratus.errors import Conflict, Invalid, NotFound, Throttled, TooLarge
from stratus.paging import page
from stratus.schedules.model import ScheduleSpec
from stratus.schedules.service import SchedulerService

from .protocols.adapter import Api, Call, Handler, Output
from .protocols.errors import ErrorTable, WireError
from .protocols.rest_json import RestJson
from .wire import CONTROL_BODY_LIMIT

ERRORS: ErrorTable = {
    Invalid: WireError("ValidationException", 400),
    NotFound: WireError("ResourceNotFoundException", 404),
    Conflict: WireError("ConflictException", 409),
    TooLarge: WireError("ServiceQuotaExceededException", 402),
    Throttled: WireError("ThrottlingException", 429),
}
MAX_RESULTS = 100


def scheduler(call: Call) -> SchedulerService:
    return call.services.scheduler


def _tags(params: dict[str, Any]) -> dict[str, str]:
    return {str(t["Key"]): str(t["Value"]) for t in params.get("Tags") or []}


async def create_schedule(call: Call, params: dict[str, Any]) -> Output:
    return {"ScheduleArn": await scheduler(call).create_schedule(ScheduleSpec.of(params))}


async def update_schedule(call: Call, params: dict[str, Any]) -> Output:
    return {"ScheduleArn": await scheduler(call).update_schedule(ScheduleSpec.of(params))}


async def get_schedule(call: Call, params: dict[str, Any]) -> Output:
    found = await scheduler(call).schedule(params.get("GroupName"), params["Name"])
    return found.described()


async def delete_schedule(call: Call, params: dict[str, Any]) -> Output:
    await scheduler(call).delete_schedule(params.get("GroupName"), params["Name"])
    return {}


async def list_schedules(call: Call, params: dict[str, Any]) -> Output:
    found = await scheduler(call).schedules(
        params.get("GroupName"), params.get("NamePrefix") or "", params.get("State")
    )
    size = params.get("MaxResults") or MAX_RESULTS
    items, token = page(found, params.get("NextToken"), lambda s: s.arn, size)
    return {"Schedules": [s.summary() for s in items], "NextToken": token}


async def create_schedule_group(call: Call, params: dict[str, Any]) -> Output:
    arn = await scheduler(call).create_group(params["Name"], _tags(params))
    return {"ScheduleGroupArn": arn}


async def get_schedule_group(call: Call, params: dict[str, Any]) -> Output:
    return (await scheduler(call).group(params["Name"])).described()


async def delete_schedule_group(call: Call, params: dict[str, Any]) -> Output:
    await scheduler(call).delete_group(params["Name"])
    return {}


async def list_schedule_groups(call: Call, params: dict[str, Any]) -> Output:
    found = await scheduler(call).groups(params.get("NamePrefix") or "")
    size = params.get("MaxResults") or MAX_RESULTS
    items, token = page(found, params.get("NextToken"), lambda g: g.name, size)
    return {"ScheduleGroups": [g.described() for g in items], "NextToken": token}


async def tag_resource(call: Call, params: dict[str, Any]) -> Output:
    await scheduler(call).tag(params["ResourceArn"], _tags(params))
    return {}


async def untag_resource(call: Call, params: dict[str, Any]) -> Output:
    await scheduler(call).untag(params["ResourceArn"], list(params["TagKeys"]))
    return {}


async def list_tags_for_resource(call: Call, params: dict[str, Any]) -> Output:
    tags = await scheduler(call).tags(params["ResourceArn"])
    return {"Tags": [{"Key": key, "Value": value} for key, value in tags.items()]}


HANDLERS: dict[str, Handler] = {
    "CreateSchedule": create_schedule,
    "GetSchedule": get_schedule,
    "UpdateSchedule": update_schedule,
    "DeleteSchedule": delete_schedule,
    "ListSchedules": list_schedules,
    "CreateScheduleGroup": create_schedule_group,
    "GetScheduleGroup": get_schedule_group,
    "DeleteScheduleGroup": delete_schedule_group,
    "ListScheduleGroups": list_schedule_groups,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}


def body_limit(operation: str, headers: Headers) -> tuple[int, str]:
    return CONTROL_BODY_LIMIT, "this operation"


class _SchedulerRoute(BaseRoute):
    """The model's routes, except a /tags/ path that names no Scheduler ARN (API Gateway's)."""

    def __init__(self, route: BaseRoute) -> None:
        self._route = route

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path: str = scope.get("path", "")
        if path.startswith("/tags/") and not path.startswith("/tags/arn:aws:scheduler:"):
            return Match.NONE, {}
        return self._route.matches(scope)

    async def handle(self, scope: Scope, receive: Any, send: Any) -> None:
        await self._route.handle(scope, receive, send)


class SchedulerApi:
    def __init__(self) -> None:
        self.served = RestJson(Api("scheduler", HANDLERS, ERRORS), body_limit)
        self.api = self.served.api

    def route(self) -> BaseRoute:
        return _SchedulerRoute(self.served.route())


def api() -> SchedulerApi:
    """EventBridge Scheduler: the table above, served from botocore's model of `scheduler`."""
    return SchedulerApi()
