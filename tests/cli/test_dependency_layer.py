"""`stratus up`'s dependency layer: a function's libraries (from requirements.txt, or vendored
into its CodeUri) go to a layer of the stack made once; a save of the handler reloads the
new code without a new layer version, while a change of the requirements makes one."""

from __future__ import annotations

import io
import json
import sys
import textwrap
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.cli.local_wheels import make_wheel, offline_requirements

from stratus.cli.stack_up import StackApp
from stratus.cli.watch import Changes
from stratus.testing import RunningServer

RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
TEMPLATE = textwrap.dedent(
    f"""\
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: fn/
          Handler: app.handler
          Runtime: {RUNTIME}
          Timeout: 30
    """
)
HANDLER = textwrap.dedent(
    """\
    import greeting
    import vendored_lib

    WORD = "one"

    def handler(event, context):
        return {"word": WORD, "greeting": greeting.TEXT, "vendored": vendored_lib.VALUE}
    """
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A function needing `greeting` (requirements.txt, from a local wheel) and
    `vendored_lib` (installed into its CodeUri, with its dist-info, as `pip -t` leaves it)."""
    monkeypatch.setenv("STRATUS_CACHE_DIR", str(tmp_path / "cache"))
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "greeting", "1.0", {"greeting/__init__.py": 'TEXT = "hello 1.0"\n'})
    make_wheel(wheels, "greeting", "2.0", {"greeting/__init__.py": 'TEXT = "hello 2.0"\n'})
    root = tmp_path / "app"
    code = root / "fn"
    (code / "vendored_lib").mkdir(parents=True)
    (code / "vendored_lib" / "__init__.py").write_text("VALUE = 7\n")
    info = code / "vendored_lib-3.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: vendored_lib\nVersion: 3.0\n")
    (info / "RECORD").write_text(
        "vendored_lib/__init__.py,,\nvendored_lib-3.0.dist-info/METADATA,,\n"
        "vendored_lib-3.0.dist-info/RECORD,,\n"
    )
    (code / "app.py").write_text(HANDLER)
    (code / "requirements.txt").write_text(offline_requirements(wheels, "greeting==1.0"))
    (root / "template.yaml").write_text(TEMPLATE)
    return root


def reload(app: StackApp, *paths: Path) -> None:
    app.reload(Changes(frozenset(paths), time.monotonic()))


def invoke(lambda_client: Any, name: str) -> dict[str, Any]:
    reply = lambda_client.invoke(FunctionName=name, Payload=b"{}")
    assert "FunctionError" not in reply, reply["Payload"].read()
    answer: dict[str, Any] = json.loads(reply["Payload"].read())
    return answer


def stack_function(server: RunningServer, stack: str) -> str:
    summaries = server.client("cloudformation").list_stack_resources(StackName=stack)
    return next(
        r["PhysicalResourceId"]
        for r in summaries["StackResourceSummaries"]
        if r["ResourceType"] == "AWS::Lambda::Function"
    )


def package_names(lambda_client: Any, name: str) -> set[str]:
    """The files of the function's own package (GetFunction's Code.Location)."""
    location = lambda_client.get_function(FunctionName=name)["Code"]["Location"]
    with zipfile.ZipFile(io.BytesIO(httpx.get(location, timeout=30).content)) as bundle:
        return set(bundle.namelist())


def test_a_save_reloads_the_code_and_keeps_the_dependency_layer(project, server, lambda_client):
    app = StackApp(project / "template.yaml", server.endpoint_url, "deplayer", overrides={})
    app.deploy_first()
    name = stack_function(server, "deplayer")
    assert invoke(lambda_client, name) == {"word": "one", "greeting": "hello 1.0", "vendored": 7}
    # The package holds the function's own code only; the libraries are the stack's layer.
    assert package_names(lambda_client, name) == {"app.py", "requirements.txt"}
    layers = lambda_client.get_function_configuration(FunctionName=name)["Layers"]
    assert len(layers) == 1
    layer_arn = layers[0]["Arn"]
    layer_name = layer_arn.split(":")[-2]
    content = lambda_client.get_layer_version_by_arn(Arn=layer_arn)["Content"]
    with zipfile.ZipFile(io.BytesIO(_fetch(content["Location"]))) as bundle:
        names = set(bundle.namelist())
    assert {"python/greeting/__init__.py", "python/vendored_lib/__init__.py"} <= names
    assert "python/app.py" not in names

    handler = project / "fn" / "app.py"
    handler.write_text(HANDLER.replace('"one"', '"two"'))
    reload(app, handler)
    assert invoke(lambda_client, name)["word"] == "two"
    after = lambda_client.get_function_configuration(FunctionName=name)["Layers"]
    assert [layer["Arn"] for layer in after] == [layer_arn]  # no new layer version
    assert (
        lambda_client.get_layer_version_by_arn(Arn=layer_arn)["Content"]["CodeSha256"]
        == (content["CodeSha256"])
    )
    versions = lambda_client.list_layer_versions(LayerName=layer_name)["LayerVersions"]
    assert len(versions) == 1

    # New requirements: a new layer version, which the function runs with.
    requirements = project / "fn" / "requirements.txt"
    requirements.write_text(requirements.read_text().replace("greeting==1.0", "greeting==2.0"))
    reload(app, requirements)
    assert invoke(lambda_client, name) == {"word": "two", "greeting": "hello 2.0", "vendored": 7}
    newer = lambda_client.get_function_configuration(FunctionName=name)["Layers"]
    assert [layer["Arn"] for layer in newer] != [layer_arn]
    server.client("cloudformation").delete_stack(StackName="deplayer")


def test_without_the_dependency_layer_the_package_holds_the_libraries(
    project, server, lambda_client
):
    app = StackApp(
        project / "template.yaml",
        server.endpoint_url,
        "nodeplayer",
        overrides={},
        dependency_layer=False,
    )
    app.deploy_first()
    name = stack_function(server, "nodeplayer")
    assert invoke(lambda_client, name) == {"word": "one", "greeting": "hello 1.0", "vendored": 7}
    assert not lambda_client.get_function_configuration(FunctionName=name).get("Layers")
    names = package_names(lambda_client, name)
    assert {"app.py", "greeting/__init__.py", "vendored_lib/__init__.py"} <= names
    server.client("cloudformation").delete_stack(StackName="nodeplayer")


def _fetch(url: str) -> bytes:
    return httpx.get(url, timeout=30).content
