"""CloudWatch metric alarms: their rules, their evaluation, and what a change of state does.

An alarm watches one metric (named by its members, or one MetricStat query in Metrics) and
is evaluated (alarms/evaluate.py) every min(Period, 60) seconds, and at once when its metric
gets datapoints (the metric store tells which), over the last EvaluationPeriods periods
ending now. A change of state is written with its history item, then, with ActionsEnabled,
each action of the new state is performed (`Targets`: an SNS topic gets AWS's alarm
notification JSON, a Lambda function AWS's alarm event, asynchronously), and the default
event bus gets a "CloudWatch Alarm State Change" event. Actions are performed once, when the
state changes, not retried across a restart (a failure is an Action history item).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

from stratus.config import Settings
from stratus.errors import Conflict, Invalid, NotFound, StratusError
from stratus.observe.metric_service import (
    InvalidCombination,
    MetricService,
    MissingParameter,
    period_of,
)
from stratus.observe.metric_statistics import check_stat
from stratus.observe.metrics import Metric, metric

from . import evaluate
from .evaluate import ALARM, INSUFFICIENT, OK
from .store import Alarm, AlarmStore, HistoryItem, State, not_found

log = logging.getLogger("stratus.alarms")

TICK_SECONDS = 1.0
MAX_ACTIONS = 5
MAX_TAGS = 50
MAX_SPAN_SECONDS = 7 * 86_400  # Period x EvaluationPeriods
ACTION_SERVICES = ("sns", "lambda")
_REGIONS = {"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)",
            "us-west-1": "US West (N. California)", "us-west-2": "US West (Oregon)",
            "eu-west-1": "EU (Ireland)", "eu-central-1": "EU (Frankfurt)"}  # fmt: skip


class LimitExceeded(Conflict):
    """LimitExceeded."""


class TaggedNotFound(NotFound):
    """ResourceNotFoundException: the tagging operations' word for a missing resource."""


class InvalidFormat(Invalid):
    """InvalidFormat: StateReasonData that is not JSON."""


@dataclass(frozen=True, slots=True)
class Change:
    """One change of an alarm's state, in each form its receivers read."""

    alarm_arn: str
    subject: str  # SNS's Subject
    notification: dict[str, Any]  # SNS's Message (JSON)
    event: dict[str, Any]  # a Lambda action's event
    detail: dict[str, Any]  # EventBridge's detail


class Targets(Protocol):
    async def wait_act(self, arn: str, change: Change, delivery_id: str) -> None: ...

    async def wait_announce(self, change: Change) -> None: ...


@dataclass(frozen=True, slots=True)
class Watched:
    """What an alarm reads: one metric, or (Metrics) queries with metric math, of which the
    one with ReturnData is judged."""

    metric: Metric  # (with queries: the first MetricStat's)
    period: int
    stat: str  # (with queries: "Expression" when an expression is judged)
    unit: str | None
    queries: tuple[dict[str, Any], ...] = ()
    judged: str = ""  # the Id of the query judged
    keys: frozenset[str] = frozenset()  # every metric read, by key


class AlarmService:
    def __init__(
        self, settings: Settings, store: AlarmStore, metrics: MetricService, targets: Targets
    ) -> None:
        self.settings = settings
        self.store = store
        self.metrics = metrics
        self.targets = targets
        self._checked: dict[str, float] = {}  # alarm -> monotonic time of its last evaluation
        self._due: set[str] = set()  # metric keys with new datapoints
        self._woken = asyncio.Event()
        metrics.store.written.append(self._metrics_written)

    def arn(self, name: str) -> str:
        return f"arn:aws:cloudwatch:{self.settings.region}:{self.settings.account_id}:alarm:{name}"

    # --- configuration -----------------------------------------------------------------

    async def put(self, config: dict[str, Any]) -> None:
        """PutMetricAlarm: a new alarm starts INSUFFICIENT_DATA; an existing one keeps its
        state and is evaluated again under its new configuration."""
        watched = watched_of(config)
        _check(config, watched)
        name = config["AlarmName"]
        now = _now_ms()
        existing = await self.store.wait_all([name])
        config = {**config, "ActionsEnabled": config.get("ActionsEnabled", True),
                  "ConfigUpdated": now}  # fmt: skip
        if existing:  # (PutMetricAlarm's Tags apply to a new alarm only, as on AWS)
            config["Tags"] = existing[0].config.get("Tags", [])
        state = State(INSUFFICIENT, "Unchecked: Initial alarm creation", None, now, now)
        verb = "updated" if existing else "created"
        history = HistoryItem(name, now, "ConfigurationUpdate", f'Alarm "{name}" {verb}',
                              _dumps({"type": "Create" if not existing else "Update",
                                      "updatedAlarm": describe_config(config)}))  # fmt: skip
        await self.store.wait_put(Alarm(name, config, state), watched.metric.key, history)
        self._checked.pop(name, None)
        self._woken.set()

    async def delete(self, names: Sequence[str]) -> None:
        now = _now_ms()
        await self.store.wait_delete(
            names,
            [HistoryItem(n, now, "ConfigurationUpdate", f'Alarm "{n}" deleted',
                         _dumps({"type": "Delete"})) for n in names],
        )  # fmt: skip

    async def set_actions_enabled(self, names: Sequence[str], enabled: bool) -> None:
        await self.store.wait_update_config(names, {"ActionsEnabled": enabled})

    async def set_state(self, name: str, value: str, reason: str, data: str | None) -> None:
        """SetAlarmState: the state until the next evaluation, actions included."""
        if data is not None:
            try:
                orjson.loads(data)
            except orjson.JSONDecodeError:
                raise InvalidFormat("Invalid value for StateReasonData: it must be JSON.") from None
        found = await self.store.wait_all([name])
        if not found:
            raise not_found(name)
        await self._wait_change(found[0], value, reason, data)

    async def tags(self, arn: str) -> dict[str, str]:
        """ListTagsForResource: an alarm's tags, by its ARN."""
        alarm = await self._by_arn(arn)
        return {t["Key"]: t["Value"] for t in alarm.config.get("Tags", [])}

    async def retag(self, arn: str, add: dict[str, str], remove: Sequence[str]) -> None:
        alarm = await self._by_arn(arn)
        tags = {t["Key"]: t["Value"] for t in alarm.config.get("Tags", [])} | add
        for key in remove:
            tags.pop(key, None)
        if len(tags) > MAX_TAGS:
            raise LimitExceeded(f"A resource can have at most {MAX_TAGS} tags.")
        listed = [{"Key": k, "Value": v} for k, v in tags.items()]
        await self.store.wait_update_config([alarm.name], {"Tags": listed})

    async def _by_arn(self, arn: str) -> Alarm:
        prefix = self.arn("")
        found = (
            await self.store.wait_all([arn.removeprefix(prefix)]) if arn.startswith(prefix) else []
        )
        if not found:
            raise TaggedNotFound(f"The resource {arn} does not exist (Stratus tags alarms).",
                                 ResourceType="alarm", ResourceId=arn)  # fmt: skip
        return found[0]

    # --- reading -----------------------------------------------------------------------

    async def alarms(self, names: Sequence[str] | None = None) -> list[Alarm]:
        return await self.store.wait_all(names)

    async def history(
        self, name: str | None, kind: str | None, start: datetime | None, end: datetime | None
    ) -> list[HistoryItem]:
        start_ms = 0 if start is None else int(start.timestamp() * 1000)
        end_ms = 2**62 if end is None else int(end.timestamp() * 1000)
        return await self.store.wait_history(name, kind, start_ms, end_ms)

    # --- evaluation --------------------------------------------------------------------

    async def wait_run_forever(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(TICK_SECONDS):
                    await self._woken.wait()
            self._woken.clear()
            await self.wait_evaluate_due()

    async def wait_evaluate_due(self) -> None:
        now = time.monotonic()
        due, self._due = self._due, set()
        for alarm in await self.store.wait_all():
            watched = watched_of(alarm.config)
            last = self._checked.get(alarm.name)
            every = min(watched.period, 60)
            if last is None or now - last >= every or watched.keys & due:
                self._checked[alarm.name] = now
                try:
                    await self._wait_evaluate(alarm, watched)
                except Exception:
                    # One alarm that cannot be evaluated (a bug) must not end the server's
                    # task group, and with it every service: it is logged and tried again
                    # at its next turn, its state left as it was.
                    log.exception("evaluating the alarm %s failed", alarm.name)

    async def _wait_evaluate(self, alarm: Alarm, watched: Watched) -> None:
        now = _now_ms()
        span = watched.period * 1000
        count = int(alarm.config["EvaluationPeriods"])
        start = now - count * span
        if watched.queries:
            found = await self.metrics.query_ms(watched.queries, start, now)
            series = found[watched.judged]
        else:
            series = await self.metrics.series_ms(
                watched.metric, start, now, watched.period, watched.stat, watched.unit
            )
        # series_ms's periods start at `start`: the newest ends now.
        values = dict(zip(series.timestamps, series.values, strict=True))
        periods = [(start + i * span, values.get(start + i * span)) for i in range(count)]
        verdict = evaluate.judge(alarm.config, periods, now, watched.stat, watched.period)
        if verdict.state is None or verdict.state == alarm.state.value:
            return
        await self._wait_change(alarm, verdict.state, verdict.reason, _dumps(verdict.reason_data))

    async def _wait_change(self, alarm: Alarm, value: str, reason: str, data: str | None) -> None:
        now = _now_ms()
        old = alarm.state
        state = State(value, reason, data, now, now if value != old.value else old.transitioned_ms)
        name = alarm.name
        change_data = {"version": "1.0", "oldState": {"stateValue": old.value,
                       "stateReason": old.reason}, "newState": {"stateValue": value,
                       "stateReason": reason}}  # fmt: skip
        summary = f"Alarm updated from {old.value} to {value}"
        item = HistoryItem(name, now, "StateUpdate", summary, _dumps(change_data))
        if await self.store.wait_set_state(name, state, [item]) is None:
            return  # deleted meanwhile
        change = self._change(replace(alarm, state=state), old)
        try:
            await self.targets.wait_announce(change)
        except StratusError as exc:  # (the bus refusing the event leaves the change made)
            log.warning("the alarm %s's state change was not put on the bus: %s", name,
                        exc.message)  # fmt: skip
        if not alarm.config.get("ActionsEnabled", True):
            return
        actions = alarm.config.get(_ACTIONS_OF[value], [])
        failures = []
        for arn in actions:
            try:
                await self.targets.wait_act(arn, change, str(uuid.uuid4()))
            except StratusError as exc:  # (the alarm's state stands; AWS records the failure)
                failures.append(
                    HistoryItem(name, _now_ms(), "Action", f"Failed to execute action {arn}",
                                _dumps({"actionState": "Failed", "error": exc.message}))
                )  # fmt: skip
            else:
                failures.append(
                    HistoryItem(name, _now_ms(), "Action", f"Successfully executed action {arn}",
                                _dumps({"actionState": "Succeeded"}))
                )  # fmt: skip
        if failures:
            await self.store.wait_add_history(failures)

    def _change(self, alarm: Alarm, old: State) -> Change:
        c, new = alarm.config, alarm.state
        watched = watched_of(c)
        region = self.settings.region
        arn = self.arn(alarm.name)
        dims = watched.metric.dimensions
        notification = {
            "AlarmName": alarm.name,
            "AlarmDescription": c.get("AlarmDescription"),
            "AWSAccountId": self.settings.account_id,
            "AlarmConfigurationUpdatedTimestamp": _iso(c["ConfigUpdated"]),
            "NewStateValue": new.value,
            "NewStateReason": new.reason,
            "StateChangeTime": _iso(new.updated_ms),
            "Region": _REGIONS.get(region, region),
            "AlarmArn": arn,
            "OldStateValue": old.value,
            "OKActions": c.get("OKActions", []),
            "AlarmActions": c.get("AlarmActions", []),
            "InsufficientDataActions": c.get("InsufficientDataActions", []),
            "Trigger": {
                "MetricName": watched.metric.name,
                "Namespace": watched.metric.namespace,
                "StatisticType": "ExtendedStatistic" if watched.stat[:1] == "p" else "Statistic",
                "Statistic": watched.stat.upper() if watched.stat[:1] != "p" else watched.stat,
                "Unit": watched.unit,
                "Dimensions": [{"value": v, "name": n} for n, v in dims],
                "Period": watched.period,
                "EvaluationPeriods": c["EvaluationPeriods"],
                "DatapointsToAlarm": c.get("DatapointsToAlarm", c["EvaluationPeriods"]),
                "ComparisonOperator": c["ComparisonOperator"],
                "Threshold": float(c["Threshold"]),
                "TreatMissingData": c.get("TreatMissingData", "missing"),
                "EvaluateLowSampleCountPercentile": c.get("EvaluateLowSampleCountPercentile", ""),
            },
        }
        if watched.queries:  # (AWS's notification names the queries instead of one metric)
            for key in ("MetricName", "Namespace", "StatisticType", "Statistic", "Unit",
                        "Dimensions"):  # fmt: skip
                notification["Trigger"].pop(key)
            notification["Trigger"]["Metrics"] = list(watched.queries)
        detail = {
            "alarmName": alarm.name,
            "state": _state_detail(new),
            "previousState": _state_detail(old),
            "configuration": {
                "description": c.get("AlarmDescription"),
                "metrics": _detail_metrics(watched),
            },
        }  # fmt: skip
        event = {"source": "aws.cloudwatch", "alarmArn": arn,
                 "accountId": self.settings.account_id, "time": _iso(new.updated_ms),
                 "region": region, "alarmData": detail}  # fmt: skip
        subject = f'{new.value}: "{alarm.name}" in {_REGIONS.get(region, region)}'
        return Change(arn, subject[:100], notification, event, detail)

    def _metrics_written(self, keys: set[str]) -> None:
        self._due |= keys
        self._woken.set()


_ACTIONS_OF = {ALARM: "AlarmActions", OK: "OKActions", INSUFFICIENT: "InsufficientDataActions"}


def watched_of(config: dict[str, Any]) -> Watched:
    """The metric, period and statistic an alarm reads (from its members or its one query)."""
    try:
        return _watched(config)
    except (KeyError, TypeError) as exc:  # (a template's members, which no model checked)
        raise MissingParameter(f"The alarm's metric lacks a member: {exc}") from None


def _watched(config: dict[str, Any]) -> Watched:
    queries = config.get("Metrics")
    if queries:
        return _watched_queries(queries)
    for member in ("MetricName", "Namespace", "Period"):
        if member not in config:
            raise MissingParameter(f"The parameter {member} is required.")
    if ("Statistic" in config) == ("ExtendedStatistic" in config):
        raise InvalidCombination(
            "Exactly one of the parameters Statistic and ExtendedStatistic must be specified."
        )
    dims = [(d["Name"], d["Value"]) for d in config.get("Dimensions", ())]
    stat = config.get("Statistic") or config["ExtendedStatistic"]
    watched = metric(config["Namespace"], config["MetricName"], dims)
    return Watched(watched, config["Period"], stat, config.get("Unit"),
                   keys=frozenset({watched.key}))  # fmt: skip


def _watched_queries(queries: list[dict[str, Any]]) -> Watched:
    returned = [q for q in queries if q.get("ReturnData", True)]
    stats = [q for q in queries if "MetricStat" in q]
    if len(returned) != 1:
        raise Invalid("Exactly one query of Metrics must have ReturnData true.")
    if not stats:
        raise Invalid("Metrics must read at least one metric (a MetricStat query).")
    if any("MetricStat" not in q and "Expression" not in q for q in queries):
        raise MissingParameter("Each query of Metrics must name MetricStat or Expression.")
    read = []
    for q in stats:
        m = q["MetricStat"]["Metric"]
        dims = [(d["Name"], d["Value"]) for d in m.get("Dimensions", ())]
        read.append(metric(m["Namespace"], m["MetricName"], dims))
    periods = {q["MetricStat"]["Period"] for q in stats} | {
        q["Period"] for q in queries if "Expression" in q and "Period" in q
    }
    if len(periods) != 1:
        raise Invalid("Every query of an alarm's Metrics must have the same Period.")
    judged = returned[0]
    stat = judged["MetricStat"]["Stat"] if "MetricStat" in judged else "Expression"
    unit = judged["MetricStat"].get("Unit") if "MetricStat" in judged else None
    return Watched(read[0], periods.pop(), stat, unit, tuple(queries), judged["Id"],
                   frozenset(m.key for m in read))  # fmt: skip


def _check(config: dict[str, Any], watched: Watched) -> None:
    if "Metrics" in config and any(k in config for k in ("MetricName", "Namespace", "Period")):
        raise InvalidCombination(
            "The parameters Metrics and MetricName/Namespace/Period are mutually exclusive."
        )
    for q in watched.queries:
        if "MetricStat" in q:
            check_stat(q["MetricStat"]["Stat"])
    if not watched.queries:
        check_stat(watched.stat)
    period = period_of(watched.period)
    if period not in (10, 30) and period % 60:
        raise Invalid("The parameter Period must be 10, 30 or a multiple of 60 for an alarm.")
    operator = config.get("ComparisonOperator")
    if operator is None or "ThresholdMetricId" in config:
        raise MissingParameter("The parameters ComparisonOperator and Threshold are required "
                               "(Stratus does not evaluate anomaly detection bands).")  # fmt: skip
    if operator not in evaluate.COMPARISONS:
        raise Invalid(f"The value {operator} for parameter ComparisonOperator is not "
                      "supported without an anomaly detection band.")  # fmt: skip
    if "Threshold" not in config:
        raise MissingParameter("The parameter Threshold is required.")
    if "EvaluationPeriods" not in config:
        raise MissingParameter("The parameter EvaluationPeriods is required.")
    periods = config["EvaluationPeriods"]
    if config.get("DatapointsToAlarm", periods) > periods:
        raise Invalid("DatapointsToAlarm must be less than or equal to EvaluationPeriods.")
    if period * periods > MAX_SPAN_SECONDS:
        raise Invalid("The product of Period and EvaluationPeriods must not exceed 7 days "
                      f"({MAX_SPAN_SECONDS} seconds).")  # fmt: skip
    treat = config.get("TreatMissingData", "missing")
    if treat not in evaluate.TREATMENTS:
        raise Invalid(f"The value {treat} for parameter TreatMissingData is not one of "
                      f"{', '.join(evaluate.TREATMENTS)}.")  # fmt: skip
    for member in _ACTIONS_OF.values():
        arns = config.get(member, [])
        if len(arns) > MAX_ACTIONS:
            raise LimitExceeded(f"The maximum number of {member} is {MAX_ACTIONS}.")
        for arn in arns:
            parts = arn.split(":")
            if len(parts) < 6 or parts[0] != "arn" or parts[2] not in ACTION_SERVICES:
                raise Invalid(
                    f"Invalid arn syntax: {arn}. Stratus performs alarm actions on SNS topics "
                    "(arn:aws:sns:…) and Lambda functions (arn:aws:lambda:…)."
                )


def describe_config(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k not in ("ConfigUpdated", "Tags")}


def _detail_metrics(watched: Watched) -> list[dict[str, Any]]:
    """The alarm's queries as the Lambda event and EventBridge name them (camelCase)."""
    m = watched.metric
    dims = [{"Name": n, "Value": v} for n, v in m.dimensions]
    queries = watched.queries or (
        {"Id": "m1", "ReturnData": True, "MetricStat": {
            "Metric": {"Namespace": m.namespace, "MetricName": m.name, "Dimensions": dims},
            "Period": watched.period, "Stat": watched.stat}},
    )  # fmt: skip
    found = []
    for q in queries:
        item: dict[str, Any] = {"id": q["Id"], "returnData": q.get("ReturnData", True)}
        if "Expression" in q:
            item["expression"] = q["Expression"]
            item["label"] = q.get("Label", q["Id"])
        if "MetricStat" in q:
            stat, read = q["MetricStat"], q["MetricStat"]["Metric"]
            named = {d["Name"]: d["Value"] for d in read.get("Dimensions", ())}
            item["metricStat"] = {"metric": {"namespace": read["Namespace"],
                                             "name": read["MetricName"], "dimensions": named},
                                  "period": stat["Period"], "stat": stat["Stat"]}  # fmt: skip
        found.append(item)
    return found


def _state_detail(state: State) -> dict[str, Any]:
    found: dict[str, Any] = {"value": state.value, "reason": state.reason,
                             "timestamp": _iso(state.updated_ms)}  # fmt: skip
    if state.reason_data:
        found["reasonData"] = state.reason_data
    return found


def _iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()
