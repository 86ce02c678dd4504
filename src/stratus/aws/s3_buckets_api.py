"""S3's bucket operations: create, head, list, delete, location, versioning, tags, policy,
public access block, ownership controls, ACLs and CORS rules."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from stratus.objects import acls
from stratus.objects.errors import (
    AccessControlListNotSupported,
    AccessDenied,
    InvalidArgument,
    InvalidBucketAcl,
    InvalidBucketAclWithBlockPublicAccess,
    MalformedXml,
    NoSuchBucketPolicy,
    NoSuchCORSConfiguration,
    NoSuchPublicAccessBlockConfiguration,
    NoSuchTagSet,
    OwnershipControlsNotFound,
)
from stratus.objects.service import DEFAULT_PUBLIC_ACCESS

from .protocols.adapter import Call, Handler
from .s3_wire import (
    acl_answer,
    acls_in_force,
    check_acl,
    grants_of,
    owner,
    tag_set,
    tags_of_set,
)

NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
OWNERSHIPS = ("BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter")


def bucket_arn(name: str) -> str:
    return f"arn:aws:s3:::{name}"


async def create_bucket(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    config = p.get("CreateBucketConfiguration") or {}
    ownership = p.get("ObjectOwnership")
    if ownership is not None and ownership not in OWNERSHIPS:
        raise InvalidArgument(
            "Invalid x-amz-object-ownership header", "x-amz-object-ownership", ownership
        )
    try:
        grants = grants_of(ownership or "BucketOwnerEnforced", DEFAULT_PUBLIC_ACCESS, p)
    except AccessControlListNotSupported as exc:
        raise InvalidBucketAcl() from exc
    except AccessDenied as exc:  # new buckets block public access from the start
        raise InvalidBucketAclWithBlockPublicAccess() from exc
    bucket = await call.services.objects.create_bucket(
        p["Bucket"], config.get("LocationConstraint"), ownership, grants
    )
    return {"Location": f"/{bucket.name}", "BucketArn": bucket_arn(bucket.name)}


async def head_bucket(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    bucket = await call.services.objects.bucket(p["Bucket"])
    return {"BucketRegion": bucket.region, "BucketArn": bucket_arn(bucket.name)}


async def list_buckets(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    buckets = await call.services.objects.list_buckets()
    prefix = p.get("Prefix") or ""
    after = p.get("ContinuationToken") or ""
    chosen = [
        b
        for b in buckets
        if b.name.startswith(prefix)
        and b.name > after
        and (p.get("BucketRegion") is None or b.region == p["BucketRegion"])
    ]
    limit = p.get("MaxBuckets") or 10_000
    page = chosen[:limit]
    out: dict[str, Any] = {
        "Buckets": [
            {
                "Name": b.name,
                "CreationDate": b.created,
                "BucketRegion": b.region,
                "BucketArn": bucket_arn(b.name),
            }
            for b in page
        ],
        "Owner": owner(call),
    }
    if prefix:
        out["Prefix"] = prefix
    if len(chosen) > limit:
        out["ContinuationToken"] = page[-1].name
    return out


async def delete_bucket(call: Call, p: dict[str, Any]) -> None:
    await call.services.objects.delete_bucket(p["Bucket"])


async def get_bucket_location(call: Call, p: dict[str, Any]) -> Response:
    """The constraint is the document's root element (botocore reads the root's text, not
    the model's shape); us-east-1 is the empty constraint, as S3 answers it."""
    bucket = await call.services.objects.bucket(p["Bucket"])
    region = "" if bucket.region == "us-east-1" else bucket.region
    body = f'<LocationConstraint xmlns="{NAMESPACE}">{region}</LocationConstraint>'
    headers = {"Content-Type": "application/xml", "x-amz-request-id": call.request_id}
    return Response(body.encode(), 200, headers)


async def put_bucket_versioning(call: Call, p: dict[str, Any]) -> None:
    status = (p.get("VersioningConfiguration") or {}).get("Status")
    if status not in ("Enabled", "Suspended"):
        raise MalformedXml()
    await call.services.objects.set_bucket(p["Bucket"], "versioning", status)


async def get_bucket_versioning(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    bucket = await call.services.objects.bucket(p["Bucket"])
    return {"Status": bucket.versioning} if bucket.versioning else {}


async def put_bucket_tagging(call: Call, p: dict[str, Any]) -> None:
    tags = tags_of_set(p["Tagging"].get("TagSet", []))
    await call.services.objects.set_bucket(p["Bucket"], "tags", tags)


async def get_bucket_tagging(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    bucket = await call.services.objects.bucket(p["Bucket"])
    if not bucket.tags:
        raise NoSuchTagSet(bucket.name)
    return {"TagSet": tag_set(bucket.tags)}


async def delete_bucket_tagging(call: Call, p: dict[str, Any]) -> None:
    await call.services.objects.set_bucket(p["Bucket"], "tags", None)


async def put_bucket_policy(call: Call, p: dict[str, Any]) -> None:
    await call.services.objects.put_bucket_policy(p["Bucket"], p.get("Policy") or "")


async def get_bucket_policy(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    bucket = await call.services.objects.bucket(p["Bucket"])
    if bucket.policy is None:
        raise NoSuchBucketPolicy(bucket.name)
    return {"Policy": bucket.policy}


async def delete_bucket_policy(call: Call, p: dict[str, Any]) -> None:
    await call.services.objects.set_bucket(p["Bucket"], "policy", None)


async def put_public_access_block(call: Call, p: dict[str, Any]) -> None:
    given = p.get("PublicAccessBlockConfiguration") or {}
    config = {name: bool(given.get(name, False)) for name in DEFAULT_PUBLIC_ACCESS}
    await call.services.objects.set_bucket(p["Bucket"], "public_access", config)


async def get_public_access_block(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    bucket = await call.services.objects.bucket(p["Bucket"])
    if bucket.public_access is None:
        raise NoSuchPublicAccessBlockConfiguration(bucket.name)
    return {"PublicAccessBlockConfiguration": dict(bucket.public_access)}


async def delete_public_access_block(call: Call, p: dict[str, Any]) -> None:
    await call.services.objects.set_bucket(p["Bucket"], "public_access", None)


async def put_bucket_ownership_controls(call: Call, p: dict[str, Any]) -> None:
    rules = (p.get("OwnershipControls") or {}).get("Rules") or []
    if len(rules) != 1 or rules[0].get("ObjectOwnership") not in OWNERSHIPS:
        raise MalformedXml()
    chosen = rules[0]["ObjectOwnership"]
    if chosen == "BucketOwnerEnforced":
        # ACLs go off: AWS refuses while the bucket's own ACL grants anyone but its owner
        # (object ACLs are simply no longer read).
        bucket = await call.services.objects.bucket(p["Bucket"])
        if bucket.acl:
            raise InvalidBucketAcl()
    await call.services.objects.set_bucket(p["Bucket"], "ownership", chosen)


async def get_bucket_ownership_controls(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    bucket = await call.services.objects.bucket(p["Bucket"])
    if not bucket.ownership:
        raise OwnershipControlsNotFound(bucket.name)
    return {"OwnershipControls": {"Rules": [{"ObjectOwnership": bucket.ownership}]}}


async def delete_bucket_ownership_controls(call: Call, p: dict[str, Any]) -> None:
    # Without controls a bucket behaves as ObjectWriter (ACLs enabled), as on AWS, and
    # GetBucketOwnershipControls answers OwnershipControlsNotFoundError: "" is "none set".
    await call.services.objects.set_bucket(p["Bucket"], "ownership", "")


async def get_bucket_acl(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    bucket = await call.services.objects.bucket(p["Bucket"])
    return acl_answer(call, acls_in_force(bucket, bucket.acl))


async def put_bucket_acl(call: Call, p: dict[str, Any]) -> None:
    bucket = await call.services.objects.bucket(p["Bucket"])
    grants = check_acl(bucket, p)
    await call.services.objects.set_bucket(bucket.name, "acl", acls.dump(list(grants)) or None)


async def put_bucket_cors(call: Call, p: dict[str, Any]) -> None:
    rules = (p.get("CORSConfiguration") or {}).get("CORSRules") or []
    if not rules or len(rules) > 100:
        raise MalformedXml()
    for rule in rules:
        if not rule.get("AllowedMethods") or not rule.get("AllowedOrigins"):
            raise MalformedXml()
        for method in rule["AllowedMethods"]:
            if method not in ("GET", "PUT", "POST", "DELETE", "HEAD"):
                raise InvalidArgument(
                    f"Found unsupported HTTP method in CORS config. Unsupported method is {method}"
                )
    await call.services.objects.set_bucket(p["Bucket"], "cors", rules)


async def get_bucket_cors(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    bucket = await call.services.objects.bucket(p["Bucket"])
    if not bucket.cors:
        raise NoSuchCORSConfiguration(bucket.name)
    return {"CORSRules": bucket.cors}


async def delete_bucket_cors(call: Call, p: dict[str, Any]) -> None:
    await call.services.objects.set_bucket(p["Bucket"], "cors", None)


# S3's default since 2024: no object under 128 KB transitions, whatever the class.
TRANSITION_MINIMUM = "all_storage_classes_128K"


async def put_bucket_lifecycle_configuration(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    config = p.get("LifecycleConfiguration") or {}
    await call.services.objects.set_lifecycle_config(p["Bucket"], config)
    return {"TransitionDefaultMinimumObjectSize": TRANSITION_MINIMUM}


async def get_bucket_lifecycle_configuration(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    config = await call.services.objects.lifecycle_config(p["Bucket"])
    return {**config, "TransitionDefaultMinimumObjectSize": TRANSITION_MINIMUM}


async def delete_bucket_lifecycle(call: Call, p: dict[str, Any]) -> None:
    await call.services.objects.set_lifecycle_config(p["Bucket"], None)


async def put_bucket_website(call: Call, p: dict[str, Any]) -> None:
    await call.services.objects.set_website_config(p["Bucket"], p.get("WebsiteConfiguration") or {})


async def get_bucket_website(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    return await call.services.objects.website_config(p["Bucket"])


async def delete_bucket_website(call: Call, p: dict[str, Any]) -> None:
    await call.services.objects.set_website_config(p["Bucket"], None)


async def get_bucket_encryption(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    """S3's default since 2023, the only one Stratus has: SSE-S3 (AES256)."""
    await call.services.objects.bucket(p["Bucket"])
    rule = {
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
        "BucketKeyEnabled": False,
    }
    return {"ServerSideEncryptionConfiguration": {"Rules": [rule]}}


async def put_bucket_notification_configuration(call: Call, p: dict[str, Any]) -> None:
    config = dict(p.get("NotificationConfiguration") or {})
    skip = bool(p.get("SkipDestinationValidation"))
    await call.services.objects.set_notification_config(p["Bucket"], config, skip)


async def get_bucket_notification_configuration(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    return await call.services.objects.notification_config(p["Bucket"])


HANDLERS: dict[str, Handler] = {
    "PutBucketNotificationConfiguration": put_bucket_notification_configuration,
    "GetBucketNotificationConfiguration": get_bucket_notification_configuration,
    "CreateBucket": create_bucket,
    "HeadBucket": head_bucket,
    "ListBuckets": list_buckets,
    "DeleteBucket": delete_bucket,
    "GetBucketLocation": get_bucket_location,
    "PutBucketVersioning": put_bucket_versioning,
    "GetBucketVersioning": get_bucket_versioning,
    "PutBucketTagging": put_bucket_tagging,
    "GetBucketTagging": get_bucket_tagging,
    "DeleteBucketTagging": delete_bucket_tagging,
    "PutBucketPolicy": put_bucket_policy,
    "GetBucketPolicy": get_bucket_policy,
    "DeleteBucketPolicy": delete_bucket_policy,
    "PutPublicAccessBlock": put_public_access_block,
    "GetPublicAccessBlock": get_public_access_block,
    "DeletePublicAccessBlock": delete_public_access_block,
    "PutBucketOwnershipControls": put_bucket_ownership_controls,
    "GetBucketOwnershipControls": get_bucket_ownership_controls,
    "DeleteBucketOwnershipControls": delete_bucket_ownership_controls,
    "GetBucketAcl": get_bucket_acl,
    "PutBucketAcl": put_bucket_acl,
    "PutBucketLifecycleConfiguration": put_bucket_lifecycle_configuration,
    "GetBucketLifecycleConfiguration": get_bucket_lifecycle_configuration,
    "DeleteBucketLifecycle": delete_bucket_lifecycle,
    "PutBucketWebsite": put_bucket_website,
    "GetBucketWebsite": get_bucket_website,
    "DeleteBucketWebsite": delete_bucket_website,
    "PutBucketCors": put_bucket_cors,
    "GetBucketCors": get_bucket_cors,
    "DeleteBucketCors": delete_bucket_cors,
    "GetBucketEncryption": get_bucket_encryption,
}
