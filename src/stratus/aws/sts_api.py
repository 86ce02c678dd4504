"""AWS STS over the query protocol: GetCallerIdentity, which deploy tools ask before they
start (`sam deploy --guided` names the account it deploys to; CDK and scripts read the
account id from it), and AssumeRole, which `cdk deploy` calls for the bootstrap stack's
file-publishing, deploy and lookup roles.

The caller is the identity that signed the request (aws/signatures.py): an IAM user's
UserId and ARN for its access keys, and the account's root user (UserId the account id, Arn
`arn:aws:iam::<account>:root`, as STS answers for root) for the default test/test key and
for every request when signatures are not checked.

AssumeRole hands out temporary credentials of AWS's shape (ASIA… key, secret, session token,
expiry) that Stratus keeps no record of: they work while signatures are not checked (the
default), and a GetCallerIdentity signed with them names the root user (AWS would name the
assumed role).
"""

from __future__ import annotations

import re
import secrets
import string
from datetime import UTC, datetime, timedelta
from typing import Any

from stratus.errors import Validation

from .protocols.adapter import Api, Call
from .protocols.errors import QUERY_ERRORS

SERVICE = "sts"
DEFAULT_DURATION = 3600  # AssumeRole's DurationSeconds: 900 s up to the role's maximum
# arn:aws:iam::<account>:role/<path/>name (the partition may be aws-cn, aws-us-gov...).
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/(?:[^/]+/)*([\w+=,.@-]{1,64})$")
_KEY_CHARS = string.ascii_uppercase + string.digits


async def get_caller_identity(call: Call, _: dict[str, Any]) -> dict[str, Any]:
    identity = call.identity
    return {"UserId": identity.user_id, "Account": identity.account, "Arn": identity.arn}


async def assume_role(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    role_arn, session = str(body["RoleArn"]), str(body["RoleSessionName"])
    match = _ROLE_ARN.match(role_arn)
    if match is None:
        # AWS's words for a RoleArn that is not a role's ARN.
        raise Validation(f"{role_arn} is invalid")
    account, role = match.groups()
    duration = int(body.get("DurationSeconds") or DEFAULT_DURATION)
    if not 900 <= duration <= 43200:
        raise Validation(
            f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to "
            "satisfy constraint: Member must have value between 900 and 43200"
        )
    # Wall-clock time, not the work queue's clock: SDKs compare the expiry with their own.
    expires = datetime.now(UTC) + timedelta(seconds=duration)
    role_id = "AROA" + "".join(secrets.choice(_KEY_CHARS) for _ in range(17))
    return {
        "Credentials": {
            "AccessKeyId": "ASIA" + "".join(secrets.choice(_KEY_CHARS) for _ in range(16)),
            "SecretAccessKey": secrets.token_urlsafe(30)[:40],
            "SessionToken": secrets.token_urlsafe(192),
            "Expiration": expires,
        },
        "AssumedRoleUser": {
            "AssumedRoleId": f"{role_id}:{session}",
            "Arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        },
        "PackedPolicySize": 0,
        "SourceIdentity": body.get("SourceIdentity"),
    }


API = Api(
    SERVICE,
    {"GetCallerIdentity": get_caller_identity, "AssumeRole": assume_role},
    QUERY_ERRORS,
)
