"""Lifecycle configurations: checked as S3 checks them, and which of a bucket's objects,
versions, delete markers and uploads a configuration's rules have made due (pure: no I/O;
lifecycle_sweeper.py acts on it).

As S3 counts (its "Lifecycle configuration elements" and "Expiring objects" pages):
- Expiration Days: the object's creation time plus the days, rounded up to the next midnight
  UTC; Date: from that midnight on. On a versioned bucket the current version gets a delete
  marker instead of going.
- NoncurrentVersionExpiration NoncurrentDays: from when the version stopped being current
  (its successor's creation), rounded up likewise; NewerNoncurrentVersions keeps that many
  of the newest noncurrent versions whatever their age.
- ExpiredObjectDeleteMarker: a delete marker that is the key's only version goes (so does
  one under a rule with Expiration Days, as S3 does).
- AbortIncompleteMultipartUpload DaysAfterInitiation: uploads started that long ago.
- Transitions (storage classes) are stored and answered but change nothing: Stratus keeps
  every object STANDARD and readable.
A rule applies when Enabled and its filter (Prefix, Tag, ObjectSizeGreaterThan/LessThan,
or And of them; or the legacy rule-level Prefix) matches.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .errors import InvalidArgument, InvalidRequest, MalformedXml

DAY = 86_400.0
MAX_RULES = 1000
_ACTIONS = (
    "Expiration",
    "Transitions",
    "NoncurrentVersionExpiration",
    "NoncurrentVersionTransitions",
    "AbortIncompleteMultipartUpload",
)


@dataclass(frozen=True, slots=True)
class Version:
    """One row of a key's history, as the sweep reads it (newest first per key)."""

    key: str
    version_id: str
    delete_marker: bool
    size: int
    modified: float
    tags: Mapping[str, str]


def check_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """PutBucketLifecycleConfiguration's configuration, as S3 refuses it; the one to store."""
    rules = list(config.get("Rules") or ())
    if not rules:
        raise MalformedXml()
    if len(rules) > MAX_RULES:
        raise InvalidRequest(f"The number of lifecycle rules must not exceed {MAX_RULES}")
    ids = [r.get("ID") for r in rules if r.get("ID")]
    if len(ids) != len(set(ids)):
        raise InvalidArgument("Rule ID must be unique. Found same ID for more than one rule")
    for rule in rules:
        _check_rule(rule)
    return {"Rules": [_stored(r) for r in rules]}


def _stored(rule: Mapping[str, Any]) -> dict[str, Any]:
    """The rule with its dates as epoch seconds (what the answers' timestamps are made of)."""
    out = dict(rule)
    if (out.get("Expiration") or {}).get("Date") is not None:
        out["Expiration"] = {**out["Expiration"], "Date": _epoch(out["Expiration"]["Date"])}
    if out.get("Transitions"):
        out["Transitions"] = [
            {**t, "Date": _epoch(t["Date"])} if t.get("Date") is not None else dict(t)
            for t in out["Transitions"]
        ]
    return out


def _check_rule(rule: Mapping[str, Any]) -> None:
    if rule.get("Status") not in ("Enabled", "Disabled"):
        raise MalformedXml()
    if len(rule.get("ID") or "") > 255:
        raise InvalidArgument("ID length should not exceed allowed limit of 255")
    if rule.get("Filter") is not None and rule.get("Prefix") is not None:
        raise MalformedXml()
    if not any(rule.get(action) for action in _ACTIONS):
        raise InvalidRequest("At least one action needs to be specified in a rule")
    tagged = bool(_tags(rule))
    expiration = rule.get("Expiration") or {}
    given = [k for k in ("Days", "Date", "ExpiredObjectDeleteMarker") if k in expiration]
    if expiration and len(given) != 1:
        raise MalformedXml()
    if "Days" in expiration and int(expiration["Days"]) <= 0:
        raise InvalidArgument("'Days' for Expiration action must be a positive integer")
    if "Date" in expiration and _epoch(expiration["Date"]) % DAY:
        raise InvalidArgument("'Date' must be at midnight GMT")
    if expiration.get("ExpiredObjectDeleteMarker") and tagged:
        raise InvalidRequest("ExpiredObjectDeleteMarker cannot be specified with tags.")
    noncurrent = rule.get("NoncurrentVersionExpiration") or {}
    if noncurrent and int(noncurrent.get("NoncurrentDays") or 0) <= 0:
        raise InvalidArgument(
            "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"
        )
    abort = rule.get("AbortIncompleteMultipartUpload") or {}
    if abort and tagged:
        raise InvalidRequest("AbortIncompleteMultipartUpload cannot be specified with Tags.")
    if abort and int(abort.get("DaysAfterInitiation") or 0) <= 0:
        raise InvalidArgument(
            "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a "
            "positive integer"
        )


def _filter(rule: Mapping[str, Any]) -> Mapping[str, Any]:
    given = rule.get("Filter")
    if given is None:
        return {"Prefix": rule.get("Prefix") or ""}
    found: Mapping[str, Any] = given.get("And") or given
    return found


def _tags(rule: Mapping[str, Any]) -> dict[str, str]:
    conditions = _filter(rule)
    listed = conditions.get("Tags") or ([conditions["Tag"]] if conditions.get("Tag") else [])
    return {t["Key"]: t["Value"] for t in listed}


def applies(rule: Mapping[str, Any], key: str, size: int, tags: Mapping[str, str]) -> bool:
    if rule.get("Status") != "Enabled":
        return False
    conditions = _filter(rule)
    if not key.startswith(conditions.get("Prefix") or ""):
        return False
    if any(tags.get(k) != v for k, v in _tags(rule).items()):
        return False
    above, below = conditions.get("ObjectSizeGreaterThan"), conditions.get("ObjectSizeLessThan")
    return (above is None or size > int(above)) and (below is None or size < int(below))


def next_midnight(moment: float) -> float:
    return math.ceil(moment / DAY) * DAY


def expires_at(rule: Mapping[str, Any], created: float) -> float | None:
    """When a current object this rule applies to expires (None: the rule does not expire
    current objects)."""
    expiration = rule.get("Expiration") or {}
    if expiration.get("Days") is not None:
        return next_midnight(created + int(expiration["Days"]) * DAY)
    if expiration.get("Date") is not None:
        return _epoch(expiration["Date"])
    return None


def due_versions(
    rules: Sequence[Mapping[str, Any]], history: Sequence[Version], now: float
) -> tuple[bool, list[str]]:
    """For one key's versions (newest first): whether the current one expires now, and the
    ids of noncurrent versions and delete markers to remove for good."""
    if not history:
        return False, []
    current = history[0]
    expire = not current.delete_marker and any(
        (at := expires_at(r, current.modified)) is not None and at <= now
        for r in rules
        if applies(r, current.key, current.size, current.tags)
    )
    gone: list[str] = []
    for rule in rules:
        limit = rule.get("NoncurrentVersionExpiration") or {}
        if not limit:
            continue
        days, keep = int(limit["NoncurrentDays"]), int(limit.get("NewerNoncurrentVersions") or 0)
        # A noncurrent version stopped being current when the version after it was made.
        for index in range(1, len(history)):
            version, successor = history[index], history[index - 1]
            if (
                index > keep
                and applies(rule, version.key, version.size, version.tags)
                and next_midnight(successor.modified + days * DAY) <= now
            ):
                gone.append(version.version_id)
    if current.delete_marker and len(history) - len(set(gone)) == 1:
        marker_rules = [r for r in rules if applies(r, current.key, 0, {})]
        if any(
            (r.get("Expiration") or {}).get("ExpiredObjectDeleteMarker") is True
            or (r.get("Expiration") or {}).get("Days") is not None
            for r in marker_rules
        ):
            gone.append(current.version_id)
    return expire, list(dict.fromkeys(gone))


def upload_due(rules: Sequence[Mapping[str, Any]], key: str, initiated: float, now: float) -> bool:
    for rule in rules:
        abort = rule.get("AbortIncompleteMultipartUpload") or {}
        days = int(abort.get("DaysAfterInitiation") or 0)
        if abort and applies(rule, key, 0, {}) and next_midnight(initiated + days * DAY) <= now:
            return True
    return False


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, int | float):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
