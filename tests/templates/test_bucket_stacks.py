"""AWS::S3::Bucket and AWS::S3::BucketPolicy in stacks: made with their settings, referred to
by Ref and GetAtt, changed in place, deleted with the stack."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import WaiterError
from tests.templates.test_stacks import create, outputs, template, wait

BUCKETS = template(
    """
    Parameters:
      Status:
        Type: String
        Default: Enabled
    Resources:
      Photos:
        Type: AWS::S3::Bucket
        Properties:
          VersioningConfiguration:
            Status: !Ref Status
          CorsConfiguration:
            CorsRules:
              - AllowedMethods: [GET]
                AllowedOrigins: ["https://*.example.com"]
                ExposedHeaders: [ETag]
                MaxAge: 300
          Tags:
            - Key: team
              Value: media
      Policy:
        Type: AWS::S3::BucketPolicy
        Properties:
          Bucket: !Ref Photos
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Principal:
                  AWS: arn:aws:iam::000000000000:root
                Action: s3:GetObject
                Resource: !Sub "${Photos.Arn}/*"
    Outputs:
      Name:
        Value: !Ref Photos
      Arn:
        Value: !GetAtt Photos.Arn
      Domain:
        Value: !GetAtt Photos.DomainName
    """
)


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def test_bucket_from_a_template(server: Any, cfn: Any):
    """The bucket is made with the template's settings and policy, answers Ref/GetAtt as
    AWS does, changes versioning in place, and goes with the stack."""
    s3 = server.client("s3")
    name = create(cfn, BUCKETS)
    made = outputs(cfn, name)
    bucket = made["Name"]
    versioning = s3.get_bucket_versioning(Bucket=bucket)["Status"]
    cors = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    tags = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    cfn.update_stack(
        StackName=name,
        TemplateBody=BUCKETS,
        Parameters=[{"ParameterKey": "Status", "ParameterValue": "Suspended"}],
        Capabilities=["CAPABILITY_IAM"],
    )
    wait(cfn, name, "stack_update_complete")
    updated = s3.get_bucket_versioning(Bucket=bucket)["Status"]
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    with pytest.raises(s3.exceptions.ClientError) as gone:
        s3.head_bucket(Bucket=bucket)

    assert bucket.startswith(f"{name.lower()}-photos-")
    assert len(bucket) <= 63
    assert made["Arn"] == f"arn:aws:s3:::{bucket}"
    assert made["Domain"] == f"{bucket}.s3.localhost"
    assert versioning == "Enabled"
    assert cors == [
        {
            "AllowedMethods": ["GET"],
            "AllowedOrigins": ["https://*.example.com"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 300,
        }
    ]
    assert tags == [{"Key": "team", "Value": "media"}]
    assert policy["Statement"][0]["Resource"] == f"arn:aws:s3:::{bucket}/*"
    assert updated == "Suspended"
    assert gone.value.response["Error"]["Code"] == "404"


def test_notifications_are_refused_for_now(cfn: Any):
    """A bucket with NotificationConfiguration fails its stack with a reason, rather than
    deploying without notifications."""
    body = template(
        """
        Resources:
          B:
            Type: AWS::S3::Bucket
            Properties:
              NotificationConfiguration:
                QueueConfigurations:
                  - Event: s3:ObjectCreated:*
                    Queue: arn:aws:sqs:us-east-1:000000000000:q
        """
    )
    name = create(cfn, body, wait=None)
    with pytest.raises(WaiterError):
        wait(cfn, name, "stack_create_complete")
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]

    assert failed[0]["LogicalResourceId"] == "B"
    assert "NotificationConfiguration is not supported" in failed[0]["ResourceStatusReason"]
