"""From the names people have to the functions Stratus runs: a function name, or a logical id
within a stack (`stratus invoke ApiFunction --stack my-app`). An unknown name is an error
that lists the candidates, closest first, never silence.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .errors import CliError

if TYPE_CHECKING:
    from types_boto3_cloudformation import CloudFormationClient
    from types_boto3_lambda import LambdaClient

FUNCTION_TYPES = ("AWS::Lambda::Function",)


def stack_functions(cfn: CloudFormationClient, stack: str) -> dict[str, str]:
    """{logical id: function name} of every function the stack made."""
    try:
        pages = cfn.get_paginator("list_stack_resources").paginate(StackName=stack)
        found = [r for page in pages for r in page["StackResourceSummaries"]]
    except cfn.exceptions.ClientError as exc:
        if "does not exist" not in str(exc):
            raise
        stacks = [
            s["StackName"]
            for page in cfn.get_paginator("list_stacks").paginate()
            for s in page["StackSummaries"]
            if s["StackStatus"] != "DELETE_COMPLETE"
        ]
        raise CliError(f"no stack named {stack!r}; {candidates(stack, stacks, 'stacks')}") from None
    return {
        r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
        for r in found
        if r["ResourceType"] in FUNCTION_TYPES and r.get("PhysicalResourceId")
    }


def in_stack(cfn: CloudFormationClient, stack: str, logical_id: str) -> str:
    """The function name of `logical_id` in `stack` (a function name is accepted too)."""
    functions = stack_functions(cfn, stack)
    if logical_id in functions:
        return functions[logical_id]
    if logical_id in functions.values():
        return logical_id
    raise CliError(
        f"stack {stack} has no function {logical_id!r}; "
        f"{candidates(logical_id, functions, 'functions')}"
    )


def check_function(lambda_: LambdaClient, cfn: CloudFormationClient, name: str) -> None:
    """Refuse a function name that does not exist, naming what does (and a stack of that
    name, whose functions are one `--stack` away)."""
    try:
        lambda_.get_function(FunctionName=name)
        return
    except lambda_.exceptions.ResourceNotFoundException:
        pass
    try:
        cfn.describe_stacks(StackName=name)
        raise CliError(
            f"no function named {name!r}, but {name} is a stack: use --stack {name} "
            "(all its functions) or name one of them with --stack"
        )
    except cfn.exceptions.ClientError:
        pass
    names = [
        f["FunctionName"]
        for page in lambda_.get_paginator("list_functions").paginate()
        for f in page["Functions"]
    ]
    raise CliError(f"no function named {name!r}; {candidates(name, names, 'functions')}")


def candidates(wanted: str, known: Iterable[str], what: str) -> str:
    names = sorted(known)
    if not names:
        return f"there are no {what}"
    close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.5)
    ordered = close + [n for n in names if n not in close]
    shown = ", ".join(ordered[:10]) + (", ..." if len(ordered) > 10 else "")
    return f"the {what} are: {shown}"
