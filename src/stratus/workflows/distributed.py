"""A distributed Map state's fields, evaluated where the state is entered: what its Map
Run needs, as JSON (the StartMapRun effect's spec).

    ItemProcessor.ProcessorConfig  Mode DISTRIBUTED, ExecutionType STANDARD | EXPRESS
    ItemReader     Resource, Parameters (JSONPath) / Arguments (JSONata), ReaderConfig
                   (InputType, CSVHeaderLocation, CSVHeaders, CSVDelimiter, MaxItems or
                   MaxItemsPath); without one the items come from ItemsPath / Items
    ItemBatcher    MaxItemsPerBatch[Path], MaxInputBytesPerBatch[Path], BatchInput
    ItemSelector   per item, later (maprun.py rebuilds the Flow from `selector`)
    MaxConcurrency[Path], ToleratedFailurePercentage[Path], ToleratedFailureCount[Path]
    ResultWriter   Resource, Parameters / Arguments (Bucket, Prefix), WriterConfig
                   (OutputType JSON | JSONL, Transformation NONE | COMPACT | FLATTEN)
    Label          names the Map Run and its child executions

Paths and expressions read the state's input, context and variables as they are when the
state is entered, so evaluating them here (inside the interpreter's step) keeps a replayed
step the same.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from stratus.workflows import payloads
from stratus.workflows.dataflow import Flow, map_items
from stratus.workflows.definition import Machine
from stratus.workflows.failure import RUNTIME, StatesFailure

DISTRIBUTED_ONLY = ("ItemReader", "ItemBatcher", "ResultWriter", "Label")


def is_distributed(state: Mapping[str, Any]) -> bool:
    processor = state.get("ItemProcessor")
    if not isinstance(processor, Mapping):
        return False
    config = processor.get("ProcessorConfig")
    return isinstance(config, Mapping) and config.get("Mode") == "DISTRIBUTED"


def execution_type(state: Mapping[str, Any]) -> str:
    config = state["ItemProcessor"].get("ProcessorConfig") or {}
    return str(config.get("ExecutionType", "STANDARD"))


def map_run_arn(execution_arn: str, machine_name: str, label: str, token: str) -> str:
    """arn:aws:states:<region>:<account>:mapRun:<machine>/<label>:<id>; the id is derived
    from the execution and the effect's token, so a replayed step names the same run."""
    parts = execution_arn.split(":")
    region, account = (parts[3], parts[4]) if len(parts) > 4 else ("", "")
    run_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{execution_arn}#{token}")
    return f"arn:aws:states:{region}:{account}:mapRun:{machine_name}/{label}:{run_id}"


def spec(flow: Flow, processor: Machine, arn: str, label: str, role_arn: str) -> dict[str, Any]:
    """Everything the Map Run needs, evaluated now; StatesFailure for a bad path or value."""
    state = flow.state
    out: dict[str, Any] = {
        "arn": arn,
        "label": label,
        "execution_type": execution_type(state),
        "processor": json.dumps(
            {
                "QueryLanguage": processor.query_language,
                "StartAt": processor.start_at,
                "States": processor.states,
            },
            separators=(",", ":"),
        ),
        "role_arn": role_arn,
        "selector": {
            "state": dict(state),
            "language": flow.language,
            "input": flow.raw_input,
            "context": dict(flow.context),
            "variables": dict(flow.variables),
        },
        "max_concurrency": _int(flow, "MaxConcurrency", 0),
        "tolerated_percentage": _number(flow, "ToleratedFailurePercentage"),
        "tolerated_count": _int(flow, "ToleratedFailureCount", None),
    }
    reader = state.get("ItemReader")
    if isinstance(reader, Mapping):
        config = dict(reader.get("ReaderConfig") or {})
        out["reader"] = {
            "resource": str(reader.get("Resource", "")),
            "parameters": _arguments(flow, reader),
            "config": config,
            "max_items": _nested_int(flow, config, "MaxItems"),
        }
    else:
        out["items"] = map_items(flow)
    batcher = state.get("ItemBatcher")
    if isinstance(batcher, Mapping):
        batch_input = batcher.get("BatchInput")
        if batch_input is not None:
            batch_input = (
                flow.value_of(batch_input)
                if flow.jsonata
                else payloads.render(batch_input, flow.scope(flow.filtered_input()), "BatchInput")
            )
        out["batcher"] = {
            "max_items": _nested_int(flow, batcher, "MaxItemsPerBatch"),
            "max_bytes": _nested_int(flow, batcher, "MaxInputBytesPerBatch"),
            "batch_input": batch_input,
        }
    writer = state.get("ResultWriter")
    if isinstance(writer, Mapping):
        config = dict(writer.get("WriterConfig") or {})
        out["writer"] = {
            "resource": writer.get("Resource"),
            "parameters": _arguments(flow, writer) if "Resource" in writer else None,
            "output_type": str(config.get("OutputType", "JSON")),
            "transformation": str(
                config.get("Transformation", "NONE" if "Resource" in writer else "COMPACT")
            ),
        }
    return out


def _arguments(flow: Flow, block: Mapping[str, Any]) -> dict[str, Any]:
    """A reader's or writer's Parameters (JSONPath templates) or Arguments (JSONata)."""
    if flow.jsonata:
        rendered = flow.value_of(block.get("Arguments", {}))
    else:
        rendered = payloads.render(
            block.get("Parameters", {}), flow.scope(flow.filtered_input()), "Parameters"
        )
    if not isinstance(rendered, dict):
        raise StatesFailure(RUNTIME, "The ItemReader/ResultWriter arguments must be an object")
    return rendered


def _int(flow: Flow, field: str, default: Any) -> Any:
    if f"{field}Path" in flow.state:
        value = flow.path_value(f"{field}Path")
    elif field in flow.state:
        value = flow.value(field)
    else:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StatesFailure(RUNTIME, f"The value of {field} must be a non-negative integer")
    return value


def _number(flow: Flow, field: str) -> float | None:
    if f"{field}Path" in flow.state:
        value = flow.path_value(f"{field}Path")
    elif field in flow.state:
        value = flow.value(field)
    else:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise StatesFailure(RUNTIME, f"The value of {field} must be a number from 0 to 100")
    return float(value)


def _nested_int(flow: Flow, block: Mapping[str, Any], field: str) -> int | None:
    """MaxItems / MaxItemsPerBatch / MaxInputBytesPerBatch, or their Path forms."""
    if f"{field}Path" in block:
        try:
            value = flow.scope(flow.filtered_input()).read(str(block[f"{field}Path"]))
        except LookupError as exc:
            raise StatesFailure(
                RUNTIME, f"Invalid path '{block[f'{field}Path']}' for the field '{field}Path'"
            ) from exc
    elif field in block:
        value = flow.value_of(block[field]) if flow.jsonata else block[field]
    else:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StatesFailure(RUNTIME, f"The value of {field} must be a non-negative integer")
    return value or None
