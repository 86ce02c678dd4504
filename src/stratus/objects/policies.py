"""Bucket policies: checked as S3 checks them when they are put (a JSON object with a
Statement; refused when public while Block Public Access blocks public policies), stored as
sent and returned. They are not evaluated on requests: every request is the account's."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .errors import AccessDenied, MalformedPolicy


def check_policy(bucket: str, policy: str, public_access: Mapping[str, bool] | None) -> None:
    try:
        document = json.loads(policy)
    except ValueError:
        document = None
    if not isinstance(document, dict) or not policy.lstrip().startswith("{"):
        raise MalformedPolicy("Policies must be valid JSON and the first byte must be '{'")
    if "Statement" not in document:
        raise MalformedPolicy("Missing required field Statement")
    if (public_access or {}).get("BlockPublicPolicy") and is_public(document):
        raise AccessDenied(
            "User: is not authorized to perform: s3:PutBucketPolicy on resource: "
            f'"arn:aws:s3:::{bucket}" because public policies are blocked by the '
            "BlockPublicPolicy block public access setting."
        )


def is_public(document: Mapping[str, Any]) -> bool:
    """Whether a policy allows anyone ("Principal": "*") without a condition."""
    statements = document.get("Statement")
    items = statements if isinstance(statements, list) else [statements]
    for s in items:
        if not isinstance(s, dict) or s.get("Effect") != "Allow" or s.get("Condition"):
            continue
        principal = s.get("Principal")
        if principal == "*" or (
            isinstance(principal, dict) and principal.get("AWS") in ("*", ["*"])
        ):
            return True
    return False
