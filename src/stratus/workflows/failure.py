"""The errors a state machine raises and catches, by their States Language names.

A `StatesFailure` is a *result* of running a definition, never a bug of ours: it travels to
the state's Retry and Catch, and ends the execution as ExecutionFailed if nothing catches it.
"""

from __future__ import annotations

ALL = "States.ALL"
TIMEOUT = "States.Timeout"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
TASK_FAILED = "States.TaskFailed"
PERMISSIONS = "States.Permissions"
RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
PARAMETER_PATH_FAILURE = "States.ParameterPathFailure"
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
BRANCH_FAILED = "States.BranchFailed"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
ITEM_READER_FAILED = "States.ItemReaderFailed"
RESULT_WRITER_FAILED = "States.ResultWriterFailed"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
RUNTIME = "States.Runtime"

# States.ALL does not match these: they end the execution whatever its Catch says
# (AWS's error handling page: "States.ALL ... doesn't catch States.DataLimitExceeded
# or States.Runtime").
TERMINAL = frozenset({DATA_LIMIT_EXCEEDED, RUNTIME})

# A missed heartbeat is reported as States.HeartbeatTimeout, yet it is also a States.Timeout
# (AWS: States.Timeout is a Task that "ran longer than the TimeoutSeconds value, or failed
# to send a heartbeat for a period longer than the HeartbeatSeconds value"), so an
# ErrorEquals naming either one matches it.
ALSO = {HEARTBEAT_TIMEOUT: TIMEOUT}

# States.TaskFailed matches any error except States.Timeout (AWS: "a Task state failed
# during the execution ... matches any known error name except for States.Timeout"),
# heartbeat timeouts included.
NOT_TASK_FAILED = frozenset({TIMEOUT, HEARTBEAT_TIMEOUT}) | TERMINAL


class StatesFailure(Exception):
    """A States Language error: `error` is its name, `cause` the human text."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause


def intrinsic_failure(cause: str) -> StatesFailure:
    return StatesFailure(INTRINSIC_FAILURE, cause)
