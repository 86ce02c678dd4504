"""Resource-based policies: who may invoke a function (AddPermission / RemovePermission /
GetPolicy, one policy per function, version or alias) and who may use a layer version
(AddLayerVersionPermission / RemoveLayerVersionPermission / GetLayerVersionPolicy).

Each policy is AWS's JSON document, `{"Version": "2012-10-17", "Id": "default",
"Statement": [...]}`, built from the call's members as Lambda builds it (Principal as
{"Service": ...} or {"AWS": ...}, conditions for SourceArn, SourceAccount, PrincipalOrgID,
EventSourceToken and function URL auth), with a RevisionId that changes on every edit and
that a caller may name to edit only the policy it read.

Enforced only when signatures are checked (STRATUS_VERIFY_SIGNATURES=true): an IAM user may
invoke a function its own policies or the function's policy allow (`decide`), and the
services that trigger functions (API Gateway …) need a statement for their principal.
With checking off every caller is the account's root user, which needs none.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from stratus.errors import Conflict, Invalid, NotFound, PreconditionFailed
from stratus.policies import Effect, Request, evaluate
from stratus.store.db import Database, transaction

_NO_POLICY = "The resource you requested does not exist."
_SID_TAKEN = (
    "The statement id ({sid}) provided already exists. Please provide a new statement id, or "
    "remove the existing statement."
)
_ACCOUNT = re.compile(r"^\d{12}$")


@dataclass(frozen=True, slots=True)
class Owner:
    """What a policy belongs to: a function (and qualifier, '' for the function itself) or
    a layer version. `resource` is its ARN, the policy's key and each statement's Resource."""

    resource: str
    function_name: str | None = None
    qualifier: str = ""
    layer_name: str | None = None
    layer_version: int | None = None


def layer_owner(version_arn: str) -> Owner:
    """The owner of a layer version's policy, by the version's ARN (…:layer:name:3)."""
    name, version = version_arn.rsplit(":", 2)[-2:]
    return Owner(version_arn, layer_name=name, layer_version=int(version))


@dataclass(frozen=True, slots=True)
class Policy:
    document: dict[str, Any]
    revision_id: str

    @property
    def text(self) -> str:
        return orjson.dumps(self.document).decode()


def invoke_statement(resource: str, params: dict[str, Any]) -> dict[str, Any]:
    """AddPermission's statement, as Lambda writes it into the policy."""
    conditions: dict[str, dict[str, str]] = {}

    def condition(operator: str, key: str, value: object) -> None:
        if value is not None:
            conditions.setdefault(operator, {})[key] = str(value)

    condition("StringEquals", "AWS:SourceAccount", params.get("SourceAccount"))
    condition("StringEquals", "aws:PrincipalOrgID", params.get("PrincipalOrgID"))
    condition("StringEquals", "lambda:EventSourceToken", params.get("EventSourceToken"))
    condition("StringEquals", "lambda:FunctionUrlAuthType", params.get("FunctionUrlAuthType"))
    if params.get("InvokedViaFunctionUrl"):
        condition("Bool", "lambda:InvokedViaFunctionUrl", "true")
    condition("ArnLike", "AWS:SourceArn", params.get("SourceArn"))
    statement: dict[str, Any] = {
        "Sid": params["StatementId"],
        "Effect": "Allow",
        "Principal": _principal(params["Principal"]),
        "Action": params["Action"],
        "Resource": resource,
    }
    if conditions:
        statement["Condition"] = conditions
    return statement


def layer_statement(resource: str, params: dict[str, Any]) -> dict[str, Any]:
    """AddLayerVersionPermission's statement: an account, or everyone (in an organization)."""
    principal = params["Principal"]
    if params["Action"] != "lambda:GetLayerVersion":
        raise Invalid("The only action allowed on a layer version is lambda:GetLayerVersion.")
    if principal != "*" and not _ACCOUNT.match(principal):
        raise Invalid(f"The principal {principal} is not an account id or *.")
    if params.get("OrganizationId") and principal != "*":
        raise Invalid("OrganizationId may be set only when Principal is *.")
    statement: dict[str, Any] = {
        "Sid": params["StatementId"],
        "Effect": "Allow",
        "Principal": _principal(principal),
        "Action": "lambda:GetLayerVersion",
        "Resource": resource,
    }
    if params.get("OrganizationId"):
        statement["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": params["OrganizationId"]}}
    return statement


def _principal(principal: str) -> Any:
    if principal == "*":
        return "*"
    if _ACCOUNT.match(principal):
        return {"AWS": f"arn:aws:iam::{principal}:root"}
    if principal.startswith("arn:"):
        return {"AWS": principal}
    return {"Service": principal}


class Policies:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, owner: Owner, statement: dict[str, Any], revision_id: str | None) -> Policy:
        def write(conn: sqlite3.Connection) -> Policy:
            with transaction(conn):
                current = _read(conn, owner.resource)
                _check_revision(current, revision_id)
                statements = current.document["Statement"] if current else []
                if any(s.get("Sid") == statement["Sid"] for s in statements):
                    raise Conflict(_SID_TAKEN.format(sid=statement["Sid"]))
                return _write(conn, owner, [*statements, statement])

        return await self._db.run(write)

    async def remove(self, owner: Owner, sid: str, revision_id: str | None) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                current = _read(conn, owner.resource)
                if current is None:
                    raise NotFound(_NO_POLICY)
                _check_revision(current, revision_id)
                kept = [s for s in current.document["Statement"] if s.get("Sid") != sid]
                if len(kept) == len(current.document["Statement"]):
                    raise NotFound(f"Statement {sid} is not found in resource policy.")
                if kept:
                    _write(conn, owner, kept)
                else:
                    conn.execute(
                        "DELETE FROM resource_policies WHERE resource = ?", (owner.resource,)
                    )

        await self._db.run(write)

    async def replace(self, owner: Owner, text: str, revision_id: str | None) -> Policy:
        """PutResourcePolicy: the whole document, which must be a policy with statements."""
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise Invalid(f"The policy is not valid JSON: {exc}") from exc
        statements = document.get("Statement") if isinstance(document, dict) else None
        if isinstance(statements, dict):
            statements = [statements]
        if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
            raise Invalid("The policy must be a JSON object with a Statement list.")

        def write(conn: sqlite3.Connection) -> Policy:
            with transaction(conn):
                _check_revision(_read(conn, owner.resource), revision_id)
                return _write(conn, owner, statements, document)

        return await self._db.run(write)

    async def delete(self, owner: Owner, revision_id: str | None) -> None:
        def remove(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                current = _read(conn, owner.resource)
                if current is None:
                    raise NotFound(_NO_POLICY)
                _check_revision(current, revision_id)
                conn.execute("DELETE FROM resource_policies WHERE resource = ?", (owner.resource,))

        await self._db.run(remove)

    def decide(self, resource: str, request: Request) -> Effect | None:
        """What the policy of `resource` (a function's, version's or alias's ARN) says about
        `request`; None without a policy (a point read)."""
        found = self._db.read(lambda conn: _read(conn, resource))
        return None if found is None else evaluate(found.document, request)

    def lets_service(
        self, resource: str, service: str, source_arn: str, source_account: str
    ) -> bool:
        """Whether the policy of `resource` lets a service principal (apigateway.amazonaws.com,
        sns.amazonaws.com …) invoke it for `source_arn` (its AWS:SourceArn condition)."""
        asked = Request(
            "lambda:InvokeFunction",
            resource,
            context={"AWS:SourceArn": source_arn, "AWS:SourceAccount": source_account},
            service=service,
        )
        return self.decide(resource, asked) == "Allow"

    async def get(self, owner: Owner) -> Policy:
        found = await self._db.run(lambda conn: _read(conn, owner.resource))
        if found is None:
            raise NotFound(_NO_POLICY)
        return found


def _read(conn: sqlite3.Connection, resource: str) -> Policy | None:
    row = conn.execute(
        "SELECT document, revision_id FROM resource_policies WHERE resource = ?", (resource,)
    ).fetchone()
    return Policy(orjson.loads(row[0]), row[1]) if row else None


def _write(
    conn: sqlite3.Connection,
    owner: Owner,
    statements: list[dict[str, Any]],
    document: dict[str, Any] | None = None,
) -> Policy:
    base = document or {"Version": "2012-10-17", "Id": "default"}
    policy = Policy({**base, "Statement": statements}, str(uuid.uuid4()))
    conn.execute(
        "INSERT OR REPLACE INTO resource_policies (resource, function_name, qualifier, "
        "layer_name, layer_version, document, revision_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            owner.resource,
            owner.function_name,
            owner.qualifier,
            owner.layer_name,
            owner.layer_version,
            policy.text,
            policy.revision_id,
        ),
    )
    return policy


def _check_revision(current: Policy | None, revision_id: str | None) -> None:
    if revision_id and (current is None or current.revision_id != revision_id):
        raise PreconditionFailed(
            "The RevisionId provided does not match the latest RevisionId for the Lambda "
            "function or alias. Call the GetFunction or the GetAlias API to retrieve the "
            "latest RevisionId for your resource."
        )
