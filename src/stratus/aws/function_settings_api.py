"""The rest of a function's settings in the Lambda API: tags, recursion and runtime
management, scaling, code signing configurations, and the deprecated InvokeAsync. The rules
live in stratus.functions (settings.py, code_signing.py); this reads members, makes the
calls and names the answers."""

from __future__ import annotations

from typing import Any

from stratus.errors import Invalid
from stratus.functions.code_signing import CodeSigningConfigRequest, CodeSigningConfigUpdate
from stratus.functions.names import FunctionRef, parse_reference
from stratus.functions.service import FunctionService
from stratus.validation import parse

from .invoke_access import wait_check_invoke
from .lambda_members import listed, ref
from .protocols.adapter import Call, Handler, Output


def _functions(call: Call) -> FunctionService:
    return call.services.functions


# --- tags -------------------------------------------------------------------------------


async def _tagged(call: Call, arn: str) -> tuple[str, str]:
    """('function', name) or ('code-signing-config', arn): what a tag call's ARN names."""
    if ":code-signing-config:" in arn:
        await _functions(call).code_signing.get(arn)
        return "code-signing-config", arn
    if not arn.startswith("arn:") or ":function:" not in arn:
        raise Invalid(f"Tags are supported on functions and code signing configs, not {arn}")
    target = parse_reference(arn)
    if target.qualifier:
        raise Invalid("Tags on function aliases and versions are not supported.")
    await _functions(call).get(target)
    return "function", target.name


async def tag_resource(call: Call, params: dict[str, Any]) -> Output:
    await _retag(call, params["Resource"], params["Tags"], ())
    return None


async def untag_resource(call: Call, params: dict[str, Any]) -> Output:
    await _retag(call, params["Resource"], {}, params["TagKeys"])
    return None


async def _retag(call: Call, arn: str, add: dict[str, str], remove: Any) -> None:
    kind, key = await _tagged(call, arn)
    if kind == "function":
        await _functions(call).retag(key, add, remove)
        return
    signing = _functions(call).code_signing
    tags = {**await signing.tags(key), **add}
    for name in remove:
        tags.pop(name, None)
    await signing.retag(key, tags)


async def list_tags(call: Call, params: dict[str, Any]) -> Output:
    kind, key = await _tagged(call, params["Resource"])
    if kind == "function":
        return {"Tags": (await _functions(call).get(FunctionRef(key))).tags}
    return {"Tags": await _functions(call).code_signing.tags(key)}


# --- recursion, runtime, scaling --------------------------------------------------------


async def put_recursion_config(call: Call, params: dict[str, Any]) -> Output:
    name = await _unqualified(call, params)
    await _functions(call).options.put(name, "", "recursion", params["RecursiveLoop"])
    return {"RecursiveLoop": params["RecursiveLoop"]}


async def get_recursion_config(call: Call, params: dict[str, Any]) -> Output:
    name = await _unqualified(call, params)
    found = await _functions(call).options.get(name, "", "recursion")
    return {"RecursiveLoop": found or "Terminate"}


async def put_runtime_management_config(call: Call, params: dict[str, Any]) -> Output:
    target, qualifier = await _version(call, params)
    mode, version_arn = params["UpdateRuntimeOn"], params.get("RuntimeVersionArn")
    if mode == "Manual" and not version_arn:
        raise Invalid("RuntimeVersionArn is required when UpdateRuntimeOn is Manual.")
    if mode != "Manual" and version_arn:
        raise Invalid(
            f"RuntimeVersionArn can only be set when UpdateRuntimeOn is Manual, not {mode}."
        )
    value = {"UpdateRuntimeOn": mode, "RuntimeVersionArn": version_arn}
    await _functions(call).options.put(target.name, qualifier, "runtime", value)
    return _runtime_answer(call, target.name, qualifier, value)


async def get_runtime_management_config(call: Call, params: dict[str, Any]) -> Output:
    target, qualifier = await _version(call, params)
    found = await _functions(call).options.get(target.name, qualifier, "runtime")
    return _runtime_answer(call, target.name, qualifier, found or {"UpdateRuntimeOn": "Auto"})


def _runtime_answer(call: Call, name: str, qualifier: str, value: dict[str, Any]) -> Output:
    answer = {
        "UpdateRuntimeOn": value["UpdateRuntimeOn"],
        "FunctionArn": _functions(call).arn(name, qualifier),
    }
    if value.get("RuntimeVersionArn"):
        answer["RuntimeVersionArn"] = value["RuntimeVersionArn"]
    return answer


async def put_scaling_config(call: Call, params: dict[str, Any]) -> Output:
    target, qualifier = await _published(call, params)
    requested = params.get("FunctionScalingConfig") or {}
    low, high = requested.get("MinExecutionEnvironments"), requested.get("MaxExecutionEnvironments")
    if low is not None and high is not None and low > high:
        raise Invalid(
            "MinExecutionEnvironments must be less than or equal to MaxExecutionEnvironments."
        )
    await _functions(call).options.put(target.name, qualifier, "scaling", requested)
    return {"FunctionState": "Active"}


async def get_scaling_config(call: Call, params: dict[str, Any]) -> Output:
    target, qualifier = await _published(call, params)
    found = await _functions(call).options.get(target.name, qualifier, "scaling")
    answer: dict[str, Any] = {"FunctionArn": _functions(call).arn(target.name, qualifier)}
    if found is not None:
        answer["AppliedFunctionScalingConfig"] = found
        answer["RequestedFunctionScalingConfig"] = found
    return answer


async def _unqualified(call: Call, params: dict[str, Any]) -> str:
    target = ref(params)
    if target.qualifier:
        raise Invalid("This setting applies to the function, not to a version or alias.")
    await _functions(call).get(target)
    return target.name


async def _version(call: Call, params: dict[str, Any]) -> tuple[FunctionRef, str]:
    """The function and the version ($LATEST or a number) a setting applies to."""
    target = ref(params)
    qualifier = target.qualifier or "$LATEST"
    if not (qualifier == "$LATEST" or qualifier.isdigit()):
        raise Invalid(f"The qualifier must be $LATEST or a version number, not {qualifier}.")
    await _functions(call).get(FunctionRef(target.name, qualifier))
    return target, qualifier


async def _published(call: Call, params: dict[str, Any]) -> tuple[FunctionRef, str]:
    """A published version (the model's pattern: a number or $LATEST.PUBLISHED, the newest
    one); it must exist."""
    target = ref(params)
    qualifier = target.qualifier or ""
    if qualifier == "$LATEST.PUBLISHED":
        await _functions(call).get(FunctionRef(target.name))
    else:
        await _functions(call).get(FunctionRef(target.name, qualifier))
    return target, qualifier


# --- code signing -----------------------------------------------------------------------


async def create_code_signing_config(call: Call, params: dict[str, Any]) -> Output:
    request = parse(CodeSigningConfigRequest, params)
    return {"CodeSigningConfig": await _functions(call).code_signing.create(request)}


async def get_code_signing_config(call: Call, params: dict[str, Any]) -> Output:
    arn = params["CodeSigningConfigArn"]
    return {"CodeSigningConfig": await _functions(call).code_signing.get(arn)}


async def update_code_signing_config(call: Call, params: dict[str, Any]) -> Output:
    update = parse(CodeSigningConfigUpdate, params)
    signing = _functions(call).code_signing
    return {"CodeSigningConfig": await signing.update(params["CodeSigningConfigArn"], update)}


async def delete_code_signing_config(call: Call, params: dict[str, Any]) -> Output:
    await _functions(call).code_signing.delete(params["CodeSigningConfigArn"])
    return None


async def list_code_signing_configs(call: Call, params: dict[str, Any]) -> Output:
    signing = _functions(call).code_signing
    found, marker = await signing.list(params.get("Marker"), params.get("MaxItems"))
    return listed("CodeSigningConfigs", found, marker)


async def put_function_code_signing_config(call: Call, params: dict[str, Any]) -> Output:
    name = await _unqualified(call, params)
    arn = params["CodeSigningConfigArn"]
    await _functions(call).code_signing.get(arn)
    await _functions(call).options.put(name, "", "code_signing", arn)
    return {"CodeSigningConfigArn": arn, "FunctionName": name}


async def get_function_code_signing_config(call: Call, params: dict[str, Any]) -> Output:
    name = await _unqualified(call, params)
    arn = await _functions(call).options.get(name, "", "code_signing")
    return {"CodeSigningConfigArn": arn or "", "FunctionName": name}


async def delete_function_code_signing_config(call: Call, params: dict[str, Any]) -> Output:
    name = await _unqualified(call, params)
    await _functions(call).options.delete(name, "", "code_signing")
    return None


async def list_functions_by_code_signing_config(call: Call, params: dict[str, Any]) -> Output:
    arn = params["CodeSigningConfigArn"]
    await _functions(call).code_signing.get(arn)
    names = await _functions(call).options.functions_with("code_signing", arn)
    start = int(params.get("Marker") or 0) if str(params.get("Marker") or "0").isdigit() else 0
    size = min(int(params.get("MaxItems") or 50), 50)
    page = [_functions(call).arn(n) for n in names[start : start + size]]
    more = start + size < len(names)
    return listed("FunctionArns", page, str(start + size) if more else None)


# --- InvokeAsync ------------------------------------------------------------------------


async def invoke_async(call: Call, params: dict[str, Any]) -> Output:
    """Deprecated, still served by AWS: an Event invocation answered 202 {"Status": 202}."""
    payload = params.get("InvokeArgs") or b""
    if not isinstance(payload, bytes):
        payload = payload.encode() if isinstance(payload, str) else bytes(payload)
    await wait_check_invoke(call, ref(params))
    await call.services.async_invocations.accept(ref(params), payload, call.request_id)
    return {"Status": 202}


HANDLERS: dict[str, Handler] = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTags": list_tags,
    "PutFunctionRecursionConfig": put_recursion_config,
    "GetFunctionRecursionConfig": get_recursion_config,
    "PutRuntimeManagementConfig": put_runtime_management_config,
    "GetRuntimeManagementConfig": get_runtime_management_config,
    "PutFunctionScalingConfig": put_scaling_config,
    "GetFunctionScalingConfig": get_scaling_config,
    "CreateCodeSigningConfig": create_code_signing_config,
    "GetCodeSigningConfig": get_code_signing_config,
    "UpdateCodeSigningConfig": update_code_signing_config,
    "DeleteCodeSigningConfig": delete_code_signing_config,
    "ListCodeSigningConfigs": list_code_signing_configs,
    "PutFunctionCodeSigningConfig": put_function_code_signing_config,
    "GetFunctionCodeSigningConfig": get_function_code_signing_config,
    "DeleteFunctionCodeSigningConfig": delete_function_code_signing_config,
    "ListFunctionsByCodeSigningConfig": list_functions_by_code_signing_config,
    "InvokeAsync": invoke_async,
}
