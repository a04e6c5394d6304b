"""Status change: the handler of the EventBridge rule on this state machine's ABORTED, TIMED_OUT and FAILED
executions.

Inside the execution every failure of a job is caught and recorded (``record_failure``). What no Catch sees is
handled here: an execution stopped by StopExecution (ABORTED) or by its own timeout (TIMED_OUT), and an
execution that FAILED outside a caught path (a failed Map stops the batch's other iterations). Every job the
execution still held in flight becomes FAILED with the execution's error and cause, and its slot (or its place
in the waiting list) is released. The event is best effort (EventBridge may not deliver it; a failed
asynchronous invocation goes to the function's on-failure queue), so the reconciler (``tasks.reconcile``)
repairs whatever this misses.

Writes are conditional on the execution owning the job (and on the claim belonging to the run that ended),
and the handler does nothing for an execution that is running again (redriven since), so it is idempotent
and never touches a job that a replay or a redrive has claimed since.
"""

from __future__ import annotations

import json
import os
from typing import Any

from tasks.batch import parse_batch
from tasks.clients import client
from tasks.job_table import JobTable
from tasks.log import logger as logger_for
from tasks.slots import SlotPool
from vidpipe.contract.names import TaskEnv
from vidpipe.contract.timestamps import utc_now

logger = logger_for("vidpipe-status-change")

MAX_CAUSE_CHARS = 8000
_DEFAULT_ERRORS = {
    "TIMED_OUT": "States.Timeout",
    "ABORTED": "States.Aborted",
    "FAILED": "States.Failed",
    "SUCCEEDED": "Reconciled",  # only the reconciler sees this: a job left in flight by a finished execution
}
ENDED = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


def failure_of(execution: dict[str, Any]) -> tuple[str, str]:
    """The (error, cause) of an ended execution, with defaults for timeouts and aborts that carry none."""
    status = str(execution.get("status", "FAILED"))
    error = execution.get("error") or _DEFAULT_ERRORS.get(status, f"States.{status}")
    cause = execution.get("cause") or f"The execution ended with status {status}."
    return str(error), str(cause)[:MAX_CAUSE_CHARS]


def clean_up(
    execution: dict[str, Any], table: JobTable, pool: SlotPool, cause_prefix: str = ""
) -> dict[str, Any]:
    """Fail the in-flight jobs of an ended execution and release their slots (shared with the reconciler).

    ``execution`` is its DescribeExecution answer; nothing is done unless it has ended.
    """
    execution_arn = str(execution["executionArn"])
    if execution.get("status") not in ENDED:
        return {"execution_arn": execution_arn, "skipped": f"execution is {execution.get('status')}"}
    error, cause = failure_of(execution)
    try:
        records = json.loads(execution.get("input") or "null")
    except json.JSONDecodeError:
        records = None
    claimed_in = int(execution.get("redriveCount") or 0)
    now = utc_now()
    failed, released = [], []
    # Only the job ids matter here; the results bucket is a valid placeholder.
    for job in parse_batch(records, results_bucket="unused-here").jobs:
        values = {"error": error, "cause": f"{cause_prefix}{cause}", "finished_at": now, "updated_at": now}
        # The slot first: whoever sees the job ended may start it again and must find its slot free.
        if pool.release(job["job_id"], execution_arn).value != "not_held":
            released.append(job["job_id"])
        if table.record_failure(job["job_id"], execution_arn, values, claimed_in=claimed_in):
            failed.append(job["job_id"])
    return {"execution_arn": execution_arn, "error": error, "failed_jobs": failed, "released_slots": released}


def on_status_change(event: dict[str, Any], sfn: Any, table: JobTable, pool: SlotPool) -> dict[str, Any]:
    """Mark the execution's in-flight jobs FAILED and release its slots; returns what it changed."""
    execution = sfn.describe_execution(executionArn=event["detail"]["executionArn"])
    outcome = clean_up(execution, table, pool)
    logger.info("execution ended", extra=outcome)
    return outcome


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point (EventBridge target, invoked asynchronously)."""
    dynamodb, sfn = client("dynamodb"), client("stepfunctions")
    return on_status_change(
        event,
        sfn=sfn,
        table=JobTable(dynamodb, os.environ[TaskEnv.TABLE]),
        pool=SlotPool(dynamodb, sfn, os.environ[TaskEnv.SLOT_TABLE]),
    )
