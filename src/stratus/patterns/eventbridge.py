"""EventBridge event patterns: PutRule's EventPattern and TestEventPattern's answer.

A pattern is at most 4,096 characters (PutRule's limit). A pattern AWS cannot compile is
InvalidPattern (AWS's InvalidEventPatternException), "Event pattern is not valid. Reason:
<why>"; AWS appends the parser's position (" at [Source: ...; line: 1, column: 9]"), which
we leave out.

TestEventPattern's event must be a JSON object holding the fields every event has (id,
account, source, time, region, resources, detail-type); otherwise the answer is
InvalidPattern too, "Parameter Event is not valid." (the operation has no other
error).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from stratus.errors import InvalidPattern, Validation
from stratus.patterns.compiler import Dialect, PatternError, compile_rule, parse_json
from stratus.patterns.matchers import NumericDomain
from stratus.patterns.rule import Rule

MAX_PATTERN_LENGTH = 4096
MANDATORY_EVENT_FIELDS = ("id", "account", "source", "time", "region", "resources", "detail-type")
EVENTBRIDGE = Dialect(NumericDomain(Decimal("5e9"), 6), limit_text="5.0E9")


def parse_event_pattern(text: str) -> Rule:
    if len(text) > MAX_PATTERN_LENGTH:
        raise Validation(
            "1 validation error detected: Value at 'eventPattern' failed to satisfy "
            f"constraint: Member must have length less than or equal to {MAX_PATTERN_LENGTH}"
        )
    try:
        return compile_rule(parse_json(text), EVENTBRIDGE)
    except (PatternError, ValueError) as exc:
        raise InvalidPattern(f"Event pattern is not valid. Reason: {exc}") from exc


def event_pattern_matches(pattern: str, event: str) -> bool:
    """TestEventPattern: does this event (JSON text) match this pattern (JSON text)?"""
    rule = parse_event_pattern(pattern)
    try:
        document = parse_json(event)
    except ValueError as exc:
        raise InvalidPattern("Parameter Event is not valid.") from exc
    if not isinstance(document, Mapping) or not all(
        field in document for field in MANDATORY_EVENT_FIELDS
    ):
        raise InvalidPattern("Parameter Event is not valid.")
    return rule.matches(document)
