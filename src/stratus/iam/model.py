"""IAM's records and the rules on them that need no storage: ids, ARNs, policy documents.

The default key pair, `test` / `test`, is the account's root user: every Stratus helper
(`stratus.testing`, `stratus env`, the environment of every function) signs with it, so a
server that checks signatures keeps working for them. It cannot be deleted or disabled.
"""

from __future__ import annotations

import functools
import json
import secrets
import string
from dataclasses import dataclass
from typing import Any

from stratus.errors import Conflict, Invalid

DEFAULT_ACCESS_KEY = "test"
DEFAULT_SECRET_KEY = "test"
MAX_ACCESS_KEYS = 2  # per user, as on AWS
_ID_ALPHABET = string.ascii_uppercase + string.digits


class MalformedPolicy(Invalid):
    """MalformedPolicyDocument."""


class LimitExceeded(Conflict):
    """LimitExceeded (a user's third access key)."""


class DeleteConflict(Conflict):
    """DeleteConflict: the entity still has keys, policies or attachments."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Who signed a request: the account's root user (the default key) or an IAM user."""

    account: str
    arn: str
    user_id: str
    access_key: str
    user_name: str | None = None  # None: root

    @property
    def root(self) -> bool:
        return self.user_name is None


@functools.lru_cache(maxsize=64)  # every unsigned request's caller (Identity is frozen)
def root_identity(account: str, access_key: str = DEFAULT_ACCESS_KEY) -> Identity:
    return Identity(account, f"arn:aws:iam::{account}:root", account, access_key)


def new_id(prefix: str) -> str:
    """AWS's unique ids: AIDA… users, ANPA… policies, AROA… roles (21 characters)."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def new_access_key() -> tuple[str, str]:
    key_id = "AKIA" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(16))
    alphabet = string.ascii_letters + string.digits + "+/"
    return key_id, "".join(secrets.choice(alphabet) for _ in range(40))


def user_arn(account: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account}:user{path}{name}"


def role_arn(account: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role{path}{name}"


def policy_arn(account: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account}:policy{path}{name}"


def check_path(path: str) -> str:
    if not (path.startswith("/") and path.endswith("/")):
        raise Invalid(
            "The specified value for path is invalid. It must begin and end with / and "
            f"contain only alphanumeric characters and/or / characters: {path}"
        )
    return path


def parse_policy(text: str, *, identity: bool = True) -> dict[str, Any]:
    """A policy document as IAM accepts it; MalformedPolicyDocument otherwise. Identity
    policies name no Principal (the principal is whoever holds them)."""
    try:
        document = json.loads(text)
    except ValueError:
        raise MalformedPolicy("Syntax errors in policy.") from None
    if not isinstance(document, dict) or "Statement" not in document:
        raise MalformedPolicy("Syntax errors in policy.")
    statements = document["Statement"]
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict):
            raise MalformedPolicy("Syntax errors in policy.")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise MalformedPolicy("Policy statement must contain a valid Effect.")
        if "Action" not in statement and "NotAction" not in statement:
            raise MalformedPolicy("Policy statement must contain actions.")
        if identity and ("Principal" in statement or "NotPrincipal" in statement):
            raise MalformedPolicy("Policy document should not specify a principal.")
        if not identity and "Principal" not in statement and "NotPrincipal" not in statement:
            raise MalformedPolicy("Missing required field Principal")
    return document
