"""HTTP APIs' AWS service integrations ("first-class integrations"): an AWS_PROXY integration
with an IntegrationSubtype calls one AWS API, its members given by RequestParameters, as
AWS's "Integration subtype reference" lists them:

    EventBridge-PutEvents             Detail DetailType Source | Time EventBusName Resources
                                      Region TraceHeader          (the one entry of Entries)
    SQS-SendMessage                   QueueUrl MessageBody | DelaySeconds MessageAttributes
                                      MessageDeduplicationId MessageGroupId
                                      MessageSystemAttributes Region
    SQS-ReceiveMessage                QueueUrl | AttributeNames MaxNumberOfMessages
                                      MessageAttributeNames ReceiveRequestAttemptId
                                      VisibilityTimeout WaitTimeSeconds Region
    SQS-DeleteMessage                 ReceiptHandle QueueUrl | Region
    SQS-PurgeQueue                    QueueUrl | Region
    StepFunctions-StartExecution      StateMachineArn | Name Input Region
    StepFunctions-StartSyncExecution  StateMachineArn | Name Input Region TraceHeader
    StepFunctions-StopExecution       ExecutionArn | Cause Error Region
    AppConfig-GetConfiguration, Kinesis-PutRecord: refused (Stratus serves neither service)

(required | optional). A parameter's value is text in which these are replaced per request
("Mapping request parameters"); the rest of the text is kept as written:

    $request.header.name        the header (any case), several values joined by commas
    $request.querystring.name   the query string parameter, several values joined by commas
    $request.path.name          the route's path parameter
    $request.body               the whole body
    $request.body.a.b           a JSONPath into the body (no `..`, no filters)
    $context.name               a context variable (`$context.identity.sourceIp`)
    $stageVariables.name        a stage variable

Region is accepted and not used: Stratus serves one region. CredentialsArn (the role API
Gateway would assume) is recorded, not assumed. Pure: the gateway evaluates the references
(gateway/service_integration.py) and the API answers in process.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from stratus.errors import Invalid

from .model import CreateIntegrationRequest, Integration


@dataclass(frozen=True, slots=True)
class Subtype:
    """One subtype: the API that answers it (as aws/sdk_tasks.py names the services), its
    operation and parameters."""

    service: str
    operation: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    entry: str | None = None  # the parameters are one entry of this list member (PutEvents)

    @property
    def parameters(self) -> tuple[str, ...]:
        return self.required + self.optional


_SQS = "sqs"
_SFN = "sfn"
SUBTYPES: Mapping[str, Subtype] = {
    "EventBridge-PutEvents": Subtype(
        "eventbridge", "PutEvents", ("Detail", "DetailType", "Source"),
        ("Time", "EventBusName", "Resources", "Region", "TraceHeader"), entry="Entries",
    ),
    "SQS-SendMessage": Subtype(
        _SQS, "SendMessage", ("QueueUrl", "MessageBody"),
        ("DelaySeconds", "MessageAttributes", "MessageDeduplicationId", "MessageGroupId",
         "MessageSystemAttributes", "Region"),
    ),
    "SQS-ReceiveMessage": Subtype(
        _SQS, "ReceiveMessage", ("QueueUrl",),
        ("AttributeNames", "MaxNumberOfMessages", "MessageAttributeNames",
         "ReceiveRequestAttemptId", "VisibilityTimeout", "WaitTimeSeconds", "Region"),
    ),
    "SQS-DeleteMessage": Subtype(_SQS, "DeleteMessage", ("ReceiptHandle", "QueueUrl"), ("Region",)),
    "SQS-PurgeQueue": Subtype(_SQS, "PurgeQueue", ("QueueUrl",), ("Region",)),
    "StepFunctions-StartExecution": Subtype(
        _SFN, "StartExecution", ("StateMachineArn",), ("Name", "Input", "Region")
    ),
    "StepFunctions-StartSyncExecution": Subtype(
        _SFN, "StartSyncExecution", ("StateMachineArn",), ("Name", "Input", "Region", "TraceHeader")
    ),
    "StepFunctions-StopExecution": Subtype(
        _SFN, "StopExecution", ("ExecutionArn",), ("Cause", "Error", "Region")
    ),
}  # fmt: skip
# Subtypes AWS has for services Stratus does not serve.
ABSENT: Mapping[str, str] = {
    "AppConfig-GetConfiguration": "AWS AppConfig",
    "Kinesis-PutRecord": "Amazon Kinesis Data Streams",
}
UNUSED = "Region"  # accepted, not passed on

# A reference inside a parameter's value. Names end where their characters do, so
# "com.example.$request.path.source" keeps its static prefix.
REFERENCE = re.compile(
    r"\$(?:request\.(?P<kind>header|querystring|path)\.(?P<name>[A-Za-z0-9_-]+)"
    r"|request\.body(?P<path>\.[^\s$]*)?"
    r"|context\.(?P<context>[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)"
    r"|stageVariables\.(?P<variable>[A-Za-z0-9_]+))"
)
_MISTAKE = re.compile(r"\$(?:request|context|stageVariables)\b")


@dataclass(frozen=True, slots=True)
class Reference:
    """One `$...` in a parameter's value: `source` is header, querystring, path, body,
    context or stageVariables; `name` the header, parameter or variable name, the body's
    JSONPath (`$.a.b`, or "" for the whole body) or the context variable's dotted path."""

    source: str
    name: str


def parts(value: str) -> Iterator[str | Reference]:
    """The value's static text and references, in order."""
    at = 0
    for found in REFERENCE.finditer(value):
        if found.start() > at:
            yield value[at : found.start()]
        yield _reference(found)
        at = found.end()
    if at < len(value):
        yield value[at:]


def _reference(found: re.Match[str]) -> Reference:
    if found["kind"]:
        return Reference(found["kind"], found["name"])
    if found["context"]:
        return Reference("context", found["context"])
    if found["variable"]:
        return Reference("stageVariables", found["variable"])
    path = found["path"] or ""
    return Reference("body", "$" + path if path else "")


def service_integration(integration_id: str, request: CreateIntegrationRequest) -> Integration:
    """The integration a CreateIntegration request with an IntegrationSubtype makes, or its
    refusal."""
    name = request.IntegrationSubtype or ""
    subtype = subtype_of(name)
    if request.IntegrationType != "AWS_PROXY":
        raise Invalid(
            f"IntegrationSubtype {name} needs IntegrationType AWS_PROXY, not "
            f"{request.IntegrationType}"
        )
    if request.PayloadFormatVersion != "1.0":
        raise Invalid(
            "PayloadFormatVersion must be 1.0 for an AWS service integration "
            f"(IntegrationSubtype {name})"
        )
    parameters = dict(request.RequestParameters or {})
    check_parameters(name, subtype, parameters)
    return Integration(
        IntegrationId=integration_id,
        IntegrationUri=request.IntegrationUri,
        IntegrationSubtype=name,
        IntegrationMethod=None,
        RequestParameters=parameters,
        CredentialsArn=request.CredentialsArn,
        PayloadFormatVersion="1.0",
        TimeoutInMillis=request.TimeoutInMillis,
        Description=request.Description,
    )


def subtype_of(name: str) -> Subtype:
    subtype = SUBTYPES.get(name)
    if subtype is not None:
        return subtype
    if name in ABSENT:
        raise Invalid(
            f"IntegrationSubtype {name} calls {ABSENT[name]}, which Stratus does not serve; "
            f"Stratus serves {', '.join(SUBTYPES)}"
        )
    raise Invalid(
        f"Invalid IntegrationSubtype {name!r}: write one of {', '.join([*SUBTYPES, *ABSENT])}"
    )


def check_parameters(name: str, subtype: Subtype, parameters: Mapping[str, str]) -> None:
    missing = [p for p in subtype.required if not parameters.get(p)]
    if missing:
        raise Invalid(
            f"RequestParameters of IntegrationSubtype {name} must map {', '.join(missing)} "
            f"(required: {', '.join(subtype.required)})"
        )
    for key, value in parameters.items():
        if key not in subtype.parameters:
            raise Invalid(
                f"Invalid request parameter {key!r} for IntegrationSubtype {name}: it takes "
                + ", ".join(subtype.parameters)
            )
        _check_value(key, value)


def _check_value(key: str, value: str) -> None:
    references = [part for part in parts(value) if isinstance(part, Reference)]
    for reference in references:
        if reference.source == "body" and (".." in reference.name or "?(" in reference.name):
            raise Invalid(
                f"Invalid mapping {value!r} for {key}: $request.body paths take neither "
                "recursive descent (..) nor filter expressions"
            )
    static = REFERENCE.sub("", value)
    if _MISTAKE.search(static):
        raise Invalid(
            f"Invalid mapping {value!r} for {key}: write $request.header.<name>, "
            "$request.querystring.<name>, $request.path.<name>, $request.body[.<path>], "
            "$context.<name> or $stageVariables.<name>"
        )
