"""GetModelTemplate: the mapping template API Gateway drafts from a model, a Velocity
template that copies each property of the schema from the request body (`$inputRoot`),
quoting strings and looping over arrays with #foreach, as the console offers it:

    #set($inputRoot = $input.path('$'))
    {
      "name" : "$inputRoot.name",
      "tags" : [
    #foreach($elem in $inputRoot.tags)
        "$elem"#if($foreach.hasNext),#end
    #end
      ]
    }

References to other models of the API (`$ref` ending in `/models/<name>` or `#/definitions/`
<name>) are followed, once each (a model that refers to itself stops there). Pure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_ELEMENT = re.compile(r"^\$elem(\d*)\b")
_SCALARS = {"string": True, "number": False, "integer": False, "boolean": False}


def model_template(schema_text: str, models: Mapping[str, str]) -> str:
    """The template for the model whose schema is `schema_text`; `models` maps the API's
    model names to their schemas."""
    schema = json.loads(schema_text or "{}")
    lines = ["#set($inputRoot = $input.path('$'))"]
    lines += _value(schema, "$inputRoot", "", models, frozenset())
    return "\n".join(lines)


def _resolve(
    schema: Any, models: Mapping[str, str], seen: frozenset[str]
) -> tuple[dict[str, Any], frozenset[str]]:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if not isinstance(ref, str):
        return (schema if isinstance(schema, dict) else {}), seen
    name = ref.rstrip("/").rsplit("/", 1)[-1]
    if name in seen or name not in models:
        return {}, seen
    return _resolve(json.loads(models[name] or "{}"), models, seen | {name})


def _value(
    schema: Any, source: str, indent: str, models: Mapping[str, str], seen: frozenset[str]
) -> list[str]:
    schema, seen = _resolve(schema, models, seen)
    kind = schema.get("type")
    if kind == "array":
        outer = _ELEMENT.match(source)  # arrays in arrays: $elem, $elem2, $elem3...
        element = f"$elem{int(outer.group(1) or 1) + 1}" if outer else "$elem"
        inner = _value(schema.get("items") or {}, element, indent + "    ", models, seen)
        inner[-1] += "#if($foreach.hasNext),#end"
        return [f"{indent}[", f"#foreach({element} in {source})", *inner, "#end", f"{indent}]"]
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        lines = [f"{indent}{{"]
        for index, (name, member) in enumerate(properties.items()):
            inner = _value(member, f"{source}.{name}", indent + "  ", models, seen)
            inner[0] = f'{indent}  "{name}" : {inner[0].lstrip()}'
            if index < len(properties) - 1:
                inner[-1] += ","
            lines += inner
        return [*lines, f"{indent}}}"]
    quoted = _SCALARS.get(kind, False) if isinstance(kind, str) else False
    return [f'{indent}"{source}"' if quoted else f"{indent}{source}"]
