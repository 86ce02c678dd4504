"""Which Task resources of the `arn:aws:states:::` namespace exist, and with which patterns:
what CreateStateMachine checks before anything runs, as AWS checks it.

    arn:aws:states:::aws-sdk:<service>:<action>[.waitForTaskToken]
        the service one of AWS's SDK integrations (sdk_names.py), the action one of its
        model's operations (camelCase; event-stream answers excluded), `.sync` never (AWS's
        table: SDK integrations are request-response or callback only), static Parameters
        (JSONPath) or Arguments (JSONata) keys members of the operation's input
    arn:aws:states:::<service>:<action>[.sync[:2]|.waitForTaskToken]
        for the optimised integrations of the services Stratus serves, the actions and
        patterns AWS's "Optimized integrations" table gives them (OPTIMISED); other
        services' optimised integrations are not checked here (Stratus runs none of them:
        such a Task fails when it runs)

A resource that fails is AWS's SCHEMA_VALIDATION_FAILED "The resource provided … is not
recognized …"; a parameter the action does not take is "The field "X" is not supported by
Step Functions". Whether Stratus serves an existing SDK service is a run-time matter, as
a valid definition is valid whatever runs it (aws/sdk_tasks.py names the served ones).

Models load on first use, one service at a time (EC2's, the largest, in about 0.3 s).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from stratus.workflows.sdk_names import SDK_SERVICE_MODELS

PREFIX = "arn:aws:states:::"
SDK = "aws-sdk:"
CALLBACK = ".waitForTaskToken"
_ANY = frozenset({"", CALLBACK})
_PLAIN = frozenset({""})

# AWS's "Optimized integrations in Step Functions" table, for the services Stratus serves:
# action -> the patterns it takes ("" request-response, ".sync", ".sync:2", callback).
OPTIMISED: Mapping[str, Mapping[str, frozenset[str]]] = {
    "lambda": {"invoke": _ANY},
    "sqs": {"sendMessage": _ANY},
    "sns": {"publish": _ANY},
    "events": {"putEvents": _ANY},
    "dynamodb": {a: _PLAIN for a in ("getItem", "putItem", "updateItem", "deleteItem")},
    "states": {"startExecution": frozenset({"", ".sync", ".sync:2", CALLBACK})},
    "apigateway": {"invoke": _ANY},
    "http": {"invoke": _PLAIN},
}

_PATTERN = re.compile(r"^(?P<base>[^.]*)(?P<pattern>\..*)?$")


def not_recognized(resource: str) -> str:
    return (
        f"The resource provided {resource} is not recognized. The value is not a valid"
        " resource ARN, or the resource is not available in this region."
    )


def problem(resource: str, parameters: Any, field: str = "Parameters") -> tuple[str, str] | None:
    """What AWS refuses in a Task's `resource` and its static `parameters` (the state's
    `field`: Parameters, or Arguments in JSONata): (message, the field it is about); None
    when there is nothing to say."""
    if not resource.startswith(PREFIX):
        return None
    rest = resource[len(PREFIX) :]
    if rest.startswith(SDK):
        return _sdk_problem(resource, rest[len(SDK) :], parameters, field)
    service, _, action_and_pattern = rest.partition(":")
    actions = OPTIMISED.get(service)
    if actions is None:
        return None  # another service's optimised integration: not Stratus's to judge
    found = _PATTERN.match(action_and_pattern)
    assert found is not None  # the pattern matches every string
    patterns = actions.get(found["base"])
    if patterns is None or (found["pattern"] or "") not in patterns:
        return not_recognized(resource), "Resource"
    return None


def _sdk_problem(resource: str, rest: str, parameters: Any, field: str) -> tuple[str, str] | None:
    service, _, action_and_pattern = rest.partition(":")
    found = _PATTERN.match(action_and_pattern)
    assert found is not None
    action, pattern = found["base"], found["pattern"] or ""
    model = SDK_SERVICE_MODELS.get(service)
    if model is None or pattern not in _ANY or not action:
        return not_recognized(resource), "Resource"
    operation = _operations(model).get(action[:1].upper() + action[1:])
    if operation is None:
        return not_recognized(resource), "Resource"
    if isinstance(parameters, Mapping):
        for key in parameters:
            name = str(key).removesuffix(".$")
            # AWS's Java SDK renames a member that clashes with a Java method (`Equals` ->
            # `EqualsValue`): either spelling passes here
            spellings = {name.lower(), name.lower().removesuffix("value")}
            if not spellings & operation:
                return f'The field "{name}" is not supported by Step Functions', field
    return None


@functools.cache
def _loader() -> Any:  # botocore.loaders.Loader, imported when first needed
    import botocore.loaders  # here, not at import: most definitions need no model

    return botocore.loaders.create_loader()


@functools.cache
def _operations(model: str) -> dict[str, frozenset[str]]:
    """The operations of a botocore model a Task can call: name -> its input members,
    lowercased (Stratus matches parameters to members without regard to case). Operations
    that answer with an event stream are not callable from a Task."""
    import botocore.exceptions  # (as in _loader)

    try:
        loaded: dict[str, Any] = _loader().load_service_model(model, "service-2")
    except botocore.exceptions.DataNotFoundError:
        return {}
    shapes: dict[str, Any] = loaded.get("shapes", {})
    found: dict[str, frozenset[str]] = {}
    for name, operation in loaded.get("operations", {}).items():
        output = shapes.get(operation.get("output", {}).get("shape", ""), {})
        if any(shapes.get(m.get("shape", ""), {}).get("eventstream") for m in _members(output)):
            continue
        given = shapes.get(operation.get("input", {}).get("shape", ""), {})
        members: dict[str, Any] = given.get("members", {})
        # a member by its name or its wire name (EC2's `Filters` is `Filter` on the wire)
        found[name] = frozenset(
            spelled.lower()
            for member, spec in members.items()
            for spelled in (member, str(spec.get("locationName", member)))
        )
    return found


def _members(shape: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(shape.get("members", {}).values())
