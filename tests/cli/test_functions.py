"""`stratus functions create|list|delete`."""

from __future__ import annotations

import io
import zipfile

HELLO = """
def handler(event, context):
    print("handled", event.get("n"))
    return {"n": event.get("n"), "greeting": "hi"}
"""


def test_a_function_goes_from_a_directory_to_invoke_logs_and_deletion(
    stratus, new_name, code_dir, logs_showing
):
    """create from a dir -> list shows it -> invoke prints the result -> --log shows REPORT
    -> logs prints the handler's print line -> delete removes it from the list."""
    name = new_name()

    created = stratus("functions", "create", name, "--code", str(code_dir(HELLO)))
    listed = stratus("functions", "list")
    invoked = stratus("invoke", name, "-p", '{"n": 7}', "--log")
    logs = logs_showing(name, "handled 7")
    deleted = stratus("functions", "delete", name)
    listed_after = stratus("functions", "list")

    assert created.exit_code == 0, created.output
    assert name in created.stdout
    assert listed.exit_code == 0
    row = next(line for line in listed.stdout.splitlines() if line.startswith(name))
    assert row.split()[1:6] == ["python3.11", "128", "MB", "3", "s"]
    assert invoked.exit_code == 0, invoked.output
    assert invoked.stdout == '{\n  "n": 7,\n  "greeting": "hi"\n}\n'
    assert "REPORT RequestId:" in invoked.stderr
    assert "handled 7" in invoked.stderr
    assert logs is not None, "the handler's print line never showed in `stratus logs`"
    assert logs.exit_code == 0
    assert deleted.exit_code == 0
    assert name not in listed_after.stdout


def test_create_passes_memory_timeout_environment_and_description(
    stratus, new_name, code_dir, lambda_client
):
    """Flags given to create end up in the function's configuration."""
    name = new_name()

    result = stratus(
        "functions", "create", name, "--code", str(code_dir(HELLO)),
        "--memory", "256", "--timeout", "10", "--env", "A=1", "--env", "B=x=y",
        "--description", "made by a test", "--runtime", "python3.11",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    config = lambda_client.get_function_configuration(FunctionName=name)
    assert (config["MemorySize"], config["Timeout"]) == (256, 10)
    assert config["Environment"]["Variables"] == {"A": "1", "B": "x=y"}
    assert config["Description"] == "made by a test"


def test_create_takes_a_ready_zip(stratus, new_name, tmp_path):
    """A .zip given as --code is uploaded as it is."""
    name = new_name()
    archive = tmp_path / "package.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("main.py", "def run(event, context):\n    return 'zipped'\n")
    archive.write_bytes(buffer.getvalue())

    created = stratus("functions", "create", name, "--code", str(archive), "--handler", "main.run")
    invoked = stratus("invoke", name)

    assert created.exit_code == 0, created.output
    assert invoked.stdout == '"zipped"\n'


def test_create_rejects_code_that_is_neither_a_directory_nor_a_zip(stratus, new_name, tmp_path):
    """A plain file as --code is bad usage (exit 2), reported before anything is created."""
    source = tmp_path / "app.py"
    source.write_text(HELLO)

    result = stratus("functions", "create", new_name(), "--code", str(source))

    assert result.exit_code == 2
    assert "neither a directory nor a .zip" in result.stderr


def test_create_rejects_an_environment_flag_without_equals(stratus, new_name, code_dir):
    """--env needs KEY=VALUE; anything else is bad usage."""
    result = stratus(
        "functions", "create", new_name(), "--code", str(code_dir(HELLO)), "--env", "A"
    )

    assert result.exit_code == 2
    assert "'A' is not KEY=VALUE" in result.stderr


def test_creating_an_existing_function_is_one_red_line(stratus, new_name, code_dir):
    """The server's ResourceConflictException is shown as `error: Code: message`, exit 1."""
    name = new_name()
    stratus("functions", "create", name, "--code", str(code_dir(HELLO)))

    again = stratus("functions", "create", name, "--code", str(code_dir(HELLO)))

    assert again.exit_code == 1
    assert again.stderr.startswith("error: ResourceConflictException: ")
    assert len(again.stderr.splitlines()) == 1
    assert "Traceback" not in again.output


def test_deleting_an_unknown_function_fails_with_resource_not_found(stratus):
    """Deleting a name that does not exist exits 1 with the server's error."""
    result = stratus("functions", "delete", "no-such-function-here")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: ResourceNotFoundException: ")
