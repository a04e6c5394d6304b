"""Status change: the handler of the EventBridge rule on this state machine's FAILED, TIMED_OUT and ABORTED
executions.

A failed execution stops wherever it was, so the state machine itself cannot clean up on every path (and a
Catch that ends in a Fail state would make RedriveExecution re-run only the Fail state). This handler does it
from outside: every job the execution still held in flight becomes FAILED with the execution's error and
cause, and every analysis slot it held is released. Both writes are conditional on the execution owning the
job or the slot, so the handler is idempotent and never touches a job that a replay has claimed since.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger

from tasks.batch import parse_batch
from tasks.job_table import JobTable
from vidpipe.contract.names import TaskEnv
from vidpipe.contract.timestamps import utc_now

logger = Logger(service="vidpipe-status-change")

MAX_CAUSE_CHARS = 8000
_DEFAULT_ERRORS = {"TIMED_OUT": "States.Timeout", "ABORTED": "States.Aborted", "FAILED": "States.Failed"}


def failure_of(execution: dict[str, Any]) -> tuple[str, str]:
    """The (error, cause) of an ended execution, with defaults for timeouts and aborts that carry none."""
    status = str(execution.get("status", "FAILED"))
    error = execution.get("error") or _DEFAULT_ERRORS.get(status, f"States.{status}")
    cause = execution.get("cause") or f"The execution ended with status {status}."
    return str(error), str(cause)[:MAX_CAUSE_CHARS]


def on_status_change(event: dict[str, Any], sfn: Any, table: JobTable) -> dict[str, Any]:
    """Mark the execution's in-flight jobs FAILED and release its slots; returns what it changed."""
    execution_arn = event["detail"]["executionArn"]
    execution = sfn.describe_execution(executionArn=execution_arn)
    error, cause = failure_of(execution)
    try:
        records = json.loads(execution.get("input") or "null")
    except json.JSONDecodeError:
        records = None
    now = utc_now()
    failed, released = [], []
    # Only the job ids and slot holders matter here; the results bucket is a valid placeholder.
    for job in parse_batch(records, results_bucket="unused-here").jobs:
        values = {"error": error, "cause": cause, "finished_at": now, "updated_at": now}
        if table.record_failure(job["job_id"], execution_arn, values):
            failed.append(job["job_id"])
        if table.release_slot(job["slot_holder"], execution_arn):
            released.append(job["job_id"])
    outcome = {
        "execution_arn": execution_arn,
        "error": error,
        "failed_jobs": failed,
        "released_slots": released,
    }
    logger.info("execution ended", extra=outcome)
    return outcome


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point (EventBridge target)."""
    return on_status_change(
        event,
        sfn=boto3.client("stepfunctions"),
        table=JobTable(boto3.client("dynamodb"), os.environ[TaskEnv.TABLE]),
    )
