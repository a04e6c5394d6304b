"""Prepare: the first state. Turns the pipe's batch into claimed jobs and records what will not be analysed.

Permanent problems (malformed event, not a video, missing object, too large) are recorded as REJECTED jobs
here, with a reason, and never retried; ``s3:TestEvent`` is ignored. Every other job is *claimed* for this
execution (a conditional write keyed on the object version): a duplicate delivery, or a job another
execution owns or has finished, is skipped as ``duplicate`` and never analysed twice. Claiming here rather
than in a state of its own keeps a successful video at seven state transitions, and lets the claim tell a
retried write that DynamoDB had applied from a real duplicate (see ``JobTable.claim``).

Prepare reads the batch from ``$$.Execution.Input``, so the state machine can enter it again after a
redrive (``Conclude`` -> ``Prepare``): the FAILED jobs of the batch are claimed again and re-analysed, the
finished ones are skipped. Throttling of S3 or DynamoDB raises :class:`~tasks.errors.TransientError`, which
the state's Retry handles.
"""

from __future__ import annotations

import os
from typing import Any

from botocore.exceptions import ClientError

from tasks.batch import Batch, Skipped, malformed_job_id, parse_batch
from tasks.clients import client
from tasks.errors import TransientError, error_code, is_transient, transient_as_retryable
from tasks.job_table import Claim, JobTable
from tasks.log import logger as logger_for
from vidpipe.contract.names import JobStatus, TaskEnv
from vidpipe.contract.timestamps import utc_now

logger = logger_for("vidpipe-prepare")

_MISSING_CODES = {"404", "NoSuchKey", "NoSuchVersion", "NotFound"}


def check_object(s3: Any, job: dict[str, Any], max_bytes: int) -> str | None:
    """Check that the object version exists and is small enough; returns a rejection reason or None.

    The object's real size (HEAD) replaces the event's.

    Raises:
        TransientError: S3 was throttled or unavailable.
    """
    params = {"Bucket": job["bucket"], "Key": job["key"]}
    if job["version"]:
        params["VersionId"] = job["version"]
    try:
        head = s3.head_object(**params)
    except ClientError as error:
        if error_code(error) in _MISSING_CODES:
            return f"object missing: {job['object_uri']} (version {job['version'] or '-'}) no longer exists"
        if is_transient(error):
            raise TransientError(f"S3 HEAD {job['object_uri']}: {error_code(error)}") from error
        raise
    job["size"] = int(head["ContentLength"])
    if job["size"] > max_bytes:
        return f"too large: {job['size']} bytes, the limit is {max_bytes} bytes"
    if job["size"] == 0:
        return "empty object: 0 bytes"
    return None


def rejection_record(skipped: Skipped, execution_arn: str, now: str) -> dict[str, Any]:
    """The REJECTED job record of a skipped record (a synthetic identity when the message named no object)."""
    job = skipped.job or {
        "job_id": malformed_job_id(skipped.message_id, skipped.reason),
        "bucket": "unknown",
        "key": f"sqs-message/{skipped.message_id}",
        "object_uri": f"s3://unknown/sqs-message/{skipped.message_id}",
    }
    fields = ("job_id", "bucket", "key", "object_uri", "version", "etag", "size")
    record: dict[str, Any] = {k: job[k] for k in fields if k in job}
    if record.get("size", 0) < 0:
        del record["size"]
    return {
        **record,
        "status": JobStatus.REJECTED.value,
        "reason": skipped.reason,
        "execution_arn": execution_arn,
        "execution_arns": [execution_arn],
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
        "finished_at": now,
    }


def prepare(
    event: dict[str, Any], s3: Any, table: JobTable, results_bucket: str, max_bytes: int
) -> dict[str, Any]:
    """Parse the batch, check each object, record rejections, claim the rest.

    Returns ``{"jobs": [...], "skipped": [...]}``: the jobs this execution owns now, and every other record
    with its outcome (ignored, rejected, duplicate) and reason.
    """
    execution_arn = str(event.get("execution_arn", ""))
    redrive_count = int(event.get("redrive_count") or 0)
    parsed = parse_batch(event.get("records"), results_bucket)
    checked = Batch(skipped=list(parsed.skipped))
    now = utc_now()
    for job in parsed.jobs:
        reason = check_object(s3, job, max_bytes)
        if reason is not None:
            checked.skipped.append(Skipped(job["object_uri"], "rejected", reason, job))
        elif table.claim(job, execution_arn, redrive_count, now) is Claim.CLAIMED:
            checked.jobs.append(job)
        else:
            reason = "duplicate: another execution owns this object version, or it already has a verdict"
            checked.skipped.append(Skipped(job["object_uri"], "duplicate", reason, job))
    for skipped in checked.skipped:
        if skipped.outcome == "rejected":
            written = table.record_rejection(rejection_record(skipped, execution_arn, now))
            logger.info(
                "rejected",
                extra={"message_id": skipped.message_id, "reason": skipped.reason, "recorded": written},
            )
        else:
            logger.info(skipped.outcome, extra={"message_id": skipped.message_id, "reason": skipped.reason})
    logger.info(
        "prepared", extra={"jobs": [j["job_id"] for j in checked.jobs], "skipped": len(checked.skipped)}
    )
    return checked.as_output()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    with transient_as_retryable():
        return prepare(
            event,
            s3=client("s3"),
            table=JobTable(client("dynamodb"), os.environ[TaskEnv.TABLE]),
            results_bucket=os.environ[TaskEnv.RESULTS_BUCKET],
            max_bytes=int(os.environ[TaskEnv.MAX_BYTES]),
        )
