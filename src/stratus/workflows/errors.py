"""What can go wrong with a Step Functions call, by meaning. The adapter
(aws/stepfunctions_api.py) maps each class to the code boto3 turns into its exception class.

    NotFound       StateMachineDoesNotExist, ExecutionDoesNotExist
    AlreadyExists  StateMachineAlreadyExists, ExecutionAlreadyExists
    Invalid        InvalidDefinition, InvalidName, InvalidArn, InvalidExecutionInput,
                   StateMachineTypeNotSupported (StartSyncExecution of a Standard machine)
"""

from __future__ import annotations

from stratus.errors import AlreadyExists, Invalid, NotFound


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
