"""What the HTTP API and REST API models share: the `Shape` base (AWS's member names, with
botocore's jsonName on the wire), `parse_request` (a shape from a request, failing as API
Gateway does), and the rule for the Lambda function an AWS_PROXY integration calls."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from stratus.errors import Invalid, Validation
from stratus.validation import parse

# AWS_PROXY integrations may name the function the way REST APIs do.
_APIGATEWAY_URI = re.compile(
    r"^arn:[^:]+:apigateway:[^:]+:lambda:path/[^/]+/functions/(.+)/invocations$"
)
# A Lambda function's ARN (or partial ARN, or name), qualifier optional.
_FUNCTION = re.compile(
    r"^(arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d:)?(\d{12}:)?(function:)?"
    r"[a-zA-Z0-9_-]{1,64}(:(\$LATEST|[a-zA-Z0-9_-]{1,128}))?$"
)

M = TypeVar("M", bound=BaseModel)


def _json_name(name: str) -> str:
    return name[:1].lower() + name[1:]


class Shape(BaseModel):
    model_config = ConfigDict(
        extra="ignore", frozen=True, alias_generator=_json_name, populate_by_name=True
    )

    def wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


def parse_request(model: type[M], data: object) -> M:
    """Like stratus.validation.parse, failing the way API Gateway does (BadRequestException)."""
    try:
        return parse(model, data)
    except Validation as exc:
        raise Invalid(exc.message) from exc


def function_of(uri: str) -> str:
    """The function an AWS_PROXY integration calls: a Lambda ARN (or name), or the
    `arn:aws:apigateway:...:lambda:path/2015-03-31/functions/<arn>/invocations` form."""
    found = _APIGATEWAY_URI.match(uri)
    function = found.group(1) if found else uri
    if not _FUNCTION.match(function):
        raise Invalid(
            f"Invalid integration URI {uri!r}: give a Lambda function ARN, e.g. "
            "arn:aws:lambda:us-east-1:000000000000:function:my-function"
        )
    return function
