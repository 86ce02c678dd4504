"""What can go wrong with a queue call, by meaning. The SQS adapter maps each class to the
code boto3 turns into its exception class (aws/sqs_api.py); nothing here knows the wire.

    StratusError
    ├── QueueNotFound            the queue (URL, name or ARN) does not exist
    ├── QueueNameTaken           CreateQueue: same name, different attributes
    ├── InvalidAttributeName     an unknown or misplaced queue attribute
    ├── InvalidAttributeValue    a queue attribute out of its range or malformed
    ├── InvalidParameter         any other parameter out of its range or malformed
    ├── MissingParameter         a parameter the call (or queue type) requires is absent
    ├── InvalidContents          a message body with characters AWS does not allow
    ├── ReceiptHandleInvalid     a receipt handle that names no message of this queue
    ├── MessageNotInflight       ChangeMessageVisibility on a message that is not in flight
    ├── PurgeInProgress          a second PurgeQueue within 60 seconds
    ├── EmptyBatch / TooManyEntries / BatchIdsNotDistinct / InvalidBatchEntryId
    ├── BatchTooLong             a batch larger than 1 MiB in total
    ├── MoveResourceNotFound     a move task, or the queue it names, does not exist
    └── Unsupported              a call SQS refuses for this queue or state
"""

from __future__ import annotations

from stratus.errors import StratusError


class QueueNotFound(StratusError):
    def __init__(self, message: str = "The specified queue does not exist.") -> None:
        super().__init__(message)


class QueueNameTaken(StratusError):
    pass


class InvalidAttributeName(StratusError):
    pass


class InvalidAttributeValue(StratusError):
    pass


class InvalidParameter(StratusError):
    pass


class MissingParameter(StratusError):
    def __init__(self, name: str) -> None:
        super().__init__(f"The request must contain the parameter {name}.")


class InvalidContents(StratusError):
    pass


class ReceiptHandleInvalid(StratusError):
    def __init__(self, handle: str) -> None:
        super().__init__(f'The input receipt handle "{handle}" is not a valid receipt handle.')


class MessageNotInflight(StratusError):
    def __init__(self) -> None:
        super().__init__(
            "Message does not exist or is not available for visibility timeout change."
        )


class PurgeInProgress(StratusError):
    pass


class EmptyBatch(StratusError):
    pass


class TooManyEntries(StratusError):
    pass


class BatchIdsNotDistinct(StratusError):
    pass


class InvalidBatchEntryId(StratusError):
    pass


class BatchTooLong(StratusError):
    pass


class MoveResourceNotFound(StratusError):
    pass


class Unsupported(StratusError):
    pass
