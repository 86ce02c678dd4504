"""AWS::SSM::Parameter over Parameter Store, as CloudFormation makes it: `Ref` is the name;
`Fn::GetAtt` gives Type and Value. Without Name the name is generated. CloudFormation
creates String and StringList parameters only (not SecureString). Every property changes in
place (a new version) but Name, which replaces the parameter.
"""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

from stratus.errors import NotFound
from stratus.templates.provider import Context, Created, Provider, ResourceFailed, required, text

_TYPES = ("String", "StringList")


class Parameter(Provider):
    type_name = "AWS::SSM::Parameter"
    updatable: ClassVar[frozenset[str]] = frozenset(
        {"Value", "Type", "Description", "AllowedPattern", "Tier", "DataType", "Tags", "Policies"}
    )

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        name = text(props.get("Name") or "") or ctx.physical_name(f"CFN-{logical_id}", 128)
        return await self._wait_put(ctx, name, props, overwrite=False)

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        return await self._wait_put(ctx, current.physical_id, new, overwrite=True)

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await ctx.services.parameters.delete(physical_id)

    async def _wait_put(
        self, ctx: Context, name: str, props: dict[str, Any], *, overwrite: bool
    ) -> Created:
        kind = text(required(props, "Type", self.type_name))
        if kind not in _TYPES:
            raise ResourceFailed(
                f"Type {kind} is not supported for AWS::SSM::Parameter; use String or "
                "StringList (CloudFormation does not create SecureString parameters)"
            )
        value = text(required(props, "Value", self.type_name))
        await ctx.services.parameters.put(
            name,
            value,
            kind,
            overwrite=overwrite,
            description=props.get("Description"),
            allowed_pattern=props.get("AllowedPattern"),
            tier=props.get("Tier"),
            data_type=props.get("DataType"),
        )
        return Created(name, {"Type": kind, "Value": value})


PROVIDERS = (Parameter,)
