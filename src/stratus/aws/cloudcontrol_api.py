"""AWS Cloud Control API (JSON 1.0, X-Amz-Target: CloudApiService.*): GetResource of
`AWS::Lambda::Url` only, which `sam list endpoints` asks for each function of a stack (a
function without a URL is ResourceNotFoundException, which SAM shows as "-"). Properties are
CloudFormation's for the type (TargetFunctionArn, Qualifier, AuthType, InvokeMode, Cors,
FunctionArn, FunctionUrl), as JSON text, as Cloud Control answers them. Another type is
UnsupportedActionException: Stratus serves no other resource through this API.
"""

from __future__ import annotations

import json
from typing import Any

from stratus.errors import Invalid, NotFound, StratusError
from stratus.functions.names import parse_reference

from .protocols.adapter import Api, Call
from .protocols.errors import ErrorTable, WireError

SERVICE = "cloudcontrol"
FUNCTION_URL = "AWS::Lambda::Url"


class UnsupportedType(StratusError):
    pass


ERRORS: ErrorTable = {
    NotFound: WireError("ResourceNotFoundException", 400),
    Invalid: WireError("InvalidRequestException", 400),
    UnsupportedType: WireError("UnsupportedActionException", 400),
}


async def get_resource(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    if p["TypeName"] != FUNCTION_URL:
        raise UnsupportedType(
            f"Stratus serves GetResource for {FUNCTION_URL} only, not {p['TypeName']}."
        )
    urls = call.services.functions.urls
    ref = parse_reference(p["Identifier"])  # TargetFunctionArn (a name is taken too)
    config = await urls.get(ref)
    wire = config.wire(urls.port)
    properties = {
        "TargetFunctionArn": p["Identifier"],
        "AuthType": config.AuthType,
        "InvokeMode": config.InvokeMode,
        "FunctionArn": config.FunctionArn,
        "FunctionUrl": wire["FunctionUrl"],
    }
    if ref.qualifier:
        properties["Qualifier"] = ref.qualifier
    if "Cors" in wire:
        properties["Cors"] = wire["Cors"]
    return {
        "TypeName": FUNCTION_URL,
        "ResourceDescription": {
            "Identifier": p["Identifier"],
            "Properties": json.dumps(properties),
        },
    }


API = Api(SERVICE, {"GetResource": get_resource}, ERRORS)
