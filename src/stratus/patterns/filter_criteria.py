"""Lambda event filtering: an event source mapping's FilterCriteria keeps or drops a record.

A record is kept when any filter matches it (filters are OR-ed); with no filters every
record is kept. Patterns use the EventBridge language and are matched against the record
as Lambda shows it to the function, with the payload decoded:

- SQS: the whole record; `body` is the parsed JSON when the body is a JSON object or
  array, else the plain string.
- Kinesis: the `kinesis` member of the record; `data` is base64-decoded and parsed when it
  is JSON.
- DynamoDB Streams: the whole record (its `dynamodb` member is JSON already).

AWS's table for payloads and patterns: a JSON payload with a plain-string pattern on it is
dropped, and so is a non-JSON payload with a JSON (nested) pattern on it; a non-JSON
Kinesis `data` matches no pattern on `data` at all. Patterns are at most 4,096 characters
(the API's limit) and a mapping holds at most 5 filters (AWS's default quota).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from stratus.errors import Invalid, InvalidPattern, Validation
from stratus.patterns.compiler import PatternError, compile_rule, parse_json
from stratus.patterns.eventbridge import EVENTBRIDGE
from stratus.patterns.rule import Rule

MAX_FILTERS = 5
MAX_PATTERN_LENGTH = 4096


class EventSource(StrEnum):
    SQS = "aws:sqs"
    KINESIS = "aws:kinesis"
    DYNAMODB = "aws:dynamodb"


# The member of the record's view that carries the (encoded) payload.
_PAYLOAD = {EventSource.SQS: "body", EventSource.KINESIS: "data"}


@dataclass(frozen=True, slots=True)
class FilterCriteria:
    rules: tuple[Rule, ...] = ()

    def keeps(self, record: Mapping[str, object], source: EventSource) -> bool:
        if not self.rules:
            return True
        view, payload_is_json = _view(record, source)
        return any(_matches(rule, view, source, payload_is_json) for rule in self.rules)


def parse_filter_criteria(patterns: Sequence[str]) -> FilterCriteria:
    """FilterCriteria.Filters[].Pattern, validated as CreateEventSourceMapping does."""
    if len(patterns) > MAX_FILTERS:
        raise Invalid(
            f"The FilterCriteria holds {len(patterns)} filters; an event source mapping "
            f"accepts at most {MAX_FILTERS}."
        )
    rules = []
    for index, pattern in enumerate(patterns, start=1):
        if len(pattern) > MAX_PATTERN_LENGTH:
            raise Validation(
                "1 validation error detected: Value at "
                f"'filterCriteria.filters.{index}.member.pattern' failed to satisfy "
                f"constraint: Member must have length less than or equal to {MAX_PATTERN_LENGTH}"
            )
        try:
            rules.append(compile_rule(parse_json(pattern), EVENTBRIDGE))
        except (PatternError, ValueError) as exc:
            raise InvalidPattern("Invalid filter pattern definition.") from exc
    return FilterCriteria(tuple(rules))


def keeps(record: Mapping[str, object], patterns: Sequence[str], source: EventSource) -> bool:
    """Keep (True) or drop this record under these filter patterns. A mapping that filters
    many records parses its patterns once (parse_filter_criteria) and asks `keeps` on that."""
    return parse_filter_criteria(patterns).keeps(record, source)


def _view(record: Mapping[str, object], source: EventSource) -> tuple[dict[str, object], bool]:
    """The record as patterns see it, and whether its payload is JSON."""
    if source is EventSource.DYNAMODB:
        return dict(record), True
    if source is EventSource.SQS:
        view = dict(record)
        decoded = _json(view.get("body"))
    else:
        inner = record.get("kinesis")
        view = dict(inner) if isinstance(inner, Mapping) else {}
        decoded = _json(_base64(view.get("data")))
    key = _PAYLOAD[source]
    if decoded is not None:
        view[key] = decoded
    return view, decoded is not None


def _matches(rule: Rule, view: Mapping[str, object], source: EventSource, is_json: bool) -> bool:
    key = _PAYLOAD.get(source)
    if key is not None and not is_json:
        if _names(rule, key, nested=True):
            return False  # a JSON pattern on a payload that is not JSON
        if source is EventSource.KINESIS and _names(rule, key, nested=False):
            return False  # non-JSON Kinesis data matches no pattern on it
    return rule.matches(view)


def _names(rule: Rule, key: str, nested: bool) -> bool:
    """Whether the rule (or one of its top-level $or branches) has a nested/leaf `key`."""
    fields = rule.nested if nested else rule.leaves
    return any(name == key for name, _ in fields) or any(
        _names(branch, key, nested) for group in rule.any_of for branch in group
    )


def _json(text: object) -> object | None:
    """A JSON object or array parsed from text; None for anything else."""
    if not isinstance(text, str):
        return None
    try:
        document = parse_json(text)
    except ValueError:
        return None
    return document if isinstance(document, dict | list) else None


def _base64(data: object) -> str | None:
    if not isinstance(data, str):
        return None
    try:
        return base64.b64decode(data, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
