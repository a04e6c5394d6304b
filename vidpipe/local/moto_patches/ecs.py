"""Patches of moto 5.2.5's ECS backend: hooks for the local Fargate agent (defect 10), task definition
revisions as AWS resolves them (defect 17) and a RunTask gate for injected failures.

moto's tasks advance to STOPPED by themselves with exit code 0; nobody is told about RunTask. With a listener
(:func:`set_ecs_task_listener`) tasks are held RUNNING until the agent reports how the container ended
(:func:`stop_ecs_task`). A gate (:func:`set_run_task_gate`) can answer a RunTask with ``failures`` or an
error, as AWS does when capacity is short or the API throttles. Applied by
:func:`vidpipe.local.moto_patches.apply`.
"""

from __future__ import annotations

import copy
import datetime
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

LOG = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------------------
# (10) ECS hooks for a local Fargate agent
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EcsTaskLaunch:
    """What moto's RunTask created, as the local Fargate agent needs it (ECS API casing: camelCase)."""

    account_id: str
    region: str
    cluster_arn: str
    task_arn: str
    task_definition_arn: str
    overrides: dict[str, Any]
    capacity_provider_strategy: list[dict[str, Any]]
    launch_type: str | None
    started_by: str
    group: str | None
    network_configuration: dict[str, Any] | None


EcsTaskListener = Callable[[EcsTaskLaunch], None]

_ECS_LOCK = threading.Lock()
_ecs_listener: EcsTaskListener | None = None
_ecs_hold_tasks = False


def set_ecs_task_listener(listener: EcsTaskListener | None, *, hold_tasks: bool = True) -> None:
    """Be told about every task moto's ``RunTask`` creates; ``None`` removes the listener.

    ``listener(launch)`` is called synchronously in the thread serving RunTask, after the tasks exist and
    before RunTask returns: it must be quick (enqueue the work) and should not raise; if it does, the task
    is stopped at once with ``stopCode=TaskFailedToStart`` and the exception text as ``stoppedReason``.
    With ``hold_tasks`` (default) those tasks stay ``RUNNING`` however often they are described, until
    :func:`stop_ecs_task` stops them. ECS ``StopTask`` on a held task only *requests* the stop (desiredStatus
    STOPPED, lastStatus STOPPING, stopCode UserInitiated): the agent should poll desiredStatus, kill the
    process and call :func:`stop_ecs_task` with its exit code. Without a listener moto's normal progression
    (RUNNING -> ... -> STOPPED over a few DescribeTasks, exit code 0) applies. Thread-safe.
    """
    global _ecs_listener, _ecs_hold_tasks
    with _ECS_LOCK:
        _ecs_listener = listener
        _ecs_hold_tasks = bool(hold_tasks and listener is not None)


def _find_ecs_task(task_arn: str, account_id: str | None = None, region: str | None = None) -> Any:
    from moto.ecs.models import ecs_backends

    parts = task_arn.split(":")
    region = region or parts[3]
    account_id = account_id or parts[4]
    backend = ecs_backends[account_id][region]
    task_id = task_arn.split("/")[-1]
    for cluster_tasks in backend.tasks.values():
        for arn, task in cluster_tasks.items():
            if arn == task_arn or arn.split("/")[-1] == task_id:
                return task
    raise KeyError(f"no ECS task {task_arn} in moto account {account_id} region {region}")


def stop_ecs_task(
    task_arn: str,
    *,
    exit_code: int | None,
    stop_code: str = "EssentialContainerExited",
    stopped_reason: str = "Essential container in task exited",
    container_reason: str | None = None,
    account_id: str | None = None,
    region: str | None = None,
) -> None:
    """Mark a moto ECS task STOPPED with the given exit code (None = the container never ran) and stop code.

    Sets every container's ``exitCode``/``lastStatus``/``reason`` and the task's ``lastStatus`` and
    ``desiredStatus`` (STOPPED), ``stopCode``, ``stoppedReason``, ``stoppedAt``/``executionStoppedAt``, and
    releases the hold. The next DescribeTasks (the ``.sync`` poll, every 0.5 s) sees it. Account and region
    default to those in the ARN. Must run in the moto process (in-process mock or ``ThreadedMotoServer``).
    Stop codes AWS uses: ``EssentialContainerExited``, ``TaskFailedToStart``, ``SpotInterruption``,
    ``UserInitiated``, ``ServiceSchedulerInitiated``, ``TerminationNotice``.
    """
    task = _find_ecs_task(task_arn, account_id, region)
    now = datetime.datetime.now(datetime.UTC)
    for container in task.containers:
        container.exitCode = exit_code
        container.last_status = "STOPPED"
        if container_reason is not None:
            container.reason = container_reason
    task.stop_code = stop_code
    task.stopped_reason = stopped_reason
    task.stopped_at = now
    task.execution_stopped_at = now
    task.stopping_at = now
    task.desired_status = "STOPPED"
    task._vidpipe_held = False
    task.last_status = "STOPPED"


def mark_ecs_task_running(task_arn: str, *, account_id: str | None = None, region: str | None = None) -> None:
    """Optionally report that the local process started: containers RUNNING, ``startedAt`` set."""
    task = _find_ecs_task(task_arn, account_id, region)
    for container in task.containers:
        container.last_status = "RUNNING"
    task.started_at = datetime.datetime.now(datetime.UTC)


def _find_ecs_task_in(backend: Any, task_str: str) -> Any | None:
    task_id = task_str.split("/")[-1]
    for cluster_tasks in backend.tasks.values():
        for arn, task in cluster_tasks.items():
            if arn.split("/")[-1] == task_id:
                return task
    return None


def _request_stop(task: Any, reason: str) -> None:
    """StopTask on a held task: like AWS, desiredStatus STOPPED and lastStatus STOPPING at once; the task
    reaches STOPPED (with the exit code, e.g. 143 after SIGTERM) only when the agent calls stop_ecs_task."""
    task.desired_status = "STOPPED"
    task.stopped_reason = reason or "Task stopped by user"
    task.stop_code = "UserInitiated"
    task.stopping_at = datetime.datetime.now(datetime.UTC)
    task.last_status = "STOPPING"


def _notify_ecs_listener(backend: Any, tasks: list[Any], kwargs: dict[str, Any]) -> None:
    with _ECS_LOCK:
        listener, hold = _ecs_listener, _ecs_hold_tasks
    if listener is None:
        return
    for task in tasks:
        if hold:
            task._vidpipe_held = True
        launch = EcsTaskLaunch(
            account_id=backend.account_id,
            region=backend.region_name,
            cluster_arn=task.cluster_arn,
            task_arn=task.task_arn,
            task_definition_arn=task.task_definition_arn,
            overrides=copy.deepcopy(task.overrides or {}),
            capacity_provider_strategy=copy.deepcopy(kwargs.get("capacity_provider_strategy") or []),
            launch_type=kwargs.get("launch_type"),
            started_by=task.started_by,
            group=task.group,
            network_configuration=copy.deepcopy(kwargs.get("networking_configuration")),
        )
        try:
            listener(launch)
        except Exception as exc:
            LOG.warning("ECS task listener failed for %s: %s", task.task_arn, exc, exc_info=True)
            stop_ecs_task(
                task.task_arn, exit_code=None, stop_code="TaskFailedToStart", stopped_reason=str(exc)
            )


_RUN_TASK_ARGS = (
    "cluster_str",
    "task_definition_str",
    "count",
    "overrides",
    "started_by",
    "tags",
    "launch_type",
    "networking_configuration",
    "group",
    "platform_version",
    "capacity_provider_strategy",
)


def _patch_ecs_hooks() -> None:
    """Defect 10: moto ECS tasks advance to STOPPED by themselves (exit 0, no stop code) and nobody is told.

    AWS: a task runs until its essential container exits; DescribeTasks then shows the exit code and stop code.
    Patch: ``run_task`` notifies the listener of :func:`set_ecs_task_listener`; held tasks report their stored
    status instead of advancing (``Task.status``), until :func:`stop_ecs_task` sets exit and stop codes.
    ``StopTask`` on a held task sets desiredStatus STOPPED / lastStatus STOPPING / stopCode UserInitiated and
    leaves the final STOPPED (with the real exit code) to the agent, as on AWS (moto would report STOPPED with
    exit code 0 at once, so a ``.sync`` state would succeed before the process was even killed).
    Per-task hold, so it does not change the global ``ecs::task`` transition of moto's state manager.
    """
    from moto.ecs.models import EC2ContainerServiceBackend, Task
    from moto.moto_api._internal.managed_state_model import ManagedState

    original_run_task = EC2ContainerServiceBackend.run_task

    def run_task(self: Any, *args: Any, **kwargs: Any) -> list[Any]:
        tasks = original_run_task(self, *args, **kwargs)
        for task in tasks:  # moto sets each container's taskArn to the task definition ARN
            for container in task.containers:
                container.task_arn = task.task_arn
        _notify_ecs_listener(self, tasks, {**dict(zip(_RUN_TASK_ARGS, args, strict=False)), **kwargs})
        return tasks

    managed_status = ManagedState.status

    def _get_status(self: Any) -> str | None:
        if self.__dict__.get("_vidpipe_held"):
            return self._status  # type: ignore[no-any-return]
        return managed_status.fget(self)  # type: ignore[no-any-return]

    def _set_status(self: Any, value: str) -> None:
        self._status = value

    original_stop_task = EC2ContainerServiceBackend.stop_task

    def stop_task(self: Any, cluster_str: str, task_str: str, reason: str) -> Any:
        task = _find_ecs_task_in(self, task_str)
        if task is None or not task.__dict__.get("_vidpipe_held"):
            return original_stop_task(self, cluster_str, task_str, reason)
        _request_stop(task, reason)
        return task

    EC2ContainerServiceBackend.run_task = run_task  # type: ignore[method-assign]
    EC2ContainerServiceBackend.stop_task = stop_task  # type: ignore[method-assign]
    Task.status = property(_get_status, _set_status)  # type: ignore[assignment,method-assign]


# ---------------------------------------------------------------------------------------------------------
# (17) task definition revisions: a bare family is the latest ACTIVE one, an INACTIVE one cannot run
# ---------------------------------------------------------------------------------------------------------

INACTIVE_MESSAGE = "TaskDefinition is inactive"


def _patch_task_definition_revisions() -> None:
    """moto resolves a bare family to its highest revision even when that one is INACTIVE, and runs tasks of
    INACTIVE (deregistered) revisions.

    AWS: "If a revision isn't specified, the latest ACTIVE revision is used" (RunTask and
    DescribeTaskDefinition API references); "You can't use an INACTIVE task definition revision to run new
    tasks" (DeregisterTaskDefinition), observed as ``InvalidParameterException: TaskDefinition is inactive``.
    Patch: a bare family resolves to its latest ACTIVE revision (none: moto's not-found ClientException);
    RunTask of an INACTIVE revision raises ``InvalidParameterException`` with that message.
    """
    from moto.ecs.exceptions import InvalidParameterException, TaskDefinitionNotFoundException
    from moto.ecs.models import EC2ContainerServiceBackend

    original_describe = EC2ContainerServiceBackend.describe_task_definition

    def describe_task_definition(self: Any, task_definition_str: str) -> Any:
        name = task_definition_str.split("/")[-1]
        if ":" in name:
            return original_describe(self, task_definition_str)
        active = [r for r, d in self.task_definitions.get(name, {}).items() if d.status == "ACTIVE"]
        if not active:
            raise TaskDefinitionNotFoundException()
        return self.task_definitions[name][max(active)]

    original_run_task = EC2ContainerServiceBackend.run_task

    def run_task(self: Any, cluster_str: str, task_definition_str: str, *args: Any, **kwargs: Any) -> Any:
        if self.describe_task_definition(task_definition_str).status == "INACTIVE":
            raise InvalidParameterException(INACTIVE_MESSAGE)
        return original_run_task(self, cluster_str, task_definition_str, *args, **kwargs)

    EC2ContainerServiceBackend.describe_task_definition = describe_task_definition
    EC2ContainerServiceBackend.run_task = run_task


# ---------------------------------------------------------------------------------------------------------
# RunTask gate: failures and errors AWS can answer with (moto never does)
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunTaskRequest:
    """What a RunTask asked for, as a gate sees it."""

    cluster: str
    task_definition: str
    capacity_provider: str | None  # the strategy's first provider, else the launch type (FARGATE)
    count: int


#: Returns the ``failures`` to answer with (no task is created), or None to run the task; may raise an
#: AWSError (e.g. :func:`throttling_error`) to fail the call.
RunTaskGate = Callable[[RunTaskRequest], "list[dict[str, str]] | None"]

_run_task_gate: RunTaskGate | None = None


def set_run_task_gate(gate: RunTaskGate | None) -> None:
    """Consult ``gate`` before every RunTask (None: no gate). Thread-safe."""
    global _run_task_gate
    with _ECS_LOCK:
        _run_task_gate = gate


def capacity_failure(region: str, account_id: str, capacity_provider: str) -> dict[str, str]:
    """A RunTask ``failures`` entry for capacity that is not available (Fargate's message)."""
    return {
        "arn": f"arn:aws:ecs:{region}:{account_id}:capacity-provider/{capacity_provider}",
        "reason": f"RESOURCE:{capacity_provider}",
        "detail": "Capacity is unavailable at this time. Please try again later or in a different availability zone",
    }


def throttling_error() -> Exception:
    """The error of a throttled ECS call (HTTP 400, ``ThrottlingException``, "Rate exceeded")."""
    from moto.core.exceptions import AWSError

    return AWSError("Rate exceeded", exception_type="ThrottlingException", status=400)


def _patch_run_task_gate() -> None:
    """RunTask answers as :func:`set_run_task_gate`'s gate decides (moto always creates the tasks)."""
    from moto.core.responses import ActionResult
    from moto.ecs.responses import EC2ContainerServiceResponse

    original = EC2ContainerServiceResponse.run_task

    def run_task(self: Any) -> Any:
        with _ECS_LOCK:
            gate = _run_task_gate
        if gate is not None:
            strategy = self._get_param("capacityProviderStrategy") or []
            request = RunTaskRequest(
                cluster=str(self._get_param("cluster", "default")),
                task_definition=str(self._get_param("taskDefinition")),
                capacity_provider=strategy[0]["capacityProvider"]
                if strategy
                else self._get_param("launchType"),
                count=int(self._get_int_param("count", 1)),
            )
            failures = gate(request)
            if failures:
                return ActionResult({"tasks": [], "failures": failures})
        return original(self)

    EC2ContainerServiceResponse.run_task = run_task


# ---------------------------------------------------------------------------------------------------------
# (24) DescribeTasks while RunTask adds a task
# ---------------------------------------------------------------------------------------------------------

DESCRIBE_ATTEMPTS = 5


def _patch_describe_tasks_during_run_task() -> None:
    """moto's ``describe_tasks`` iterates the cluster's task dict; the server serves requests on threads, so a
    RunTask that adds a task meanwhile makes it raise ``RuntimeError: dictionary changed size during
    iteration`` (an HTTP 500, seen at 300 uploads). AWS answers DescribeTasks whatever runs beside it.
    Patch: describe again (the iteration is short; nothing changes between the tries but the dict's size).
    """
    import functools

    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend.describe_tasks

    @functools.wraps(original)
    def describe_tasks(self: Any, cluster_str: str, tasks: list[str]) -> Any:
        for attempt in range(DESCRIBE_ATTEMPTS):
            try:
                return original(self, cluster_str, tasks)
            except RuntimeError as error:
                if "changed size during iteration" not in str(error) or attempt == DESCRIBE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    EC2ContainerServiceBackend.describe_tasks = describe_tasks  # type: ignore[method-assign]


PATCHES: tuple[Callable[[], None], ...] = (
    _patch_ecs_hooks,
    _patch_task_definition_revisions,
    _patch_run_task_gate,
    _patch_describe_tasks_during_run_task,
)
