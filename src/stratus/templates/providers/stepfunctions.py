"""AWS::StepFunctions::StateMachine over the workflow service, as CloudFormation makes it:
`Ref` is the state machine's ARN; `Fn::GetAtt` gives Arn, Name and StateMachineRevisionId.
The definition is `Definition` (an object), `DefinitionString` (text) or
`DefinitionS3Location` (an object of the object storage, JSON or YAML), with
`DefinitionSubstitutions` replacing each `${key}`; a definition the service refuses fails
the resource with InvalidDefinition's diagnostics. Without StateMachineName the name is
generated (stack-logical-SUFFIX). Definition, RoleArn and LoggingConfiguration (mapped to
the API's camelCase) change in place; the name and type replace the machine.
AWS::Serverless::StateMachine arrives here through SAM's own translation
(Definition/DefinitionUri, Logging, policies into a role).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, ClassVar

import yaml

from stratus.errors import NotFound, StratusError
from stratus.templates.provider import (
    Context,
    Created,
    Provider,
    ResourceFailed,
    required,
    tag_map,
    text,
    wait_read_document,
)
from stratus.workflows import model
from stratus.workflows.model import MAX_NAME

TYPE = "AWS::StepFunctions::StateMachine"
MAX_DEFINITION_BYTES = 1024 * 1024  # a definition's limit in Step Functions


async def _wait_definition_text(ctx: Context, props: dict[str, Any]) -> str:
    if props.get("DefinitionS3Location") is not None:
        body = await _wait_definition_from_s3(ctx, props["DefinitionS3Location"])
        props = {**props, "DefinitionString": body}
    return definition_text(props)


async def _wait_definition_from_s3(ctx: Context, where: Any) -> str:
    """DefinitionS3Location {Bucket, Key, Version}: a JSON or YAML document where `stratus
    deploy`, `aws cloudformation package` or `sam deploy` uploaded a DefinitionUri, given to
    the service as JSON."""
    raw = await wait_read_document(ctx, "DefinitionS3Location", where, MAX_DEFINITION_BYTES)
    try:
        document = yaml.safe_load(raw.decode("utf-8"))  # JSON is YAML, as AWS reads both
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ResourceFailed(
            f"DefinitionS3Location: the object is not a JSON or YAML document: {exc}"
        ) from exc
    return json.dumps(document)


def definition_text(props: dict[str, Any]) -> str:
    if props.get("Definition") is not None:
        body = json.dumps(props["Definition"])
    else:
        body = text(required(props, "DefinitionString", TYPE))
    for key, value in (props.get("DefinitionSubstitutions") or {}).items():
        body = body.replace("${" + str(key) + "}", text(value))
    return body


class StateMachine(Provider):
    type_name = TYPE
    updatable: ClassVar[frozenset[str]] = frozenset(
        {"Definition", "DefinitionString", "DefinitionS3Location", "DefinitionSubstitutions",
         "RoleArn", "Tags",
         "LoggingConfiguration", "TracingConfiguration"}
    )  # fmt: skip

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        name = props.get("StateMachineName") or ctx.physical_name(logical_id, MAX_NAME)
        try:
            machine = await ctx.services.workflows.create(
                str(name),
                await _wait_definition_text(ctx, props),
                text(required(props, "RoleArn", TYPE)),
                text(props.get("StateMachineType", "STANDARD")),
                {"loggingConfiguration": _logging(props["LoggingConfiguration"])}
                if props.get("LoggingConfiguration")
                else None,
            )
        except StratusError as exc:
            raise ResourceFailed(exc.message) from exc
        return Created(machine.arn, _attributes(machine))

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        try:
            await ctx.services.workflows.update(
                current.physical_id,
                await _wait_definition_text(ctx, new),
                text(required(new, "RoleArn", TYPE)),
                _logging(new.get("LoggingConfiguration") or {"Level": "OFF"}),
            )
        except StratusError as exc:
            raise ResourceFailed(exc.message) from exc
        machine = await ctx.services.workflows.describe(current.physical_id)
        return Created(current.physical_id, _attributes(machine))

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):  # already gone: deleting it is done
            await ctx.services.workflows.delete(physical_id)


def _logging(props: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's LoggingConfiguration (PascalCase) as the API takes it."""
    return {
        "level": text(props.get("Level", "OFF")),
        "includeExecutionData": bool(props.get("IncludeExecutionData", False)),
        "destinations": [
            {
                "cloudWatchLogsLogGroup": {
                    "logGroupArn": text(
                        (d.get("CloudWatchLogsLogGroup") or {}).get("LogGroupArn", "")
                    )
                }
            }
            for d in props.get("Destinations") or ()
        ],
    }


def _attributes(machine: model.StateMachine) -> dict[str, Any]:
    return {"Arn": machine.arn, "Name": machine.name, "StateMachineRevisionId": machine.revision_id}


class Activity(Provider):
    type_name = "AWS::StepFunctions::Activity"
    updatable: ClassVar[frozenset[str]] = frozenset({"Tags"})

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        name = text(required(props, "Name", self.type_name))
        try:
            activity = await ctx.services.workflows.create_activity(name, _tags(props))
        except StratusError as exc:
            raise ResourceFailed(exc.message) from exc
        return Created(activity.arn, {"Arn": activity.arn, "Name": activity.name})

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        flows, kept = ctx.services.workflows, {t["key"] for t in _tags(new)}
        await flows.untag(
            current.physical_id, [t["key"] for t in _tags(old) if t["key"] not in kept]
        )
        await flows.tag(current.physical_id, _tags(new))
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        await ctx.services.workflows.delete_activity(physical_id)  # (idempotent, as on AWS)


def _tags(props: dict[str, Any]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in tag_map(props.get("Tags")).items()]


class StateMachineVersion(Provider):
    """PublishStateMachineVersion of the machine as it is now; StateMachineRevisionId (the
    machine's attribute of that name, in SAM's output) changing means a new version."""

    type_name = "AWS::StepFunctions::StateMachineVersion"
    updatable: ClassVar[frozenset[str]] = frozenset({"Description"})

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        machine = text(required(props, "StateMachineArn", self.type_name))
        try:
            version = await ctx.services.workflows.publish_version(
                machine, text(props.get("Description", ""))
            )
        except StratusError as exc:
            raise ResourceFailed(exc.message) from exc
        return Created(version.arn, {"Arn": version.arn})

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        return current  # (a published version's description is what it was published with)

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await ctx.services.workflows.delete_version(physical_id)


class StateMachineAlias(Provider):
    """An alias routing to one or two versions: RoutingConfiguration, or DeploymentPreference
    of Type ALL_AT_ONCE (all traffic to its version at once). Gradual shifts (CANARY,
    LINEAR: traffic moved over minutes while alarms are watched) are refused, not done at
    once."""

    type_name = "AWS::StepFunctions::StateMachineAlias"
    updatable: ClassVar[frozenset[str]] = frozenset(
        {"Description", "RoutingConfiguration", "DeploymentPreference"}
    )

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        name = text(props.get("Name") or ctx.physical_name(logical_id, MAX_NAME))
        try:
            alias = await ctx.services.workflows.create_alias(
                name, text(props.get("Description", "")), self._routing(props)
            )
        except StratusError as exc:
            raise ResourceFailed(exc.message) from exc
        return Created(alias.arn, {"Arn": alias.arn})

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        routing = self._routing(new)
        try:
            await ctx.services.workflows.update_alias(
                current.physical_id, text(new.get("Description", "")), routing
            )
        except StratusError as exc:
            raise ResourceFailed(exc.message) from exc
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        await ctx.services.workflows.delete_alias(physical_id)

    def _routing(self, props: dict[str, Any]) -> list[dict[str, Any]]:
        routing, preference = props.get("RoutingConfiguration"), props.get("DeploymentPreference")
        if bool(routing) == bool(preference):
            raise ResourceFailed(
                f"{self.type_name} needs exactly one of RoutingConfiguration and "
                "DeploymentPreference"
            )
        if preference:
            kind = text(preference.get("Type", ""))
            if kind != "ALL_AT_ONCE":
                raise ResourceFailed(
                    f"DeploymentPreference Type {kind} shifts traffic gradually, which Stratus "
                    "does not do; it deploys ALL_AT_ONCE only"
                )
            routing = [
                {"StateMachineVersionArn": preference["StateMachineVersionArn"], "Weight": 100}
            ]
        return [
            {
                "stateMachineVersionArn": text(r["StateMachineVersionArn"]),
                "weight": int(r["Weight"]),
            }
            for r in routing or ()
        ]


PROVIDERS = (StateMachine, Activity, StateMachineVersion, StateMachineAlias)
