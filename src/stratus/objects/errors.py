"""What can go wrong with a bucket or object call, by meaning. The S3 adapter maps each class
to the code botocore turns into its exception class (aws/s3_api.py); nothing here knows the
wire. Errors naming a resource carry it (`Key`, `BucketName`, …) as S3's error body does.

    NotFound       NoSuchBucket, NoSuchKey, NoSuchVersion, NoSuchUpload, NoSuchTagSet,
                   NoSuchBucketPolicy, NoSuchCORSConfiguration,
                   NoSuchPublicAccessBlockConfiguration, OwnershipControlsNotFound,
                   NoSuchWebsiteConfiguration, NoSuchLifecycleConfiguration
    AlreadyExists  BucketAlreadyOwnedByYou
    Conflict       BucketNotEmpty, DeleteMarkerVersion (405)
    Invalid        InvalidBucketName, KeyTooLong, InvalidArgument, InvalidRequest,
                   InvalidLocationConstraint, EntityTooSmall, InvalidPart, InvalidPartOrder,
                   BadDigest, InvalidDigest, IncompleteBody, MalformedPolicy, InvalidTag
                   AccessControlListNotSupported (ACLs on a BucketOwnerEnforced bucket)
    TooLarge       EntityTooLarge
    PreconditionFailed  PreconditionFailed (412), NotModified (304), InvalidRange and
                        InvalidPartNumber (416)
    AccessDenied   (expired presigned URLs; public access refused)
"""

from __future__ import annotations

from stratus.errors import (
    AlreadyExists,
    Conflict,
    Invalid,
    NotFound,
    PreconditionFailed,
    StratusError,
    TooLarge,
)


class NoSuchBucket(NotFound):
    def __init__(self, bucket: str) -> None:
        super().__init__("The specified bucket does not exist", BucketName=bucket)


class NoSuchKey(NotFound):
    def __init__(self, key: str, marker: str | None = None) -> None:
        super().__init__("The specified key does not exist.", Key=key)
        # The current version is a delete marker: S3 says so in headers of the 404.
        self.headers = (
            {} if marker is None else {"x-amz-delete-marker": "true", "x-amz-version-id": marker}
        )


class DeleteMarkerVersion(Conflict):
    """GET or HEAD of a delete marker by its version id: 405 MethodNotAllowed, as S3."""

    def __init__(self, marker: str) -> None:
        super().__init__(
            "The specified method is not allowed against this resource.",
            Method="GET",
            ResourceType="DeleteMarker",
        )
        self.headers = {
            "x-amz-delete-marker": "true",
            "x-amz-version-id": marker,
            "Allow": "DELETE",
        }


class NoSuchVersion(NotFound):
    def __init__(self, key: str, version_id: str) -> None:
        super().__init__("The specified version does not exist.", Key=key, VersionId=version_id)


class NoSuchUpload(NotFound):
    def __init__(self, upload_id: str) -> None:
        super().__init__(
            "The specified upload does not exist. The upload ID may be invalid, or the upload "
            "may have been aborted or completed.",
            UploadId=upload_id,
        )


class NoSuchTagSet(NotFound):
    def __init__(self, bucket: str) -> None:
        super().__init__("The TagSet does not exist", BucketName=bucket)


class NoSuchBucketPolicy(NotFound):
    def __init__(self, bucket: str) -> None:
        super().__init__("The bucket policy does not exist", BucketName=bucket)


class NoSuchCORSConfiguration(NotFound):
    def __init__(self, bucket: str) -> None:
        super().__init__("The CORS configuration does not exist", BucketName=bucket)


class NoSuchLifecycleConfiguration(NotFound):
    def __init__(self, bucket: str) -> None:
        super().__init__("The lifecycle configuration does not exist", BucketName=bucket)


class NoSuchWebsiteConfiguration(NotFound):
    def __init__(self, bucket: str) -> None:
        super().__init__(
            "The specified bucket does not have a website configuration", BucketName=bucket
        )


class NoSuchPublicAccessBlockConfiguration(NotFound):
    def __init__(self, bucket: str) -> None:
        super().__init__("The public access block configuration was not found", BucketName=bucket)


class OwnershipControlsNotFound(NotFound):
    def __init__(self, bucket: str) -> None:
        super().__init__("The bucket ownership controls were not found", BucketName=bucket)


class BucketAlreadyOwnedByYou(AlreadyExists):
    def __init__(self, bucket: str) -> None:
        super().__init__(
            "Your previous request to create the named bucket succeeded and you already own it.",
            BucketName=bucket,
        )


class BucketNotEmpty(Conflict):
    def __init__(self, bucket: str) -> None:
        super().__init__("The bucket you tried to delete is not empty", BucketName=bucket)


class InvalidBucketName(Invalid):
    def __init__(self, bucket: str) -> None:
        super().__init__("The specified bucket is not valid.", BucketName=bucket)


class KeyTooLong(Invalid):
    def __init__(self, key: str) -> None:
        super().__init__("Your key is too long", Size=len(key.encode()), MaxSizeAllowed=1024)


class InvalidArgument(Invalid):
    def __init__(self, message: str, name: str = "", value: str = "") -> None:
        extra = {"ArgumentName": name, "ArgumentValue": value} if name else {}
        super().__init__(message, **extra)


class InvalidRequest(Invalid):
    pass


class InvalidRedirectLocation(Invalid):
    def __init__(self) -> None:
        super().__init__(
            "The website redirect location must have a prefix of 'http://' or 'https://' or '/'."
        )


class InvalidLocationConstraint(Invalid):
    def __init__(self, location: str) -> None:
        super().__init__(
            "The specified location-constraint is not valid", LocationConstraint=location
        )


class IllegalLocationConstraint(Invalid):
    def __init__(self, location: str, region: str) -> None:
        super().__init__(
            f"The {location} location constraint is incompatible for the region specific "
            f"endpoint this request was sent to ({region})."
        )


class EntityTooSmall(Invalid):
    def __init__(self, size: int, minimum: int) -> None:
        super().__init__(
            "Your proposed upload is smaller than the minimum allowed object size.",
            ProposedSize=size,
            MinSizeAllowed=minimum,
        )


class InvalidPart(Invalid):
    def __init__(self, upload_id: str, number: int, etag: str) -> None:
        super().__init__(
            "One or more of the specified parts could not be found.  The part may not have "
            "been uploaded, or the specified entity tag may not match the part's entity tag.",
            UploadId=upload_id,
            PartNumber=number,
            ETag=etag,
        )


class InvalidPartOrder(Invalid):
    def __init__(self, upload_id: str) -> None:
        super().__init__(
            "The list of parts was not in ascending order. Parts must be ordered by part number.",
            UploadId=upload_id,
        )


class BadDigest(Invalid):
    pass


class IncompleteBody(Invalid):
    pass


class InvalidDigest(Invalid):
    pass


class MalformedPolicy(Invalid):
    pass


class InvalidTag(Invalid):
    pass


class AccessControlListNotSupported(Invalid):
    def __init__(self) -> None:
        super().__init__("The bucket does not allow ACLs")


class EntityTooLarge(TooLarge):
    def __init__(self, size: int, maximum: int) -> None:
        super().__init__(
            "Your proposed upload exceeds the maximum allowed size",
            ProposedSize=size,
            MaxSizeAllowed=maximum,
        )


class ConditionFailed(PreconditionFailed):
    def __init__(self, condition: str) -> None:
        super().__init__(
            "At least one of the pre-conditions you specified did not hold",
            Condition=condition,
        )


class NotModified(PreconditionFailed):
    def __init__(self) -> None:
        super().__init__("Not Modified")


class InvalidPartNumber(PreconditionFailed):
    def __init__(self, number: int, parts: int) -> None:
        super().__init__(
            "The requested partnumber is not satisfiable",
            PartNumberRequested=number,
            ActualPartCount=parts,
        )


class InvalidRange(PreconditionFailed):
    def __init__(self, requested: str, size: int) -> None:
        super().__init__(
            "The requested range is not satisfiable",
            RangeRequested=requested,
            ActualObjectSize=size,
        )


class AccessDenied(StratusError):
    pass


class InvalidBucketAclWithBlockPublicAccess(Invalid):
    def __init__(self) -> None:
        super().__init__("Bucket cannot have public ACLs set with BlockPublicAccess enabled")


class MalformedAcl(Invalid):
    def __init__(self) -> None:
        super().__init__(
            "The XML you provided was not well-formed or did not validate against our "
            "published schema"
        )


class MalformedXml(Invalid):
    def __init__(self) -> None:
        super().__init__(
            "The XML you provided was not well-formed or did not validate against our "
            "published schema"
        )


class InvalidBucketAcl(Invalid):
    """InvalidBucketAclWithObjectOwnership: a canned ACL at CreateBucket with ACLs off."""

    def __init__(self) -> None:
        super().__init__(
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"
        )


class InvalidPolicyDocument(Invalid):
    """A browser upload's POST policy that is not one (bad base64 or JSON, no expiration)."""


class MalformedPostRequest(Invalid):
    """A browser upload whose body is not multipart/form-data S3 can read."""
