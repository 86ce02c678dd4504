"""The Lambda API end to end through boto3: the path every other test builds on."""

import json


def test_create_then_invoke_returns_the_handlers_result(lambda_client, deploy):
    """A deployed handler's return value comes back as the Invoke payload."""
    name = deploy(
        """
        def handler(event, context):
            return {"echo": event, "name": context.function_name}
        """
    )

    response = lambda_client.invoke(FunctionName=name, Payload=json.dumps({"a": 1}))

    assert response["StatusCode"] == 200
    assert json.loads(response["Payload"].read()) == {"echo": {"a": 1}, "name": name}
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
