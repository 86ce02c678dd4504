"""Custom resources: AWS::CloudFormation::CustomResource and Custom::*, backed by a function
(or a topic), with CloudFormation's cfn-response protocol.

    engine ──(async invoke / publish)──> handler
      {RequestType, ResponseURL, StackId, RequestId, LogicalResourceId, ResourceType,
       ResourceProperties, PhysicalResourceId?, OldResourceProperties?}
    handler ──PUT {Status, Reason, PhysicalResourceId, Data, NoEcho, …}──> ResponseURL
    engine <──(reads the object)── object storage

The ResponseURL is a presigned PUT URL (SigV4 query form, two hours, as AWS's) on this
server's object storage, in the bucket `cloudformation-custom-resource-response-<region>`
(AWS's name for its own), key `<StackId>|<LogicalResourceId>|<RequestId>`. The step waits
by polling that key (cheap: one indexed read) until the answer comes or ServiceTimeout
(1-3600 s, default 3600, on the work queue's clock) passes. SUCCESS gives the physical id and
the `Data` as the attributes Fn::GetAtt reads; FAILED (or the timeout) fails the resource
with AWS's reason, and the rollback sends the Delete that AWS sends for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import urllib.parse
import uuid
from typing import Any

import orjson
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from stratus.errors import AlreadyExists, NotFound, StratusError
from stratus.functions.names import parse_reference
from stratus.templates.provider import (
    NO_ECHO_ATTRIBUTE,
    Context,
    Created,
    Provider,
    ResourceFailed,
    required,
    timed_out,
)
from stratus.topics.model import NewMessage

CUSTOM_TYPE = "AWS::CloudFormation::CustomResource"
DEFAULT_TIMEOUT = 3600.0  # seconds: AWS's one hour
RESPONSE_LIMIT = 4096  # bytes: AWS refuses a longer response object
URL_LIFETIME = 7200  # seconds a ResponseURL stays valid (AWS's: two hours)
_POLL_FIRST, _POLL_MOST = 0.02, 0.5  # seconds between reads of the response key
# Signatures are not checked by Stratus; these only make the URL AWS-shaped.
_SIGNER = Credentials("ASIASTRATUSRESPONSE0", "stratus-custom-resource-responses")


def response_bucket(region: str) -> str:
    return f"cloudformation-custom-resource-response-{region.replace('-', '')}"


class CustomResource(Provider):
    type_name = CUSTOM_TYPE
    # Any property change is an Update request: the handler decides (a new physical id in
    # its answer replaces the resource, and the old one gets a Delete in the cleanup).

    def needs_replacement(self, old: dict[str, Any], new: dict[str, Any]) -> bool:
        return False

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        answer = await _wait_request(ctx, "Create", logical_id, props, None, None)
        return _created(answer)

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        if old.get("ServiceToken") != new.get("ServiceToken"):
            raise ResourceFailed("Modifying service token is not allowed.")
        answer = await _wait_request(ctx, "Update", logical_id, new, current.physical_id, old)
        return _created(answer)

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        await _wait_request(ctx, "Delete", ctx.logical_id, props, physical_id, None)


class _Custom(CustomResource):
    """`Custom::Anything`: the registry answers this provider for every such type."""

    type_name = "Custom::*"


def _created(answer: dict[str, Any]) -> Created:
    data = answer.get("Data") or {}
    attributes = {str(k): v for k, v in data.items()}
    if answer.get("NoEcho") in (True, "true", "True"):
        attributes[NO_ECHO_ATTRIBUTE] = True  # the stack's outputs made from it are masked
    return Created(str(answer["PhysicalResourceId"]), attributes)


async def _wait_request(
    ctx: Context,
    request_type: str,
    logical_id: str,
    props: dict[str, Any],
    physical_id: str | None,
    old: dict[str, Any] | None,
) -> dict[str, Any]:
    """Send one request and wait for its response; the SUCCESS answer, or ResourceFailed."""
    token = str(required(props, "ServiceToken", CUSTOM_TYPE))
    timeout = _timeout(props)
    bucket = response_bucket(ctx.settings.region)
    await _wait_bucket(ctx, bucket)
    store = ctx.store
    # A request sent before a restart is still awaited: its answer goes to the same key.
    pending = await _pending(ctx, request_type, logical_id, props, physical_id)
    if pending is not None:
        request, deadline = pending
    else:
        request_id = str(uuid.uuid4())
        key = f"{ctx.stack_id}|{logical_id}|{request_id}"
        url = response_url(ctx.settings.endpoint_url, ctx.settings.region, bucket, key)
        request = custom_request(
            request_type, url, ctx.stack_id, request_id, logical_id,
            ctx.resource_type or CUSTOM_TYPE, props, physical_id, old,
        )  # fmt: skip
        deadline = ctx.services.work.clock.now() + timeout
        if store is not None:
            await store.put_pending_request(ctx.stack_id, logical_id, request, deadline)
        try:
            await _wait_send(ctx, token, orjson.dumps(request))
        except StratusError as exc:
            if store is not None:
                await store.drop_pending_request(ctx.stack_id, logical_id, request_type)
            raise ResourceFailed(
                f"Failed to send the {request_type} request to {token}: {exc.message}"
            ) from exc
    request_id = str(request["RequestId"])
    key = f"{ctx.stack_id}|{logical_id}|{request_id}"
    default_id = physical_id or ctx.physical_name(logical_id)
    cut = ctx.deadline is not None and ctx.deadline < deadline and request_type != "Delete"
    answer = await _wait_answer(ctx, bucket, key, min(deadline, ctx.deadline or deadline))
    if store is not None:  # not on cancellation: a stopping server keeps waiting after start
        await store.drop_pending_request(ctx.stack_id, logical_id, request_type)
    if answer is None and cut:
        stack = await store.find(ctx.stack_id) if store is not None else None
        raise ResourceFailed(
            timed_out(stack.TimeoutInMinutes if stack else None), Created(default_id)
        )
    if answer is None:
        partial = None if request_type == "Delete" else Created(default_id)
        raise ResourceFailed(
            "CloudFormation did not receive a response from your Custom Resource. Please check "
            f"your logs for requestId [{request_id}]. If you are using the Python cfn-response "
            "module, you may need to update your Lambda function code so that CloudFormation "
            "can attach the updated version.",
            partial,
        )
    problem = _invalid(answer, ctx.stack_id, request_id, logical_id)
    if problem is not None:
        raise ResourceFailed(f"Invalid response object: {problem}", _partial(answer, default_id))
    if answer["Status"] == "FAILED":
        reason = answer.get("Reason") or "See the details in CloudWatch Log Stream"
        partial = None if request_type == "Delete" else _partial(answer, default_id)
        raise ResourceFailed(
            f"Received response status [FAILED] from custom resource. Message returned: "
            f"{reason} (RequestId: {request_id})",
            partial,
        )
    return answer


def _partial(answer: dict[str, Any], default_id: str) -> Created:
    physical = answer.get("PhysicalResourceId")
    return Created(str(physical) if isinstance(physical, str) and physical else default_id)


def _invalid(answer: dict[str, Any], stack_id: str, request_id: str, logical_id: str) -> str | None:
    if answer.get("Status") not in ("SUCCESS", "FAILED"):
        return "Status must be SUCCESS or FAILED"
    for name, expected in (
        ("StackId", stack_id),
        ("RequestId", request_id),
        ("LogicalResourceId", logical_id),
    ):
        if answer.get(name) != expected:
            return f"{name} does not match the request's ({expected})"
    physical = answer.get("PhysicalResourceId")
    if answer["Status"] == "SUCCESS" and (not isinstance(physical, str) or not physical):
        return "Invalid PhysicalResourceId"
    if not isinstance(answer.get("Data") or {}, dict):
        return "Data must be an object"
    return None


async def _wait_send(ctx: Context, token: str, payload: bytes) -> None:
    service = token.split(":")[2] if token.count(":") >= 5 else ""
    if service == "sns":
        await ctx.services.topics.publish(token, NewMessage(Message=payload.decode()))
        return
    if service != "lambda":
        raise ResourceFailed(
            f"Invalid service token {token}: Stratus sends custom resource requests to "
            "functions (arn:aws:lambda:…) and topics (arn:aws:sns:…)"
        )
    # CloudFormation invokes the handler asynchronously (InvocationType Event).
    await ctx.services.async_invocations.accept(parse_reference(token), payload)


async def _pending(
    ctx: Context,
    request_type: str,
    logical_id: str,
    props: dict[str, Any],
    physical_id: str | None,
) -> tuple[dict[str, Any], float] | None:
    """The same request, sent before a restart and not answered yet, with its deadline."""
    if ctx.store is None:
        return None
    found = await ctx.store.pending_request(ctx.stack_id, logical_id, request_type)
    if found is None:
        return None
    request, deadline = found
    same = (
        request.get("ResourceProperties") == _strings(props)
        and request.get("PhysicalResourceId") == physical_id
    )
    return (request, deadline) if same else None


async def _wait_answer(
    ctx: Context, bucket: str, key: str, deadline: float
) -> dict[str, Any] | None:
    clock = ctx.services.work.clock
    pause = _POLL_FIRST
    while True:
        try:
            body = await ctx.services.objects.wait_read_whole(bucket, key, None, 1024 * 1024)
        except NotFound:
            if clock.now() >= deadline:
                return None
            await asyncio.sleep(pause)
            pause = min(pause * 2, _POLL_MOST)
            continue
        with contextlib.suppress(StratusError):
            await ctx.services.objects.delete_object(bucket, key, None)
        if len(body) > RESPONSE_LIMIT:
            return {"Status": "FAILED", "Reason": "Response object is too long."}
        try:
            answer = orjson.loads(body)
        except orjson.JSONDecodeError:
            answer = None
        if not isinstance(answer, dict):
            return {"Status": "FAILED", "Reason": "Invalid response object: not a JSON object"}
        return answer


async def _wait_bucket(ctx: Context, bucket: str) -> None:
    with contextlib.suppress(AlreadyExists):
        region = ctx.settings.region
        # us-east-1 is the one region S3 refuses to be named in as a location constraint.
        await ctx.services.objects.create_bucket(
            bucket, None if region == "us-east-1" else region, None
        )


def custom_request(
    request_type: str,
    url: str,
    stack_id: str,
    request_id: str,
    logical_id: str,
    resource_type: str,
    props: dict[str, Any],
    physical_id: str | None = None,
    old: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The request a custom resource's handler gets (also `stratus generate-event
    cloudformation …`)."""
    request: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": props.get("ServiceToken"),
        "ResponseURL": url,
        "StackId": stack_id,
        "RequestId": request_id,
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": _strings(props),
    }
    if physical_id is not None:
        request["PhysicalResourceId"] = physical_id
    if old is not None:
        request["OldResourceProperties"] = _strings(old)
    return request


def response_url(endpoint_url: str, region: str, bucket: str, key: str) -> str:
    """A presigned PUT URL (SigV4 query form) for the response object."""
    quoted = urllib.parse.quote(key, safe="")
    request = AWSRequest(method="PUT", url=f"{endpoint_url}/{bucket}/{quoted}")
    S3SigV4QueryAuth(_SIGNER, "s3", region, expires=URL_LIFETIME).add_auth(request)
    return str(request.url)


def _timeout(props: dict[str, Any]) -> float:
    given = props.get("ServiceTimeout")
    if given is None:
        return DEFAULT_TIMEOUT
    try:
        seconds = int(str(given))
    except ValueError:
        seconds = 0
    if not 1 <= seconds <= 3600:
        raise ResourceFailed(
            f"ServiceTimeout must be a whole number of seconds from 1 to 3600, not {given!r}"
        )
    return float(seconds)


def _strings(value: Any) -> Any:
    """CloudFormation hands a custom resource every scalar as a string."""
    if isinstance(value, dict):
        return {k: _strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strings(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, str):
        return value
    return str(value)


PROVIDERS: tuple[type[Provider], ...] = (CustomResource, _Custom)
