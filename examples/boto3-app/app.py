"""Unchanged boto3 code talking to Stratus.

The client below has no endpoint_url: Stratus sets AWS_ENDPOINT_URL (and fake credentials) in
every function's environment, and boto3 reads it, so the same file runs on AWS unmodified.
"""

import boto3

# Made once per execution environment, in the init phase; warm invocations reuse it.
lambda_client = boto3.client("lambda")


def handler(event, context):
    names = []
    for page in lambda_client.get_paginator("list_functions").paginate():
        names += [function["FunctionName"] for function in page["Functions"]]
    print(f"found {len(names)} functions")
    return {"functions": names}
