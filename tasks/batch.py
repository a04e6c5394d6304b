"""Turn the pipe's batch of SQS records into jobs, without any I/O.

Shared by Prepare (which then checks the objects) and by the status-change handler (which must find the
jobs of a failed execution from its input). S3 event notifications URL-encode keys with ``+`` for spaces;
keys are decoded with ``unquote_plus`` here and nowhere else.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.data_classes.s3_event import S3EventRecord

from vidpipe.contract.identity import job_id_for, object_uri
from vidpipe.contract.names import RESULTS_DOCUMENT, RESULTS_PREFIX, VIDEO_SUFFIXES
from vidpipe.contract.validation import ContractError, validate

S3_TEST_EVENT = "s3:TestEvent"


@dataclass(frozen=True)
class Skipped:
    """A record that starts no analysis: ignored (test events, other event types) or rejected (permanent)."""

    message_id: str
    outcome: str  # "ignored", "rejected" or "duplicate" (set by Prepare's claim)
    reason: str
    job: dict[str, Any] | None = None  # the job it would have been, when the record named an object


@dataclass
class Batch:
    """The outcome of parsing one batch."""

    jobs: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def as_output(self) -> dict[str, Any]:
        """The JSON-ready form returned to the state machine."""
        return {"jobs": self.jobs, "skipped": [asdict(s) for s in self.skipped]}


def make_job(
    bucket: str, key: str, version: str, etag: str, size: int, event_time: str, results_bucket: str
) -> dict[str, Any]:
    """The job of an object version (see ``schemas/job.schema.json``)."""
    job_id = job_id_for(bucket, key, version, etag)
    return {
        "job_id": job_id,
        "bucket": bucket,
        "key": key,
        "object_uri": object_uri(bucket, key),
        "version": version,
        "etag": etag,
        "size": size,
        "event_time": event_time,
        "results_bucket": results_bucket,
        "results_key": f"{RESULTS_PREFIX}{job_id}/{RESULTS_DOCUMENT}",
    }


def malformed_job_id(message_id: str, body: str) -> str:
    """A job id for a message that names no object, so that its rejection can still be recorded."""
    return hashlib.sha256(f"{message_id}\x00{body}".encode()).hexdigest()[:24]


def is_video_key(key: str) -> bool:
    """True when the key ends with one of the video suffixes, in any case."""
    return key.lower().endswith(VIDEO_SUFFIXES)


def parse_batch(records: Any, results_bucket: str) -> Batch:
    """Parse every record of the batch; nothing is dropped silently: each ends as a job or a skip."""
    batch = Batch()
    if not isinstance(records, list):
        batch.skipped.append(
            Skipped("-", "rejected", "malformed input: expected the pipe's array of records")
        )
        return batch
    for position, record in enumerate(records):
        _parse_record(record, position, results_bucket, batch)
    return batch


def _parse_record(record: Any, position: int, results_bucket: str, batch: Batch) -> None:
    if not isinstance(record, dict):
        batch.skipped.append(Skipped(f"#{position}", "rejected", "malformed record: not an object"))
        return
    message_id = str(record.get("messageId") or f"#{position}")
    raw_body = record.get("body")
    try:
        body = json.loads(raw_body) if isinstance(raw_body, str) else raw_body
    except json.JSONDecodeError as error:
        batch.skipped.append(Skipped(message_id, "rejected", f"malformed message body: {error}"))
        return
    if not isinstance(body, dict):
        batch.skipped.append(Skipped(message_id, "rejected", "malformed message body: not a JSON object"))
        return
    if body.get("Event") == S3_TEST_EVENT:
        batch.skipped.append(
            Skipped(message_id, "ignored", "s3:TestEvent sent when the notification was set up")
        )
        return
    s3_records = body.get("Records")
    if not isinstance(s3_records, list) or not s3_records:
        batch.skipped.append(Skipped(message_id, "rejected", "malformed message body: no S3 Records"))
        return
    for s3_record in S3Event(body).records:
        _parse_s3_record(s3_record, message_id, results_bucket, batch)


def _parse_s3_record(record: S3EventRecord, message_id: str, results_bucket: str, batch: Batch) -> None:
    try:
        event_name = record.event_name
    except (KeyError, TypeError):
        event_name = ""
    if not event_name.startswith("ObjectCreated:"):
        batch.skipped.append(Skipped(message_id, "ignored", f"not an object-created event: {event_name!r}"))
        return
    try:
        bucket = record.s3.bucket.name
        obj = record.s3.get_object
        raw_key = obj.key
        size = obj.get("size", -1)
        version, etag, sequencer = obj.get("versionId"), obj.get("eTag"), obj.get("sequencer")
    except (KeyError, TypeError, AttributeError):
        batch.skipped.append(
            Skipped(message_id, "rejected", "malformed S3 record: no bucket name or object key")
        )
        return
    job = make_job(
        bucket=str(bucket),
        key=unquote_plus(str(raw_key)),
        version=str(version or ""),
        etag=str(etag or ""),
        size=size if isinstance(size, int) else -1,
        event_time=str(record.get("eventTime") or ""),
        results_bucket=results_bucket,
    )
    if isinstance(sequencer, str):
        job["sequencer"] = sequencer
    try:
        validate(job, "job")
    except ContractError as error:
        batch.skipped.append(Skipped(message_id, "rejected", f"malformed S3 record: {error}", job))
        return
    if not is_video_key(job["key"]):
        reason = f"not a video: {job['key']!r} has none of the suffixes {', '.join(VIDEO_SUFFIXES)}"
        batch.skipped.append(Skipped(message_id, "rejected", reason, job))
        return
    if any(other["job_id"] == job["job_id"] for other in batch.jobs):
        # S3 and SQS deliver at least once: both copies of one event can land in the same batch.
        reason = f"duplicate: {job['object_uri']} (version {job['version'] or '-'}) is already in this batch"
        batch.skipped.append(Skipped(message_id, "ignored", reason, job))
        return
    batch.jobs.append(job)
