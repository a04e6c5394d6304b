"""The local Fargate: one worker subprocess per ECS task that moto's RunTask creates.

moto keeps each task RUNNING (the moto patch's task hold) until this agent reports how its container ended:
exit code and stop code go to the task, where the state machine's ``ecs:runTask.sync`` poll reads them
(non-zero exit code -> ``States.TaskFailed``, as on AWS).

At most ``max_tasks`` processes run at once. Further tasks wait in FIFO order, RUNNING in moto, like tasks
an account's Fargate quota holds back (on AWS a task over the quota fails to start instead; the state
machine's own semaphore keeps the pipeline under the cap, so the queue is only a safety net).

StopTask (an aborted execution, ``aws ecs stop-task``) is noticed by the task's supervisor, which sends
SIGTERM to the worker's process group and SIGKILL after a grace period, like ECS's stopTimeout.

Each worker runs under :mod:`.task_launcher`, which watches a pipe held by this process: a runtime that dies
(even by SIGKILL) takes its workers with it. Injected faults (:mod:`.faults`) decide at launch whether the
worker crashes, hangs or is reclaimed as a Spot task.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vidpipe.contract.names import WORKER_CONTAINER_NAME, WorkerEnv
from vidpipe.local import moto_patches
from vidpipe.local.faults import FaultName, FaultSet
from vidpipe.local.invocation_env import process_environ
from vidpipe.local.logs import LogDestination, TaskLogWriter
from vidpipe.local.task_spec import capacity_provider_of, command_of, override_env

log = logging.getLogger(__name__)

FAULT_ENV = "VIDPIPE_FAULT"
STOP_POLL_SECONDS = 0.5  # how often a supervisor checks for StopTask while its process runs
DEFAULT_STOP_GRACE_SECONDS = 10.0
DEFAULT_SPOT_RECLAIM_SECONDS = 1.0  # a reclaimed Spot task gets SIGTERM this long after it started
SPOT_STOPPED_REASON = "Your Spot Task was interrupted."
WORKER_FAULTS = {FaultName.WORKER_CRASH: "crash", FaultName.WORKER_HANG: "hang"}  # VIDPIPE_FAULT values


@dataclass
class TaskRun:
    """One task's life in the agent (also what tests and the benchmark inspect)."""

    task_arn: str
    job_id: str
    queued_at: float
    started_at: float | None = None
    ended_at: float | None = None  # the worker process ended
    # Set once the task is reported STOPPED to ECS, which is after its logs are shipped (so after ended_at):
    exit_code: int | None = None
    stop_code: str | None = None
    faults: tuple[str, ...] = ()  # the faults injected into this task (FaultName values)
    capacity_provider: str = "FARGATE"
    task_definition_arn: str = ""

    @property
    def task_id(self) -> str:
        return self.task_arn.rsplit("/", 1)[-1]


@dataclass
class _Stats:
    running: int = 0  # worker processes alive
    peak: int = 0
    active: int = 0  # tasks RUNNING in moto (launched, not yet stopped): what the state machine's cap bounds
    peak_active: int = 0
    runs: dict[str, TaskRun] = field(default_factory=dict)


def exit_code_of(returncode: int) -> int:
    """A container's exit code from Popen's returncode (killed by signal N -> 128 + N, as Docker reports;
    SIGTERM gives 143, the worker contract's ExitCode.TERMINATED)."""
    return 128 - returncode if returncode < 0 else returncode


class FargateAgent:
    """Runs the worker for every RunTask, at most ``max_tasks`` at once.

    Args:
        ecs: boto3 ECS client of the local endpoint (task definitions, StopTask detection).
        client_env: environment that points the worker's AWS SDK at the local endpoint.
        log_writer: where each task's output goes.
        max_tasks: concurrent processes (like the account's Fargate task quota).
        extra_env: added to every task after the task definition's environment and before the state
            machine's container overrides (e.g. ``VIDPIPE_OPTIONS`` for the benchmark's no-op worker).
        stop_grace_seconds: SIGTERM -> SIGKILL delay on StopTask, Spot reclaim and shutdown.
        faults: the runtime's injected faults (worker-crash, worker-hang, spot-interruption apply here).
        spot_reclaim_seconds: how long after its start a reclaimed Spot task gets SIGTERM.
    """

    def __init__(
        self,
        ecs: Any,
        client_env: Mapping[str, str],
        log_writer: TaskLogWriter,
        max_tasks: int,
        extra_env: Mapping[str, str] | None = None,
        stop_grace_seconds: float = DEFAULT_STOP_GRACE_SECONDS,
        cwd: Path | None = None,
        faults: FaultSet | None = None,
        spot_reclaim_seconds: float = DEFAULT_SPOT_RECLAIM_SECONDS,
    ) -> None:
        if max_tasks < 1:
            raise ValueError("max_tasks must be at least 1")
        self._ecs = ecs
        self._client_env = dict(client_env)
        self._logs = log_writer
        self.max_tasks = max_tasks
        self.extra_env = dict(extra_env or {})
        self._grace = stop_grace_seconds
        self._cwd = cwd
        self._queue: queue.Queue[moto_patches.EcsTaskLaunch | None] = queue.Queue()
        self._lock = threading.Condition()
        self._stats = _Stats()
        self.faults = faults or FaultSet()
        self._spot_reclaim = spot_reclaim_seconds
        self._watch_read, self._watch_write = -1, -1
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._definitions: dict[str, dict[str, Any]] = {}
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # -- lifecycle -----------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start ``max_tasks`` supervisor threads and listen to RunTask."""
        self._watch_read, self._watch_write = os.pipe()  # not inheritable: only launchers get the read end
        for index in range(self.max_tasks):
            thread = threading.Thread(target=self._serve, name=f"fargate-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        moto_patches.set_ecs_task_listener(self._on_launch, hold_tasks=True)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop listening, terminate running workers (SIGTERM, then SIGKILL) and join the supervisors."""
        moto_patches.set_ecs_task_listener(None)
        self._stopping.set()
        with self._lock:
            processes = list(self._processes.values())
        for process in processes:
            _terminate(process, self._grace)
        for _ in self._threads:
            self._queue.put(None)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()
        for fd in (self._watch_read, self._watch_write):
            if fd >= 0:
                os.close(fd)
        self._watch_read, self._watch_write = -1, -1

    def _take_faults(self, capacity_provider: str) -> tuple[FaultName | None, bool]:
        """The worker fault (crash or hang) this task gets, and whether it is reclaimed as a Spot task."""
        in_scope = lambda scope: scope == capacity_provider  # noqa: E731
        worker_fault = next((n for n in WORKER_FAULTS if self.faults.take(n, in_scope)), None)
        return worker_fault, self.faults.take(FaultName.SPOT_INTERRUPTION, in_scope) is not None

    # -- observation ---------------------------------------------------------------------------------------
    @property
    def peak_concurrency(self) -> int:
        with self._lock:
            return self._stats.peak

    @property
    def peak_active_tasks(self) -> int:
        """Most tasks RUNNING in moto at once (the state machine's semaphore bounds this one)."""
        with self._lock:
            return self._stats.peak_active

    @property
    def running(self) -> int:
        with self._lock:
            return self._stats.running

    def runs(self) -> list[TaskRun]:
        """Every task seen so far, in launch order (copies)."""
        with self._lock:
            return [TaskRun(**vars(run)) for run in self._stats.runs.values()]

    def reset_stats(self) -> None:
        """Forget past runs and the peak (a test measuring its own concurrency)."""
        with self._lock:
            old = self._stats
            self._stats = _Stats(old.running, old.running, old.active, old.active)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no task runs or waits; False at the deadline."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._stats.running or not self._queue.empty():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(min(remaining, 0.5))
        return True

    # -- internals -----------------------------------------------------------------------------------------
    def _on_launch(self, launch: moto_patches.EcsTaskLaunch) -> None:
        """RunTask listener: called in moto's request thread, so it only enqueues."""
        job_id = override_env(launch.overrides).get(WorkerEnv.JOB_ID, "")
        with self._lock:
            run = TaskRun(
                launch.task_arn,
                job_id,
                time.time(),
                capacity_provider=capacity_provider_of(launch),
                task_definition_arn=launch.task_definition_arn,
            )
            self._stats.runs[launch.task_arn] = run
            self._stats.active += 1
            self._stats.peak_active = max(self._stats.peak_active, self._stats.active)
        self._queue.put(launch)

    def _serve(self) -> None:
        while True:
            launch = self._queue.get()
            if launch is None or self._stopping.is_set():
                if launch is not None:
                    self._report(launch.task_arn, None, "TaskFailedToStart", "the local runtime is stopping")
                return
            try:
                self._run(launch)
            except Exception as exc:  # a task that cannot start must still stop, as TaskFailedToStart
                log.exception("task %s failed to start", launch.task_arn)
                self._report(launch.task_arn, None, "TaskFailedToStart", f"local agent: {exc}")

    def _definition(self, arn: str) -> dict[str, Any]:
        if arn not in self._definitions:
            self._definitions[arn] = self._ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        return self._definitions[arn]

    def _run(self, launch: moto_patches.EcsTaskLaunch) -> None:
        definition = self._definition(launch.task_definition_arn)
        container = next(
            (c for c in definition["containerDefinitions"] if c["name"] == WORKER_CONTAINER_NAME),
            definition["containerDefinitions"][0],
        )
        with self._lock:
            capacity_provider = self._stats.runs[launch.task_arn].capacity_provider
        fault, reclaimed = self._take_faults(capacity_provider)
        env = self._environment(container, launch.overrides, WORKER_FAULTS[fault] if fault else None)
        command = self._launcher(command_of(container, launch.overrides))
        destination = LogDestination.from_container(container)
        run_key = launch.task_arn
        task_id = run_key.rsplit("/", 1)[-1]
        log_file = self._logs.file_for(task_id)
        with self._lock:
            self._stats.running += 1
            self._stats.peak = max(self._stats.peak, self._stats.running)
            run = self._stats.runs[run_key]
            injected = [f.value for f in (fault, FaultName.SPOT_INTERRUPTION if reclaimed else None) if f]
            run.started_at, run.faults = time.time(), tuple(injected)
        lines: list[str] = []
        try:
            process = subprocess.Popen(
                command,
                env=env,
                cwd=self._cwd,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: StopTask and shutdown kill the whole tree
                pass_fds=(self._watch_read,),
            )
            with self._lock:
                self._processes[run_key] = process
            moto_patches.mark_ecs_task_running(launch.task_arn)
            reader = threading.Thread(target=_collect, args=(process, lines, log_file), daemon=True)
            reader.start()
            reclaim_at = time.monotonic() + self._spot_reclaim if reclaimed else None
            stop_code, stop_reason = self._supervise(launch, process, reclaim_at)
            reader.join(timeout=5)
            exit_code = exit_code_of(process.returncode)
        finally:
            with self._lock:
                self._processes.pop(run_key, None)
                self._stats.running -= 1
                run.ended_at = time.time()
                self._lock.notify_all()
        destination_stream = destination.stream(container["name"], task_id) if destination else ""
        self._logs.ship(destination, destination_stream, lines)
        self._report(launch.task_arn, exit_code, stop_code, stop_reason)

    def _launcher(self, command: list[str]) -> list[str]:
        """``command`` run by :mod:`.task_launcher`, which stops it if this process dies."""
        launcher = [sys.executable, "-m", "vidpipe.local.task_launcher", "--watch-fd", str(self._watch_read)]
        return [*launcher, "--grace", str(self._grace), "--", *command]

    def _supervise(
        self, launch: moto_patches.EcsTaskLaunch, process: subprocess.Popen[bytes], reclaim_at: float | None
    ) -> tuple[str, str]:
        """Wait for the process; terminate it on StopTask, shutdown or a Spot reclaim (at ``reclaim_at``).
        Returns the task's stop code and stopped reason.

        The wait ends when the process exits: the worker bounds its own run time (VIDPIPE_MAX_DURATION_SECONDS),
        StopTask, a reclaim and the agent's shutdown terminate it.
        """
        while True:
            timeout = STOP_POLL_SECONDS
            if reclaim_at is not None:
                timeout = max(0.0, min(timeout, reclaim_at - time.monotonic()))
            try:
                process.wait(timeout=timeout)
                return "EssentialContainerExited", "Essential container in task exited"
            except subprocess.TimeoutExpired:
                pass
            if self._stopping.is_set():
                _terminate(process, self._grace)
                return "UserInitiated", "the local runtime stopped"
            if reclaim_at is not None and time.monotonic() >= reclaim_at:
                _terminate(process, self._grace)  # AWS: SIGTERM with a two-minute warning, then SIGKILL
                return "SpotInterruption", SPOT_STOPPED_REASON
            reason = self._stop_requested(launch)
            if reason is not None:
                _terminate(process, self._grace)
                return "UserInitiated", reason

    def _stop_requested(self, launch: moto_patches.EcsTaskLaunch) -> str | None:
        try:
            tasks = self._ecs.describe_tasks(cluster=launch.cluster_arn, tasks=[launch.task_arn])["tasks"]
        except Exception:  # transient: ask again at the next poll
            return None
        if tasks and tasks[0].get("desiredStatus") == "STOPPED":
            return str(tasks[0].get("stoppedReason") or "Task stopped by user")
        return None

    def _environment(
        self, container: Mapping[str, Any], overrides: Mapping[str, Any], fault: str | None
    ) -> dict[str, str]:
        env = {k: v for k, v in process_environ().items() if not k.startswith("AWS_") and k != FAULT_ENV}
        env.update({e["name"]: e["value"] for e in container.get("environment", [])})
        env.update(self.extra_env)
        env.update(override_env(overrides, container["name"]))
        env.update(self._client_env)
        if fault:
            env[FAULT_ENV] = fault
        return env

    def _report(self, task_arn: str, exit_code: int | None, stop_code: str, reason: str) -> None:
        with self._lock:
            run = self._stats.runs.get(task_arn)
            if run is not None:
                run.exit_code, run.stop_code = exit_code, stop_code
                self._stats.active -= 1
        try:
            moto_patches.stop_ecs_task(
                task_arn, exit_code=exit_code, stop_code=stop_code, stopped_reason=reason
            )
        except KeyError:
            log.warning("task %s vanished from moto before it could be stopped", task_arn)


def _collect(process: subprocess.Popen[bytes], lines: list[str], log_file: Path | None) -> None:
    """Read the worker's merged stdout/stderr until EOF, into ``lines`` and the log file."""
    assert process.stdout is not None
    handle = log_file.open("w", encoding="utf-8") if log_file else None
    try:
        for raw in process.stdout:
            line = raw.decode("utf-8", errors="replace")
            lines.append(line)
            if handle:
                handle.write(line)
                handle.flush()
    finally:
        if handle:
            handle.close()


def _terminate(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the process group, SIGKILL it after ``grace`` seconds (ECS's stopTimeout)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass
