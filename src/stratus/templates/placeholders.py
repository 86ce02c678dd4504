"""What `Ref` and `Fn::GetAtt` give for a resource `--skip-unsupported` left out: values of
the shape AWS would give (a name, or an ARN), so templates that refer to it (SAM always does:
policy ARNs, a Permission's SourceArn) still deploy. Nothing answers at those names; the
deploy warns once per skipped resource.

    Ref                 <stack>-<LogicalId>-SKIPPED, or an ARN for types whose Ref is one
    Fn::GetAtt X.Arn    arn:aws:<service>:<region>:<account>:<resource>/<name>
    Fn::GetAtt X.Other  <name>.<Other>
"""

from __future__ import annotations

# Types whose Ref is their ARN (most give a name or an id).
_REF_IS_ARN = frozenset(
    {
        "AWS::SNS::Topic",
        "AWS::IAM::ManagedPolicy",
        "AWS::StepFunctions::StateMachine",
        "AWS::SecretsManager::Secret",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        "AWS::ElasticLoadBalancingV2::Listener",
    }
)
_GLOBAL = frozenset({"iam", "cloudfront", "route53"})  # ARNs without a region


def name(stack_name: str, logical_id: str) -> str:
    return f"{stack_name}-{logical_id}-SKIPPED"


def arn(kind: str, stack_name: str, logical_id: str, region: str, account_id: str) -> str:
    parts = kind.split("::")
    service = parts[1].lower() if len(parts) > 1 else "unknown"
    resource = parts[2].lower() if len(parts) > 2 else "resource"
    where = "" if service in _GLOBAL else region
    return f"arn:aws:{service}:{where}:{account_id}:{resource}/{name(stack_name, logical_id)}"


def ref(kind: str, stack_name: str, logical_id: str, region: str, account_id: str) -> str:
    if kind in _REF_IS_ARN:
        return arn(kind, stack_name, logical_id, region, account_id)
    return name(stack_name, logical_id)


def attribute(
    kind: str, attribute_name: str, stack_name: str, logical_id: str, region: str, account_id: str
) -> str:
    if attribute_name == "Arn" or attribute_name.endswith("Arn"):
        return arn(kind, stack_name, logical_id, region, account_id)
    return f"{name(stack_name, logical_id)}.{attribute_name}"
