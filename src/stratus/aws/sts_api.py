"""AWS STS over the query protocol: GetCallerIdentity only, which deploy tools ask before
they start (`sam deploy --guided` names the account it deploys to; CDK and scripts read the
account id from it).

The caller is the identity that signed the request (aws/signatures.py): an IAM user's
UserId and ARN for its access keys, and the account's root user (UserId the account id, Arn
`arn:aws:iam::<account>:root`, as STS answers for root) for the default test/test key and
for every request when signatures are not checked.
"""

from __future__ import annotations

from typing import Any

from .protocols.adapter import Api, Call
from .protocols.errors import QUERY_ERRORS

SERVICE = "sts"


async def get_caller_identity(call: Call, _: dict[str, Any]) -> dict[str, Any]:
    identity = call.identity
    return {"UserId": identity.user_id, "Account": identity.account, "Arn": identity.arn}


API = Api(SERVICE, {"GetCallerIdentity": get_caller_identity}, QUERY_ERRORS)
