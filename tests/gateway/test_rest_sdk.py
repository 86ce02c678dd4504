"""GetSdk: the javascript SDK of a deployed stage, unzipped and run with Node against the
real server: each method reaches its resource with its path, query and header parameters."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

ECHO = """
import json

def handler(event, context):
    headers = {k.lower(): v for k, v in (event["headers"] or {}).items()}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"path": event["path"], "query": event["queryStringParameters"],
                                "tag": headers.get("x-tag"), "body": event["body"]})}
"""
SCRIPT = """
const factory = require(process.argv[2]);
const client = factory.newClient();
(async () => {
  const one = await client.petsIdGet({id: 'a b', color: 'red', 'x-tag': 't1'}, null, {});
  const two = await client.petsPost({}, {name: 'rex'}, {});
  let missing;
  try { await client.nowhereGet({}, null, {}); } catch (e) { missing = e.status; }
  console.log(JSON.stringify({one: one.data, two: two.data, missing}));
})();
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js 18+")
def test_the_javascript_sdk_calls_the_stage(rest_api, deploy, apigateway, tmp_path: Path):
    function = deploy(ECHO)
    api = rest_api(name="pet-store")
    api.method(
        "/pets/{id}", "GET", function,
        requestParameters={"method.request.querystring.color": False,
                           "method.request.header.x-tag": False},
    )  # fmt: skip
    api.method("/pets", "POST", function)
    api.method("/nowhere", "GET", integration={"type": "MOCK"})  # no response: a 500
    api.deploy("prod")

    answer = apigateway.get_sdk(restApiId=api.id, stageName="prod", sdkType="javascript")
    zipfile.ZipFile(io.BytesIO(answer["body"].read())).extractall(tmp_path)
    (tmp_path / "run.js").write_text(SCRIPT)
    client = tmp_path / "apiGateway-js-sdk" / "apigClient.js"
    ran = subprocess.run(
        ["node", str(tmp_path / "run.js"), str(client)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    seen = json.loads(ran.stdout)

    assert answer["contentType"] == "application/octet-stream"
    assert seen["one"] == {"path": "/pets/a%20b", "query": {"color": "red"}, "tag": "t1",
                           "body": None}  # fmt: skip
    assert json.loads(seen["two"]["body"]) == {"name": "rex"}
    assert seen["missing"] == 500
    with pytest.raises(ClientError) as other:
        apigateway.get_sdk(restApiId=api.id, stageName="prod", sdkType="ruby")
    assert other.value.response["Error"]["Code"] == "BadRequestException"
