"""Layers through boto3: publishing and listing versions, functions that use them, /opt."""

import base64
import hashlib
import io
import itertools
import json
import sys
import urllib.request
import zipfile

import pytest
from botocore.exceptions import ClientError
from tests.conftest import create_function, invoke_json, make_zip

from stratus.runtime.interpreters import interpreter_for

_names = itertools.count()

SHOW_MODULE = """
    import os
    import sys

    def handler(event, context):
        module = __import__(event["module"])
        return {
            "value": module.VALUE,
            "file": module.__file__,
            "path": sys.path[:4],
            "env": {k: os.environ.get(k) for k in ("PATH", "LD_LIBRARY_PATH")},
        }
"""


def _layer_name() -> str:
    return f"layer-{next(_names)}"


def _publish(client, name, files, modes=None, **extra):
    return client.publish_layer_version(
        LayerName=name, Content={"ZipFile": make_zip(files, modes)}, **extra
    )


def _error(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def _zeros_zip(path: str, size: int) -> bytes:
    """An archive that unzips to `size` bytes but is small to send."""
    buffer = io.BytesIO()
    chunk = bytes(1024 * 1024)
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle,
        bundle.open(path, "w") as out,
    ):
        for _ in range(size // len(chunk)):
            out.write(chunk)
        out.write(bytes(size % len(chunk)))
    return buffer.getvalue()


@pytest.fixture
def opt_is_mounted(server):
    """Whether environments see layers at /opt itself (a mount namespace), not their real path."""
    return server.isolation()["tmp"] == "private"


def test_layer_python_module_is_importable(lambda_client, deploy, opt_is_mounted):
    """A module under python/ in a layer imports in the function; /opt paths follow AWS's order."""
    layer = _publish(lambda_client, _layer_name(), {"python/greeting.py": "VALUE = 'hello'\n"})
    name = deploy(SHOW_MODULE, Layers=[layer["LayerVersionArn"]])

    config = lambda_client.get_function_configuration(FunctionName=name)
    _, result = invoke_json(lambda_client, name, {"module": "greeting"})

    assert config["Layers"] == [
        {"Arn": layer["LayerVersionArn"], "CodeSize": layer["Content"]["CodeSize"]}
    ]
    assert result["value"] == "hello"
    opt = "/opt" if opt_is_mounted else result["file"].removesuffix("/python/greeting.py")
    assert result["file"] == f"{opt}/python/greeting.py"
    task_root = result["path"][0]
    assert result["path"] == [
        task_root,
        f"{opt}/python/lib/python3.11/site-packages",
        f"{opt}/python",
        result["path"][3],
    ]
    assert result["env"]["PATH"].endswith(f":{opt}/bin")
    assert result["env"]["LD_LIBRARY_PATH"] == f"{opt}/lib"


@pytest.mark.parametrize("runtime", ["python3.11", "python3.12"])
def test_site_packages_in_a_layer_are_importable(lambda_client, deploy, runtime):
    """Packages under python/lib/python3.X/site-packages import, for the function's own 3.X."""
    if not interpreter_for(runtime).exact:
        pytest.skip(f"{runtime} is not installed on this host")
    layer = _publish(
        lambda_client,
        _layer_name(),
        {
            f"python/lib/{version}/site-packages/deep/__init__.py": f"VALUE = {version!r}\n"
            for version in ("python3.11", "python3.12")
        },
    )
    name = deploy(SHOW_MODULE, Layers=[layer["LayerVersionArn"]], Runtime=runtime)

    _, result = invoke_json(lambda_client, name, {"module": "deep"})

    assert result["value"] == runtime


def test_later_layers_overwrite_earlier_files(lambda_client, deploy):
    """Layers are laid out in the order given: a file in a later layer replaces an earlier one."""
    first = _publish(
        lambda_client,
        _layer_name(),
        {"python/shared.py": "VALUE = 'first'\n", "python/only_first.py": "VALUE = 1\n"},
    )["LayerVersionArn"]
    second = _publish(
        lambda_client,
        _layer_name(),
        {"python/shared.py": "VALUE = 'second'\n", "python/only_second.py": "VALUE = 2\n"},
    )["LayerVersionArn"]
    forward = deploy(SHOW_MODULE, Layers=[first, second])
    backward = deploy(SHOW_MODULE, Layers=[second, first])

    _, forward_shared = invoke_json(lambda_client, forward, {"module": "shared"})
    _, backward_shared = invoke_json(lambda_client, backward, {"module": "shared"})
    _, one = invoke_json(lambda_client, forward, {"module": "only_first"})
    _, two = invoke_json(lambda_client, forward, {"module": "only_second"})

    assert forward_shared["value"] == "second"
    assert backward_shared["value"] == "first"
    assert (one["value"], two["value"]) == (1, 2)


def test_layer_binaries_are_on_path(lambda_client, deploy):
    """An executable under bin/ in a layer runs by name: /opt/bin is on PATH."""
    layer = _publish(
        lambda_client,
        _layer_name(),
        {"bin/greet-tool": "#!/bin/sh\necho tool says $1\n"},
        modes={"bin/greet-tool": 0o755},
    )
    name = deploy(
        """
        import subprocess

        def handler(event, context):
            return subprocess.run(["greet-tool", "hi"], capture_output=True, text=True).stdout
        """,
        Layers=[layer["LayerVersionArn"]],
    )

    _, result = invoke_json(lambda_client, name)

    assert result == "tool says hi\n"


def test_layer_files_are_read_only_when_mounted(lambda_client, deploy, opt_is_mounted):
    """With a mount namespace, /opt is bound read-only: a function cannot change a shared layer."""
    if not opt_is_mounted:
        pytest.skip("layers are not mounted at /opt on this host (no mount namespace)")
    layer = _publish(lambda_client, _layer_name(), {"data.txt": "original"})
    name = deploy(
        """
        def handler(event, context):
            try:
                open("/opt/data.txt", "w").write("changed")
            except OSError as exc:
                return type(exc).__name__ + ": " + open("/opt/data.txt").read()
            return "written"
        """,
        Layers=[layer["LayerVersionArn"]],
    )

    _, result = invoke_json(lambda_client, name)

    assert result == "OSError: original"


def test_publish_get_list_and_delete_versions(lambda_client):
    """Versions count up from 1 and are never reused; Get, GetByArn, List and Delete agree."""
    name = _layer_name()
    first_zip = make_zip({"python/v.py": "VALUE = 1\n"})
    first = lambda_client.publish_layer_version(
        LayerName=name,
        Content={"ZipFile": first_zip},
        Description="first",
        CompatibleRuntimes=["python3.11", "python3.12"],
        CompatibleArchitectures=["x86_64"],
        LicenseInfo="MIT",
    )
    second = _publish(lambda_client, name, {"python/v.py": "VALUE = 2\n"})

    fetched = lambda_client.get_layer_version(LayerName=name, VersionNumber=1)
    by_arn = lambda_client.get_layer_version_by_arn(Arn=first["LayerVersionArn"])
    by_layer_arn = lambda_client.get_layer_version(LayerName=first["LayerArn"], VersionNumber=2)
    listed = lambda_client.list_layer_versions(LayerName=name)["LayerVersions"]
    lambda_client.delete_layer_version(LayerName=name, VersionNumber=2)
    lambda_client.delete_layer_version(LayerName=name, VersionNumber=2)  # idempotent
    after_delete = lambda_client.list_layer_versions(LayerName=name)["LayerVersions"]
    third = _publish(lambda_client, name, {"python/v.py": "VALUE = 3\n"})

    arn = f"arn:aws:lambda:us-east-1:000000000000:layer:{name}"
    assert first["LayerArn"] == arn
    assert (first["LayerVersionArn"], first["Version"]) == (f"{arn}:1", 1)
    assert (second["LayerVersionArn"], second["Version"]) == (f"{arn}:2", 2)
    assert (
        first["Content"]["CodeSha256"]
        == base64.b64encode(hashlib.sha256(first_zip).digest()).decode()
    )
    assert first["Content"]["CodeSize"] == len(first_zip)
    assert first["CompatibleRuntimes"] == ["python3.11", "python3.12"]
    assert first["CompatibleArchitectures"] == ["x86_64"]
    assert first["LicenseInfo"] == "MIT"
    assert first["Description"] == "first"
    assert first["CreatedDate"].endswith("+0000")
    assert "CompatibleRuntimes" not in second
    with urllib.request.urlopen(fetched["Content"]["Location"]) as download:
        assert download.read() == first_zip
    for same in (fetched, by_arn):
        assert {k: v for k, v in same.items() if k != "ResponseMetadata"} == {
            k: v for k, v in first.items() if k != "ResponseMetadata"
        }
    assert by_layer_arn["Version"] == 2
    assert [v["Version"] for v in listed] == [2, 1]
    assert "Content" not in listed[0]
    assert listed[1]["LicenseInfo"] == "MIT"
    assert [v["Version"] for v in after_delete] == [1]
    assert third["Version"] == 3
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_layer_version(LayerName=name, VersionNumber=2)
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_layer_version_by_arn(Arn=f"{arn}:2")


def test_list_layers_shows_latest_matching_version(lambda_client):
    """ListLayers gives each layer's newest version that matches the runtime filter."""
    name = _layer_name()
    _publish(lambda_client, name, {"a.txt": "1"}, CompatibleRuntimes=["python3.11"])
    _publish(lambda_client, name, {"a.txt": "2"}, CompatibleRuntimes=["python3.12"])

    everything = _all_layers(lambda_client)
    for_311 = _all_layers(lambda_client, CompatibleRuntime="python3.11")
    for_node = _all_layers(lambda_client, CompatibleRuntime="nodejs20.x")

    assert everything[name]["LatestMatchingVersion"]["Version"] == 2
    assert everything[name]["LayerArn"].endswith(f":layer:{name}")
    assert for_311[name]["LatestMatchingVersion"]["Version"] == 1
    assert name not in for_node


def _all_layers(client, **filters):
    """Every page of ListLayers, two at a time, by layer name."""
    found, marker = {}, None
    while True:
        page = client.list_layers(MaxItems=2, **filters, **({"Marker": marker} if marker else {}))
        assert len(page["Layers"]) <= 2
        for layer in page["Layers"]:
            assert layer["LayerName"] not in found
            found[layer["LayerName"]] = layer
        marker = page.get("NextMarker")
        if not marker:
            return found


def test_list_layer_versions_paginates(lambda_client):
    """ListLayerVersions pages newest first with Marker/MaxItems; an unknown layer has none."""
    name = _layer_name()
    for n in range(5):
        _publish(lambda_client, name, {"n.txt": str(n)})

    seen, marker = [], None
    while True:
        page = lambda_client.list_layer_versions(
            LayerName=name, MaxItems=2, **({"Marker": marker} if marker else {})
        )
        seen += [v["Version"] for v in page["LayerVersions"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    unknown = lambda_client.list_layer_versions(LayerName=_layer_name())

    assert seen == [5, 4, 3, 2, 1]
    assert unknown["LayerVersions"] == []


def test_functions_keep_a_deleted_layer_version(lambda_client, deploy):
    """Deleting a version stops new functions using it; functions that have it keep running it."""
    name = _layer_name()
    layer = _publish(lambda_client, name, {"python/kept.py": "VALUE = 'kept'\n"})
    function = deploy(SHOW_MODULE, Layers=[layer["LayerVersionArn"]])
    lambda_client.delete_layer_version(LayerName=name, VersionNumber=1)
    # A configuration change starts a fresh environment, which must still find the layer.
    lambda_client.update_function_configuration(FunctionName=function, Description="fresh")

    _, result = invoke_json(lambda_client, function, {"module": "kept"})

    assert result["value"] == "kept"
    with pytest.raises(ClientError) as excinfo:
        deploy(SHOW_MODULE, Layers=[layer["LayerVersionArn"]])
    assert _error(excinfo) == (
        "InvalidParameterValueException",
        f"Layer version {layer['LayerVersionArn']} does not exist.",
    )


def test_published_function_version_keeps_its_layers(lambda_client, deploy):
    """A published version runs the layers it had; $LATEST takes new ones; [] removes them."""
    name = _layer_name()
    one = _publish(lambda_client, name, {"python/which.py": "VALUE = 'one'\n"})["LayerVersionArn"]
    two = _publish(lambda_client, name, {"python/which.py": "VALUE = 'two'\n"})["LayerVersionArn"]
    function = deploy(SHOW_MODULE, Layers=[one])
    published = lambda_client.publish_version(FunctionName=function)
    updated = lambda_client.update_function_configuration(FunctionName=function, Layers=[two])

    _, old = invoke_json(lambda_client, function, {"module": "which"}, Qualifier="1")
    _, new = invoke_json(lambda_client, function, {"module": "which"})
    cleared = lambda_client.update_function_configuration(FunctionName=function, Layers=[])

    assert published["Layers"] == [{"Arn": one, "CodeSize": published["Layers"][0]["CodeSize"]}]
    assert [layer["Arn"] for layer in updated["Layers"]] == [two]
    assert (old["value"], new["value"]) == ("one", "two")
    assert "Layers" not in cleared
    assert "Layers" not in lambda_client.get_function_configuration(FunctionName=function)


@pytest.fixture(scope="module")
def two_layer_versions(lambda_client):
    name = _layer_name()
    return [_publish(lambda_client, name, {"x.txt": str(n)})["LayerVersionArn"] for n in (1, 2)]


@pytest.mark.parametrize(
    ("layers", "code", "message"),
    [
        (
            ["arn:aws:lambda:us-east-1:000000000000:layer:no-such-layer:1"],
            "InvalidParameterValueException",
            "Layer version arn:aws:lambda:us-east-1:000000000000:layer:no-such-layer:1 does "
            "not exist.",
        ),
        (
            [f"arn:aws:lambda:us-east-1:000000000000:layer:many-{n}:1" for n in range(6)],
            "InvalidParameterValueException",
            "Cannot reference more than 5 layers.",
        ),
        (
            ["not-an-arn"],
            "ValidationException",
            "1 validation error detected: Value '[not-an-arn]' at 'layers' failed to satisfy "
            "constraint: Member must satisfy constraint: [Member must have length less than or "
            "equal to 140",
        ),
        (
            ["arn:aws:lambda:us-east-1:000000000000:layer:unversioned"],
            "ValidationException",
            "at 'layers' failed to satisfy constraint",
        ),
        (
            ["arn:aws:lambda:eu-west-1:000000000000:layer:elsewhere:1"],
            "InvalidParameterValueException",
            "Layers are not in the same region as the function. Layers are expected to be in "
            "region us-east-1.",
        ),
        (
            "both-versions",
            "InvalidParameterValueException",
            "Two different versions of the same layer are not allowed to be referenced in the "
            "same function.",
        ),
    ],
)
def test_invalid_layer_lists_are_refused(server, deploy, two_layer_versions, layers, code, message):
    """Bad Layers get AWS's error type and message, on create and on update; nothing changes."""
    client = server.client("lambda", parameter_validation=False)
    if layers == "both-versions":
        layers = two_layer_versions
    name = deploy(SHOW_MODULE)

    with pytest.raises(ClientError) as on_create:
        create_function(client, f"{name}-never", SHOW_MODULE, Layers=layers)
    with pytest.raises(ClientError) as on_update:
        client.update_function_configuration(FunctionName=name, Layers=layers)

    for excinfo in (on_create, on_update):
        assert _error(excinfo)[0] == code
        assert message in _error(excinfo)[1]
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "Layers" not in client.get_function_configuration(FunctionName=name)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function(FunctionName=f"{name}-never")


def test_function_and_layers_over_250_mb_unzipped_are_refused(lambda_client, deploy):
    """Function code and layers together may unzip to at most 250 MB, checked on every change."""
    big = _zeros_zip("big.bin", 120 * 1024 * 1024)
    arns = [
        lambda_client.publish_layer_version(LayerName=_layer_name(), Content={"ZipFile": big})[
            "LayerVersionArn"
        ]
        for _ in range(3)
    ]
    function = deploy(SHOW_MODULE, Layers=arns[:2])  # 240 MB and a little code: allowed

    with pytest.raises(ClientError) as on_create:
        deploy(SHOW_MODULE, Layers=arns)
    with pytest.raises(ClientError) as on_update:
        lambda_client.update_function_configuration(FunctionName=function, Layers=arns)
    with pytest.raises(ClientError) as on_code:
        lambda_client.update_function_code(
            FunctionName=function, ZipFile=_zeros_zip("app.bin", 11 * 1024 * 1024)
        )

    for excinfo in (on_create, on_update, on_code):
        code, message = _error(excinfo)
        assert code == "InvalidParameterValueException"
        assert message.startswith(
            "Function code combined with layers exceeds the maximum allowed size of 262144000 "
            "bytes. The actual size is "
        )


@pytest.mark.parametrize(
    ("call", "code"),
    [
        ({"op": "get_layer_version", "LayerName": "nope", "VersionNumber": 1}, "ResourceNotFound"),
        ({"op": "get_layer_version", "LayerName": "bad name!", "VersionNumber": 1}, "Validation"),
        (
            {"op": "get_layer_version", "LayerName": "x", "VersionNumber": 0},
            "InvalidParameterValue",
        ),
        ({"op": "get_layer_version_by_arn", "Arn": "arn:aws:lambda:x"}, "Validation"),
        ({"op": "list_layers", "CompatibleRuntime": "cobol"}, "Validation"),
        ({"op": "list_layers", "MaxItems": 51}, "Validation"),
        (
            {"op": "publish_layer_version", "LayerName": "l", "Content": {"ZipFile": b"no zip"}},
            "InvalidParameterValue",
        ),
        (
            {
                "op": "publish_layer_version",
                "LayerName": "l",
                "Content": {"ZipFile": make_zip({"a": "b"})},
                "CompatibleRuntimes": ["cobol"],
            },
            "Validation",
        ),
        ({"op": "publish_layer_version", "LayerName": "l", "Content": {}}, "InvalidParameterValue"),
    ],
)
def test_layer_api_errors(server, call, code):
    """Unknown versions, bad names, filters and content get AWS's error types."""
    client = server.client("lambda", parameter_validation=False)
    operation = getattr(client, call.pop("op"))

    with pytest.raises(ClientError) as excinfo:
        operation(**call)

    assert _error(excinfo)[0] == f"{code}Exception"


def test_layer_arns_name_only_this_account(lambda_client):
    """A layer of another account cannot be found here; the message says how to get it."""
    foreign = "arn:aws:lambda:us-east-1:123456789012:layer:shared:3"

    with pytest.raises(ClientError) as excinfo:
        create_function(lambda_client, f"foreign-{next(_names)}", SHOW_MODULE, Layers=[foreign])

    code, message = _error(excinfo)
    assert code == "InvalidParameterValueException"
    assert message.startswith(f"Layer version {foreign} does not exist.")
    assert "PublishLayerVersion" in message


POWERTOOLS_V3 = (
    "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-{python}-x86_64:7"
)
USES_POWERTOOLS = """
from aws_lambda_powertools import Logger
from aws_lambda_powertools.shared.version import VERSION

logger = Logger(service="orders")

def handler(event, context):
    logger.info("hello")
    return VERSION
"""


def test_powertools_public_layer_is_built_from_the_package_index(lambda_client, deploy):
    """Many SAM templates name Powertools for AWS Lambda's public layer by ARN; Stratus
    builds it (the newest 3.x for a V3 layer) and the function imports it from /opt. It is
    listed nowhere, and AWS's other accounts' layers are still refused."""
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    layer = POWERTOOLS_V3.format(python=runtime.replace(".", ""))
    name = deploy(USES_POWERTOOLS, Runtime=runtime, Layers=[layer], Timeout=30)
    other = "arn:aws:lambda:us-east-1:123456789012:layer:Theirs:1"

    response = lambda_client.invoke(FunctionName=name)
    version = json.loads(response["Payload"].read())
    listed = list(_all_layers(lambda_client))
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.update_function_configuration(FunctionName=name, Layers=[other])

    assert "FunctionError" not in response, version
    assert version.startswith("3.")
    assert lambda_client.get_function_configuration(FunctionName=name)["Layers"][0]["Arn"] == layer
    assert not any("Powertools" in listed_name for listed_name in listed)


POWERTOOLS_V1 = "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPython:9"
USES_POWERTOOLS_EVENTS = """
from importlib.metadata import version
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source

@event_source(data_class=S3Event)
def handler(event, context):
    return [version("aws-lambda-powertools"), event.bucket_name]
"""


def test_a_powertools_layer_without_a_python_in_its_name_runs_on_python3_9(lambda_client, deploy):
    """The V1 layer (and V2's without -python3XX) serves every Python runtime, as AWS's did:
    it is built for the oldest Python Lambda still runs, so its dependencies import on
    python3.9 too. Before, it was built for the server's Python, and on python3.9 the
    urllib3 it carried (its data classes import boto3) failed at import."""
    if not interpreter_for("python3.9").exact:
        pytest.skip("python3.9 is not installed on this host")
    name = deploy(USES_POWERTOOLS_EVENTS, Runtime="python3.9", Layers=[POWERTOOLS_V1], Timeout=30)
    event = {"Records": [{"s3": {"bucket": {"name": "uploads"}, "object": {"key": "a.txt"}}}]}

    response = lambda_client.invoke(FunctionName=name, Payload=json.dumps(event))
    body = json.loads(response["Payload"].read())

    assert "FunctionError" not in response, body
    assert body[0].startswith("1.")
    assert body[1] == "uploads"


USES_POWERTOOLS_EXTRAS = """
import boto3
from aws_lambda_powertools import Tracer
from aws_lambda_powertools.utilities.validation import validate

tracer = Tracer(service="orders")

@tracer.capture_lambda_handler
def handler(event, context):
    validate(event=event, schema={"type": "object", "required": ["id"]})
    return boto3.__file__
"""


def test_a_v3_powertools_layer_holds_its_extras_and_leaves_the_sdk_to_the_runtime(
    lambda_client, deploy
):
    """AWS builds the V2 and V3 layers with every extra (aws-xray-sdk for Tracer,
    fastjsonschema for Validation, ...) and without boto3 and its dependencies, so Tracer
    imports from the layer alone and boto3 is the runtime's. Before, Tracer's import failed:
    No module named 'aws_xray_sdk'."""
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    layer = POWERTOOLS_V3.format(python=runtime.replace(".", ""))
    name = deploy(USES_POWERTOOLS_EXTRAS, Runtime=runtime, Layers=[layer], Timeout=30)

    response = lambda_client.invoke(FunctionName=name, Payload=json.dumps({"id": 1}))
    body = json.loads(response["Payload"].read())

    assert "FunctionError" not in response, body
    assert not body.startswith("/opt/")
