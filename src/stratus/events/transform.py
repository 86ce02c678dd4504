"""What a rule's target receives: the event, Input, InputPath or an InputTransformer's output.

A target has at most one of Input (constant JSON text), InputPath (a JSON path into the
event) and InputTransformer; with none it receives the event.

InputTransformer: InputPathsMap (≤ 100 entries, keys `[A-Za-z0-9_-]+`, values JSON paths)
defines variables; InputTemplate (1-8,192 characters) uses them as `<name>`, beside the
predefined `<aws.events.rule-arn>`, `<aws.events.rule-name>`,
`<aws.events.event.ingestion-time>`, `<aws.events.event>` (the event without `detail`) and
`<aws.events.event.json>` (the whole event). Substitution follows AWS's rules:

- A template that starts with `{` or `[` is a JSON template. There a placeholder outside
  quotes becomes the value's JSON (`{"id": <id>}` → `{"id": "i-1"}`), and one inside a
  JSON string becomes its text: strings unquoted and unescaped (AWS does not escape them),
  objects and arrays as JSON with their inner quotes removed (`"Detail is <d>"` →
  `"Detail is {key1: value1}"`).
- Any other template is text, and every placeholder becomes its text as above.
- The output of a JSON template is passed minified.
- A variable whose path reaches nothing is empty text (`null` as a bare JSON value, so a
  JSON template stays JSON; AWS leaves the variable undefined). `<name>` for a name that
  is no variable stays as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from stratus.errors import Validation
from stratus.events.jsonpath import MISSING, JsonPath, JsonPathError, parse_path

MAX_PATHS = 100
MAX_TEMPLATE = 8192
MAX_INPUT = 8192
LOG_RECORD = frozenset({"timestamp", "message"})  # what a log group target's template makes
_KEY = re.compile(r"[A-Za-z0-9_\-]{1,256}")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_\-.]+)>")
PREDEFINED = frozenset(
    {"aws.events.rule-arn", "aws.events.rule-name", "aws.events.event.ingestion-time",
     "aws.events.event", "aws.events.event.json"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What the predefined variables name: the rule and when the event arrived."""

    rule_name: str
    rule_arn: str
    ingestion_time: str  # ISO 8601, e.g. 2024-01-01T00:00:00Z


@dataclass(frozen=True, slots=True)
class InputTransformer:
    paths: Mapping[str, JsonPath]
    template: str

    def render(self, event: Mapping[str, object], context: RuleContext) -> str:
        values = {name: path.select(event) for name, path in self.paths.items()}
        values |= {
            "aws.events.rule-arn": context.rule_arn,
            "aws.events.rule-name": context.rule_name,
            "aws.events.event.ingestion-time": context.ingestion_time,
            "aws.events.event": {key: v for key, v in event.items() if key != "detail"},
            "aws.events.event.json": dict(event),
        }
        json_template = self.template.lstrip()[:1] in ("{", "[")
        text = _substitute(self.template, values, json_template)
        return _minified(text) if json_template else text

    def members(self) -> frozenset[str] | None:
        """The member names of a template that is a JSON object (its placeholders read as
        null), None for any other template."""
        try:
            shape = json.loads(_PLACEHOLDER.sub("null", self.template))
        except ValueError:
            return None
        return frozenset(shape) if isinstance(shape, dict) else None


@dataclass(frozen=True, slots=True)
class TargetInput:
    """One target's input setting; render() is the text the target receives."""

    constant: str | None = None
    path: JsonPath | None = None
    transformer: InputTransformer | None = None

    def render(self, event: Mapping[str, object], context: RuleContext) -> str:
        if self.constant is not None:
            return self.constant
        if self.path is not None:
            return _json(self.path.select(event))
        if self.transformer is not None:
            return self.transformer.render(event, context)
        return _json(event)


def parse_target_input(
    constant: str | None = None,
    path: str | None = None,
    transformer: Mapping[str, object] | None = None,
) -> TargetInput:
    """Input / InputPath / InputTransformer as PutTargets takes them, validated."""
    if sum(setting is not None for setting in (constant, path, transformer)) > 1:
        raise Validation("Only one of Input, InputPath, or InputTransformer must be provided.")
    if constant is not None:
        if len(constant) > MAX_INPUT or not _is_json(constant):
            raise Validation("Input must be valid JSON text of at most 8192 characters.")
        return TargetInput(constant=constant)
    if path is not None:
        return TargetInput(path=_path("InputPath", path))
    if transformer is not None:
        return TargetInput(transformer=parse_input_transformer(transformer))
    return TargetInput()


def log_record_refusal(given: TargetInput) -> str | None:
    """Why a CloudWatch Logs target cannot take this input setting (None if it can). Such a
    target writes the event, or the record an InputTransformer makes, which must be
    {"timestamp": ..., "message": ...} (AWS's rule); Input and InputPath it does not take."""
    if given.transformer is not None and given.transformer.members() == LOG_RECORD:
        return None
    if given.transformer is None and given.constant is None and given.path is None:
        return None
    return (
        "A CloudWatch Logs target takes the event, or an InputTransformer whose InputTemplate "
        'is {"timestamp": <timestamp>, "message": <message>}; not Input, InputPath or other '
        "templates."
    )


def parse_input_transformer(settings: Mapping[str, object]) -> InputTransformer:
    template = settings.get("InputTemplate")
    if not isinstance(template, str) or not 1 <= len(template) <= MAX_TEMPLATE:
        raise Validation(
            f"InputTransformer needs an InputTemplate of 1 to {MAX_TEMPLATE} characters."
        )
    paths_map = settings.get("InputPathsMap") or {}
    if not isinstance(paths_map, Mapping):
        raise Validation("InputPathsMap must map variable names to JSON paths.")
    if len(paths_map) > MAX_PATHS:
        raise Validation(f"InputPathsMap holds {len(paths_map)} entries; at most {MAX_PATHS}.")
    paths: dict[str, JsonPath] = {}
    for key, value in paths_map.items():
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise Validation(f"InputPathsMap key {key!r} must be 1 to 256 of A-Z a-z 0-9 _ and -.")
        if not isinstance(value, str):
            raise Validation(f"InputPathsMap value for {key} must be a JSON path string.")
        paths[key] = _path(f"InputPathsMap[{key}]", value)
    return InputTransformer(paths, template)


def _path(where: str, text: str) -> JsonPath:
    if len(text) > 256:
        raise Validation(f"{where} is longer than 256 characters.")
    try:
        return parse_path(text)
    except JsonPathError as exc:
        raise Validation(f"{where}: {exc}") from exc


def _substitute(template: str, values: Mapping[str, object], json_template: bool) -> str:
    out: list[str] = []
    in_string = False
    position = 0
    while position < len(template):
        char = template[position]
        found = _PLACEHOLDER.match(template, position) if char == "<" else None
        if found is not None and found.group(1) in values:
            value = values[found.group(1)]
            bare = json_template and not in_string
            out.append(_json(value) if bare else _text(value))
            position = found.end()
            continue
        if char == "\\":
            out.append(template[position : position + 2])
            position += 2
            continue
        if char == '"':
            in_string = not in_string
        out.append(char)
        position += 1
    return "".join(out)


def _text(value: object) -> str:
    if value is MISSING:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return _json(value).replace('"', "")
    return _json(value)


def _json(value: object) -> str:
    if value is MISSING:
        return "null"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _minified(text: str) -> str:
    """AWS passes a JSON template's output minified; text that is not JSON stays as it is."""
    try:
        return _json(json.loads(text))
    except ValueError:
        return text


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
