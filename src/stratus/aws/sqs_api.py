"""Amazon SQS, over both of its protocols, from one table of handlers:

    JSON 1.0   POST /, X-Amz-Target: AmazonSQS.<Operation>          (current SDKs)
    query      POST / or POST /<account>/<queue>, Action=<Operation>  (older SDKs, CLI v1)

Each handler reads its members, makes one QueueService call and names what it answers.
SQS moved from query to JSON keeping its query error codes: JSON errors carry them in
`x-amzn-query-error` (botocore then raises e.g. QueueDoesNotExist with the Code
AWS.SimpleQueueService.NonExistentQueue, as against AWS), query errors as the Code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stratus.errors import Forbidden, StratusError
from stratus.queues import errors as q
from stratus.queues.model import (
    BatchFailure,
    MessageAttribute,
    MoveTask,
    NewMessage,
    Receive,
    ReceivedMessage,
    SentMessage,
)
from stratus.queues.service import QueueService

from . import sqs_models
from .protocols.adapter import Api, Call, Handler
from .protocols.errors import ErrorTable, WireError


def _error(code: str, query: str | None = None, status: int = 400) -> WireError:
    return WireError(code, status, query or code)


ERRORS: ErrorTable = {
    Forbidden: _error("AccessDeniedException", "AccessDenied", 403),  # aws/actions.py
    q.QueueNotFound: _error("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"),
    q.QueueNameTaken: _error("QueueNameExists", "QueueAlreadyExists"),
    q.InvalidAttributeName: _error("InvalidAttributeName"),
    q.InvalidAttributeValue: _error("InvalidAttributeValue"),
    q.InvalidParameter: _error("InvalidParameterValueException", "InvalidParameterValue"),
    q.MissingParameter: _error("MissingRequiredParameterException", "MissingParameter"),
    q.InvalidContents: _error("InvalidMessageContents"),
    q.ReceiptHandleInvalid: _error("ReceiptHandleIsInvalid"),
    q.MessageNotInflight: _error("MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight"),
    q.PurgeInProgress: _error(
        "PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress", 403
    ),
    q.EmptyBatch: _error("EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest"),
    q.TooManyEntries: _error(
        "TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"
    ),
    q.BatchIdsNotDistinct: _error(
        "BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"
    ),
    q.InvalidBatchEntryId: _error(
        "InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId"
    ),
    q.BatchTooLong: _error("BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong"),
    q.MoveResourceNotFound: _error("ResourceNotFoundException", status=404),
    q.Unsupported: _error("UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation"),
    q.OverLimit: _error("OverLimit", status=403),
    q.QueueDeletedRecently: _error(
        "QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently"
    ),
}


def _queues(call: Call) -> QueueService:
    return call.services.queues


def _url(call: Call, params: Mapping[str, Any]) -> str:
    """QueueUrl, or (query clients POSTing to the queue's URL) the path's queue."""
    url = params.get("QueueUrl")
    if url:
        return str(url)
    path = call.scope.get("path", "/")
    if path.strip("/"):
        return f"{call.base_url}{path}"
    raise q.MissingParameter("QueueUrl")


# ---- queues -----------------------------------------------------------------------------


async def create_queue(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    queues = _queues(call)
    queue = await queues.create_queue(
        params["QueueName"], params.get("Attributes") or {}, params.get("tags") or {}
    )
    return {"QueueUrl": queues.url(queue)}


async def get_queue_url(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    owner = params.get("QueueOwnerAWSAccountId")
    return {"QueueUrl": _queues(call).get_queue_url(params["QueueName"], owner)}


async def delete_queue(call: Call, params: dict[str, Any]) -> None:
    await _queues(call).delete_queue(_url(call, params))


async def list_queues(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    urls, token = _queues(call).list_queues(
        params.get("QueueNamePrefix"), params.get("MaxResults"), params.get("NextToken")
    )
    return _page("QueueUrls", urls, token)


async def list_dead_letter_source_queues(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    urls, token = _queues(call).list_dead_letter_sources(
        _url(call, params), params.get("MaxResults"), params.get("NextToken")
    )
    return {"queueUrls": urls, **({"NextToken": token} if token else {})}


def _page(key: str, urls: list[str], token: str | None) -> dict[str, Any]:
    answer: dict[str, Any] = {key: urls} if urls else {}
    return answer | ({"NextToken": token} if token else {})


async def get_queue_attributes(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    names = params.get("AttributeNames") or []
    found = await _queues(call).get_attributes(_url(call, params), names)
    return {"Attributes": found} if found else {}


async def set_queue_attributes(call: Call, params: dict[str, Any]) -> None:
    await _queues(call).set_attributes(_url(call, params), params.get("Attributes") or {})


async def add_permission(call: Call, params: dict[str, Any]) -> None:
    await _queues(call).add_permission(
        _url(call, params), params["Label"],
        params.get("AWSAccountIds") or [], params.get("Actions") or [],
    )  # fmt: skip


async def remove_permission(call: Call, params: dict[str, Any]) -> None:
    await _queues(call).remove_permission(_url(call, params), params["Label"])


async def purge_queue(call: Call, params: dict[str, Any]) -> None:
    await _queues(call).purge(_url(call, params))


async def tag_queue(call: Call, params: dict[str, Any]) -> None:
    await _queues(call).tag(_url(call, params), params.get("Tags") or {})


async def untag_queue(call: Call, params: dict[str, Any]) -> None:
    await _queues(call).untag(_url(call, params), params.get("TagKeys") or [])


async def list_queue_tags(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    tags = _queues(call).tags(_url(call, params))
    return {"Tags": tags} if tags else {}


# ---- messages ---------------------------------------------------------------------------


def _new_message(entry: Mapping[str, Any]) -> NewMessage:
    system = entry.get("MessageSystemAttributes") or {}
    trace = system.get("AWSTraceHeader")
    unknown = set(system) - {"AWSTraceHeader"}
    if unknown:
        raise q.InvalidParameter(
            f"Message system attribute name '{sorted(unknown)[0]}' is invalid: only "
            "AWSTraceHeader can be sent."
        )
    return NewMessage(
        entry.get("MessageBody") or "",
        {
            name: MessageAttribute(
                value["DataType"], value.get("StringValue"), value.get("BinaryValue")
            )
            for name, value in (entry.get("MessageAttributes") or {}).items()
        },
        trace.get("StringValue") if trace else None,
        entry.get("DelaySeconds"),
        entry.get("MessageGroupId"),
        entry.get("MessageDeduplicationId"),
    )


def _sent(sent: SentMessage) -> dict[str, Any]:
    return {k: v for k, v in _fields(sent).items() if v is not None}


async def send_message(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return _sent(await _queues(call).send(_url(call, params), _new_message(params)))


async def send_message_batch(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    entries: list[tuple[str, NewMessage | Exception]] = []
    for entry in params.get("Entries") or []:
        try:
            entries.append((entry["Id"], _new_message(entry)))
        except StratusError as exc:
            entries.append((entry["Id"], exc))
    sent, failed = await _queues(call).send_batch(_url(call, params), entries)
    return {
        "Successful": [{"Id": entry_id, **_sent(answer)} for entry_id, answer in sent],
        "Failed": _failures(call, failed),
    }


async def receive_message(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    wanted = {*(params.get("AttributeNames") or []),
              *(params.get("MessageSystemAttributeNames") or [])}  # fmt: skip
    request = Receive(
        max_messages=params.get("MaxNumberOfMessages") or 1,
        visibility_timeout=params.get("VisibilityTimeout"),
        wait_seconds=params.get("WaitTimeSeconds"),
        system_attributes=frozenset(wanted),
        message_attributes=tuple(params.get("MessageAttributeNames") or ()),
        attempt_id=params.get("ReceiveRequestAttemptId"),
    )
    received = await _queues(call).receive(_url(call, params), request)
    return {"Messages": [_message(m) for m in received]} if received else {}


def _message(message: ReceivedMessage) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "MessageId": message.MessageId,
        "ReceiptHandle": message.ReceiptHandle,
        "MD5OfBody": message.MD5OfBody,
        "Body": message.Body,
    }
    if message.Attributes:
        answer["Attributes"] = dict(message.Attributes)
    if message.MessageAttributes:
        answer["MessageAttributes"] = {
            name: {k: v for k, v in _fields(value).items() if v is not None}
            for name, value in message.MessageAttributes.items()
        }
        answer["MD5OfMessageAttributes"] = message.MD5OfMessageAttributes
    return answer


async def delete_message(call: Call, params: dict[str, Any]) -> None:
    await _queues(call).delete_message(_url(call, params), params["ReceiptHandle"])


async def delete_message_batch(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    entries = [(e["Id"], e["ReceiptHandle"]) for e in params.get("Entries") or []]
    done, failed = await _queues(call).delete_batch(_url(call, params), entries)
    return {"Successful": [{"Id": i} for i in done], "Failed": _failures(call, failed)}


async def change_message_visibility(call: Call, params: dict[str, Any]) -> None:
    await _queues(call).change_visibility(
        _url(call, params), params["ReceiptHandle"], params["VisibilityTimeout"]
    )


async def change_message_visibility_batch(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    entries = [
        (e["Id"], e["ReceiptHandle"], e.get("VisibilityTimeout") or 0)
        for e in params.get("Entries") or []
    ]
    done, failed = await _queues(call).change_visibility_batch(_url(call, params), entries)
    return {"Successful": [{"Id": i} for i in done], "Failed": _failures(call, failed)}


def _failures(call: Call, failed: list[BatchFailure]) -> list[dict[str, Any]]:
    """Per-entry failures, coded as the whole-call error would be in this protocol."""
    json_protocol = "x-amz-target" in call.headers
    answer = []
    for failure in failed:
        error = failure.error
        wire = next((ERRORS[c] for c in type(error).__mro__ if c in ERRORS), None)
        code = "InternalError" if wire is None else wire.code
        if wire is not None and not json_protocol:
            code = wire.query_code or wire.code
        message = error.message if isinstance(error, StratusError) else str(error)
        answer.append(
            {"Id": failure.Id, "SenderFault": wire is not None, "Code": code, "Message": message}
        )
    return answer


# ---- message move tasks -----------------------------------------------------------------


async def start_message_move_task(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    handle = await _queues(call).moves.start(
        params["SourceArn"], params.get("DestinationArn"),
        params.get("MaxNumberOfMessagesPerSecond"),
    )  # fmt: skip
    return {"TaskHandle": handle}


async def list_message_move_tasks(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    tasks = _queues(call).moves.tasks_of(params["SourceArn"], params.get("MaxResults"))
    return {"Results": [_task(task) for task in tasks]}


def _task(task: MoveTask) -> dict[str, Any]:
    answer = {k: v for k, v in _fields(task).items() if v is not None}
    if task.Status != "RUNNING":
        answer.pop("TaskHandle", None)  # AWS names the handle of running tasks only
    return answer


async def cancel_message_move_task(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    moved = _queues(call).moves.cancel(params["TaskHandle"])
    return {"ApproximateNumberOfMessagesMoved": moved}


def _fields(value: Any) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__slots__}


HANDLERS: dict[str, Handler] = {
    "CreateQueue": create_queue,
    "GetQueueUrl": get_queue_url,
    "DeleteQueue": delete_queue,
    "ListQueues": list_queues,
    "ListDeadLetterSourceQueues": list_dead_letter_source_queues,
    "GetQueueAttributes": get_queue_attributes,
    "SetQueueAttributes": set_queue_attributes,
    "PurgeQueue": purge_queue,
    "AddPermission": add_permission,
    "RemovePermission": remove_permission,
    "TagQueue": tag_queue,
    "UntagQueue": untag_queue,
    "ListQueueTags": list_queue_tags,
    "SendMessage": send_message,
    "SendMessageBatch": send_message_batch,
    "ReceiveMessage": receive_message,
    "DeleteMessage": delete_message,
    "DeleteMessageBatch": delete_message_batch,
    "ChangeMessageVisibility": change_message_visibility,
    "ChangeMessageVisibilityBatch": change_message_visibility_batch,
    "StartMessageMoveTask": start_message_move_task,
    "ListMessageMoveTasks": list_message_move_tasks,
    "CancelMessageMoveTask": cancel_message_move_task,
}
# Messages up to 1 MiB each, a batch up to 1 MiB in total, base64 and framing on top.
BODY_LIMIT = 4 * 1024 * 1024
API = Api(sqs_models.JSON_NAME, HANDLERS, ERRORS, BODY_LIMIT, signing_name="sqs")
QUERY_API = Api(sqs_models.QUERY_NAME, HANDLERS, ERRORS, BODY_LIMIT, signing_name="sqs")
