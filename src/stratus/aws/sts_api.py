"""AWS STS over the query protocol: GetCallerIdentity only, which deploy tools ask before
they start (`sam deploy --guided` names the account it deploys to; CDK and scripts read the
account id from it).

Stratus does not check credentials: every request, whatever key signed it, is the account's
owner (as S3's Owner and the ARNs Stratus makes say), so the caller is the account's root
user: UserId the account id, Arn `arn:aws:iam::<account>:root`, as STS answers for root.
"""

from __future__ import annotations

from typing import Any

from .protocols.adapter import Api, Call
from .protocols.errors import QUERY_ERRORS

SERVICE = "sts"


async def get_caller_identity(call: Call, _: dict[str, Any]) -> dict[str, Any]:
    account = call.services.settings.account_id
    return {"UserId": account, "Account": account, "Arn": f"arn:aws:iam::{account}:root"}


API = Api(SERVICE, {"GetCallerIdentity": get_caller_identity}, QUERY_ERRORS)
