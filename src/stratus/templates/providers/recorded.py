"""Resources Stratus accepts and records without enforcing: IAM (no permission checks yet),
ECR repositories (Stratus runs no container images; CDK's bootstrap stack makes one for
image assets), KMS keys and aliases (no KMS is served) and CDK's metadata resource. They get
the names and ARNs CloudFormation gives them, so templates that refer to them resolve. (Log
groups are real resources: providers/logs.py.)"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from stratus.templates.provider import Context, Created, Provider


class _Recorded(Provider):
    name_property: ClassVar[str | None] = None
    name_limit: ClassVar[int] = 64

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        name = str(
            props.get(self.name_property or "") or ctx.physical_name(logical_id, self.name_limit)
        )
        return Created(name, self.attributes(ctx, name, props))

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        return Created(current.physical_id, self.attributes(ctx, current.physical_id, new))

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        return None

    def needs_replacement(self, old: dict[str, Any], new: dict[str, Any]) -> bool:
        name = self.name_property
        return name is not None and old.get(name) != new.get(name)

    def attributes(self, ctx: Context, name: str, props: dict[str, Any]) -> dict[str, Any]:
        return {}


class Role(_Recorded):
    type_name = "AWS::IAM::Role"
    name_property = "RoleName"

    def attributes(self, ctx: Context, name: str, props: dict[str, Any]) -> dict[str, Any]:
        path = props.get("Path", "/")
        role_id = "AROA" + name.upper().replace("-", "")[:17].ljust(17, "X")
        return {"Arn": ctx.arn("iam", f"role{path}{name}", region=False), "RoleId": role_id}


class Policy(_Recorded):
    type_name = "AWS::IAM::Policy"
    name_property = None

    def attributes(self, ctx: Context, name: str, props: dict[str, Any]) -> dict[str, Any]:
        return {"Id": name}


class RolePolicy(_Recorded):
    """AWS::IAM::RolePolicy: one inline policy of a (recorded) role; Ref is its name."""

    type_name = "AWS::IAM::RolePolicy"
    name_property = "PolicyName"


class ManagedPolicy(_Recorded):
    type_name = "AWS::IAM::ManagedPolicy"
    name_property = "ManagedPolicyName"

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        name = str(props.get("ManagedPolicyName") or ctx.physical_name(logical_id, 128))
        arn = ctx.arn("iam", f"policy{props.get('Path', '/')}{name}", region=False)
        return Created(arn, {"PolicyArn": arn})


class Repository(_Recorded):
    """AWS::ECR::Repository: recorded so stacks that declare one (CDK's bootstrap stack) deploy;
    nothing can be pushed to it (Stratus serves no ECR API and runs zip functions only)."""

    type_name = "AWS::ECR::Repository"
    name_property = "RepositoryName"
    name_limit = 256

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        # Generated names are lower case: ECR allows nothing else.
        name = str(props.get("RepositoryName") or ctx.physical_name(logical_id, 256).lower())
        return Created(name, self.attributes(ctx, name, props))

    def attributes(self, ctx: Context, name: str, props: dict[str, Any]) -> dict[str, Any]:
        account, region = ctx.settings.account_id, ctx.settings.region
        return {
            "Arn": ctx.arn("ecr", f"repository/{name}"),
            "RepositoryUri": f"{account}.dkr.ecr.{region}.amazonaws.com/{name}",
        }


class CdkMetadata(_Recorded):
    """AWS::CDK::Metadata: the construct library versions CDK adds to every stack it
    synthesizes for a commercial region; CloudFormation keeps it and does nothing else."""

    type_name = "AWS::CDK::Metadata"


class Key(_Recorded):
    """AWS::KMS::Key: recorded so `cdk bootstrap --bootstrap-customer-key` deploys (its asset
    bucket names the key). Stratus serves no KMS: nothing is encrypted under it (SecureString
    parameters have their own key, store/crypto.py)."""

    type_name = "AWS::KMS::Key"

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        key_id = str(uuid.uuid4())
        return Created(key_id, self.attributes(ctx, key_id, props))

    def attributes(self, ctx: Context, name: str, props: dict[str, Any]) -> dict[str, Any]:
        return {"Arn": ctx.arn("kms", f"key/{name}"), "KeyId": name}


class Alias(_Recorded):
    """AWS::KMS::Alias: recorded with its key (Ref is the alias name)."""

    type_name = "AWS::KMS::Alias"
    name_property = "AliasName"
    name_limit = 256


PROVIDERS = (Role, Policy, RolePolicy, ManagedPolicy, Repository, CdkMetadata, Key, Alias)
