"""Rotation: RotateSecret's Lambda function run through its four steps, as durable work.

    RotateSecret  -> the AWSPENDING version (no value yet) and one ROTATIONS item, in one
                     transaction (Rotations.start)
    the item      -> the function, synchronously, once per step, with AWS's event
                     {"SecretId": <ARN>, "ClientRequestToken": <version id>, "Step": ...}:
                     createSecret (puts the new value as AWSPENDING), setSecret,
                     testSecret, finishSecret (moves AWSCURRENT to the new version)
    all four ok   -> LastRotatedDate; with AutomaticallyAfterDays (or `rate(N days)` /
                     `rate(N hours)`) the next rotation is queued that far on
    a step fails  -> (a function error) the item is retried with backoff, from createSecret
                     again, as AWS retries a rotation; after MAX_ATTEMPTS it is
                     dead-lettered and the AWSPENDING version stays, so the next
                     RotateSecret says the previous rotation is not complete

The steps are the function's to make idempotent (AWS's templates are): a retried item calls
them again. A crash of the server mid-rotation leaves the item leased; its lease runs out and
the rotation runs again from createSecret. Rotation functions call back into Secrets Manager
over boto3 (AWS_ENDPOINT_URL points at this server), so the steps run on the loop while the
server serves them. Not served: cron() schedules and Duration windows (recorded, not used).
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import orjson

from stratus.errors import Invalid
from stratus.store.db import Database, transaction
from stratus.store.work import Kind, WorkItem, WorkQueue
from stratus.store.worker import Worker

from . import store
from .labels import unfinished
from .model import CURRENT, PENDING, MarkedForDeletion, SecretNotFound

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
MAX_ATTEMPTS = 5
ROTATIONS = Kind("secrets.rotation", lease_s=120.0, max_attempts=MAX_ATTEMPTS, backoff=(2.0, 300.0))
_RATE = re.compile(r"^rate\(\s*(\d+)\s+(hours?|days?)\s*\)$")


class RotationFunction(Protocol):
    """Invokes a rotation function synchronously: None, or the function's error (its
    errorType and errorMessage)."""

    async def wait_invoke(self, function_arn: str, event: bytes) -> str | None: ...


def interval_s(rules: dict[str, Any] | None) -> float | None:
    """Seconds between scheduled rotations, or None (no schedule Stratus runs)."""
    if not rules:
        return None
    if rules.get("AutomaticallyAfterDays"):
        return float(rules["AutomaticallyAfterDays"]) * 86400
    found = _RATE.match(str(rules.get("ScheduleExpression") or ""))
    if found is None:
        return None
    return float(found.group(1)) * (3600 if found.group(2).startswith("hour") else 86400)


class Rotations:
    def __init__(
        self,
        db: Database,
        work: WorkQueue,
        function: RotationFunction | None,
        clock: Callable[[], float],
    ) -> None:
        """`clock` stamps the secret (LastRotatedDate); `work.clock` says when rotations
        fall due."""
        self._db = db
        self._work = work
        self._function = function
        self._clock = clock
        self._worker = Worker(work, ROTATIONS, self._wait_rotate, parallel=4)

    async def wait_run_forever(self) -> None:
        await self._worker.wait_run_forever()

    async def start(
        self,
        secret_id: str,
        token: str,
        lambda_arn: str | None,
        rules: dict[str, Any] | None,
        immediately: bool = True,
    ) -> dict[str, Any]:
        """RotateSecret: the rotation settings; rotating now (the AWSPENDING version, without
        a value, that the function's createSecret step fills in, and the rotation queued in
        the same transaction), or at the schedule's next time."""
        now = self._clock()

        def write(conn: sqlite3.Connection) -> dict[str, Any]:
            secret = store.live(conn, secret_id, now)
            function = lambda_arn or secret.rotation_lambda
            if function is None:
                raise Invalid(
                    "No Lambda rotation function ARN is associated with this secret: name "
                    "RotationLambdaARN."
                )
            secret.rotation_lambda = function
            secret.rotation_rules = rules or secret.rotation_rules
            secret.rotation_enabled = True
            store.save(conn, secret)
            if not immediately:
                every = interval_s(secret.rotation_rules)
                if every is not None:
                    due = self._work.clock.now() + every
                    self._enqueue(conn, secret.arn, None, due)
                return store.named(secret)
            store.pending(conn, secret, token, now)
            self._enqueue(conn, secret.arn, token)
            return store.named(secret) | {"VersionId": token}

        return await self._db.run_in_transaction(write)

    async def _prepare(
        self, arn_: str, token: str | None
    ) -> tuple[str, str, dict[str, Any] | None] | None:
        """(function ARN, version id, rules) of a queued rotation about to run, its
        AWSPENDING version made if it has none yet (a scheduled rotation); None when the
        secret is gone, deleted or no longer rotated."""
        now = self._clock()

        def write(conn: sqlite3.Connection) -> tuple[str, str, dict[str, Any] | None] | None:
            try:
                secret = store.live(conn, arn_, now)
            except (SecretNotFound, MarkedForDeletion):
                return None
            if not secret.rotation_enabled or secret.rotation_lambda is None:
                return None
            chosen = token
            if chosen is None:  # a scheduled rotation: an unfinished one is tried again
                left = unfinished(store.read_versions(conn, secret.arn))
                chosen = str(uuid.uuid4()) if left is None else left.version_id
            store.pending(conn, secret, chosen, now)
            return secret.rotation_lambda, chosen, secret.rotation_rules

        return await self._db.run_in_transaction(write)

    async def _rotated(self, arn_: str, token: str) -> None:
        """The rotation's four steps succeeded: LastRotatedDate; AWSPENDING leaves the new
        version once it is AWSCURRENT."""
        now = self._clock()

        def write(conn: sqlite3.Connection) -> None:
            secret = store.find(conn, arn_, now)
            secret.last_rotated = now
            store.save(conn, secret)
            versions = store.read_versions(conn, secret.arn)
            for v in versions:
                if v.version_id == token and CURRENT in v.stages and PENDING in v.stages:
                    v.stages.remove(PENDING)
            store.write_labels(conn, secret.arn, versions)

        await self._db.run_in_transaction(write)

    async def cancel(self, secret_id: str) -> dict[str, Any]:
        """CancelRotateSecret: rotation off, nothing queued; an unfinished AWSPENDING
        version loses its label (AWS leaves the version, deprecated)."""
        now = self._clock()

        def write(conn: sqlite3.Connection) -> dict[str, Any]:
            secret = store.live(conn, secret_id, now)
            secret.rotation_enabled = False
            store.save(conn, secret)
            versions = store.read_versions(conn, secret.arn)
            for v in versions:
                if PENDING in v.stages and CURRENT not in v.stages:
                    v.stages.remove(PENDING)
            store.write_labels(conn, secret.arn, versions)
            self._forget(conn, secret.arn)
            return store.named(secret)

        return await self._db.run_in_transaction(write)

    def _enqueue(
        self, conn: sqlite3.Connection, arn: str, token: str | None, due: float | None = None
    ) -> None:
        """Queue a rotation of `arn` (in the caller's transaction): to the version `token`
        RotateSecret made, or (None) to one made when it runs, as a scheduled rotation
        does. A rotation already queued for the secret is replaced."""
        self._work.purge(conn, ROTATIONS, arn)
        payload = orjson.dumps({"SecretId": arn, "ClientRequestToken": token})
        self._work.enqueue(conn, ROTATIONS, f"{arn}/{token or due}", payload, subject=arn, due=due)

    def _forget(self, conn: sqlite3.Connection, arn: str) -> None:
        self._work.purge(conn, ROTATIONS, arn)

    async def _wait_rotate(self, item: WorkItem) -> None:
        job = orjson.loads(item.payload)
        arn = job["SecretId"]
        work = self._work
        prepared = await self._prepare(arn, job["ClientRequestToken"])
        if prepared is None:  # the secret is gone, or its rotation was cancelled
            await work.db.run(lambda conn: work.ack(conn, item))
            return
        function_arn, token, rules = prepared
        failure = await self._wait_steps(function_arn, arn, token)
        if failure is not None:
            reason = f"rotation of {arn} by {function_arn} failed at {failure}"
            # The same version again: the steps see their own AWSPENDING version.
            again = orjson.dumps({"SecretId": arn, "ClientRequestToken": token})
            await work.db.run(lambda conn: work.retry(conn, item, payload=again, reason=reason))
            return
        await self._rotated(arn, token)
        every = interval_s(rules)

        def settle(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if work.ack(conn, item) and every is not None:
                    self._enqueue(conn, arn, None, due=work.clock.now() + every)

        await work.db.run(settle)

    async def _wait_steps(self, function_arn: str, arn: str, token: str) -> str | None:
        if self._function is None:
            return "createSecret: this server runs no functions"
        for step in STEPS:
            event = {"SecretId": arn, "ClientRequestToken": token, "Step": step}
            failure = await self._function.wait_invoke(function_arn, orjson.dumps(event))
            if failure is not None:
                return f"{step}: {failure}"
        return None
