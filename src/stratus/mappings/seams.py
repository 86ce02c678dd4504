"""What event source mappings need from queues, streams and functions, as one-method
Protocols.

Mappings may not import queues or functions (siblings in the services layer); stratus.bridges
implements these with the queue and function services' own methods, in process: a poller
receives and deletes as a boto3 ReceiveMessage/DeleteMessageBatch would, and invokes as a
boto3 Invoke (RequestResponse) would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class QueueFacts:
    arn: str
    fifo: bool
    visibility_timeout: int  # seconds


@dataclass(frozen=True, slots=True)
class MessageAttribute:
    data_type: str
    string_value: str | None = None
    binary_value: bytes | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """A received message, with every system and message attribute SQS gives."""

    message_id: str
    receipt_handle: str
    body: str
    md5_of_body: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    message_attributes: Mapping[str, MessageAttribute] = field(default_factory=dict)
    md5_of_message_attributes: str | None = None


@dataclass(frozen=True, slots=True)
class FunctionFacts:
    arn: str  # as the mapping names it (qualified when a version or alias was given)
    timeout: int  # seconds
    reserved_concurrency: int | None


@dataclass(frozen=True, slots=True)
class Invoked:
    payload: bytes
    function_error: str | None  # "Unhandled" when the function failed


class QueueLookup(Protocol):
    def describe_queue(self, arn: str) -> QueueFacts:
        """The queue `arn` names; NotFound when there is none."""


class QueueReceiver(Protocol):
    async def wait_receive(self, arn: str, max_messages: int, wait_seconds: int) -> list[Message]:
        """ReceiveMessage (long poll up to `wait_seconds`), every attribute; the queue's own
        visibility timeout."""


class QueueDeleter(Protocol):
    async def wait_delete(self, arn: str, receipt_handles: Sequence[str]) -> None:
        """Delete these messages (any number; batches of 10 are the bridge's business)."""


class FunctionLookup(Protocol):
    async def wait_describe(self, function_name: str) -> FunctionFacts:
        """The function (and qualifier) a FunctionName names; NotFound when there is none."""


class FunctionInvoker(Protocol):
    async def wait_invoke(self, function_arn: str, payload: bytes) -> Invoked:
        """A synchronous invocation; raises Throttled when no concurrency is free."""


@dataclass(frozen=True, slots=True)
class StreamFacts:
    arn: str
    shard_id: str
    latest: int  # the last sequence number the stream holds (0: none yet)


@dataclass(frozen=True, slots=True)
class StreamRecord:
    """One change, as the DynamoDB Streams API shapes it (`record`), with its position."""

    seq: int
    created: float  # epoch seconds, on the server's clock
    record: dict[str, Any]


class StreamSource(Protocol):
    async def wait_describe_stream(self, arn: str) -> StreamFacts:
        """The stream `arn` names; NotFound when there is none."""

    async def wait_read(self, arn: str, after: int, limit: int) -> list[StreamRecord]:
        """Up to `limit` records after sequence number `after`, in order."""

    def subscribe(self, arn: str) -> asyncio.Event:
        """An event set whenever a write has committed records to the stream."""

    def unsubscribe(self, arn: str, woken: asyncio.Event) -> None:
        """No more wake-ups on `woken`."""


class FailureDestination(Protocol):
    async def wait_check(self, arn: str) -> None:
        """Invalid unless `arn` names a standard queue or a standard topic that exists."""

    async def wait_send(self, arn: str, message: str) -> None:
        """Send one message to that queue or topic."""


@dataclass(frozen=True, slots=True)
class Seams:
    """Everything a mapping reaches outside itself, built by the composition root."""

    queue: QueueLookup
    receive: QueueReceiver
    delete: QueueDeleter
    function: FunctionLookup
    invoke: FunctionInvoker
    stream: StreamSource | None = None  # None: a server without tables (streams refused)
    failures: FailureDestination | None = None
