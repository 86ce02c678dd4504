"""The AWS CDK, unchanged: `cdk bootstrap`, `cdk deploy` (twice: a create, then an update of
the function's code) and `cdk destroy` of examples/cdk-app (a Python CDK app: a function
behind an HTTP API that queues what it is sent) against a Stratus server, with only
AWS_ENDPOINT_URL (and dummy credentials and a region) pointing the CLI here.

What it goes through: STS GetCallerIdentity (the account) and AssumeRole (the bootstrap
stack's file-publishing, deploy and lookup roles), the bootstrap stack (a bucket and its
policy, recorded IAM roles and an ECR repository, an SSM parameter CDK reads back), asset
publishing (S3 HeadObject/PutObject of the function's zip and the template), change sets
(CREATE, then UPDATE after deleting the fixed-name change set), DescribeStackEvents while it
waits, the outputs; then the API's URL answers and the queue holds what the function sent."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from tests.templates.test_stacks import describe, physical_id

# .ci/run installs the CDK CLI (npm aws-cdk) into a prefix of its own and the app's Python
# libraries (aws-cdk-lib, constructs) into a virtualenv of its own, and names them here.
CDK = os.environ.get("STRATUS_CDK_CLI") or shutil.which("cdk")
CDK_PYTHON = os.environ.get("STRATUS_CDK_PYTHON")
pytestmark = pytest.mark.skipif(
    CDK is None or CDK_PYTHON is None or shutil.which("node") is None,
    reason="needs the CDK CLI and the CDK Python libraries: set STRATUS_CDK_CLI to a `cdk` "
    "(.ci/run installs npm aws-cdk@2.1149.0) and STRATUS_CDK_PYTHON to a python that has "
    "aws-cdk-lib and constructs (.ci/run installs them in a virtualenv of its own), with node "
    "on PATH",
)
EXAMPLE = Path(__file__).parents[2] / "examples" / "cdk-app"
STACK = "CdkGreeter"  # the stack examples/cdk-app/app.py defines
TOOLKIT = "CDKToolkit"  # the bootstrap stack, named by CDK
QUALIFIER = "hnb659fds"  # CDK's default bootstrap qualifier


def cdk(server: Any, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CDK is not None
    assert CDK_PYTHON is not None
    home = folder.parent / "home"
    home.mkdir(exist_ok=True)
    env = {
        # The app's `python3 app.py` (cdk.json) runs the virtualenv's python.
        "PATH": f"{Path(CDK_PYTHON).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(home),
        "AWS_ENDPOINT_URL": server.endpoint_url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": server.settings.region,
        "AWS_DEFAULT_REGION": server.settings.region,
        "CDK_DISABLE_VERSION_CHECK": "1",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }
    return subprocess.run(
        [CDK, *args, "--no-notices"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


# Four CDK commands, each synthesizing the app through jsii (node): 15-60 s apiece on a
# loaded machine, far past the suite's default timeout.
@pytest.mark.timeout(1800)
def test_bootstrap_deploy_update_and_destroy_a_python_cdk_app(server: Any, tmp_path: Path) -> None:
    cfn, s3, ssm, sqs = (server.client(s) for s in ("cloudformation", "s3", "ssm", "sqs"))
    folder = tmp_path / "cdk-app"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("cdk.out", "__pycache__"))
    account, region = server.settings.account_id, server.settings.region

    booted = cdk(server, folder, "bootstrap", f"aws://{account}/{region}")

    assert booted.returncode == 0, booted.stdout + booted.stderr
    assert "bootstrapped" in booted.stdout + booted.stderr
    toolkit = describe(cfn, TOOLKIT)
    assert toolkit["StackStatus"] == "CREATE_COMPLETE"
    toolkit_outputs = {o["OutputKey"]: o["OutputValue"] for o in toolkit["Outputs"]}
    bucket = toolkit_outputs["BucketName"]
    s3.head_bucket(Bucket=bucket)
    # The version CDK reads back before every deploy, from Parameter Store.
    version = ssm.get_parameter(Name=f"/cdk-bootstrap/{QUALIFIER}/version")["Parameter"]
    assert version["Value"] == toolkit_outputs["BootstrapVersion"]
    # Recorded, not served: the ECR repository for image assets and the roles.
    assert physical_id(cfn, TOOLKIT, "ContainerAssetsRepository") == (
        f"cdk-{QUALIFIER}-container-assets-{account}-{region}"
    )
    assert physical_id(cfn, TOOLKIT, "DeploymentActionRole") == (
        f"cdk-{QUALIFIER}-deploy-role-{account}-{region}"
    )

    deployed = cdk(
        server, folder, "deploy", "--require-approval", "never", "--outputs-file", "out.json"
    )

    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    # The roles were assumed (STS AssumeRole), not skipped with CDK's warning.
    assert "could not be used to assume" not in deployed.stdout + deployed.stderr
    assert describe(cfn, STACK)["StackStatus"] == "CREATE_COMPLETE"
    found = json.loads((folder / "out.json").read_text())[STACK]
    answer = httpx.get(found["ApiUrl"] + "greet", params={"name": "Ada"}, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"message": "Hello, Ada!", "path": "/greet"}
    queued = sqs.receive_message(QueueUrl=found["QueueUrl"], WaitTimeSeconds=10)["Messages"]
    assert [json.loads(m["Body"]) for m in queued] == [{"name": "Ada"}]
    # The function's folder went to the bootstrap bucket as a zip asset, the template too.
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert any(k.endswith(".zip") for k in keys), keys
    assert any(k.endswith(".json") for k in keys), keys

    handler = folder / "lambda" / "handler.py"
    handler.write_text(handler.read_text().replace('f"Hello, {name}!"', 'f"Bonjour, {name}!"'))
    updated = cdk(server, folder, "deploy", "--require-approval", "never")

    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert describe(cfn, STACK)["StackStatus"] == "UPDATE_COMPLETE"
    again = httpx.get(found["ApiUrl"] + "greet", params={"name": "Ada"}, timeout=60)
    assert again.json()["message"] == "Bonjour, Ada!"

    function = physical_id(cfn, STACK, "GreeterA41DC22A")
    destroyed = cdk(server, folder, "destroy", "--force")

    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    with pytest.raises(ClientError):
        server.client("lambda").get_function(FunctionName=function)
    with pytest.raises(ClientError, match="does not exist"):
        cfn.describe_stacks(StackName=STACK)
