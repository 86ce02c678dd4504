"""Which Stratus server the CLI talks to, chosen as boto3 and the aws CLI choose an endpoint:

    --endpoint-url  >  $STRATUS_ENDPOINT_URL  >  $AWS_ENDPOINT_URL_<SERVICE>
                    >  $AWS_ENDPOINT_URL  >  http://127.0.0.1:4566

so a shell set up for the aws CLI (`export AWS_ENDPOINT_URL=...`) reaches the same server,
and `stratus deploy` never silently deploys to whatever listens on the default port.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import typer

DEFAULT_ENDPOINT_URL = "http://127.0.0.1:4566"


@dataclass(frozen=True)
class Endpoint:
    url: str
    source: str  # what chose it: "--endpoint-url", "$AWS_ENDPOINT_URL", "the default"...


def resolve(
    given: str | None, environ: Mapping[str, str] = os.environ, service: str | None = None
) -> Endpoint:
    """The endpoint, and what chose it (`given` is the --endpoint-url flag's value)."""
    if given:
        return Endpoint(given, "--endpoint-url")
    names = ["STRATUS_ENDPOINT_URL"]
    if service is not None:
        names.append(service_variable(service))
    names.append("AWS_ENDPOINT_URL")
    for name in names:
        if environ.get(name):
            return Endpoint(environ[name], f"${name}")
    return Endpoint(DEFAULT_ENDPOINT_URL, "the default")


def service_variable(service: str) -> str:
    """boto3's per-service variable: cloudformation -> AWS_ENDPOINT_URL_CLOUDFORMATION."""
    return "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_").replace(" ", "_")


def for_service(url: str, service: str, environ: Mapping[str, str] = os.environ) -> str:
    """`url` as one service's endpoint: a URL that came from $AWS_ENDPOINT_URL (or the
    default) gives way to $AWS_ENDPOINT_URL_<SERVICE>, as in boto3."""
    specific = environ.get(service_variable(service))
    generic = environ.get("AWS_ENDPOINT_URL") or DEFAULT_ENDPOINT_URL
    explicit = environ.get("STRATUS_ENDPOINT_URL")
    if specific and url == generic and url != explicit:
        return specific
    return url


def from_option(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str:
    """The --endpoint-url option's callback: a value left at its default (neither the flag
    nor $STRATUS_ENDPOINT_URL) falls back to $AWS_ENDPOINT_URL."""
    source = ctx.get_parameter_source(param.name or "")
    # By name: typer may bring a click of its own, with its own ParameterSource class.
    if getattr(source, "name", "") in ("COMMANDLINE", "ENVIRONMENT"):
        return value or DEFAULT_ENDPOINT_URL
    return resolve(None, os.environ).url


def describe(url: str, environ: Mapping[str, str] = os.environ) -> str:
    """`http://... (from $AWS_ENDPOINT_URL)`, for deploy and up to say where they went."""
    for name in ("STRATUS_ENDPOINT_URL", "AWS_ENDPOINT_URL"):
        if environ.get(name) == url:
            return f"{url} (from ${name})"
    if url == DEFAULT_ENDPOINT_URL:
        return f"{url} (the default; set --endpoint-url or $AWS_ENDPOINT_URL to change it)"
    return f"{url} (from --endpoint-url)"
