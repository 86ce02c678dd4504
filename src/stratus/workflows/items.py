"""A distributed Map's data, pure: the items an ItemReader's object holds, the batches the
ItemBatcher makes of them, and the result files a ResultWriter writes.

    ItemReader   s3:getObject   ReaderConfig.InputType JSON (an array), JSONL (one value a
                                line), CSV (rows as objects of strings: headers from the
                                FIRST_ROW or GIVEN in CSVHeaders; CSVDelimiter), MANIFEST (an
                                S3 inventory manifest.json: its gzipped CSV files' rows)
                 s3:listObjectsV2  the objects under a Prefix, as {Etag, Key, LastModified,
                                Size, StorageClass}
                 MaxItems       at most that many items (the first ones)
    ItemBatcher  {"BatchInput": ..., "Items": [...]} per child execution, bounded by
                 MaxItemsPerBatch and MaxInputBytesPerBatch
    ResultWriter <Prefix>/<map run id>/manifest.json and SUCCEEDED_0.json, FAILED_0.json,
                 PENDING_0.json: the child executions grouped by how they ended

Everything here takes bytes or JSON and gives JSON; reaching object storage is the map run
driver's business (maprun.py), through the ObjectStorage Protocol.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from stratus.workflows.failure import ITEM_READER_FAILED, StatesFailure

GET_OBJECT = "arn:aws:states:::s3:getObject"
LIST_OBJECTS = "arn:aws:states:::s3:listObjectsV2"
PUT_OBJECT = "arn:aws:states:::s3:putObject"
MAX_READ_BYTES = 256 * 1024 * 1024  # one ItemReader object, read whole (AWS streams 10 GB)
MAX_ITEMS = 100_000_000  # AWS's MaxItems bound
DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}
MAX_BATCH_BYTES = 256 * 1024


class ObjectStorage(Protocol):
    """Object storage as a distributed Map reads and writes it. Failures are StatesFailure
    named as the S3 error (S3.NoSuchKey, S3.NoSuchBucket, ...) with S3's message."""

    async def wait_get(self, bucket: str, key: str, version: str | None, limit: int) -> bytes: ...

    async def wait_list(
        self, bucket: str, prefix: str, after: str, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page of objects as listObjectsV2's items, and whether more follow."""
        ...

    async def wait_put(self, bucket: str, key: str, body: bytes) -> None: ...


def reader_failed(cause: str) -> StatesFailure:
    return StatesFailure(ITEM_READER_FAILED, cause)


async def wait_read_items(
    storage: ObjectStorage,
    resource: str,
    parameters: Mapping[str, Any],
    config: Mapping[str, Any],
    max_items: int | None,
) -> list[Any]:
    """The items an ItemReader names (rendered Parameters/Arguments and ReaderConfig)."""
    bucket = parameters.get("Bucket")
    if not isinstance(bucket, str) or not bucket:
        raise reader_failed("The ItemReader's parameters must name a Bucket")
    limit = MAX_ITEMS if max_items is None else max_items
    try:
        if resource == LIST_OBJECTS:
            return await _wait_list_all(storage, bucket, str(parameters.get("Prefix") or ""), limit)
        if resource != GET_OBJECT:
            raise reader_failed(f"The ItemReader resource {resource} is not supported")
        key = parameters.get("Key")
        if not isinstance(key, str) or not key:
            raise reader_failed("The ItemReader's parameters must name a Key")
        version = parameters.get("VersionId")
        data = await storage.wait_get(
            bucket, key, version if isinstance(version, str) else None, MAX_READ_BYTES
        )
        kind = str(config.get("InputType", "JSON"))
        if kind == "MANIFEST":
            return await _wait_manifest(storage, bucket, data, limit)
        return parse(kind, data, config)[:limit]
    except StatesFailure as failure:
        if failure.error == ITEM_READER_FAILED:
            raise
        raise reader_failed(_s3_cause(failure)) from failure


def parse(kind: str, data: bytes, config: Mapping[str, Any]) -> list[Any]:
    """The items of one object's bytes, read as InputType `kind` (JSON, JSONL or CSV)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise reader_failed(f"The object is not UTF-8 text: {exc}") from exc
    if kind == "JSON":
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise reader_failed(f"The object is not valid JSON: {exc.msg}") from exc
        if not isinstance(value, list):
            raise reader_failed("The JSON object must contain an array of items")
        return value
    if kind == "JSONL":
        items = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise reader_failed(f"Line {number} is not valid JSON: {exc.msg}") from exc
        return items
    if kind == "CSV":
        return _csv_rows(text, config)
    raise reader_failed(f"The InputType {kind} is not supported")


def _csv_rows(text: str, config: Mapping[str, Any]) -> list[dict[str, str]]:
    delimiter = DELIMITERS.get(str(config.get("CSVDelimiter", "COMMA")))
    if delimiter is None:
        raise reader_failed(f"The CSVDelimiter {config.get('CSVDelimiter')} is not supported")
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    location = str(config.get("CSVHeaderLocation", "FIRST_ROW"))
    if location == "GIVEN":
        headers = config.get("CSVHeaders")
        if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers):
            raise reader_failed("CSVHeaderLocation GIVEN needs CSVHeaders, a list of strings")
    else:
        if not rows:
            return []
        headers, rows = rows[0], rows[1:]
    items = []
    for row in rows:
        if not row:  # a blank line
            continue
        if len(row) > len(headers):
            raise reader_failed(
                f"A row has {len(row)} fields but there are {len(headers)} CSV headers"
            )
        items.append({h: (row[i] if i < len(row) else "") for i, h in enumerate(headers)})
    return items


async def _wait_list_all(
    storage: ObjectStorage, bucket: str, prefix: str, limit: int
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = ""
    while len(items) < limit:
        page, more = await storage.wait_list(bucket, prefix, after, min(1000, limit - len(items)))
        items.extend(page)
        if not more or not page:
            break
        after = str(page[-1]["Key"])
    return items[:limit]


async def _wait_manifest(
    storage: ObjectStorage, bucket: str, data: bytes, limit: int
) -> list[dict[str, str]]:
    """An S3 inventory manifest.json: the rows of its CSV files, named by its fileSchema."""
    try:
        manifest = json.loads(data)
        schema = [c.strip() for c in str(manifest["fileSchema"]).split(",")]
        files = [str(f["key"]) for f in manifest["files"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise reader_failed(f"The object is not an S3 inventory manifest: {exc}") from exc
    if str(manifest.get("fileFormat", "CSV")).upper() != "CSV":
        raise reader_failed(f"The inventory file format {manifest.get('fileFormat')} is not CSV")
    destination = str(manifest.get("destinationBucket") or bucket).removeprefix("arn:aws:s3:::")
    items: list[dict[str, str]] = []
    for key in files:
        raw = await storage.wait_get(destination, key, None, MAX_READ_BYTES)
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
        items.extend(_csv_rows(text, {"CSVHeaderLocation": "GIVEN", "CSVHeaders": schema}))
        if len(items) >= limit:
            break
    return items[:limit]


def _s3_cause(failure: StatesFailure) -> str:
    code = failure.error.removeprefix("S3.")
    status = "; Status Code: 404" if code in ("NoSuchKey", "NoSuchBucket") else ""
    return f"{failure.cause} (Service: Amazon S3{status}; Error Code: {code})"


# --- batching ----------------------------------------------------------------------------


def batches(
    items: Sequence[Any],
    max_items: int | None,
    max_bytes: int | None,
    batch_input: Any,
) -> list[tuple[Any, int]]:
    """Child inputs `{"BatchInput"?, "Items": [...]}` and how many items each holds."""
    out: list[tuple[Any, int]] = []
    current: list[Any] = []
    size = 0
    bound = min(max_bytes or MAX_BATCH_BYTES, MAX_BATCH_BYTES)
    overhead = len(json.dumps({"BatchInput": batch_input, "Items": []})) if batch_input else 12

    def close() -> None:
        nonlocal current, size
        if current:
            body: dict[str, Any] = {"Items": current}
            if batch_input is not None:
                body = {"BatchInput": batch_input, "Items": current}
            out.append((body, len(current)))
        current, size = [], 0

    for item in items:
        item_size = len(json.dumps(item, separators=(",", ":"))) + 1
        if current and (
            (max_items and len(current) >= max_items) or overhead + size + item_size > bound
        ):
            close()
        current.append(item)
        size += item_size
    close()
    return out


# --- results -----------------------------------------------------------------------------


def transform(outputs: Sequence[Any], transformation: str) -> list[Any]:
    """COMPACT (the outputs) or FLATTEN (array outputs spliced in)."""
    if transformation != "FLATTEN":
        return list(outputs)
    flat: list[Any] = []
    for value in outputs:
        if isinstance(value, list):
            flat.extend(value)
        else:
            flat.append(value)
    return flat


def result_files(
    prefix: str,
    run_id: str,
    groups: Mapping[str, list[Any]],
    output_type: str,
) -> list[tuple[str, bytes]]:
    """(key, body) per non-empty group file, in SUCCEEDED, FAILED, PENDING order."""
    base = f"{prefix.rstrip('/')}/{run_id}" if prefix else run_id
    suffix = "jsonl" if output_type == "JSONL" else "json"
    files = []
    for status in ("SUCCEEDED", "FAILED", "PENDING"):
        entries = groups.get(status) or []
        if not entries:
            continue
        if output_type == "JSONL":
            body = "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in entries).encode()
        else:
            body = json.dumps(entries, separators=(",", ":")).encode()
        files.append((f"{base}/{status}_0.{suffix}", body))
    return files


def manifest(
    bucket: str, map_run_arn: str, prefix: str, run_id: str, files: Sequence[tuple[str, bytes]]
) -> tuple[str, bytes]:
    """The manifest.json that lists the result files, and its key."""
    base = f"{prefix.rstrip('/')}/{run_id}" if prefix else run_id
    listed: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
    for key, body in files:
        status = key.rsplit("/", 1)[-1].split("_", 1)[0]
        listed[status].append({"Key": key, "Size": len(body)})
    document = {"DestinationBucket": bucket, "MapRunArn": map_run_arn, "ResultFiles": listed}
    return f"{base}/manifest.json", json.dumps(document, separators=(",", ":")).encode()
