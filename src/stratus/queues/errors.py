"""What can go wrong with a queue call, by meaning. The SQS adapter maps each class to the
code boto3 turns into its exception class (aws/sqs_api.py); nothing here knows the wire.

    NotFound       QueueNotFound            the queue (URL, name or ARN) does not exist
                   MoveResourceNotFound     a move task, or the queue it names, does not exist
    AlreadyExists  QueueNameTaken           CreateQueue: same name, different attributes
    Invalid        InvalidAttributeName     an unknown or misplaced queue attribute
                   InvalidAttributeValue    a queue attribute out of its range or malformed
                   InvalidParameter         any other parameter out of range or malformed
                   MissingParameter         a parameter the call (or queue type) requires
                   InvalidContents          a body with characters AWS does not allow
                   ReceiptHandleInvalid     a receipt handle naming no message of the queue
                   EmptyBatch, TooManyEntries, BatchIdsNotDistinct, InvalidBatchEntryId
    TooLarge       BatchTooLong             a batch larger than 1 MiB in total
    Conflict       MessageNotInflight       a visibility change for a message not in flight
                   Unsupported              a call SQS refuses for this queue or state
                   OverLimit                too many in flight, permissions or policy actions
                   QueueDeletedRecently     CreateQueue within 60 s of deleting that name
    Throttled      PurgeInProgress          a second PurgeQueue within 60 seconds
"""

from __future__ import annotations

from stratus.errors import AlreadyExists, Conflict, Invalid, NotFound, Throttled, TooLarge


class QueueNotFound(NotFound):
    def __init__(self, message: str = "The specified queue does not exist.") -> None:
        super().__init__(message)


class QueueNameTaken(AlreadyExists):
    pass


class InvalidAttributeName(Invalid):
    pass


class InvalidAttributeValue(Invalid):
    pass


class InvalidParameter(Invalid):
    pass


class MissingParameter(Invalid):
    def __init__(self, name: str) -> None:
        super().__init__(f"The request must contain the parameter {name}.")


class InvalidContents(Invalid):
    pass


class ReceiptHandleInvalid(Invalid):
    def __init__(self, handle: str) -> None:
        super().__init__(f'The input receipt handle "{handle}" is not a valid receipt handle.')


class MessageNotInflight(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "Message does not exist or is not available for visibility timeout change."
        )


class PurgeInProgress(Throttled):
    pass


class EmptyBatch(Invalid):
    pass


class TooManyEntries(Invalid):
    pass


class BatchIdsNotDistinct(Invalid):
    pass


class InvalidBatchEntryId(Invalid):
    pass


class BatchTooLong(TooLarge):
    pass


class MoveResourceNotFound(NotFound):
    pass


class Unsupported(Conflict):
    pass


class OverLimit(Conflict):
    """A queue limit is reached: too many messages in flight (standard queues), too many
    permissions or actions in the queue's policy."""


class QueueDeletedRecently(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "You must wait 60 seconds after deleting a queue before you can create another "
            "queue with the same name."
        )
