"""Building a template's functions and layers, as `sam build` does (no server involved)."""

from __future__ import annotations

import io
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from tests.cli.local_wheels import make_wheel, offline_requirements

from stratus.cli.build import build
from stratus.cli.dependencies import cache_key
from stratus.cli.local_artifacts import BuildError, Recipe

SAM = "AWS::Serverless-2016-10-31"
HANDLER = "import tinypkg\n\ndef handler(event, context):\n    return tinypkg.VALUE\n"
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    """A folder holding tinypkg 1.0, a one-module wheel."""
    make_wheel(tmp_path / "wheels", "tinypkg", "1.0", {"tinypkg/__init__.py": "VALUE = 42\n"})
    return tmp_path / "wheels"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "project").mkdir()
    return tmp_path / "project"


def write_template(project: Path, resources: dict[str, Any], **sections: Any) -> Path:
    template = {"Transform": SAM, **sections, "Resources": resources}
    path = project / "template.json"
    path.write_text(json.dumps(template, indent=2))
    return path


def function(code_uri: str | None = "hello", **props: Any) -> dict[str, Any]:
    properties = {"Handler": "app.handler", "Runtime": RUNTIME, **props}
    if code_uri is not None:
        properties["CodeUri"] = code_uri
    return {"Type": "AWS::Serverless::Function", "Properties": properties}


def write_code(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def built_files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_requirements_are_installed_with_pip_into_the_build_folder(project, wheels, tmp_path):
    """CodeUri is copied (folders kept, caches left out) and requirements.txt installed."""
    write_code(
        project / "hello",
        {
            "src/app.py": HANDLER,
            "requirements.txt": offline_requirements(wheels, "tinypkg==1.0"),
            "__pycache__/app.cpython-311.pyc": "stale",
            ".git/HEAD": "ref",
            "src/old.pyc": "stale",
        },
    )
    template = write_template(project, {"Hello": function(Handler="src/app.handler")})

    result = build(template, quiet=True, cache_dir=tmp_path / "cache")

    [built] = result.built
    files = built_files(built.path)
    assert built.path == project / ".stratus" / "build" / "Hello"
    assert built.dependencies == "installed"
    assert "src/app.py" in files
    assert "tinypkg/__init__.py" in files
    assert (built.path / "tinypkg" / "__init__.py").read_text() == "VALUE = 42\n"
    assert not [f for f in files if f.startswith((".git/", "__pycache__/")) or f.endswith(".pyc")]


def test_a_rebuild_takes_dependencies_from_the_cache(project, wheels, tmp_path):
    """The second build of unchanged requirements runs no pip: it works with the wheels gone,
    and takes a fraction of the first build's time."""
    write_code(
        project / "hello",
        {"app.py": HANDLER, "requirements.txt": offline_requirements(wheels, "tinypkg==1.0")},
    )
    template = write_template(project, {"Hello": function()})
    first = build(template, quiet=True, cache_dir=tmp_path / "cache")
    shutil.rmtree(wheels)  # pip could not install tinypkg any more
    (project / "hello" / "app.py").write_text(HANDLER + "# changed\n")

    started = time.perf_counter()
    second = build(template, quiet=True, cache_dir=tmp_path / "cache")
    rebuild_s = time.perf_counter() - started

    print(f"first build {first.seconds:.3f} s, rebuild from cache {rebuild_s:.3f} s")
    assert [b.dependencies for b in first.built] == ["installed"]
    assert [b.dependencies for b in second.built] == ["cached"]
    assert (second.built[0].path / "tinypkg" / "__init__.py").is_file()
    assert (second.built[0].path / "app.py").read_text().endswith("# changed\n")
    assert rebuild_s < first.seconds


def test_functions_with_the_same_requirements_share_one_install(project, wheels, tmp_path):
    """Two functions built concurrently with the same requirements run pip once."""
    requirements = offline_requirements(wheels, "tinypkg==1.0")
    for name in ("one", "two"):
        write_code(project / name, {"app.py": HANDLER, "requirements.txt": requirements})
    template = write_template(project, {"One": function("one"), "Two": function("two")})

    result = build(template, quiet=True, cache_dir=tmp_path / "cache")

    assert sorted(b.dependencies for b in result.built) == ["cached", "installed"]
    assert all((b.path / "tinypkg" / "__init__.py").is_file() for b in result.built)


def test_globals_and_default_code_uri(project, tmp_path):
    """CodeUri comes from Globals.Function, else is the template's folder; the build folder
    itself is never copied into a build."""
    write_code(project, {"app.py": "def handler(e, c):\n    return 1\n"})
    write_code(project / "shared", {"app.py": "def handler(e, c):\n    return 2\n"})
    template = write_template(project, {"Root": function(None)})
    build(template, quiet=True, cache_dir=tmp_path / "cache")  # leaves .stratus/ in project
    root = build(template, quiet=True, cache_dir=tmp_path / "cache")
    write_template(
        project, {"FromGlobals": function(None)}, Globals={"Function": {"CodeUri": "shared"}}
    )

    from_globals = build(template, quiet=True, cache_dir=tmp_path / "cache")

    assert built_files(root.built[0].path) == {"app.py", "shared/app.py", "template.json"}
    assert root.built[0].artifact.path == project
    assert from_globals.built[0].artifact.path == project / "shared"
    assert from_globals.globals_code_uri


def test_python_layer_is_built_under_python(project, wheels, tmp_path):
    """BuildMethod python3.x puts the layer's sources and requirements under python/."""
    write_code(
        project / "layer",
        {"shared.py": "X = 1\n", "requirements.txt": offline_requirements(wheels, "tinypkg")},
    )
    layer = {
        "Type": "AWS::Serverless::LayerVersion",
        "Properties": {"ContentUri": "layer"},
        "Metadata": {"BuildMethod": RUNTIME},
    }
    template = write_template(project, {"Shared": layer})

    [built] = build(template, quiet=True, cache_dir=tmp_path / "cache").built

    files = built_files(built.path)
    assert {"python/shared.py", "python/tinypkg/__init__.py"} <= files
    assert all(f.startswith("python/") for f in files)


def test_code_taken_as_it_is(project, tmp_path):
    """Layers without BuildMethod and AWS::Lambda::* local paths are packaged unchanged;
    InlineCode has nothing to build."""
    write_code(project / "layer", {"python/x.py": "X = 1\n", "requirements.txt": "nothing\n"})
    write_code(project / "plain", {"index.py": "def handler(e, c):\n    return 1\n"})
    template = write_template(
        project,
        {
            "Layer": {
                "Type": "AWS::Serverless::LayerVersion",
                "Properties": {"ContentUri": "layer"},
            },
            "Plain": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Code": "plain", "Handler": "index.handler", "Runtime": RUNTIME},
            },
            "Inline": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"InlineCode": "x", "Handler": "index.handler", "Runtime": RUNTIME},
            },
        },
    )
    console = Console(file=io.StringIO(), width=200)

    result = build(template, console=console, cache_dir=tmp_path / "cache")

    by_id = {b.artifact.logical_id: b for b in result.built}
    assert by_id["Layer"].path == project / "layer"
    assert by_id["Plain"].path == project / "plain"
    assert {b.artifact.recipe for b in result.built} == {Recipe.AS_IS}
    assert not (project / ".stratus" / "build" / "Layer").exists()
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert "Inline" in output
    assert "inline code, nothing to build" in output


def test_progress_shows_one_line_per_resource(project, tmp_path):
    """Each resource ends on one line: its id, a mark and what happened."""
    write_code(project / "hello", {"app.py": "def handler(e, c):\n    return 1\n"})
    template = write_template(project, {"Hello": function(), "Other": function()})
    console = Console(file=io.StringIO(), width=200)

    build(template, console=console, cache_dir=tmp_path / "cache")

    lines = [line for line in console.file.getvalue().splitlines() if line.strip()]  # type: ignore[attr-defined]
    assert len(lines) == 2
    assert all("✓" in line and "built in" in line for line in lines)
    assert {line.split()[1] for line in lines} == {"Hello", "Other"}


def test_a_missing_interpreter_falls_back_with_a_warning(project, wheels, tmp_path):
    """A runtime without its Python on this machine installs with the current one, says so,
    and keeps those dependencies apart in the cache."""
    write_code(
        project / "hello",
        {"app.py": HANDLER, "requirements.txt": offline_requirements(wheels, "tinypkg==1.0")},
    )
    template = write_template(project, {"Hello": function(Runtime="python3.99")})
    console = Console(file=io.StringIO(), width=300)

    [built] = build(template, console=console, cache_dir=tmp_path / "cache").built

    assert built.dependencies == "installed"
    assert "no python3.99 on this machine" in console.file.getvalue()  # type: ignore[attr-defined]
    assert cache_key("x", "python3.99", "x86_64", sys.executable) != cache_key(
        "x", "python3.99", "x86_64", None
    )


def test_a_handler_module_that_is_not_there_is_warned_about(project, tmp_path):
    """A handler whose module is missing is a warning (a layer may bring it), not an error."""
    write_code(project / "hello", {"app.py": "def handler(e, c):\n    return 1\n"})
    template = write_template(project, {"Hello": function(Handler="src/main.handler")})
    console = Console(file=io.StringIO(), width=300)

    result = build(template, console=console, cache_dir=tmp_path / "cache")

    assert len(result.built) == 1
    assert "Handler src/main.handler needs src/main.py" in console.file.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ({"Hello": function("missing/")}, "Hello: CodeUri 'missing/' does not exist"),
        (
            {"Hello": function(PackageType="Image")},
            "Hello: PackageType Image is not supported by Stratus",
        ),
        (
            {
                "Deps": {
                    "Type": "AWS::Serverless::LayerVersion",
                    "Properties": {"ContentUri": "hello"},
                    "Metadata": {"BuildMethod": "makefile"},
                }
            },
            "Deps: BuildMethod makefile is not supported by Stratus",
        ),
        (
            {"Hello": {**function(), "Metadata": {"BuildMethod": "esbuild"}}},
            "Hello: BuildMethod esbuild is not supported by Stratus; use python3.x",
        ),
        (
            {"Hello": function({"Fn::Sub": "${AWS::Region}/code"})},
            "Hello: CodeUri must be a literal path",
        ),
    ],
)
def test_bad_resources_are_named_with_the_fix(project, tmp_path, resources, expected):
    """Each refusal names the resource and what to change."""
    write_code(project / "hello", {"app.py": "x = 1\n"})
    template = write_template(project, resources)

    with pytest.raises(BuildError) as excinfo:
        build(template, quiet=True, cache_dir=tmp_path / "cache")

    assert str(excinfo.value).startswith(expected)


def test_pip_failures_show_pips_last_lines(project, wheels, tmp_path):
    """A requirement pip cannot install fails the build, naming the resource and showing pip's
    own words; the other function's error is reported with it."""
    write_code(
        project / "bad",
        {"app.py": "x = 1\n", "requirements.txt": offline_requirements(wheels, "nosuchpkg==9")},
    )
    write_code(
        project / "worse",
        {"app.py": "x = 1\n", "requirements.txt": offline_requirements(wheels, "tinypkg==7")},
    )
    template = write_template(project, {"Bad": function("bad"), "Worse": function("worse")})

    with pytest.raises(BuildError) as excinfo:
        build(template, quiet=True, cache_dir=tmp_path / "cache")

    message = str(excinfo.value)
    assert message.startswith("Bad: pip could not install requirements.txt (exit 1); fix ")
    assert "No matching distribution found for nosuchpkg==9" in message
    assert "Worse: pip could not install requirements.txt" in message
    assert not list((tmp_path / "cache" / "deps").iterdir())  # nothing half-installed kept


def test_bad_template_file(project, tmp_path):
    """A folder without a template, or a file that is not one, is a one-line error."""
    (project / "template.yaml").write_text("Resources: [unclosed\n")

    with pytest.raises(BuildError, match=r"has no template\.yaml"):
        build(tmp_path, quiet=True)
    with pytest.raises(BuildError, match=r"template\.yaml"):
        build(project, quiet=True)
