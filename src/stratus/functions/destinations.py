"""Destinations: where the outcome of an asynchronous invocation goes, behind one interface.

    Success                       -> OnSuccess destination   the invocation record
    RetriesExhausted, or
    EventAgeExceeded (discarded)  -> OnFailure destination   the invocation record
                                  -> dead-letter queue       the original event, with attributes

A `Destination` is one kind of target, picked by the service named in the ARN
(`arn:aws:<service>:<region>:<account>:<resource>`). Stratus registers `lambda` (another
function, invoked asynchronously: the record becomes a durable async event of its own);
SQS, SNS and EventBridge targets plug in with `Destinations.register`. An ARN of a kind no
one registered is refused when it is configured, naming the kinds that are.

Durability: the async queue stages each delivery with `stage` inside the transaction that
finishes the source event: a work item (store/work.py, kind DELIVERIES, its subject the
target's ARN), stored exactly when the event it describes is forgotten. `wait_run_forever`
hands staged deliveries to their targets and acknowledges each one after its target took it;
a crash between the two delivers it again (at-least-once, as AWS's destinations are). The
Lambda target uses the delivery's id as the new event's request id, so such a second
hand-over of a still-queued record is ignored.

A dead-letter queue (SQS) or topic (SNS) gets the event as its message body, with the
message attributes AWS documents: RequestID (String), ErrorCode (Number: the last attempt's
HTTP status, 200 for a function error, 429 for an event never run) and ErrorMessage (String:
the function's errorMessage, cut to 1 KB). Such a delivery is staged as a `DeadLetter` under
an id starting "dead-letter-", so the worker knows its payload is the letter, not the body;
a kind that takes no attributes (another function) gets the bare event.

The invocation record, as AWS sends it:

    {"version": "1.0", "timestamp": "2019-11-14T18:16:05.568Z",
     "requestContext": {"requestId", "functionArn" (qualified), "condition",
                        "approximateInvokeCount"},
     "requestPayload": <the event>,
     "responseContext": {"statusCode": 200, "executedVersion", "functionError" (on errors)},
     "responsePayload": <what the function returned, or its error>}
"""

from __future__ import annotations

import base64
import logging
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

import orjson

from stratus.errors import Invalid, NotFound, StratusError, Throttled
from stratus.functions.names import FunctionRef, parse_reference
from stratus.functions.schema import DELIVERIES
from stratus.runtime.spec import InvokeResult
from stratus.store.work import WorkItem, WorkQueue
from stratus.store.worker import Worker

log = logging.getLogger("stratus.functions")

Condition = Literal["Success", "RetriesExhausted", "EventAgeExceeded", "ZeroReservedConcurrency"]
PARALLEL_DELIVERIES = 16
NOT_DEAD_LETTERS = frozenset({"events"})  # destinations only
# Kinds registered for the event bus's targets (which deliver through this registry) that
# Lambda takes as neither destination nor dead-letter queue.
BUS_ONLY = frozenset({"states"})
DEAD_LETTER_PREFIX = "dead-letter-"  # the id of a staged DeadLetter
ERROR_MESSAGE_LIMIT = 1024  # bytes of ErrorMessage, as AWS cuts it
_A = TypeVar("_A")  # a message attribute, as the queue or topic models it


@dataclass(frozen=True, slots=True)
class Target:
    """A destination ARN, taken apart: arn:<partition>:<service>:<region>:<account>:<resource>."""

    arn: str
    service: str
    region: str
    account: str
    resource: str


def parse_target(arn: str) -> Target:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[2]:
        raise Invalid(f"The destination ARN {arn} is invalid.")
    return Target(arn, parts[2], parts[3], parts[4], parts[5])


class Destination(Protocol):
    """One kind of target: everything behind ARNs of one service."""

    # For error messages: "Lambda functions (arn:aws:lambda:<region>:<account>:function:<name>)".
    describes: str

    async def wait_check(self, target: Target, source: str) -> None:
        """Raise Invalid unless `target` can take deliveries from function
        `source`; called when a destination or dead-letter queue is configured."""

    async def wait_deliver(self, target: Target, payload: bytes, delivery_id: str) -> None:
        """Take `payload` durably. A StratusError means the target refuses it for good
        (Throttled: try again later); `delivery_id` is the same on a repeated hand-over."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A discarded event on its way to a dead-letter queue or topic, with what AWS says of
    it in the message's attributes."""

    event: bytes
    request_id: str
    error_code: int  # the last attempt's HTTP status: 200 for a function error
    error_message: str

    @classmethod
    def of(cls, request_id: str, event: bytes, result: InvokeResult | None) -> DeadLetter:
        """The letter for an event whose last run answered `result` (None: it never ran,
        throttled or refused by a reserved concurrency of 0)."""
        if result is None:
            return cls(event, request_id, 429, "Rate Exceeded.")
        answer = _decoded(result.payload, empty="")
        message = answer.get("errorMessage") if isinstance(answer, dict) else None
        text = str(message) if message is not None else result.payload.decode("utf-8", "replace")
        cut = text.encode()[:ERROR_MESSAGE_LIMIT].decode("utf-8", "ignore")
        return cls(event, request_id, 200, cut)

    def attributes(self, make: Callable[[str, str], _A]) -> dict[str, _A]:
        """The message attributes, each made by `make(data type, value)` (the queue's or
        topic's MessageAttribute). An empty error message is left out: queues and topics
        refuse an attribute with an empty value."""
        attributes = {
            "RequestID": ("String", self.request_id),
            "ErrorCode": ("Number", str(self.error_code)),
            "ErrorMessage": ("String", self.error_message),
        }
        return {name: make(kind, value) for name, (kind, value) in attributes.items() if value}

    def encode(self) -> bytes:
        return orjson.dumps(
            {
                "event": base64.b64encode(self.event).decode("ascii"),
                "request_id": self.request_id,
                "error_code": self.error_code,
                "error_message": self.error_message,
            }
        )

    @classmethod
    def decode(cls, data: bytes) -> DeadLetter:
        fields: dict[str, Any] = orjson.loads(data)
        return cls(
            base64.b64decode(fields["event"]),
            fields["request_id"],
            fields["error_code"],
            fields["error_message"],
        )


@runtime_checkable
class DeadLetterDestination(Destination, Protocol):
    """A kind whose messages carry attributes (queues, topics): it takes dead letters whole."""

    async def wait_deliver_letter(
        self, target: Target, letter: DeadLetter, delivery_id: str
    ) -> None:
        """As `wait_deliver`, with the event as the body and the letter's attributes."""


class Destinations:
    """The registry of target kinds, and the durable outbox of deliveries to them."""

    def __init__(self, work: WorkQueue) -> None:
        self._work = work
        self._kinds: dict[str, Destination] = {}
        self._worker = Worker(work, DELIVERIES, self._wait_deliver, PARALLEL_DELIVERIES)

    def register(self, service: str, kind: Destination) -> None:
        self._kinds[service] = kind

    async def wait_check(self, arn: str, source: str, *, dead_letter: bool = False) -> None:
        """Refuse (Invalid) an ARN no registered kind can deliver to."""
        target = parse_target(arn)
        kind = self._kinds.get(target.service)
        if dead_letter and target.service in NOT_DEAD_LETTERS:
            kind = None  # AWS takes only queues and topics as dead-letter queues
        if target.service in BUS_ONLY:
            kind = None
        if kind is None:
            role = "a dead-letter queue" if dead_letter else "a destination"
            supported = "; ".join(
                k.describes
                for service, k in self._kinds.items()
                if not (dead_letter and service in NOT_DEAD_LETTERS) and service not in BUS_ONLY
            )
            raise Invalid(
                f"The destination ARN {arn} is invalid: Stratus does not serve the "
                f"'{target.service}' service yet. Supported as {role}: {supported}."
            )
        await kind.wait_check(target, source)

    def stage(self, conn: sqlite3.Connection, arn: str, payload: bytes) -> None:
        """Inside the caller's transaction: remember to deliver `payload` to `arn`."""
        self._work.enqueue(conn, DELIVERIES, str(uuid.uuid4()), payload, subject=arn)

    def stage_dead_letter(self, conn: sqlite3.Connection, arn: str, letter: DeadLetter) -> None:
        """As `stage`, for a dead letter: delivered with its attributes."""
        id = f"{DEAD_LETTER_PREFIX}{uuid.uuid4()}"
        self._work.enqueue(conn, DELIVERIES, id, letter.encode(), subject=arn)

    async def wait_run_forever(self) -> None:
        await self._worker.wait_run_forever()

    async def wait_deliver(self, arn: str, payload: bytes, delivery_id: str) -> None:
        """Hand `payload` to `arn` now, through its kind (for other services' deliveries:
        the event bus's targets). Raises as the kind's `wait_deliver` does."""
        target, kind = self._kind(arn)
        await kind.wait_deliver(target, payload, delivery_id)

    async def _wait_deliver_letter(self, arn: str, letter: DeadLetter, delivery_id: str) -> None:
        target, kind = self._kind(arn)
        if isinstance(kind, DeadLetterDestination):
            await kind.wait_deliver_letter(target, letter, delivery_id)
        else:
            await kind.wait_deliver(target, letter.event, delivery_id)

    def _kind(self, arn: str) -> tuple[Target, Destination]:
        target = parse_target(arn)
        kind = self._kinds.get(target.service)
        if kind is None:
            raise Invalid(f"no destination kind serves {target.service}")
        return target, kind

    async def _wait_deliver(self, delivery: WorkItem) -> None:
        work = self._work
        try:
            if delivery.id.startswith(DEAD_LETTER_PREFIX):
                letter = DeadLetter.decode(delivery.payload)
                await self._wait_deliver_letter(delivery.subject, letter, delivery.id)
            else:
                await self.wait_deliver(delivery.subject, delivery.payload, delivery.id)
        except Throttled:
            # Tried again later, after the kind's backoff.
            await work.db.run(lambda conn: work.retry(conn, delivery))
            return
        except StratusError as exc:
            # AWS counts these as DestinationDeliveryFailures; the record is gone either way.
            log.warning(
                "delivery %s to %s failed, record dropped: %s",
                delivery.id,
                delivery.subject,
                exc.message,
            )
        await work.db.run(lambda conn: work.ack(conn, delivery))


class _Functions(Protocol):
    def arn(self, name: str, qualifier: str | None = None) -> str: ...

    async def get(self, ref: FunctionRef) -> object: ...


class LambdaDestination:
    """Another function of this server, invoked asynchronously with the payload as its event."""

    describes = "Lambda functions (arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>])"

    def __init__(
        self, functions: _Functions, accept: Callable[[FunctionRef, bytes, str], Awaitable[str]]
    ) -> None:
        self._functions = functions
        self._accept = accept  # stores an async event: (function, payload, request id)

    async def wait_check(self, target: Target, source: str) -> None:
        ref = self._ref(target)
        if ref.name == source:
            raise Invalid("You can't specify the function as a destination for itself.")
        try:
            await self._functions.get(ref)
        except NotFound as exc:
            raise Invalid(f"The destination ARN {target.arn} is invalid: {exc.message}") from exc

    async def wait_deliver(self, target: Target, payload: bytes, delivery_id: str) -> None:
        await self._accept(self._ref(target), payload, delivery_id)

    def _ref(self, target: Target) -> FunctionRef:
        """The function a full ARN names; it must be this server's (region and account)."""
        invalid = Invalid(
            f"The destination ARN {target.arn} is invalid: a Lambda destination is a function "
            f"ARN of this region and account, e.g. {self._functions.arn('my-function')}."
        )
        if not target.resource.startswith("function:"):
            raise invalid
        try:
            ref = parse_reference(target.arn)
        except StratusError:
            raise invalid from None
        if self._functions.arn(ref.name, ref.qualifier) != target.arn:
            raise invalid
        return ref


def invocation_record(
    *,
    request_id: str,
    function_arn: str,
    condition: Condition,
    invoke_count: int,
    event: bytes,
    result: InvokeResult | None,
    now: float,
) -> bytes:
    """The record AWS sends to OnSuccess and OnFailure destinations (see the module doc).

    `result` is the last attempt's; an event that expired before any attempt has none, and
    its record has no response fields."""
    record: dict[str, object] = {
        "version": "1.0",
        "timestamp": _iso(now),
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "requestPayload": _decoded(event, empty={}),
    }
    if result is not None:
        context: dict[str, object] = {
            "statusCode": 200,
            "executedVersion": result.executed_version,
        }
        if result.function_error:
            context["functionError"] = result.function_error
        record["responseContext"] = context
        record["responsePayload"] = _decoded(result.payload, empty=None)
    return orjson.dumps(record)


def _decoded(payload: bytes, empty: object) -> object:
    """JSON as JSON; anything else (a custom runtime may answer with plain bytes) as text."""
    if not payload:
        return empty  # an empty event reaches the handler as {} (runtime/lib/bootstrap.py)
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return payload.decode("utf-8", "replace")


def _iso(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
