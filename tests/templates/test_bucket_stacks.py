"""AWS::S3::Bucket and AWS::S3::BucketPolicy in stacks: made with their settings, referred to
by Ref and GetAtt, changed in place, deleted with the stack."""

from __future__ import annotations

import json
import time
import urllib.parse
from typing import Any

import httpx
import pytest
from botocore.exceptions import WaiterError
from tests.templates.test_messaging_stacks import RECORDER
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


def test_a_bucket_notifies_its_queue(server: Any, cfn: Any):
    """NotificationConfiguration in CloudFormation's shape: the queue gets S3's test event,
    then a record for each matching put."""
    body = template(
        """
        Resources:
          Inbox:
            Type: AWS::SQS::Queue
          B:
            Type: AWS::S3::Bucket
            Properties:
              NotificationConfiguration:
                QueueConfigurations:
                  - Event: s3:ObjectCreated:*
                    Queue: !GetAtt Inbox.Arn
                    Filter:
                      S3Key:
                        Rules:
                          - Name: suffix
                            Value: .csv
        Outputs:
          Bucket:
            Value: !Ref B
          Queue:
            Value: !Ref Inbox
        """
    )
    out = outputs(cfn, create(cfn, body))
    s3, sqs = server.client("s3"), server.client("sqs")
    config = s3.get_bucket_notification_configuration(Bucket=out["Bucket"])
    [queue_config] = config["QueueConfigurations"]
    assert queue_config["Filter"]["Key"]["FilterRules"] == [{"Name": "Suffix", "Value": ".csv"}]
    s3.put_object(Bucket=out["Bucket"], Key="skip.txt", Body=b"no")
    s3.put_object(Bucket=out["Bucket"], Key="data.csv", Body=b"a,b")
    server.wait_idle()
    bodies = []
    for _ in range(20):
        got = sqs.receive_message(QueueUrl=out["Queue"], MaxNumberOfMessages=10, WaitTimeSeconds=1)
        bodies += [json.loads(m["Body"]) for m in got.get("Messages", [])]
        if len(bodies) >= 2:
            break
    assert [b.get("Event") for b in bodies if "Event" in b] == ["s3:TestEvent"]
    [record] = [r for b in bodies for r in b.get("Records", [])]
    assert record["s3"]["object"]["key"] == "data.csv"


def test_sam_s3_event_runs_the_function(server: Any, cfn: Any, shared_dir: Any):
    """SAM's S3 event: the translator's NotificationConfiguration and Lambda::Permission
    deploy, and a put_object runs the function with S3's record."""
    out_file = shared_dir / "events.jsonl"
    code = json.dumps(RECORDER)
    body = template(
        f"""
        Transform: AWS::Serverless-2016-10-31
        Parameters:
          Out:
            Type: String
        Resources:
          Uploads:
            Type: AWS::S3::Bucket
          OnUpload:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.11
              Handler: index.handler
              InlineCode: {code}
              Environment:
                Variables:
                  OUT: !Ref Out
              Events:
                Created:
                  Type: S3
                  Properties:
                    Bucket: !Ref Uploads
                    Events: s3:ObjectCreated:*
                    Filter:
                      S3Key:
                        Rules:
                          - Name: prefix
                            Value: incoming/
        Outputs:
          Bucket:
            Value: !Ref Uploads
        """
    )
    name = create(cfn, body, Parameters=[{"ParameterKey": "Out", "ParameterValue": str(out_file)}])
    bucket = outputs(cfn, name)["Bucket"]
    s3 = server.client("s3")
    s3.put_object(Bucket=bucket, Key="elsewhere/x", Body=b"ignored")
    put = s3.put_object(Bucket=bucket, Key="incoming/photo 1.jpg", Body=b"jpeg")
    deadline = time.monotonic() + 60
    while not out_file.exists():
        assert time.monotonic() < deadline, "the function never ran"
        server.wait_idle()
        time.sleep(0.2)
    [line] = out_file.read_text().splitlines()
    [record] = json.loads(line)["Records"]
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"]["name"] == bucket
    assert record["s3"]["object"]["key"] == "incoming/photo+1.jpg"
    assert record["s3"]["object"]["eTag"] == put["ETag"].strip('"')
    assert record["s3"]["object"]["size"] == 4


def test_a_missing_destination_fails_the_bucket(server: Any, cfn: Any):
    """S3's destination check applies in templates: the stack fails with S3's reason, and
    the bucket it had made is gone."""
    body = template(
        """
        Resources:
          B:
            Type: AWS::S3::Bucket
            Properties:
              NotificationConfiguration:
                QueueConfigurations:
                  - Event: s3:ObjectCreated:*
                    Queue: arn:aws:sqs:us-east-1:000000000000:no-such-queue
        """
    )
    name = create(cfn, body, wait=None)
    with pytest.raises(WaiterError):
        wait(cfn, name, "stack_create_complete")
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]

    assert failed[0]["LogicalResourceId"] == "B"
    assert (
        "Unable to validate the following destination configurations"
        in (failed[0]["ResourceStatusReason"])
    )
    buckets = server.client("s3").list_buckets()["Buckets"]
    assert not [b for b in buckets if b["Name"].startswith(name.lower())]


def test_notifications_change_in_place(server: Any, cfn: Any):
    """An update that changes NotificationConfiguration sets the new one on the same
    bucket: here from a queue to EventBridge."""
    queue_body = template(
        """
        Resources:
          Inbox:
            Type: AWS::SQS::Queue
          B:
            Type: AWS::S3::Bucket
            Properties:
              NotificationConfiguration:
                QueueConfigurations:
                  - Event: s3:ObjectRemoved:*
                    Queue: !GetAtt Inbox.Arn
        Outputs:
          Bucket:
            Value: !Ref B
        """
    )
    bus_body = queue_body.replace(
        "QueueConfigurations:\n          - Event: s3:ObjectRemoved:*\n"
        "            Queue: !GetAtt Inbox.Arn",
        "EventBridgeConfiguration:\n          EventBridgeEnabled: true",
    )
    assert bus_body != queue_body
    name = create(cfn, queue_body)
    bucket = outputs(cfn, name)["Bucket"]
    s3 = server.client("s3")
    before = s3.get_bucket_notification_configuration(Bucket=bucket)
    cfn.update_stack(StackName=name, TemplateBody=bus_body)
    wait(cfn, name, "stack_update_complete")
    after = s3.get_bucket_notification_configuration(Bucket=bucket)

    assert outputs(cfn, name)["Bucket"] == bucket
    assert before["QueueConfigurations"][0]["Events"] == ["s3:ObjectRemoved:*"]
    assert "EventBridgeConfiguration" not in before
    assert "QueueConfigurations" not in after
    assert "EventBridgeConfiguration" in after


SITE = template(
    """
    Parameters:
      Index:
        Type: String
        Default: index.html
    Resources:
      Site:
        Type: AWS::S3::Bucket
        Properties:
          PublicAccessBlockConfiguration:
            BlockPublicAcls: false
            BlockPublicPolicy: false
            IgnorePublicAcls: false
            RestrictPublicBuckets: false
          WebsiteConfiguration:
            IndexDocument: !Ref Index
            ErrorDocument: error.html
            RoutingRules:
              - RoutingRuleCondition: {KeyPrefixEquals: blog/}
                RedirectRule: {ReplaceKeyPrefixWith: posts/, HttpRedirectCode: "302"}
      SitePolicy:
        Type: AWS::S3::BucketPolicy
        Properties:
          Bucket: !Ref Site
          PolicyDocument:
            Statement:
              - Effect: Allow
                Principal: "*"
                Action: s3:GetObject
                Resource: !Sub "${Site.Arn}/*"
    Outputs:
      Url:
        Value: !GetAtt Site.WebsiteURL
      Name:
        Value: !Ref Site
    """
)


def test_a_static_website_from_a_template(server: Any, cfn: Any):
    """The usual static-site stack: a public bucket with a WebsiteConfiguration, served at
    its WebsiteURL; an update changes the configuration in place."""
    s3 = server.client("s3")
    stack = create(cfn, SITE)
    made = outputs(cfn, stack)
    for key, body in (("index.html", "home"), ("home.html", "new home"), ("error.html", "oops")):
        s3.put_object(Bucket=made["Name"], Key=key, Body=body.encode(), ContentType="text/html")

    url = made["Url"]
    first, missing, blog = (browse(server, url + path) for path in ("/", "/nope", "/blog/a.html"))
    cfn.update_stack(
        StackName=stack,
        TemplateBody=SITE,
        Parameters=[{"ParameterKey": "Index", "ParameterValue": "home.html"}],
    )
    wait(cfn, stack, "stack_update_complete")
    second = browse(server, url + "/")
    for key in ("index.html", "home.html", "error.html"):
        s3.delete_object(Bucket=made["Name"], Key=key)
    cfn.delete_stack(StackName=stack)
    wait(cfn, stack, "stack_delete_complete")

    assert url == f"http://{made['Name']}.s3-website.localhost:{server.settings.port}"
    assert (first.status_code, first.text) == (200, "home")
    assert (missing.status_code, missing.text) == (404, "oops")
    assert (blog.status_code, blog.headers["location"].rsplit("/", 2)[-2:]) == (
        302,
        ["posts", "a.html"],
    )
    assert second.text == "new home"


def browse(server: Any, url: str) -> httpx.Response:
    """GET `url` as a browser would: *.localhost is the loopback (browsers and curl say so;
    Python's resolver does not), so connect there and send the URL's host."""
    parts = urllib.parse.urlsplit(url)
    return httpx.get(
        f"{server.endpoint_url}{parts.path}", headers={"Host": parts.netloc}, follow_redirects=False
    )


EXPIRING = template(
    """
    Resources:
      Scratch:
        Type: AWS::S3::Bucket
        Properties:
          LifecycleConfiguration:
            Rules:
              - Id: scratch
                Status: Enabled
                Prefix: tmp/
                ExpirationDate: "2020-01-01T00:00:00Z"
                AbortIncompleteMultipartUpload: {DaysAfterInitiation: 1}
              - Id: archive
                Status: Enabled
                TagFilters: [{Key: tier, Value: cold}]
                Transitions: [{StorageClass: GLACIER, TransitionInDays: 30}]
    Outputs:
      Name:
        Value: !Ref Scratch
    """
)


def test_a_template_buckets_lifecycle_rules_are_applied(server: Any, cfn: Any):
    from stratus.objects.lifecycle_sweeper import INTERVAL_S

    s3 = server.client("s3")
    stack = create(cfn, EXPIRING)
    name = outputs(cfn, stack)["Name"]
    rules = s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
    for key in ("tmp/a", "kept"):
        s3.put_object(Bucket=name, Key=key, Body=b"x")
    server.advance(INTERVAL_S)
    left = [o["Key"] for o in s3.list_objects_v2(Bucket=name).get("Contents", [])]
    s3.delete_object(Bucket=name, Key="kept")
    cfn.delete_stack(StackName=stack)
    wait(cfn, stack, "stack_delete_complete")

    assert rules[0]["ID"] == "scratch"
    assert rules[0]["Filter"] == {"Prefix": "tmp/"}
    assert rules[0]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert rules[1]["Filter"] == {"Tag": {"Key": "tier", "Value": "cold"}}
    assert rules[1]["Transitions"] == [{"Days": 30, "StorageClass": "GLACIER"}]
    assert left == ["kept"]
