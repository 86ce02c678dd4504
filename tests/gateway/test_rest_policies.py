"""REST API resource policies enforced on the data plane, with AWS's 403 bodies; a policy
reaches clients with the next deployment."""

from __future__ import annotations

import json
from typing import Any

import pytest

ECHO = """
def handler(event, context):
    return {"statusCode": 200, "body": "ok"}
"""
ALLOW_ALL = {
    "Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
    "Resource": "execute-api:/*",
}  # fmt: skip


def _api(rest_api: Any, deploy: Any, statements: list[dict[str, Any]]) -> Any:
    api = rest_api(policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    function = deploy(ECHO)
    api.method("/pets", "GET", function)
    api.method("/admin", "GET", function)
    api.deploy("prod")
    return api


def _message(server: Any, api: Any, path: str, *, explicit: bool) -> dict[str, str]:
    account = server.settings.account_id
    arn = (
        f"arn:aws:execute-api:{server.settings.region}:********{account[-4:]}:"
        f"{api.id}/prod/GET{path}"
    )
    text = f"User: anonymous is not authorized to perform: execute-api:Invoke on resource: {arn}"
    return {"Message": text + (" with an explicit deny" if explicit else "")}


def test_an_explicit_deny_on_one_path_and_allow_on_the_rest(server, rest_api, deploy):
    api = _api(
        rest_api, deploy,
        [ALLOW_ALL, {**ALLOW_ALL, "Effect": "Deny", "Resource": "execute-api:/*/GET/admin"}],
    )  # fmt: skip

    allowed = api.call("GET", "/prod/pets")
    denied = api.call("GET", "/prod/admin")

    assert (allowed.status_code, allowed.text) == (200, "ok")
    assert denied.status_code == 403
    assert denied.json() == _message(server, api, "/admin", explicit=True)
    assert denied.headers["x-amzn-errortype"] == "AccessDeniedException"


@pytest.mark.parametrize(
    ("condition", "status"),
    [
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, 403),  # the test client is 127.0.0.1
        ({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "127.0.0.1/32"]}}, 200),
        ({"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, 403),  # expired
        ({"Bool": {"aws:SecureTransport": "false"}}, 200),  # plain HTTP
    ],
)
def test_conditions_on_the_request(server, rest_api, deploy, condition, status):
    api = _api(rest_api, deploy, [{**ALLOW_ALL, "Condition": condition}])

    response = api.call("GET", "/prod/pets")

    assert response.status_code == status
    if status == 403:  # nothing allows: the implicit deny's text
        assert response.json() == _message(server, api, "/pets", explicit=False)


def test_principals_other_than_anyone_do_not_match_an_unsigned_caller(rest_api, deploy):
    api = _api(
        rest_api, deploy,
        [{**ALLOW_ALL, "Principal": {"AWS": "arn:aws:iam::123456789012:role/admin"}}],
    )  # fmt: skip

    assert api.call("GET", "/prod/pets").status_code == 403


def test_a_policy_reaches_clients_with_the_next_deployment(rest_api, deploy, apigateway):
    api = _api(rest_api, deploy, [ALLOW_ALL])
    deny_all = json.dumps({"Statement": [{**ALLOW_ALL, "Effect": "Deny"}]})
    apigateway.update_rest_api(
        restApiId=api.id, patchOperations=[{"op": "replace", "path": "/policy", "value": deny_all}]
    )

    before = api.call("GET", "/prod/pets")
    api.deploy("prod")
    after = api.call("GET", "/prod/pets")

    assert (before.status_code, after.status_code) == (200, 403)


def test_no_policy_lets_every_request_through(rest_api, deploy):
    api = rest_api()
    api.method("/pets", "GET", deploy(ECHO))
    api.deploy("prod")

    assert api.call("GET", "/prod/pets").status_code == 200
