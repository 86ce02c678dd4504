"""IAM users, access keys, policies and roles, and the two questions the rest of Stratus asks
of them: whose secret signs with this access key, and may this identity do this action.

    identity_of(key)            -> Identity | None   (a point read; runs on every signed request)
    wait_allowed(identity, action, resource, context) -> "Allow" | "Deny" | None

Identity policies (inline and attached, customer managed or the AWS managed ones in
managed.py) are evaluated with stratus.policies: an explicit Deny wins, else any Allow,
else the implicit deny. The root user (the default key) is allowed everything, as on AWS.
Roles are stored and answered (CreateRole/GetRole, their policies), but nothing assumes them:
functions sign with the default key, so they act as the account's root user.
"""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

from stratus.config import Settings
from stratus.errors import AlreadyExists, Invalid, NotFound
from stratus.policies import Effect, Request, evaluate
from stratus.store.db import Database, transaction

from .managed import AWS_MANAGED, AWS_POLICY_PREFIX, aws_managed
from .model import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_SECRET_KEY,
    MAX_ACCESS_KEYS,
    DeleteConflict,
    Identity,
    LimitExceeded,
    new_access_key,
    new_id,
    parse_policy,
    policy_arn,
    role_arn,
    root_identity,
    user_arn,
)

Record = dict[str, Any]


def _encoded(document: str) -> str:
    """IAM answers policy documents URL-encoded (botocore decodes them back to a dict)."""
    return urllib.parse.quote(document, safe="")


class IamService:
    def __init__(self, settings: Settings, db: Database) -> None:
        self._account = settings.account_id
        self._db = db

    # -- signing ---------------------------------------------------------------------------
    def secret_of(self, access_key: str) -> str | None:
        """The secret of an active access key; None for an unknown or inactive one."""
        if access_key == DEFAULT_ACCESS_KEY:
            return DEFAULT_SECRET_KEY
        row = self._db.read(
            lambda conn: conn.execute(
                "SELECT secret FROM iam_access_keys WHERE key_id = ? AND status = 'Active'",
                (access_key,),
            ).fetchone()
        )
        return None if row is None else str(row["secret"])

    def identity_of(self, access_key: str) -> Identity | None:
        if access_key == DEFAULT_ACCESS_KEY:
            return root_identity(self._account)
        row = self._db.read(
            lambda conn: conn.execute(
                "SELECT u.name, u.id, u.path FROM iam_access_keys k "
                "JOIN iam_users u ON u.name = k.user WHERE k.key_id = ?",
                (access_key,),
            ).fetchone()
        )
        if row is None:
            return None
        arn = user_arn(self._account, row["path"], row["name"])
        return Identity(self._account, arn, row["id"], access_key, row["name"])

    async def wait_allowed(
        self,
        identity: Identity,
        action: str,
        resource: str,
        context: Mapping[str, str | Sequence[str]] | None = None,
    ) -> Effect | None:
        """What the identity's own policies say about `action` on `resource`."""
        if identity.root:
            return "Allow"
        documents = await self._db.run(lambda conn: _documents(conn, "user", identity.user_name))
        request = Request(action, resource, identity.arn, identity.account, context or {})
        effects = {evaluate(document, request) for document in documents}
        if "Deny" in effects:
            return "Deny"
        return "Allow" if "Allow" in effects else None

    async def wait_allowed_action(self, identity: Identity, action: str) -> bool:
        """Whether the identity's policies allow `action` on some resource and no statement
        denies it on every resource (aws/actions.py says why per action)."""
        if identity.root:
            return True
        documents = await self._db.run(lambda conn: _documents(conn, "user", identity.user_name))
        request = Request(action, "*", identity.arn, identity.account)
        effects = {evaluate(_any_resource(document), request) for document in documents}
        return "Deny" not in effects and "Allow" in effects

    # -- users -----------------------------------------------------------------------------
    async def create_user(self, name: str, path: str = "/") -> Record:
        record = {"name": name, "id": new_id("AIDA"), "path": path, "created": time.time()}

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if _user(conn, name) is not None:
                    raise AlreadyExists(f"User with name {name} already exists.")
                conn.execute(
                    "INSERT INTO iam_users (name, id, path, created) VALUES (?, ?, ?, ?)",
                    (name, record["id"], path, record["created"]),
                )

        await self._db.run(write)
        return self._user_out(record)

    async def get_user(self, name: str) -> Record:
        row = await self._db.run(lambda conn: _user(conn, name))
        if row is None:
            raise _no_user(name)
        return self._user_out(dict(row))

    async def list_users(self, path_prefix: str = "/") -> list[Record]:
        rows = await self._db.run(
            lambda conn: conn.execute("SELECT * FROM iam_users ORDER BY name").fetchall()
        )
        return [self._user_out(dict(r)) for r in rows if r["path"].startswith(path_prefix)]

    async def delete_user(self, name: str) -> None:
        def remove(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if _user(conn, name) is None:
                    raise _no_user(name)
                for table, column, what in (
                    ("iam_access_keys", "user", "access keys"),
                    ("iam_inline_policies", "owner", "inline policies"),
                    ("iam_attachments", "owner", "attached policies"),
                ):
                    kind = "" if table == "iam_access_keys" else " AND owner_kind = 'user'"
                    found = conn.execute(
                        f"SELECT 1 FROM {table} WHERE {column} = ?{kind} LIMIT 1", (name,)
                    ).fetchone()
                    if found is not None:
                        raise DeleteConflict(f"Cannot delete entity, must remove {what} first.")
                conn.execute("DELETE FROM iam_users WHERE name = ?", (name,))

        await self._db.run(remove)

    def _user_out(self, row: Mapping[str, Any]) -> Record:
        return {
            "Path": row["path"],
            "UserName": row["name"],
            "UserId": row["id"],
            "Arn": user_arn(self._account, row["path"], row["name"]),
            "CreateDate": row["created"],
        }

    # -- access keys -----------------------------------------------------------------------
    async def create_access_key(self, user: str) -> Record:
        key_id, secret = new_access_key()
        created = time.time()

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if _user(conn, user) is None:
                    raise _no_user(user)
                count = conn.execute(
                    "SELECT count(*) FROM iam_access_keys WHERE user = ?", (user,)
                ).fetchone()[0]
                if count >= MAX_ACCESS_KEYS:
                    raise LimitExceeded(
                        f"Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS}"
                    )
                conn.execute(
                    "INSERT INTO iam_access_keys (key_id, user, secret, status, created) "
                    "VALUES (?, ?, ?, 'Active', ?)",
                    (key_id, user, secret, created),
                )

        await self._db.run(write)
        return {"UserName": user, "AccessKeyId": key_id, "Status": "Active",
                "SecretAccessKey": secret, "CreateDate": created}  # fmt: skip

    async def list_access_keys(self, user: str) -> list[Record]:
        def read(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            if _user(conn, user) is None:
                raise _no_user(user)
            return conn.execute(
                "SELECT * FROM iam_access_keys WHERE user = ? ORDER BY created", (user,)
            ).fetchall()

        return [
            {"UserName": user, "AccessKeyId": r["key_id"], "Status": r["status"],
             "CreateDate": r["created"]}
            for r in await self._db.run(read)
        ]  # fmt: skip

    async def update_access_key(self, user: str, key_id: str, status: str) -> None:
        await self._change_key(
            user, key_id, "UPDATE iam_access_keys SET status = ? WHERE key_id = ?", (status, key_id)
        )

    async def delete_access_key(self, user: str, key_id: str) -> None:
        await self._change_key(
            user, key_id, "DELETE FROM iam_access_keys WHERE key_id = ?", (key_id,)
        )

    async def _change_key(self, user: str, key_id: str, sql: str, args: tuple[Any, ...]) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if _user(conn, user) is None:
                    raise _no_user(user)
                if conn.execute(sql + " AND user = ?", (*args, user)).rowcount == 0:
                    raise NotFound(f"The Access Key with id {key_id} cannot be found.")

        await self._db.run(write)

    # -- inline policies (users and roles) -------------------------------------------------
    async def put_inline_policy(self, kind: str, owner: str, name: str, document: str) -> None:
        parse_policy(document)

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                _owner_exists(conn, kind, owner)
                conn.execute(
                    "INSERT INTO iam_inline_policies (owner_kind, owner, name, document) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET document = excluded.document",
                    (kind, owner, name, document),
                )

        await self._db.run(write)

    async def get_inline_policy(self, kind: str, owner: str, name: str) -> str:
        def read(conn: sqlite3.Connection) -> str:
            _owner_exists(conn, kind, owner)
            row = conn.execute(
                "SELECT document FROM iam_inline_policies WHERE owner_kind = ? AND owner = ? "
                "AND name = ?",
                (kind, owner, name),
            ).fetchone()
            if row is None:
                raise NotFound(f"The {kind} policy with name {name} cannot be found.")
            return str(row["document"])

        return _encoded(await self._db.run(read))

    async def delete_inline_policy(self, kind: str, owner: str, name: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                _owner_exists(conn, kind, owner)
                deleted = conn.execute(
                    "DELETE FROM iam_inline_policies WHERE owner_kind = ? AND owner = ? "
                    "AND name = ?",
                    (kind, owner, name),
                ).rowcount
                if not deleted:
                    raise NotFound(f"The {kind} policy with name {name} cannot be found.")

        await self._db.run(write)

    async def list_inline_policies(self, kind: str, owner: str) -> list[str]:
        def read(conn: sqlite3.Connection) -> list[str]:
            _owner_exists(conn, kind, owner)
            return [
                r["name"]
                for r in conn.execute(
                    "SELECT name FROM iam_inline_policies WHERE owner_kind = ? AND owner = ? "
                    "ORDER BY name",
                    (kind, owner),
                )
            ]

        return await self._db.run(read)

    # -- managed policies ------------------------------------------------------------------
    async def create_policy(
        self, name: str, document: str, path: str = "/", description: str | None = None
    ) -> Record:
        parse_policy(document)
        arn = policy_arn(self._account, path, name)
        row = {"arn": arn, "name": name, "id": new_id("ANPA"), "path": path,
               "description": description, "document": document,
               "created": time.time()}  # fmt: skip

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if conn.execute(
                    "SELECT 1 FROM iam_managed_policies WHERE name = ?", (name,)
                ).fetchone():
                    raise AlreadyExists(f"A policy called {name} already exists. Duplicate names "
                                        "are not allowed.")  # fmt: skip
                conn.execute(
                    "INSERT INTO iam_managed_policies VALUES (:arn, :name, :id, :path, "
                    ":description, :document, :created)",
                    row,
                )

        await self._db.run(write)
        return self._policy_out(row, 0)

    async def get_policy(self, arn: str) -> Record:
        return await self._db.run(lambda conn: self._policy(conn, arn)[0])

    async def get_policy_document(self, arn: str, version: str) -> Record:
        policy, document = await self._db.run(lambda conn: self._policy(conn, arn))
        if version != "v1":
            raise NotFound(f"Policy {arn} version {version} does not exist or is not attachable.")
        return {"Document": _encoded(document), "VersionId": "v1", "IsDefaultVersion": True,
                "CreateDate": policy["CreateDate"]}  # fmt: skip

    async def delete_policy(self, arn: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                policy, _ = self._policy(conn, arn)
                if policy["AttachmentCount"]:
                    raise DeleteConflict("Cannot delete a policy attached to entities.")
                if arn.startswith(AWS_POLICY_PREFIX):
                    raise Invalid(f"Cannot delete the AWS managed policy {arn}.")
                conn.execute("DELETE FROM iam_managed_policies WHERE arn = ?", (arn,))

        await self._db.run(write)

    async def list_policies(self, scope: str = "All", only_attached: bool = False) -> list[Record]:
        def read(conn: sqlite3.Connection) -> list[Record]:
            arns: list[str] = []
            if scope in ("All", "AWS"):
                arns += [AWS_POLICY_PREFIX + name for name in sorted(AWS_MANAGED)]
            if scope in ("All", "Local"):
                arns += [
                    r["arn"]
                    for r in conn.execute("SELECT arn FROM iam_managed_policies ORDER BY name")
                ]
            found = [self._policy(conn, arn)[0] for arn in arns]
            return [p for p in found if p["AttachmentCount"] or not only_attached]

        return await self._db.run(read)

    def _policy(self, conn: sqlite3.Connection, arn: str) -> tuple[Record, str]:
        attached = conn.execute(
            "SELECT count(*) FROM iam_attachments WHERE policy_arn = ?", (arn,)
        ).fetchone()[0]
        builtin = aws_managed(arn)
        if builtin is not None:
            name = arn.rsplit("/", 1)[-1]
            row = {"arn": arn, "name": name, "id": "ANPA" + name.upper()[:17].ljust(17, "X"),
                   "path": "/", "description": None, "created": 1_420_070_400.0}  # fmt: skip
            return self._policy_out(row, attached), json.dumps(builtin)
        found = conn.execute("SELECT * FROM iam_managed_policies WHERE arn = ?", (arn,)).fetchone()
        if found is None:
            raise NotFound(f"Policy {arn} does not exist or is not attachable.")
        return self._policy_out(dict(found), attached), str(found["document"])

    @staticmethod
    def _policy_out(row: Mapping[str, Any], attached: int) -> Record:
        out = {
            "PolicyName": row["name"], "PolicyId": row["id"], "Arn": row["arn"],
            "Path": row["path"], "DefaultVersionId": "v1", "AttachmentCount": attached,
            "PermissionsBoundaryUsageCount": 0, "IsAttachable": True,
            "CreateDate": row["created"], "UpdateDate": row["created"],
        }  # fmt: skip
        if row.get("description"):
            out["Description"] = row["description"]
        return out

    # -- attachments (users and roles) -----------------------------------------------------
    async def attach(self, kind: str, owner: str, arn: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                _owner_exists(conn, kind, owner)
                self._policy(conn, arn)
                conn.execute(
                    "INSERT OR IGNORE INTO iam_attachments VALUES (?, ?, ?)", (kind, owner, arn)
                )

        await self._db.run(write)

    async def detach(self, kind: str, owner: str, arn: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                _owner_exists(conn, kind, owner)
                deleted = conn.execute(
                    "DELETE FROM iam_attachments WHERE owner_kind = ? AND owner = ? "
                    "AND policy_arn = ?",
                    (kind, owner, arn),
                ).rowcount
                if not deleted:
                    raise NotFound(f"Policy {arn} was not found.")

        await self._db.run(write)

    async def list_attached(self, kind: str, owner: str) -> list[Record]:
        def read(conn: sqlite3.Connection) -> list[str]:
            _owner_exists(conn, kind, owner)
            return [
                r["policy_arn"]
                for r in conn.execute(
                    "SELECT policy_arn FROM iam_attachments WHERE owner_kind = ? AND owner = ? "
                    "ORDER BY policy_arn",
                    (kind, owner),
                )
            ]

        return [
            {"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn}
            for arn in await self._db.run(read)
        ]

    # -- roles -----------------------------------------------------------------------------
    async def create_role(
        self, name: str, trust: str, path: str = "/", description: str | None = None,
        max_session: int = 3600,
    ) -> Record:  # fmt: skip
        parse_policy(trust, identity=False)
        row = {"name": name, "id": new_id("AROA"), "path": path, "trust": trust,
               "description": description, "max_session": max_session,
               "created": time.time()}  # fmt: skip

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if _role(conn, name) is not None:
                    raise AlreadyExists(f"Role with name {name} already exists.")
                conn.execute(
                    "INSERT INTO iam_roles VALUES (:name, :id, :path, :trust, :description, "
                    ":max_session, :created)",
                    row,
                )

        await self._db.run(write)
        return self._role_out(row)

    async def get_role(self, name: str) -> Record:
        row = await self._db.run(lambda conn: _role(conn, name))
        if row is None:
            raise NotFound(f"The role with name {name} cannot be found.")
        return self._role_out(dict(row))

    async def list_roles(self) -> list[Record]:
        rows = await self._db.run(
            lambda conn: conn.execute("SELECT * FROM iam_roles ORDER BY name").fetchall()
        )
        return [self._role_out(dict(r)) for r in rows]

    async def delete_role(self, name: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if _role(conn, name) is None:
                    raise NotFound(f"The role with name {name} cannot be found.")
                for table, what in (("iam_inline_policies", "policies"),
                                    ("iam_attachments", "attached policies")):  # fmt: skip
                    if conn.execute(
                        f"SELECT 1 FROM {table} WHERE owner_kind = 'role' AND owner = ? LIMIT 1",
                        (name,),
                    ).fetchone():
                        raise DeleteConflict(f"Cannot delete entity, must remove {what} first.")
                conn.execute("DELETE FROM iam_roles WHERE name = ?", (name,))

        await self._db.run(write)

    def _role_out(self, row: Mapping[str, Any]) -> Record:
        out = {
            "Path": row["path"], "RoleName": row["name"], "RoleId": row["id"],
            "Arn": role_arn(self._account, row["path"], row["name"]),
            "CreateDate": row["created"], "AssumeRolePolicyDocument": _encoded(row["trust"]),
            "MaxSessionDuration": row["max_session"],
        }  # fmt: skip
        if row.get("description"):
            out["Description"] = row["description"]
        return out


# -- reads shared by the methods above ------------------------------------------------------------
def _user(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    found: sqlite3.Row | None = conn.execute(
        "SELECT * FROM iam_users WHERE name = ?", (name,)
    ).fetchone()
    return found


def _role(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    found: sqlite3.Row | None = conn.execute(
        "SELECT * FROM iam_roles WHERE name = ?", (name,)
    ).fetchone()
    return found


def _no_user(name: str) -> NotFound:
    return NotFound(f"The user with name {name} cannot be found.")


def _owner_exists(conn: sqlite3.Connection, kind: str, owner: str) -> None:
    if kind == "user" and _user(conn, owner) is None:
        raise _no_user(owner)
    if kind == "role" and _role(conn, owner) is None:
        raise NotFound(f"The role with name {owner} cannot be found.")


def _any_resource(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document with its Allow statements' resources widened to "*": an action-level
    question asks whether the action is allowed on some resource."""
    statements = document.get("Statement")
    listed = statements if isinstance(statements, list) else [statements]
    widened = []
    for statement in listed:
        if isinstance(statement, Mapping) and statement.get("Effect") == "Allow":
            statement = {k: v for k, v in statement.items() if k not in ("Resource", "NotResource")}
            statement["Resource"] = "*"
        widened.append(statement)
    return {**document, "Statement": widened}


def _documents(conn: sqlite3.Connection, kind: str, owner: str | None) -> list[dict[str, Any]]:
    """Every identity policy of a user or role: inline, then attached."""
    documents = [
        json.loads(r["document"])
        for r in conn.execute(
            "SELECT document FROM iam_inline_policies WHERE owner_kind = ? AND owner = ?",
            (kind, owner),
        )
    ]
    for (arn,) in conn.execute(
        "SELECT policy_arn FROM iam_attachments WHERE owner_kind = ? AND owner = ?", (kind, owner)
    ).fetchall():
        builtin = aws_managed(arn)
        if builtin is not None:
            documents.append(builtin)
            continue
        row = conn.execute(
            "SELECT document FROM iam_managed_policies WHERE arn = ?", (arn,)
        ).fetchone()
        if row is not None:
            documents.append(json.loads(row["document"]))
    return documents
