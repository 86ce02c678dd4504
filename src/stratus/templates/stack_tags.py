"""Stack tags reach the resources that take tags, on create and on every update, as
CloudFormation propagates them. A tag the resource declares itself wins over the stack's of
the same key; Stratus's own stack tags (stratus:*) stay on the stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .provider import tag_map

# The types whose `Tags` is CloudFormation's list of {Key, Value} and whose provider applies
# a change of it in place.
TAGGED_TYPES = frozenset({"AWS::Lambda::Function", "AWS::SQS::Queue"})


def with_stack_tags(
    kind: str, props: dict[str, Any], stack_tags: Mapping[str, str]
) -> dict[str, Any]:
    """`props` with the stack's tags added to its Tags, for a type that takes them."""
    inherited = {k: v for k, v in stack_tags.items() if not k.startswith("stratus:")}
    if kind not in TAGGED_TYPES or not inherited:
        return props
    own = tag_map(props.get("Tags"))
    merged = inherited | own
    return props | {"Tags": [{"Key": k, "Value": v} for k, v in merged.items()]}
