"""From an error's meaning to one API's error code and HTTP status.

Services raise errors by meaning (stratus.errors). Each adapter names, in a small table, how
its API spells each meaning; each protocol has a table of its own for the errors every API of
that protocol shares (AWS's "common errors": an unknown action, a body that does not parse).
`wire_error` walks the error's class from the most specific to StratusError, and at each step
the API's table wins over the protocol's:

    Lambda    NotFound -> ResourceNotFoundException 404   Conflict -> ResourceConflictException 409
    API GW    NotFound -> NotFoundException 404           Invalid  -> BadRequestException 400
    CloudFormation  NotFound, Invalid -> ValidationError 400
    query protocol  UnknownOperation -> InvalidAction 400, Malformed -> MalformedQueryString 400
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stratus.errors import (
    Forbidden,
    Invalid,
    Malformed,
    StratusError,
    Throttled,
    TooLarge,
    UnknownOperation,
    UnsupportedMediaType,
    Validation,
)


@dataclass(frozen=True, slots=True)
class WireError:
    """How an API answers one error: the code boto3 turns into its exception class, and the
    HTTP status."""

    code: str
    status: int
    # APIs that moved from the query protocol to JSON (SQS) keep their query codes: JSON
    # answers carry it in `x-amzn-query-error`, query answers use it as the code.
    query_code: str | None = None

    @property
    def sender(self) -> bool:
        """Whether the caller is at fault (4xx) rather than the service (5xx)."""
        return self.status < 500


ErrorTable = Mapping[type[StratusError], WireError]

# What AWS answers when nothing more specific applies: the service failed.
INTERNAL = WireError("InternalFailure", 500)


def wire_error(exc: StratusError, api: ErrorTable, protocol: ErrorTable) -> WireError:
    """`exc` as the API spells it: the most specific class either table names, the API's
    table first."""
    for cls in type(exc).__mro__:
        found = api.get(cls) or protocol.get(cls)
        if found is not None:
            return found
        if cls is StratusError:
            break
    return INTERNAL


# Each protocol's names for the errors every API speaking it shares (AWS's "common errors"),
# where the API's own table names nothing more specific (a table without StratusError
# leaves the service's failures to InternalFailure 500).
JSON_ERRORS: ErrorTable = {
    Validation: WireError("ValidationException", 400),
    Malformed: WireError("SerializationException", 400),
    Throttled: WireError("ThrottlingException", 400),
    TooLarge: WireError("RequestEntityTooLarge", 413),
    UnknownOperation: WireError("UnknownOperationException", 400),
    Forbidden: WireError("AccessDeniedException", 400),
}
QUERY_ERRORS: ErrorTable = {
    UnknownOperation: WireError("InvalidAction", 400),
    Validation: WireError("ValidationError", 400),
    Invalid: WireError("InvalidParameterValue", 400),
    Malformed: WireError("MalformedQueryString", 400),
    TooLarge: WireError("RequestEntityTooLarge", 413),
    Throttled: WireError("Throttling", 400),
    Forbidden: WireError("AccessDenied", 403),
}
REST_JSON_ERRORS: ErrorTable = {
    Validation: WireError("ValidationException", 400),
    Malformed: WireError("SerializationException", 400),
    TooLarge: WireError("RequestTooLargeException", 413),
    UnsupportedMediaType: WireError("UnsupportedMediaTypeException", 415),
    Throttled: WireError("TooManyRequestsException", 429),
    UnknownOperation: WireError("UnknownOperationException", 404),
    Forbidden: WireError("AccessDeniedException", 403),
    StratusError: WireError("ServiceException", 500),
}
# In S3's words (the rest-xml API Stratus serves).
REST_XML_ERRORS: ErrorTable = {
    Validation: WireError("InvalidArgument", 400),
    Malformed: WireError("MalformedXML", 400),
    TooLarge: WireError("EntityTooLarge", 400),
    Throttled: WireError("SlowDown", 503),
    UnknownOperation: WireError("NotImplemented", 501),
    Forbidden: WireError("AccessDenied", 403),
    StratusError: WireError("InternalError", 500),
}
