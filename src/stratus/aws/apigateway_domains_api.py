"""Custom domain names and base path mappings for boto3's `apigateway` client (REST APIs),
over stratus.apis.domains (which HTTP APIs' DomainName and ApiMapping share): the table of
handlers apigateway_api.py serves, in REST API Gateway's shapes.
"""

from __future__ import annotations

from typing import Any

from stratus.apis.domains import Domain, DomainService, Mapping
from stratus.apis.rest.store import page
from stratus.errors import Invalid

from .apigateway_members import listed, page_of, patch_of
from .protocols.adapter import Call, Handler, Output

HOSTED_ZONE = "Z2FDTNDATAQYW2"  # what AWS answers for edge names; recorded, not served


def domains(call: Call) -> DomainService:
    return call.services.domains


def _prefix(call: Call) -> str:
    settings = call.services.settings
    return f"arn:aws:apigateway:{settings.region}:{settings.account_id}:"


def domain_wire(domain: Domain, call: Call | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "domainName": domain.name,
        "endpointConfiguration": {"types": [domain.endpoint_type]},
        "domainNameStatus": "AVAILABLE",
        "securityPolicy": domain.security_policy,
        "routingMode": domain.routing_mode,
        "tags": domain.tags,
    }
    if domain.endpoint_type == "EDGE":
        found |= {
            "certificateArn": domain.certificate_arn,
            "distributionDomainName": domain.target,
            "distributionHostedZoneId": HOSTED_ZONE,
        }
    else:
        found |= {
            "regionalCertificateArn": domain.certificate_arn,
            "regionalDomainName": domain.target,
            "regionalHostedZoneId": HOSTED_ZONE,
        }
    if domain.endpoint_type == "PRIVATE" and domain.domain_id and call is not None:
        found["domainNameId"] = domain.domain_id
        found["domainNameArn"] = f"{_prefix(call)}/domainnames/{domain.name}+{domain.domain_id}"
    return {k: v for k, v in found.items() if v is not None}


def _mapping_wire(mapping: Mapping) -> dict[str, Any]:
    found = {"basePath": mapping.key or "(none)", "restApiId": mapping.api_id}
    return found | ({"stage": mapping.stage} if mapping.stage else {})


# -- domain names --------------------------------------------------------------------------------
async def create_domain_name(call: Call, params: dict[str, Any]) -> Output:
    types = (params.get("endpointConfiguration") or {}).get("types") or ["EDGE"]
    if len(types) != 1 or types[0] not in ("EDGE", "REGIONAL", "PRIVATE"):
        raise Invalid("endpointConfiguration.types must name one of EDGE, REGIONAL, PRIVATE")
    made = await domains(call).create(
        params["domainName"],
        certificate_arn=params.get("certificateArn") or params.get("regionalCertificateArn"),
        endpoint_type=types[0],
        security_policy=params.get("securityPolicy"),
        tags=params.get("tags"),
        routing_mode=params.get("routingMode"),
    )
    return domain_wire(made, call)


async def get_domain_name(call: Call, params: dict[str, Any]) -> Output:
    return domain_wire(await domains(call).get(params["domainName"]), call)


async def get_domain_names(call: Call, params: dict[str, Any]) -> Output:
    found = page(await domains(call).every(), lambda d: d.name, *page_of(params))
    return listed(found, lambda d: domain_wire(d, call))


_DOMAIN_PATCH = {
    "/certificateArn": "certificate_arn",
    "/regionalCertificateArn": "certificate_arn",
    "/securityPolicy": "security_policy",
    "/routingMode": "routing_mode",
}


async def update_domain_name(call: Call, params: dict[str, Any]) -> Output:
    changes: dict[str, Any] = {}
    for operation in patch_of(params):
        member = _DOMAIN_PATCH.get(operation.path)
        if member is None or operation.op != "replace":
            raise Invalid(
                f"Invalid patch path {operation.path}: replace one of {', '.join(_DOMAIN_PATCH)}"
            )
        changes[member] = operation.value
    return domain_wire(await domains(call).update(params["domainName"], **changes), call)


async def delete_domain_name(call: Call, params: dict[str, Any]) -> Output:
    await domains(call).delete(params["domainName"])
    return None


# -- base path mappings --------------------------------------------------------------------------
async def create_base_path_mapping(call: Call, params: dict[str, Any]) -> Output:
    stage = params.get("stage")
    stage = None if stage in (None, "(none)") else stage
    made = await domains(call).map(
        params["domainName"], params.get("basePath") or "", params["restApiId"], stage or ""
    )
    return _mapping_wire(made)


async def get_base_path_mapping(call: Call, params: dict[str, Any]) -> Output:
    found = await domains(call).mapping(params["domainName"], key=params["basePath"])
    return _mapping_wire(found)


async def get_base_path_mappings(call: Call, params: dict[str, Any]) -> Output:
    found = await domains(call).mappings(params["domainName"])
    return listed(page(found, lambda m: m.key, *page_of(params)), _mapping_wire)


async def update_base_path_mapping(call: Call, params: dict[str, Any]) -> Output:
    found = await domains(call).mapping(params["domainName"], key=params["basePath"])
    changes: dict[str, str] = {}
    members = {"/basePath": "key", "/restapiId": "api_id", "/stage": "stage"}
    for operation in patch_of(params):
        member = members.get(operation.path)
        if member is None or operation.op != "replace":
            raise Invalid(
                f"Invalid patch path {operation.path}: replace /basePath, /restapiId or /stage"
            )
        changes[member] = operation.value or ""
    return _mapping_wire(await domains(call).remap(found, **changes))


async def delete_base_path_mapping(call: Call, params: dict[str, Any]) -> Output:
    found = await domains(call).mapping(params["domainName"], key=params["basePath"])
    await domains(call).unmap(found)
    return None


# -- access associations of private domain names (apis/domain_access.py) ---------------------------
async def create_domain_name_access_association(call: Call, params: dict[str, Any]) -> Output:
    made = await domains(call).access.create(
        params["domainNameArn"], params["accessAssociationSourceType"],
        params["accessAssociationSource"], params.get("tags"), prefix=_prefix(call),
    )  # fmt: skip
    return made.wire()


async def get_domain_name_access_associations(call: Call, params: dict[str, Any]) -> Output:
    found = await domains(call).access.every(params.get("resourceOwner"))
    return listed(page(found, lambda a: a.domainNameAccessAssociationArn, *page_of(params)))


async def delete_domain_name_access_association(call: Call, params: dict[str, Any]) -> Output:
    await domains(call).access.delete(params["domainNameAccessAssociationArn"])
    return None


async def reject_domain_name_access_association(call: Call, params: dict[str, Any]) -> Output:
    await domains(call).access.delete(
        params["domainNameAccessAssociationArn"], params["domainNameArn"]
    )
    return None


HANDLERS: dict[str, Handler] = {
    "CreateDomainNameAccessAssociation": create_domain_name_access_association,
    "GetDomainNameAccessAssociations": get_domain_name_access_associations,
    "DeleteDomainNameAccessAssociation": delete_domain_name_access_association,
    "RejectDomainNameAccessAssociation": reject_domain_name_access_association,
    "CreateDomainName": create_domain_name,
    "GetDomainName": get_domain_name,
    "GetDomainNames": get_domain_names,
    "UpdateDomainName": update_domain_name,
    "DeleteDomainName": delete_domain_name,
    "CreateBasePathMapping": create_base_path_mapping,
    "GetBasePathMapping": get_base_path_mapping,
    "GetBasePathMappings": get_base_path_mappings,
    "UpdateBasePathMapping": update_base_path_mapping,
    "DeleteBasePathMapping": delete_base_path_mapping,
}
