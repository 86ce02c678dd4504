"""Who may invoke a function through the Lambda API, once signatures are checked.

The account's root user (the default key, and every caller when checking is off) may.
An IAM user needs `lambda:InvokeFunction` on the function's ARN (qualified when the call
names a version or alias) from its own policies or from the function's resource policy
(AddPermission with the user or the account as principal): one account, so either suffices,
and an explicit Deny in either refuses. Refused: AccessDeniedException 403, in AWS's words.
"""

from __future__ import annotations

from stratus.errors import Forbidden
from stratus.functions.names import FunctionRef
from stratus.policies import Request, admits

from .protocols.adapter import Call

ACTION = "lambda:InvokeFunction"


async def wait_check_invoke(call: Call, ref: FunctionRef) -> None:
    identity = call.identity
    if identity.root:
        return
    functions = call.services.functions
    arn = functions.arn(ref.name, ref.qualifier)
    resource = functions.policies.decide(arn, Request(ACTION, arn, identity.arn, identity.account))
    own = await call.services.iam.wait_allowed(identity, ACTION, arn)
    if admits(own, resource):
        return
    reason = (
        "with an explicit deny"
        if "Deny" in (own, resource)
        else f"because no identity-based policy allows the {ACTION} action"
    )
    raise Forbidden(
        f"User: {identity.arn} is not authorized to perform: {ACTION} on resource: {arn} {reason}"
    )
