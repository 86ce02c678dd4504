"""API documentation of REST APIs: documentation parts (a JSON map of properties attached to
one location of the API: the API, a resource, a method, a parameter, a response...) and
documentation versions (a frozen copy of all parts, which a stage may name).

A location is typed; which of `path`, `method`, `statusCode` and `name` it takes depends on
the type, as on AWS:

    API                                                     nothing else
    AUTHORIZER, MODEL                                       name
    RESOURCE                                                path
    METHOD, REQUEST_BODY                                    path, method
    PATH_PARAMETER, QUERY_PARAMETER, REQUEST_HEADER         path, method, name
    RESPONSE, RESPONSE_BODY                                 path, method, statusCode
    RESPONSE_HEADER                                         path, method, statusCode, name

`path` defaults to "/", `method` and `statusCode` to "*" (every method, every status); a
name is required where it is taken. One part per location (ConflictException otherwise).
Parts are stored for what they say; they are not checked against the API's resources,
as AWS does not either (a part may document what does not exist yet).

ImportDocumentationParts reads `x-amazon-apigateway-documentation.documentationParts` of an
OpenAPI document: `overwrite` replaces every part, `merge` adds new locations and replaces
the properties of known ones.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, Literal

import yaml

from stratus.errors import Conflict, Invalid

from ..shape import Shape, parse_request
from .patch import SET, apply_patch, field
from .requests import Patch
from .store import STAGES, Kind, Parts, RestStore, page

LocationType = Literal[
    "API", "AUTHORIZER", "MODEL", "RESOURCE", "METHOD", "PATH_PARAMETER", "QUERY_PARAMETER",
    "REQUEST_HEADER", "REQUEST_BODY", "RESPONSE", "RESPONSE_HEADER", "RESPONSE_BODY",
]  # fmt: skip
# What each type of location takes besides its type.
_TAKES: dict[str, frozenset[str]] = {
    "API": frozenset(),
    "AUTHORIZER": frozenset({"name"}),
    "MODEL": frozenset({"name"}),
    "RESOURCE": frozenset({"path"}),
    "METHOD": frozenset({"path", "method"}),
    "REQUEST_BODY": frozenset({"path", "method"}),
    "PATH_PARAMETER": frozenset({"path", "method", "name"}),
    "QUERY_PARAMETER": frozenset({"path", "method", "name"}),
    "REQUEST_HEADER": frozenset({"path", "method", "name"}),
    "RESPONSE": frozenset({"path", "method", "statusCode"}),
    "RESPONSE_BODY": frozenset({"path", "method", "statusCode"}),
    "RESPONSE_HEADER": frozenset({"path", "method", "statusCode", "name"}),
}
_DEFAULTS = {"path": "/", "method": "*", "statusCode": "*"}
_PART_PATCH = (field("/properties", ops=SET),)
_VERSION_PATCH = (field("/description"),)


class DocumentationPartLocation(Shape):
    type: LocationType
    path: str | None = None
    method: str | None = None
    statusCode: str | None = None
    name: str | None = None


class DocumentationPart(Shape):
    id: str
    location: DocumentationPartLocation
    properties: str  # a JSON object, as text


class DocumentationVersion(Shape):
    version: str
    createdDate: int
    description: str | None = None


class VersionSnapshot(Shape):
    """The parts as they were when a version was made."""

    parts: list[DocumentationPart]


PARTS = Kind("documentationpart", DocumentationPart, "Invalid Documentation part identifier")
VERSIONS = Kind(
    "documentationversion", DocumentationVersion, "Invalid Documentation version identifier"
)
SNAPSHOTS = Kind("documentationsnapshot", VersionSnapshot, "Invalid Documentation version")


def location_of(raw: Any) -> DocumentationPartLocation:
    """A location with AWS's defaults filled in; BadRequest for members its type does not
    take, or a missing name."""
    found = parse_request(DocumentationPartLocation, raw)
    takes = _TAKES[found.type]
    given = found.model_dump(exclude_none=True, exclude={"type"})
    extra = sorted(set(given) - takes)
    if extra:
        raise Invalid(
            f"Invalid documentation location: a {found.type} location takes no "
            f"{', '.join(extra)} (it takes {', '.join(sorted(takes)) or 'only its type'})"
        )
    if "name" in takes and not found.name:
        raise Invalid(f"Invalid documentation location: a {found.type} location needs a name")
    filled = {k: given.get(k, _DEFAULTS.get(k)) for k in takes}
    return DocumentationPartLocation(type=found.type, **filled)


def properties_of(value: Any) -> str:
    """The properties as JSON text: a JSON object (given as text, or as an object by an
    import or a template)."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
    else:
        parsed = value
    if not isinstance(parsed, dict):
        raise Invalid("Invalid documentation properties: give a JSON object, e.g. "
                      '{"description": "The pets of the store"}')  # fmt: skip
    return value if isinstance(value, str) else json.dumps(value)


def _at(parts: Parts, location: DocumentationPartLocation) -> DocumentationPart | None:
    return next((p for p in parts.all(PARTS) if p.location == location), None)


class Documentation:
    """DocumentationPart(s) and DocumentationVersion(s) of REST APIs."""

    def __init__(self, store: RestStore, new_id: Callable[[], str]) -> None:
        self._store = store
        self._new_id = new_id

    # -- parts ----------------------------------------------------------------------------------
    async def create_part(self, api_id: str, location: Any, properties: Any) -> DocumentationPart:
        part = DocumentationPart(
            id=self._new_id(), location=location_of(location), properties=properties_of(properties)
        )

        def work(parts: Parts) -> DocumentationPart:
            if _at(parts, part.location) is not None:
                raise Conflict("Documentation part already exists for the specified location")
            parts.put(PARTS, part.id, part)
            return part

        return await self._store.write(api_id, work)

    async def get_part(self, api_id: str, part_id: str) -> DocumentationPart:
        return await self._store.read(api_id, lambda parts: parts.require(PARTS, part_id))

    async def list_parts(
        self, api_id: str, position: str | None = None, limit: int | None = None, *,
        type_: str | None = None, name_query: str | None = None, path: str | None = None,
        location_status: str | None = None,
    ) -> tuple[list[DocumentationPart], str | None]:  # fmt: skip
        """Filtered as GetDocumentationParts does; every stored part has content, so
        `UNDOCUMENTED` finds none."""
        if location_status not in (None, "DOCUMENTED", "UNDOCUMENTED"):
            raise Invalid(f"Invalid locationStatus {location_status!r}: DOCUMENTED or UNDOCUMENTED")
        found = [
            p
            for p in await self._store.read(api_id, lambda parts: parts.all(PARTS))
            if location_status != "UNDOCUMENTED"
            and (type_ is None or p.location.type == type_)
            and (not name_query or (p.location.name or "").startswith(name_query))
            and (path is None or p.location.path == path)
        ]
        return page(found, lambda p: p.id, position, limit)

    async def update_part(self, api_id: str, part_id: str, patch: Patch) -> DocumentationPart:
        def work(parts: Parts) -> DocumentationPart:
            found = parts.require(PARTS, part_id)
            doc = apply_patch(found.wire(), patch, _PART_PATCH)
            part = found.model_copy(update={"properties": properties_of(doc["properties"])})
            parts.put(PARTS, part_id, part)
            return part

        return await self._store.write(api_id, work)

    async def delete_part(self, api_id: str, part_id: str) -> None:
        await self._store.write(api_id, lambda parts: parts.delete(PARTS, part_id))

    async def import_parts(
        self, api_id: str, body: bytes, *, mode: str = "merge", fail_on_warnings: bool = False
    ) -> tuple[list[str], list[str]]:
        """ImportDocumentationParts: the ids of the parts imported, and the warnings."""
        if mode not in ("merge", "overwrite"):
            raise Invalid(f"Invalid mode {mode!r}: use merge or overwrite")
        wanted, warnings = _read_import(body)
        if warnings and fail_on_warnings:
            raise Invalid("Warnings found during import: " + "; ".join(warnings))

        def work(parts: Parts) -> list[str]:
            return install_parts(parts, wanted, overwrite=mode == "overwrite", new_id=self._new_id)

        return await self._store.write(api_id, work), warnings

    # -- versions -------------------------------------------------------------------------------
    async def create_version(
        self, api_id: str, version: str, stage: str | None = None, description: str | None = None
    ) -> DocumentationVersion:
        made = DocumentationVersion(
            version=version, createdDate=int(time.time()), description=description
        )

        def work(parts: Parts) -> DocumentationVersion:
            if parts.get(VERSIONS, version) is not None:
                raise Conflict(f"Documentation version {version} already exists")
            if stage is not None:
                found = parts.require(STAGES, stage)
                parts.put(STAGES, stage, found.model_copy(update={"documentationVersion": version}))
            parts.put(VERSIONS, version, made)
            parts.put(SNAPSHOTS, version, VersionSnapshot(parts=parts.all(PARTS)))
            return made

        return await self._store.write(api_id, work)

    async def get_version(self, api_id: str, version: str) -> DocumentationVersion:
        return await self._store.read(api_id, lambda parts: parts.require(VERSIONS, version))

    async def list_versions(
        self, api_id: str, position: str | None = None, limit: int | None = None
    ) -> tuple[list[DocumentationVersion], str | None]:
        found = await self._store.read(api_id, lambda parts: parts.all(VERSIONS))
        return page(found, lambda v: v.version, position, limit)

    async def update_version(self, api_id: str, version: str, patch: Patch) -> DocumentationVersion:
        def work(parts: Parts) -> DocumentationVersion:
            found = parts.require(VERSIONS, version)
            changed = parse_request(
                DocumentationVersion, apply_patch(found.wire(), patch, _VERSION_PATCH)
            )
            parts.put(VERSIONS, version, changed)
            return changed

        return await self._store.write(api_id, work)

    async def delete_version(self, api_id: str, version: str) -> None:
        def work(parts: Parts) -> None:
            parts.delete(VERSIONS, version)
            parts.delete(SNAPSHOTS, version, missing_ok=True)

        await self._store.write(api_id, work)


DOCUMENTATION = "x-amazon-apigateway-documentation"
Wanted = list[tuple[DocumentationPartLocation, str]]


def _read_import(body: bytes) -> tuple[Wanted, list[str]]:
    if not body:
        raise Invalid("Invalid documentation input: the request body is empty; send the document")
    try:
        document = yaml.safe_load(body)
    except yaml.YAMLError as exc:
        raise Invalid(f"Invalid documentation input: not JSON or YAML ({exc})") from None
    section = document.get(DOCUMENTATION) if isinstance(document, dict) else None
    if not isinstance(section, dict):
        raise Invalid(
            f"Invalid documentation input: the document has no {DOCUMENTATION} section with "
            "documentationParts"
        )
    return documentation_parts(section)


def documentation_parts(section: dict[str, Any]) -> tuple[Wanted, list[str]]:
    """The parts of an x-amazon-apigateway-documentation section, and warnings for those
    that cannot be read (skipped, as AWS's import skips them)."""
    wanted: Wanted = []
    warnings = []
    for index, raw in enumerate(section.get("documentationParts") or []):
        try:
            wanted.append((location_of(raw.get("location")), properties_of(raw.get("properties"))))
        except (Invalid, AttributeError) as exc:
            warnings.append(f"documentationParts[{index}] skipped: {exc}")
    return wanted, warnings


def install_parts(
    parts: Parts, wanted: Wanted, *, overwrite: bool, new_id: Callable[[], str]
) -> list[str]:
    """Writes `wanted` into the API (inside the caller's transaction): overwrite replaces
    every part; else a known location's properties are replaced and new ones added."""
    if overwrite:
        parts.clear(PARTS)
    ids = []
    for location, properties in wanted:
        known = _at(parts, location)
        part = DocumentationPart(
            id=known.id if known else new_id(), location=location, properties=properties
        )
        parts.put(PARTS, part.id, part)
        ids.append(part.id)
    return ids


def exported(parts: list[DocumentationPart], version: str) -> dict[str, Any]:
    """The `x-amazon-apigateway-documentation` section GetExport adds with documentation."""
    return {
        "version": version,
        "documentationParts": [
            {"location": p.location.wire(), "properties": json.loads(p.properties)} for p in parts
        ],
    }
