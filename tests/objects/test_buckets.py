"""Buckets through boto3: naming rules, location, listing, deletion, tags, policy, versioning
settings, ownership and public access defaults, each answered as S3 answers them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from stratus.testing import serve_in_thread

from .conftest import bucket_name


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_create_head_list_delete(s3: Any):
    """A created bucket is listed with its region, answers HEAD, and is gone once deleted."""
    name = bucket_name("life")
    created = s3.create_bucket(Bucket=name)
    head = s3.head_bucket(Bucket=name)
    listed = {b["Name"]: b for b in s3.list_buckets()["Buckets"]}
    s3.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as gone:
        s3.head_bucket(Bucket=name)

    assert created["Location"] == f"/{name}"
    assert head["BucketRegion"] == "us-east-1"
    assert listed[name]["BucketRegion"] == "us-east-1"
    assert gone.value.response["Error"]["Code"] == "404"


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "Upper",
        "under_score",
        "-start",
        "end-",
        "two..dots",
        "192.168.5.4",
        "xn--punycode",
        "name-s3alias",
    ],
)
def test_bucket_naming_rules(s3: Any, name: str):
    """Names S3 refuses are InvalidBucketName."""
    with pytest.raises(ClientError) as refused:
        s3.create_bucket(Bucket=name)

    assert code(refused) == "InvalidBucketName"


def test_recreating_in_us_east_1_is_ok_and_elsewhere_already_owned(s3: Any, tmp_path: Path):
    """us-east-1 answers 200 to an owner re-creating its bucket; other regions answer
    BucketAlreadyOwnedByYou (409)."""
    name = bucket_name("again")
    s3.create_bucket(Bucket=name)
    again = s3.create_bucket(Bucket=name)
    with serve_in_thread(tmp_path / "eu", region="eu-west-1") as eu:
        client = eu.client("s3")
        config = {"LocationConstraint": "eu-west-1"}
        client.create_bucket(Bucket=name, CreateBucketConfiguration=config)
        with pytest.raises(client.exceptions.BucketAlreadyOwnedByYou):
            client.create_bucket(Bucket=name, CreateBucketConfiguration=config)
        location = client.get_bucket_location(Bucket=name)["LocationConstraint"]
        with pytest.raises(ClientError) as elsewhere:
            client.create_bucket(
                Bucket=bucket_name(), CreateBucketConfiguration={"LocationConstraint": "us-west-2"}
            )

    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert location == "eu-west-1"
    assert code(elsewhere) == "IllegalLocationConstraintException"


def test_location_constraint_us_east_1_is_refused(s3: Any):
    """us-east-1 is the empty constraint: naming it is InvalidLocationConstraint."""
    name = bucket_name()
    with pytest.raises(ClientError) as refused:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    s3.create_bucket(Bucket=name)

    assert code(refused) == "InvalidLocationConstraint"
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None


def test_missing_bucket_is_no_such_bucket(s3: Any):
    """Calls on a bucket that does not exist raise NoSuchBucket, with the bucket named."""
    with pytest.raises(s3.exceptions.NoSuchBucket) as missing:
        s3.list_objects_v2(Bucket="never-made-bucket")
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.put_object(Bucket="never-made-bucket", Key="k", Body=b"x")

    assert missing.value.response["Error"]["BucketName"] == "never-made-bucket"


def test_delete_refuses_a_bucket_with_objects(s3: Any, bucket: str):
    """DeleteBucket on a bucket holding an object is BucketNotEmpty (409)."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as refused:
        s3.delete_bucket(Bucket=bucket)
    s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_bucket(Bucket=bucket)

    assert code(refused) == "BucketNotEmpty"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_tags(s3: Any, bucket: str):
    """Bucket tags are stored and returned; without any, GetBucketTagging is NoSuchTagSet."""
    with pytest.raises(ClientError) as none:
        s3.get_bucket_tagging(Bucket=bucket)
    s3.put_bucket_tagging(
        Bucket=bucket,
        Tagging={"TagSet": [{"Key": "team", "Value": "data"}, {"Key": "env", "Value": ""}]},
    )
    tags = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    s3.delete_bucket_tagging(Bucket=bucket)
    with pytest.raises(ClientError) as deleted:
        s3.get_bucket_tagging(Bucket=bucket)

    assert code(none) == code(deleted) == "NoSuchTagSet"
    assert tags == [{"Key": "team", "Value": "data"}, {"Key": "env", "Value": ""}]


def test_policy_stored_and_returned(s3: Any, bucket: str):
    """A policy is returned as sent; a malformed one is MalformedPolicy; a public one is
    refused while Block Public Access (on by default) blocks public policies."""
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
    )
    public = policy.replace('{"AWS": "arn:aws:iam::000000000000:root"}', '"*"')
    with pytest.raises(ClientError) as none:
        s3.get_bucket_policy(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    stored = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    with pytest.raises(ClientError) as malformed:
        s3.put_bucket_policy(Bucket=bucket, Policy="not json")
    with pytest.raises(ClientError) as blocked:
        s3.put_bucket_policy(Bucket=bucket, Policy=public)
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=public)
    s3.delete_bucket_policy(Bucket=bucket)
    with pytest.raises(ClientError) as deleted:
        s3.get_bucket_policy(Bucket=bucket)

    assert code(none) == code(deleted) == "NoSuchBucketPolicy"
    assert stored == policy
    assert code(malformed) == "MalformedPolicy"
    assert code(blocked) == "AccessDenied"


def test_versioning_setting(s3: Any, bucket: str):
    """A new bucket has no versioning status; Enabled and Suspended are kept."""
    before = s3.get_bucket_versioning(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    enabled = s3.get_bucket_versioning(Bucket=bucket)["Status"]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    suspended = s3.get_bucket_versioning(Bucket=bucket)["Status"]

    assert "Status" not in before
    assert (enabled, suspended) == ("Enabled", "Suspended")


def test_ownership_and_public_access_defaults(s3: Any, bucket: str):
    """New buckets are BucketOwnerEnforced with every Block Public Access setting on, as on
    AWS since 2023; both can be changed."""
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={"BlockPublicAcls": False, "BlockPublicPolicy": True},
    )
    changed = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
    changed_block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    s3.delete_public_access_block(Bucket=bucket)
    with pytest.raises(ClientError) as removed:
        s3.get_public_access_block(Bucket=bucket)

    assert ownership == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert block == dict.fromkeys(
        ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"], True
    )
    assert changed == {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    assert changed_block["BlockPublicAcls"] is False
    assert changed_block["BlockPublicPolicy"] is True
    assert code(removed) == "NoSuchPublicAccessBlockConfiguration"


def test_acls_refused_while_owner_enforced(s3: Any, bucket: str):
    """With ACLs off (BucketOwnerEnforced), setting one is AccessControlListNotSupported;
    bucket-owner-full-control and reading ACLs still work, as on AWS. Creating a bucket with a
    public canned ACL is InvalidBucketAclWithObjectOwnership."""
    with pytest.raises(ClientError) as put_acl:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="public-read")
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="bucket-owner-full-control")
    with pytest.raises(ClientError) as object_acl:
        s3.put_object_acl(Bucket=bucket, Key="k", ACL="public-read")
    with pytest.raises(ClientError) as bucket_acl:
        s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    grants = s3.get_object_acl(Bucket=bucket, Key="k")["Grants"]
    with pytest.raises(ClientError) as create:
        s3.create_bucket(Bucket=bucket_name(), ACL="public-read")

    assert code(put_acl) == code(object_acl) == code(bucket_acl) == "AccessControlListNotSupported"
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
    assert code(create) == "InvalidBucketAclWithObjectOwnership"


def test_acls_honoured_when_the_bucket_allows_them(s3: Any):
    """With ObjectWriter ownership, canned ACLs, grant headers and AccessControlPolicy bodies
    are stored and returned after the owner's FULL_CONTROL; public grants are refused while
    Block Public Access blocks public ACLs (AccessDenied; at CreateBucket
    InvalidBucketAclWithBlockPublicAccessError), and accepted once it is off."""
    name = bucket_name("acl")
    with pytest.raises(ClientError) as at_create:
        s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter", ACL="public-read")
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    with pytest.raises(ClientError) as blocked:
        s3.put_object(Bucket=name, Key="k", Body=b"x", ACL="public-read")
    s3.delete_public_access_block(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"x", ACL="public-read")
    canned = s3.get_object_acl(Bucket=name, Key="k")["Grants"]
    owner_id = s3.get_bucket_acl(Bucket=name)["Owner"]["ID"]
    other = "a" * 64
    s3.put_object_acl(Bucket=name, Key="k", GrantRead=f'id="{other}"')
    granted = s3.get_object_acl(Bucket=name, Key="k")["Grants"]
    me = {"Type": "CanonicalUser", "ID": owner_id}
    logs = {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"}
    policy = {
        "Owner": {"ID": owner_id},
        "Grants": [
            {"Grantee": me, "Permission": "FULL_CONTROL"},
            {"Grantee": logs, "Permission": "WRITE"},
        ],
    }
    s3.put_bucket_acl(Bucket=name, AccessControlPolicy=policy)
    bucket_grants = s3.get_bucket_acl(Bucket=name)["Grants"]

    assert code(at_create) == "InvalidBucketAclWithBlockPublicAccessError"
    assert code(blocked) == "AccessDenied"
    assert [(g["Grantee"].get("URI"), g["Permission"]) for g in canned] == [
        (None, "FULL_CONTROL"),
        ("http://acs.amazonaws.com/groups/global/AllUsers", "READ"),
    ]
    assert [(g["Grantee"].get("ID"), g["Permission"]) for g in granted] == [
        (owner_id, "FULL_CONTROL"),
        (other, "READ"),
    ]
    assert [(g["Grantee"]["Type"], g["Permission"]) for g in bucket_grants] == [
        ("CanonicalUser", "FULL_CONTROL"),
        ("Group", "WRITE"),
    ]


def test_default_encryption(s3: Any, bucket: str):
    """Buckets answer S3's default encryption (SSE-S3), and objects say they are encrypted
    with it, as on AWS since 2023."""
    config = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    head = s3.head_object(Bucket=bucket, Key="k")

    assert config["Rules"][0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert put["ServerSideEncryption"] == head["ServerSideEncryption"] == "AES256"


def test_acls_switched_off_and_ownership_controls_deleted(s3: Any):
    """Switching an ObjectWriter bucket to BucketOwnerEnforced: refused while the bucket's
    own ACL grants someone else (InvalidBucketAclWithObjectOwnership); once it is private,
    objects' old grants are no longer read (the owner's FULL_CONTROL alone) and come back
    when ACLs do. Deleting the controls leaves no controls (OwnershipControlsNotFoundError)
    and a bucket that takes ACLs, as ObjectWriter."""
    name = bucket_name("acl-off")
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    other = f'id="{"b" * 64}"'
    s3.put_bucket_acl(Bucket=name, GrantWrite=other)
    s3.put_object(Bucket=name, Key="k", Body=b"x", GrantRead=other)
    enforced = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    writer = {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}

    with pytest.raises(ClientError) as refused:
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=enforced)
    s3.put_bucket_acl(Bucket=name, ACL="private")
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=enforced)
    while_off = s3.get_object_acl(Bucket=name, Key="k")["Grants"]
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=writer)
    back_on = s3.get_object_acl(Bucket=name, Key="k")["Grants"]
    s3.delete_bucket_ownership_controls(Bucket=name)
    with pytest.raises(ClientError) as none_set:
        s3.get_bucket_ownership_controls(Bucket=name)
    s3.put_object(Bucket=name, Key="k2", Body=b"x", GrantRead=other)

    assert code(refused) == "InvalidBucketAclWithObjectOwnership"
    assert [g["Permission"] for g in while_off] == ["FULL_CONTROL"]
    assert [(g["Grantee"]["ID"], g["Permission"]) for g in back_on][1:] == [("b" * 64, "READ")]
    assert code(none_set) == "OwnershipControlsNotFoundError"
    assert len(s3.get_object_acl(Bucket=name, Key="k2")["Grants"]) == 2


def test_acls_given_at_multipart_upload_and_copy(s3: Any):
    """CreateMultipartUpload's ACL is the completed object's; CopyObject's ACL is the copy's,
    and a copy without one is private (the source's grants are not copied), as on AWS."""
    name = bucket_name("acl-mp")
    s3.create_bucket(Bucket=name, ObjectOwnership="BucketOwnerPreferred")
    other = "c" * 64
    upload = s3.create_multipart_upload(Bucket=name, Key="big", GrantReadACP=f'id="{other}"')
    part = s3.upload_part(
        Bucket=name, Key="big", UploadId=upload["UploadId"], PartNumber=1, Body=b"x"
    )
    s3.complete_multipart_upload(
        Bucket=name, Key="big", UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )  # fmt: skip
    s3.copy_object(
        Bucket=name, Key="granted", CopySource={"Bucket": name, "Key": "big"},
        GrantRead=f'id="{other}"',
    )  # fmt: skip
    s3.copy_object(Bucket=name, Key="plain", CopySource={"Bucket": name, "Key": "big"})

    def grants(key: str) -> list[tuple[str, str]]:
        listed = s3.get_object_acl(Bucket=name, Key=key)["Grants"]
        return [(g["Grantee"]["ID"], g["Permission"]) for g in listed][1:]  # after the owner's

    assert grants("big") == [(other, "READ_ACP")]
    assert grants("granted") == [(other, "READ")]
    assert grants("plain") == []
