"""Amazon SNS over the AWS query protocol (Action=Publish&Version=2010-03-31…), for boto3's
`sns` client. Parsing and XML are protocols/query.py's; each handler reads its members, makes
one TopicService call and names what it answers.

The handshake's two links are GETs: a SubscriptionConfirmation's SubscribeURL
(`GET /?Action=ConfirmSubscription&TopicArn=…&Token=…`) and every notification's
UnsubscribeURL (`GET /?Action=Unsubscribe&SubscriptionArn=…`); `by_url` answers them with
the same handlers and the same XML as the POSTed actions.

SNS answers nearly every refusal as InvalidParameter ("Invalid parameter: …"), a topic or
subscription that does not exist as NotFound, another account's topic as AuthorizationError.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from stratus.errors import Invalid, NotFound, StratusError, Throttled, UnknownOperation, Validation
from stratus.topics import errors as t
from stratus.topics import messages, push, sms
from stratus.topics.model import BatchFailure, MessageAttribute, NewMessage, Subscription
from stratus.topics.service import TopicService

from .protocols import models, query, validate
from .protocols.adapter import Api, Call, Handler
from .protocols.errors import QUERY_ERRORS, ErrorTable, WireError, wire_error

SERVICE = "sns"
ERRORS: ErrorTable = {
    NotFound: WireError("NotFound", 404),
    Invalid: WireError("InvalidParameter", 400),
    Validation: WireError("InvalidParameter", 400),
    t.EmptyBatch: WireError("EmptyBatchRequest", 400),
    t.TooManyEntries: WireError("TooManyEntriesInBatchRequest", 400),
    t.BatchIdsNotDistinct: WireError("BatchEntryIdsNotDistinct", 400),
    t.InvalidBatchEntryId: WireError("InvalidBatchEntryId", 400),
    t.BatchTooLong: WireError("BatchRequestTooLong", 400),
    t.TagLimitExceeded: WireError("TagLimitExceeded", 400),
    t.NotAuthorized: WireError("AuthorizationError", 403),
    Throttled: WireError("Throttled", 429),
    sms.VerificationFailed: WireError("VerificationException", 400),
    sms.SandboxNumberNotFound: WireError("ResourceNotFound", 404),
    sms.SandboxQuotaReached: WireError("UserError", 400),
    push.EndpointDisabled: WireError("EndpointDisabled", 400),
    push.ApplicationDisabled: WireError("PlatformApplicationDisabled", 400),
}
# A 256 KiB message percent-encoded (up to 3 bytes a byte), its attributes and the form.
BODY_LIMIT = 4 * 1024 * 1024

Answer = dict[str, Any] | None


def _topics(call: Call) -> TopicService:
    return call.services.topics


async def create_topic(call: Call, p: dict[str, Any]) -> Answer:
    tags = {tag["Key"]: tag["Value"] for tag in p.get("Tags", [])}
    topic = await _topics(call).create_topic(p["Name"], p.get("Attributes", {}), tags)
    return {"TopicArn": topic.arn}


async def delete_topic(call: Call, p: dict[str, Any]) -> Answer:
    await _topics(call).delete_topic(p["TopicArn"])
    return None


async def list_topics(call: Call, p: dict[str, Any]) -> Answer:
    found, token = _topics(call).list_topics(p.get("NextToken"))
    return {"Topics": [{"TopicArn": topic.arn} for topic in found], "NextToken": token}


async def get_topic_attributes(call: Call, p: dict[str, Any]) -> Answer:
    return {"Attributes": _topics(call).get_topic_attributes(p["TopicArn"])}


async def set_topic_attributes(call: Call, p: dict[str, Any]) -> Answer:
    value = p.get("AttributeValue", "")
    await _topics(call).set_topic_attribute(p["TopicArn"], p["AttributeName"], value)
    return None


async def subscribe(call: Call, p: dict[str, Any]) -> Answer:
    subscription = await _topics(call).subscribe(
        p["TopicArn"], p["Protocol"], p.get("Endpoint", ""), p.get("Attributes", {})
    )
    shown = subscription.arn
    if not subscription.confirmed and not p.get("ReturnSubscriptionArn"):
        shown = "pending confirmation"
    return {"SubscriptionArn": shown}


async def confirm_subscription(call: Call, p: dict[str, Any]) -> Answer:
    subscription = await _topics(call).confirm(p["TopicArn"], p["Token"])
    return {"SubscriptionArn": subscription.arn}


async def unsubscribe(call: Call, p: dict[str, Any]) -> Answer:
    await _topics(call).unsubscribe(p["SubscriptionArn"])
    return None


async def list_subscriptions(call: Call, p: dict[str, Any]) -> Answer:
    """ListSubscriptions, and ListSubscriptionsByTopic (which names a TopicArn)."""
    found, token = _topics(call).list_subscriptions(p.get("NextToken"), p.get("TopicArn"))
    return {"Subscriptions": [_listed(call, s) for s in found], "NextToken": token}


async def get_subscription_attributes(call: Call, p: dict[str, Any]) -> Answer:
    return {"Attributes": _topics(call).get_subscription_attributes(p["SubscriptionArn"])}


async def set_subscription_attributes(call: Call, p: dict[str, Any]) -> Answer:
    value = p.get("AttributeValue", "")
    await _topics(call).set_subscription_attribute(p["SubscriptionArn"], p["AttributeName"], value)
    return None


async def publish(call: Call, p: dict[str, Any]) -> Answer:
    if p.get("PhoneNumber"):
        if p.get("TopicArn") or p.get("TargetArn"):
            raise t.InvalidParameter(
                "PhoneNumber Reason: Only one of TopicArn, TargetArn or PhoneNumber may be given"
            )
        sent = await _topics(call).publish_sms(p["PhoneNumber"], _message(p))
        return {"MessageId": sent.MessageId}
    arn = p.get("TopicArn") or p.get("TargetArn")
    if not arn:
        raise t.InvalidParameter("TopicArn or TargetArn Reason: no value for required parameter")
    if ":endpoint/" in arn:  # TargetArn: a mobile push endpoint
        topics = _topics(call)
        message = _message(p)
        text = messages.for_protocol(message, topics.push.platform_of(arn))
        message_id = str(uuid.uuid4())
        await topics.push.wait_send(arn, text, message_id)
        return {"MessageId": message_id}
    published = await _topics(call).publish(arn, _message(p))
    return {"MessageId": published.MessageId, "SequenceNumber": published.SequenceNumber}


async def publish_batch(call: Call, p: dict[str, Any]) -> Answer:
    entries: list[tuple[str, NewMessage | Exception]] = []
    for entry in p.get("PublishBatchRequestEntries", []):
        try:
            entries.append((entry["Id"], _message(entry)))
        except StratusError as exc:
            entries.append((entry["Id"], exc))
    sent, failed = await _topics(call).publish_batch(p["TopicArn"], entries)
    return {
        "Successful": [
            {"Id": i, "MessageId": m.MessageId, "SequenceNumber": m.SequenceNumber} for i, m in sent
        ],
        "Failed": [_failure(f) for f in failed],
    }


async def tag_resource(call: Call, p: dict[str, Any]) -> Answer:
    tags = {tag["Key"]: tag["Value"] for tag in p["Tags"]}
    await _topics(call).tag(p["ResourceArn"], tags)
    return None


async def untag_resource(call: Call, p: dict[str, Any]) -> Answer:
    await _topics(call).untag(p["ResourceArn"], p["TagKeys"])
    return None


async def list_tags_for_resource(call: Call, p: dict[str, Any]) -> Answer:
    tags = _topics(call).tags(p["ResourceArn"])
    return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


async def add_permission(call: Call, p: dict[str, Any]) -> Answer:
    await _topics(call).add_permission(
        p["TopicArn"], p["Label"], p.get("AWSAccountId", []), p.get("ActionName", [])
    )
    return None


async def remove_permission(call: Call, p: dict[str, Any]) -> Answer:
    await _topics(call).remove_permission(p["TopicArn"], p["Label"])
    return None


async def get_data_protection_policy(call: Call, p: dict[str, Any]) -> Answer:
    return {"DataProtectionPolicy": _topics(call).get_data_protection_policy(p["ResourceArn"])}


async def put_data_protection_policy(call: Call, p: dict[str, Any]) -> Answer:
    await _topics(call).put_data_protection_policy(p["ResourceArn"], p["DataProtectionPolicy"])
    return None


# ---- SMS (topics/sms.py: stored state; messages go to the outbox) ------------------------


async def get_sms_attributes(call: Call, p: dict[str, Any]) -> Answer:
    return {"attributes": await _topics(call).get_sms_attributes(p.get("attributes", []))}


async def set_sms_attributes(call: Call, p: dict[str, Any]) -> Answer:
    await _topics(call).set_sms_attributes(p.get("attributes", {}))
    return {}


async def check_if_phone_number_is_opted_out(call: Call, p: dict[str, Any]) -> Answer:
    sms.check_phone(p["phoneNumber"], "phoneNumber")
    return {"isOptedOut": False}  # no one can reply STOP to Stratus


async def list_phone_numbers_opted_out(call: Call, p: dict[str, Any]) -> Answer:
    return {"phoneNumbers": []}


async def opt_in_phone_number(call: Call, p: dict[str, Any]) -> Answer:
    sms.check_phone(p["phoneNumber"], "phoneNumber")
    return {}


async def get_sms_sandbox_account_status(call: Call, p: dict[str, Any]) -> Answer:
    return {"IsInSandbox": False}  # as an account with production SMS access


async def create_sms_sandbox_phone_number(call: Call, p: dict[str, Any]) -> Answer:
    await _topics(call).create_sandbox_number(p["PhoneNumber"], p.get("LanguageCode", "en-US"))
    return {}


async def verify_sms_sandbox_phone_number(call: Call, p: dict[str, Any]) -> Answer:
    await _topics(call).verify_sandbox_number(p["PhoneNumber"], p["OneTimePassword"])
    return {}


async def delete_sms_sandbox_phone_number(call: Call, p: dict[str, Any]) -> Answer:
    await _topics(call).delete_sandbox_number(p["PhoneNumber"])
    return {}


async def list_sms_sandbox_phone_numbers(call: Call, p: dict[str, Any]) -> Answer:
    numbers = await _topics(call).sandbox_numbers()
    return {"PhoneNumbers": [{"PhoneNumber": n, "Status": status} for n, status in numbers]}


async def list_origination_numbers(call: Call, p: dict[str, Any]) -> Answer:
    return {"PhoneNumbers": []}  # Stratus owns no phone numbers to send from


# ---- mobile push (topics/push.py: stored; messages go to the outbox) ------------------------


def _push(call: Call) -> push.PlatformApps:
    return _topics(call).push


async def create_platform_application(call: Call, p: dict[str, Any]) -> Answer:
    arn = await _push(call).create_application(p["Name"], p["Platform"], p.get("Attributes", {}))
    return {"PlatformApplicationArn": arn}


async def get_platform_application_attributes(call: Call, p: dict[str, Any]) -> Answer:
    return {"Attributes": await _push(call).application_attributes(p["PlatformApplicationArn"])}


async def set_platform_application_attributes(call: Call, p: dict[str, Any]) -> Answer:
    await _push(call).set_application_attributes(p["PlatformApplicationArn"], p["Attributes"])
    return None


async def delete_platform_application(call: Call, p: dict[str, Any]) -> Answer:
    await _push(call).delete_application(p["PlatformApplicationArn"])
    return None


async def list_platform_applications(call: Call, p: dict[str, Any]) -> Answer:
    found, token = await _push(call).applications(p.get("NextToken"))
    listed = [{"PlatformApplicationArn": arn, "Attributes": a} for arn, a in found]
    return {"PlatformApplications": listed, "NextToken": token}


async def create_platform_endpoint(call: Call, p: dict[str, Any]) -> Answer:
    arn = await _push(call).create_endpoint(
        p["PlatformApplicationArn"], p["Token"], p.get("CustomUserData"), p.get("Attributes", {})
    )
    return {"EndpointArn": arn}


async def get_endpoint_attributes(call: Call, p: dict[str, Any]) -> Answer:
    return {"Attributes": await _push(call).endpoint_attributes(p["EndpointArn"])}


async def set_endpoint_attributes(call: Call, p: dict[str, Any]) -> Answer:
    await _push(call).set_endpoint_attributes(p["EndpointArn"], p["Attributes"])
    return None


async def delete_endpoint(call: Call, p: dict[str, Any]) -> Answer:
    await _push(call).delete_endpoint(p["EndpointArn"])
    return None


async def list_endpoints_by_platform_application(call: Call, p: dict[str, Any]) -> Answer:
    found, token = await _push(call).endpoints(p["PlatformApplicationArn"], p.get("NextToken"))
    listed = [{"EndpointArn": arn, "Attributes": a} for arn, a in found]
    return {"Endpoints": listed, "NextToken": token}


def _message(p: Mapping[str, Any]) -> NewMessage:
    if "Message" not in p:
        raise t.InvalidParameter("Message Reason: no value for required parameter")
    return NewMessage(
        p["Message"],
        p.get("Subject"),
        {
            name: MessageAttribute(
                value.get("DataType", ""), value.get("StringValue"), value.get("BinaryValue")
            )
            for name, value in p.get("MessageAttributes", {}).items()
        },
        p.get("MessageStructure"),
        p.get("MessageGroupId"),
        p.get("MessageDeduplicationId"),
    )


def _failure(failure: BatchFailure) -> dict[str, Any]:
    error = failure.error
    assert isinstance(error, StratusError)
    wire = wire_error(error, ERRORS, QUERY_ERRORS)
    return {"Id": failure.Id, "Code": wire.code, "Message": error.message, "SenderFault": True}


def _listed(call: Call, s: Subscription) -> dict[str, str]:
    return {
        "SubscriptionArn": s.listed_arn,
        "Owner": call.services.settings.account_id,
        "Protocol": s.protocol,
        "Endpoint": s.endpoint,
        "TopicArn": s.topic_arn,
    }


HANDLERS: dict[str, Handler] = {
    "CreateTopic": create_topic,
    "DeleteTopic": delete_topic,
    "ListTopics": list_topics,
    "GetTopicAttributes": get_topic_attributes,
    "SetTopicAttributes": set_topic_attributes,
    "Subscribe": subscribe,
    "ConfirmSubscription": confirm_subscription,
    "Unsubscribe": unsubscribe,
    "ListSubscriptions": list_subscriptions,
    "ListSubscriptionsByTopic": list_subscriptions,
    "GetSubscriptionAttributes": get_subscription_attributes,
    "SetSubscriptionAttributes": set_subscription_attributes,
    "Publish": publish,
    "PublishBatch": publish_batch,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
    "AddPermission": add_permission,
    "RemovePermission": remove_permission,
    "GetDataProtectionPolicy": get_data_protection_policy,
    "PutDataProtectionPolicy": put_data_protection_policy,
    "GetSMSAttributes": get_sms_attributes,
    "SetSMSAttributes": set_sms_attributes,
    "CheckIfPhoneNumberIsOptedOut": check_if_phone_number_is_opted_out,
    "ListPhoneNumbersOptedOut": list_phone_numbers_opted_out,
    "OptInPhoneNumber": opt_in_phone_number,
    "GetSMSSandboxAccountStatus": get_sms_sandbox_account_status,
    "CreateSMSSandboxPhoneNumber": create_sms_sandbox_phone_number,
    "VerifySMSSandboxPhoneNumber": verify_sms_sandbox_phone_number,
    "DeleteSMSSandboxPhoneNumber": delete_sms_sandbox_phone_number,
    "ListSMSSandboxPhoneNumbers": list_sms_sandbox_phone_numbers,
    "ListOriginationNumbers": list_origination_numbers,
    "CreatePlatformApplication": create_platform_application,
    "GetPlatformApplicationAttributes": get_platform_application_attributes,
    "SetPlatformApplicationAttributes": set_platform_application_attributes,
    "DeletePlatformApplication": delete_platform_application,
    "ListPlatformApplications": list_platform_applications,
    "CreatePlatformEndpoint": create_platform_endpoint,
    "GetEndpointAttributes": get_endpoint_attributes,
    "SetEndpointAttributes": set_endpoint_attributes,
    "DeleteEndpoint": delete_endpoint,
    "ListEndpointsByPlatformApplication": list_endpoints_by_platform_application,
}
API = Api(SERVICE, HANDLERS, ERRORS, BODY_LIMIT)
_BY_URL = ("ConfirmSubscription", "Unsubscribe")


async def by_url(request: Request) -> Response:
    """GET /?Action=ConfirmSubscription|Unsubscribe&…: the links SNS puts in its messages."""
    request_id = str(uuid.uuid4())
    form = dict(request.query_params)
    try:
        action = form.get("Action", "")
        if action not in _BY_URL:
            raise UnknownOperation(
                f"GET / answers the links in SNS messages (Action={' or '.join(_BY_URL)}); "
                "other calls are POSTs."
            )
        model = await models.wait_service_model(SERVICE)
        operation = query.find_operation(model, form)
        params = query.parse_params(operation.input_shape, form)
        validate.check(operation.input_shape, params)
        output = await HANDLERS[action](Call.of(request.scope, request.headers, request_id), params)
        assert not isinstance(output, Response)  # the links' operations answer members
    except StratusError as exc:
        return query.error_response(exc, SERVICE, ERRORS, request_id)
    return query.response(operation, output, request_id)
