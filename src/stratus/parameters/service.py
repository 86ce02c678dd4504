"""SSM Parameter Store: named values, plain or secret, with versions and labels, for
templates (AWS::SSM::Parameter), CDK's bootstrap and handlers that read configuration.

    PutParameter      a new version (1, 2, ...); Overwrite needed once the name exists;
                      at most 100 versions, the oldest unlabelled one goes
    GetParameter(s)   the latest, or `name:version` / `name:label`; SecureString values are
                      ciphertext unless WithDecryption
    ...ByPath         names under a path: one level, or Recursive; paged
    DescribeParameters  metadata with Name/Type/Path filters; paged
    LabelParameterVersion, GetParameterHistory, DeleteParameter(s)

Every write is one SQLite transaction; SecureString values are sealed (crypto.py) before they
are stored and opened only for a caller that asks WithDecryption.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import orjson

from stratus.config import Settings
from stratus.errors import AlreadyExists, Invalid, NotFound
from stratus.store.crypto import SecretBox
from stratus.store.db import Database, transaction

from .model import (
    DEFAULT_KEY_ID,
    MAX_LABELS,
    MAX_VALUE,
    MAX_VERSIONS,
    TYPES,
    ParameterVersionNotFound,
    PatternMismatch,
    TooManyVersions,
    Version,
    arn,
    check_label,
    check_name,
    split_selector,
)

Filter = Callable[[Version], bool]


class ParameterService:
    def __init__(self, settings: Settings, db: Database, box: SecretBox) -> None:
        self._settings = settings
        self._db = db
        self._box = box

    # -- writing ---------------------------------------------------------------------------
    async def put(
        self,
        name: str,
        value: str,
        kind: str | None,
        *,
        overwrite: bool = False,
        description: str | None = None,
        allowed_pattern: str | None = None,
        key_id: str | None = None,
        tier: str | None = None,
        data_type: str | None = None,
    ) -> tuple[int, str]:
        """(new version, tier)."""
        check_name(name)
        if kind is not None and kind not in TYPES:
            raise Invalid(f"Parameter Type {kind} is not supported; use one of {', '.join(TYPES)}")
        tier = "Standard" if tier in (None, "Intelligent-Tiering") else tier
        if len(value) > MAX_VALUE.get(tier or "Standard", 4096):
            raise Invalid(
                f"Standard tier parameters support a maximum parameter value of "
                f"{MAX_VALUE['Standard']} characters. To create a larger parameter value, "
                "upgrade the parameter to use the advanced-parameter tier."
                if tier == "Standard"
                else f"Parameter value is longer than {MAX_VALUE['Advanced']} characters."
            )
        if allowed_pattern is not None:
            try:
                matched = re.fullmatch(allowed_pattern, value) is not None
            except re.error as exc:
                raise Invalid(f"AllowedPattern {allowed_pattern} is not valid: {exc}") from None
            if not matched:
                raise PatternMismatch(
                    f"Parameter value, {value}, failed to satisfy constraint specified in "
                    f"parameter allowed pattern: {allowed_pattern}."
                )
        if kind != "SecureString" and key_id is not None and kind is not None:
            raise Invalid("KeyId is required for SecureString type parameter only.")

        def write(conn: sqlite3.Connection) -> tuple[int, str]:
            with transaction(conn):
                latest = _latest(conn, name)
                if latest is not None and not overwrite:
                    raise AlreadyExists(
                        "The parameter already exists. To overwrite this value, set the "
                        "overwrite option in the request to true."
                    )
                if latest is None and kind is None:
                    raise Invalid("A parameter type is required when you create a parameter.")
                final_kind = kind or (latest.type if latest else "String")
                stored = self._box.seal(name, value) if final_kind == "SecureString" else value
                record = Version(
                    name=name,
                    type=final_kind,
                    value=stored,
                    version=(latest.version + 1) if latest else 1,
                    modified=time.time(),
                    description=description
                    if description is not None
                    else (latest.description if latest else None),
                    allowed_pattern=allowed_pattern,
                    key_id=(key_id or DEFAULT_KEY_ID) if final_kind == "SecureString" else None,
                    tier=tier or "Standard",
                    data_type=data_type or "text",
                )
                _trim(conn, name)
                conn.execute(
                    "INSERT INTO ssm_parameter_versions (name, version, record) VALUES (?, ?, ?)",
                    (name, record.version, orjson.dumps(record.dump()).decode()),
                )
                return record.version, record.tier

        return await self._db.run(write)

    async def delete(self, name: str) -> None:
        def remove(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                conn.execute("DELETE FROM ssm_parameter_labels WHERE name = ?", (name,))
                return conn.execute(
                    "DELETE FROM ssm_parameter_versions WHERE name = ?", (name,)
                ).rowcount

        if not await self._db.run(remove):
            raise NotFound(f"Parameter {name} not found.")

    async def delete_many(self, names: list[str]) -> tuple[list[str], list[str]]:
        """(deleted, invalid)."""
        deleted, invalid = [], []
        for name in names:
            try:
                await self.delete(name)
                deleted.append(name)
            except NotFound:
                invalid.append(name)
        return deleted, invalid

    async def label(
        self, name: str, version: int | None, labels: list[str]
    ) -> tuple[int, list[str]]:
        """(the version labelled, the labels refused)."""
        invalid = [label for label in labels if not check_label(label)]
        good = [label for label in labels if check_label(label)]

        def write(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                latest = _latest(conn, name)
                if latest is None:
                    raise NotFound(f"Parameter {name} not found.")
                target = latest.version if version is None else version
                if _version(conn, name, target) is None:
                    raise ParameterVersionNotFound(
                        f"Systems Manager could not find version {target} of {name}. Verify the "
                        "version and try again."
                    )
                for label in good:
                    conn.execute(
                        "INSERT INTO ssm_parameter_labels (name, label, version) VALUES (?, ?, ?)"
                        " ON CONFLICT (name, label) DO UPDATE SET version = excluded.version",
                        (name, label, target),
                    )
                count = conn.execute(
                    "SELECT count(*) FROM ssm_parameter_labels WHERE name = ? AND version = ?",
                    (name, target),
                ).fetchone()[0]
                if count > MAX_LABELS:
                    raise Invalid(
                        f"A parameter version can have at most {MAX_LABELS} labels; version "
                        f"{target} of {name} would have {count}."
                    )
                return target

        return await self._db.run(write), invalid

    # -- reading ---------------------------------------------------------------------------
    async def get(self, name: str, decrypt: bool) -> dict[str, Any]:
        """GetParameter's Parameter; `name` may carry a :version or :label selector."""
        base, selector = split_selector(name)
        found = await self._db.run(lambda conn: _select(conn, base, selector))
        if found is None:
            raise NotFound(f"Parameter {name} not found.")
        record, selected = found
        if selected is None:
            raise ParameterVersionNotFound(
                f"Systems Manager could not find version {selector} of {base}. Verify the "
                "version and try again."
            )
        wire = self._wire(record, decrypt)
        if selector is not None:
            wire["Selector"] = f":{selector}"
        return wire

    async def get_many(
        self, names: list[str], decrypt: bool
    ) -> tuple[list[dict[str, Any]], list[str]]:
        found, invalid = [], []
        for name in dict.fromkeys(names):
            try:
                found.append(await self.get(name, decrypt))
            except NotFound:
                invalid.append(name)
        return found, invalid

    async def by_path(
        self, path: str, recursive: bool, decrypt: bool, keep: Filter
    ) -> list[dict[str, Any]]:
        if not path.startswith("/"):
            raise Invalid("The parameter path must begin with a forward slash (/).")
        prefix = path if path.endswith("/") else path + "/"
        found = []
        for record in await self._all_latest():
            if not record.name.startswith(prefix) and path != "/":
                continue
            rest = record.name[len(prefix) :] if path != "/" else record.name.lstrip("/")
            if path == "/" and not record.name.startswith("/"):
                continue
            if not recursive and "/" in rest:
                continue
            if keep(record):
                found.append(self._wire(record, decrypt))
        return found

    async def describe(self, keep: Filter) -> list[dict[str, Any]]:
        return [self._metadata(r) for r in await self._all_latest() if keep(r)]

    async def history(self, name: str, decrypt: bool) -> list[dict[str, Any]]:
        def read(conn: sqlite3.Connection) -> tuple[list[str], dict[int, list[str]]]:
            rows = conn.execute(
                "SELECT record FROM ssm_parameter_versions WHERE name = ? ORDER BY version",
                (name,),
            ).fetchall()
            labels: dict[int, list[str]] = {}
            for label, version in conn.execute(
                "SELECT label, version FROM ssm_parameter_labels WHERE name = ? ORDER BY label",
                (name,),
            ):
                labels.setdefault(version, []).append(label)
            return [r[0] for r in rows], labels

        rows, labels = await self._db.run(read)
        if not rows:
            raise NotFound(f"Parameter {name} not found.")
        history = []
        for row in rows:
            record = Version(**orjson.loads(row))
            item = self._metadata(record) | {"Value": self._value(record, decrypt)}
            item.pop("ARN", None)
            item["Labels"] = labels.get(record.version, [])
            history.append(item)
        return history

    async def wait_value(self, name: str) -> str:
        """The plain value of `name` (for templates' SSM parameter types)."""
        return str((await self.get(name, decrypt=True))["Value"])

    # -- pieces ----------------------------------------------------------------------------
    async def _all_latest(self) -> list[Version]:
        def read(conn: sqlite3.Connection) -> list[str]:
            return [
                r[0]
                for r in conn.execute(
                    "SELECT record FROM ssm_parameter_versions v WHERE version = "
                    "(SELECT max(version) FROM ssm_parameter_versions WHERE name = v.name)"
                    " ORDER BY name"
                )
            ]

        return [Version(**orjson.loads(r)) for r in await self._db.run(read)]

    def _value(self, record: Version, decrypt: bool) -> str:
        if record.type == "SecureString" and decrypt:
            return self._box.open(record.name, record.value)
        return record.value

    def _wire(self, record: Version, decrypt: bool) -> dict[str, Any]:
        return {
            "Name": record.name,
            "Type": record.type,
            "Value": self._value(record, decrypt),
            "Version": record.version,
            "LastModifiedDate": record.modified,
            "ARN": arn(self._settings.region, self._settings.account_id, record.name),
            "DataType": record.data_type,
        }

    def _metadata(self, record: Version) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "Name": record.name,
            "ARN": arn(self._settings.region, self._settings.account_id, record.name),
            "Type": record.type,
            "KeyId": record.key_id,
            "LastModifiedDate": record.modified,
            "LastModifiedUser": record.user,
            "Description": record.description,
            "AllowedPattern": record.allowed_pattern,
            "Version": record.version,
            "Tier": record.tier,
            "Policies": [],
            "DataType": record.data_type,
        }
        return {k: v for k, v in metadata.items() if v is not None}


def _latest(conn: sqlite3.Connection, name: str) -> Version | None:
    row = conn.execute(
        "SELECT record FROM ssm_parameter_versions WHERE name = ? ORDER BY version DESC LIMIT 1",
        (name,),
    ).fetchone()
    return None if row is None else Version(**orjson.loads(row[0]))


def _version(conn: sqlite3.Connection, name: str, version: int) -> Version | None:
    row = conn.execute(
        "SELECT record FROM ssm_parameter_versions WHERE name = ? AND version = ?",
        (name, version),
    ).fetchone()
    return None if row is None else Version(**orjson.loads(row[0]))


def _select(
    conn: sqlite3.Connection, name: str, selector: str | None
) -> tuple[Version, Version | None] | None:
    """(latest, selected) of `name` (None: no such parameter; selected None: no such
    version or label). An ARN's name is tried with and without its leading slash."""
    for candidate in (name, "/" + name) if not name.startswith("/") else (name,):
        latest = _latest(conn, candidate)
        if latest is None:
            continue
        if selector is None:
            return latest, latest
        if selector.isdigit():
            selected = _version(conn, candidate, int(selector))
            return (latest, selected) if selected is None else (selected, selected)
        row = conn.execute(
            "SELECT version FROM ssm_parameter_labels WHERE name = ? AND label = ?",
            (candidate, selector),
        ).fetchone()
        selected = None if row is None else _version(conn, candidate, int(row[0]))
        return (latest, selected) if selected is None else (selected, selected)
    return None


def _trim(conn: sqlite3.Connection, name: str) -> None:
    """Make room for one more version: the oldest goes when 100 are kept, unless labelled."""
    count, oldest = conn.execute(
        "SELECT count(*), min(version) FROM ssm_parameter_versions WHERE name = ?", (name,)
    ).fetchone()
    if count < MAX_VERSIONS:
        return
    labelled = conn.execute(
        "SELECT 1 FROM ssm_parameter_labels WHERE name = ? AND version = ?", (name, oldest)
    ).fetchone()
    if labelled:
        raise TooManyVersions(
            f"You attempted to create a new version of {name} by calling the PutParameter API "
            f"with the overwrite flag. Version {oldest}, the oldest version, can't be deleted "
            "because it has a label associated with it. Move the label to another version of "
            "the parameter, and try again."
        )
    conn.execute(
        "DELETE FROM ssm_parameter_versions WHERE name = ? AND version = ?", (name, oldest)
    )
