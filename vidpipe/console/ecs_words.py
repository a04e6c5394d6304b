"""An ECS task failure told in words: the stop code and each container's exit code.

``ecs:runTask.sync`` fails with ``States.TaskFailed`` and the stopped task as the cause (JSON, PascalCase;
see docs/architecture.md). Stop codes are the ECS API's ``Task.stopCode`` values; exit codes follow the
worker's contract (:class:`vidpipe.contract.names.ExitCode`) and the shell's 128 + signal convention.
"""

from __future__ import annotations

import json
import signal
from dataclasses import dataclass
from typing import Any

from vidpipe.contract.names import ExitCode

STOP_CODES = {
    "TaskFailedToStart": "the task failed to start (image, network or capacity problem)",
    "EssentialContainerExited": "the worker container exited",
    "UserInitiated": "stopped on request (StopTask: the execution was stopped or timed out)",
    "ServiceSchedulerInitiated": "stopped by the ECS service scheduler",
    "SpotInterruption": "Fargate Spot took the capacity back (two-minute warning)",
    "TerminationNotice": "stopped by Fargate for maintenance (termination notice)",
}

EXIT_CODES = {
    ExitCode.VERDICT_WRITTEN: "finished: a verdict was written",
    ExitCode.CRASHED: "crashed: an unhandled error in the worker (worth a retry; see its log)",
    ExitCode.TERMINATED: "stopped by SIGTERM (Spot interruption or StopTask), wrote nothing",
    137: "killed by SIGKILL: out of memory, or it did not stop within the grace period",
}


@dataclass(frozen=True)
class TaskFailure:
    stop_code: str | None
    stop_words: str | None
    stopped_reason: str | None
    containers: list[tuple[str, int | None, str]]  # name, exit code, words
    task_arn: str | None


def exit_words(code: int | None) -> str:
    if code is None:
        return "no exit code (the container never ran, or is still running)"
    if code in EXIT_CODES:
        return EXIT_CODES[code]
    if code > 128:
        try:
            name = signal.Signals(code - 128).name
        except ValueError:
            name = f"signal {code - 128}"
        return f"killed by {name}"
    return f"exited with error code {code}"


def task_failure(cause: str | None) -> TaskFailure | None:
    """The failure of an ECS task from a Task state's cause, or None when the cause is not a stopped task."""
    try:
        document: Any = json.loads(cause or "")
    except ValueError:
        return None
    if not isinstance(document, dict) or not ({"StopCode", "Containers", "StoppedReason"} & set(document)):
        return None
    stop_code = document.get("StopCode")
    containers = []
    for container in document.get("Containers") or []:
        if isinstance(container, dict):
            code = container.get("ExitCode")
            code = code if isinstance(code, int) else None
            containers.append((str(container.get("Name", "container")), code, exit_words(code)))
    arn = document.get("TaskArn")
    return TaskFailure(
        stop_code=str(stop_code) if stop_code else None,
        stop_words=STOP_CODES.get(str(stop_code)) if stop_code else None,
        stopped_reason=document.get("StoppedReason"),
        containers=containers,
        task_arn=arn if isinstance(arn, str) else None,
    )
