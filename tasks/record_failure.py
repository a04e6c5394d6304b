"""RecordFailure: where an iteration goes when anything after the claim failed (every Catch leads here).

It marks the job FAILED with the error and cause and releases the job's slot (or its place in the waiting
list), inside the execution, so neither depends on the best-effort status-change event. It does not fail
the iteration: it returns the job's outcome (FAILED, with the execution's RedriveCount) and the iteration
ends, so the other jobs of the batch finish undisturbed; ``Conclude`` then fails the execution, and a
redrive re-runs only the failed jobs.
"""

from __future__ import annotations

import json
import os
from typing import Any

from tasks.clients import client
from tasks.errors import transient_as_retryable
from tasks.job_table import JobTable
from tasks.log import logger as logger_for
from tasks.slots import SlotPool
from vidpipe.contract.names import JobStatus, TaskEnv
from vidpipe.contract.timestamps import utc_now

logger = logger_for("vidpipe-record-failure")

MAX_CAUSE_CHARS = 8000


def failure_of(caught: dict[str, Any] | None) -> tuple[str, str]:
    """The (error, cause) of a Catch's error output (``{"Error", "Cause"}``)."""
    caught = caught or {}
    error = str(caught.get("Error") or "States.Failed")
    cause = caught.get("Cause")
    text = cause if isinstance(cause, str) or cause is None else json.dumps(cause)
    return error, (text or "no cause given")[:MAX_CAUSE_CHARS]


def record_failure(event: dict[str, Any], table: JobTable, pool: SlotPool) -> dict[str, Any]:
    """Mark the job FAILED, free its slot; returns the iteration's outcome."""
    job, execution_arn = event["job"], event["execution_arn"]
    error, cause = failure_of(event.get("failure"))
    now = utc_now()
    values = {"error": error, "cause": cause, "finished_at": now, "updated_at": now}
    slot = pool.release(job["job_id"], execution_arn)  # first: a job that reads as ended has no slot
    recorded = table.record_failure(job["job_id"], execution_arn, values)
    logger.info(
        "job failed",
        extra={"job_id": job["job_id"], "error": error, "recorded": recorded, "slot": slot.value},
    )
    return {
        "job_id": job["job_id"],
        "outcome": JobStatus.FAILED.value,
        "error": error,
        "redrive_count": int(event.get("redrive_count") or 0),
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    dynamodb = client("dynamodb")
    with transient_as_retryable():
        return record_failure(
            event,
            table=JobTable(dynamodb, os.environ[TaskEnv.TABLE]),
            pool=SlotPool(dynamodb, client("stepfunctions"), os.environ[TaskEnv.SLOT_TABLE]),
        )
