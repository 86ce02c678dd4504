"""The function service: create, read, update, delete and invoke functions.

Every business rule about functions lives here, whichever interface a call came from
(boto3 over the Lambda API, the CLI, later templates and event sources). Past the 400-line
guide because every rule meets here; the pieces that stand alone live beside it (inputs.py,
versions.py, aliases.py, layers.py, concurrency.py).
"""

from __future__ import annotations

import asyncio
import base64
import builtins
import dataclasses
import logging
import random
import sqlite3
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import orjson

from stratus import ids
from stratus.config import Settings
from stratus.errors import (
    Conflict,
    Invalid,
    NotFound,
    NotReady,
)
from stratus.functions import versions
from stratus.functions.aliases import AliasConfiguration, Aliases, alias_row, pick_version
from stratus.functions.code_signing import CodeSigningConfigs
from stratus.functions.destinations import Destinations
from stratus.functions.event_config import EventInvokeConfigs
from stratus.functions.inputs import (
    check_environment,
    check_payload,
    check_payload_size,
    check_snapstart,
    check_supported,
    decode_client_context,
    decode_marker,
    encode_marker,
    timestamp,
    zip_bytes,
)
from stratus.functions.layers import Layers
from stratus.functions.model import (
    CreateFunctionRequest,
    DeadLetterSettings,
    FunctionConfiguration,
    LoggingInput,
    LoggingSettings,
    RuntimeVersionSettings,
    SnapStartSettings,
    UpdateFunctionCodeRequest,
    UpdateFunctionConfigurationRequest,
    stale_revision,
)
from stratus.functions.names import FunctionRef, function_arn
from stratus.functions.policies import Owner, Policies
from stratus.functions.schema import ASYNC_EVENTS
from stratus.functions.settings import FunctionSettings, put_setting
from stratus.functions.urls import FunctionUrls
from stratus.functions.versions import PublishVersionRequest
from stratus.runtime.custom import is_custom
from stratus.runtime.invoker import Invoker
from stratus.runtime.spec import FunctionSpec, Invocation, InvokeResult
from stratus.runtime.streaming import ResponseStream
from stratus.store.artifacts import ArtifactStore
from stratus.store.code import CodeStore
from stratus.store.db import Database, transaction
from stratus.store.work import WorkQueue

LATEST = "$LATEST"
# The tag that opts one function's $LATEST into snapshots (a Stratus extension).
SNAPSHOT_LATEST_TAG = "stratus:snapshot-latest"
# Invoke payload limits: 6 MB synchronous, 1 MB asynchronous (both request and response).
SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
ASYNC_PAYLOAD_LIMIT = 1024 * 1024
LIST_PAGE_LIMIT = 50
MAX_TAGS = 50  # per function, as on AWS

log = logging.getLogger("stratus.functions")

InvocationType = Literal["RequestResponse", "Event", "DryRun"]


@dataclass(frozen=True, slots=True)
class FunctionRecord:
    configuration: FunctionConfiguration
    tags: dict[str, str]


@dataclass(frozen=True, slots=True)
class AccountConcurrency:
    limit: int  # ConcurrentExecutions
    unreserved: int  # UnreservedConcurrentExecutions: the limit less every reservation


class FunctionService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        code: CodeStore,
        invoker: Invoker,
        work: WorkQueue,
        artifacts: ArtifactStore | None = None,
    ) -> None:
        self._settings = settings
        self._db = db
        self._work = work
        self._code = code
        # Packages named by S3Bucket/S3Key (uploaded by `stratus deploy`).
        self._artifacts = artifacts
        self._invoker = invoker
        self._specs: dict[tuple[str, str], FunctionSpec] = {}
        self._aliases: dict[tuple[str, str], AliasConfiguration] = {}
        self._generation = 0
        self.aliases = Aliases(db, settings.region, settings.account_id, self._forget)
        # Target kinds are registered by whoever delivers to them (async_queue.py: lambda).
        self.destinations = Destinations(work)
        self.event_configs = EventInvokeConfigs(
            db, settings.region, settings.account_id, self.destinations
        )
        self.layers = Layers(settings, db, code, artifacts)
        self.urls = FunctionUrls(db, settings)
        self.policies = Policies(db)
        self.options = FunctionSettings(db)
        self.code_signing = CodeSigningConfigs(settings, db)

    # -- control plane ------------------------------------------------------------------
    async def create(self, request: CreateFunctionRequest) -> FunctionConfiguration:
        check_supported(request)
        if request.PackageType == "Image":
            raise Invalid(
                "PackageType Image is not supported by Stratus yet; deploy a Zip package."
            )
        if not request.Runtime or (not request.Handler and not is_custom(request.Runtime)):
            raise Invalid(
                "Runtime and Handler are mandatory parameters for functions created with "
                "deployment packages."
            )
        check_environment(request.Environment)
        dead_letter = await self._dead_letter(request.FunctionName, request.DeadLetterConfig)
        if request.CodeSigningConfigArn:
            await self.code_signing.get(request.CodeSigningConfigArn)  # (it must exist)
        code = request.Code
        archive = await asyncio.to_thread(
            zip_bytes,
            code.ZipFile,
            code.S3Bucket,
            code.S3Key,
            self._artifacts,
            code.S3ObjectVersion,
        )
        stored = await asyncio.to_thread(self._code.put, archive)
        layers = await self.layers.references(request.Layers or [], stored.sha256_b64)
        name = request.FunctionName
        config = FunctionConfiguration(
            FunctionName=name,
            FunctionArn=self.arn(name),
            Runtime=request.Runtime,
            Role=request.Role,
            Handler=request.Handler,
            CodeSize=stored.size,
            Description=request.Description,
            Timeout=request.Timeout,
            MemorySize=request.MemorySize,
            LastModified=timestamp(),
            CodeSha256=stored.sha256_b64,
            Version=LATEST,
            Environment=request.Environment,
            TracingConfig=request.TracingConfig,
            DeadLetterConfig=dead_letter,
            RevisionId=str(uuid.uuid4()),
            Architectures=list(request.Architectures),
            EphemeralStorage=request.EphemeralStorage,
            LoggingConfig=(request.LoggingConfig or LoggingInput()).applied(
                LoggingSettings(LogGroup=f"/aws/lambda/{name}")
            ),
            RuntimeVersionConfig=self._runtime_version(request.Runtime),
            Layers=layers,
            SnapStart=SnapStartSettings(
                ApplyOn=request.SnapStart.ApplyOn if request.SnapStart else "None"
            ),
        )
        check_snapstart(config)
        tags = orjson.dumps(request.Tags).decode()

        def insert(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                exists = conn.execute("SELECT 1 FROM functions WHERE name = ?", (name,)).fetchone()
                if exists:
                    raise Conflict(f"Function already exist: {name}")
                conn.execute(
                    "INSERT INTO functions (name, tags, created) VALUES (?, ?, ?)",
                    (name, tags, time.time()),
                )
                conn.execute(
                    "INSERT INTO versions (function_name, version, config) VALUES (?, ?, ?)",
                    (name, LATEST, config.model_dump_json()),
                )
                if request.CodeSigningConfigArn:
                    put_setting(conn, name, "", "code_signing", request.CodeSigningConfigArn)

        await self._db.run(insert)
        if request.Publish:
            config = await self.publish_version(name, PublishVersionRequest())
        # The package is unpacked and checked before we answer, so the function is Active as
        # soon as it is stored; the response still shows the state AWS's does.
        return config.model_copy(update={"State": "Pending", "LastUpdateStatus": "InProgress"})

    async def get(self, ref: FunctionRef) -> FunctionRecord:
        version = await self._resolve(ref, routed=False)
        row = await self._db.run(
            lambda conn: conn.execute(
                "SELECT v.config, f.tags FROM versions v JOIN functions f "
                "ON f.name = v.function_name WHERE v.function_name = ? AND v.version = ?",
                (ref.name, version),
            ).fetchone()
        )
        if row is None:
            raise self._not_found(ref)
        return FunctionRecord(
            FunctionConfiguration.model_validate_json(row["config"]), orjson.loads(row["tags"])
        )

    async def replace_tags(self, ref: FunctionRef, tags: dict[str, str]) -> None:
        """The function's tags become `tags` (a stack update of its Tags property)."""
        changed = await self._db.run(
            lambda conn: (
                conn.execute(
                    "UPDATE functions SET tags = ? WHERE name = ?",
                    (orjson.dumps(tags).decode(), ref.name),
                ).rowcount
            )
        )
        if not changed:
            raise self._not_found(ref)
        self._forget(ref.name)

    async def retag(self, name: str, add: dict[str, str], remove: Sequence[str]) -> None:
        """TagResource / UntagResource on a function: at most 50 tags, as on AWS."""

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                row = conn.execute("SELECT tags FROM functions WHERE name = ?", (name,)).fetchone()
                if row is None:
                    raise self._not_found(FunctionRef(name, None))
                tags = {**orjson.loads(row["tags"]), **add}
                for key in remove:
                    tags.pop(key, None)
                if len(tags) > MAX_TAGS:
                    raise Invalid(
                        f"A function can have at most {MAX_TAGS} tags; it would have {len(tags)}."
                    )
                conn.execute(
                    "UPDATE functions SET tags = ? WHERE name = ?",
                    (orjson.dumps(tags).decode(), name),
                )

        await self._db.run(write)
        self._forget(name)

    async def policy_owner(self, ref: FunctionRef) -> Owner:
        """Whose resource policy a call on `ref` edits: the function's, or its version's or
        alias's (each has its own); the function and qualifier must exist."""
        if ref.qualifier == LATEST:
            raise Invalid("We currently do not support adding policies for $LATEST.")
        await self.get(ref)
        resource = self.arn(ref.name, ref.qualifier)
        return Owner(resource, function_name=ref.name, qualifier=ref.qualifier or "")

    async def list(
        self, marker: str | None, max_items: int | None, all_versions: bool = False
    ) -> tuple[list[FunctionConfiguration], str | None]:
        """ListFunctions: $LATEST of each function, or with FunctionVersion=ALL every version
        too, ordered by name (then $LATEST, then version number)."""
        limit = min(max_items or LIST_PAGE_LIMIT, LIST_PAGE_LIMIT)
        offset = int(decode_marker(marker) or 0) if marker else 0
        only_latest = "" if all_versions else "WHERE version = '$LATEST' "
        rows = await self._db.run(
            lambda conn: conn.execute(
                f"SELECT config FROM versions {only_latest}ORDER BY function_name, "
                "version != '$LATEST', CAST(version AS INTEGER) LIMIT ? OFFSET ?",
                (limit + 1, offset),
            ).fetchall()
        )
        page = [FunctionConfiguration.model_validate_json(r["config"]) for r in rows[:limit]]
        next_marker = encode_marker(str(offset + limit)) if len(rows) > limit else None
        return page, next_marker

    async def update_configuration(
        self, ref: FunctionRef, request: UpdateFunctionConfigurationRequest
    ) -> FunctionConfiguration:
        check_supported(request)
        if request.Environment is not None:
            check_environment(request.Environment)
        changes = request.model_dump(exclude_none=True, exclude={"RevisionId"})
        if "Runtime" in changes:
            changes["RuntimeVersionConfig"] = self._runtime_version(changes["Runtime"])
        if request.SnapStart is not None:
            snapstart = {"ApplyOn": request.SnapStart.ApplyOn, "OptimizationStatus": "Off"}
            changes["SnapStart"] = snapstart
        if request.Layers is not None:
            code_sha256 = (await self.get(ref)).configuration.CodeSha256
            layers = await self.layers.references(request.Layers, code_sha256)
            changes["Layers"] = [layer.model_dump() for layer in layers]
        if request.DeadLetterConfig is not None:
            dead_letter = await self._dead_letter(ref.name, request.DeadLetterConfig)
            changes["DeadLetterConfig"] = dead_letter.model_dump() if dead_letter else None
        if request.LoggingConfig is not None:
            current = (await self.get(ref)).configuration.LoggingConfig
            changes["LoggingConfig"] = request.LoggingConfig.applied(current).model_dump()
        return await self._update(ref, request.RevisionId, changes)

    async def update_code(
        self, ref: FunctionRef, request: UpdateFunctionCodeRequest
    ) -> FunctionConfiguration:
        if request.ImageUri:
            raise Invalid("Stratus runs Zip packages only; ImageUri is not supported.")
        archive = await asyncio.to_thread(
            zip_bytes,
            request.ZipFile,
            request.S3Bucket,
            request.S3Key,
            self._artifacts,
            request.S3ObjectVersion,
        )
        stored = await asyncio.to_thread(self._code.put, archive)
        changes: dict[str, object] = {"CodeSha256": stored.sha256_b64, "CodeSize": stored.size}
        if request.Architectures:
            changes["Architectures"] = request.Architectures
        current = (await self.get(ref)).configuration
        await self.layers.check_size(current.Layers, stored.sha256_b64)
        if request.DryRun:
            return current.model_copy(update=changes)
        updated = await self._update(ref, request.RevisionId, changes)
        if request.Publish:
            return await self.publish_version(ref.name, PublishVersionRequest())
        return updated

    async def _update(
        self, ref: FunctionRef, revision_id: str | None, changes: dict[str, object]
    ) -> FunctionConfiguration:
        if ref.qualifier not in (None, LATEST):
            raise Invalid("Only $LATEST can be updated; versions are immutable.")
        holder: list[FunctionConfiguration] = []

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                row = conn.execute(
                    "SELECT config FROM versions WHERE function_name = ? AND version = ?",
                    (ref.name, LATEST),
                ).fetchone()
                if row is None:
                    raise self._not_found(ref)
                current = FunctionConfiguration.model_validate_json(row["config"])
                if revision_id and revision_id != current.RevisionId:
                    raise stale_revision()
                updated = FunctionConfiguration.model_validate(
                    current.model_dump()
                    | changes
                    | {"RevisionId": str(uuid.uuid4()), "LastModified": timestamp()}
                )
                check_snapstart(updated)
                conn.execute(
                    "UPDATE versions SET config = ? WHERE function_name = ? AND version = ?",
                    (updated.model_dump_json(), ref.name, LATEST),
                )
                holder.append(updated)

        await self._db.run(write)
        self._forget(ref.name)
        updated = holder[0]
        await self._invoker.pool.wait_retire(
            ref.name, keep_revision=updated.RevisionId, version=LATEST
        )
        record = await self.get(FunctionRef(ref.name))
        if self._snapshots(record):
            # $LATEST with snapshots (stratus up's saves): the new revision's snapshot is
            # taken now, so the first request after the update restores instead of waiting
            # for an init. No state is recorded: $LATEST has no Pending/Active of its own.
            self._invoker.pool.prepare(await self._runnable(record))
        return updated.model_copy(update={"LastUpdateStatus": "InProgress"})

    async def delete(self, ref: FunctionRef) -> None:
        if ref.qualifier is not None:
            return await self._delete_version(ref.name, ref.qualifier)

        def remove(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                self._work.purge(conn, ASYNC_EVENTS, ref.name)
                return conn.execute("DELETE FROM functions WHERE name = ?", (ref.name,)).rowcount

        deleted = await self._db.run(remove)
        self._forget(ref.name)
        self._invoker.concurrency.set_reserved(ref.name, None)
        if not deleted:
            raise self._not_found(ref)
        await self._invoker.pool.wait_retire(ref.name)

    async def _delete_version(self, name: str, version: str) -> None:
        deleted = await self._db.run(
            lambda conn: versions.delete_version(conn, name, version, self.arn(name))
        )
        self._forget(name)
        if deleted:
            await self._invoker.pool.wait_retire(name, version=version)

    # -- versions -----------------------------------------------------------------------
    async def publish_version(
        self, name: str, request: PublishVersionRequest
    ) -> FunctionConfiguration:
        def write(conn: sqlite3.Connection) -> FunctionConfiguration:
            with transaction(conn):
                row = conn.execute(
                    "SELECT config FROM versions WHERE function_name = ? AND version = ?",
                    (name, LATEST),
                ).fetchone()
                if row is None:
                    raise self._not_found(FunctionRef(name))
                latest = FunctionConfiguration.model_validate_json(row["config"])
                return versions.publish(conn, latest, request, self.arn(name))

        published = await self._db.run(write)
        self._forget(name)
        if published.SnapStart.OptimizationStatus == "On":
            check_snapstart(published)
            self._prepare_snapshot(await self._snapshot_spec(name, published.Version))
        return published

    async def list_versions(
        self, name: str, marker: str | None, max_items: int | None
    ) -> tuple[builtins.list[FunctionConfiguration], str | None]:  # `list` here is the method
        found = await self._db.run(lambda conn: versions.list_versions(conn, name))
        if not found:
            raise self._not_found(FunctionRef(name))
        limit = min(max_items or LIST_PAGE_LIMIT, LIST_PAGE_LIMIT)
        start = int(decode_marker(marker) or 0)
        page = found[start : start + limit]
        more = start + limit < len(found)
        return page, encode_marker(str(start + limit)) if more else None

    async def usage(self) -> tuple[int, int]:
        """(function count, total code size) for GetAccountSettings."""
        return await self._db.run(
            lambda conn: tuple(
                conn.execute(
                    "SELECT COUNT(DISTINCT function_name), "
                    "COALESCE(SUM(json_extract(config, '$.CodeSize')), 0) FROM versions"
                ).fetchone()
            )
        )

    # -- concurrency: what the execution layer's limits say, for GetFunction and
    #    GetAccountSettings (reservations are written by functions/concurrency.py) ----------
    def reserved_concurrency(self, name: str) -> int | None:
        """The function's reserved concurrency; None when it shares the unreserved pool."""
        return self._invoker.concurrency.reserved(name)

    def account_concurrency(self) -> AccountConcurrency:
        limits = self._invoker.concurrency
        return AccountConcurrency(limits.account_limit, limits.unreserved_limit)

    def code_archive(self, sha256_b64: str) -> bytes:
        return self._code.archive(base64.b64decode(sha256_b64).hex())

    # -- data plane ---------------------------------------------------------------------
    async def spec(self, ref: FunctionRef) -> FunctionSpec:
        """What the invoker needs for the version `ref` routes to (an alias picks by weight).

        Cached, because every invoke asks and writes are rare."""
        version = await self._resolve(ref, routed=True)
        key = (ref.name, version)
        cached = self._specs.get(key)
        if cached is not None:
            return cached
        generation = self._generation
        record = await self.get(FunctionRef(ref.name, version))
        config = record.configuration
        if config.State == "Pending":  # a SnapStart version until its snapshot is taken
            raise NotReady(
                "The operation cannot be performed at this time. The function is currently "
                "in the following state: Pending",
                Type="User",
            )
        spec = await self._runnable(record)
        if generation == self._generation:  # no write raced with our read
            self._specs[key] = spec
        return spec

    async def _resolve(self, ref: FunctionRef, routed: bool) -> str:
        """The version a qualifier names; for an alias, its version (or, when `routed`, the
        version weighted routing picks for one invocation)."""
        qualifier = ref.qualifier
        if qualifier in (None, LATEST) or qualifier.isdigit():
            return qualifier or LATEST
        key = (ref.name, qualifier)
        alias = self._aliases.get(key)
        if alias is None:
            generation = self._generation
            alias = await self._db.run(lambda conn: alias_row(conn, ref.name, qualifier))
            if alias is None:
                raise self._not_found(ref)
            if generation == self._generation:
                self._aliases[key] = alias
        return pick_version(alias, random.random()) if routed else alias.FunctionVersion

    def _forget(self, name: str) -> None:
        """Drop what is cached about a function; every write calls this."""
        self._generation += 1
        self.urls.forget()  # a function's or alias's deletion takes its URL with it
        for cache in (self._specs, self._aliases):
            for key in [k for k in cache if k[0] == name]:
                del cache[key]

    def _snapshots(self, record: FunctionRecord) -> bool:
        """SnapStart on published versions; on $LATEST only as Stratus's opt-in extension."""
        config = record.configuration
        if is_custom(config.Runtime):
            return False  # a custom runtime's bootstrap cannot be snapshotted (nor on AWS)
        if config.Version != LATEST:
            return config.SnapStart.OptimizationStatus == "On"
        opted_in = record.tags.get(SNAPSHOT_LATEST_TAG, "").lower() == "true"
        return self._settings.snapshot_latest or opted_in

    async def prepare_snapshots(self) -> None:
        """At start-up: take the snapshots of every SnapStart version again (they do not
        outlive the server), so the first invoke after a restart is fast too."""
        rows = await self._db.run(
            lambda conn: conn.execute(
                "SELECT function_name, version FROM versions WHERE "
                "json_extract(config, '$.SnapStart.OptimizationStatus') = 'On'"
            ).fetchall()
        )
        for name, version in rows:
            self._prepare_snapshot(await self._snapshot_spec(name, version))

    async def _snapshot_spec(self, name: str, version: str) -> FunctionSpec:
        """The spec of a SnapStart version, whatever its state (spec() refuses Pending)."""
        return await self._runnable(await self.get(FunctionRef(name, version)))

    async def _runnable(self, record: FunctionRecord) -> FunctionSpec:
        config = record.configuration
        spec = self._spec_of(config, await self.layers.merged_dir(config.Layers))
        return dataclasses.replace(spec, snapshot=self._snapshots(record))

    def _prepare_snapshot(self, spec: FunctionSpec) -> None:
        async def record(failure: bytes | None) -> None:
            await self._wait_record_snapshot(spec.name, spec.version, failure)

        self._invoker.pool.prepare(spec, record)

    async def _wait_record_snapshot(self, name: str, version: str, failure: bytes | None) -> None:
        """A version whose snapshot's init fails is Failed, with the reason (as on AWS); one
        whose snapshot is taken (again, e.g. after a fix elsewhere or a restart) is Active."""
        if failure is None:
            state = {"State": "Active", "StateReason": None, "StateReasonCode": None}
        else:
            error = orjson.loads(failure)
            reason = f"{error.get('errorType')}: {error.get('errorMessage')}"
            state = {"State": "Failed", "StateReason": reason, "StateReasonCode": "FunctionError"}

        def write(conn: sqlite3.Connection) -> None:
            row = conn.execute(
                "SELECT config FROM versions WHERE function_name = ? AND version = ?",
                (name, version),
            ).fetchone()
            if row is not None:
                config = FunctionConfiguration.model_validate_json(row["config"])
                conn.execute(
                    "UPDATE versions SET config = ? WHERE function_name = ? AND version = ?",
                    (config.model_copy(update=state).model_dump_json(), name, version),
                )

        await self._db.run(write)
        self._forget(name)

    def _spec_of(self, config: FunctionConfiguration, layers_dir: Path | None) -> FunctionSpec:
        environment = tuple(sorted(config.Environment.Variables.items()))
        return FunctionSpec(
            name=config.FunctionName,
            version=config.Version,
            revision=config.RevisionId,
            arn=config.FunctionArn,
            runtime=config.Runtime,
            handler=config.Handler or "",
            code_dir=self._code.get(base64.b64decode(config.CodeSha256).hex()).root,
            memory_mb=config.MemorySize,
            timeout_s=config.Timeout,
            ephemeral_mb=config.EphemeralStorage.Size,
            environment=environment,
            layers_dir=layers_dir,
            log_group_name=config.LoggingConfig.LogGroup,
        )

    async def invoke(
        self,
        ref: FunctionRef,
        payload: bytes,
        *,
        client_context: str | None = None,
        want_log_tail: bool = False,
        request_id: str | None = None,
        stream: ResponseStream | None = None,
        trusted_json: bool = False,
    ) -> InvokeResult:
        """A synchronous (RequestResponse) invocation; with a `stream`, a runtime that
        streams its response writes it there as it goes (InvokeWithResponseStream).

        `trusted_json`: for internal callers that serialized the payload themselves (the
        HTTP API gateway's orjson-dumped event) — the size limit still applies, but the
        payload is not parsed again to prove it is JSON. The public Invoke never sets it."""
        if trusted_json:
            check_payload_size(payload, SYNC_PAYLOAD_LIMIT)
        else:
            check_payload(payload, SYNC_PAYLOAD_LIMIT)
        spec = await self.spec(ref)
        invocation = Invocation(
            request_id=request_id or ids.uuid4(),  # pooled: a third of uuid.uuid4's cost
            payload=payload,
            invoked_arn=function_arn(
                self._settings.region, self._settings.account_id, ref.name, ref.qualifier
            ),
            client_context=decode_client_context(client_context),
            want_log_tail=want_log_tail,
            stream=stream,
        )
        result = await self._invoker.invoke(spec, invocation)
        if len(result.payload) > SYNC_PAYLOAD_LIMIT:
            error = {
                "errorMessage": f"Response payload size ({len(result.payload)} bytes) exceeded "
                f"maximum allowed payload size ({SYNC_PAYLOAD_LIMIT} bytes).",
                "errorType": "Function.ResponseSizeTooLarge",
            }
            return InvokeResult(
                orjson.dumps(error), result.executed_version, "Unhandled", result.log_tail
            )
        return result

    # -- helpers ------------------------------------------------------------------------
    def lets_trigger(self, ref: FunctionRef, service: str, source_arn: str) -> bool:
        """Whether a service may invoke `ref` for `source_arn` (an API's route, a topic): its
        resource policy must say so once signatures are checked (STRATUS_VERIFY_SIGNATURES),
        as on AWS; with checking off every trigger may."""
        if not self._settings.verify_signatures:
            return True
        arn = self.arn(ref.name, ref.qualifier)
        return self.policies.lets_service(arn, service, source_arn, self._settings.account_id)

    def arn(self, name: str, qualifier: str | None = None) -> str:
        return function_arn(self._settings.region, self._settings.account_id, name, qualifier)

    async def _dead_letter(
        self, name: str, settings: DeadLetterSettings | None
    ) -> DeadLetterSettings | None:
        """A dead-letter queue Stratus can deliver to, or None (an empty TargetArn removes it)."""
        if settings is None or not settings.TargetArn:
            return None
        await self.destinations.wait_check(settings.TargetArn, name, dead_letter=True)
        return settings

    def _runtime_version(self, runtime: str) -> RuntimeVersionSettings:
        return RuntimeVersionSettings(
            RuntimeVersionArn=f"arn:aws:lambda:{self._settings.region}::runtime:stratus-{runtime}"
        )

    def _not_found(self, ref: FunctionRef) -> NotFound:
        return NotFound(f"Function not found: {self.arn(ref.name, ref.qualifier)}", Type="User")
