"""REST APIs' API keys, usage plans (throttling and quotas) and stage throttling: the
counting with injected clocks, then end to end through boto3 and HTTP."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import pytest

from stratus.apis.rest.model import ApiKey, QuotaSettings, UsagePlan
from stratus.apis.rest.usage import KEPT_DAYS, Usage, period_start
from stratus.gateway.rest_access import Access

FORBIDDEN = {"message": "Forbidden"}
TOO_MANY = {"message": "Too Many Requests"}
LIMIT_EXCEEDED = {"message": "Limit Exceeded"}


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("period", "at", "expected"),
    [
        ("DAY", "2026-11-25", "2026-11-25"),
        ("WEEK", "2026-11-25", "2026-11-23"),  # a Wednesday: its week's Monday
        ("WEEK", "2026-11-23", "2026-11-23"),
        ("MONTH", "2026-11-30", "2026-11-01"),
        ("MONTH", "2026-12-01", "2026-12-01"),
    ],
)
def test_quota_periods(period, at, expected):
    """Quota periods are calendar days, weeks (from Monday) and months in UTC."""
    quota = QuotaSettings(limit=1, period=period)
    assert period_start(quota, date.fromisoformat(at)).isoformat() == expected


class FakeApis:
    """The two reads Access makes of RestApiService."""

    def __init__(self, key: ApiKey, plan: UsagePlan | None, usage: Usage | None = None) -> None:
        self.key, self.plan = key, plan
        self.usage = usage or Usage(lambda: 0.0)

    async def find_api_key(self, value: str) -> ApiKey | None:
        return self.key if value == self.key.value else None

    async def usage_plans_for(self, key_id: str, api_id: str, stage: str) -> tuple[UsagePlan, ...]:
        return (self.plan,) if self.plan and self.plan.serves(api_id, stage) else ()


class FakeDeployment:
    class api:
        id = "api1234567"

    class stage:
        stageName = "prod"

    def method_setting(self, path: str, method: str) -> None:
        return None


def _use(access: Access, apis: FakeApis, value: str | None, method: str = "GET") -> Any:
    found = asyncio.run(access.wait_key(apis, FakeDeployment(), value, "/pets", method))  # type: ignore[arg-type]
    return found if isinstance(found, ApiKey) else found.status


def test_key_checks_throttling_and_quota_with_clocks():
    """A key passes when known, enabled and in a plan of the stage; then the plan's
    throttling (per-method entry first) and quota count its requests."""
    now, wall = [0.0], [_epoch("2026-11-25T10:00:00")]
    access = Access(clock=lambda: now[0])
    key = ApiKey(id="k1", value="v" * 20, enabled=True, createdDate=0, lastUpdatedDate=0)
    plan = UsagePlan.model_validate({
        "id": "p1", "name": "p",
        "apiStages": [{"apiId": "api1234567", "stage": "prod",
                       "throttle": {"/pets/POST": {"burstLimit": 1, "rateLimit": 1}}}],
        "throttle": {"burstLimit": 2, "rateLimit": 1},
        "quota": {"limit": 4, "period": "DAY"},
    })  # fmt: skip
    apis = FakeApis(key, plan, Usage(lambda: wall[0]))

    assert _use(access, apis, None) == 403
    assert _use(access, apis, "x" * 20) == 403
    assert _use(access, FakeApis(key.model_copy(update={"enabled": False}), plan), key.value) == 403
    assert _use(access, FakeApis(key, None), key.value) == 403
    assert [_use(access, apis, key.value) for _ in range(3)] == [key, key, 429]  # burst 2
    assert [_use(access, apis, key.value, "POST") for _ in range(2)] == [key, 429]  # its own
    now[0] = 1.0  # one token back in each bucket
    assert _use(access, apis, key.value) == key  # the 4th counted request of the day
    now[0] = 10.0
    assert _use(access, apis, key.value) == 429  # quota: Limit Exceeded
    wall[0] = _epoch("2026-11-26T00:00:01")  # a new day
    assert _use(access, apis, key.value) == key


def test_usage_keeps_the_days_get_usage_can_report():
    """A day's count is kept KEPT_DAYS (the longest GetUsage range ending today, and a
    month before it for its quota periods); then it is forgotten and reads 0, for every key,
    used since or not."""
    wall = [_epoch("2026-01-10T12:00:00")]
    usage = Usage(lambda: wall[0])
    plan = UsagePlan.model_validate(
        {"id": "p1", "name": "p", "quota": {"limit": 10, "period": "MONTH"}}
    )
    usage.take(plan, "k1")
    usage.take(plan, "k2")
    wall[0] += 86_400 * (KEPT_DAYS - 1)  # the last day 2026-01-10 is kept
    usage.take(plan, "k2")
    kept = usage.report(plan, ["k1", "k2"], "2026-01-10", "2026-01-10")
    wall[0] += 86_400
    forgotten = usage.report(plan, ["k1", "k2"], "2026-01-10", "2026-01-10")

    assert kept == {"k1": [[1, 9]], "k2": [[1, 9]]}
    assert forgotten == {"k1": [[0, 10]], "k2": [[0, 10]]}


# -- end to end ------------------------------------------------------------------------------

ECHO = """
import json

def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
"""
AUTHORIZER = """
def handler(event, context):
    return {
        "principalId": "p",
        "policyDocument": {"Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}]},
        "usageIdentifierKey": event["authorizationToken"],
    }
"""


def _keyed(rest_api: Any, deploy: Any, **params: Any) -> Any:
    api = rest_api(**params)
    echo = deploy(ECHO)
    api.method("/open", "GET", echo)
    api.method("/paid", "GET", echo, apiKeyRequired=True)
    api.deploy("prod")
    return api


def test_api_key_required(rest_api, deploy, plans, apigateway):
    """x-api-key must be an enabled key of a usage plan of this stage, else 403
    Forbidden; the event's identity then carries apiKey and apiKeyId."""
    api = _keyed(rest_api, deploy)
    api.deploy("beta")
    value, key_id = plans(api)
    disabled, _ = plans(api, enabled=False)
    other_stage, _ = plans(api, "beta")

    answers = {
        name: api.call("GET", "/prod/paid", headers={"x-api-key": given} if given else {})
        for name, given in [
            ("none", None), ("unknown", "u" * 30), ("disabled", disabled),
            ("other stage", other_stage), ("valid", value),
        ]
    }  # fmt: skip

    for name in ("none", "unknown", "disabled", "other stage"):
        assert (answers[name].status_code, answers[name].json()) == (403, FORBIDDEN), name
        assert answers[name].headers["x-amzn-errortype"] == "ForbiddenException"
    identity = answers["valid"].json()["requestContext"]["identity"]
    assert (identity["apiKey"], identity["apiKeyId"]) == (value, key_id)
    assert api.call("GET", "/prod/open").status_code == 200


def test_usage_plan_throttle_and_quota(rest_api, deploy, plans):
    """A plan's rate/burst per key (429 Too Many Requests) and quota (429 Limit Exceeded)."""
    throttled_api = _keyed(rest_api, deploy)
    limited_api = _keyed(rest_api, deploy)
    throttled, _ = plans(throttled_api, throttle={"burstLimit": 2, "rateLimit": 0.001})
    limited, _ = plans(limited_api, quota={"limit": 2, "period": "MONTH"})

    burst = [
        throttled_api.call("GET", "/prod/paid", headers={"x-api-key": throttled}) for _ in range(3)
    ]
    quota = [
        limited_api.call("GET", "/prod/paid", headers={"x-api-key": limited}) for _ in range(3)
    ]

    assert [r.status_code for r in burst] == [200, 200, 429]
    assert burst[2].json() == TOO_MANY
    assert [r.status_code for r in quota] == [200, 200, 429]
    assert quota[2].json() == LIMIT_EXCEEDED
    assert quota[2].headers["x-amzn-errortype"] == "LimitExceededException"


def test_api_key_from_the_authorizer(rest_api, deploy, plans):
    """apiKeySource AUTHORIZER: the key is the authorizer's usageIdentifierKey."""
    api = rest_api(apiKeySource="AUTHORIZER")
    authorizer = api.authorizer(deploy(AUTHORIZER), authorizerResultTtlInSeconds=0)
    api.method(
        "/paid", "GET", deploy(ECHO),
        apiKeyRequired=True, authorizationType="CUSTOM", authorizerId=authorizer,
    )  # fmt: skip
    api.deploy("prod")
    value, key_id = plans(api)

    good = api.call("GET", "/prod/paid", headers={"Authorization": value})
    bad = api.call("GET", "/prod/paid", headers={"Authorization": "n" * 30, "x-api-key": value})

    assert good.status_code == 200
    assert good.json()["requestContext"]["identity"]["apiKeyId"] == key_id
    assert (bad.status_code, bad.json()) == (403, FORBIDDEN)


def test_stage_method_throttling(rest_api, deploy, apigateway):
    """A stage's method settings throttle each method: `*/*` for all, a method's own
    entry overriding it; over the limit, 429 Too Many Requests."""
    api = rest_api()
    echo = deploy(ECHO)
    for path in ("/a", "/b", "/c"):
        api.method(path, "GET", echo)
    api.deploy("prod")
    apigateway.update_stage(
        restApiId=api.id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "1"},
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "0.001"},
            {"op": "replace", "path": "/~1c/GET/throttling/burstLimit", "value": "3"},
        ],
    )

    a = [api.call("GET", "/prod/a").status_code for _ in range(2)]
    b = [api.call("GET", "/prod/b").status_code for _ in range(2)]
    c = [api.call("GET", "/prod/c").status_code for _ in range(4)]

    assert a == b == [200, 429]  # each method its own bucket
    assert c == [200, 200, 200, 429]
    assert api.call("GET", "/prod/a").json() == TOO_MANY


def test_get_usage_reports_and_update_usage_sets_the_remaining_quota(
    rest_api, deploy, plans, apigateway
):
    api = _keyed(rest_api, deploy)
    value, key_id = plans(api, quota={"limit": 5, "period": "DAY"})
    plan_id = apigateway.get_usage_plans(keyId=key_id)["items"][0]["id"]
    today = datetime.now(UTC).date().isoformat()

    def paid() -> int:
        return api.call("GET", "/prod/paid", headers={"x-api-key": value}).status_code

    served = [paid() for _ in range(3)]
    usage = apigateway.get_usage(usagePlanId=plan_id, startDate=today, endDate=today)
    apigateway.update_usage(
        usagePlanId=plan_id, keyId=key_id,
        patchOperations=[{"op": "replace", "path": "/remaining", "value": "0"}],
    )  # fmt: skip
    exhausted = paid()
    updated = apigateway.update_usage(
        usagePlanId=plan_id, keyId=key_id,
        patchOperations=[{"op": "replace", "path": "/remaining", "value": "2"}],
    )  # fmt: skip
    again = [paid() for _ in range(3)]

    assert served == [200, 200, 200]
    assert usage["items"] == {key_id: [[3, 2]]}
    assert exhausted == 429
    assert updated["items"][key_id][0][1] == 2
    assert again == [200, 200, 429]
