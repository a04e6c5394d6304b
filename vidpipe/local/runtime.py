"""LocalRuntime: the whole pipeline on one machine, in one process (plus one subprocess per worker task).

Start order matters: moto patches, then the server (MOTO_PORT), then the resources from the synthesized
template, then the in-process Lambda handlers, the fault gates, the Fargate agent, the pipe, the
status-change watcher and the schedules; stop runs in reverse so that no worker process outlives the runtime
and no thread talks to a dead server.

Only one runtime can run per process: moto's backends and its patches' hooks are process-wide.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from vidpipe.contract.names import DEFAULT_STACK_NAME, WORKER_CONTAINER_NAME
from vidpipe.local import in_memory, moto_patches
from vidpipe.local.aws import ACCOUNT_ID, REGION, client, client_environment
from vidpipe.local.defaults import BOOT_ID_TAG, DEFAULT_LOG_DIR, DEFAULT_MAX_TASKS, STARTED_AT_TAG
from vidpipe.local.fargate import DEFAULT_SPOT_RECLAIM_SECONDS, FargateAgent
from vidpipe.local.faults import Fault, FaultSet
from vidpipe.local.injection import FaultInjector
from vidpipe.local.lambdas import register_functions, unregister_functions
from vidpipe.local.logs import TaskLogWriter
from vidpipe.local.pipe import Pipe, PipeSettings
from vidpipe.local.provision import Provisioned, Provisioner
from vidpipe.local.rules import RuleSettings, StatusChangeWatcher
from vidpipe.local.schedules import ScheduledInvoker, ScheduleSettings
from vidpipe.local.server import MotoServer
from vidpipe.local.template import Template, TemplateError, load_synthesized_template

log = logging.getLogger(__name__)

MAX_CONCURRENT_TASKS = "MaxConcurrentTasks"  # the ASL placeholder bound to --max-tasks
OPTIONS_ENV = "VIDPIPE_OPTIONS"  # the worker's analysis options (worker/options.py)
LOCAL_LAMBDA_RETRY_DELAYS = (1.0, 2.0)  # AWS waits 60 s and 120 s between asynchronous attempts

_ACTIVE = threading.Lock()  # held while a runtime runs in this process


class LocalRuntimeError(RuntimeError):
    """The runtime could not start (port taken, template unusable, another runtime running here)."""


class LocalRuntime:
    """The local pipeline; a context manager (``with LocalRuntime(port=0) as rt: rt.endpoint_url``).

    Args:
        port: TCP port on 127.0.0.1 (0: a free one).
        max_tasks: worker processes at once; also the state machine's MaxConcurrentTasks.
        stack_name: the name the CLI looks the stack up by.
        worker_env: variables added to every worker's environment.
        worker_options: the workers' analysis options (``VIDPIPE_OPTIONS``, e.g. ``{"noop": True}``).
        log_dir: where task logs are copied as files (None: CloudWatch Logs only).
        template: a synthesized template (default: synthesize the CDK app).
        context: ``vidpipe:`` CDK context values for that synthesis (merged over cdk.json's).
        stop_grace_seconds: SIGTERM -> SIGKILL delay for worker processes.
        faults: ``NAME[@SCOPE][:COUNT]`` specifications active from the start (see :mod:`.faults`).
        reconcile_seconds: the period of every scheduled Lambda (None: the template's rate).
        redrive_iteration_start: where a redriven Map iteration that failed starts again.
        lambda_retry_delays: seconds before the retries of a failed asynchronous Lambda invocation.
        spot_reclaim_seconds: how long after its start a ``spot-interruption`` task is reclaimed.
    """

    def __init__(
        self,
        port: int = 0,
        max_tasks: int = DEFAULT_MAX_TASKS,
        stack_name: str = DEFAULT_STACK_NAME,
        worker_env: Mapping[str, str] | None = None,
        log_dir: Path | None = DEFAULT_LOG_DIR,
        template: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        stop_grace_seconds: float = 10.0,
        worker_options: Mapping[str, Any] | None = None,
        faults: Iterable[str | Fault] = (),
        reconcile_seconds: float | None = None,
        redrive_iteration_start: moto_patches.IterationStart | str = moto_patches.IterationStart.FAILED_STATE,
        lambda_retry_delays: Sequence[float] = LOCAL_LAMBDA_RETRY_DELAYS,
        spot_reclaim_seconds: float = DEFAULT_SPOT_RECLAIM_SECONDS,
    ) -> None:
        if max_tasks < 1:
            raise ValueError("max_tasks must be at least 1")
        if reconcile_seconds is not None and reconcile_seconds <= 0:
            raise ValueError("reconcile_seconds must be positive")
        self.max_tasks = max_tasks
        self.stack_name = stack_name
        self._worker_env = dict(worker_env or {})
        if worker_options is not None:
            self._worker_env[OPTIONS_ENV] = json.dumps(dict(worker_options))
        self._log_dir = log_dir
        self._template = template
        self._context = dict(context or {})
        self._grace = stop_grace_seconds
        self._reconcile_seconds = reconcile_seconds
        self._iteration_start = moto_patches.IterationStart(redrive_iteration_start)
        self._lambda_retry_delays = tuple(lambda_retry_delays)
        self._spot_reclaim = spot_reclaim_seconds
        self._server = MotoServer(port)
        self._saved_env: dict[str, str | None] = {}
        self._functions: list[str] = []
        self._injector: FaultInjector | None = None
        self.faults = FaultSet(validate_scope=self._check_fault_scope)
        self.faults.extend(faults)
        self.boot_id = uuid.uuid4().hex
        self.started_at: datetime | None = None
        self.provisioned: Provisioned | None = None
        self.agent: FargateAgent | None = None
        self.pipes: list[Pipe] = []
        self.watcher: StatusChangeWatcher | None = None
        self.schedules: list[ScheduledInvoker] = []
        self._started = False

    # -- public --------------------------------------------------------------------------------------------
    @property
    def endpoint_url(self) -> str:
        return self._server.endpoint_url

    @property
    def outputs(self) -> dict[str, str]:
        """The stack's outputs (the same keys as on AWS: vidpipe.contract.names.Output)."""
        if self.provisioned is None:
            raise LocalRuntimeError("the runtime is not started")
        return dict(self.provisioned.outputs)

    def client(self, service: str) -> Any:
        """A boto3 client of this runtime (over HTTP, as users and containers reach it)."""
        return client(service, self.endpoint_url)

    def _service_client(self, service: str) -> Any:
        """A client for the runtime's stand-ins for AWS services, which live in moto's process: served in
        memory (:mod:`.in_memory`)."""
        return in_memory.route(self.client(service))

    def start(self) -> LocalRuntime:
        """Start everything; on any failure, stop what started and raise.

        Raises:
            LocalRuntimeError: another runtime runs in this process, or the template cannot be used.
            FaultError: a fault's scope that this stack cannot serve.
            OSError: the port is taken.
        """
        if not _ACTIVE.acquire(blocking=False):
            raise LocalRuntimeError("a local runtime is already running in this process")
        self._started = True
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop everything (idempotent): no worker process survives this call."""
        if not self._started:
            return
        for schedule in self.schedules:
            schedule.stop()
        for pipe in self.pipes:
            pipe.stop()
        if self.watcher is not None:
            self.watcher.stop()
        self._abort_running_executions()
        if self.agent is not None:
            self.agent.stop()
        if self._injector is not None:
            self._injector.uninstall()
        moto_patches.lambda_async.reset()
        moto_patches.set_iteration_start(moto_patches.IterationStart.FAILED_STATE)
        unregister_functions(self._functions)
        self._server.stop()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()
        self._started = False
        _ACTIVE.release()

    def deploy_worker(
        self, environment: Mapping[str, str | None] | None = None, image: str | None = None
    ) -> str:
        """Simulate a deploy of a changed worker, as a CloudFormation update does: register a new revision of
        the worker's task definition (its environment updated with ``environment``, where None removes a
        variable; its image replaced) and deregister the previous one (INACTIVE: it can no longer run new
        tasks). Returns the new revision's ARN.

        A "broken worker" is ``deploy_worker({"VIDPIPE_FAULT": "crash"})``, its fix
        ``deploy_worker({"VIDPIPE_FAULT": None})``.
        """
        if self.provisioned is None:
            raise LocalRuntimeError("the runtime is not started")
        ecs = self.client("ecs")
        arns = list(self.provisioned.task_definitions)
        if not arns:
            raise LocalRuntimeError("the stack has no task definition")
        family = ecs.describe_task_definition(taskDefinition=arns[0])["taskDefinition"]["family"]
        current = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]  # latest ACTIVE
        containers = []
        for container in current["containerDefinitions"]:
            container = dict(container)
            if container["name"] == WORKER_CONTAINER_NAME:
                variables = {e["name"]: e["value"] for e in container.get("environment", [])}
                variables.update(environment or {})
                container["environment"] = [
                    {"name": k, "value": v} for k, v in variables.items() if v is not None
                ]
                container["image"] = image or container["image"]
            containers.append(container)
        kwargs = {
            k: current[k]
            for k in ("family", "networkMode", "requiresCompatibilities", "cpu", "memory", "executionRoleArn",
                      "taskRoleArn")
            if k in current
        }  # fmt: skip
        new_arn = str(ecs.register_task_definition(containerDefinitions=containers, **kwargs)["taskDefinition"][
            "taskDefinitionArn"
        ])  # fmt: skip
        ecs.deregister_task_definition(taskDefinition=current["taskDefinitionArn"])
        self.provisioned.task_definitions[new_arn] = dict(self.provisioned.task_definitions[arns[-1]])
        log.info("deployed worker %s (deregistered %s)", new_arn, current["taskDefinitionArn"])
        return new_arn

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- internals -----------------------------------------------------------------------------------------
    def _check_fault_scope(self, fault: Fault) -> None:
        if self._injector is not None:  # before the start, the faults are checked once the outputs exist
            self._injector.check_scope(fault)

    def _start(self) -> None:
        moto_patches.apply()
        template = Template(
            self._template if self._template is not None else load_synthesized_template(self._context)
        )
        endpoint = self._server.start()
        self.started_at = datetime.now(UTC)
        env = client_environment(endpoint)
        # The in-process handlers (and any boto3 client made in this process) reach the runtime, never AWS.
        self._saved_env = {name: os.environ.get(name) for name in [*env, "AWS_PROFILE"]}
        os.environ.pop("AWS_PROFILE", None)
        os.environ.update(env)
        tags = {BOOT_ID_TAG: self.boot_id, STARTED_AT_TAG: self.started_at.isoformat(timespec="seconds")}
        self.provisioned = Provisioner(
            template, endpoint, self.stack_name, {MAX_CONCURRENT_TASKS: str(self.max_tasks)}, tags
        ).run()
        self._injector = FaultInjector(self.faults, self.provisioned.outputs)
        for fault in self.faults.active():
            self._injector.check_scope(fault)
        self._injector.install()
        moto_patches.lambda_async.reset()
        moto_patches.lambda_async.set_retry_delays(self._lambda_retry_delays)
        moto_patches.set_iteration_start(self._iteration_start)
        self._functions = register_functions(self.provisioned.functions, env)
        self.agent = FargateAgent(
            self._service_client("ecs"),
            env,
            TaskLogWriter(self._service_client("logs"), self._log_dir),
            self.max_tasks,
            self._worker_env,
            self._grace,
            faults=self.faults,
            spot_reclaim_seconds=self._spot_reclaim,
        )
        self.agent.start()
        self.watcher = StatusChangeWatcher(
            self._service_client("stepfunctions"),
            self._service_client("lambda"),
            self._service_client("sqs"),
            self.provisioned.state_machine_arns,
            [RuleSettings.from_properties(p) for p in self.provisioned.rules],
            REGION,
            ACCOUNT_ID,
            faults=self.faults,
        )
        self.watcher.start()
        for properties in self.provisioned.pipes:
            settings = PipeSettings.from_properties(properties, self._queue_url(str(properties["Source"])))
            pipe = Pipe(settings, self._service_client("sqs"), self._service_client("stepfunctions"), REGION)
            pipe.start()
            self.pipes.append(pipe)
        self._start_schedules()
        log.info("local runtime ready at %s", endpoint)

    def _start_schedules(self) -> None:
        assert self.provisioned is not None
        found = [
            s for p in self.provisioned.schedules if (s := ScheduleSettings.from_schedule(p)) is not None
        ]
        for properties in self.provisioned.scheduled_rules:
            found.extend(ScheduleSettings.from_rule(properties, REGION, ACCOUNT_ID))
        for settings in found:
            if not settings.enabled:
                continue
            invoker = ScheduledInvoker(
                settings, self._service_client("lambda"), settings.period(self._reconcile_seconds)
            )
            invoker.start()
            self.schedules.append(invoker)

    def _abort_running_executions(self) -> None:
        """Stop the executions still running, so their interpreter threads do not call a stopped server."""
        if self.provisioned is None:
            return
        sfn = self.client("stepfunctions")
        for arn in self.provisioned.state_machine_arns:
            try:
                pages = sfn.get_paginator("list_executions").paginate(
                    stateMachineArn=arn, statusFilter="RUNNING"
                )
                for page in pages:
                    for execution in page["executions"]:
                        sfn.stop_execution(
                            executionArn=execution["executionArn"], cause="local runtime stopped"
                        )
            except Exception as exc:  # shutdown continues whatever happens here
                log.debug("could not abort running executions: %s", exc)

    def _queue_url(self, queue_arn: str) -> str:
        assert self.provisioned is not None
        for physical in self.provisioned.resolver.physical.values():
            if physical.attributes.get("Arn") == queue_arn and "QueueUrl" in physical.attributes:
                return physical.attributes["QueueUrl"]
        raise TemplateError(f"the pipe's source {queue_arn} is not a queue of the stack")
