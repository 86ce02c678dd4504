"""AddPermission / RemovePermission: statements of the topic's access policy.

SNS keeps permissions in the topic's `Policy` attribute (the default policy until one is
set): AddPermission adds a statement named by its label,

    {"Sid": "<label>", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::<account>:root"},   # a list for several accounts
     "Action": "SNS:Publish",                                # a list for several actions
     "Resource": "<topic arn>"}

and RemovePermission takes it out again (removing a label the policy does not have changes
nothing). Stratus enforces no policy; the document is stored and answered. Pure.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .. import grants
from .errors import InvalidParameter

# The actions SNS lets an owner grant with AddPermission.
ACTIONS = frozenset(
    {
        "Publish",
        "Subscribe",
        "Receive",
        "GetTopicAttributes",
        "SetTopicAttributes",
        "AddPermission",
        "RemovePermission",
        "DeleteTopic",
        "ListSubscriptionsByTopic",
    }
)


def add(
    policy: str, topic_arn: str, label: str, accounts: Sequence[str], actions: Sequence[str]
) -> str:
    _check_label(label)
    if not accounts:
        raise InvalidParameter("AWSAccountId Reason: no value for required parameter")
    if not actions:
        raise InvalidParameter("ActionName Reason: no value for required parameter")
    for account in accounts:
        if not grants.ACCOUNT.fullmatch(account):
            raise InvalidParameter(f"AWSAccountId Reason: {account} is not an account id")
    for action in actions:
        if action not in ACTIONS:
            raise InvalidParameter(
                f"Policy statement action out of service scope! Reason: {action} is not an "
                f"SNS action ({', '.join(sorted(ACTIONS))})"
            )
    document = _load(policy)
    statements: list[dict[str, Any]] = document["Statement"]
    if any(s.get("Sid") == label for s in statements):
        raise InvalidParameter("Statement already exists")
    statements.append(grants.statement(label, accounts, "SNS", actions, topic_arn))
    return json.dumps(document, separators=(",", ":"))


def remove(policy: str, label: str) -> str:
    _check_label(label)
    document = _load(policy)
    document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != label]
    return json.dumps(document, separators=(",", ":"))


def _check_label(label: str) -> None:
    if not grants.LABEL.fullmatch(label or ""):
        raise InvalidParameter(
            "Label Reason: must be 1 to 80 letters, digits, hyphens and underscores"
        )


def _load(policy: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(policy)  # checked when it was set
    document["Statement"] = grants.statements(document)
    return document
