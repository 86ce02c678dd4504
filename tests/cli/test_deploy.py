"""deploy.py: what `stratus up` (and later SAM templates) rely on to create or update."""

from __future__ import annotations

import io
import json
import os
import zipfile

from stratus.cli.deploy import FunctionSource, deploy, package


def test_deploying_an_existing_function_updates_its_code_and_configuration(
    lambda_client, new_name, code_dir
):
    """The second deploy of a name replaces code, handler and settings instead of failing."""
    name = new_name("deploy")
    first = FunctionSource(name, code_dir("def handler(e, c):\n    return 1\n"))
    second = FunctionSource(
        name,
        code_dir("def other(e, c):\n    return 2\n"),
        handler="app.other",
        memory_mb=256,
        environment={"STAGE": "two"},
    )

    created = deploy(lambda_client, first)
    updated = deploy(lambda_client, second)

    assert (created.created, updated.created) == (True, False)
    assert updated.configuration["Handler"] == "app.other"
    assert updated.configuration["MemorySize"] == 256
    assert updated.configuration["Environment"]["Variables"] == {"STAGE": "two"}
    response = lambda_client.invoke(FunctionName=name)
    assert json.loads(response["Payload"].read()) == 2


def test_a_directory_is_zipped_without_caches_and_keeps_executable_bits(tmp_path):
    """__pycache__ and .pyc files stay out; an executable stays executable."""
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "bootstrap").write_text("#!/bin/sh\n")
    (tmp_path / "bootstrap").chmod(0o755)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "util.py").write_text("y = 2\n")

    archive = zipfile.ZipFile(io.BytesIO(package(tmp_path)))

    assert sorted(archive.namelist()) == ["app.py", "bootstrap", "lib/util.py"]
    assert (archive.getinfo("bootstrap").external_attr >> 16) & 0o777 == 0o755


def test_the_same_files_give_the_same_package(tmp_path):
    """Zipping is deterministic, so CodeSha256 changes only when the code does."""
    (tmp_path / "app.py").write_text("x = 1\n")
    first = package(tmp_path)
    os.utime(tmp_path / "app.py", (1_000_000_000, 1_000_000_000))  # as if edited long ago

    assert package(tmp_path) == first
