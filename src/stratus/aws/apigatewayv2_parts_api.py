"""The rest of the API Gateway v2 API for boto3's `apigatewayv2` client: VPC links, the
WebSocket-only parts (models, route responses, integration responses:
stratus.apis.http.websocket, which also answers as AWS does for an HTTP API), and the
Delete… calls for one member of a stage or route (access log settings, route settings,
route request parameters), and the routing rules of custom domain names
(stratus.apis.routing_rules). The table apigatewayv2_api.py serves; each handler makes one
service call.
"""

from __future__ import annotations

from typing import Any

from stratus.apis.http.model import PARENTS
from stratus.apis.http.websocket import INTEGRATION_RESPONSE, MODEL, ROUTE_RESPONSE, Part
from stratus.apis.routing_rules import RoutingRule

from .protocols.adapter import Call, Handler, Output


def _apis(call: Call) -> Any:
    return call.services.apis


def _members(found: Any) -> dict[str, Any]:
    return dict(found.model_dump(exclude_none=True, mode="json"))


# -- VPC links -------------------------------------------------------------------------------------
async def create_vpc_link(call: Call, params: dict[str, Any]) -> Output:
    made = await _apis(call).vpc_links.create(
        params["Name"], params.get("SubnetIds") or [], params.get("SecurityGroupIds"),
        params.get("Tags"),
    )  # fmt: skip
    return _members(made)


async def get_vpc_link(call: Call, params: dict[str, Any]) -> Output:
    return _members(await _apis(call).vpc_links.get(params["VpcLinkId"]))


async def get_vpc_links(call: Call, params: dict[str, Any]) -> Output:
    return {"Items": [_members(v) for v in await _apis(call).vpc_links.list()]}


async def update_vpc_link(call: Call, params: dict[str, Any]) -> Output:
    return _members(await _apis(call).vpc_links.update(params["VpcLinkId"], params.get("Name")))


async def delete_vpc_link(call: Call, params: dict[str, Any]) -> Output:
    await _apis(call).vpc_links.delete(params["VpcLinkId"])
    return {}


# -- one member of a stage or a route --------------------------------------------------------------
async def delete_access_log_settings(call: Call, params: dict[str, Any]) -> Output:
    await _apis(call).delete_access_log_settings(params["ApiId"], params["StageName"])
    return None


async def delete_route_settings(call: Call, params: dict[str, Any]) -> Output:
    await _apis(call).delete_route_settings(
        params["ApiId"], params["StageName"], params["RouteKey"]
    )
    return None


async def delete_route_request_parameter(call: Call, params: dict[str, Any]) -> Output:
    await _apis(call).delete_route_request_parameter(
        params["ApiId"], params["RouteId"], params["RequestParameterKey"]
    )
    return None


# -- routing rules of custom domain names (apis/routing_rules.py) ---------------------------------
def _rule(call: Call, domain: str, rule: RoutingRule) -> dict[str, Any]:
    settings = call.services.settings
    arn = (
        f"arn:aws:apigateway:{settings.region}:{settings.account_id}:/domainnames/{domain}"
        f"/routingrules/{rule.RoutingRuleId}"
    )
    return _members(rule) | {"RoutingRuleArn": arn}


def _rule_fields(params: dict[str, Any]) -> dict[str, Any]:
    return {k: params[k] for k in ("Priority", "Conditions", "Actions") if k in params}


async def create_routing_rule(call: Call, params: dict[str, Any]) -> Output:
    made = await call.services.domains.create_rule(params["DomainName"], _rule_fields(params))
    return _rule(call, params["DomainName"], made)


async def put_routing_rule(call: Call, params: dict[str, Any]) -> Output:
    made = await call.services.domains.put_rule(
        params["DomainName"], params["RoutingRuleId"], _rule_fields(params)
    )
    return _rule(call, params["DomainName"], made)


async def get_routing_rule(call: Call, params: dict[str, Any]) -> Output:
    found = await call.services.domains.get_rule(params["DomainName"], params["RoutingRuleId"])
    return _rule(call, params["DomainName"], found)


async def list_routing_rules(call: Call, params: dict[str, Any]) -> Output:
    found = await call.services.domains.list_rules(params["DomainName"])
    return {"RoutingRules": [_rule(call, params["DomainName"], r) for r in found]}


async def delete_routing_rule(call: Call, params: dict[str, Any]) -> Output:
    await call.services.domains.delete_rule(params["DomainName"], params["RoutingRuleId"])
    return None


# -- WebSocket-only parts --------------------------------------------------------------------------
def _websocket_part(part: Part) -> dict[str, Handler]:
    """Create, Get…s, Get, Update, Delete (and, for models, GetModelTemplate) of one part;
    `part.parent` is the member naming the route or integration it hangs on."""
    noun = part.kind.name
    key = f"{noun}Id"

    def parent_of(params: dict[str, Any]) -> str | None:
        return params[part.parent] if part.parent else None

    def answer(found: Any) -> dict[str, Any]:
        return dict(found.model_dump(exclude_none=True, exclude=PARENTS, mode="json"))

    async def create(call: Call, params: dict[str, Any]) -> Output:
        parts = _apis(call).parts
        made = await parts.create(
            part, params["ApiId"], parent_of(params), parts.request(part, params)
        )
        return answer(made)

    async def list_of(call: Call, params: dict[str, Any]) -> Output:
        found = await _apis(call).parts.list_of(part, params["ApiId"], parent_of(params))
        return {"Items": [answer(f) for f in found]}

    async def get(call: Call, params: dict[str, Any]) -> Output:
        return answer(
            await _apis(call).parts.get(part, params["ApiId"], parent_of(params), params[key])
        )

    async def update(call: Call, params: dict[str, Any]) -> Output:
        parts = _apis(call).parts
        updated = await parts.update(
            part, params["ApiId"], parent_of(params), params[key], parts.request(part, params)
        )
        return answer(updated)

    async def delete(call: Call, params: dict[str, Any]) -> Output:
        await _apis(call).parts.delete(part, params["ApiId"], parent_of(params), params[key])
        return None

    async def template(call: Call, params: dict[str, Any]) -> Output:
        return {"Value": await _apis(call).parts.template(params["ApiId"], params[key])}

    handlers: dict[str, Handler] = {
        f"Create{noun}": create,
        f"Get{noun}s": list_of,
        f"Get{noun}": get,
        f"Update{noun}": update,
        f"Delete{noun}": delete,
    }
    if part is MODEL:
        handlers["GetModelTemplate"] = template
    return handlers


HANDLERS: dict[str, Handler] = {
    "CreateVpcLink": create_vpc_link,
    "GetVpcLink": get_vpc_link,
    "GetVpcLinks": get_vpc_links,
    "UpdateVpcLink": update_vpc_link,
    "DeleteVpcLink": delete_vpc_link,
    "DeleteAccessLogSettings": delete_access_log_settings,
    "DeleteRouteSettings": delete_route_settings,
    "DeleteRouteRequestParameter": delete_route_request_parameter,
    "CreateRoutingRule": create_routing_rule,
    "PutRoutingRule": put_routing_rule,
    "GetRoutingRule": get_routing_rule,
    "ListRoutingRules": list_routing_rules,
    "DeleteRoutingRule": delete_routing_rule,
    **_websocket_part(MODEL),
    **_websocket_part(ROUTE_RESPONSE),
    **_websocket_part(INTEGRATION_RESPONSE),
}
