"""The statements SQS's and SNS's AddPermission write into a resource's Policy, pure.

Both services name a statement by its label (`Sid`) and grant accounts (as their root
principals) a list of the service's actions on the one resource; a single principal or
action is written as a string, several as a list, as AWS answers them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

LABEL = re.compile(r"[A-Za-z0-9_-]{1,80}")
ACCOUNT = re.compile(r"\d{12}")


def statement(
    label: str, accounts: Sequence[str], service: str, actions: Sequence[str], resource: str
) -> dict[str, Any]:
    """`service` is the action prefix as AWS writes it ("SQS", "SNS")."""
    principals = [f"arn:aws:iam::{a}:root" for a in dict.fromkeys(accounts)]
    granted = [f"{service}:{a}" for a in dict.fromkeys(actions)]
    return {
        "Sid": label,
        "Effect": "Allow",
        "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
        "Action": granted[0] if len(granted) == 1 else granted,
        "Resource": resource,
    }


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The document's statements as a list (a policy set by hand may hold one object)."""
    found = document.get("Statement") or []
    return [found] if isinstance(found, dict) else list(found)
