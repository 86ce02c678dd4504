"""What a published message must satisfy, and the shapes it is delivered in.

Size: the body, the subject and every attribute's name, type and value count against the
topic's MaximumMessageSize (256 KiB unless raised, up to 1 MiB), as AWS documents; past it,
InvalidParameter "Message too long".

The notification (the body an SQS queue or an HTTP endpoint receives unless raw delivery is
on, and, renamed slightly, the `Sns` member of a Lambda event):

    {"Type": "Notification", "MessageId", "TopicArn", "Subject" (if given), "Message",
     "Timestamp": "2026-12-06T20:00:00.000Z", "SignatureVersion": "1", "Signature",
     "SigningCertURL", "UnsubscribeURL",
     "MessageAttributes": {"name": {"Type": "String", "Value": "v"}}}   (if any)

FIFO topics add SequenceNumber; a SubscriptionConfirmation carries Token and SubscribeURL.
The signature is an HMAC of AWS's string to sign under a key of this server: present and
stable, but not verifiable with AWS's certificate (there is none to fetch).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from stratus.patterns import filter_policy

from .errors import InvalidParameter
from .model import DEFAULT_MAX_MESSAGE_BYTES, MessageAttribute, NewMessage, Topic

MAX_MESSAGE_BYTES = DEFAULT_MAX_MESSAGE_BYTES  # a batch's total, unless the topic allows more
MAX_SUBJECT = 100
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,256}")
_TYPES = ("String.Array", "String", "Number", "Binary")
_SIGNING_KEY = b"stratus-sns"  # not a secret: the signature is a checksum here (see above)


def check(topic: Topic, message: NewMessage) -> None:
    """Refuse, as SNS does, what the topic cannot accept."""
    if not message.Message:
        raise InvalidParameter("Empty message")
    if message.Subject is not None:
        subject = message.Subject
        if (
            not subject
            or len(subject) > MAX_SUBJECT
            or not subject.isascii()
            or any(c in subject for c in "\r\n")
        ):
            raise InvalidParameter("Subject")
    if message.MessageStructure is not None:
        _check_structure(message)
    for name, attribute in message.MessageAttributes.items():
        _check_attribute(name, attribute)
    if size(message) > topic.max_message_bytes:
        raise InvalidParameter("Message too long")
    _check_fifo(topic, message)


def size(message: NewMessage) -> int:
    total = len(message.Message.encode()) + len((message.Subject or "").encode())
    for name, attribute in message.MessageAttributes.items():
        total += len(name.encode()) + len(attribute.DataType.encode())
        total += len(attribute.BinaryValue or (attribute.StringValue or "").encode())
    return total


def _check_fifo(topic: Topic, message: NewMessage) -> None:
    if topic.fifo:
        if not message.MessageGroupId:
            raise InvalidParameter("The MessageGroupId parameter is required for FIFO topics")
        if not message.MessageDeduplicationId and not topic.content_dedup:
            raise InvalidParameter(
                "The topic should either have ContentBasedDeduplication enabled or "
                "MessageDeduplicationId provided explicitly"
            )
        for name in ("MessageGroupId", "MessageDeduplicationId"):
            value = getattr(message, name)
            if value is not None and not re.fullmatch(r"[!-~]{1,128}", value):
                raise InvalidParameter(
                    f"{name} Reason: must be 1 to 128 printable ASCII "
                    "characters (a-z, A-Z, 0-9 and punctuation)"
                )
    elif message.MessageDeduplicationId is not None:
        raise InvalidParameter(
            "MessageDeduplicationId Reason: The request includes MessageDeduplicationId "
            "parameter that is not valid for this topic type"
        )


def _check_structure(message: NewMessage) -> None:
    if message.MessageStructure != "json":
        raise InvalidParameter("MessageStructure Reason: the only value allowed is json")
    try:
        parsed = json.loads(message.Message)
    except ValueError:
        raise InvalidParameter("Message Structure - JSON message body failed to parse") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("default"), str):
        raise InvalidParameter("Message Structure - No default entry in JSON message body")


def _check_attribute(name: str, attribute: MessageAttribute) -> None:
    where = f"The message attribute '{name}'"
    if not _ATTRIBUTE_NAME.fullmatch(name) or ".." in name or name.startswith("."):
        raise InvalidParameter(f"{where} has an invalid name: use 1 to 256 of A-Z a-z 0-9 _ - .")
    if name.lower().startswith(("aws.", "amazon.")):
        raise InvalidParameter(f"{where} uses a reserved prefix (AWS. or Amazon.)")
    if not attribute.DataType.startswith(_TYPES):
        raise InvalidParameter(
            f"{where} has an invalid message attribute type, the set of supported type "
            "prefixes is Binary, Number, and String."
        )
    kind = attribute.base_type
    value = attribute.BinaryValue if kind == "Binary" else attribute.StringValue
    if not value:
        raise InvalidParameter(
            f"{where} must contain non-empty message attribute value for message attribute "
            f"type '{kind}'."
        )
    if kind == "Number":
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            raise InvalidParameter(f"{where} has an invalid numeric value: {value!r}.")
    if kind == "String.Array":
        try:
            array = json.loads(str(value))
        except ValueError:
            array = None
        if not isinstance(array, list):
            raise InvalidParameter(f"{where} must hold a JSON array for type 'String.Array'.")


def for_protocol(message: NewMessage, protocol: str) -> str:
    """The text a subscription of `protocol` receives (MessageStructure json picks by key)."""
    if message.MessageStructure != "json":
        return message.Message
    parsed = json.loads(message.Message)
    chosen = parsed.get(protocol, parsed["default"])
    return chosen if isinstance(chosen, str) else json.dumps(chosen)


def policy_view(attributes: Mapping[str, MessageAttribute]) -> dict[str, Any]:
    """The message's attributes as filter policies read them."""
    return {
        name: filter_policy.MessageAttribute(
            a.DataType, (a.BinaryValue or b"") if a.base_type == "Binary" else (a.StringValue or "")
        )
        for name, a in attributes.items()
    }


def wire_attributes(attributes: Mapping[str, MessageAttribute]) -> dict[str, dict[str, str]]:
    """MessageAttributes of a notification: {name: {Type, Value}}, binary in base64."""
    return {
        name: {
            "Type": a.DataType,
            "Value": base64.b64encode(a.BinaryValue or b"").decode()
            if a.base_type == "Binary"
            else a.StringValue or "",
        }
        for name, a in attributes.items()
    }


def timestamp(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def sign(fields: Mapping[str, Any]) -> str:
    """The Signature of an envelope: AWS's string to sign (name, value lines in its order),
    as an HMAC-SHA1 (SignatureVersion 1) under this server's key."""
    names = [
        "Message",
        "MessageId",
        "Subject",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ]
    text = "".join(f"{n}\n{fields[n]}\n" for n in names if fields.get(n) is not None)
    digest = hmac.new(_SIGNING_KEY, text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()
