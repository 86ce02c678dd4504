"""Is a resource type one AWS has? A misspelt type (`AWS::Serverless::Functon`) is "not a
resource type", with the nearest known name, rather than "not supported yet".

The known types are cfn-lint's schemas (every CloudFormation type, ~1900) and SAM's; loading
them costs about a second, so it happens only when a template has a type Stratus does not
serve.
"""

from __future__ import annotations

import difflib
import functools

SAM_TYPES = frozenset(
    {
        "AWS::Serverless::Api",
        "AWS::Serverless::Application",
        "AWS::Serverless::Connector",
        "AWS::Serverless::Function",
        "AWS::Serverless::GraphQLApi",
        "AWS::Serverless::HttpApi",
        "AWS::Serverless::LayerVersion",
        "AWS::Serverless::SimpleTable",
        "AWS::Serverless::StateMachine",
    }
)


@functools.cache
def known_types() -> frozenset[str]:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    return frozenset(PROVIDER_SCHEMA_MANAGER.get_resource_types("us-east-1")) | SAM_TYPES


def is_resource_type(kind: str) -> bool:
    return kind.startswith("Custom::") or kind in known_types()


def nearest(kind: str) -> str | None:
    found = difflib.get_close_matches(kind, sorted(known_types()), n=1, cutoff=0.8)
    return found[0] if found else None
