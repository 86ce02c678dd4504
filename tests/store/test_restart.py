"""State lives in the data directory and survives a restart of the server."""

import json

from tests.conftest import create_function

from stratus.testing import serve_in_process


def test_functions_survive_a_restart(tmp_path):
    """A function created before a restart is listed and invokable after it."""
    data = tmp_path / "data"
    with serve_in_process(data) as first:
        created = create_function(
            first.client("lambda"), "kept", "def handler(e, c):\n    return 'still here'\n"
        )

    with serve_in_process(data) as second:
        client = second.client("lambda")
        config = client.get_function_configuration(FunctionName="kept")
        result = json.loads(client.invoke(FunctionName="kept")["Payload"].read())

    assert config["CodeSha256"] == created["CodeSha256"]
    assert config["RevisionId"] == created["RevisionId"]
    assert result == "still here"
