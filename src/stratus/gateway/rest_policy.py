"""REST API resource policies on the data plane ("How API Gateway resource policies affect
authorization workflow").

The policy the stage's deployment froze is evaluated (stratus/policies.py) for
`execute-api:Invoke` on `arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}`
(`execute-api:/...` in a policy names this API), with the caller as IAM sees an unsigned
request: anonymous, so only `"Principal": "*"` statements apply; for a method whose
authorization is AWS_IAM, the signer (iam_auth.py), whose own policies count too. Condition keys:
aws:SourceIp, aws:CurrentTime, aws:EpochTime, aws:UserAgent, aws:Referer,
aws:SecureTransport, aws:RequestedRegion, aws:PrincipalType (Anonymous).

    explicit Deny                        403 ... with an explicit deny (always)
    no statement allows (implicit deny)  403 ... (unless a Lambda authorizer decides)
    Allow, or no policy                  on to the authorizer and the rest

Both refusals are the ACCESS_DENIED gateway response with AWS's text:
`User: anonymous is not authorized to perform: execute-api:Invoke on resource: <arn>`,
the account in the ARN masked as AWS masks it.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from stratus.gateway.rest_responses import GatewayAnswer, gateway_response
from stratus.iam.model import Identity
from stratus.policies import Effect, Request, evaluate

log = logging.getLogger(__name__)
NO_POLICY: Literal["none"] = "none"


@functools.lru_cache(maxsize=256)
def _parsed(policy: str, api_prefix: str) -> dict[str, Any] | None:
    """The policy document with `execute-api:/...` resources spelled out; None if it
    cannot be read."""
    for text in (policy, policy.replace('\\"', '"')):
        try:
            document = json.loads(text)
        except ValueError:
            continue
        if isinstance(document, dict):
            return _expanded(document, api_prefix)
    return None


def _expanded(document: dict[str, Any], api_prefix: str) -> dict[str, Any]:
    def spell(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("execute-api:/"):
            return api_prefix + value.removeprefix("execute-api:/")
        if isinstance(value, list):
            return [spell(v) for v in value]
        return value

    statements = document.get("Statement")
    listed = statements if isinstance(statements, list) else [statements]
    spelled = []
    for statement in listed:
        if isinstance(statement, dict):
            statement = {
                k: spell(v) if k in ("Resource", "NotResource") else v for k, v in statement.items()
            }
        spelled.append(statement)
    return {**document, "Statement": spelled}


def decide(
    policy: str | None,
    arn: str,
    api_prefix: str,
    source_ip: str,
    headers: Mapping[str, str],
    *,
    region: str,
    secure: bool,
    caller: Identity | None = None,
) -> Effect | Literal["none"] | None:
    """The resource policy's answer for this request (NO_POLICY when there is none)."""
    if not policy:
        return NO_POLICY
    document = _parsed(policy, api_prefix)
    if document is None:
        log.warning("REST API %s: its resource policy is not JSON; not applied", api_prefix)
        return NO_POLICY
    now = time.time()
    context: dict[str, str] = {
        "aws:SourceIp": source_ip,
        "aws:CurrentTime": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now)),
        "aws:SecureTransport": "true" if secure else "false",
        "aws:RequestedRegion": region,
        "aws:PrincipalType": "Anonymous",
    }
    if caller is not None:  # a signed request to an AWS_IAM method (iam_auth.py)
        context["aws:PrincipalType"] = "Account" if caller.root else "User"
        context["aws:PrincipalArn"] = caller.arn
        context["aws:PrincipalAccount"] = caller.account
    for key, header in (("aws:UserAgent", "user-agent"), ("aws:Referer", "referer")):
        if header in headers:
            context[key] = headers[header]
    principal, account = (caller.arn, caller.account) if caller else (None, None)
    return evaluate(document, Request("execute-api:Invoke", arn, principal, account, context))


def denied(arn: str, account_id: str, *, explicit: bool, user: str = "anonymous") -> GatewayAnswer:
    text = f"User: {user} is not authorized to perform: execute-api:Invoke on resource: {arn}"
    message = text.replace(f":{account_id}:", f":********{account_id[-4:]}:") + (
        " with an explicit deny" if explicit else ""
    )
    return gateway_response(403, message, "AccessDeniedException", "ACCESS_DENIED", key="Message")
