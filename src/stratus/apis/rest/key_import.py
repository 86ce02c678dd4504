"""ImportApiKeys: API keys from a CSV file in API Gateway's "API key file format".

The first row names the columns, in any order and any case: Name and Key are required;
Description, Enabled (true unless it says false) and UsagePlanIds (the plans to add the key
to, comma-separated inside double quotes) are optional; other columns are ignored. A key
whose value exists already is overwritten (name, enabled, and description when given), as on
AWS. Every row is checked, and every plan named found, before any key is written.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from stratus.errors import Invalid, NotFound

from ..shape import parse_request
from .keys import ApiKeys
from .plans import UsagePlans
from .requests import CreateApiKeyRequest, CreateUsagePlanKeyRequest, PatchOperation


@dataclass(frozen=True, slots=True)
class KeyRow:
    """One row of the file: the key, and the usage plans it joins."""

    request: CreateApiKeyRequest
    plans: tuple[str, ...]


def parse_key_file(document: bytes) -> list[KeyRow]:
    """The rows of an API key file; Invalid, naming the line, for one that cannot be used."""
    try:
        text = document.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("Invalid API key file: it is not UTF-8 text") from None
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        raise Invalid("Invalid API key file: it is empty; send a header row and a row per key")
    header = [cell.strip().lower() for cell in rows[0]]
    if not {"name", "key"} <= set(header):
        raise Invalid("Invalid API key file: the header row must name the Name and Key columns")
    return [
        _row(dict(zip(header, row, strict=False)), line) for line, row in enumerate(rows[1:], 2)
    ]


def _row(cells: dict[str, str], line: int) -> KeyRow:
    enabled = cells.get("enabled", "").strip().lower() or "true"
    if enabled not in ("true", "false"):
        raise Invalid(f"Invalid API key file, line {line}: Enabled must be true or false")
    fields = {
        "name": cells.get("name", "").strip(),
        "value": cells.get("key", "").strip(),
        "description": cells.get("description", "").strip() or None,
        "enabled": enabled == "true",
    }
    try:
        request = parse_request(CreateApiKeyRequest, fields)
    except Invalid as exc:
        raise Invalid(f"Invalid API key file, line {line}: {exc.message}") from None
    if not request.value:
        raise Invalid(f"Invalid API key file, line {line}: the Key is empty")
    plans = tuple(p.strip() for p in cells.get("usageplanids", "").split(",") if p.strip())
    return KeyRow(request, plans)


def _overwrite(request: CreateApiKeyRequest) -> list[PatchOperation]:
    values = {"/name": request.name, "/enabled": "true" if request.enabled else "false"}
    if request.description is not None:  # else the key keeps its own
        values["/description"] = request.description
    return [PatchOperation(op="replace", path=path, value=v) for path, v in values.items()]


async def import_api_keys(keys: ApiKeys, plans: UsagePlans, document: bytes) -> list[str]:
    """Create (or overwrite) the file's keys and add them to their plans; their ids."""
    rows = parse_key_file(document)
    for plan_id in sorted({p for row in rows for p in row.plans}):
        await plans.get(plan_id)  # NotFound before anything is written
    ids = []
    for row in rows:
        assert row.request.value is not None  # _row refuses a row without one
        found = await keys.find(row.request.value)
        if found is None:
            key_id = (await keys.create(row.request)).id
        else:
            key_id = (await keys.update(found.id, _overwrite(row.request))).id
        for plan_id in row.plans:
            try:
                await plans.get_key(plan_id, key_id)
            except NotFound:
                await plans.add_key(
                    plan_id, CreateUsagePlanKeyRequest(keyId=key_id, keyType="API_KEY")
                )
        ids.append(key_id)
    return ids
