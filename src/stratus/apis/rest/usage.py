"""Usage of usage plans' quotas per API key and day (GetUsage / UpdateUsage), and the
quota check the data plane makes with it.

Requests are counted per (plan, key, UTC day), in memory: like the throttling buckets, the
counts restart with the server. A quota's period (DAY, WEEK from Monday, MONTH) sums its
days; `offset` is not applied. GetUsage answers, for each key and each day from startDate
to endDate, [used that day, remaining in that day's period after it], as AWS's
`items: {keyId: [[used, remaining], ...]}`; UpdateUsage's `replace /remaining` sets what
is left of the current period.

Counts are kept KEPT_DAYS: the longest GetUsage range ending today, and the longest quota
period (a month) before its first day, so every day such a range reports has its right
remaining. Older days are forgotten once a day (they read as 0), and so are a deleted plan's
or key's counts at once: a long-running server holds what can still be asked for, not every
day it has served.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from stratus.errors import Invalid

from .model import QuotaSettings, UsagePlan
from .requests import Patch

MAX_DAYS = 90  # a GetUsage range longer than this is refused
KEPT_DAYS = MAX_DAYS + 31  # see the module docstring


def period_start(quota: QuotaSettings, day: date) -> date:
    """The first day of the quota period `day` is in."""
    if quota.period == "WEEK":
        return day - timedelta(days=day.weekday())
    if quota.period == "MONTH":
        return day.replace(day=1)
    return day


class Usage:
    def __init__(self, wall: Callable[[], float]) -> None:
        self._wall = wall
        self._days: dict[tuple[str, str], dict[date, int]] = {}  # (plan, key) -> day -> used
        self._swept = date.min  # the day old counts were last forgotten

    def today(self) -> date:
        return datetime.fromtimestamp(self._wall(), UTC).date()

    def used_in_period(self, plan: UsagePlan, key_id: str, day: date) -> int:
        assert plan.quota is not None
        days = self._days.get((plan.id, key_id), {})
        start = period_start(plan.quota, day)
        return sum(days.get(start + timedelta(n), 0) for n in range((day - start).days + 1))

    def forget_plan(self, plan_id: str) -> None:
        """A deleted plan's counts (DeleteUsagePlan)."""
        for pair in [p for p in self._days if p[0] == plan_id]:
            del self._days[pair]

    def forget_key(self, key_id: str) -> None:
        """A deleted key's counts, in every plan (DeleteApiKey)."""
        for pair in [p for p in self._days if p[1] == key_id]:
            del self._days[pair]

    def _sweep(self, today: date) -> None:
        """Days past KEPT_DAYS are forgotten, once a day, for every plan and key."""
        if today == self._swept:
            return
        self._swept = today
        oldest = today - timedelta(KEPT_DAYS - 1)
        for pair, days in list(self._days.items()):
            for day in [d for d in days if d < oldest]:
                del days[day]
            if not days:
                del self._days[pair]

    def take(self, plan: UsagePlan, key_id: str) -> bool:
        """Counts one request against the plan's quota; False when it is used up."""
        quota = plan.quota
        if quota is None or quota.limit is None:
            return True
        today = self.today()
        if self.used_in_period(plan, key_id, today) >= quota.limit:
            return False
        self._sweep(today)
        days = self._days.setdefault((plan.id, key_id), {})
        days[today] = days.get(today, 0) + 1
        return True

    def report(
        self, plan: UsagePlan, key_ids: list[str], start: str, end: str
    ) -> dict[str, list[list[int]]]:
        """GetUsage's items for `key_ids` from `start` to `end` (YYYY-MM-DD, inclusive)."""
        first, last = _day(start, "startDate"), _day(end, "endDate")
        if last < first:
            raise Invalid("The endDate must not be before the startDate")
        if (last - first).days >= MAX_DAYS:
            raise Invalid(f"The date range may span at most {MAX_DAYS} days")
        self._sweep(self.today())
        items = {}
        for key_id in key_ids:
            days = self._days.get((plan.id, key_id), {})
            rows = []
            for offset in range((last - first).days + 1):
                day = first + timedelta(days=offset)
                used = days.get(day, 0)
                limit = plan.quota.limit if plan.quota and plan.quota.limit is not None else None
                remaining = (
                    max(limit - self.used_in_period(plan, key_id, day), 0)
                    if limit is not None
                    else 0
                )
                rows.append([used, remaining])
            items[key_id] = rows
        return items

    def update(self, plan: UsagePlan, key_id: str, patch: Patch) -> None:
        """UpdateUsage: `replace /remaining` sets what is left of the current period."""
        quota = plan.quota
        for operation in patch:
            if operation.op != "replace" or operation.path != "/remaining":
                raise Invalid(f"Invalid patch path {operation.path}: replace /remaining")
            if quota is None or quota.limit is None:
                raise Invalid("The usage plan has no quota: there is no remaining to set")
            try:
                remaining = int(operation.value or "")
            except ValueError:
                raise Invalid(f"Invalid remaining {operation.value!r}: give a number") from None
            today = self.today()
            wanted_used = max(quota.limit - remaining, 0)
            self._sweep(today)
            days = self._days.setdefault((plan.id, key_id), {})
            days[today] = (
                days.get(today, 0) + wanted_used - self.used_in_period(plan, key_id, today)
            )


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"Invalid {name} {text!r}: write YYYY-MM-DD") from None
