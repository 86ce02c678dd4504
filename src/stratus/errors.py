"""Stratus's error tree. Every interface maps these once, by class, to its wire shape.

    StratusError                        ServiceException            500
    ├── Validation                      ValidationException         400
    ├── InvalidParameterValue           InvalidParameterValueException 400
    ├── InvalidRequestContent           InvalidRequestContentException 400
    ├── ResourceNotFound                ResourceNotFoundException   404
    ├── ResourceConflict                ResourceConflictException   409
    ├── PreconditionFailed              PreconditionFailedException 412
    ├── RequestTooLarge                 RequestTooLargeException    413
    ├── Throttled                       TooManyRequestsException    429
    ├── UnsupportedMediaType            UnsupportedMediaTypeException 415
    ├── UnknownOperation                UnknownOperationException   404
    ├── InvalidEventPattern             InvalidEventPatternException 400 (EventBridge)
    ├── InvalidParameter                InvalidParameter            400  (SNS)
    ├── NotFound                        NotFoundException           404  (API Gateway)
    ├── BadRequest                      BadRequestException         400  (API Gateway)
    ├── Conflict                        ConflictException           409  (API Gateway)
    ├── TemplateInvalid                 ValidationError             400  (CloudFormation)
    ├── StackExists                     AlreadyExistsException      400  (CloudFormation)
    └── InsufficientCapabilities        InsufficientCapabilitiesException 400 (CloudFormation)

The `code` is the AWS error type a boto3 client turns into its exception class; `status` is
the HTTP status AWS answers with. Errors raised by user code are *results*, not StratusErrors.
"""

from __future__ import annotations


class StratusError(Exception):
    code = "ServiceException"
    status = 500

    def __init__(self, message: str, **extra: object) -> None:
        super().__init__(message)
        self.message = message
        # Extra top-level fields of the error body, e.g. Throttled's Reason.
        self.extra = extra


class Validation(StratusError):
    code, status = "ValidationException", 400


class InvalidParameterValue(StratusError):
    code, status = "InvalidParameterValueException", 400


class InvalidRequestContent(StratusError):
    code, status = "InvalidRequestContentException", 400


class ResourceNotFound(StratusError):
    code, status = "ResourceNotFoundException", 404


class ResourceConflict(StratusError):
    code, status = "ResourceConflictException", 409


class PreconditionFailed(StratusError):
    code, status = "PreconditionFailedException", 412


class RequestTooLarge(StratusError):
    code, status = "RequestTooLargeException", 413


class Throttled(StratusError):
    code, status = "TooManyRequestsException", 429


class UnsupportedMediaType(StratusError):
    code, status = "UnsupportedMediaTypeException", 415


class UnknownOperation(StratusError):
    code, status = "UnknownOperationException", 404


class InvalidEventPattern(StratusError):
    """EventBridge's answer to a pattern it cannot compile (PutRule, TestEventPattern)."""

    code, status = "InvalidEventPatternException", 400


class InvalidParameter(StratusError):
    """SNS's catch-all for a bad parameter, e.g. a FilterPolicy it refuses."""

    code, status = "InvalidParameter", 400


# API Gateway names its errors differently from Lambda; apigatewayv2 clients expect these.
class NotFound(StratusError):
    code, status = "NotFoundException", 404


class BadRequest(StratusError):
    code, status = "BadRequestException", 400


class Conflict(StratusError):
    code, status = "ConflictException", 409


class TemplateInvalid(StratusError):
    """CloudFormation's catch-all: a bad template, parameter or stack name, an unknown stack
    ("Stack with id X does not exist"), a stack in a state that refuses the call."""

    code, status = "ValidationError", 400


class StackExists(StratusError):
    code, status = "AlreadyExistsException", 400


class InsufficientCapabilities(StratusError):
    code, status = "InsufficientCapabilitiesException", 400
