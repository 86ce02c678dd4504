"""Layers: versioned archives (libraries, tools, data) that functions see under /opt.

    PublishLayerVersion / GetLayerVersion / GetLayerVersionByArn / ListLayers /
    ListLayerVersions / DeleteLayerVersion, and the `Layers` list of a function

Version numbers count up per layer and are never reused, even after every version is deleted.
A deleted version leaves the API and cannot be added to functions, but functions that already
use it keep running it, as on AWS: its row stays (marked deleted) and so does its archive.

A function's layers run merged: each distinct ordered list of layer archives is laid out once
under `<data>/work/opt/<sha256 of the ordered list>/` (store/overlay.py), later layers
overwriting earlier files, as Lambda extracts them in order; the launcher shows it at /opt.

One module for the layer API and for functions' use of layers, past 400 lines: both rest on
the same ARN rules and rows, and splitting them would put those in a third module.
"""

from __future__ import annotations

import asyncio
import base64
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from stratus.config import Settings
from stratus.errors import Invalid, NotFound, Validation
from stratus.functions import public_layers
from stratus.functions.inputs import artifact_bytes, decode_marker, encode_marker, timestamp
from stratus.functions.model import LayerReference
from stratus.runtime.sdk import PipFailed
from stratus.store import overlay
from stratus.store.artifacts import ArtifactStore
from stratus.store.code import MAX_UNZIPPED_BYTES, CodeStore, StoredCode
from stratus.store.db import Database, transaction

# Lambda's limit on layers per function.
MAX_LAYERS = 5
LIST_PAGE_LIMIT = 50
LAYER_NAME_PATTERN = (
    r"(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+"
)
LAYER_VERSION_ARN_PATTERN = (
    r"(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)"
    r"|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)"
)
_LAYER_ARN = re.compile(
    r"^arn:[a-zA-Z0-9-]+:lambda:(?P<region>[a-zA-Z0-9-]+):(?P<account>\d{12}):layer:"
    r"(?P<name>[a-zA-Z0-9-_]+)(?::(?P<version>[0-9]+))?$"
)
_NOT_FOUND = "The resource you requested does not exist."

# Every runtime Lambda's API knows (CompatibleRuntimes describes; it does not have to run here).
LayerRuntime = Literal[
    "nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x",
    "nodejs14.x", "nodejs16.x", "nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x",
    "nodejs4.3-edge", "java8", "java8.al2", "java11", "java17", "java21", "java25",
    "python2.7", "python3.6", "python3.7", "python3.8", "python3.9", "python3.10",
    "python3.11", "python3.12", "python3.13", "python3.14", "dotnetcore1.0", "dotnetcore2.0",
    "dotnetcore2.1", "dotnetcore3.1", "dotnet6", "dotnet8", "dotnet10", "go1.x", "ruby2.5",
    "ruby2.7", "ruby3.2", "ruby3.3", "ruby3.4", "ruby4.0", "provided", "provided.al2",
    "provided.al2023",
]  # fmt: skip
Architecture = Literal["x86_64", "arm64"]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class LayerContentInput(_Shape):
    ZipFile: bytes | None = None  # decoded from base64 by the wire protocol
    S3Bucket: str | None = None
    S3Key: str | None = None
    S3ObjectVersion: str | None = None


class PublishLayerVersionRequest(_Shape):
    Content: LayerContentInput
    Description: Annotated[str, Field(max_length=256)] = ""
    CompatibleRuntimes: Annotated[list[LayerRuntime], Field(max_length=15)] | None = None
    CompatibleArchitectures: Annotated[list[Architecture], Field(max_length=2)] | None = None
    LicenseInfo: Annotated[str, Field(max_length=512)] | None = None


class ListLayersQuery(_Shape):
    """ListLayers' and ListLayerVersions' query string."""

    CompatibleRuntime: LayerRuntime | None = None
    CompatibleArchitecture: Architecture | None = None
    Marker: str | None = None
    MaxItems: Annotated[int, Field(ge=1, le=LIST_PAGE_LIMIT)] | None = None


class LayerContent(_Shape):
    Location: str = ""  # a download URL, which only the wire adapter knows how to build
    CodeSha256: str
    CodeSize: int


class LayerVersion(_Shape):
    """GetLayerVersion's answer (and PublishLayerVersion's), field for field."""

    Content: LayerContent
    LayerArn: str
    LayerVersionArn: str
    Description: str = ""
    CreatedDate: str
    Version: int
    CompatibleRuntimes: list[str] | None = None
    LicenseInfo: str | None = None
    CompatibleArchitectures: list[str] | None = None

    def matches(self, query: ListLayersQuery) -> bool:
        runtime, architecture = query.CompatibleRuntime, query.CompatibleArchitecture
        return (runtime is None or runtime in (self.CompatibleRuntimes or ())) and (
            architecture is None or architecture in (self.CompatibleArchitectures or ())
        )

    def listed(self) -> dict[str, object]:
        """As ListLayerVersions and ListLayers (LatestMatchingVersion) show it."""
        return self.model_dump(exclude={"Content", "LayerArn"}, exclude_none=True)


@dataclass(frozen=True, slots=True)
class LayerSummary:
    """One ListLayers entry: a layer and its newest version matching the filters."""

    name: str
    arn: str
    latest: LayerVersion


@dataclass(frozen=True, slots=True)
class _VersionArn:
    arn: str
    region: str
    account: str
    name: str
    version: int


class Layers:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        code: CodeStore,
        artifacts: ArtifactStore | None = None,
    ) -> None:
        self._region = settings.region
        self._account = settings.account_id
        self._db = db
        self._code = code
        self._artifacts = artifacts
        self._merged_root = settings.data_dir / "work" / "opt"
        self._building: dict[str, asyncio.Lock] = {}  # public layers being built, by ARN

    # -- the layer API ------------------------------------------------------------------
    async def publish(self, layer: str, request: PublishLayerVersionRequest) -> LayerVersion:
        name = self._own_name(layer)
        archive = await asyncio.to_thread(_archive, request.Content, self._artifacts)
        stored, unzipped = await asyncio.to_thread(self._stored, archive)

        def insert(conn: sqlite3.Connection) -> LayerVersion:
            with transaction(conn):
                conn.execute("INSERT OR IGNORE INTO layers (name) VALUES (?)", (name,))
                number = conn.execute(
                    "UPDATE layers SET last_version = last_version + 1 WHERE name = ? "
                    "RETURNING last_version",
                    (name,),
                ).fetchone()[0]
                version = LayerVersion(
                    Content=LayerContent(CodeSha256=stored.sha256_b64, CodeSize=stored.size),
                    LayerArn=self.arn(name),
                    LayerVersionArn=f"{self.arn(name)}:{number}",
                    Description=request.Description,
                    CreatedDate=timestamp(),
                    Version=number,
                    CompatibleRuntimes=list[str](request.CompatibleRuntimes or ()) or None,
                    LicenseInfo=request.LicenseInfo,
                    CompatibleArchitectures=list[str](request.CompatibleArchitectures or ())
                    or None,
                )
                conn.execute(
                    "INSERT INTO layer_versions (layer_name, version, config, unzipped) "
                    "VALUES (?, ?, ?, ?)",
                    (name, number, version.model_dump_json(), unzipped),
                )
                return version

        return await self._db.run(insert)

    async def get(self, layer: str, version: int) -> LayerVersion:
        _check_version_number(version)
        name = self._own_name(layer, missing=NotFound(_NOT_FOUND, Type="User"))
        found = await self._db.run(lambda conn: _version_row(conn, name, version))
        if found is None:
            raise NotFound(_NOT_FOUND, Type="User")
        return found

    async def get_by_arn(self, arn: str) -> LayerVersion:
        parsed = _parse_version_arn(arn)
        if parsed is None:
            raise Validation(
                f"1 validation error detected: Value '{arn}' at 'arn' failed to satisfy "
                f"constraint: Member must satisfy regular expression pattern: "
                f"{LAYER_VERSION_ARN_PATTERN}"
            )
        if (parsed.region, parsed.account) != (self._region, self._account):
            raise NotFound(_NOT_FOUND, Type="User")
        return await self.get(parsed.name, parsed.version)

    async def list_layers(self, query: ListLayersQuery) -> tuple[list[LayerSummary], str | None]:
        after = decode_marker(query.Marker)
        rows = await self._db.run(
            lambda conn: conn.execute(
                "SELECT layer_name, config FROM layer_versions WHERE deleted = 0 "
                "AND layer_name > ? AND instr(layer_name, ':') = 0 "  # (not AWS's, built here)
                "ORDER BY layer_name, version DESC",
                (after,),
            ).fetchall()
        )
        found: dict[str, LayerVersion] = {}
        for row in rows:
            if row["layer_name"] in found:
                continue
            version = LayerVersion.model_validate_json(row["config"])
            if version.matches(query):
                found[row["layer_name"]] = version
        summaries = [LayerSummary(name, self.arn(name), v) for name, v in found.items()]
        limit = query.MaxItems or LIST_PAGE_LIMIT
        more = len(summaries) > limit
        return summaries[:limit], encode_marker(summaries[limit - 1].name) if more else None

    async def list_versions(
        self, layer: str, query: ListLayersQuery
    ) -> tuple[list[LayerVersion], str | None]:
        """Newest first; an unknown layer has no versions (not an error, as on AWS)."""
        try:
            name = self._own_name(layer)
        except NotFound:
            return [], None
        marker = decode_marker(query.Marker)
        if marker and not marker.isdigit():
            raise Invalid(f"Invalid Marker: {query.Marker!r}")
        before = int(marker or 0) or None
        rows = await self._db.run(
            lambda conn: conn.execute(
                "SELECT config FROM layer_versions WHERE deleted = 0 AND layer_name = ? "
                "AND version < ? ORDER BY version DESC",
                (name, before or 2**62),
            ).fetchall()
        )
        versions = [LayerVersion.model_validate_json(row["config"]) for row in rows]
        matching = [version for version in versions if version.matches(query)]
        limit = query.MaxItems or LIST_PAGE_LIMIT
        more = len(matching) > limit
        return matching[:limit], encode_marker(str(matching[limit - 1].Version)) if more else None

    async def delete(self, layer: str, version: int) -> None:
        """Idempotent, as on AWS. Functions using the version keep it."""
        _check_version_number(version)
        try:
            name = self._own_name(layer)
        except NotFound:
            return
        await self._db.run(
            lambda conn: conn.execute(
                "UPDATE layer_versions SET deleted = 1 WHERE layer_name = ? AND version = ?",
                (name, version),
            )
        )

    # -- functions' layers --------------------------------------------------------------
    async def references(self, arns: Sequence[str], code_sha256: str) -> list[LayerReference]:
        """What a function configuration stores for `arns`, checked as Lambda checks them;
        `code_sha256` (base64, as CodeSha256) is the function's package, for the size limit."""
        if not arns:
            return []
        parsed = _parse_layer_list(arns)
        if len(parsed) > MAX_LAYERS:
            raise Invalid(f"Cannot reference more than {MAX_LAYERS} layers.")
        seen: dict[tuple[str, str], str] = {}
        for layer in parsed:
            if layer.region != self._region:
                raise Invalid(
                    "Layers are not in the same region as the function. Layers are expected "
                    f"to be in region {self._region}."
                )
            first = seen.get((layer.account, layer.name))
            if first is not None:
                raise Invalid(
                    "Two different versions of the same layer are not allowed to be referenced "
                    f"in the same function. {first} and {layer.arn} are versions of the same "
                    "layer."
                )
            seen[(layer.account, layer.name)] = layer.arn
        for layer in parsed:
            if layer.account != self._account:
                await self._wait_public(layer)
        rows = await self._db.run(lambda conn: [self._live_row(conn, layer) for layer in parsed])
        await self._check_size(code_sha256, sum(unzipped for _, unzipped in rows))
        return [
            LayerReference(Arn=layer.arn, CodeSize=version.Content.CodeSize)
            for layer, (version, _) in zip(parsed, rows, strict=True)
        ]

    async def check_size(self, layers: Sequence[LayerReference], code_sha256: str) -> None:
        """Refuse new code that, with the function's layers, unzips to more than 250 MB."""
        if not layers:
            return
        parsed = _parse_layer_list([layer.Arn for layer in layers])
        sizes = await self._db.run(
            lambda conn: [self._row(conn, layer, include_deleted=True) for layer in parsed]
        )
        await self._check_size(code_sha256, sum(row["unzipped"] for row in sizes if row))

    async def merged_dir(self, layers: Sequence[LayerReference]) -> Path | None:
        """The directory holding `layers` merged in order (made on first use), or None."""
        if not layers:
            return None
        parsed = _parse_layer_list([layer.Arn for layer in layers])
        rows = await self._db.run(
            lambda conn: [self._row(conn, layer, include_deleted=True) for layer in parsed]
        )
        shas: list[str] = []
        for layer, row in zip(parsed, rows, strict=True):
            if row is None:
                raise Invalid(f"Layer version {layer.arn} does not exist.")
            content = LayerVersion.model_validate_json(row["config"]).Content
            shas.append(base64.b64decode(content.CodeSha256).hex())
        return await asyncio.to_thread(overlay.merge, self._code, self._merged_root, shas)

    # -- helpers ------------------------------------------------------------------------
    def arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self._region}:{self._account}:layer:{name}"

    def _own_name(self, layer: str, missing: Exception | None = None) -> str:
        """The layer name a LayerName parameter (a name or a layer ARN) gives."""
        if len(layer) > 140 or not re.fullmatch(LAYER_NAME_PATTERN, layer):
            raise Validation(
                f"1 validation error detected: Value '{layer}' at 'layerName' failed to "
                f"satisfy constraint: Member must satisfy regular expression pattern: "
                f"{LAYER_NAME_PATTERN}"
            )
        match = _LAYER_ARN.match(layer)
        if match is None:
            return layer
        if (match["region"], match["account"]) != (self._region, self._account):
            raise missing or NotFound(_NOT_FOUND, Type="User")
        return match["name"]

    async def _wait_public(self, layer: _VersionArn) -> None:
        """A layer AWS publishes (public_layers.py), built on its first use, if Stratus can."""
        wanted = public_layers.requirement(layer.account, layer.name)
        if wanted is None:
            return
        async with self._building.setdefault(layer.arn, asyncio.Lock()):
            found = await self._db.run(lambda conn: self._row(conn, layer, include_deleted=True))
            if found is not None:
                return
            try:
                archive = await asyncio.to_thread(public_layers.build, *wanted)
            except PipFailed as exc:
                raise Invalid(
                    f"Layer version {layer.arn} is AWS's; Stratus builds it from the package "
                    f"index ({wanted[0]}), which failed: {exc}"
                ) from None
            stored, unzipped = await asyncio.to_thread(self._stored, archive)
            version = LayerVersion(
                Content=LayerContent(CodeSha256=stored.sha256_b64, CodeSize=stored.size),
                LayerArn=layer.arn.rsplit(":", 1)[0],
                LayerVersionArn=layer.arn,
                Description=f"Built by Stratus from {wanted[0]}",
                CreatedDate=timestamp(),
                Version=layer.version,
            )
            name = _stored_name(layer, self._account)

            def insert(conn: sqlite3.Connection) -> None:
                with transaction(conn):
                    conn.execute("INSERT OR IGNORE INTO layers (name) VALUES (?)", (name,))
                    conn.execute(
                        "INSERT OR IGNORE INTO layer_versions (layer_name, version, config, "
                        "unzipped) VALUES (?, ?, ?, ?)",
                        (name, layer.version, version.model_dump_json(), unzipped),
                    )

            await self._db.run(insert)

    def _stored(self, archive: bytes) -> tuple[StoredCode, int]:
        """The archive in the code store, and its unzipped size (blocking)."""
        stored = self._code.put(archive)
        return stored, self._code.unzipped_size(stored.sha256_hex)

    def _row(
        self, conn: sqlite3.Connection, layer: _VersionArn, include_deleted: bool
    ) -> sqlite3.Row | None:
        return _row(conn, _stored_name(layer, self._account), layer.version, include_deleted)

    def _live_row(self, conn: sqlite3.Connection, layer: _VersionArn) -> tuple[LayerVersion, int]:
        row = self._row(conn, layer, include_deleted=False)
        if row is None:
            hint = (
                ""
                if layer.account == self._account
                else f" Stratus holds only the layers published to it (account {self._account})"
                " and Powertools for AWS Lambda (Python)'s; publish this one with "
                "PublishLayerVersion."
            )
            raise Invalid(f"Layer version {layer.arn} does not exist.{hint}")
        return LayerVersion.model_validate_json(row["config"]), row["unzipped"]

    async def _check_size(self, code_sha256: str, layers_unzipped: int) -> None:
        code_hex = base64.b64decode(code_sha256).hex()
        total = layers_unzipped + await asyncio.to_thread(self._code.unzipped_size, code_hex)
        if total > MAX_UNZIPPED_BYTES:
            raise Invalid(
                "Function code combined with layers exceeds the maximum allowed size of "
                f"{MAX_UNZIPPED_BYTES} bytes. The actual size is {total} bytes."
            )


def _parse_version_arn(arn: str) -> _VersionArn | None:
    match = _LAYER_ARN.match(arn)
    if match is None or match["version"] is None or len(arn) > 140:
        return None
    return _VersionArn(arn, match["region"], match["account"], match["name"], int(match["version"]))


def _parse_layer_list(arns: Sequence[str]) -> list[_VersionArn]:
    parsed = [_parse_version_arn(arn) for arn in arns]
    if None in parsed:
        raise Validation(
            f"1 validation error detected: Value '[{', '.join(arns)}]' at 'layers' failed to "
            "satisfy constraint: Member must satisfy constraint: [Member must have length less "
            "than or equal to 140, Member must have length greater than or equal to 1, Member "
            f"must satisfy regular expression pattern: {LAYER_VERSION_ARN_PATTERN}, Member must "
            "not be null]"
        )
    return [layer for layer in parsed if layer is not None]


def _stored_name(layer: _VersionArn, own_account: str) -> str:
    """The row's layer_name: the name for this account's layers; `account:name` for the
    public ones built here (a colon no layer name of ours has)."""
    return layer.name if layer.account == own_account else f"{layer.account}:{layer.name}"


def _row(
    conn: sqlite3.Connection, name: str, version: int, include_deleted: bool
) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT config, unzipped, deleted FROM layer_versions WHERE layer_name = ? AND version = ?",
        (name, version),
    ).fetchone()
    if row is None or (row["deleted"] and not include_deleted):
        return None
    return row


def _version_row(conn: sqlite3.Connection, name: str, version: int) -> LayerVersion | None:
    row = conn.execute(
        "SELECT config FROM layer_versions WHERE layer_name = ? AND version = ? AND deleted = 0",
        (name, version),
    ).fetchone()
    return None if row is None else LayerVersion.model_validate_json(row["config"])


def _check_version_number(version: int) -> None:
    if version < 1:
        raise Invalid("Layer Version Cannot be less than 1", Type="User")


def _archive(content: LayerContentInput, artifacts: ArtifactStore | None) -> bytes:
    if content.S3Bucket or content.S3Key:
        if content.ZipFile:
            raise Invalid("Provide either ZipFile or S3Bucket and S3Key, not both.")
        return artifact_bytes(content.S3Bucket, content.S3Key, artifacts, content.S3ObjectVersion)
    if not content.ZipFile:
        raise Invalid("Please provide a source for the layer content (ZipFile).")
    return content.ZipFile
