"""REST APIs' API keys, usage plans and stage throttling, as API Gateway applies them
("Usage plans and API keys", "Throttle requests to your REST APIs").

Stage throttling: a stage's method settings (`~1pets/GET`, else `*/*`) give each method its
own token bucket (throttlingRateLimit per second, throttlingBurstLimit); a stage without
method settings is not throttled (AWS's account-level 10,000/s and burst 5,000 are not
applied). Over it: 429 Too Many Requests.

API keys, for a method with apiKeyRequired: the key's value comes from the `x-api-key`
header (the API's apiKeySource HEADER) or from the Lambda authorizer's usageIdentifierKey
(AUTHORIZER). It must be a known, enabled key in a usage plan of this API stage, else 403
Forbidden. Then the plan's throttling applies per key (the API stage's per-method entry
`/pets/GET`, else the plan's own), 429 Too Many Requests, and its quota (limit requests per
DAY, WEEK or MONTH, calendar periods in UTC, weeks starting on Monday), 429 Limit Exceeded,
counted by the REST API service (apis/rest/usage.py, which GetUsage reads). Throttled
requests do not count against the quota.

The buckets' clock is injected (monotonic seconds), so tests need no sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from stratus.apis.rest.model import ApiKey, ThrottleSettings, UsagePlan
from stratus.apis.rest.service import RestApiService, RestDeployment
from stratus.gateway.responses import HttpResponse
from stratus.gateway.rest_responses import INVALID_KEY, QUOTA_EXCEEDED, THROTTLED
from stratus.gateway.throttle import ACCOUNT_BURST, ACCOUNT_RATE, Limit, Throttles


def plan_limit(throttle: ThrottleSettings | None) -> Limit | None:
    """A usage plan's throttling as a bucket's limit; a member not set takes the account's."""
    if throttle is None or (throttle.rateLimit is None and throttle.burstLimit is None):
        return None
    rate = ACCOUNT_RATE if throttle.rateLimit is None else throttle.rateLimit
    burst = ACCOUNT_BURST if throttle.burstLimit is None else throttle.burstLimit
    return Limit(rate, burst)


class Access:
    """Every REST API's buckets and quota counters (one per server)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.throttles = Throttles(clock)

    def admit_stage(self, deployment: RestDeployment, resource_path: str, method: str) -> bool:
        """Whether the stage's throttling lets a request to this method pass now."""
        setting = deployment.method_setting(resource_path, method)
        limit = None
        if setting is not None:
            limit = Limit(setting.throttlingRateLimit, setting.throttlingBurstLimit)
        key = ("stage", deployment.api.id, deployment.stage.stageName, resource_path, method)
        return self.throttles.take(key, limit)

    async def wait_key(
        self,
        apis: RestApiService,
        deployment: RestDeployment,
        value: str | None,
        resource_path: str,
        method: str,
    ) -> ApiKey | HttpResponse:
        """The request's API key when it may pass (see the module docstring), else the
        answer to send."""
        if not value:
            return INVALID_KEY
        key = await apis.find_api_key(value)
        if key is None or not key.enabled:
            return INVALID_KEY
        stage = deployment.stage.stageName
        plans = await apis.usage_plans_for(key.id, deployment.api.id, stage)
        if not plans:
            return INVALID_KEY
        plan = plans[0]
        if not self._admit(plan, key, deployment.api.id, stage, f"{resource_path}/{method}"):
            return THROTTLED
        return key if apis.usage.take(plan, key.id) else QUOTA_EXCEEDED

    def _admit(self, plan: UsagePlan, key: ApiKey, api_id: str, stage: str, method: str) -> bool:
        own = next(
            (s.throttle or {} for s in plan.apiStages if (s.apiId, s.stage) == (api_id, stage)),
            {},
        ).get(method)
        limit = plan_limit(own) or plan_limit(plan.throttle)
        bucket = ("plan", plan.id, key.id, api_id, stage, method if own else "")
        return self.throttles.take(bucket, limit)
