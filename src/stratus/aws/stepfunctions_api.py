"""AWS Step Functions (JSON 1.0, X-Amz-Target: AWSStepFunctions.*), for boto3's
`stepfunctions` client. Each handler reads its members, makes one WorkflowService call and
renders what AWS answers; timestamps go out as datetimes (the protocol layer writes epoch
seconds), history events as stored, with their timestamps made datetimes.
"""

from __future__ import annotations

import datetime
from typing import Any

from stratus.errors import Conflict, Invalid, NotFound, Validation
from stratus.workflows import errors as w
from stratus.workflows import history, probe
from stratus.workflows.model import Execution, StateMachine
from stratus.workflows.service import WorkflowService

from .protocols.adapter import Api, Call, Handler
from .protocols.errors import ErrorTable, WireError

SERVICE = "stepfunctions"
ERRORS: ErrorTable = {
    w.StateMachineDoesNotExist: WireError("StateMachineDoesNotExist", 400),
    w.ExecutionDoesNotExist: WireError("ExecutionDoesNotExist", 400),
    w.StateMachineAlreadyExists: WireError("StateMachineAlreadyExists", 400),
    w.ExecutionAlreadyExists: WireError("ExecutionAlreadyExists", 400),
    w.InvalidDefinition: WireError("InvalidDefinition", 400),
    w.InvalidName: WireError("InvalidName", 400),
    w.InvalidArn: WireError("InvalidArn", 400),
    w.InvalidExecutionInput: WireError("InvalidExecutionInput", 400),
    w.StateMachineTypeNotSupported: WireError("StateMachineTypeNotSupported", 400),
    w.TaskDoesNotExist: WireError("TaskDoesNotExist", 400),
    w.TaskTimedOut: WireError("TaskTimedOut", 400),
    w.InvalidToken: WireError("InvalidToken", 400),
    w.InvalidOutput: WireError("InvalidOutput", 400),
    w.ActivityDoesNotExist: WireError("ActivityDoesNotExist", 400),
    w.ActivityAlreadyExists: WireError("ActivityAlreadyExists", 400),
    w.ResourceNotFound: WireError("ResourceNotFound", 400),
    w.TooManyTags: WireError("TooManyTags", 400),
    w.ExecutionNotRedrivable: WireError("ExecutionNotRedrivable", 400),
    Validation: WireError("ValidationException", 400),
    Conflict: WireError("ConflictException", 400),
    NotFound: WireError("ResourceNotFound", 400),
    Invalid: WireError("InvalidToken", 400),  # what is left: a NextToken we cannot read
}
DEFAULT_PAGE = 100
Answer = dict[str, Any] | None


def _flows(call: Call) -> WorkflowService:
    return call.services.workflows


def _time(epoch: float | None) -> datetime.datetime | None:
    return None if epoch is None else datetime.datetime.fromtimestamp(epoch, datetime.UTC)


async def create_state_machine(call: Call, p: dict[str, Any]) -> Answer:
    config: dict[str, Any] = {
        k: p[k] for k in ("loggingConfiguration", "tracingConfiguration", "tags") if k in p
    }
    flows = _flows(call)
    machine = await flows.create(
        p["name"], p["definition"], p["roleArn"], p.get("type", "STANDARD"), config
    )
    out = {"stateMachineArn": machine.arn, "creationDate": _time(machine.created)}
    if p.get("publish"):
        version = await flows.publish_version(machine.arn, p.get("versionDescription", ""))
        out["stateMachineVersionArn"] = version.arn
    return out


async def describe_state_machine(call: Call, p: dict[str, Any]) -> Answer:
    return _described(await _flows(call).describe(p["stateMachineArn"]))


async def update_state_machine(call: Call, p: dict[str, Any]) -> Answer:
    flows = _flows(call)
    updated = await flows.update(
        p["stateMachineArn"], p.get("definition"), p.get("roleArn"), p.get("loggingConfiguration")
    )
    out: dict[str, Any] = {"updateDate": _time(updated)}
    if p.get("publish"):
        version = await flows.publish_version(p["stateMachineArn"], p.get("versionDescription", ""))
        out["stateMachineVersionArn"] = version.arn
    return out


async def list_state_machines(call: Call, p: dict[str, Any]) -> Answer:
    found, token = await _flows(call).list_machines(
        p.get("nextToken"), p.get("maxResults") or DEFAULT_PAGE
    )
    listed = [
        {"stateMachineArn": m.arn, "name": m.name, "type": m.type, "creationDate": _time(m.created)}
        for m in found
    ]
    return {"stateMachines": listed, "nextToken": token}


async def delete_state_machine(call: Call, p: dict[str, Any]) -> Answer:
    await _flows(call).delete(p["stateMachineArn"])
    return None


async def validate_state_machine_definition(call: Call, p: dict[str, Any]) -> Answer:
    checked = _flows(call).validate(p["definition"], p.get("type", "STANDARD"))
    wanted = p.get("severity", "ERROR")
    shown = [d for d in checked.diagnostics if wanted == "WARNING" or d.severity == "ERROR"]
    limit = p.get("maxResults") or len(shown) or 1
    return {
        "result": checked.result,
        "diagnostics": [d.to_wire() for d in shown[:limit]],
        "truncated": len(shown) > limit,
    }


async def start_execution(call: Call, p: dict[str, Any]) -> Answer:
    started = await _flows(call).start(p["stateMachineArn"], p.get("name"), p.get("input"))
    return {"executionArn": started.arn, "startDate": _time(started.started)}


async def start_sync_execution(call: Call, p: dict[str, Any]) -> Answer:
    done = await _flows(call).start_sync(p["stateMachineArn"], p.get("name"), p.get("input"))
    out: dict[str, Any] = {
        "executionArn": done.arn,
        "stateMachineArn": done.machine_arn,
        "name": done.name,
        "startDate": _time(done.started),
        "stopDate": _time(done.stopped),
        "status": done.status,
        "input": done.input,
        "inputDetails": {"included": True},
        "billingDetails": {
            "billedMemoryUsedInMB": 64,
            "billedDurationInMilliseconds": max(100, int((done.stopped - done.started) * 1000)),
        },
    }
    if done.output is not None:
        out["output"] = done.output
        out["outputDetails"] = {"included": True}
    if done.error is not None:
        out["error"] = done.error
    if done.cause is not None:
        out["cause"] = done.cause
    return out


async def describe_execution(call: Call, p: dict[str, Any]) -> Answer:
    return _execution(await _flows(call).describe_execution(p["executionArn"]))


async def describe_state_machine_for_execution(call: Call, p: dict[str, Any]) -> Answer:
    machine, text = await _flows(call).machine_for_execution(p["executionArn"])
    described = _described(machine)
    return {
        "stateMachineArn": machine.arn,
        "name": machine.name,
        "definition": text,
        "roleArn": machine.role_arn,
        "updateDate": _time(machine.created),
        "loggingConfiguration": described["loggingConfiguration"],
        "tracingConfiguration": described["tracingConfiguration"],
        **await _map_run_child(call, machine, p["executionArn"]),
    }


async def _map_run_child(call: Call, machine: StateMachine, arn: str) -> dict[str, Any]:
    """A Map Run's child machine (…:stateMachine:<machine>/<label>): its run and label."""
    if "/" not in machine.name:
        return {}
    execution = await _flows(call).describe_execution(arn)
    return {"mapRunArn": execution.map_run_arn, "label": machine.name.rsplit("/", 1)[1]}


async def list_executions(call: Call, p: dict[str, Any]) -> Answer:
    map_run = p.get("mapRunArn")
    found, token = await _flows(call).list_executions(
        p.get("stateMachineArn"),
        p.get("statusFilter"),
        p.get("nextToken"),
        p.get("maxResults") or DEFAULT_PAGE,
        map_run,
    )
    listed = [
        {
            "executionArn": e.arn,
            "stateMachineArn": e.state_machine_arn,
            "name": e.name,
            "status": e.status,
            "startDate": _time(e.started),
            "stopDate": _time(e.stopped),
            **({"mapRunArn": map_run} if map_run else {}),
        }
        for e in found
    ]
    return {"executions": listed, "nextToken": token}


async def describe_map_run(call: Call, p: dict[str, Any]) -> Answer:
    run, item_counts, execution_counts = await _flows(call).describe_map_run(p["mapRunArn"])
    out: dict[str, Any] = {
        "mapRunArn": run.arn,
        "executionArn": run.execution_arn,
        "status": run.status,
        "startDate": _time(run.started),
        "maxConcurrency": run.max_concurrency,
        "toleratedFailurePercentage": run.tolerated_percentage,
        "toleratedFailureCount": run.tolerated_count,
        "itemCounts": _counts(item_counts),
        "executionCounts": _counts(execution_counts),
        "redriveCount": run.redrive_count,
    }
    if run.stopped is not None:
        out["stopDate"] = _time(run.stopped)
    if run.redrive_date is not None:
        out["redriveDate"] = _time(run.redrive_date)
    return out


def _counts(c: Any) -> dict[str, int]:
    return {
        "pending": c.pending,
        "running": c.running,
        "succeeded": c.succeeded,
        "failed": c.failed,
        "timedOut": c.timed_out,
        "aborted": c.aborted,
        "total": c.total,
        "resultsWritten": c.results_written,
        "failuresNotRedrivable": 0,
        "pendingRedrive": 0,
    }


async def list_map_runs(call: Call, p: dict[str, Any]) -> Answer:
    found, token = await _flows(call).list_map_runs(
        p["executionArn"], p.get("nextToken"), p.get("maxResults") or DEFAULT_PAGE
    )
    runs = [
        {
            "executionArn": r.execution_arn,
            "mapRunArn": r.arn,
            "stateMachineArn": r.machine_arn,
            "startDate": _time(r.started),
            **({"stopDate": _time(r.stopped)} if r.stopped is not None else {}),
        }
        for r in found
    ]
    return {"mapRuns": runs, "nextToken": token}


async def update_map_run(call: Call, p: dict[str, Any]) -> Answer:
    await _flows(call).update_map_run(
        p["mapRunArn"],
        p.get("maxConcurrency"),
        p.get("toleratedFailurePercentage"),
        p.get("toleratedFailureCount"),
    )
    return None


async def get_execution_history(call: Call, p: dict[str, Any]) -> Answer:
    events, token = await _flows(call).history(
        p["executionArn"],
        bool(p.get("reverseOrder")),
        p.get("nextToken"),
        p.get("maxResults") or DEFAULT_PAGE,
    )
    include = p.get("includeExecutionData", True)
    return {"events": [_event(e, include) for e in events], "nextToken": token}


async def send_task_success(call: Call, p: dict[str, Any]) -> Answer:
    await _flows(call).send_task_success(p["taskToken"], p["output"])
    return None


async def send_task_failure(call: Call, p: dict[str, Any]) -> Answer:
    await _flows(call).send_task_failure(p["taskToken"], p.get("error"), p.get("cause"))
    return None


async def send_task_heartbeat(call: Call, p: dict[str, Any]) -> Answer:
    await _flows(call).send_task_heartbeat(p["taskToken"])
    return None


async def create_activity(call: Call, p: dict[str, Any]) -> Answer:
    activity = await _flows(call).create_activity(p["name"], p.get("tags") or [])
    return {"activityArn": activity.arn, "creationDate": _time(activity.created)}


async def describe_activity(call: Call, p: dict[str, Any]) -> Answer:
    activity = await _flows(call).describe_activity(p["activityArn"])
    return {
        "activityArn": activity.arn,
        "name": activity.name,
        "creationDate": _time(activity.created),
    }


async def list_activities(call: Call, p: dict[str, Any]) -> Answer:
    found, token = await _flows(call).list_activities(
        p.get("nextToken"), p.get("maxResults") or DEFAULT_PAGE
    )
    listed = [
        {"activityArn": a.arn, "name": a.name, "creationDate": _time(a.created)} for a in found
    ]
    return {"activities": listed, "nextToken": token}


async def delete_activity(call: Call, p: dict[str, Any]) -> Answer:
    await _flows(call).delete_activity(p["activityArn"])
    return None


async def get_activity_task(call: Call, p: dict[str, Any]) -> Answer:
    """Long polls up to 60 s; nothing found answers without a taskToken, as AWS does."""
    task = await _flows(call).get_activity_task(p["activityArn"], p.get("workerName") or "")
    return {} if task is None else {"taskToken": task.task_token, "input": task.input}


async def tag_resource(call: Call, p: dict[str, Any]) -> Answer:
    await _flows(call).tag(p["resourceArn"], p["tags"])
    return None


async def untag_resource(call: Call, p: dict[str, Any]) -> Answer:
    await _flows(call).untag(p["resourceArn"], p["tagKeys"])
    return None


async def list_tags_for_resource(call: Call, p: dict[str, Any]) -> Answer:
    return {"tags": await _flows(call).tags(p["resourceArn"])}


async def test_state(call: Call, p: dict[str, Any]) -> Answer:
    given = p.get("mock") or {}
    failure = given.get("errorOutput") or {}
    mock = (
        probe.Mock(given.get("result"), failure.get("error"), failure.get("cause"))
        if given
        else None
    )
    configured = p.get("stateConfiguration") or {}
    done = await _flows(call).test_state(
        p["definition"],
        p.get("input"),
        state_name=p.get("stateName"),
        variables=p.get("variables"),
        context=p.get("context"),
        mock=mock,
        retry_count=configured.get("retrierRetryCount", 0),
    )
    out: dict[str, Any] = {"status": done.status}
    if done.has_output:
        out["output"] = history.json_text(done.output)
    for key, value in (
        ("error", done.error),
        ("cause", done.cause),
        ("nextState", done.next_state),
    ):
        if value is not None:
            out[key] = value
    if p.get("inspectionLevel", "INFO") != "INFO" or done.error_details:
        inspection = (
            probe.inspection_wire(done.inspection)
            if p.get("inspectionLevel", "INFO") != "INFO"
            else {}
        )
        if done.error_details:
            inspection["errorDetails"] = done.error_details
        out["inspectionData"] = inspection
    return out


async def publish_state_machine_version(call: Call, p: dict[str, Any]) -> Answer:
    version = await _flows(call).publish_version(p["stateMachineArn"], p.get("description", ""))
    return {"stateMachineVersionArn": version.arn, "creationDate": _time(version.created)}


async def list_state_machine_versions(call: Call, p: dict[str, Any]) -> Answer:
    found, token = await _flows(call).list_versions(
        p["stateMachineArn"], p.get("nextToken"), p.get("maxResults") or DEFAULT_PAGE
    )
    listed = [{"stateMachineVersionArn": v.arn, "creationDate": _time(v.created)} for v in found]
    return {"stateMachineVersions": listed, "nextToken": token}


async def delete_state_machine_version(call: Call, p: dict[str, Any]) -> Answer:
    await _flows(call).delete_version(p["stateMachineVersionArn"])
    return None


async def create_state_machine_alias(call: Call, p: dict[str, Any]) -> Answer:
    alias = await _flows(call).create_alias(
        p["name"], p.get("description", ""), p["routingConfiguration"]
    )
    return {"stateMachineAliasArn": alias.arn, "creationDate": _time(alias.created)}


async def describe_state_machine_alias(call: Call, p: dict[str, Any]) -> Answer:
    alias = await _flows(call).describe_alias(p["stateMachineAliasArn"])
    return {
        "stateMachineAliasArn": alias.arn,
        "name": alias.name,
        "description": alias.description,
        "routingConfiguration": alias.routing,
        "creationDate": _time(alias.created),
        "updateDate": _time(alias.updated),
    }


async def update_state_machine_alias(call: Call, p: dict[str, Any]) -> Answer:
    updated = await _flows(call).update_alias(
        p["stateMachineAliasArn"], p.get("description"), p.get("routingConfiguration")
    )
    return {"updateDate": _time(updated)}


async def delete_state_machine_alias(call: Call, p: dict[str, Any]) -> Answer:
    await _flows(call).delete_alias(p["stateMachineAliasArn"])
    return None


async def list_state_machine_aliases(call: Call, p: dict[str, Any]) -> Answer:
    found, token = await _flows(call).list_aliases(
        p["stateMachineArn"], p.get("nextToken"), p.get("maxResults") or DEFAULT_PAGE
    )
    listed = [{"stateMachineAliasArn": a.arn, "creationDate": _time(a.created)} for a in found]
    return {"stateMachineAliases": listed, "nextToken": token}


async def redrive_execution(call: Call, p: dict[str, Any]) -> Answer:
    return {"redriveDate": _time(await _flows(call).redrive(p["executionArn"]))}


async def stop_execution(call: Call, p: dict[str, Any]) -> Answer:
    stopped = await _flows(call).stop(p["executionArn"], p.get("error"), p.get("cause"))
    return {"stopDate": _time(stopped)}


def _described(machine: StateMachine) -> dict[str, Any]:
    logging = machine.config.get("loggingConfiguration") or {
        "level": "OFF",
        "includeExecutionData": False,
    }
    tracing = machine.config.get("tracingConfiguration") or {"enabled": False}
    return {
        "stateMachineArn": machine.arn,
        "name": machine.name,
        "status": "ACTIVE",
        "definition": machine.definition,
        "roleArn": machine.role_arn,
        "type": machine.type,
        "creationDate": _time(machine.created),
        "loggingConfiguration": logging,
        "tracingConfiguration": tracing,
    }


def _execution(e: Execution) -> dict[str, Any]:
    out: dict[str, Any] = {
        "executionArn": e.arn,
        "stateMachineArn": e.state_machine_arn,
        "name": e.name,
        "status": e.status,
        "startDate": _time(e.started),
        "input": e.input,
        "inputDetails": {"included": True},
        "redriveCount": e.redrive_count,
        "redriveStatus": "REDRIVABLE" if e.redrivable else "NOT_REDRIVABLE",
    }
    if e.redrive_date is not None:
        out["redriveDate"] = _time(e.redrive_date)
    if e.stopped is not None:
        out["stopDate"] = _time(e.stopped)
    if e.output is not None:
        out["output"] = e.output
        out["outputDetails"] = {"included": True}
    if e.error is not None:
        out["error"] = e.error
    if e.cause is not None:
        out["cause"] = e.cause
    if e.version_arn is not None:
        out["stateMachineVersionArn"] = e.version_arn
    if e.alias_arn is not None:
        out["stateMachineAliasArn"] = e.alias_arn
    if e.map_run_arn is not None:
        out["mapRunArn"] = e.map_run_arn
    return out


def _event(event: dict[str, Any], include_data: bool) -> dict[str, Any]:
    out = dict(event)
    out["timestamp"] = _time(event["timestamp"])
    if not include_data:
        for key, details in out.items():
            if key.endswith("EventDetails") and isinstance(details, dict):
                out[key] = {
                    k: v for k, v in details.items() if k not in ("input", "output", "parameters")
                }
    return out


HANDLERS: dict[str, Handler] = {
    "CreateStateMachine": create_state_machine,
    "DescribeStateMachine": describe_state_machine,
    "UpdateStateMachine": update_state_machine,
    "ListStateMachines": list_state_machines,
    "DeleteStateMachine": delete_state_machine,
    "ValidateStateMachineDefinition": validate_state_machine_definition,
    "StartExecution": start_execution,
    "StartSyncExecution": start_sync_execution,
    "DescribeExecution": describe_execution,
    "DescribeStateMachineForExecution": describe_state_machine_for_execution,
    "ListExecutions": list_executions,
    "GetExecutionHistory": get_execution_history,
    "StopExecution": stop_execution,
    "RedriveExecution": redrive_execution,
    "SendTaskSuccess": send_task_success,
    "SendTaskFailure": send_task_failure,
    "SendTaskHeartbeat": send_task_heartbeat,
    "CreateActivity": create_activity,
    "DescribeActivity": describe_activity,
    "ListActivities": list_activities,
    "DeleteActivity": delete_activity,
    "GetActivityTask": get_activity_task,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
    "TestState": test_state,
    "PublishStateMachineVersion": publish_state_machine_version,
    "ListStateMachineVersions": list_state_machine_versions,
    "DeleteStateMachineVersion": delete_state_machine_version,
    "CreateStateMachineAlias": create_state_machine_alias,
    "DescribeStateMachineAlias": describe_state_machine_alias,
    "UpdateStateMachineAlias": update_state_machine_alias,
    "DeleteStateMachineAlias": delete_state_machine_alias,
    "ListStateMachineAliases": list_state_machine_aliases,
    "DescribeMapRun": describe_map_run,
    "ListMapRuns": list_map_runs,
    "UpdateMapRun": update_map_run,
}
API = Api(SERVICE, HANDLERS, ERRORS, 1024 * 1024 + 64 * 1024)
