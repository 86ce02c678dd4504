"""Secrets Manager's resource types over the secret service, as CloudFormation makes them.

    AWS::SecretsManager::Secret          `Ref` and `Fn::GetAtt Id` are the ARN; without Name
        the name is generated. The value is SecretString, or GenerateSecretString's random
        password (alone, or set as GenerateStringKey in the JSON object
        SecretStringTemplate). Description, KmsKeyId, the value and Tags change in place (a
        new AWSCURRENT version for a new value); Name replaces the secret. Deleting the
        resource deletes the secret without a recovery window, so the name can be deployed
        again at once.
    AWS::SecretsManager::RotationSchedule  RotateSecret with RotationLambdaARN and
        RotationRules (rotating at once unless RotateImmediatelyOnUpdate is false); deleting
        it is CancelRotateSecret. HostedRotationLambda (AWS's own rotation templates for
        databases) is refused. `Ref` is the secret's ARN.
    AWS::SecretsManager::ResourcePolicy  PutResourcePolicy (recorded, not enforced);
        deleting it is DeleteResourcePolicy. `Ref` is the secret's ARN.

AWS::SecretsManager::SecretTargetAttachment is not served: its targets (RDS, Redshift,
DocumentDB) are not services Stratus runs.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any, ClassVar

import orjson

from stratus.errors import Conflict, NotFound
from stratus.secrets.model import password_for
from stratus.templates.provider import (
    Context,
    Created,
    Provider,
    ResourceFailed,
    required,
    text,
)


class Secret(Provider):
    type_name = "AWS::SecretsManager::Secret"
    updatable: ClassVar[frozenset[str]] = frozenset(
        {"Description", "KmsKeyId", "SecretString", "GenerateSecretString", "Tags"}
    )

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        name = text(props.get("Name") or "") or ctx.physical_name(logical_id, 128)
        made = await ctx.services.secrets.create(
            name,
            str(uuid.uuid4()),
            (_value(props), None),
            description=props.get("Description"),
            kms_key_id=props.get("KmsKeyId"),
            tags=[{"Key": text(t["Key"]), "Value": text(t["Value"])} for t in _tags(props)],
        )
        return Created(made["ARN"], {"Id": made["ARN"]})

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        secrets = ctx.services.secrets
        changed = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
        value = _value(new) if changed & {"SecretString", "GenerateSecretString"} else None
        await secrets.update(
            current.physical_id,
            str(uuid.uuid4()),
            (value, None),
            description=new.get("Description", ""),
            kms_key_id=new.get("KmsKeyId"),
        )
        if "Tags" in changed:
            kept = {text(t["Key"]) for t in _tags(new)}
            await secrets.untag(
                current.physical_id, [t["Key"] for t in _tags(old) if t["Key"] not in kept]
            )
            await secrets.tag(
                current.physical_id,
                [{"Key": text(t["Key"]), "Value": text(t["Value"])} for t in _tags(new)],
            )
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await ctx.services.secrets.delete(physical_id, None, force=True)


class RotationSchedule(Provider):
    type_name = "AWS::SecretsManager::RotationSchedule"
    updatable: ClassVar[frozenset[str]] = frozenset(
        {"RotationLambdaARN", "RotationRules", "RotateImmediatelyOnUpdate"}
    )

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        return await self._wait_rotate(ctx, props)

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        return await self._wait_rotate(ctx, new)

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound, Conflict):
            await ctx.services.secrets.rotations.cancel(physical_id)

    async def _wait_rotate(self, ctx: Context, props: dict[str, Any]) -> Created:
        if props.get("HostedRotationLambda") is not None:
            raise ResourceFailed(
                "HostedRotationLambda is not supported: Stratus runs no databases for AWS's "
                "rotation templates; name your own function in RotationLambdaARN"
            )
        secret_id = text(required(props, "SecretId", self.type_name))
        function = text(required(props, "RotationLambdaARN", self.type_name))
        rules = dict(props.get("RotationRules") or {})
        if "AutomaticallyAfterDays" in rules:
            rules["AutomaticallyAfterDays"] = int(rules["AutomaticallyAfterDays"])
        now = text(props.get("RotateImmediatelyOnUpdate", True)).lower() == "true"
        made = await ctx.services.secrets.rotations.start(
            secret_id, str(uuid.uuid4()), function, rules or None, now
        )
        return Created(made["ARN"])


class ResourcePolicy(Provider):
    type_name = "AWS::SecretsManager::ResourcePolicy"
    updatable: ClassVar[frozenset[str]] = frozenset({"ResourcePolicy", "BlockPublicPolicy"})

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        secret_id = text(required(props, "SecretId", self.type_name))
        policy = required(props, "ResourcePolicy", self.type_name)
        made = await ctx.services.secrets.put_policy(secret_id, text(policy))
        return Created(made["ARN"])

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        return await self.wait_create(ctx, logical_id, new)

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound, Conflict):
            await ctx.services.secrets.put_policy(physical_id, None)


def _tags(props: dict[str, Any]) -> list[dict[str, Any]]:
    return list(props.get("Tags") or [])


def _value(props: dict[str, Any]) -> str | None:
    given, generate = props.get("SecretString"), props.get("GenerateSecretString")
    if given is not None and generate is not None:
        raise ResourceFailed(
            "You can't specify both SecretString and GenerateSecretString for "
            "AWS::SecretsManager::Secret"
        )
    if generate is None:
        return None if given is None else text(given)
    if not isinstance(generate, dict):
        raise ResourceFailed("GenerateSecretString must be an object")
    options = dict(generate)
    for option, given_value in generate.items():  # templates may write "20" and "true"
        if option == "PasswordLength":
            options[option] = int(given_value)
        elif option.startswith(("Exclude", "Include", "Require")) and option != "ExcludeCharacters":
            options[option] = text(given_value).lower() == "true"
    password = password_for(options)
    template, key = generate.get("SecretStringTemplate"), generate.get("GenerateStringKey")
    if (template is None) != (key is None):
        raise ResourceFailed(
            "GenerateSecretString needs both SecretStringTemplate and GenerateStringKey, or neither"
        )
    if template is None:
        return password
    try:
        document = orjson.loads(text(template))
    except orjson.JSONDecodeError:
        document = None
    if not isinstance(document, dict):
        raise ResourceFailed("SecretStringTemplate must be a JSON object")
    document[text(key)] = password
    return orjson.dumps(document).decode()


PROVIDERS = (Secret, RotationSchedule, ResourcePolicy)
