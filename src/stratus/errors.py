"""Stratus's error tree: errors by meaning, the same whichever API a call came through.

    StratusError                the service failed (a bug or an outage on our side)
    ├── Invalid                 a value the caller sent is wrong
    │   ├── Validation          it breaks the API's declared constraints (type, length, pattern)
    │   ├── Malformed           the request cannot be read at all (not JSON, not a form)
    │   ├── InvalidPattern      an event pattern, filter policy or filter criteria is refused
    │   └── InsufficientCapabilities  a template needs capabilities the caller did not grant
    ├── NotFound                what the call names does not exist
    ├── Conflict                the resource's state refuses the call
    │   ├── AlreadyExists       a resource of that name exists
    │   └── NotReady            the resource is still being made (Pending): retry later
    ├── PreconditionFailed      a revision or version the caller named is no longer current
    ├── TooLarge                a body or value is past its limit
    ├── Throttled               too many calls or too much concurrency: retry later
    ├── Forbidden               the caller's policies (or the resource's) do not allow it
    ├── UnsupportedMediaType    a body of a content type the call does not take
    └── UnknownOperation        no such operation (or not one Stratus serves)

Nothing here knows a wire format. Each AWS adapter (stratus.aws) has a small table from these
meanings to that API's error code and HTTP status, looked up by class, most specific first:
Lambda answers NotFound as ResourceNotFoundException 404, API Gateway as NotFoundException
404, CloudFormation as ValidationError 400. Errors raised by user code are *results*, not
StratusErrors.
"""

from __future__ import annotations


class StratusError(Exception):
    def __init__(self, message: str, **extra: object) -> None:
        super().__init__(message)
        self.message = message
        # Extra top-level fields of the error body, e.g. Throttled's Reason.
        self.extra = extra


class Invalid(StratusError):
    pass


class Validation(Invalid):
    pass


class Malformed(Invalid):
    pass


class InvalidPattern(Invalid):
    """EventBridge answers it as InvalidEventPatternException, not ValidationException."""


class InsufficientCapabilities(Invalid):
    pass


class NotFound(StratusError):
    pass


class Conflict(StratusError):
    pass


class AlreadyExists(Conflict):
    pass


class NotReady(Conflict):
    pass


class PreconditionFailed(StratusError):
    pass


class TooLarge(StratusError):
    pass


class Throttled(StratusError):
    pass


class Forbidden(StratusError):
    """AccessDenied(Exception): the signer may not do this (checked with signatures on)."""


class UnsupportedMediaType(StratusError):
    pass


class UnknownOperation(StratusError):
    pass
