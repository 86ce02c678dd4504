"""Dynamic references: `{{resolve:<service>:<reference>}}` in a resource's properties, read
when the resource is created or updated, as CloudFormation reads them.

    {{resolve:ssm:name[:version]}}               a String or StringList parameter
    {{resolve:ssm-secure:name[:version]}}        a SecureString parameter, decrypted
    {{resolve:secretsmanager:secret-id[:SecretString[:json-key[:version-stage[:version-id]]]]}}
                                                 a secret (name or full ARN); the whole
                                                 SecretString, or one key of its JSON;
                                                 AWSCURRENT unless a stage or version is named

A reference may stand alone or inside a longer string. The engine compares and keeps the
template's properties with the references unresolved, so the stack's records never hold the
values, and (as on AWS) a changed parameter or secret alone does not update a resource: the
template must change. Anything that cannot be read fails the resource with the service's
words.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from stratus.errors import Invalid, StratusError
from stratus.services import Services

from .provider import ResourceFailed, text

_REFERENCE = re.compile(r"\{\{resolve:([^:}]*):((?:(?!\}\}).)*)\}\}")
_MARK = "{{resolve:"


def has_references(value: Any) -> bool:
    return _MARK in orjson.dumps(value).decode()


async def wait_resolve(value: Any, services: Services) -> Any:
    """`value` with every dynamic reference in its strings replaced by what it names."""
    if isinstance(value, str):
        if _MARK not in value:
            return value
        parts, start = [], 0
        for found in _REFERENCE.finditer(value):
            parts += [value[start : found.start()], await _wait_one(found, services)]
            start = found.end()
        return "".join(parts) + value[start:]
    if isinstance(value, dict):
        return {k: await wait_resolve(v, services) for k, v in value.items()}
    if isinstance(value, list):
        return [await wait_resolve(v, services) for v in value]
    return value


async def _wait_one(found: re.Match[str], services: Services) -> str:
    service, reference = found.group(1), found.group(2)
    try:
        if service in ("ssm", "ssm-secure"):
            return await _wait_parameter(service, reference, services)
        if service == "secretsmanager":
            return await _wait_secret(reference, services)
    except StratusError as exc:
        raise ResourceFailed(f"{found.group(0)}: {exc.message}") from exc
    raise ResourceFailed(
        f"{found.group(0)}: the dynamic reference service {service!r} is not supported; use "
        "ssm, ssm-secure or secretsmanager"
    )


async def _wait_parameter(service: str, reference: str, services: Services) -> str:
    if not reference:
        raise Invalid("the reference names no parameter")
    secure = service == "ssm-secure"
    parameter = await services.parameters.get(reference, decrypt=secure)
    if secure != (parameter["Type"] == "SecureString"):
        raise Invalid(
            f"parameter {parameter['Name']} is a {parameter['Type']}: use "
            + ("{{resolve:ssm:...}}" if secure else "{{resolve:ssm-secure:...}}")
        )
    return str(parameter["Value"])


async def _wait_secret(reference: str, services: Services) -> str:
    pieces = reference.split(":")
    cut = 7 if reference.startswith("arn:") else 1  # an ARN is 7 of the pieces
    secret_id, rest = ":".join(pieces[:cut]), pieces[cut:]
    if not secret_id or len(rest) > 4:
        raise Invalid(
            "write {{resolve:secretsmanager:secret-id:SecretString:json-key:version-stage:"
            "version-id}} (everything after secret-id may be left out)"
        )
    kind, key, stage, version = [*rest, "", "", "", ""][:4]
    if kind not in ("", "SecretString"):
        raise Invalid(f"{kind} is not a secret part; the only one is SecretString")
    if stage and version:
        raise Invalid("name a version-stage or a version-id, not both")
    found = await services.secrets.get_value(secret_id, version or None, stage or None)
    if "SecretString" not in found:
        raise Invalid("the secret's value is binary; dynamic references read SecretString")
    if not key:
        return str(found["SecretString"])
    try:
        document = orjson.loads(found["SecretString"])
    except orjson.JSONDecodeError:
        document = None
    if not isinstance(document, dict) or key not in document:
        raise Invalid(f"the secret's SecretString is not a JSON object with the key {key}")
    return text(document[key])
