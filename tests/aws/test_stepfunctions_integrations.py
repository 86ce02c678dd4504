"""Step Functions' service integrations over the wire: state machines made with boto3 call
queues, topics, the bus, tables, objects, parameters and Step Functions itself, in process;
results and error names as AWS gives them (`aws-sdk:*` PascalCase, `DynamoDb.…Exception`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.aws.test_stepfunctions_api import ROLE, error_of, history, make_machine, run_to_end
from tests.conftest import make_queue, unique, wait_for


@pytest.fixture(scope="module")
def sfn(server: Any) -> Any:
    return server.client("stepfunctions")


@pytest.fixture(scope="module")
def dynamodb(server: Any) -> Any:
    return server.client("dynamodb")


def make_table(dynamodb: Any) -> str:
    name = unique("t")
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def task(resource: str, parameters: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": resource, "Parameters": parameters, **extra}


def one_task(resource: str, parameters: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": {**task(resource, parameters, **extra), "End": True}}}


def catching(resource: str, parameters: dict[str, Any], error: str) -> dict[str, Any]:
    """A task whose `error` is caught into $.caught (anything else fails the execution)."""
    return {
        "StartAt": "T",
        "States": {
            "T": {
                **task(resource, parameters),
                "Catch": [{"ErrorEquals": [error], "ResultPath": "$.caught", "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }


def output(described: dict[str, Any]) -> Any:
    assert described["status"] == "SUCCEEDED", described
    return json.loads(described["output"])


def test_aws_sdk_dynamodb_put_get_and_conditional_failure(server, sfn, dynamodb):
    table = make_table(dynamodb)
    put = make_machine(
        sfn,
        one_task(
            "arn:aws:states:::aws-sdk:dynamodb:putItem",
            {"TableName": table, "Item": {"id": {"S.$": "$.id"}, "n": {"N": "7"}}},
        ),
    )
    get = make_machine(
        sfn,
        one_task(
            "arn:aws:states:::aws-sdk:dynamodb:getItem",
            {"TableName": table, "Key": {"id": {"S.$": "$.id"}}},
        ),
    )
    conditional = make_machine(
        sfn,
        catching(
            "arn:aws:states:::aws-sdk:dynamodb:putItem",
            {
                "TableName": table,
                "Item": {"id": {"S": "a"}},
                "ConditionExpression": "attribute_not_exists(id)",
            },
            "DynamoDb.ConditionalCheckFailedException",
        ),
    )

    put_out = output(run_to_end(server, sfn, put, {"id": "a"}))
    got = output(run_to_end(server, sfn, get, {"id": "a"}))
    caught = output(run_to_end(server, sfn, conditional))["caught"]

    assert put_out == {}
    assert got == {"Item": {"id": {"S": "a"}, "n": {"N": "7"}}}
    assert dynamodb.get_item(TableName=table, Key={"id": {"S": "a"}})["Item"]["n"] == {"N": "7"}
    assert caught["Error"] == "DynamoDb.ConditionalCheckFailedException"
    assert "Service: DynamoDb, Status Code: 400" in caught["Cause"]


def test_optimised_dynamodb_item_tasks(server, sfn, dynamodb):
    table = make_table(dynamodb)
    states = {
        "Put": task(
            "arn:aws:states:::dynamodb:putItem",
            {"TableName": table, "Item": {"id": {"S": "k"}, "count": {"N": "1"}}},
            ResultPath=None,
            Next="Update",
        ),
        "Update": task(
            "arn:aws:states:::dynamodb:updateItem",
            {
                "TableName": table,
                "Key": {"id": {"S": "k"}},
                "UpdateExpression": "SET #c = #c + :one",
                "ExpressionAttributeNames": {"#c": "count"},
                "ExpressionAttributeValues": {":one": {"N": "1"}},
                "ReturnValues": "UPDATED_NEW",
            },
            ResultPath="$.updated",
            Next="Get",
        ),
        "Get": task(
            "arn:aws:states:::dynamodb:getItem",
            {"TableName": table, "Key": {"id": {"S": "k"}}},
            ResultPath="$.got",
            Next="Delete",
        ),
        "Delete": task(
            "arn:aws:states:::dynamodb:deleteItem",
            {
                "TableName": table,
                "Key": {"id": {"S": "k"}},
                "ConditionExpression": "#c = :three",
                "ExpressionAttributeNames": {"#c": "count"},
                "ExpressionAttributeValues": {":three": {"N": "3"}},
            },
            Catch=[
                {
                    "ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"],
                    "ResultPath": "$.refused",
                    "Next": "Done",
                }
            ],
            ResultPath="$.deleted",
            Next="Done",
        ),
        "Done": {"Type": "Pass", "End": True},
    }
    machine = make_machine(sfn, {"StartAt": "Put", "States": states})

    out = output(run_to_end(server, sfn, machine))

    assert out["updated"]["Attributes"] == {"count": {"N": "2"}}
    assert out["got"]["Item"] == {"id": {"S": "k"}, "count": {"N": "2"}}
    assert out["got"]["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert out["refused"]["Error"] == "DynamoDB.ConditionalCheckFailedException"
    assert "Item" in dynamodb.get_item(TableName=table, Key={"id": {"S": "k"}})


def test_sns_publish_reaches_subscribers_and_answers_message_id(server, sfn, sns, sqs):
    url, queue_arn = make_queue(sqs)
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    machine = make_machine(
        sfn,
        one_task(
            "arn:aws:states:::sns:publish",
            {"TopicArn": topic, "Message.$": "$.text", "Subject": "hello"},
        ),
    )

    out = output(run_to_end(server, sfn, machine, {"text": "from a workflow"}))
    [message] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]

    assert message["Body"] == "from a workflow"
    assert out["MessageId"]
    assert out["SdkResponseMetadata"]["RequestId"]


def test_sns_publish_wait_for_task_token(server, sfn, sns, sqs):
    url, queue_arn = make_queue(sqs)
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    machine = make_machine(
        sfn,
        one_task(
            "arn:aws:states:::sns:publish.waitForTaskToken",
            {"TopicArn": topic, "Message": {"token.$": "$$.Task.Token"}},
        ),
    )
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    server.wait_idle()
    [message] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    running = sfn.describe_execution(executionArn=arn)["status"]

    sfn.send_task_success(taskToken=json.loads(message["Body"])["token"], output='{"ok": 1}')
    server.wait_idle()

    assert running == "RUNNING"
    assert output(sfn.describe_execution(executionArn=arn)) == {"ok": 1}


def source_to_queue(server: Any, sqs: Any) -> tuple[str, str]:
    """A new event source and the queue a default-bus rule sends its events to."""
    events = server.client("events")
    url, queue_arn = make_queue(sqs)
    source, rule = unique("app.orders"), unique("r")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": queue_arn}])
    return source, url


def test_events_put_events_to_a_rule_and_wait_for_task_token(server, sfn, sqs):
    source, url = source_to_queue(server, sqs)
    entry = {"Source": source, "DetailType": "placed", "Detail": {"token.$": "$$.Task.Token"}}
    plain = make_machine(
        sfn,
        one_task("arn:aws:states:::events:putEvents", {"Entries": [{**entry, "Detail": {}}]}),
    )
    waiting = make_machine(
        sfn, one_task("arn:aws:states:::events:putEvents.waitForTaskToken", {"Entries": [entry]})
    )

    out = output(run_to_end(server, sfn, plain))
    first = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"][0]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    arn = sfn.start_execution(stateMachineArn=waiting, input="{}")["executionArn"]
    server.wait_idle()
    second = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"][0]
    token = json.loads(second["Body"])["detail"]["token"]
    sfn.send_task_failure(taskToken=token, error="Order.Lost", cause="no stock")
    server.wait_idle()
    failed = sfn.describe_execution(executionArn=arn)

    assert out["FailedEntryCount"] == 0
    assert out["Entries"][0]["EventId"]
    assert json.loads(first["Body"])["detail-type"] == "placed"
    assert failed["status"] == "FAILED"
    assert failed["error"] == "Order.Lost"


def test_events_put_events_names_the_execution_and_its_machine_in_resources(server, sfn, sqs):
    """AWS appends the execution's and the state machine's ARNs to each entry's Resources."""
    source, url = source_to_queue(server, sqs)
    entry = {"Source": source, "DetailType": "t", "Detail": {}, "Resources": ["mine"]}
    machine = make_machine(sfn, one_task("arn:aws:states:::events:putEvents", {"Entries": [entry]}))

    done = run_to_end(server, sfn, machine)
    [message] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]

    assert done["status"] == "SUCCEEDED"
    assert json.loads(message["Body"])["resources"] == ["mine", done["executionArn"], machine]


@pytest.mark.parametrize("suffix", ["", ".waitForTaskToken"])
def test_a_failed_put_events_entry_fails_the_task_with_eventbridge_failed_entry(
    server, sfn, suffix
):
    """A non-zero FailedEntryCount fails the Task (a callback would wait for a token no
    event carries); the cause is PutEvents' answer, naming the entry's error."""
    detail = {"token.$": "$$.Task.Token"} if suffix else {}
    entry = {"Source": "s", "DetailType": "t", "Detail": detail}
    machine = make_machine(
        sfn,
        one_task(
            "arn:aws:states:::events:putEvents" + suffix,
            {"Entries": [{**entry, "EventBusName": unique("no-such-bus")}]},
        ),
    )

    done = run_to_end(server, sfn, machine)
    [failed] = [e for e in history(sfn, done["executionArn"]) if e["type"] == "TaskFailed"]
    cause = json.loads(done["cause"])

    assert (done["status"], done["error"]) == ("FAILED", "EventBridge.FailedEntry")
    assert cause["FailedEntryCount"] == 1
    assert cause["Entries"][0]["ErrorCode"]
    assert failed["taskFailedEventDetails"]["error"] == "EventBridge.FailedEntry"


def test_aws_sdk_sqs_errors_are_named_by_service_and_exception(server, sfn, sqs):
    url, _ = make_queue(sqs)
    send = make_machine(
        sfn,
        one_task(
            "arn:aws:states:::aws-sdk:sqs:sendMessage",
            {"QueueUrl": url, "MessageBody": "plain text"},
        ),
    )
    missing = make_machine(
        sfn,
        catching(
            "arn:aws:states:::aws-sdk:sqs:getQueueUrl",
            {"QueueName": unique("nope")},
            "Sqs.QueueDoesNotExistException",
        ),
    )

    sent = output(run_to_end(server, sfn, send))
    caught = output(run_to_end(server, sfn, missing))["caught"]
    [message] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]

    assert set(sent) >= {"MessageId", "Md5OfMessageBody"} or set(sent) >= {
        "MessageId",
        "MD5OfMessageBody",
    }
    assert message["Body"] == "plain text"
    assert caught["Error"] == "Sqs.QueueDoesNotExistException"


def test_aws_sdk_sfn_takes_pascal_case_and_answers_pascal_case(server, sfn):
    target = make_machine(sfn, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    machine = make_machine(
        sfn,
        {
            "StartAt": "Describe",
            "States": {
                "Describe": task(
                    "arn:aws:states:::aws-sdk:sfn:describeStateMachine",
                    {"StateMachineArn": target},
                    End=True,
                )
            },
        },
    )
    missing = make_machine(
        sfn,
        catching(
            "arn:aws:states:::aws-sdk:sfn:describeStateMachine",
            {"StateMachineArn": target + "-gone"},
            "Sfn.StateMachineDoesNotExistException",
        ),
    )

    described = output(run_to_end(server, sfn, machine))
    caught = output(run_to_end(server, sfn, missing))["caught"]

    assert described["StateMachineArn"] == target
    assert described["Type"] == "STANDARD"
    assert described["CreationDate"].endswith("Z")  # ISO 8601, as the Java SDK prints it
    assert json.loads(described["Definition"])["StartAt"] == "P"
    assert caught["Error"] == "Sfn.StateMachineDoesNotExistException"


def test_aws_sdk_s3_and_ssm(server, sfn):
    s3 = server.client("s3")
    bucket = unique("bkt")
    s3.create_bucket(Bucket=bucket)
    machine = make_machine(
        sfn,
        {
            "StartAt": "Put",
            "States": {
                "Put": task(
                    "arn:aws:states:::aws-sdk:s3:putObject",
                    {"Bucket": bucket, "Key": "note.txt", "Body.$": "$.text"},
                    ResultPath="$.put",
                    Next="Get",
                ),
                "Get": task(
                    "arn:aws:states:::aws-sdk:s3:getObject",
                    {"Bucket": bucket, "Key": "note.txt"},
                    ResultSelector={"body.$": "$.Body", "length.$": "$.ContentLength"},
                    ResultPath="$.got",
                    Next="Param",
                ),
                "Param": task(
                    "arn:aws:states:::aws-sdk:ssm:putParameter",
                    {"Name": "/wf/" + bucket, "Value.$": "$.got.body", "Type": "String"},
                    ResultPath="$.param",
                    Next="Missing",
                ),
                "Missing": {
                    **task("arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": bucket, "Key": "x"}),
                    "Catch": [
                        {
                            "ErrorEquals": ["S3.NoSuchKeyException"],
                            "ResultPath": "$.missing",
                            "Next": "Done",
                        }
                    ],
                    "Next": "Done",
                },
                "Done": {"Type": "Pass", "End": True},
            },
        },
    )

    out = output(run_to_end(server, sfn, machine, {"text": "hello s3"}))
    stored = s3.get_object(Bucket=bucket, Key="note.txt")["Body"].read()
    parameter = server.client("ssm").get_parameter(Name="/wf/" + bucket)["Parameter"]

    assert out["put"]["ETag"]
    assert out["got"] == {"body": "hello s3", "length": 8}
    assert stored == b"hello s3"
    assert parameter["Value"] == "hello s3"
    assert out["param"]["Version"] == 1
    assert out["missing"]["Error"] == "S3.NoSuchKeyException"


def test_aws_sdk_secretsmanager_get_secret_value(server, sfn):
    """aws-sdk:secretsmanager:getSecretValue reads the secret in process; a missing one is
    SecretsManager.ResourceNotFoundException."""
    name = unique("wf-secret")
    server.client("secretsmanager").create_secret(Name=name, SecretString='{"k": "v"}')
    machine = make_machine(
        sfn,
        one_task(
            "arn:aws:states:::aws-sdk:secretsmanager:getSecretValue",
            {"SecretId.$": "$.id"},
            ResultSelector={"secret.$": "States.StringToJson($.SecretString)", "name.$": "$.Name"},
        ),
    )
    missing = make_machine(
        sfn,
        catching(
            "arn:aws:states:::aws-sdk:secretsmanager:getSecretValue",
            {"SecretId": name + "-gone"},
            "SecretsManager.ResourceNotFoundException",
        ),
    )

    out = output(run_to_end(server, sfn, machine, {"id": name}))
    caught = output(run_to_end(server, sfn, missing))["caught"]

    assert out == {"secret": {"k": "v"}, "name": name}
    assert caught["Error"] == "SecretsManager.ResourceNotFoundException"
    assert "can't find the specified secret" in caught["Cause"]


def test_aws_sdk_tasks_fail_at_run_time_on_what_only_running_shows(server, sfn, sqs):
    """A missing required member is the API's own refusal; a valid AWS integration
    Stratus does not serve (EC2) fails as States.Runtime naming it."""
    url, _ = make_queue(sqs)
    sdk = "arn:aws:states:::aws-sdk:"
    cases = [
        (sdk + "sqs:sendMessage", {"QueueUrl": url}, "MessageBody", "Sqs.ValidationException"),
        (sdk + "ec2:describeInstances", {}, "ec2", "States.Runtime"),
    ]
    for resource, parameters, named, error in cases:
        described = run_to_end(server, sfn, make_machine(sfn, one_task(resource, parameters)))
        assert described["status"] == "FAILED", resource
        assert described["error"] == error, resource
        assert named.lower() in described["cause"].lower(), resource
    [task_failed] = [
        e for e in history(sfn, described["executionArn"]) if e["type"] == "TaskFailed"
    ]
    assert task_failed["taskFailedEventDetails"]["resourceType"] == "aws-sdk:ec2"
    assert task_failed["taskFailedEventDetails"]["resource"] == "describeInstances"


NOT_RECOGNIZED = (
    "SCHEMA_VALIDATION_FAILED: The resource provided {} is not recognized. The value is not"
    " a valid resource ARN, or the resource is not available in this region. at /States/T/Resource"
)


@pytest.mark.parametrize(
    ("resource", "parameters", "message"),
    [
        ("aws-sdk:sqs:sendMessag", {"QueueUrl": "q"}, NOT_RECOGNIZED),
        ("aws-sdk:nosuchservice:doIt", {}, NOT_RECOGNIZED),
        ("aws-sdk:sqs:sendMessage.sync", {"QueueUrl": "q"}, NOT_RECOGNIZED),
        ("lambda:invoke.sync", {"FunctionName": "f"}, NOT_RECOGNIZED),
        ("dynamodb:getItem.waitForTaskToken", {"TableName": "t"}, NOT_RECOGNIZED),
        ("states:startExecution.sync:3", {"StateMachineArn": "m"}, NOT_RECOGNIZED),
        ("sqs:sendMessages", {"QueueUrl": "q"}, NOT_RECOGNIZED),
        (
            "aws-sdk:sqs:sendMessage",
            {"QueueUrl": "q", "MessageBody": "b", "Nope.$": "$"},
            'SCHEMA_VALIDATION_FAILED: The field "Nope" is not supported by Step Functions'
            " at /States/T/Parameters",
        ),
    ],
)
def test_integrations_aws_does_not_have_are_refused_at_creation(sfn, resource, parameters, message):
    """As on AWS: CreateStateMachine refuses an SDK service or action that does not exist,
    a pattern the integration does not offer (.sync anywhere but states:startExecution),
    and a parameter the action does not take; ValidateStateMachineDefinition says why."""
    resource = "arn:aws:states:::" + resource
    definition = json.dumps(one_task(resource, parameters))
    expected = message.format(resource)

    with pytest.raises(sfn.exceptions.InvalidDefinition) as refused:
        sfn.create_state_machine(name=unique("x"), definition=definition, roleArn=ROLE)
    validated = sfn.validate_state_machine_definition(definition=definition)

    assert f"'{expected}'" in refused.value.response["Error"]["Message"]
    assert validated["result"] == "FAIL"
    [diagnostic] = validated["diagnostics"]
    assert (diagnostic["code"], diagnostic["message"]) == (
        "SCHEMA_VALIDATION_FAILED",
        expected.removeprefix("SCHEMA_VALIDATION_FAILED: ").rpartition(" at ")[0],
    )


@pytest.mark.parametrize(
    "resource",
    [
        "aws-sdk:sqs:sendMessage.waitForTaskToken",
        "aws-sdk:cloudwatchlogs:putLogEvents",
        "aws-sdk:eventbridge:putEvents",
        "aws-sdk:ec2:describeInstances",
        "lambda:invoke.waitForTaskToken",
        "states:startExecution.sync",
        "states:startExecution.sync:2",
        "glue:startJobRun.sync",
    ],
)
def test_integrations_aws_has_are_accepted_at_creation(sfn, resource):
    definition = json.dumps(one_task("arn:aws:states:::" + resource, {}))

    validated = sfn.validate_state_machine_definition(definition=definition)

    assert validated["result"] == "OK", validated["diagnostics"]


def test_express_sync_execution_calls_aws_sdk(server, sfn, dynamodb):
    table = make_table(dynamodb)
    dynamodb.put_item(TableName=table, Item={"id": {"S": "x"}, "v": {"S": "seen"}})
    machine = make_machine(
        sfn,
        one_task(
            "arn:aws:states:::aws-sdk:dynamodb:getItem",
            {"TableName": table, "Key": {"id": {"S": "x"}}},
            OutputPath="$.Item.v.S",
        ),
        type="EXPRESS",
    )
    client = server.client("stepfunctions", inject_host_prefix=False)

    answer = client.start_sync_execution(stateMachineArn=machine, input="{}")

    assert answer["status"] == "SUCCEEDED"
    assert json.loads(answer["output"]) == "seen"


def test_express_machines_refuse_wait_for_task_token_integrations(sfn):
    definition = one_task("arn:aws:states:::sns:publish.waitForTaskToken", {"TopicArn": "x"})
    with pytest.raises(sfn.exceptions.InvalidDefinition):
        sfn.create_state_machine(
            name=unique("x"), definition=json.dumps(definition), roleArn=ROLE, type="EXPRESS"
        )


def test_lambda_invoke_wait_for_task_token(server, sfn, deploy):
    function = deploy("def handler(event, context):\n    return {'seen': event['token']}\n")
    machine = make_machine(
        sfn,
        one_task(
            "arn:aws:states:::lambda:invoke.waitForTaskToken",
            {"FunctionName": function, "Payload": {"token.$": "$$.Task.Token"}},
        ),
    )
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    server.wait_idle()
    events = history(sfn, arn)
    [submitted] = [e for e in events if e["type"] == "TaskSubmitted"]
    token = json.loads(submitted["taskSubmittedEventDetails"]["output"])["Payload"]["seen"]
    running = sfn.describe_execution(executionArn=arn)["status"]

    sfn.send_task_success(taskToken=token, output='"done"')
    server.wait_idle()

    assert running == "RUNNING"
    assert output(sfn.describe_execution(executionArn=arn)) == "done"


def test_finished_executions_are_kept_90_days_then_forgotten(server, sfn):
    machine = make_machine(sfn, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    name = unique("kept")
    arn = sfn.start_execution(stateMachineArn=machine, name=name, input='{"a": 1}')["executionArn"]
    server.wait_idle()

    server.advance(89 * 86400)
    kept = sfn.describe_execution(executionArn=arn)["status"]
    refused = error_of(sfn.start_execution, stateMachineArn=machine, name=name, input='{"a": 2}')
    server.advance(2 * 86400)
    gone = error_of(sfn.describe_execution, executionArn=arn)
    gone_history = error_of(sfn.get_execution_history, executionArn=arn)
    listed = [e["executionArn"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]]
    again = sfn.start_execution(stateMachineArn=machine, name=name, input='{"a": 3}')
    server.wait_idle()

    assert kept == "SUCCEEDED"
    assert refused["Code"] == "ExecutionAlreadyExists"
    assert gone["Code"] == "ExecutionDoesNotExist"
    assert gone_history["Code"] == "ExecutionDoesNotExist"
    assert arn not in listed
    assert again["executionArn"] == arn  # the name is free again after the retention
    assert output(sfn.describe_execution(executionArn=arn)) == {"a": 3}


def logged_events(server: Any, group: str, count: int) -> list[dict[str, Any]]:
    """The group's log events, once `count` of them are there (logs are flushed in batches)."""
    logs = server.client("logs")
    found: list[dict[str, Any]] = []

    def enough() -> bool:
        found[:] = logs.filter_log_events(logGroupName=group)["events"]
        return len(found) >= count

    assert wait_for(enough), found
    return [json.loads(e["message"]) | {"stream": e["logStreamName"]} for e in found]


def logging_to(server: Any, level: str, data: bool) -> tuple[str, dict[str, Any]]:
    group = "/aws/vendedlogs/states/" + unique("g")
    server.client("logs").create_log_group(logGroupName=group)
    arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{group}:*"
    return group, {
        "level": level,
        "includeExecutionData": data,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": arn}}],
    }


def test_standard_executions_log_every_event_at_level_all(server, sfn):
    group, config = logging_to(server, "ALL", True)
    machine = make_machine(sfn, PASS_TWO, loggingConfiguration=config)
    arn = run_to_end(server, sfn, machine, {"x": 1})["executionArn"]

    events = logged_events(server, group, 6)

    assert [e["type"] for e in events] == [e["type"] for e in history(sfn, arn)]
    first = events[0]
    assert first["execution_arn"] == arn
    assert first["id"] == "1"
    assert first["previous_event_id"] == "0"
    assert first["redrive_count"] == "0"
    assert first["event_timestamp"].isdigit()
    assert json.loads(first["details"]["input"]) == {"x": 1}
    assert first["stream"].startswith(f"states/{machine.rsplit(':', 1)[1]}/")


def test_error_level_logs_failures_only_and_fatal_the_end(server, sfn):
    failing = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Next": "F"}, "F": {"Type": "Fail", "Error": "E"}},
    }
    error_group, error_config = logging_to(server, "ERROR", False)
    fatal_group, fatal_config = logging_to(server, "FATAL", False)
    run_to_end(server, sfn, make_machine(sfn, failing, loggingConfiguration=error_config))
    run_to_end(server, sfn, make_machine(sfn, failing, loggingConfiguration=fatal_config))

    errors = logged_events(server, error_group, 2)
    fatal = logged_events(server, fatal_group, 1)

    assert [e["type"] for e in errors] == ["FailStateEntered", "ExecutionFailed"]
    assert "input" not in errors[0]["details"]  # includeExecutionData false
    assert [e["type"] for e in fatal] == ["ExecutionFailed"]
    assert fatal[0]["details"]["error"] == "E"


def test_express_executions_log_to_cloudwatch_logs(server, sfn):
    group, config = logging_to(server, "ALL", False)
    machine = make_machine(sfn, PASS_TWO, type="EXPRESS", loggingConfiguration=config)
    client = server.client("stepfunctions", inject_host_prefix=False)

    answer = client.start_sync_execution(stateMachineArn=machine, input='{"secret": 1}')
    events = logged_events(server, group, 6)

    assert answer["status"] == "SUCCEEDED"
    assert next(e["type"] for e in events) == "ExecutionStarted"
    assert events[-1]["type"] == "ExecutionSucceeded"
    assert {e["execution_arn"] for e in events} == {answer["executionArn"]}
    assert "secret" not in json.dumps(events)  # no execution data


def test_a_stuck_express_execution_shows_its_progress_in_its_logs_then_times_out(server, sfn):
    """Express executions keep no history: their logs are written step by step, so one
    waiting (here a Wait longer than Express's five minutes) shows how far it got while
    it waits; at five minutes it ends TIMED_OUT, which its logs say (States.Timeout)."""
    group, config = logging_to(server, "ALL", False)
    stuck = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Next": "W"},
            "W": {"Type": "Wait", "Seconds": 3600, "End": True},
        },
    }
    machine = make_machine(sfn, stuck, type="EXPRESS", loggingConfiguration=config)

    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    while_stuck = logged_events(server, group, 4)
    server.clock.advance(300)  # not server.advance: that waits for idle, which it is not
    at_the_end = logged_events(server, group, 5)
    server.wait_idle()

    assert [e["type"] for e in while_stuck] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "WaitStateEntered",
    ]
    assert at_the_end[-1]["type"] == "ExecutionTimedOut"
    assert at_the_end[-1]["details"]["error"] == "States.Timeout"
    assert {e["execution_arn"] for e in at_the_end} == {arn}


PASS_TWO = {
    "StartAt": "A",
    "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": True}},
}


def test_start_execution_wait_for_task_token_waits_for_the_child_to_answer(server, sfn):
    child = make_machine(sfn, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    parent = make_machine(
        sfn,
        one_task(
            "arn:aws:states:::states:startExecution.waitForTaskToken",
            {"StateMachineArn": child, "Input": {"token.$": "$$.Task.Token"}},
        ),
    )
    arn = sfn.start_execution(stateMachineArn=parent, input="{}")["executionArn"]
    server.wait_idle()
    [started] = sfn.list_executions(stateMachineArn=child)["executions"]
    token = json.loads(sfn.describe_execution(executionArn=started["executionArn"])["output"])[
        "token"
    ]
    waiting = sfn.describe_execution(executionArn=arn)["status"]

    sfn.send_task_success(taskToken=token, output='{"answer": 42}')
    server.wait_idle()

    assert waiting == "RUNNING"
    assert output(sfn.describe_execution(executionArn=arn)) == {"answer": 42}


def test_update_state_machine_changes_its_logging(server, sfn):
    group, config = logging_to(server, "FATAL", False)
    machine = make_machine(sfn, {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "X"}}})

    sfn.update_state_machine(stateMachineArn=machine, loggingConfiguration=config)
    described = sfn.describe_state_machine(stateMachineArn=machine)
    run_to_end(server, sfn, machine)
    events = logged_events(server, group, 1)

    assert described["loggingConfiguration"]["level"] == "FATAL"
    assert [e["type"] for e in events] == ["ExecutionFailed"]


def test_asynchronous_express_executions_log_too(server, sfn):
    group, config = logging_to(server, "ALL", True)
    machine = make_machine(sfn, PASS_TWO, type="EXPRESS", loggingConfiguration=config)

    arn = sfn.start_execution(stateMachineArn=machine, input='{"n": 1}')["executionArn"]
    server.wait_idle()
    events = logged_events(server, group, 6)

    assert {e["execution_arn"] for e in events} == {arn}
    assert events[-1]["type"] == "ExecutionSucceeded"
    assert json.loads(events[-1]["details"]["output"]) == {"n": 1}
