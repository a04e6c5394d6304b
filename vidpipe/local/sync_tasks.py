"""Stop the ECS tasks of an execution that was aborted or timed out, as Step Functions does for ``.sync``.

On AWS, stopping an execution (or a state timing out) while an ``ecs:runTask.sync`` state waits makes Step
Functions call StopTask for that task. moto's interpreter does not, so a local worker would run on for an
execution that no longer exists. The watcher of execution ends (:mod:`.rules`) calls :func:`stop_tasks_of`
for ABORTED and TIMED_OUT executions; StopTask then reaches the worker through the Fargate agent (SIGTERM,
then SIGKILL).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)

STOPPING_STATUSES = frozenset({"ABORTED", "TIMED_OUT"})


def submitted_task_arns(sfn: Any, execution_arn: str) -> list[str]:
    """The ECS task ARNs the execution's ``runTask.sync`` states submitted (from its history)."""
    arns: list[str] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        for event in page["events"]:
            details = event.get("taskSubmittedEventDetails") or {}
            if details.get("resourceType") != "ecs":
                continue
            try:
                output = json.loads(details.get("output") or "{}")
            except ValueError:
                continue
            arns.extend(str(t["TaskArn"]) for t in output.get("Tasks", []) if "TaskArn" in t)
    return arns


def stop_tasks_of(sfn: Any, ecs: Any, execution: Mapping[str, Any]) -> list[str]:
    """StopTask every still-running task of an ABORTED or TIMED_OUT execution; returns the stopped ARNs."""
    if execution.get("status") not in STOPPING_STATUSES:
        return []
    stopped: list[str] = []
    reason = f"Step Functions execution {execution['status'].lower().replace('_', ' ')}"
    for task_arn in submitted_task_arns(sfn, str(execution["executionArn"])):
        cluster = task_arn.split(":task/", 1)[1].rsplit("/", 1)[0]
        tasks = ecs.describe_tasks(cluster=cluster, tasks=[task_arn]).get("tasks", [])
        if tasks and tasks[0].get("lastStatus") != "STOPPED":
            ecs.stop_task(cluster=cluster, task=task_arn, reason=reason)
            stopped.append(task_arn)
    if stopped:
        log.info("stopped %d task(s) of %s", len(stopped), execution["executionArn"])
    return stopped
