"""Every patch vidpipe applies to moto, in one package, for exactly moto 5.2.5.

Call :func:`apply` once (it is idempotent and thread-safe) before creating moto backends or starting a
``ThreadedMotoServer``. One module per patched service, so a defect's patch is found by its service
(``docs/moto-patches.md`` has the table of defects, patches and tests):

* :mod:`.stepfunctions`: the Step Functions interpreter (name normalisation, JSONata, JSONPath, execution
  names, context object, Map errors, logging noise);
* :mod:`.callbacks`: task tokens and waits (fresh token per attempt, stopped executions, abandoned waits);
* :mod:`.redrive_record` and :mod:`.redrive`: RedriveExecution (what each state did; the API);
* :mod:`.ecs_integration`: the interpreter's ECS integration (RunTask fields, ECS error names, ``.sync``);
* :mod:`.ecs`: moto's ECS backend, with hooks for the local Fargate agent;
* :mod:`.awslambda` and :mod:`.lambda_async`: moto's Lambda, running registered Python handlers in-process,
  and asynchronous invocations (retries, destinations);
* :mod:`.dynamodb`: DynamoDB error names in the interpreter, and a gate that fails applied writes;
* :mod:`.s3`: S3 event notifications;
* :mod:`.mock_config`: Step Functions Local's mock config (``<arn>#TestCase``);
* :mod:`.server`: the server's request dispatcher (the backend of each request's host, found once);
* :mod:`.service_clients`: the interpreter's boto3 clients (one per service, shared by every Task state);
* :mod:`.parsing`: the interpreter's parse of a definition (once per definition, not per execution);
* :mod:`.execution_end`: a hook told when an execution ends (the status-change rule's events).

Each ``_patch_*`` function fixes one measured defect; its docstring names the defect, what AWS does and why
the patch is correct. Public hooks for the local runtime are re-exported here:

* Lambda: :func:`register_lambda_handler`, :func:`unregister_lambda_handler`, :func:`clear_lambda_handlers`
  run a Python handler in-process whenever moto's Lambda is invoked (by a state machine or by boto3).
* ECS (local Fargate agent): :func:`set_ecs_task_listener` is told about every task ``RunTask`` creates and
  keeps those tasks RUNNING; :func:`stop_ecs_task` reports the container's exit code and the stop code;
  :func:`set_run_task_gate` lets RunTask answer with failures or errors (fault injection).
* Redrive: :func:`set_iteration_start` chooses where redriven Map iterations start again.
* Executions: :func:`set_execution_end_listener` is told of every execution that ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import moto

from vidpipe.local.moto_patches import (
    awslambda,
    callbacks,
    dynamodb,
    ecs,
    ecs_integration,
    execution_end,
    lambda_async,
    mock_config,
    parsing,
    redrive,
    redrive_record,
    s3,
    server,
    service_clients,
    stepfunctions,
)
from vidpipe.local.moto_patches.awslambda import (
    LambdaHandler,
    LambdaRegistration,
    LocalLambdaContext,
    clear_lambda_handlers,
    invoke_registered_handler,
    register_lambda_handler,
    unregister_lambda_handler,
)
from vidpipe.local.moto_patches.dynamodb import (
    WriteGate,
    WriteRequest,
    dynamodb_error_name,
    internal_server_error,
    set_write_gate,
)
from vidpipe.local.moto_patches.ecs import (
    EcsTaskLaunch,
    EcsTaskListener,
    RunTaskGate,
    RunTaskRequest,
    capacity_failure,
    mark_ecs_task_running,
    set_ecs_task_listener,
    set_run_task_gate,
    stop_ecs_task,
    throttling_error,
)
from vidpipe.local.moto_patches.ecs_integration import (
    ECS_RUN_TASK_EXTRA_PARAMETERS,
    FAILING_STOP_CODES,
    ecs_error_name,
    ecs_task_failed,
)
from vidpipe.local.moto_patches.execution_end import ExecutionEndListener, set_execution_end_listener
from vidpipe.local.moto_patches.redrive_record import IterationStart, iteration_start, set_iteration_start
from vidpipe.local.moto_patches.stepfunctions import aws_timestamp

EXPECTED_MOTO_VERSION = "5.2.5"

_APPLY_LOCK = threading.Lock()
_applied = False

# Order matters where two patches wrap the same method: the unnamed-execution fix (stepfunctions) is wrapped
# by the mock config's StartExecution (mock_config); the shared service clients come before the patches that
# bind ``boto_client_for`` (ecs_integration).
_PATCHES: tuple[Callable[[], None], ...] = (
    *service_clients.PATCHES,
    *stepfunctions.PATCHES,
    *callbacks.PATCHES,
    *redrive_record.PATCHES,
    *redrive.PATCHES,
    *s3.PATCHES,
    *dynamodb.PATCHES,
    *ecs_integration.PATCHES,
    *mock_config.PATCHES,
    *awslambda.PATCHES,
    *ecs.PATCHES,
    *server.PATCHES,
    *parsing.PATCHES,
    *execution_end.PATCHES,
)


class UnsupportedMotoVersionError(RuntimeError):
    """Raised by :func:`apply` when the installed moto is not the exact version these patches were written for."""


def check_moto_version(version: str | None = None) -> None:
    """Raise :class:`UnsupportedMotoVersionError` unless ``version`` (default: installed moto) is 5.2.5."""
    found = moto.__version__ if version is None else version
    if found != EXPECTED_MOTO_VERSION:
        raise UnsupportedMotoVersionError(
            f"vidpipe.local.moto_patches targets moto=={EXPECTED_MOTO_VERSION} exactly, found moto=={found}. "
            "The patches replace moto internals; re-check every defect (tests/moto_patches) before "
            "changing the pin in pyproject.toml and constraints.txt."
        )


def apply() -> None:
    """Apply every patch once. Idempotent; refuses (raises) on any moto other than 5.2.5."""
    global _applied
    with _APPLY_LOCK:
        if _applied:
            return
        check_moto_version()
        for patch in _PATCHES:
            patch()
        _applied = True


def is_applied() -> bool:
    """True once :func:`apply` has run."""
    return _applied


__all__ = [
    "ECS_RUN_TASK_EXTRA_PARAMETERS",
    "EXPECTED_MOTO_VERSION",
    "FAILING_STOP_CODES",
    "EcsTaskLaunch",
    "EcsTaskListener",
    "ExecutionEndListener",
    "IterationStart",
    "LambdaHandler",
    "LambdaRegistration",
    "LocalLambdaContext",
    "RunTaskGate",
    "RunTaskRequest",
    "UnsupportedMotoVersionError",
    "WriteGate",
    "WriteRequest",
    "apply",
    "aws_timestamp",
    "capacity_failure",
    "check_moto_version",
    "clear_lambda_handlers",
    "dynamodb_error_name",
    "ecs_error_name",
    "ecs_task_failed",
    "internal_server_error",
    "invoke_registered_handler",
    "is_applied",
    "iteration_start",
    "lambda_async",
    "mark_ecs_task_running",
    "register_lambda_handler",
    "set_ecs_task_listener",
    "set_execution_end_listener",
    "set_iteration_start",
    "set_run_task_gate",
    "set_write_gate",
    "stop_ecs_task",
    "throttling_error",
    "unregister_lambda_handler",
]
