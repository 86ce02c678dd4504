"""Per-action authorization of the AWS APIs, for IAM users' keys (signatures checked).

Every operation an IAM user calls is an IAM action, `<prefix>:<Action>` (`sqs:SendMessage`,
`s3:GetObject`, `apigateway:POST`), allowed when one of the user's policies allows the
action and none denies it. The check is per action, not per resource: Stratus does not
work out the ARN every operation touches, so an Allow counts whatever its Resource says,
and only a Deny of `"Resource": "*"` refuses (iam/service.py `wait_allowed_action`). So a
user without policies can call nothing, and `s3:GetObject` on one bucket lets the user read
every bucket: looser than AWS for resource-scoped policies, never stricter. The root user
(the default key, and everyone while signatures are not checked) is not checked.

Left to their own rules: Invoke (invoke_access.py: the function's resource policy also
counts), and STS GetCallerIdentity, which AWS answers for anyone.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from botocore.model import ServiceModel

from stratus.errors import Forbidden
from stratus.iam.model import Identity

if TYPE_CHECKING:  # the adapter module wraps its handlers with `checked`
    from .protocols.adapter import Call, Handler, Output

# IAM's service prefix where it differs from the model's signing name.
_PREFIXES = {"dynamodbstreams": "dynamodb", "cloudcontrolapi": "cloudformation"}
# Operations whose IAM action has another name (the common ones).
_RENAMED = {
    "sqs": {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
            "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"},
    "sns": {"PublishBatch": "Publish"},
    "s3": {
        "ListObjects": "ListBucket", "ListObjectsV2": "ListBucket", "HeadBucket": "ListBucket",
        "ListObjectVersions": "ListBucketVersions", "ListBuckets": "ListAllMyBuckets",
        "HeadObject": "GetObject", "DeleteObjects": "DeleteObject", "CopyObject": "PutObject",
        "CreateMultipartUpload": "PutObject", "UploadPart": "PutObject",
        "UploadPartCopy": "PutObject", "CompleteMultipartUpload": "PutObject",
        "ListMultipartUploads": "ListBucketMultipartUploads",
        "ListParts": "ListMultipartUploadParts",
        "PutBucketNotificationConfiguration": "PutBucketNotification",
        "GetBucketNotificationConfiguration": "GetBucketNotification",
        "PutBucketCors": "PutBucketCORS", "GetBucketCors": "GetBucketCORS",
        "DeleteBucketCors": "PutBucketCORS", "DeleteBucketPolicy": "DeleteBucketPolicy",
        "PutObjectTagging": "PutObjectTagging", "DeleteBucketTagging": "PutBucketTagging",
        "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
        "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
        "DeleteBucketLifecycle": "PutLifecycleConfiguration",
    },
}  # fmt: skip
# Operations with rules of their own (see the module docstring).
_OWN_RULES = {
    ("lambda", "Invoke"), ("lambda", "InvokeWithResponseStream"), ("lambda", "InvokeAsync"),
    ("sts", "GetCallerIdentity"),
}  # fmt: skip


@functools.lru_cache(maxsize=4096)
def action_of(model: ServiceModel, operation: str) -> str | None:
    """The IAM action of an operation; None for those with rules of their own."""
    signing = str(model.metadata.get("signingName") or model.metadata["endpointPrefix"])
    prefix = _PREFIXES.get(signing, signing)
    if (prefix, operation) in _OWN_RULES:
        return None
    if prefix == "apigateway":  # API Gateway's actions are its HTTP methods
        return f"apigateway:{model.operation_model(operation).http['method']}"
    return f"{prefix}:{_RENAMED.get(prefix, {}).get(operation, operation)}"


@functools.lru_cache(maxsize=4096)
def checked(handler: Handler, action: str) -> Handler:
    """`handler`, refusing IAM users whose policies do not allow `action`."""

    async def check_then_handle(call: Call, params: dict[str, object]) -> Output:
        identity: Identity | None = call.scope.get("stratus.identity")
        if identity is None or identity.root:
            return await handler(call, params)
        if not await call.services.iam.wait_allowed_action(identity, action):
            raise Forbidden(
                f"User: {identity.arn} is not authorized to perform: {action} because no "
                f"identity-based policy allows the {action} action"
            )
        return await handler(call, params)

    return check_then_handle
