"""AWS_IAM authorization on the data plane: REST and HTTP API routes whose authorization
type is AWS_IAM (`execute-api:Invoke`) and function URLs whose AuthType is AWS_IAM
(`lambda:InvokeFunctionUrl`).

    who signed it     the request's SigV4 signature (iam/sigv4.py), service execute-api or
                      lambda, payload hash the body's; unsigned is refused (Missing
                      Authentication Token). With signature checking off (the default),
                      any signed request is the account's root user, as on the AWS endpoint.
    may they          the caller's identity policies and, where there is one, the resource's
                      own (a REST API's resource policy, a function's), evaluated with
                      stratus.policies: no explicit Deny and at least one Allow (one account,
                      so either kind of policy suffices). The root user needs none.

The answers are the interfaces' (each names its 403 body); this module says which.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.types import Scope

from stratus.gateway.events import iam_context
from stratus.iam.model import Identity, root_identity
from stratus.iam.sigv4 import Refused, incoming_of, is_signed, verify
from stratus.policies import Effect, admits
from stratus.services import Services


def signer(services: Services, scope: Scope, body: bytes) -> Identity | Refused:
    """Who signed this request to an API or a function URL, or why it is refused."""
    request = incoming_of(scope, hashlib.sha256(body).hexdigest())
    if not services.settings.verify_signatures:
        if not is_signed(request):
            return Refused("missing", "Missing Authentication Token")
        return root_identity(services.settings.account_id)
    try:
        signed = verify(request, services.iam.secret_of, time.time())
    except Refused as refused:
        return refused
    identity = services.iam.identity_of(signed.access_key)
    if identity is None:  # deleted between the two reads
        return Refused("unknown-key", "The security token included in the request is invalid.")
    return identity


async def wait_authorized(
    services: Services,
    identity: Identity,
    action: str,
    resource: str,
    *others: Effect | None,
    context: Mapping[str, str | Sequence[str]] | None = None,
) -> bool:
    """Whether `identity` may do `action` on `resource`, its own policies counted with the
    resource policies' decisions in `others`."""
    if identity.root:
        return True
    own = await services.iam.wait_allowed(identity, action, resource, context)
    return admits(own, *others)


def not_authorized(caller: Identity, arn: str, account: str) -> str:
    """API Gateway's 403 text, the account masked as it masks it (********0000)."""
    text = f"User: {caller.arn} is not authorized to perform: execute-api:Invoke on resource: {arn}"
    return text.replace(f":{account}:", f":********{account[-4:]}:")


def with_iam_caller(event: dict[str, Any], caller: Identity) -> None:
    """Who signed, in a proxy event: payload 2.0's requestContext.authorizer.iam, and 1.0's
    (and REST's) requestContext.identity fields."""
    context = event["requestContext"]
    if event.get("version") == "2.0":
        context["authorizer"] = {"iam": iam_context(caller)}
        return
    context.setdefault("identity", {}).update(
        accessKey=caller.access_key, accountId=caller.account, caller=caller.user_id,
        user=caller.user_id, userArn=caller.arn,
    )  # fmt: skip
