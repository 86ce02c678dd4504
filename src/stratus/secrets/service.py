"""AWS Secrets Manager: named secrets, their versions and staging labels, for handlers that
read credentials (`get_secret_value`), templates (AWS::SecretsManager::Secret and
`{{resolve:secretsmanager:...}}`) and workflows (aws-sdk:secretsmanager:*).

    create / put_value / update   a version per ClientRequestToken (the same token and value
                                  again is a no-op; another value is refused); new values
                                  take AWSCURRENT unless told other labels
    get_value / batch_get         by name, full ARN or partial ARN; by VersionId or label
    describe / list / versions    settings, labels, dates; ListSecrets' filters and paging
    delete / restore              a recovery window of 7-30 days (or none): until it ends the
                                  secret answers InvalidRequestException; then it is gone
    move_label                    UpdateSecretVersionStage
    rotations                     RotateSecret / CancelRotateSecret and the rotation
                                  function's steps (rotation.py)

Every call is one SQLite transaction; values are sealed (store/crypto.py) under the secret's
ARN and version id before they are stored. The rows are store.py's, the label rules
labels.py's; what is left here is one short transaction per operation, which is why the
class stays whole past 400 lines.
"""

from __future__ import annotations

import base64
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from stratus.config import Settings
from stratus.errors import AlreadyExists, Invalid
from stratus.store.crypto import SecretBox
from stratus.store.db import Database
from stratus.store.work import WorkQueue

from . import store
from .labels import attach, chosen
from .model import (
    CURRENT,
    DEFAULT_RECOVERY_DAYS,
    RECOVERY_DAYS,
    MarkedForDeletion,
    Secret,
    SecretNotFound,
    Version,
    arn,
    check_name,
    check_tags,
    check_value,
)
from .rotation import RotationFunction, Rotations, interval_s

DAY = 86400.0
Value = tuple[str | None, bytes | None]  # (SecretString, SecretBinary)


class SecretService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        box: SecretBox,
        work: WorkQueue,
        function: RotationFunction | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`function` invokes rotation functions (bridges.RotationFunction)."""
        self._settings = settings
        self._db = db
        self._box = box
        self._clock = clock
        self.rotations = Rotations(db, work, function, clock)

    # -- writing ---------------------------------------------------------------------------
    async def create(
        self,
        name: str,
        token: str,
        value: Value = (None, None),
        *,
        description: str | None = None,
        kms_key_id: str | None = None,
        tags: Sequence[dict[str, str]] = (),
        kind: str | None = None,
    ) -> dict[str, Any]:
        """CreateSecret's answer: ARN, Name and, with a value, VersionId."""
        check_name(name)
        check_value(*value)
        check_tags(list(tags))
        now = self._clock()

        def write(conn: sqlite3.Connection) -> dict[str, Any]:
            store.purge(conn, now)
            row = conn.execute("SELECT record FROM secrets WHERE name = ?", (name,)).fetchone()
            if row is not None:
                existing = Secret(**orjson.loads(row[0]))
                if existing.deleted is not None:
                    raise MarkedForDeletion(
                        "You can't create this secret because a secret with this name is "
                        "already scheduled for deletion."
                    )
                same = store.read_version(conn, existing.arn, token)
                if same is not None and self._same(existing.arn, same, value):
                    return store.named(existing) | {"VersionId": token}  # a retried request
                raise AlreadyExists(
                    f"The operation failed because the secret {name} already exists."
                )
            secret = Secret(
                arn=arn(self._settings.region, self._settings.account_id, name),
                name=name,
                created=now,
                changed=now,
                description=description,
                kms_key_id=kms_key_id,
                tags=list(tags),
                type=kind,
            )
            conn.execute(
                "INSERT INTO secrets (arn, name, created, record) VALUES (?, ?, ?, ?)",
                (secret.arn, name, now, orjson.dumps(secret.dump()).decode()),
            )
            if value == (None, None):
                return store.named(secret)
            self._add_version(conn, secret, token, value, [CURRENT], now)
            return store.named(secret) | {"VersionId": token}

        return await self._db.run_in_transaction(write)

    async def put_value(
        self, secret_id: str, token: str, value: Value, stages: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """PutSecretValue's answer: ARN, Name, VersionId, VersionStages."""
        if value == (None, None):
            raise Invalid("You must provide either SecretString or SecretBinary.")
        check_value(*value)
        labels = list(stages) if stages is not None else [CURRENT]
        now = self._clock()

        def write(conn: sqlite3.Connection) -> dict[str, Any]:
            secret = store.live(conn, secret_id, now)
            version = self._add_version(conn, secret, token, value, labels, now)
            return store.named(secret) | {"VersionId": token, "VersionStages": version.stages}

        return await self._db.run_in_transaction(write)

    async def update(
        self,
        secret_id: str,
        token: str,
        value: Value = (None, None),
        *,
        description: str | None = None,
        kms_key_id: str | None = None,
        kind: str | None = None,
    ) -> dict[str, Any]:
        """UpdateSecret's answer: ARN, Name and, with a new value, VersionId."""
        check_value(*value)
        now = self._clock()

        def write(conn: sqlite3.Connection) -> dict[str, Any]:
            secret = store.live(conn, secret_id, now)
            if description is not None:
                secret.description = description
            if kms_key_id is not None:
                secret.kms_key_id = kms_key_id
            if kind is not None:
                secret.type = kind
            secret.changed = now
            store.save(conn, secret)
            if value == (None, None):
                return store.named(secret)
            self._add_version(conn, secret, token, value, [CURRENT], now)
            return store.named(secret) | {"VersionId": token}

        return await self._db.run_in_transaction(write)

    async def delete(
        self, secret_id: str, recovery_days: int | None, force: bool
    ) -> dict[str, Any]:
        """DeleteSecret's answer: ARN, Name, DeletionDate."""
        if force and recovery_days is not None:
            raise Invalid(
                "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
            )
        days = DEFAULT_RECOVERY_DAYS if recovery_days is None else recovery_days
        if not force and not RECOVERY_DAYS[0] <= days <= RECOVERY_DAYS[1]:
            raise Invalid(
                "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."
            )
        now = self._clock()

        def write(conn: sqlite3.Connection) -> dict[str, Any]:
            secret = store.find(conn, secret_id, now)
            if force:
                conn.execute("DELETE FROM secrets WHERE arn = ?", (secret.arn,))
                return store.named(secret) | {"DeletionDate": now}
            if secret.deleted is not None:
                raise MarkedForDeletion(
                    "You can't perform this operation on the secret because it was already "
                    "scheduled for deletion."
                )
            secret.deleted, secret.purge_at = now, now + days * DAY
            store.save(conn, secret)
            return store.named(secret) | {"DeletionDate": secret.purge_at}

        return await self._db.run_in_transaction(write)

    async def restore(self, secret_id: str) -> dict[str, Any]:
        now = self._clock()

        def write(conn: sqlite3.Connection) -> dict[str, Any]:
            secret = store.find(conn, secret_id, now)
            secret.deleted = secret.purge_at = None
            store.save(conn, secret)
            return store.named(secret)

        return await self._db.run_in_transaction(write)

    async def tag(self, secret_id: str, tags: list[dict[str, str]]) -> None:
        def change(secret: Secret) -> None:
            given = {t["Key"]: t["Value"] for t in tags}
            kept = [t for t in secret.tags if t["Key"] not in given]
            secret.tags = kept + [{"Key": k, "Value": v} for k, v in given.items()]
            check_tags(secret.tags)

        await self._change(secret_id, change)

    async def untag(self, secret_id: str, keys: list[str]) -> None:
        def change(secret: Secret) -> None:
            secret.tags = [t for t in secret.tags if t["Key"] not in keys]

        await self._change(secret_id, change)

    async def put_policy(self, secret_id: str, policy: str | None) -> dict[str, Any]:
        def change(secret: Secret) -> None:
            secret.policy = policy

        return store.named(await self._change(secret_id, change))

    async def move_label(
        self, secret_id: str, label: str, remove_from: str | None, move_to: str | None
    ) -> dict[str, Any]:
        """UpdateSecretVersionStage."""
        now = self._clock()

        def write(conn: sqlite3.Connection) -> dict[str, Any]:
            secret = store.live(conn, secret_id, now)
            versions = store.read_versions(conn, secret.arn)
            by_id = {v.version_id: v for v in versions}
            for wanted in (remove_from, move_to):
                if wanted is not None and wanted not in by_id:
                    raise Invalid(f"Secrets Manager can't find the specified version: {wanted}")
            holder = next((v for v in versions if label in v.stages), None)
            if holder and move_to and holder.version_id not in (move_to, remove_from):
                raise Invalid(
                    f"The staging label {label} is currently attached to version "
                    f"{holder.version_id}, but you have attempted to remove it from version "
                    f"{remove_from}."
                )
            if move_to is None:
                if remove_from is not None and label in by_id[remove_from].stages:
                    if label == CURRENT:
                        raise Invalid(
                            "You can't remove the staging label AWSCURRENT from a version "
                            "without moving it to another version: name MoveToVersionId."
                        )
                    by_id[remove_from].stages.remove(label)
            else:
                attach(versions, by_id[move_to], label)
            store.write_labels(conn, secret.arn, versions)
            return store.named(secret)

        return await self._db.run_in_transaction(write)

    # -- reading ---------------------------------------------------------------------------
    async def get_value(
        self, secret_id: str, version_id: str | None = None, stage: str | None = None
    ) -> dict[str, Any]:
        """GetSecretValue's answer."""
        now = self._clock()

        def read(conn: sqlite3.Connection) -> dict[str, Any]:
            secret = store.live(conn, secret_id, now)
            version = chosen(store.read_versions(conn, secret.arn), version_id, stage)
            day = now - now % DAY
            if secret.accessed != day:
                secret.accessed = day
                store.save(conn, secret)
            if version.accessed != day:
                conn.execute(
                    "UPDATE secret_versions SET accessed = ? WHERE arn = ? AND version_id = ?",
                    (day, secret.arn, version.version_id),
                )
            return store.named(secret) | self._value(secret.arn, version)

        return await self._db.run_in_transaction(read)

    async def describe(self, secret_id: str) -> dict[str, Any]:
        now = self._clock()

        def read(conn: sqlite3.Connection) -> dict[str, Any]:
            secret = store.find(conn, secret_id, now)
            return _described(secret, store.read_versions(conn, secret.arn))

        return await self._db.run_in_transaction(read)

    async def listed(self, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Every secret as ListSecrets describes it, oldest first."""
        now = self._clock()

        def read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            store.purge(conn, now)
            found = []
            versions: dict[str, list[Version]] = {}
            for arn_, version in store.read_all_versions(conn):
                versions.setdefault(arn_, []).append(version)
            for (record,) in conn.execute("SELECT record FROM secrets ORDER BY created, name"):
                secret = Secret(**orjson.loads(record))
                if secret.deleted is not None and not include_deleted:
                    continue
                described = _described(secret, versions.get(secret.arn, []))
                described["SecretVersionsToStages"] = described.pop("VersionIdsToStages", {})
                found.append(described)
            return found

        return await self._db.run_in_transaction(read)

    async def versions(self, secret_id: str, include_deprecated: bool) -> dict[str, Any]:
        """ListSecretVersionIds' ARN, Name and Versions (newest first)."""
        now = self._clock()

        def read(conn: sqlite3.Connection) -> dict[str, Any]:
            secret = store.find(conn, secret_id, now)
            versions = []
            for v in reversed(store.read_versions(conn, secret.arn)):
                if not v.stages and not include_deprecated:
                    continue
                item: dict[str, Any] = {
                    "VersionId": v.version_id,
                    "VersionStages": v.stages,
                    "CreatedDate": v.created,
                    "KmsKeyIds": [secret.kms_key_id or "DefaultEncryptionKey"],
                }
                if v.accessed is not None:
                    item["LastAccessedDate"] = v.accessed
                versions.append(item)
            return store.named(secret) | {"Versions": versions}

        return await self._db.run_in_transaction(read)

    async def policy(self, secret_id: str) -> dict[str, Any]:
        now = self._clock()

        def read(conn: sqlite3.Connection) -> dict[str, Any]:
            secret = store.find(conn, secret_id, now)
            answer = store.named(secret)
            if secret.policy is not None:
                answer["ResourcePolicy"] = secret.policy
            return answer

        return await self._db.run_in_transaction(read)

    # -- rotation ----------------------------------------------------------------------------
    async def wait_run_forever(self) -> None:
        await self.rotations.wait_run_forever()

    # -- pieces ----------------------------------------------------------------------------
    async def _change(self, secret_id: str, change: Callable[[Secret], None]) -> Secret:
        now = self._clock()

        def write(conn: sqlite3.Connection) -> Secret:
            secret = store.live(conn, secret_id, now)
            change(secret)
            store.save(conn, secret)
            return secret

        return await self._db.run_in_transaction(write)

    def _add_version(
        self,
        conn: sqlite3.Connection,
        secret: Secret,
        token: str,
        value: Value,
        labels: list[str],
        now: float,
    ) -> Version:
        """A new version `token` holding `value` with `labels` (taken from the versions
        that had them); the same token again: its version, if the value is the same."""
        versions = store.read_versions(conn, secret.arn)
        version = next((v for v in versions if v.version_id == token), None)
        if version is not None and version.sealed is not None:
            if self._same(secret.arn, version, value):
                return version
            raise AlreadyExists(
                "You can't modify an existing version, you can only create new versions."
            )
        text, binary = value
        plain = text if text is not None else base64.b64encode(binary or b"").decode()
        sealed = self._box.seal(f"{secret.arn}/{token}", plain)
        if version is None:
            version = Version(token, now, [], sealed, binary is not None)
            versions.append(version)
            conn.execute(
                "INSERT INTO secret_versions (arn, version_id, created, stages, sealed, binary) "
                "VALUES (?, ?, ?, '[]', ?, ?)",
                (secret.arn, token, now, sealed, int(binary is not None)),
            )
        else:  # rotation's AWSPENDING version, filled in by createSecret
            version.sealed, version.binary = sealed, binary is not None
            conn.execute(
                "UPDATE secret_versions SET sealed = ?, binary = ? WHERE arn = ? "
                "AND version_id = ?",
                (sealed, int(binary is not None), secret.arn, token),
            )
        for label in labels:
            attach(versions, version, label)
        store.write_labels(conn, secret.arn, versions)
        store.trim(conn, secret.arn, versions)
        secret.changed = now
        store.save(conn, secret)
        return version

    def _same(self, arn_: str, version: Version, value: Value) -> bool:
        if version.sealed is None:
            return False
        answer = self._value(arn_, version)
        return (answer.get("SecretString"), answer.get("SecretBinary")) == value

    def _value(self, arn_: str, version: Version) -> dict[str, Any]:
        if version.sealed is None:
            raise SecretNotFound(
                "Secrets Manager can't find the specified secret value for VersionId: "
                f"{version.version_id}"
            )
        plain = self._box.open(f"{arn_}/{version.version_id}", version.sealed)
        answer: dict[str, Any] = {
            "VersionId": version.version_id,
            "VersionStages": version.stages,
            "CreatedDate": version.created,
        }
        if version.binary:
            answer["SecretBinary"] = base64.b64decode(plain)
        else:
            answer["SecretString"] = plain
        return answer


def _described(secret: Secret, versions: list[Version]) -> dict[str, Any]:
    described: dict[str, Any] = {
        "ARN": secret.arn,
        "Name": secret.name,
        "Type": secret.type,
        "Description": secret.description,
        "KmsKeyId": secret.kms_key_id,
        "RotationEnabled": secret.rotation_enabled,
        "RotationLambdaARN": secret.rotation_lambda,
        "RotationRules": secret.rotation_rules,
        "LastRotatedDate": secret.last_rotated,
        "LastChangedDate": secret.changed,
        "LastAccessedDate": secret.accessed,
        "DeletedDate": secret.deleted,
        "NextRotationDate": _next_rotation(secret),
        "Tags": secret.tags or None,
        "VersionIdsToStages": {v.version_id: v.stages for v in versions if v.stages} or None,
        "CreatedDate": secret.created,
        "PrimaryRegion": None,
    }
    return {k: v for k, v in described.items() if v is not None}


def _next_rotation(secret: Secret) -> float | None:
    every = interval_s(secret.rotation_rules) if secret.rotation_enabled else None
    return None if every is None else (secret.last_rotated or secret.created) + every
