"""What can go wrong with a topic call, by meaning. The SNS adapter (aws/sns_api.py) maps
each class to the code boto3 turns into its exception class; nothing here knows the wire.

    NotFound     TopicNotFound          "Topic does not exist"
                 SubscriptionNotFound   "Subscription does not exist"
    Invalid      InvalidParameter       SNS's answer to nearly every bad value ("Invalid
                                        parameter: ..."); filter policies raise InvalidPattern
                 EmptyBatch, TooManyEntries, BatchIdsNotDistinct, InvalidBatchEntryId
                 TagLimitExceeded       more than 50 tags on a topic
    TooLarge     BatchTooLong           a PublishBatch past 256 KiB in total
    NotAuthorized                       a topic of another account or region
"""

from __future__ import annotations

from stratus.errors import Invalid, NotFound, StratusError, TooLarge


class TopicNotFound(NotFound):
    def __init__(self, message: str = "Topic does not exist") -> None:
        super().__init__(message)


class SubscriptionNotFound(NotFound):
    def __init__(self, message: str = "Subscription does not exist") -> None:
        super().__init__(message)


class InvalidParameter(Invalid):
    """SNS words these "Invalid parameter: <what>"; the prefix is added here."""

    def __init__(self, what: str) -> None:
        super().__init__(f"Invalid parameter: {what}")


class EmptyBatch(Invalid):
    def __init__(self) -> None:
        super().__init__("The batch request doesn't contain any entries")


class TooManyEntries(Invalid):
    def __init__(self, count: int) -> None:
        super().__init__(f"The batch request contains more entries than permissible: {count}")


class BatchIdsNotDistinct(Invalid):
    def __init__(self) -> None:
        super().__init__("Two or more batch entries in the request have the same Id.")


class InvalidBatchEntryId(Invalid):
    def __init__(self) -> None:
        super().__init__(
            "A batch entry id can only contain alphanumeric characters, hyphens and "
            "underscores. It can be at most 80 letters long."
        )


class TagLimitExceeded(Invalid):
    def __init__(self) -> None:
        super().__init__("Could not complete request: tag quota of per resource exceeded")


class BatchTooLong(TooLarge):
    def __init__(self) -> None:
        super().__init__("The length of all the messages put together is more than the limit.")


class NotAuthorized(StratusError):
    """AWS's AuthorizationError: the resource is another account's (or region's)."""
