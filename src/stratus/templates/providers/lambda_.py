"""AWS::Lambda::* resources, over the function service (the same rules as the Lambda API).

Properties arrive as CloudFormation spells them; where the Lambda API spells a member
differently (Tags as a list, AdditionalVersionWeights as a list, inline `ZipFile` source
rather than a base64 zip) they are translated here, then validated by the Lambda API's own
request models, so a bad property fails with Lambda's message.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from typing import Any, ClassVar

from stratus.errors import NotFound
from stratus.functions.aliases import CreateAliasRequest, UpdateAliasRequest
from stratus.functions.code_signing import CodeSigningConfigRequest, CodeSigningConfigUpdate
from stratus.functions.event_config import EventInvokeConfigRequest
from stratus.functions.layers import PublishLayerVersionRequest
from stratus.functions.model import (
    CreateFunctionRequest,
    UpdateFunctionCodeRequest,
    UpdateFunctionConfigurationRequest,
)
from stratus.functions.names import FunctionRef, parse_reference
from stratus.functions.policies import invoke_statement, layer_owner, layer_statement
from stratus.functions.urls import FunctionUrlRequest
from stratus.functions.versions import PublishVersionRequest
from stratus.templates.provider import Context, Created, Provider, required, tag_map, text
from stratus.validation import parse

from . import cfnresponse_module

# Members of AWS::Lambda::Function that UpdateFunctionConfiguration changes in place.
_CONFIGURATION = (
    "Role",
    "Runtime",
    "Handler",
    "Description",
    "Timeout",
    "MemorySize",
    "Environment",
    "EphemeralStorage",
    "TracingConfig",
    "DeadLetterConfig",
    "Layers",
    "SnapStart",
    "LoggingConfig",
    "DurableConfig",  # passed on to be refused by the function service, not dropped
)


def inline_zip(source: str, runtime: str | None) -> bytes:
    """CloudFormation's `Code.ZipFile`: the source of `index.py` (Python) or, for OS-only
    runtimes, of an executable `bootstrap`, zipped."""
    name, mode = (
        ("bootstrap", 0o755) if (runtime or "").startswith("provided") else ("index.py", 0o644)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = mode << 16
        bundle.writestr(info, source)
        if name == "index.py":  # as on AWS, inline Python code can `import cfnresponse`
            extra = zipfile.ZipInfo("cfnresponse.py", date_time=(1980, 1, 1, 0, 0, 0))
            extra.external_attr = 0o644 << 16
            bundle.writestr(extra, cfnresponse_module.SOURCE)
    return buffer.getvalue()


def _code(props: dict[str, Any]) -> dict[str, Any]:
    code = dict(required(props, "Code", "AWS::Lambda::Function"))
    if "ZipFile" in code:
        return {"ZipFile": inline_zip(str(code["ZipFile"]), props.get("Runtime"))}
    return {
        k: v for k, v in code.items() if k in ("S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri")
    }


def _environment(props: dict[str, Any]) -> dict[str, Any] | None:
    """Values as strings: a template may give numbers or booleans, the Lambda API not."""
    environment = props.get("Environment")
    if environment is None:
        return None
    variables = environment.get("Variables") or {}
    return {"Variables": {k: text(v) for k, v in variables.items()}}


def _configuration(props: dict[str, Any]) -> dict[str, Any]:
    fields = {k: props[k] for k in _CONFIGURATION if k in props}
    if "Environment" in fields:
        fields["Environment"] = _environment(props)
    return fields


class Function(Provider):
    type_name = "AWS::Lambda::Function"
    updatable: ClassVar[frozenset[str]] = frozenset(
        {
            *_CONFIGURATION,
            "Code",
            "Tags",
            "ReservedConcurrentExecutions",
            "Architectures",
            "CodeSigningConfigArn",
        }
    )

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        name = props.get("FunctionName") or ctx.physical_name(logical_id)
        request = parse(
            CreateFunctionRequest,
            _configuration(props)
            | {
                "FunctionName": name,
                "Code": _code(props),
                "Tags": tag_map(props.get("Tags")),
                "Architectures": props.get("Architectures") or ["x86_64"],
                "PackageType": props.get("PackageType", "Zip"),
                "CodeSigningConfigArn": props.get("CodeSigningConfigArn"),
                "TenancyConfig": props.get("TenancyConfig"),  # to be refused, not dropped
            },
        )
        created = await ctx.services.functions.create(request)
        if props.get("ReservedConcurrentExecutions") is not None:
            try:
                await ctx.services.concurrency.put_reserved(
                    name, int(props["ReservedConcurrentExecutions"])
                )
            except BaseException:
                await ctx.services.functions.delete(FunctionRef(name))
                raise
        return Created(name, {"Arn": created.FunctionArn})

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        functions = ctx.services.functions
        ref = FunctionRef(current.physical_id)
        if _configuration(old) != _configuration(new):
            unset = {k: None for k in _CONFIGURATION if k in old and k not in new}
            changes = _configuration(new)
            if "Environment" in unset:
                changes["Environment"] = {"Variables": {}}
            if "Layers" in unset:
                changes["Layers"] = []
            if "LoggingConfig" in unset:  # back to Lambda's defaults
                changes["LoggingConfig"] = {
                    "LogFormat": "Text",
                    "LogGroup": f"/aws/lambda/{ref.name}",
                }
            await functions.update_configuration(
                ref, parse(UpdateFunctionConfigurationRequest, changes)
            )
        if old.get("Code") != new.get("Code") or old.get("Architectures") != new.get(
            "Architectures"
        ):
            code = _code(new) | {"Architectures": new.get("Architectures") or ["x86_64"]}
            await functions.update_code(ref, parse(UpdateFunctionCodeRequest, code))
        if tag_map(old.get("Tags")) != tag_map(new.get("Tags")):
            await functions.replace_tags(ref, tag_map(new.get("Tags")))
        signing = new.get("CodeSigningConfigArn")
        if old.get("CodeSigningConfigArn") != signing:
            if signing:
                await functions.code_signing.get(text(signing))
                await functions.options.put(ref.name, "", "code_signing", text(signing))
            else:
                await functions.options.delete(ref.name, "", "code_signing")
        concurrency = ctx.services.concurrency
        if old.get("ReservedConcurrentExecutions") != new.get("ReservedConcurrentExecutions"):
            if new.get("ReservedConcurrentExecutions") is None:
                await concurrency.delete_reserved(ref.name)
            else:
                await concurrency.put_reserved(ref.name, int(new["ReservedConcurrentExecutions"]))
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await ctx.services.functions.delete(FunctionRef(physical_id))


def _function(value: Any) -> FunctionRef:
    return parse_reference(str(value))


class Version(Provider):
    type_name = "AWS::Lambda::Version"
    updatable: ClassVar[frozenset[str]] = frozenset({"ProvisionedConcurrencyConfig"})

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        ref = _function(required(props, "FunctionName", self.type_name))
        request = parse(
            PublishVersionRequest,
            {k: props[k] for k in ("CodeSha256", "Description") if k in props},
        )
        published = await ctx.services.functions.publish_version(ref.name, request)
        created = Created(
            published.FunctionArn,
            {"Version": published.Version, "FunctionArn": published.FunctionArn},
        )
        await _wait_provision(ctx, created, props)
        return created

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        await _wait_provision(ctx, current, new)
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await ctx.services.functions.delete(parse_reference(physical_id))


async def _wait_provision(ctx: Context, target: Created, props: dict[str, Any]) -> None:
    """ProvisionedConcurrencyConfig of a Version or an Alias (its ARN is the physical id)."""
    ref = parse_reference(target.physical_id)
    settings = props.get("ProvisionedConcurrencyConfig")
    concurrency = ctx.services.concurrency
    if settings:
        await concurrency.put_provisioned(ref, int(settings["ProvisionedConcurrentExecutions"]))
    else:
        with contextlib.suppress(NotFound):
            await concurrency.delete_provisioned(ref)


def _routing(props: dict[str, Any]) -> dict[str, Any] | None:
    routing = props.get("RoutingConfig")
    if routing is None:
        return None
    weights = routing.get("AdditionalVersionWeights") or []
    return {
        "AdditionalVersionWeights": {
            str(w["FunctionVersion"]): float(w["FunctionWeight"]) for w in weights
        }
    }


class Alias(Provider):
    type_name = "AWS::Lambda::Alias"
    updatable: ClassVar[frozenset[str]] = frozenset(
        {"FunctionVersion", "Description", "RoutingConfig", "ProvisionedConcurrencyConfig"}
    )

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        ref = _function(required(props, "FunctionName", self.type_name))
        request = parse(
            CreateAliasRequest,
            {
                "Name": required(props, "Name", self.type_name),
                "FunctionVersion": str(required(props, "FunctionVersion", self.type_name)),
                "Description": props.get("Description", ""),
                "RoutingConfig": _routing(props),
            },
        )
        alias = await ctx.services.functions.aliases.create(ref.name, request)
        created = Created(alias.AliasArn)
        await _wait_provision(ctx, created, props)
        return created

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        function, alias = _alias(current.physical_id)
        request = parse(
            UpdateAliasRequest,
            {
                "FunctionVersion": str(new["FunctionVersion"]),
                "Description": new.get("Description", ""),
                "RoutingConfig": _routing(new) or {"AdditionalVersionWeights": {}},
            },
        )
        await ctx.services.functions.aliases.update(function, alias, request)
        await _wait_provision(ctx, current, new)
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        function, alias = _alias(physical_id)
        with contextlib.suppress(NotFound):
            await ctx.services.functions.aliases.delete(function, alias)


def _alias(physical_id: str) -> tuple[str, str]:
    """The function's and the alias's names in an alias ARN (an Alias's physical id)."""
    ref = parse_reference(physical_id)
    return ref.name, ref.qualifier or ""  # an alias ARN always has one


class Permission(Provider):
    """A statement of the function's resource policy, added with AddPermission's rules; the
    physical id is its statement id."""

    type_name = "AWS::Lambda::Permission"

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        target = _function(required(props, "FunctionName", self.type_name))
        sid = ctx.physical_name(logical_id, 100)
        params = {
            "StatementId": sid,
            "Action": required(props, "Action", self.type_name),
            "Principal": required(props, "Principal", self.type_name),
            **{k: props[k] for k in _PERMISSION_CONDITIONS if props.get(k) is not None},
        }
        functions = ctx.services.functions
        owner = await functions.policy_owner(target)
        await functions.policies.add(owner, invoke_statement(owner.resource, params), None)
        return Created(sid)

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        functions = ctx.services.functions
        with contextlib.suppress(NotFound):
            owner = await functions.policy_owner(_function(str(props.get("FunctionName", ""))))
            await functions.policies.remove(owner, physical_id, None)


# AWS::Lambda::Permission's members that become conditions of the statement.
_PERMISSION_CONDITIONS = (
    "SourceArn",
    "SourceAccount",
    "EventSourceToken",
    "PrincipalOrgID",
    "FunctionUrlAuthType",
    "InvokedViaFunctionUrl",
)


class LayerVersion(Provider):
    type_name = "AWS::Lambda::LayerVersion"

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        name = props.get("LayerName") or ctx.physical_name(logical_id, 64)
        request = parse(
            PublishLayerVersionRequest,
            {
                k: props[k]
                for k in (
                    "Content",
                    "Description",
                    "CompatibleRuntimes",
                    "CompatibleArchitectures",
                    "LicenseInfo",
                )
                if k in props
            },
        )
        layer = await ctx.services.functions.layers.publish(name, request)
        return Created(layer.LayerVersionArn)

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        name, _, version = physical_id.rpartition(":")
        with contextlib.suppress(NotFound):
            await ctx.services.functions.layers.delete(name.rpartition(":")[2], int(version))


class Url(Provider):
    type_name = "AWS::Lambda::Url"
    updatable: ClassVar[frozenset[str]] = frozenset({"AuthType", "Cors", "InvokeMode"})

    def _ref(self, props: dict[str, Any]) -> FunctionRef:
        ref = _function(required(props, "TargetFunctionArn", self.type_name))
        return FunctionRef(ref.name, props.get("Qualifier") or ref.qualifier)

    def _request(self, props: dict[str, Any]) -> FunctionUrlRequest:
        fields = {k: props[k] for k in ("AuthType", "Cors", "InvokeMode") if k in props}
        return parse(FunctionUrlRequest, fields)

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        required(props, "AuthType", self.type_name)
        urls = ctx.services.functions.urls
        config = await urls.create(self._ref(props), self._request(props))
        return Created(config.FunctionArn, self._attributes(ctx, config))

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        config = await ctx.services.functions.urls.update(self._ref(new), self._request(new))
        return Created(config.FunctionArn, self._attributes(ctx, config))

    def _attributes(self, ctx: Context, config: Any) -> dict[str, Any]:
        wire = config.wire(ctx.settings.port)
        return {"FunctionArn": config.FunctionArn, "FunctionUrl": wire["FunctionUrl"]}

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await ctx.services.functions.urls.delete(self._ref(props))


class EventInvokeConfig(Provider):
    type_name = "AWS::Lambda::EventInvokeConfig"
    updatable: ClassVar[frozenset[str]] = frozenset(
        {"MaximumEventAgeInSeconds", "MaximumRetryAttempts", "DestinationConfig"}
    )

    def _ref(self, props: dict[str, Any]) -> FunctionRef:
        ref = _function(required(props, "FunctionName", self.type_name))
        return FunctionRef(ref.name, str(required(props, "Qualifier", self.type_name)))

    async def _put(self, ctx: Context, props: dict[str, Any]) -> Created:
        fields = {
            k: props[k]
            for k in ("MaximumEventAgeInSeconds", "MaximumRetryAttempts", "DestinationConfig")
            if k in props
        }
        ref = self._ref(props)
        await ctx.services.functions.event_configs.put(ref, parse(EventInvokeConfigRequest, fields))
        return Created(f"{ref.name}:{ref.qualifier}")

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        return await self._put(ctx, props)

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        return await self._put(ctx, new)

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await ctx.services.functions.event_configs.delete(self._ref(props))


class LayerVersionPermission(Provider):
    """A statement of a layer version's policy, with AddLayerVersionPermission's rules; any
    change replaces it. The physical id is its statement id."""

    type_name = "AWS::Lambda::LayerVersionPermission"

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        layers, policies = ctx.services.functions.layers, ctx.services.functions.policies
        arn = text(required(props, "LayerVersionArn", self.type_name))
        owner = layer_owner((await layers.get_by_arn(arn)).LayerVersionArn)
        sid = ctx.physical_name(logical_id, 100)
        params = {
            "StatementId": sid,
            "Action": text(required(props, "Action", self.type_name)),
            "Principal": text(required(props, "Principal", self.type_name)),
        }
        if props.get("OrganizationId"):
            params["OrganizationId"] = text(props["OrganizationId"])
        await policies.add(owner, layer_statement(owner.resource, params), None)
        return Created(sid)

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):  # (the layer version, or the statement, is gone)
            owner = layer_owner(text(props["LayerVersionArn"]))
            await ctx.services.functions.policies.remove(owner, physical_id, None)


class CodeSigningConfig(Provider):
    type_name = "AWS::Lambda::CodeSigningConfig"
    updatable: ClassVar[frozenset[str]] = frozenset(
        {"AllowedPublishers", "CodeSigningPolicies", "Description", "Tags"}
    )

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        request = parse(
            CodeSigningConfigRequest, _signing(props) | {"Tags": tag_map(props.get("Tags"))}
        )
        config = await ctx.services.functions.code_signing.create(request)
        return Created(config["CodeSigningConfigArn"], _signing_attributes(config))

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        signing = ctx.services.functions.code_signing
        update = parse(CodeSigningConfigUpdate, _signing(new))
        config = await signing.update(current.physical_id, update)
        await signing.retag(current.physical_id, tag_map(new.get("Tags")))
        return Created(current.physical_id, _signing_attributes(config))

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await ctx.services.functions.code_signing.delete(physical_id)


def _signing(props: dict[str, Any]) -> dict[str, Any]:
    fields = {
        "AllowedPublishers": required(props, "AllowedPublishers", CodeSigningConfig.type_name),
        "Description": text(props.get("Description", "")),
    }
    if props.get("CodeSigningPolicies"):
        fields["CodeSigningPolicies"] = props["CodeSigningPolicies"]
    return fields


def _signing_attributes(config: dict[str, Any]) -> dict[str, Any]:
    return {
        "CodeSigningConfigArn": config["CodeSigningConfigArn"],
        "CodeSigningConfigId": config["CodeSigningConfigId"],
    }


PROVIDERS = (
    Function,
    Version,
    Alias,
    Permission,
    LayerVersion,
    LayerVersionPermission,
    Url,
    EventInvokeConfig,
    CodeSigningConfig,
)
