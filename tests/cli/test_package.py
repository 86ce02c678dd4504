"""Packaging a built template, as `sam package` does: deterministic zips, uploads sent once,
paths rewritten to s3://stratus-artifacts/<sha256>."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import zipfile
from pathlib import Path

import httpx
import pytest
from tests.cli.local_wheels import make_wheel, offline_requirements
from tests.conftest import ROLE, invoke_json
from typer.testing import CliRunner

from stratus.cli.build import build
from stratus.cli.errors import CliError
from stratus.cli.local_artifacts import BuildError, Form, Recipe, find_local_artifacts
from stratus.cli.main import app as main_app
from stratus.cli.package import (
    Placed,
    build_and_package,
    package,
    package_zip,
    packaged_template,
    zip_folder,
)
from stratus.cli.uploads import Uploader

RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
KEY = "a" * 64


def _files(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


# -- finding local artifacts (pure) ---------------------------------------------------------

EVERYTHING = {
    "Transform": [
        "AWS::Serverless-2016-10-31",
        {"Name": "AWS::Include", "Parameters": {"Location": "snippets/top.yaml"}},
    ],
    "Globals": {"Function": {"CodeUri": "shared", "Runtime": RUNTIME}},
    "Parameters": {"Arch": {"Type": "String", "Default": "arm64"}},
    "Resources": {
        "FromGlobals": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "a.h"}},
        "Own": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "own/",
                "Handler": "src/a.h",
                "Architectures": {"Ref": "Arch"},
            },
        },
        "Zipped": {
            "Type": "AWS::Serverless::Function",
            "Properties": {"CodeUri": "bundle.zip", "Handler": "a.h"},
        },
        "Custom": {
            "Type": "AWS::Serverless::Function",
            "Properties": {"CodeUri": "own", "Runtime": "provided.al2023", "Handler": "x"},
        },
        "Uploaded": {
            "Type": "AWS::Serverless::Function",
            "Properties": {"CodeUri": "s3://bucket/key.zip", "Handler": "a.h"},
        },
        "Inline": {
            "Type": "AWS::Serverless::Function",
            "Properties": {"InlineCode": "x", "Handler": "index.h"},
        },
        "Layer": {
            "Type": "AWS::Serverless::LayerVersion",
            "Properties": {"ContentUri": "layer", "CompatibleArchitectures": ["arm64"]},
            "Metadata": {"BuildMethod": "python3.12"},
        },
        "RawLayer": {
            "Type": "AWS::Serverless::LayerVersion",
            "Properties": {"ContentUri": "layer"},
        },
        "Plain": {"Type": "AWS::Lambda::Function", "Properties": {"Code": "own"}},
        "PlainZip": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"ZipFile": "x"}}},
        "PlainLayer": {"Type": "AWS::Lambda::LayerVersion", "Properties": {"Content": "layer"}},
        "Api": {
            "Type": "AWS::Serverless::Api",
            "Properties": {"StageName": "prod", "DefinitionUri": "api.yaml"},
        },
        "HttpApi": {
            "Type": "AWS::Serverless::HttpApi",
            "Properties": {"DefinitionUri": "https://example.com/api.yaml"},
        },
        "Rest": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"BodyS3Location": "api.yaml"}},
        "Included": {
            "Type": "AWS::ApiGateway::RestApi",
            "Properties": {
                "Body": {
                    "Fn::Transform": {
                        "Name": "AWS::Include",
                        "Parameters": {"Location": "snippets/body.yaml"},
                    }
                }
            },
        },
    },
}


@pytest.fixture
def everything(tmp_path: Path) -> Path:
    _files(
        tmp_path,
        {
            "shared/a.py": "",
            "own/src/a.py": "",
            "layer/x.py": "",
            "api.yaml": "openapi: 3.0.1\n",
            "snippets/top.yaml": "{}\n",
            "snippets/body.yaml": "{}\n",
        },
    )
    with zipfile.ZipFile(tmp_path / "bundle.zip", "w") as bundle:
        bundle.writestr("a.py", "")
    return tmp_path


def test_every_kind_of_local_artifact_is_found(everything):
    """Functions, layers, definitions and includes with local paths are found, each with where
    its uploaded location goes; remote values and inline code are left alone."""
    found = find_local_artifacts(EVERYTHING, everything)

    code = {a.logical_id: a for a in found.code}
    assert set(code) == {"FromGlobals", "Own", "Zipped", "Custom", "Layer", "RawLayer", "Plain",
                         "PlainLayer"}  # fmt: skip
    assert code["FromGlobals"].path == everything / "shared"
    assert code["FromGlobals"].pointer == ("Resources", "FromGlobals", "Properties", "CodeUri")
    assert (code["FromGlobals"].recipe, code["FromGlobals"].runtime) == (Recipe.PYTHON, RUNTIME)
    assert (code["Own"].architecture, code["Own"].handler) == ("arm64", "src/a.h")
    assert code["Zipped"].recipe is Recipe.AS_IS
    assert code["Custom"].recipe is Recipe.COPY
    assert (code["Layer"].recipe, code["Layer"].runtime) == (Recipe.PYTHON_LAYER, "python3.12")
    assert code["Layer"].architecture == "arm64"
    assert code["RawLayer"].recipe is Recipe.AS_IS
    assert (code["Plain"].form, code["Plain"].recipe) == (Form.LAMBDA, Recipe.AS_IS)
    assert code["Plain"].pointer == ("Resources", "Plain", "Properties", "Code")
    assert code["PlainLayer"].pointer == ("Resources", "PlainLayer", "Properties", "Content")
    files = {f.pointer: (f.form, f.path.relative_to(everything).as_posix()) for f in found.files}
    assert files == {
        ("Resources", "Api", "Properties", "DefinitionUri"): (Form.URI, "api.yaml"),
        ("Resources", "Rest", "Properties", "BodyS3Location"): (Form.S3_LOCATION, "api.yaml"),
        (
            "Resources", "Included", "Properties", "Body", "Fn::Transform", "Parameters",
            "Location",
        ): (Form.URI, "snippets/body.yaml"),
        ("Transform", 1, "Parameters", "Location"): (Form.URI, "snippets/top.yaml"),
    }  # fmt: skip
    assert dict(found.skipped) == {
        "Uploaded": "CodeUri is already uploaded",
        "Inline": "inline code, nothing to build",
    }
    assert found.globals_code_uri


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (
            {"Type": "AWS::Serverless::Api", "Properties": {"DefinitionUri": "nope.yaml"}},
            "Thing DefinitionUri: 'nope.yaml' is not a file",
        ),
        (
            {"Type": "AWS::Lambda::Function", "Properties": {"Code": "api.yaml"}},
            "Thing: Code 'api.yaml' is not a folder or a .zip file",
        ),
        (
            {"Type": "AWS::Serverless::LayerVersion", "Properties": {}},
            "Thing: ContentUri is required",
        ),
        (
            {
                "Type": "AWS::ApiGateway::RestApi",
                "Properties": {
                    "Body": {
                        "Fn::Transform": {
                            "Name": "AWS::Include",
                            "Parameters": {"Location": "gone.yaml"},
                        }
                    }
                },
            },
            "Thing AWS::Include: 'gone.yaml' is not a file",
        ),
    ],
)
def test_missing_local_files_name_the_resource(everything, resource, expected):
    """A local path that leads nowhere is refused, naming the resource and the property."""
    with pytest.raises(BuildError) as excinfo:
        find_local_artifacts({"Resources": {"Thing": resource}}, everything)

    assert str(excinfo.value).startswith(expected)


def test_packaged_template_names_the_uploads():
    """Each uploaded artifact replaces its local path in the form its property takes; the
    local Globals CodeUri goes; the template given is not changed."""
    template = json.loads(json.dumps(EVERYTHING))
    placed = [
        Placed(("Resources", "FromGlobals", "Properties", "CodeUri"), Form.URI, KEY),
        Placed(("Resources", "Plain", "Properties", "Code"), Form.LAMBDA, KEY),
        Placed(("Resources", "Rest", "Properties", "BodyS3Location"), Form.S3_LOCATION, KEY),
        Placed(("Transform", 1, "Parameters", "Location"), Form.URI, KEY),
    ]

    packaged = packaged_template(template, placed, drop_globals_code_uri=True)

    resources = packaged["Resources"]
    assert resources["FromGlobals"]["Properties"]["CodeUri"] == f"s3://stratus-artifacts/{KEY}"
    assert resources["Plain"]["Properties"]["Code"] == {
        "S3Bucket": "stratus-artifacts",
        "S3Key": KEY,
    }
    assert resources["Rest"]["Properties"]["BodyS3Location"] == {
        "Bucket": "stratus-artifacts",
        "Key": KEY,
    }
    assert packaged["Transform"][1]["Parameters"]["Location"] == f"s3://stratus-artifacts/{KEY}"
    assert packaged["Globals"]["Function"] == {"Runtime": RUNTIME}
    assert template == EVERYTHING


# -- zips -----------------------------------------------------------------------------------


def test_zips_are_deterministic_and_keep_modes(tmp_path):
    """The same files give the same bytes whatever their times; entries are sorted, dated
    1980-01-01, and keep their permission bits."""
    root = _files(tmp_path / "code", {"b.py": "b", "a/z.py": "z", "bootstrap": "#!/bin/sh\n"})
    os.chmod(root / "bootstrap", 0o755)
    names = ["a/z.py", "b.py", "bootstrap"]
    first = zip_folder(root, names, tmp_path / "one.zip")
    for path in root.rglob("*"):
        os.utime(path, (1_000_000, 1_000_000))

    second = zip_folder(root, names, tmp_path / "two.zip")

    assert first == second == hashlib.sha256((tmp_path / "two.zip").read_bytes()).hexdigest()
    with zipfile.ZipFile(tmp_path / "one.zip") as bundle:
        infos = bundle.infolist()
    assert [i.filename for i in infos] == names
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert stat.S_IMODE(infos[2].external_attr >> 16) == 0o755
    assert stat.S_IMODE(infos[1].external_attr >> 16) == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_zip_is_made_again_only_when_its_folder_changed(tmp_path):
    """An unchanged folder reuses its zip (not even rewritten); a change gives a new sha256."""
    _files(tmp_path / "code", {"app.py": "x = 1\n"})
    template = tmp_path / "template.json"
    template.write_text(
        json.dumps({"Resources": {"F": {"Type": "AWS::Lambda::Function",
                                        "Properties": {"Code": "code"}}}})
    )  # fmt: skip
    [built] = build(template, quiet=True, cache_dir=tmp_path / "cache").built
    zips = tmp_path / ".stratus" / "package"
    archive, first = package_zip(built, zips)
    written = archive.stat().st_mtime_ns

    _, again = package_zip(built, zips)
    unchanged_mtime = archive.stat().st_mtime_ns
    (tmp_path / "code" / "app.py").write_text("x = 2\n")
    _, changed = package_zip(built, zips)

    assert again == first
    assert unchanged_mtime == written
    assert changed != first


# -- against a server -----------------------------------------------------------------------


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A SAM app: a function with a dependency and a folder handler, a python layer, an API
    definition file and a plain AWS::Lambda::Function."""
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "tinypkg", "1.0", {"tinypkg/__init__.py": "VALUE = 42\n"})
    project = tmp_path / "app"
    _files(
        project,
        {
            "hello/src/app.py": (
                "import tinypkg\nimport shared\n\ndef handler(event, context):\n"
                "    return {'value': tinypkg.VALUE, 'shared': shared.NAME}\n"
            ),
            "hello/requirements.txt": offline_requirements(wheels, "tinypkg==1.0"),
            "layer/shared.py": "NAME = 'layer'\n",
            "plain/index.py": "def handler(event, context):\n    return 'plain'\n",
            "api.yaml": "openapi: 3.0.1\npaths: {}\n",
        },
    )
    resources = {
        "Hello": {
            "Type": "AWS::Serverless::Function",
            "Properties": {"CodeUri": "hello", "Handler": "src/app.handler", "Runtime": RUNTIME},
        },
        "Shared": {
            "Type": "AWS::Serverless::LayerVersion",
            "Properties": {"ContentUri": "layer"},
            "Metadata": {"BuildMethod": RUNTIME},
        },
        "Plain": {
            "Type": "AWS::Lambda::Function",
            "Properties": {"Code": "plain", "Handler": "index.handler", "Runtime": RUNTIME},
        },
        "Api": {
            "Type": "AWS::Serverless::Api",
            "Properties": {"StageName": "prod", "DefinitionUri": "api.yaml"},
        },
    }
    (project / "template.json").write_text(
        json.dumps({"Transform": "AWS::Serverless-2016-10-31", "Resources": resources})
    )
    return project


def _key(uri: str) -> str:
    assert uri.startswith("s3://stratus-artifacts/")
    return uri.removeprefix("s3://stratus-artifacts/")


def test_packaged_code_deploys_and_runs(server, lambda_client, app, tmp_path):
    """build_and_package uploads every artifact; the packaged keys deploy through the Lambda
    API and the function runs with its dependency and its layer."""
    packaged = build_and_package(app, server.endpoint_url, quiet=True, cache_dir=tmp_path / "c")

    resources = packaged["Resources"]
    hello_key = _key(resources["Hello"]["Properties"]["CodeUri"])
    layer_key = _key(resources["Shared"]["Properties"]["ContentUri"])
    api_key = _key(resources["Api"]["Properties"]["DefinitionUri"])
    plain_code = resources["Plain"]["Properties"]["Code"]
    for key in (hello_key, layer_key, api_key, plain_code["S3Key"]):
        assert httpx.head(f"{server.endpoint_url}/_stratus/artifacts/{key}").status_code == 200
    assert plain_code["S3Bucket"] == "stratus-artifacts"
    api = httpx.get(f"{server.endpoint_url}/_stratus/artifacts/{api_key}")
    assert api.text == (app / "api.yaml").read_text()
    layer = lambda_client.publish_layer_version(
        LayerName="packaged-shared",
        Content={"S3Bucket": "stratus-artifacts", "S3Key": layer_key},
    )
    name = f"packaged-{hello_key[:8]}"
    lambda_client.create_function(
        FunctionName=name,
        Runtime=RUNTIME,
        Role=ROLE,
        Handler="src/app.handler",
        Code={"S3Bucket": "stratus-artifacts", "S3Key": hello_key},
        Layers=[layer["LayerVersionArn"]],
    )
    try:
        _, result = invoke_json(lambda_client, name)
    finally:
        lambda_client.delete_function(FunctionName=name)
    assert result == {"value": 42, "shared": "layer"}


def test_unchanged_code_is_not_uploaded_again(server, app, tmp_path):
    """A second build and package of unchanged code gives the same keys and sends nothing;
    a changed function gets a new key and only it is sent."""
    first = build_and_package(app, server.endpoint_url, quiet=True, cache_dir=tmp_path / "c")
    again = Uploader(server.endpoint_url)
    second = package(build(app, quiet=True, cache_dir=tmp_path / "c"), again)
    (app / "hello" / "src" / "app.py").write_text("def handler(event, context):\n    return 2\n")
    changed = Uploader(server.endpoint_url)
    third = package(build(app, quiet=True, cache_dir=tmp_path / "c"), changed)

    assert second == first
    assert again.statistics().sent == 0
    assert again.statistics().skipped == 4
    hello = [p["Resources"]["Hello"]["Properties"]["CodeUri"] for p in (first, third)]
    assert hello[0] != hello[1]
    assert third["Resources"]["Shared"] == first["Resources"]["Shared"]
    assert changed.statistics().sent == 1


def test_no_server_is_one_clear_error(app, tmp_path):
    """Without a server at the endpoint, packaging stops with the usual one-line hint."""
    with pytest.raises(CliError, match=r"no Stratus server at http://127\.0\.0\.1:9; start one"):
        build_and_package(app, "http://127.0.0.1:9", quiet=True, cache_dir=tmp_path / "c")


def test_folders_taken_as_they_are_leave_caches_out(tmp_path):
    """A folder packaged as it is (AWS::Lambda::Function Code) leaves VCS folders, caches,
    .pyc files and Stratus's own .stratus out of the zip."""
    _files(
        tmp_path,
        {
            "index.py": "x = 1\n",
            "lib/util.py": "y = 2\n",
            ".git/HEAD": "ref",
            "__pycache__/index.cpython-311.pyc": "",
            "lib/util.pyc": "",
        },
    )
    template = tmp_path / "template.json"
    template.write_text(
        json.dumps({"Resources": {"F": {"Type": "AWS::Lambda::Function",
                                        "Properties": {"Code": "."}}}})
    )  # fmt: skip
    [built] = build(template, quiet=True, cache_dir=tmp_path / "cache").built

    archive, _ = package_zip(built, tmp_path / ".stratus" / "package")

    with zipfile.ZipFile(archive) as bundle:
        assert bundle.namelist() == ["index.py", "lib/util.py", "template.json"]


def test_package_command(server, app, tmp_path):
    """`stratus package` prints the packaged template, or writes it with
    --output-template-file; a missing template is a one-line error."""
    runner = CliRunner()
    env = {"STRATUS_ENDPOINT_URL": server.endpoint_url, "STRATUS_CACHE_DIR": str(tmp_path / "c")}
    output = tmp_path / "packaged.json"

    printed = runner.invoke(main_app, ["package", str(app), "-q"], env=env)
    written = runner.invoke(
        main_app, ["package", str(app / "template.json"), "--output-template-file", str(output)],
        env=env,
    )  # fmt: skip
    missing = runner.invoke(main_app, ["package", str(tmp_path / "nowhere")], env=env)

    assert printed.exit_code == 0, printed.output
    packaged = json.loads(printed.stdout)
    assert packaged["Resources"]["Hello"]["Properties"]["CodeUri"].startswith("s3://stratus-")
    assert written.exit_code == 0, written.output
    assert json.loads(output.read_text()) == packaged
    assert "Hello" in written.stderr
    assert "packaged template written to" in written.stderr
    assert missing.exit_code == 1
    assert missing.stderr.startswith(f"error: {tmp_path / 'nowhere'} does not exist")
