"""What can go wrong with a table call, by meaning. The DynamoDB adapter maps each class to
the code boto3 turns into its exception class (aws/dynamodb_api.py).

    Invalid        TableValidation        any refused parameter (ValidationException)
    NotFound       TableNotFound          the table or index does not exist
    Conflict       TableInUse             the table exists, or is not ACTIVE for the change
                   ConditionFailed        a ConditionExpression was false (Item: the old item
                                          when ReturnValuesOnConditionCheckFailure=ALL_OLD)
                   TransactionCanceled    a transaction's action failed (CancellationReasons)
                   IdempotencyMismatch    a ClientRequestToken reused with other parameters
                   IteratorExpired        a shard iterator older than 15 minutes
"""

from __future__ import annotations

from typing import Any

from stratus.errors import Conflict, Invalid, NotFound


class TableValidation(Invalid):
    pass


def invalid_parameters(detail: str) -> TableValidation:
    """AWS's prefix for an item or key that breaks the table's rules."""
    return TableValidation(f"One or more parameter values were invalid: {detail}")


class TableNotFound(NotFound):
    def __init__(self, message: str = "Requested resource not found") -> None:
        super().__init__(message)


class TableInUse(Conflict):
    pass


class ConditionFailed(Conflict):
    def __init__(self, item: dict[str, Any] | None = None) -> None:
        extra = {"Item": item} if item is not None else {}
        super().__init__("The conditional request failed", **extra)
        self.item = item


class TransactionCanceled(Conflict):
    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        codes = ", ".join(r.get("Code", "None") for r in reasons)
        super().__init__(
            "Transaction cancelled, please refer cancellation reasons for specific reasons "
            f"[{codes}]",
            CancellationReasons=reasons,
        )


class IdempotencyMismatch(Conflict):
    pass


class IteratorExpired(Conflict):
    def __init__(self) -> None:
        super().__init__("Iterator expired. The iterator was created more than 15 minutes ago.")
