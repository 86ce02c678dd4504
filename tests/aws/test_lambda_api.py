"""The Lambda control plane over boto3: shapes, defaults, limits and error types as on AWS."""

import base64
import hashlib
import json
import urllib.request

import pytest
from botocore.exceptions import ClientError
from tests.conftest import ROLE, make_zip

HELLO = make_zip({"app.py": "def handler(event, context):\n    return 'v1'\n"})


def _error(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def test_create_function_answers_with_aws_defaults(lambda_client):
    """CreateFunction's response has AWS's fields and defaults; GetFunction shows it Active."""
    name = f"defaults-{id(object())}"
    created = lambda_client.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": HELLO},
        Tags={"team": "core"},
    )
    fetched = lambda_client.get_function(FunctionName=name)
    lambda_client.delete_function(FunctionName=name)

    assert created["State"] == "Pending"
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    assert created["Timeout"] == 3
    assert created["MemorySize"] == 128
    assert created["EphemeralStorage"] == {"Size": 512}
    assert created["Architectures"] == ["x86_64"]
    assert created["PackageType"] == "Zip"
    assert created["Version"] == "$LATEST"
    assert created["TracingConfig"] == {"Mode": "PassThrough"}
    assert created["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"}
    assert created["CodeSha256"] == base64.b64encode(hashlib.sha256(HELLO).digest()).decode()
    assert created["CodeSize"] == len(HELLO)
    config = fetched["Configuration"]
    assert config["State"] == "Active"
    assert config["LastUpdateStatus"] == "Successful"
    assert fetched["Tags"] == {"team": "core"}
    assert fetched["Code"]["RepositoryType"] == "S3"
    with urllib.request.urlopen(fetched["Code"]["Location"]) as download:
        assert download.read() == HELLO


def test_update_code_and_configuration_take_effect(lambda_client, deploy):
    """New code and settings reach the next invoke; RevisionId changes each time."""
    name = deploy("def handler(event, context):\n    return 'v1'\n")
    first = lambda_client.get_function_configuration(FunctionName=name)
    assert json.loads(lambda_client.invoke(FunctionName=name)["Payload"].read()) == "v1"

    code = lambda_client.update_function_code(
        FunctionName=name,
        ZipFile=make_zip({"app.py": "import os\ndef handler(e, c):\n    return os.environ['V']\n"}),
    )
    config = lambda_client.update_function_configuration(
        FunctionName=name, Environment={"Variables": {"V": "v2"}}, Timeout=10
    )
    result = json.loads(lambda_client.invoke(FunctionName=name)["Payload"].read())

    assert code["LastUpdateStatus"] == "InProgress"
    assert len({first["RevisionId"], code["RevisionId"], config["RevisionId"]}) == 3
    assert config["Timeout"] == 10
    assert result == "v2"


def test_stale_revision_id_is_rejected(lambda_client, deploy):
    """An update naming an old RevisionId fails with PreconditionFailedException."""
    name = deploy("def handler(e, c):\n    return 1\n")
    old = lambda_client.get_function_configuration(FunctionName=name)["RevisionId"]
    lambda_client.update_function_configuration(FunctionName=name, Description="changed")

    with pytest.raises(ClientError) as excinfo:
        lambda_client.update_function_configuration(
            FunctionName=name, Description="again", RevisionId=old
        )

    assert _error(excinfo)[0] == "PreconditionFailedException"


def test_list_functions_paginates_with_marker(lambda_client, deploy):
    """MaxItems pages through every function exactly once."""
    names = {deploy("def handler(e, c):\n    return 1\n") for _ in range(5)}

    seen, marker = [], None
    while True:
        kwargs = {"MaxItems": 2} | ({"Marker": marker} if marker else {})
        page = lambda_client.list_functions(**kwargs)
        assert len(page["Functions"]) <= 2
        seen += [f["FunctionName"] for f in page["Functions"]]
        marker = page.get("NextMarker")
        if not marker:
            break

    assert names <= set(seen)
    assert len(seen) == len(set(seen))


def test_delete_function_removes_it(lambda_client, deploy):
    """After DeleteFunction, Get and Invoke say ResourceNotFoundException."""
    name = deploy("def handler(e, c):\n    return 1\n")
    lambda_client.delete_function(FunctionName=name)

    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_function(FunctionName=name)
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.invoke(FunctionName=name)


def test_function_can_be_named_by_arn(lambda_client, deploy):
    """Full and partial ARNs work wherever a FunctionName does."""
    name = deploy("def handler(e, c):\n    return 'arn'\n")

    full = lambda_client.invoke(
        FunctionName=f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    )
    partial = lambda_client.get_function(FunctionName=f"000000000000:function:{name}")

    assert json.loads(full["Payload"].read()) == "arn"
    assert partial["Configuration"]["FunctionName"] == name


def test_creating_an_existing_function_conflicts(lambda_client, deploy):
    """A second CreateFunction with the same name is ResourceConflictException."""
    name = deploy("def handler(e, c):\n    return 1\n")

    with pytest.raises(lambda_client.exceptions.ResourceConflictException):
        deploy("def handler(e, c):\n    return 2\n", FunctionName=name)


@pytest.mark.parametrize(
    ("overrides", "code", "fragment"),
    [
        ({"MemorySize": 100}, "ValidationException", "greater than or equal to 128"),
        ({"MemorySize": 20000}, "ValidationException", "less than or equal to 10240"),
        ({"Timeout": 0}, "ValidationException", "'timeout'"),
        ({"Timeout": 901}, "ValidationException", "less than or equal to 900"),
        ({"Runtime": "python9.9"}, "ValidationException", "enum value set"),
        (
            {"Runtime": "python2.7"},
            "InvalidParameterValueException",
            "The runtime parameter of python2.7 is no longer supported",
        ),
        ({"FunctionName": "bad name!"}, "ValidationException", "functionName"),
        ({"Role": "not-a-role"}, "ValidationException", "'role'"),
        ({"EphemeralStorage": {"Size": 100}}, "ValidationException", "ephemeralStorage.size"),
        (
            {"Environment": {"Variables": {"AWS_REGION": "x"}}},
            "InvalidParameterValueException",
            "reserved keys",
        ),
        (
            {"Environment": {"Variables": {"BIG": "x" * 5000}}},
            "InvalidParameterValueException",
            "exceeded the 4KB limit",
        ),
        (
            {"Code": {"ZipFile": b"not a zip"}},
            "InvalidParameterValueException",
            "Could not unzip uploaded file",
        ),
    ],
)
def test_invalid_create_requests_get_aws_error_types(server, overrides, code, fragment):
    """Each bad input gets AWS's error type and a message naming what to fix; nothing is stored."""
    # Without boto3's own checks, so the server's validation is what answers.
    lambda_client = server.client("lambda", parameter_validation=False)
    request = {
        "FunctionName": "never-created",
        "Runtime": "python3.11",
        "Role": ROLE,
        "Handler": "app.handler",
        "Code": {"ZipFile": HELLO},
    } | overrides

    with pytest.raises(ClientError) as excinfo:
        lambda_client.create_function(**request)

    assert _error(excinfo)[0] == code
    assert fragment in _error(excinfo)[1]
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_function(FunctionName="never-created")


def test_invoke_payload_limits_and_bad_json(lambda_client, deploy):
    """Invalid JSON is InvalidRequestContentException; over 6 MB sync or 1 MB async is 413
    RequestEntityTooLargeException, in AWS's words for each invocation type."""
    name = deploy("def handler(e, c):\n    return 1\n")
    big = json.dumps("x" * (6 * 1024 * 1024))
    medium = json.dumps("x" * (1024 * 1024 + 10))

    with pytest.raises(lambda_client.exceptions.InvalidRequestContentException):
        lambda_client.invoke(FunctionName=name, Payload=b"{not json")
    with pytest.raises(ClientError) as sync:
        lambda_client.invoke(FunctionName=name, Payload=big)
    with pytest.raises(ClientError) as event:
        lambda_client.invoke(FunctionName=name, Payload=medium, InvocationType="Event")
    ok = lambda_client.invoke(FunctionName=name, Payload=medium)

    assert _error(sync) == (
        "RequestEntityTooLargeException",
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
    )
    assert sync.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert _error(event) == (
        "RequestEntityTooLargeException",
        f"{len(medium)} byte payload is too large for the Event invocation type "
        "(limit 1048576 bytes)",
    )
    assert event.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert ok["StatusCode"] == 200


def test_dry_run_checks_the_function_without_running_it(lambda_client, deploy):
    """InvocationType DryRun answers 204 for a function that exists."""
    name = deploy("def handler(e, c):\n    raise SystemExit('must not run')\n")

    response = lambda_client.invoke(FunctionName=name, InvocationType="DryRun")

    assert response["StatusCode"] == 204


def test_log_tail_holds_start_end_and_a_measured_report(lambda_client, deploy):
    """LogType=Tail returns the invocation's log with START, output, END and REPORT."""
    name = deploy("def handler(e, c):\n    print('from the handler')\n    return 1\n")

    response = lambda_client.invoke(FunctionName=name, LogType="Tail")
    log = base64.b64decode(response["LogResult"]).decode()

    lines = log.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("START RequestId: "))
    assert lines[start].endswith("Version: $LATEST")
    assert lines[start + 1] == "from the handler"
    assert lines[start + 2].startswith("END RequestId: ")
    report = lines[start + 3]
    assert report.startswith("REPORT RequestId: ")
    for field in (
        "Duration:",
        "Billed Duration:",
        "Memory Size: 128 MB",
        "Max Memory Used:",
        "Init Duration:",
    ):
        assert field in report


def test_max_memory_used_is_the_environments_own_peak(lambda_client, deploy):
    """REPORT's Max Memory Used is what the environment used, within its Memory Size, and
    grows with what the handler allocates (not the server's peak carried across exec)."""
    name = deploy(
        "def handler(e, c):\n"
        "    block = bytearray(e['mb'] * 1024 * 1024)\n"
        "    block[::4096] = b'x' * len(block[::4096])\n"
        "    return len(block)\n"
    )

    def used(mb):
        payload = f'{{"mb": {mb}}}'
        response = lambda_client.invoke(FunctionName=name, LogType="Tail", Payload=payload)
        report = base64.b64decode(response["LogResult"]).decode().splitlines()[-1]
        return int(report.split("Max Memory Used: ")[1].split(" MB")[0])

    small, large = used(1), used(60)

    assert 0 < small < 128
    assert small + 50 <= large <= 128


def test_unknown_qualifier_is_not_found(lambda_client, deploy):
    """Versions come later; an unknown qualifier is ResourceNotFoundException."""
    name = deploy("def handler(e, c):\n    return 1\n")

    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.invoke(FunctionName=name, Qualifier="7")


def test_oversized_control_request_is_refused(server):
    """A CreateFunction body over Lambda's 70 MB limit gets 413 before it is read."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.settings.port)
    connection.putrequest("POST", "/2015-03-31/functions")
    connection.putheader("Content-Length", str(80 * 1024 * 1024))
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    response.close()  # the socket lives on in the response until it is closed
    connection.close()

    assert response.status == 413
    assert response.getheader("x-amzn-ErrorType") == "RequestEntityTooLargeException"
    assert b"for the CreateFunction operation" in body


def _refused_both_ways(lambda_client, deploy, created: dict, updated: dict) -> list:
    """CreateFunction with `created` and UpdateFunctionConfiguration of an existing function
    with `updated`, each refused: their (code, message), once checked that nothing was
    created or changed."""
    existing = deploy("def handler(e, c):\n    return 1\n")
    before = lambda_client.get_function_configuration(FunctionName=existing)["RevisionId"]
    create = {"Runtime": "python3.12", "Handler": "app.handler", **created}

    with pytest.raises(ClientError) as create_refused:
        lambda_client.create_function(
            FunctionName="refused", Role=ROLE, Code={"ZipFile": HELLO}, **create
        )
    with pytest.raises(ClientError) as update_refused:
        lambda_client.update_function_configuration(FunctionName=existing, **updated)

    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_function(FunctionName="refused")
    after = lambda_client.get_function_configuration(FunctionName=existing)
    assert (after["RevisionId"], after["Runtime"]) == (before, "python3.11")
    return [_error(create_refused), _error(update_refused)]


def test_durable_config_is_refused_not_dropped(lambda_client, deploy):
    """Stratus runs no durable functions: DurableConfig on CreateFunction or
    UpdateFunctionConfiguration is InvalidParameterValueException saying so, and nothing
    is created or changed."""
    durable = {"DurableConfig": {"ExecutionTimeout": 900, "RetentionPeriodInDays": 3}}

    answers = _refused_both_ways(lambda_client, deploy, durable, durable)

    for code, message in answers:
        assert code == "InvalidParameterValueException"
        assert "Stratus does not support durable functions" in message


def test_tenancy_config_is_refused_not_dropped(lambda_client):
    """Stratus isolates no tenants: TenancyConfig on CreateFunction is
    InvalidParameterValueException saying so, and nothing is created. Dropped, a handler
    reading context.tenant_id failed at every invocation."""
    with pytest.raises(ClientError) as refused:
        lambda_client.create_function(
            FunctionName="tenanted", Role=ROLE, Code={"ZipFile": HELLO}, Runtime="python3.12",
            Handler="app.handler", TenancyConfig={"TenantIsolationMode": "PER_TENANT"},
        )  # fmt: skip

    code, message = _error(refused)
    assert code == "InvalidParameterValueException"
    assert "Stratus does not support tenant isolation" in message
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_function(FunctionName="tenanted")


BLOCKED = (
    "The runtime parameter of {} is no longer supported for creating or updating AWS Lambda "
    "functions. We recommend you use a supported runtime while creating or updating functions."
)


def test_runtimes_aws_blocked_get_aws_answer(lambda_client, deploy):
    """python3.7 and python3.8 (AWS blocks both creating and updating functions with them)
    are InvalidParameterValueException with AWS's own message, on CreateFunction and
    UpdateFunctionConfiguration, and nothing is created or changed."""
    answers = _refused_both_ways(
        lambda_client, deploy, {"Runtime": "python3.7"}, {"Runtime": "python3.8"}
    )

    assert answers == [
        ("InvalidParameterValueException", BLOCKED.format("python3.7")),
        ("InvalidParameterValueException", BLOCKED.format("python3.8")),
    ]


def test_runtimes_stratus_cannot_run_are_refused_saying_what_runs(lambda_client):
    """nodejs22.x is a runtime AWS runs and Stratus does not: the answer says so and names
    the runtimes it runs (not an enum error that reads as if nodejs22.x were misspelt)."""
    with pytest.raises(ClientError) as refused:
        lambda_client.create_function(
            FunctionName="node-refused",
            Runtime="nodejs22.x",
            Handler="index.handler",
            Role=ROLE,
            Code={"ZipFile": HELLO},
        )

    code, message = _error(refused)
    assert code == "InvalidParameterValueException"
    assert message.startswith("Stratus does not run the nodejs22.x runtime: it runs python3.9 to")
    assert "provided.al2023" in message
