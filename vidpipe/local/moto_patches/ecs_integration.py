"""Patches of the Step Functions interpreter's ECS integration (``ecs:runTask`` and ``ecs:runTask.sync``).

Defects 1b (dropped RunTask fields), 1c (ECS API errors named like AWS) and 5 (``.sync`` fails on a non-zero
exit code) of moto 5.2.5. Applied by :func:`vidpipe.local.moto_patches.apply`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vidpipe.local.moto_patches.stepfunctions import _service_model

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


def _patch_ecs_client_errors() -> None:
    """Defect 1c: an ECS API error (RunTask on a missing cluster, a bad parameter, throttling) becomes
    ``States.Runtime`` with the Python exception text.

    AWS: the state fails with ``ECS.<ErrorCode>`` (``ECS.AmazonECSException`` for unmodelled codes such as
    throttling) and a Java-SDK style Cause, which Retry/Catch (and ``States.TaskFailed``/``States.ALL``) match.
    Patch: give the ECS integration a ``_from_error`` for botocore ``ClientError``, as moto has for Lambda and
    DynamoDB.
    """
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_ecs import (
        StateTaskServiceEcs,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

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
        return FailureEvent(
            env=env,
            error_name=CustomErrorName(error),
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(
                taskFailedEventDetails=TaskFailedEventDetails(
                    error=error,
                    cause=cause,
                    resource=self._get_sfn_resource(),
                    resourceType=self._get_sfn_resource_type(),
                )
            ),
        )

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
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    error = StatesErrorNameType.StatesTaskFailed
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=error),
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(
                taskFailedEventDetails=TaskFailedEventDetails(
                    error=error.to_name(),
                    cause=to_json_str(task, separators=(",", ":")),
                    resource=state._get_sfn_resource(),
                    resourceType=state._get_sfn_resource_type(),
                )
            ),
        )
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

        return _sync_resolver

    StateTaskServiceEcs._build_sync_resolver = _build_sync_resolver  # type: ignore[method-assign]


PATCHES: tuple[Callable[[], None], ...] = (
    _patch_ecs_run_task_parameters,
    _patch_ecs_client_errors,
    _patch_ecs_sync_failure,
)
