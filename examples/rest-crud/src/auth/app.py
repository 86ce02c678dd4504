"""A Lambda TOKEN authorizer: the token `allow` may call the API, any other is denied.

API Gateway sends {"type": "TOKEN", "authorizationToken": ..., "methodArn": ...} and expects an
IAM policy back. A Deny policy answers 403; raising Exception("Unauthorized") would answer 401.
"""


def handler(event, context):
    token = event.get("authorizationToken", "")
    effect = "Allow" if token == "allow" else "Deny"
    print(f"{effect} for token {token!r} on {event['methodArn']}")
    return {
        "principalId": "demo-user" if effect == "Allow" else "anonymous",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": effect,
                    # Every method of the stage: API Gateway caches this answer per token
                    # (300 s by default), and the cached policy is checked for other routes too.
                    "Resource": _stage_wildcard(event["methodArn"]),
                }
            ],
        },
        # Handed to the backend as requestContext.authorizer (values: strings, numbers, bools).
        "context": {"user": "demo-user", "token": token},
    }


def _stage_wildcard(method_arn):
    # arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH -> .../API_ID/STAGE/*
    prefix, _, path = method_arn.partition("/")
    stage = path.split("/", 1)[0]
    return f"{prefix}/{stage}/*"
