"""What can go wrong with a Step Functions call, by meaning. The adapter
(aws/stepfunctions_api.py) maps each class to the code boto3 turns into its exception class.

    NotFound       StateMachineDoesNotExist, ExecutionDoesNotExist, TaskDoesNotExist,
                   ActivityDoesNotExist, ResourceNotFound (tags)
    AlreadyExists  ActivityAlreadyExists
    Conflict       TaskTimedOut (a callback for a task no longer waiting)
    AlreadyExists  StateMachineAlreadyExists, ExecutionAlreadyExists
    Invalid        InvalidDefinition, InvalidName, InvalidArn, InvalidExecutionInput,
                   InvalidToken, InvalidOutput,
                   StateMachineTypeNotSupported (StartSyncExecution of a Standard machine)
"""

from __future__ import annotations

from stratus.errors import AlreadyExists, Conflict, Invalid, NotFound


class StateMachineDoesNotExist(NotFound):
    def __init__(self, arn: str) -> None:
        super().__init__(f"State Machine Does Not Exist: '{arn}'")


class ExecutionDoesNotExist(NotFound):
    def __init__(self, arn: str) -> None:
        super().__init__(f"Execution Does Not Exist: '{arn}'")


class StateMachineAlreadyExists(AlreadyExists):
    def __init__(self, arn: str) -> None:
        super().__init__(f"State Machine Already Exists: '{arn}'")


class ExecutionAlreadyExists(AlreadyExists):
    def __init__(self, arn: str) -> None:
        super().__init__(f"Execution Already Exists: '{arn}'")


class InvalidDefinition(Invalid):
    pass


class InvalidName(Invalid):
    pass


class InvalidArn(Invalid):
    pass


class InvalidExecutionInput(Invalid):
    pass


class StateMachineTypeNotSupported(Invalid):
    pass


class TaskDoesNotExist(NotFound):
    def __init__(self) -> None:
        super().__init__("Task Does Not Exist")


class TaskTimedOut(Conflict):
    def __init__(self) -> None:
        super().__init__("Task Timed Out")


class InvalidToken(Invalid):
    def __init__(self, token: str) -> None:
        super().__init__(f"Invalid Token: '{token[:100]}'")


class InvalidOutput(Invalid):
    pass


class ActivityDoesNotExist(NotFound):
    def __init__(self, arn: str) -> None:
        super().__init__(f"Activity Does Not Exist: '{arn}'")


class ActivityAlreadyExists(AlreadyExists):
    def __init__(self, arn: str) -> None:
        super().__init__(f"Activity Already Exists: '{arn}'")


class ResourceNotFound(NotFound):
    def __init__(self, arn: str) -> None:
        super().__init__(f"Resource not found: '{arn}'")


class TooManyTags(Invalid):
    pass


class ExecutionNotRedrivable(Conflict):
    pass
