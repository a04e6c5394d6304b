"""LocalRuntime: the whole pipeline on one machine, in one process (plus one subprocess per worker task).

Start order matters: moto patches, then the server (MOTO_PORT), then the resources from the synthesized
template, then the in-process Lambda handlers, the Fargate agent, the pipe and the status-change watcher;
stop runs in reverse so that no worker process outlives the runtime and no thread talks to a dead server.

Only one runtime can run per process: moto's backends and its patches' hooks are process-wide.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from vidpipe.contract.names import DEFAULT_STACK_NAME
from vidpipe.local import moto_patches
from vidpipe.local.aws import ACCOUNT_ID, REGION, client, client_environment
from vidpipe.local.defaults import DEFAULT_LOG_DIR, DEFAULT_MAX_TASKS
from vidpipe.local.fargate import FargateAgent
from vidpipe.local.lambdas import register_functions, resident_environment, unregister_functions
from vidpipe.local.logs import TaskLogWriter
from vidpipe.local.pipe import Pipe, PipeSettings
from vidpipe.local.provision import Provisioned, Provisioner
from vidpipe.local.rules import RuleSettings, StatusChangeWatcher
from vidpipe.local.server import MotoServer
from vidpipe.local.sync_tasks import stop_tasks_of
from vidpipe.local.template import Template, TemplateError, load_synthesized_template

log = logging.getLogger(__name__)

MAX_CONCURRENT_TASKS = "MaxConcurrentTasks"  # the ASL placeholder bound to --max-tasks

_ACTIVE = threading.Lock()  # held while a runtime runs in this process


class LocalRuntimeError(RuntimeError):
    """The runtime could not start (port taken, template unusable, another runtime running here)."""


class LocalRuntime:
    """The local pipeline; a context manager (``with LocalRuntime(port=0) as rt: rt.endpoint_url``).

    Args:
        port: TCP port on 127.0.0.1 (0: a free one).
        max_tasks: worker processes at once; also the state machine's MaxConcurrentTasks.
        stack_name: the name the CLI looks the stack up by.
        worker_env: variables added to every worker's environment (e.g. ``VIDPIPE_OPTIONS``).
        log_dir: where task logs are copied as files (None: CloudWatch Logs only).
        template: a synthesized template (default: synthesize the CDK app).
        context: ``vidpipe:`` CDK context values for that synthesis (merged over cdk.json's).
        stop_grace_seconds: SIGTERM -> SIGKILL delay for worker processes.
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
    ) -> None:
        if max_tasks < 1:
            raise ValueError("max_tasks must be at least 1")
        self.max_tasks = max_tasks
        self.stack_name = stack_name
        self._worker_env = dict(worker_env or {})
        self._log_dir = log_dir
        self._template = template
        self._context = dict(context or {})
        self._grace = stop_grace_seconds
        self._server = MotoServer(port)
        self._saved_env: dict[str, str | None] = {}
        self._functions: list[str] = []
        self.provisioned: Provisioned | None = None
        self.agent: FargateAgent | None = None
        self.pipes: list[Pipe] = []
        self.watcher: StatusChangeWatcher | None = None
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
        """A boto3 client of this runtime."""
        return client(service, self.endpoint_url)

    def start(self) -> LocalRuntime:
        """Start everything; on any failure, stop what started and raise.

        Raises:
            LocalRuntimeError: another runtime runs in this process, or the template cannot be used.
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
        for pipe in self.pipes:
            pipe.stop()
        if self.watcher is not None:
            self.watcher.stop()
        self._abort_running_executions()
        if self.agent is not None:
            self.agent.stop()
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

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- internals -----------------------------------------------------------------------------------------
    def _start(self) -> None:
        moto_patches.apply()
        template = Template(
            self._template if self._template is not None else load_synthesized_template(self._context)
        )
        endpoint = self._server.start()
        env = client_environment(endpoint)
        # The in-process handlers (and any boto3 client made in this process) reach the runtime, never AWS.
        self._saved_env = {name: os.environ.get(name) for name in [*env, "AWS_PROFILE"]}
        os.environ.pop("AWS_PROFILE", None)
        os.environ.update(env)
        self.provisioned = Provisioner(
            template, endpoint, self.stack_name, {MAX_CONCURRENT_TASKS: str(self.max_tasks)}
        ).run()
        resident = resident_environment(self.provisioned.functions)
        self._saved_env.update(
            {name: os.environ.get(name) for name in resident if name not in self._saved_env}
        )
        os.environ.update(resident)
        self._functions = register_functions(self.provisioned.functions, env)
        self.agent = FargateAgent(
            self.client("ecs"),
            env,
            TaskLogWriter(self.client("logs"), self._log_dir),
            self.max_tasks,
            self._worker_env,
            self._grace,
            exclude_env=frozenset(resident),
        )
        self.agent.start()
        self.watcher = StatusChangeWatcher(
            self.client("stepfunctions"),
            self.client("lambda"),
            self.provisioned.state_machine_arns,
            [RuleSettings.from_properties(p) for p in self.provisioned.rules],
            REGION,
            ACCOUNT_ID,
            on_end=self._stop_orphaned_tasks,
        )
        self.watcher.start()
        for properties in self.provisioned.pipes:
            settings = PipeSettings.from_properties(properties, self._queue_url(str(properties["Source"])))
            pipe = Pipe(settings, self.client("sqs"), self.client("stepfunctions"), REGION)
            pipe.start()
            self.pipes.append(pipe)
        log.info("local runtime ready at %s", endpoint)

    def _stop_orphaned_tasks(self, execution: dict[str, Any]) -> None:
        stop_tasks_of(self.client("stepfunctions"), self.client("ecs"), execution)

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
