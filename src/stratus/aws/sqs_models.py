"""SQS's models as Stratus serves them: botocore's, with what SQS itself does differently.

JSON (`sqs-json`): attribute names are not checked against the model's enums before the
call, as SQS does not: an unknown one is SQS's own InvalidAttributeName ("Unknown Attribute
Bogus."), not a generic ValidationException.

Query (`sqs-query`), for clients older than SQS's move to JSON (botocore before 1.31.81, the
AWS CLI v1 of that time, the Java SDK v1...): botocore now ships SQS's model for JSON only;
the query wire needs traits that model dropped: the names flattened lists and maps take on
the wire (`AttributeName.1`, `Attribute.1.Name`, `MessageAttribute.1.Value.StringValue`,
`Tag.1.Key`), the result wrappers and XML namespace, and the legacy error codes. They are
restored here from the last query-protocol model AWS published, as a table over today's
shapes, so both protocols read one set of shapes. QueueUrl is optional here because query
clients may POST to the queue's URL instead of naming it (aws/sqs_api.py fills it in from
the path).
"""

from __future__ import annotations

import copy
from typing import Any

from botocore.model import ServiceModel

from .protocols import models

JSON_NAME = "sqs-json"
QUERY_NAME = "sqs-query"
# Open sets on AWS: names outside them are the service's to refuse, in its own words.
OPEN_ENUMS = ("QueueAttributeName", "MessageSystemAttributeName")
NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/"

# shape -> {part: wire name}; a part is "member", "key", "value" or a member's name.
WIRE_NAMES: dict[str, dict[str, str]] = {
    "AWSAccountIdList": {"member": "AWSAccountId"},
    "ActionNameList": {"member": "ActionName"},
    "AttributeNameList": {"member": "AttributeName"},
    "BatchResultErrorEntryList": {"member": "BatchResultErrorEntry"},
    "BinaryList": {"member": "BinaryListValue"},
    "ChangeMessageVisibilityBatchRequestEntryList": {
        "member": "ChangeMessageVisibilityBatchRequestEntry"
    },
    "ChangeMessageVisibilityBatchResultEntryList": {
        "member": "ChangeMessageVisibilityBatchResultEntry"
    },
    "CreateQueueRequest": {"Attributes": "Attribute", "tags": "Tag"},
    "DeleteMessageBatchRequestEntryList": {"member": "DeleteMessageBatchRequestEntry"},
    "DeleteMessageBatchResultEntryList": {"member": "DeleteMessageBatchResultEntry"},
    "GetQueueAttributesResult": {"Attributes": "Attribute"},
    "ListMessageMoveTasksResultEntryList": {"member": "ListMessageMoveTasksResultEntry"},
    "ListQueueTagsResult": {"Tags": "Tag"},
    "Message": {"Attributes": "Attribute", "MessageAttributes": "MessageAttribute"},
    "MessageAttributeNameList": {"member": "MessageAttributeName"},
    "MessageAttributeValue": {
        "StringListValues": "StringListValue",
        "BinaryListValues": "BinaryListValue",
    },
    "MessageBodyAttributeMap": {"key": "Name", "value": "Value"},
    "MessageBodySystemAttributeMap": {"key": "Name", "value": "Value"},
    "MessageList": {"member": "Message"},
    "MessageSystemAttributeList": {"member": "MessageSystemAttributeName"},
    "MessageSystemAttributeMap": {"key": "Name", "value": "Value"},
    "MessageSystemAttributeValue": {
        "StringListValues": "StringListValue",
        "BinaryListValues": "BinaryListValue",
    },
    "QueueAttributeMap": {"key": "Name", "value": "Value"},
    "QueueUrlList": {"member": "QueueUrl"},
    "ReceiveMessageRequest": {"MessageSystemAttributeNames": "MessageSystemAttributeName"},
    "SendMessageBatchRequestEntry": {
        "MessageAttributes": "MessageAttribute",
        "MessageSystemAttributes": "MessageSystemAttribute",
    },
    "SendMessageBatchRequestEntryList": {"member": "SendMessageBatchRequestEntry"},
    "SendMessageBatchResultEntryList": {"member": "SendMessageBatchResultEntry"},
    "SendMessageRequest": {
        "MessageAttributes": "MessageAttribute",
        "MessageSystemAttributes": "MessageSystemAttribute",
    },
    "SetQueueAttributesRequest": {"Attributes": "Attribute"},
    "StringList": {"member": "StringListValue"},
    "TagKeyList": {"member": "TagKey"},
    "TagMap": {"key": "Key", "value": "Value"},
}

# Error shape -> (legacy code, HTTP status); the adapter's error table uses the same codes.
ERROR_CODES: dict[str, tuple[str, int]] = {
    "BatchEntryIdsNotDistinct": ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400),
    "BatchRequestTooLong": ("AWS.SimpleQueueService.BatchRequestTooLong", 400),
    "EmptyBatchRequest": ("AWS.SimpleQueueService.EmptyBatchRequest", 400),
    "InvalidBatchEntryId": ("AWS.SimpleQueueService.InvalidBatchEntryId", 400),
    "MessageNotInflight": ("AWS.SimpleQueueService.MessageNotInflight", 400),
    "OverLimit": ("OverLimit", 403),
    "PurgeQueueInProgress": ("AWS.SimpleQueueService.PurgeQueueInProgress", 403),
    "QueueDeletedRecently": ("AWS.SimpleQueueService.QueueDeletedRecently", 400),
    "QueueDoesNotExist": ("AWS.SimpleQueueService.NonExistentQueue", 400),
    "QueueNameExists": ("QueueAlreadyExists", 400),
    "ResourceNotFoundException": ("ResourceNotFoundException", 404),
    "TooManyEntriesInBatchRequest": ("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400),
    "UnsupportedOperation": ("AWS.SimpleQueueService.UnsupportedOperation", 400),
}


def json_model_data() -> dict[str, Any]:
    raw: dict[str, Any] = copy.deepcopy(
        models.session().get_component("data_loader").load_service_model("sqs", "service-2")
    )
    for name in OPEN_ENUMS:
        raw["shapes"][name].pop("enum", None)
    return raw


def query_model_data() -> dict[str, Any]:
    """The query model as botocore's JSON (tests load it into a botocore client)."""
    raw = json_model_data()
    metadata = {
        k: v
        for k, v in raw["metadata"].items()
        if k not in ("jsonVersion", "targetPrefix", "awsQueryCompatible")
    }
    raw["metadata"] = {**metadata, "protocol": "query", "protocols": ["query"],
                       "xmlNamespace": NAMESPACE}  # fmt: skip
    for operation in raw["operations"].values():
        if "output" in operation:
            operation["output"]["resultWrapper"] = operation["output"]["shape"]
    shapes: dict[str, Any] = raw["shapes"]
    for shape_name, names in WIRE_NAMES.items():
        shape = shapes[shape_name]
        for part, wire in names.items():
            target = shape[part] if part in ("member", "key", "value") else shape["members"][part]
            target["locationName"] = wire
    for shape_name, (code, status) in ERROR_CODES.items():
        shapes[shape_name]["error"] = {"code": code, "httpStatusCode": status, "senderFault": True}
    for shape in shapes.values():
        if "QueueUrl" in shape.get("required", ()):
            shape["required"] = [name for name in shape["required"] if name != "QueueUrl"]
    return raw


models.register(JSON_NAME, lambda: ServiceModel(json_model_data(), service_name="sqs"))
models.register(QUERY_NAME, lambda: ServiceModel(query_model_data(), service_name="sqs"))
