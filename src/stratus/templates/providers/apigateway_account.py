"""AWS::ApiGateway::DocumentationPart / DocumentationVersion / VpcLink / ClientCertificate,
over the REST API service (stratus.apis.rest.documentation and .account), and
AWS::ApiGatewayV2::VpcLink over the HTTP API service (stratus.apis.http.vpc_links). Names,
descriptions and a part's Properties change in place; anything else replaces the resource.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from stratus.templates.provider import Context, Created, Provider, required, tag_map

from .apigateway import patch, rest_apis, suppress_gone


def _properties(value: Any) -> Any:
    return value if isinstance(value, str) else json.dumps(value)


class DocumentationPart(Provider):
    type_name = "AWS::ApiGateway::DocumentationPart"
    updatable: ClassVar[frozenset[str]] = frozenset({"Properties"})

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        api_id = required(props, "RestApiId", self.type_name)
        location = {
            k[:1].lower() + k[1:]: v
            for k, v in (required(props, "Location", self.type_name) or {}).items()
        }
        made = await rest_apis(ctx).documentation.create_part(
            api_id, location, _properties(required(props, "Properties", self.type_name))
        )
        return Created(made.id, {"DocumentationPartId": made.id})

    async def wait_update(
        self, ctx: Context, logical_id: str, current: Created, old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:  # fmt: skip
        operations = patch(
            {"/properties": _properties(old["Properties"])},
            {"/properties": _properties(new["Properties"])},
        )
        await rest_apis(ctx).documentation.update_part(
            new["RestApiId"], current.physical_id, operations
        )
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with suppress_gone():
            await rest_apis(ctx).documentation.delete_part(props["RestApiId"], physical_id)


class DocumentationVersion(Provider):
    type_name = "AWS::ApiGateway::DocumentationVersion"
    updatable: ClassVar[frozenset[str]] = frozenset({"Description"})

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        made = await rest_apis(ctx).documentation.create_version(
            required(props, "RestApiId", self.type_name),
            str(required(props, "DocumentationVersion", self.type_name)),
            description=props.get("Description"),
        )
        return Created(made.version)

    async def wait_update(
        self, ctx: Context, logical_id: str, current: Created, old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:  # fmt: skip
        operations = patch(
            {"/description": old.get("Description")}, {"/description": new.get("Description")}
        )
        await rest_apis(ctx).documentation.update_version(
            new["RestApiId"], current.physical_id, operations
        )
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with suppress_gone():
            await rest_apis(ctx).documentation.delete_version(props["RestApiId"], physical_id)


class VpcLink(Provider):
    type_name = "AWS::ApiGateway::VpcLink"
    updatable: ClassVar[frozenset[str]] = frozenset({"Name", "Description"})

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        made = await rest_apis(ctx).vpc_links.create(
            str(required(props, "Name", self.type_name)),
            list(required(props, "TargetArns", self.type_name)),
            props.get("Description"),
            tag_map(props.get("Tags")) or None,
        )
        return Created(made.id, {"VpcLinkId": made.id})

    async def wait_update(
        self, ctx: Context, logical_id: str, current: Created, old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:  # fmt: skip
        def paths(props: dict[str, Any]) -> dict[str, Any]:
            return {"/name": props.get("Name"), "/description": props.get("Description")}

        await rest_apis(ctx).vpc_links.update(current.physical_id, patch(paths(old), paths(new)))
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with suppress_gone():
            await rest_apis(ctx).vpc_links.delete(physical_id)


class ClientCertificate(Provider):
    type_name = "AWS::ApiGateway::ClientCertificate"
    updatable: ClassVar[frozenset[str]] = frozenset({"Description"})

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        made = await rest_apis(ctx).certificates.generate(
            props.get("Description"), tag_map(props.get("Tags")) or None
        )
        return Created(made.clientCertificateId, {"ClientCertificateId": made.clientCertificateId})

    async def wait_update(
        self, ctx: Context, logical_id: str, current: Created, old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:  # fmt: skip
        operations = patch(
            {"/description": old.get("Description")}, {"/description": new.get("Description")}
        )
        await rest_apis(ctx).certificates.update(current.physical_id, operations)
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with suppress_gone():
            await rest_apis(ctx).certificates.delete(physical_id)


class VpcLinkV2(Provider):
    type_name = "AWS::ApiGatewayV2::VpcLink"
    updatable: ClassVar[frozenset[str]] = frozenset({"Name"})

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        made = await ctx.services.apis.vpc_links.create(
            str(required(props, "Name", self.type_name)),
            list(required(props, "SubnetIds", self.type_name)),
            list(props.get("SecurityGroupIds") or []),
            {str(k): str(v) for k, v in (props.get("Tags") or {}).items()},
        )
        return Created(made.VpcLinkId, {"VpcLinkId": made.VpcLinkId})

    async def wait_update(
        self, ctx: Context, logical_id: str, current: Created, old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:  # fmt: skip
        await ctx.services.apis.vpc_links.update(current.physical_id, new.get("Name"))
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with suppress_gone():
            await ctx.services.apis.vpc_links.delete(physical_id)


PROVIDERS = (DocumentationPart, DocumentationVersion, VpcLink, ClientCertificate, VpcLinkV2)
