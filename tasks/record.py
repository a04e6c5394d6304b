"""Record: the last state of a job. Reads the worker's results document and writes the verdict.

The worker exits 0 both when it analysed the video and when it rejected it (corrupt, no video stream...):
the document's ``verdict`` tells which, and the job becomes SUCCEEDED or REJECTED. The analysis slot is
released first, as soon as Record runs: handed to the oldest waiting execution, or given back (every failure
path releases it too, in ``record_failure``, the status-change handler or the reconciler).
"""

from __future__ import annotations

import json
import os
from typing import Any

from botocore.exceptions import ClientError

from tasks.clients import client
from tasks.errors import (
    InvalidResults,
    ResultsMissing,
    TransientError,
    error_code,
    is_transient,
    transient_as_retryable,
)
from tasks.job_table import JobTable
from tasks.log import logger as logger_for
from tasks.slots import SlotPool
from vidpipe.contract.names import JobStatus, TaskEnv, Verdict
from vidpipe.contract.timestamps import utc_now
from vidpipe.contract.validation import ContractError, validate

logger = logger_for("vidpipe-record")


def read_results(s3: Any, bucket: str, key: str) -> dict[str, Any]:
    """The validated results document.

    Raises:
        ResultsMissing: no document at the results location.
        InvalidResults: the document is not JSON or does not satisfy the results schema.
        TransientError: S3 was throttled or unavailable.
    """
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error_code(error) in {"NoSuchKey", "404"}:
            raise ResultsMissing(f"no results document at s3://{bucket}/{key}") from error
        if is_transient(error):
            raise TransientError(f"S3 GET s3://{bucket}/{key}: {error_code(error)}") from error
        raise
    try:
        document = json.loads(body)
        validate(document, "results")
    except (json.JSONDecodeError, ContractError) as error:
        raise InvalidResults(f"s3://{bucket}/{key}: {error}") from error
    return document


def record(event: dict[str, Any], s3: Any, table: JobTable, pool: SlotPool) -> dict[str, Any]:
    """Write the job's verdict and free its slot; returns ``{"job_id", "status"}``."""
    job, execution_arn = event["job"], event["execution_arn"]
    # First: the analysis is over, so the next waiter need not wait for this job's reads and writes (and a
    # job that reads as ended has no slot). Every later failure goes to RecordFailure, whose release finds
    # nothing to do.
    slot = pool.release(job["job_id"], execution_arn)
    document = read_results(s3, job["results_bucket"], job["results_key"])
    analysed = document["verdict"] == Verdict.ANALYSED
    status = JobStatus.SUCCEEDED if analysed else JobStatus.REJECTED
    values: dict[str, Any] = {
        "status": status.value,
        "summary": document["summary"],
        "results_uri": f"s3://{job['results_bucket']}/{job['results_key']}",
        "finished_at": str(event.get("finished_at") or utc_now()),
        "updated_at": utc_now(),
    }
    task_arn = (event.get("task") or {}).get("task_arn")
    if task_arn:
        values["task_arn"] = task_arn
    if not analysed:
        values["reason"] = document["rejection"]["reason"]
    owned = table.record_verdict(job["job_id"], execution_arn, values)
    logger.info(
        "recorded",
        extra={"job_id": job["job_id"], "status": status.value, "owned": owned, "slot": slot.value},
    )
    return {"job_id": job["job_id"], "status": status.value if owned else "SUPERSEDED"}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    dynamodb = client("dynamodb")
    with transient_as_retryable():
        return record(
            event,
            s3=client("s3"),
            table=JobTable(dynamodb, os.environ[TaskEnv.TABLE]),
            pool=SlotPool(dynamodb, client("stepfunctions"), os.environ[TaskEnv.SLOT_TABLE]),
        )
