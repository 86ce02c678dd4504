"""AWS::S3::Bucket and AWS::S3::BucketPolicy over the object service, as CloudFormation makes
them. A bucket's `Ref` is its name (generated lower-case as stack-logical-suffix without
BucketName); `Fn::GetAtt` gives Arn, DomainName and RegionalDomainName (on Stratus's
virtual-host names, `<bucket>.s3.localhost`). Tags, VersioningConfiguration,
CorsConfiguration, OwnershipControls and PublicAccessBlockConfiguration change in place;
BucketName replaces the bucket. Deleting a stack deletes the bucket, which fails while it
holds objects, as on AWS.

Properties about what Stratus does not do (encryption: objects are files on the server's
disk; logging, metrics...) are recorded, not enforced. NotificationConfiguration (queues,
topics, functions, EventBridge) is set as PutBucketNotificationConfiguration sets it,
checked alike (the destinations must exist: SAM's S3 event makes the bucket depend on its
Lambda::Permission). LifecycleConfiguration is PutBucketLifecycleConfiguration's (objects
expire; transitions are stored only). WebsiteConfiguration is PutBucketWebsite's, and
`Fn::GetAtt WebsiteURL` the bucket's website host (`http://<bucket>.s3-website.localhost:<port>`).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, ClassVar

from stratus.errors import StratusError
from stratus.objects.errors import NoSuchBucket
from stratus.objects.service import DEFAULT_PUBLIC_ACCESS
from stratus.templates.provider import (
    Context,
    Created,
    Provider,
    ResourceFailed,
    required,
    tag_map,
    text,
)

MAX_NAME = 63
SETTINGS = (
    "Tags",
    "VersioningConfiguration",
    "CorsConfiguration",
    "OwnershipControls",
    "PublicAccessBlockConfiguration",
    "NotificationConfiguration",
    "WebsiteConfiguration",
    "LifecycleConfiguration",
)
# CloudFormation's notification configurations, by the API's member and destination member.
_NOTIFICATIONS = {
    "QueueConfigurations": ("QueueConfigurations", "Queue", "QueueArn"),
    "TopicConfigurations": ("TopicConfigurations", "Topic", "TopicArn"),
    "LambdaConfigurations": ("LambdaFunctionConfigurations", "Function", "LambdaFunctionArn"),
}
# CloudFormation's CORS rule fields, in the API's words.
_CORS = {
    "AllowedHeaders": "AllowedHeaders",
    "AllowedMethods": "AllowedMethods",
    "AllowedOrigins": "AllowedOrigins",
    "ExposedHeaders": "ExposeHeaders",
    "Id": "ID",
    "MaxAge": "MaxAgeSeconds",
}


def _cors(props: dict[str, Any]) -> list[dict[str, Any]] | None:
    rules = (props.get("CorsConfiguration") or {}).get("CorsRules")
    if not rules:
        return None
    return [
        {_CORS[k]: (int(v) if k == "MaxAge" else v) for k, v in rule.items() if k in _CORS}
        for rule in rules
    ]


def _public_access(props: dict[str, Any]) -> dict[str, bool]:
    given = props.get("PublicAccessBlockConfiguration")
    if given is None:
        return dict(DEFAULT_PUBLIC_ACCESS)
    return {name: text(given.get(name, False)).lower() == "true" for name in DEFAULT_PUBLIC_ACCESS}


def _ownership(props: dict[str, Any]) -> str:
    rules = (props.get("OwnershipControls") or {}).get("Rules") or []
    return (
        str(rules[0].get("ObjectOwnership", "BucketOwnerEnforced"))
        if rules
        else ("BucketOwnerEnforced")
    )


def _notifications(props: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's NotificationConfiguration in the API's shape (one Event each)."""
    given = props.get("NotificationConfiguration") or {}
    config: dict[str, Any] = {}
    for member, (api_member, destination, arn_member) in _NOTIFICATIONS.items():
        entries = []
        for entry in given.get(member) or []:
            out: dict[str, Any] = {
                arn_member: text(entry.get(destination, "")),
                "Events": [text(entry.get("Event", ""))],
            }
            rules = ((entry.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
            if rules:
                out["Filter"] = {
                    "Key": {
                        "FilterRules": [
                            {"Name": text(r.get("Name", "")), "Value": text(r.get("Value", ""))}
                            for r in rules
                        ]
                    }
                }
            entries.append(out)
        if entries:
            config[api_member] = entries
    bridge = given.get("EventBridgeConfiguration") or {}
    if text(bridge.get("EventBridgeEnabled", False)).lower() == "true":
        config["EventBridgeConfiguration"] = {}
    return config


def _lifecycle(props: dict[str, Any]) -> dict[str, Any] | None:
    """CloudFormation's LifecycleConfiguration in PutBucketLifecycleConfiguration's shape."""
    rules = (props.get("LifecycleConfiguration") or {}).get("Rules")
    return {"Rules": [_lifecycle_rule(r) for r in rules]} if rules else None


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    conditions: dict[str, Any] = {}
    if rule.get("Prefix") is not None:
        conditions["Prefix"] = text(rule["Prefix"])
    tags = [
        {"Key": text(t["Key"]), "Value": text(t["Value"])} for t in rule.get("TagFilters") or []
    ]
    for size in ("ObjectSizeGreaterThan", "ObjectSizeLessThan"):
        if rule.get(size) is not None:
            conditions[size] = int(rule[size])
    if len(conditions) + len(tags) > 1:
        found: dict[str, Any] = {"And": {**conditions, **({"Tags": tags} if tags else {})}}
    else:
        found = {"Tag": tags[0]} if tags else conditions
    out: dict[str, Any] = {"Status": text(rule.get("Status", "Enabled")), "Filter": found}
    if rule.get("Id"):
        out["ID"] = text(rule["Id"])
    expiration: dict[str, Any] = {}
    if rule.get("ExpirationInDays") is not None:
        expiration["Days"] = int(rule["ExpirationInDays"])
    if rule.get("ExpirationDate") is not None:
        expiration["Date"] = text(rule["ExpirationDate"])
    if rule.get("ExpiredObjectDeleteMarker") is not None:
        expiration["ExpiredObjectDeleteMarker"] = text(rule["ExpiredObjectDeleteMarker"]) == "true"
    if expiration:
        out["Expiration"] = expiration
    noncurrent = dict(rule.get("NoncurrentVersionExpiration") or {})
    if rule.get("NoncurrentVersionExpirationInDays") is not None:
        noncurrent["NoncurrentDays"] = rule["NoncurrentVersionExpirationInDays"]
    if noncurrent:
        out["NoncurrentVersionExpiration"] = {k: int(v) for k, v in noncurrent.items()}
    if rule.get("AbortIncompleteMultipartUpload"):
        days = rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
        out["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(days)}
    transitions = [*(rule.get("Transitions") or []), *filter(None, [rule.get("Transition")])]
    if transitions:
        out["Transitions"] = [
            {"StorageClass": text(t["StorageClass"])}
            | (
                {"Days": int(t["TransitionInDays"])}
                if t.get("TransitionInDays") is not None
                else {}
            )
            | ({"Date": text(t["TransitionDate"])} if t.get("TransitionDate") is not None else {})
            for t in transitions
        ]
    return out


def _website(props: dict[str, Any]) -> dict[str, Any] | None:
    """CloudFormation's WebsiteConfiguration in PutBucketWebsite's shape."""
    given = props.get("WebsiteConfiguration")
    if not given:
        return None
    config: dict[str, Any] = {}
    if given.get("IndexDocument"):
        config["IndexDocument"] = {"Suffix": text(given["IndexDocument"])}
    if given.get("ErrorDocument"):
        config["ErrorDocument"] = {"Key": text(given["ErrorDocument"])}
    if given.get("RedirectAllRequestsTo"):
        config["RedirectAllRequestsTo"] = {
            k: text(v) for k, v in given["RedirectAllRequestsTo"].items()
        }
    rules = [
        {
            "Condition": {k: text(v) for k, v in (r.get("RoutingRuleCondition") or {}).items()},
            "Redirect": {k: text(v) for k, v in (r.get("RedirectRule") or {}).items()},
        }
        for r in given.get("RoutingRules") or ()
    ]
    if rules:
        config["RoutingRules"] = [{k: v for k, v in r.items() if v} for r in rules]
    return config


class Bucket(Provider):
    type_name = "AWS::S3::Bucket"
    updatable: ClassVar[frozenset[str]] = frozenset(SETTINGS)

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        name = props.get("BucketName") or ctx.physical_name(logical_id, MAX_NAME).lower()
        objects = ctx.services.objects
        with contextlib.suppress(NoSuchBucket):
            await objects.bucket(name)
            # A stack must not adopt a bucket it did not make (it would delete it).
            raise ResourceFailed(f"{logical_id}: {name} already exists")
        region = ctx.settings.region
        try:
            await objects.create_bucket(
                name, None if region == "us-east-1" else region, _ownership(props)
            )
        except StratusError as exc:
            raise ResourceFailed(f"{logical_id}: {exc.message}") from exc
        try:
            await self._wait_settings(ctx, name, props)
            if props.get("NotificationConfiguration"):
                await objects.set_notification_config(name, _notifications(props))
        except StratusError as exc:
            # The resource failed, so it has no physical id for a rollback to delete: the
            # empty bucket goes now.
            with contextlib.suppress(StratusError):
                await objects.delete_bucket(name)
            raise ResourceFailed(f"{logical_id}: {exc.message}") from exc
        return Created(name, _attributes(ctx, name))

    async def _wait_settings(self, ctx: Context, name: str, props: dict[str, Any]) -> None:
        objects = ctx.services.objects
        await objects.set_bucket(name, "public_access", _public_access(props))
        await objects.set_bucket(name, "ownership", _ownership(props))
        await objects.set_bucket(name, "tags", tag_map(props.get("Tags")) or None)
        await objects.set_bucket(name, "cors", _cors(props))
        status = (props.get("VersioningConfiguration") or {}).get("Status")
        if status:
            await objects.set_bucket(name, "versioning", status)
        await objects.set_website_config(name, _website(props))
        await objects.set_lifecycle_config(name, _lifecycle(props))

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        try:
            await self._wait_settings(ctx, current.physical_id, new)
            if old.get("NotificationConfiguration") != new.get("NotificationConfiguration"):
                await ctx.services.objects.set_notification_config(
                    current.physical_id, _notifications(new)
                )
        except StratusError as exc:
            raise ResourceFailed(f"{logical_id}: {exc.message}") from exc
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NoSuchBucket):  # already gone: deleting it is done
            await ctx.services.objects.delete_bucket(physical_id)


def _attributes(ctx: Context, name: str) -> dict[str, str]:
    region = ctx.settings.region
    return {
        "Arn": f"arn:aws:s3:::{name}",
        "DomainName": f"{name}.s3.localhost",
        "RegionalDomainName": f"{name}.s3.{region}.localhost",
        "WebsiteURL": f"http://{name}.s3-website.localhost:{ctx.settings.port}",
    }


class BucketPolicy(Provider):
    type_name = "AWS::S3::BucketPolicy"
    updatable: ClassVar[frozenset[str]] = frozenset({"PolicyDocument"})

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        bucket = str(required(props, "Bucket", self.type_name))
        await self._wait_put(ctx, logical_id, bucket, props)
        return Created(bucket)

    async def _wait_put(
        self, ctx: Context, logical_id: str, bucket: str, props: dict[str, Any]
    ) -> None:
        document = required(props, "PolicyDocument", self.type_name)
        policy = document if isinstance(document, str) else json.dumps(document)
        try:
            await ctx.services.objects.put_bucket_policy(bucket, policy)
        except StratusError as exc:
            raise ResourceFailed(f"{logical_id}: {exc.message}") from exc

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        await self._wait_put(ctx, logical_id, current.physical_id, new)
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NoSuchBucket):
            await ctx.services.objects.set_bucket(physical_id, "policy", None)


PROVIDERS = (Bucket, BucketPolicy)
