"""AWS::ApiGateway::DomainName / BasePathMapping and AWS::ApiGatewayV2::DomainName /
ApiMapping: custom domain names and their mappings (apis/domains.py, one set for both kinds
of API). Any change replaces the resource, except a mapping's target, moved in place."""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

from stratus.errors import NotFound
from stratus.templates.provider import Context, Created, Provider, required, tag_map

HOSTED_ZONE = "Z2FDTNDATAQYW2"


def _domain_attributes(target: str) -> dict[str, Any]:
    return {
        "RegionalDomainName": target,
        "RegionalHostedZoneId": HOSTED_ZONE,
        "DistributionDomainName": target,
        "DistributionHostedZoneId": HOSTED_ZONE,
    }


class _Domain(Provider):
    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await ctx.services.domains.delete(physical_id)


class RestDomainName(_Domain):
    type_name = "AWS::ApiGateway::DomainName"

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        types = (props.get("EndpointConfiguration") or {}).get("Types") or ["EDGE"]
        made = await ctx.services.domains.create(
            required(props, "DomainName", self.type_name),
            certificate_arn=props.get("RegionalCertificateArn") or props.get("CertificateArn"),
            endpoint_type=types[0],
            security_policy=props.get("SecurityPolicy"),
            tags=tag_map(props.get("Tags")),
        )
        return Created(made.name, _domain_attributes(made.target))


class HttpDomainName(_Domain):
    type_name = "AWS::ApiGatewayV2::DomainName"

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        [configuration] = props.get("DomainNameConfigurations") or [{}]
        made = await ctx.services.domains.create(
            required(props, "DomainName", self.type_name),
            certificate_arn=configuration.get("CertificateArn"),
            endpoint_type=configuration.get("EndpointType") or "REGIONAL",
            security_policy=configuration.get("SecurityPolicy"),
            tags={str(k): str(v) for k, v in (props.get("Tags") or {}).items()},
        )
        return Created(made.name, _domain_attributes(made.target))


class _Mapping(Provider):
    """A mapping of a domain; the key members name its properties."""

    api: ClassVar[str]
    key: ClassVar[str]
    updatable: ClassVar[frozenset[str]]

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        domain = required(props, "DomainName", self.type_name)
        made = await ctx.services.domains.map(
            domain, str(props.get(self.key) or ""), required(props, self.api, self.type_name),
            str(props.get("Stage") or ""),
        )  # fmt: skip
        return Created(made.id, {"ApiMappingId": made.id})

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        domains = ctx.services.domains
        found = await domains.mapping(new["DomainName"], mapping_id=current.physical_id)
        await domains.remap(
            found, api_id=new[self.api], stage=str(new.get("Stage") or ""),
            key=str(new.get(self.key) or ""),
        )  # fmt: skip
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        domains = ctx.services.domains
        with contextlib.suppress(NotFound):
            await domains.unmap(await domains.mapping(props["DomainName"], mapping_id=physical_id))


class BasePathMapping(_Mapping):
    type_name = "AWS::ApiGateway::BasePathMapping"
    api, key = "RestApiId", "BasePath"
    updatable: ClassVar[frozenset[str]] = frozenset({"RestApiId", "Stage", "BasePath"})


class ApiMapping(_Mapping):
    type_name = "AWS::ApiGatewayV2::ApiMapping"
    api, key = "ApiId", "ApiMappingKey"
    updatable: ClassVar[frozenset[str]] = frozenset({"ApiId", "Stage", "ApiMappingKey"})


PROVIDERS = (RestDomainName, HttpDomainName, BasePathMapping, ApiMapping)
