"""Patches of the Step Functions interpreter's ECS integration (``ecs:runTask`` and ``ecs:runTask.sync``).

Defects 1b (dropped RunTask fields), 1c (ECS API errors named like AWS), 5 (``.sync`` fails on a non-zero
exit code), 18 (RunTask ``Failures`` fail the state with ``AmazonECS.Unknown``) and 19 (an abandoned ``.sync``
task is stopped) of moto 5.2.5. Applied by :func:`vidpipe.local.moto_patches.apply`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from vidpipe.local.moto_patches.stepfunctions import _service_model

LOG = logging.getLogger(__name__)

#: RunTask request fields the Step Functions ECS integration passes through that moto 5.2.5's list lacks.
ECS_RUN_TASK_EXTRA_PARAMETERS = frozenset(
    {"CapacityProviderStrategy", "EnableECSManagedTags", "ReferenceId", "Tags", "VolumeConfigurations"}
)


def _patch_ecs_run_task_parameters() -> None:
    """Defect 1b: ``ecs:runTask`` silently drops ``CapacityProviderStrategy`` (and Tags, ...).

    moto filters the evaluated Parameters through a per-integration allow-list; its RunTask list lacks
    ``CapacityProviderStrategy``, so a FARGATE_SPOT task is submitted with neither launch type nor strategy
    (moto then looks for EC2 instances: ``No instances found in cluster``).
    AWS: the optimised ECS integration accepts the RunTask request fields, including CapacityProviderStrategy.
    Patch: add the missing RunTask fields to moto's allow-list.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_ecs

    state_task_service_ecs._SUPPORTED_API_PARAM_BINDINGS["runtask"].update(ECS_RUN_TASK_EXTRA_PARAMETERS)


def ecs_error_name(error_code: str) -> str:
    """Step Functions' name for an ECS API error: ``ECS.<Code>`` for errors the ECS model defines
    (``ECS.InvalidParameterException``, ``ECS.ClusterNotFoundException``), else ``ECS.AmazonECSException``
    (e.g. throttling: ``Rate exceeded``), as the Java SDK used by Step Functions reports them."""
    modelled = {shape.name for shape in _service_model("ecs").error_shapes}
    return f"ECS.{error_code}" if error_code in modelled else "ECS.AmazonECSException"


def _task_failure_event(env: Any, state: Any, error_name: Any, error: str, cause: str) -> Any:
    """The TaskFailed FailureEvent of an ECS state (``error_name``: moto's error-name object for ``error``)."""
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    return FailureEvent(
        env=env,
        error_name=error_name,
        event_type=HistoryEventType.TaskFailed,
        event_details=EventDetails(
            taskFailedEventDetails=TaskFailedEventDetails(
                error=error,
                cause=cause,
                resource=state._get_sfn_resource(),
                resourceType=state._get_sfn_resource_type(),
            )
        ),
    )


def _patch_ecs_client_errors() -> None:
    """Defect 1c: an ECS API error (RunTask on a missing cluster, a bad parameter, throttling) becomes
    ``States.Runtime`` with the Python exception text.

    AWS: the state fails with ``ECS.<ErrorCode>`` (``ECS.AmazonECSException`` for unmodelled codes such as
    throttling) and a Java-SDK style Cause, which Retry/Catch (and ``States.TaskFailed``/``States.ALL``) match.
    Patch: give the ECS integration a ``_from_error`` for botocore ``ClientError``, as moto has for Lambda and
    DynamoDB.
    """
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_ecs import (
        StateTaskServiceEcs,
    )

    original = StateTaskServiceEcs._from_error

    def _from_error(self: Any, env: Any, ex: Exception) -> Any:
        if not isinstance(ex, ClientError):
            return original(self, env, ex)
        code = ex.response["Error"].get("Code") or "AmazonECSException"
        error = ecs_error_name(code)
        meta = ex.response.get("ResponseMetadata", {})
        cause = (
            f"{ex.response['Error'].get('Message', '')} (Service: AmazonECS; Status Code: "
            f"{meta.get('HTTPStatusCode', 400)}; Error Code: {code}; Request ID: {meta.get('RequestId', '')}; "
            "Proxy: null)"
        )
        return _task_failure_event(env, self, CustomErrorName(error), error, cause)

    StateTaskServiceEcs._from_error = _from_error  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------------------
# (5) ECS .sync fails on a non-zero / missing essential exit code
# ---------------------------------------------------------------------------------------------------------

#: Stop codes that fail a ``.sync`` task whatever the exit code says.
FAILING_STOP_CODES = frozenset({"TaskFailedToStart", "SpotInterruption", "TerminationNotice"})


def ecs_task_failed(task: dict[str, Any], essential_containers: set[str] | None) -> bool:
    """Decide like ``ecs:runTask.sync`` whether a STOPPED task (PascalCase DescribeTasks object) failed.

    Failed when an essential container (all containers if ``essential_containers`` is None) has no exit code
    or a non-zero one, or the stop code is one of :data:`FAILING_STOP_CODES`.
    """
    if task.get("StopCode") in FAILING_STOP_CODES:
        return True
    containers = task.get("Containers") or []
    essential = [
        c for c in containers if essential_containers is None or c.get("Name") in essential_containers
    ]
    if not essential:
        return True
    return any(c.get("ExitCode") is None or c.get("ExitCode") != 0 for c in essential)


def _essential_container_names(ecs_client: Any, task_definition_arn: str | None) -> set[str] | None:
    if not task_definition_arn:
        return None
    try:
        definition = ecs_client.describe_task_definition(taskDefinition=task_definition_arn)["taskDefinition"]
    except Exception:  # the task definition may be deregistered: treat every container as essential
        return None
    return {c["name"] for c in definition.get("containerDefinitions", []) if c.get("essential", True)}


def _task_failed_exception(env: Any, state: Any, task: dict[str, Any]) -> Exception:
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    error = StatesErrorNameType.StatesTaskFailed
    cause = to_json_str(task, separators=(",", ":"))
    return FailureEventException(
        failure_event=_task_failure_event(env, state, StatesErrorName(typ=error), error.to_name(), cause)
    )


def _patch_ecs_sync_failure() -> None:
    """Defect 5: ECS ``runTask.sync`` succeeds as soon as the task reads STOPPED, whatever the exit code.

    AWS: the state fails with ``States.TaskFailed`` when the essential container exits non-zero (or never
    ran: no exit code, stop code such as ``TaskFailedToStart``/``SpotInterruption``); ``Cause`` is the JSON
    DescribeTasks task object (PascalCase, with ``StopCode``, ``StoppedReason``, ``Containers[].ExitCode``).
    On success the output is that task object.
    Patch: replace the ECS sync resolver with one that, on STOPPED, PascalCases the task, looks up which
    containers are essential in its task definition and raises ``States.TaskFailed`` with that Cause.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_ecs import (
        StateTaskServiceEcs,
    )
    from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for

    def _build_sync_resolver(
        self: Any, env: Any, resource_runtime_part: Any, normalised_parameters: dict, state_credentials: Any
    ) -> Callable[[], Any]:
        ecs_client = boto_client_for(
            service="ecs", region=resource_runtime_part.region, state_credentials=state_credentials
        )
        submission = env.stack.pop()
        task_arn = submission["Tasks"][0]["TaskArn"]
        cluster_arn = submission["Tasks"][0]["ClusterArn"]

        def _sync_resolver() -> dict | None:
            described = ecs_client.describe_tasks(cluster=cluster_arn, tasks=[task_arn])
            described.pop("ResponseMetadata", None)
            if described["tasks"][0]["lastStatus"] != "STOPPED":
                return None
            self._normalise_response(response=described, service_action_name="describe_tasks")
            task = described["Tasks"][0]
            essential = _essential_container_names(ecs_client, task.get("TaskDefinitionArn"))
            if ecs_task_failed(task, essential):
                raise _task_failed_exception(env, self, task)
            return task

        _sync_resolver.submitted = (ecs_client, cluster_arn, task_arn)  # type: ignore[attr-defined]
        return _sync_resolver

    StateTaskServiceEcs._build_sync_resolver = _build_sync_resolver  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------------------
# (18) RunTask Failures fail a .sync / .waitForTaskToken state with AmazonECS.Unknown
# ---------------------------------------------------------------------------------------------------------

UNKNOWN_ERROR = "AmazonECS.Unknown"


def _unknown_failure(env: Any, state: Any, failures: list[dict[str, Any]]) -> Exception:
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    cause = to_json_str({"Failures": failures}, separators=(",", ":"))
    return FailureEventException(
        failure_event=_task_failure_event(env, state, CustomErrorName(UNKNOWN_ERROR), UNKNOWN_ERROR, cause)
    )


def _patch_run_task_failures() -> None:
    """Defect 18: a RunTask answer with ``failures`` and no task crashes moto's integration (``IndexError`` on
    ``Tasks[0]``: ``States.Runtime``).

    AWS (Step Functions ECS integration page): "``ecs:runTask`` can return an HTTP 200 response, but have a
    non-empty ``Failures`` field": Request Response returns the response and does not fail; Run a Job or Task
    Token fails the task with an ``AmazonECS.Unknown`` error. The Cause AWS writes is not documented: here it
    is the JSON ``{"Failures": [...]}`` (PascalCase).
    Patch: after RunTask, fail ``.sync``/``.waitForTaskToken`` states that got failures; a Request Response
    state without tasks returns the RunTask response itself.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_ecs import (
        StateTaskServiceEcs,
    )
    from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for

    original = StateTaskServiceEcs._eval_service_task

    def _eval_service_task(
        self: Any, env: Any, resource_runtime_part: Any, normalised_parameters: dict, state_credentials: Any
    ) -> None:
        if self._get_boto_service_action() != "run_task":
            original(self, env, resource_runtime_part, normalised_parameters, state_credentials)
            return
        ecs_client = boto_client_for(
            region=resource_runtime_part.region, service="ecs", state_credentials=state_credentials
        )
        response = ecs_client.run_task(**normalised_parameters)
        response.pop("ResponseMetadata", None)
        self._normalise_response(response=response, service_action_name="run_task")
        failures = response.get("Failures") or []
        if failures and self._is_integration_pattern():
            raise _unknown_failure(env, self, failures)
        tasks = response.get("Tasks") or []
        if not tasks:
            env.stack.append(response)
            return
        described = ecs_client.describe_tasks(cluster=tasks[0]["ClusterArn"], tasks=[tasks[0]["TaskArn"]])
        described.pop("ResponseMetadata", None)
        self._normalise_response(response=described, service_action_name="describe_tasks")
        env.stack.append(described)

    StateTaskServiceEcs._eval_service_task = _eval_service_task


# ---------------------------------------------------------------------------------------------------------
# (19) a .sync ECS task whose state is abandoned is stopped
# ---------------------------------------------------------------------------------------------------------


def _abandon_reason(env: Any) -> str:
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramError, ProgramStopped, ProgramTimedOut

    state = env.program_state()
    if isinstance(state, ProgramStopped):
        return "Step Functions execution stopped"
    if isinstance(state, ProgramTimedOut):
        return "Step Functions execution timed out"
    if isinstance(state, ProgramError):
        return "Step Functions execution failed"
    return "Step Functions task timed out"


def _patch_abandoned_sync_task_stops() -> None:
    """Defect 19: when a ``.sync`` ECS state stops waiting before its task ended (the state's TimeoutSeconds,
    the execution stopped, timed out, or failed in another Map iteration), moto leaves the task running.

    AWS: the Run a Job policy Step Functions generates for ``ecs:runTask.sync`` includes ``ecs:StopTask`` ("You
    can only stop Amazon ECS tasks that were started by Step Functions"): Step Functions stops the task it
    no longer waits for (the docs state it for aborted executions; for a state timeout it is inferred).
    Patch: when the ``.sync`` wait of an ECS task ends without a result, call StopTask on that task (a task
    that already stopped is left alone).
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_ecs import (
        StateTaskServiceEcs,
    )

    original = StateTaskServiceEcs._eval_sync

    def _eval_sync(self: Any, env: Any, sync_resolver: Any, *args: Any, **kwargs: Any) -> Any:
        submitted = getattr(sync_resolver, "submitted", None)  # set by the sync resolver of defect 5
        result = original(self, env, sync_resolver, *args, **kwargs)
        if submitted is None or env.is_running():  # still running: the wait ended with the task
            return result
        ecs_client, cluster, task = submitted
        try:
            described = ecs_client.describe_tasks(cluster=cluster, tasks=[task])["tasks"]
            if described and described[0].get("lastStatus") != "STOPPED":
                ecs_client.stop_task(cluster=cluster, task=task, reason=_abandon_reason(env))
        except Exception as exc:  # best effort, as on AWS: the execution is over whatever happens here
            LOG.warning("could not stop abandoned ECS task %s: %s", task, exc)
        return result

    StateTaskServiceEcs._eval_sync = _eval_sync


PATCHES: tuple[Callable[[], None], ...] = (
    _patch_ecs_run_task_parameters,
    _patch_ecs_client_errors,
    _patch_ecs_sync_failure,
    _patch_run_task_failures,
    _patch_abandoned_sync_task_stops,
)
