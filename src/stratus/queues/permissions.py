"""AddPermission / RemovePermission: statements in the queue's `Policy` attribute.

AWS keeps no permissions apart from the policy: AddPermission writes one statement, named
by its label (`Sid`), into the queue's Policy document, creating it if the queue has none,
and RemovePermission takes that statement out again (the Policy attribute disappears with
its last statement). The generated document has AWS's shape:

    {"Version": "2008-10-17",
     "Id": "<queue arn>/SQSDefaultPolicy",
     "Statement": [{"Sid": "<label>", "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::<account>:root"},   # or a list
                    "Action": "SQS:SendMessage",                            # or a list
                    "Resource": "<queue arn>"}]}

Stratus enforces no policy (every local caller is the owner); the document is stored and
answered, so code that shares a queue and tests that read its Policy behave as on AWS.
Pure: the service reads and writes the attribute.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .. import grants
from .errors import InvalidParameter, MissingParameter, OverLimit

MAX_ACTIONS = 7  # per statement (AWS's AddPermission documentation)
MAX_STATEMENTS = 20  # per policy (SQS quotas: policy information)
MAX_PRINCIPALS = 50
# The actions a queue owner can share; the rest (CreateQueue, AddPermission, ...) stay the
# owner's. Batch forms come with their single forms, as AWS documents.
SHAREABLE = frozenset(
    {
        "*",
        "SendMessage",
        "ReceiveMessage",
        "DeleteMessage",
        "ChangeMessageVisibility",
        "GetQueueAttributes",
        "GetQueueUrl",
        "ListDeadLetterSourceQueues",
        "PurgeQueue",
        "ListQueueTags",
        "SendMessageBatch",
        "DeleteMessageBatch",
        "ChangeMessageVisibilityBatch",
    }
)


def add(
    policy: str | None,
    queue_arn: str,
    label: str,
    accounts: Sequence[str],
    actions: Sequence[str],
) -> str:
    """The Policy document with a statement for `label` added."""
    _check_label(label)
    if not accounts:
        raise MissingParameter("AWSAccountId.1")
    if not actions:
        raise MissingParameter("ActionName.1")
    for account in accounts:
        if not grants.ACCOUNT.fullmatch(account):
            raise InvalidParameter(
                f"Value {account} for parameter PrincipalId is invalid. Reason: Unable to verify."
            )
    for action in actions:
        if action not in SHAREABLE:
            raise InvalidParameter(
                f"Value SQS:{action} for parameter ActionName is invalid. Reason: Only the "
                "queue owner is allowed to invoke this action."
            )
    if len(set(actions)) > MAX_ACTIONS:
        raise OverLimit(f"{len(set(actions))} actions were found, maximum allowed is 7.")
    document = _load(policy, queue_arn)
    statements: list[dict[str, Any]] = document["Statement"]
    if any(s.get("Sid") == label for s in statements):
        raise InvalidParameter(
            f"Value {label} for parameter Label is invalid. Reason: Already exists."
        )
    if len(statements) >= MAX_STATEMENTS:
        raise OverLimit(f"{len(statements) + 1} statements were found, maximum allowed is 20.")
    if len(set(accounts)) > MAX_PRINCIPALS:
        raise OverLimit(f"{len(set(accounts))} principals were found, maximum allowed is 50.")
    statements.append(grants.statement(label, accounts, "SQS", actions, queue_arn))
    return json.dumps(document, separators=(",", ":"))


def remove(policy: str | None, label: str) -> str:
    """The Policy document without `label`'s statement; "" when none is left (the
    attribute is then removed)."""
    _check_label(label)
    document = _load(policy, "") if policy else None
    statements = document["Statement"] if document else []
    kept = [s for s in statements if s.get("Sid") != label]
    if document is None or len(kept) == len(statements):
        raise InvalidParameter(
            f"Value {label} for parameter Label is invalid. Reason: can't find label."
        )
    if not kept:
        return ""
    return json.dumps(document | {"Statement": kept}, separators=(",", ":"))


def _check_label(label: str) -> None:
    if not grants.LABEL.fullmatch(label or ""):
        raise InvalidParameter(
            f"Value {label} for parameter Label is invalid. Reason: Must be 1 to 80 "
            "characters: letters, digits, hyphens and underscores."
        )


def _load(policy: str | None, queue_arn: str) -> dict[str, Any]:
    if not policy:
        return {"Version": "2008-10-17", "Id": f"{queue_arn}/SQSDefaultPolicy", "Statement": []}
    document: dict[str, Any] = json.loads(policy)  # checked when it was set
    document["Statement"] = grants.statements(document)
    return document
