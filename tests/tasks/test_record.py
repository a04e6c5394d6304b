"""Record against moto: the verdict, summary and results location land in the job; the slot is released."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tasks.batch import make_job
from tasks.errors import InvalidResults, ResultsMissing
from tasks.record import record
from tasks.slots import Request
from tests.tasks.conftest import RESULTS_BUCKET
from vidpipe.contract.validation import validate

ARN = "arn:aws:states:us-east-1:123456789012:execution:pipeline:e1"


def _document(job: dict[str, Any], verdict: str = "analysed") -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema_version": 1,
        "job_id": job["job_id"],
        "input": {"uri": job["object_uri"]},
        "verdict": verdict,
        "complete": True,
        "summary": {"verdict": verdict, "duration_seconds": 12.5, "shots": 3},
        "analyzers": {},
        "created_at": "2026-11-23T10:00:00.000Z",
    }
    if verdict == "rejected":
        doc["rejection"] = {"code": "corrupt", "reason": "corrupt file: moov atom not found"}
        doc["summary"] = {"verdict": "rejected", "duration_seconds": None, "reason": "corrupt file"}
    return doc


def _claimed_job(aws: dict[str, Any], holds_slot: bool = True) -> dict[str, Any]:
    """A job as Prepare's claim, AcquireSlot and MarkRunning leave it (RUNNING, holding a slot)."""
    job = make_job("videos", "a b.mp4", "v1", "etag", 10, "2026-11-23T10:00:00.000Z", RESULTS_BUCKET)
    aws["table"].claim(job, ARN, 0, "2026-11-23T10:00:01.000Z")
    if holds_slot:
        grant = Request(job["job_id"], ARN, "2026-11-23T10:00:00.000Z", 0, "token-of-a-finished-state", 2)
        aws["pool"].acquire(grant)  # its token is long gone: the pool only notes that it could not wake it
    return job


def _put(aws: dict[str, Any], job: dict[str, Any], document: Any) -> None:
    body = document if isinstance(document, str) else json.dumps(document)
    aws["s3"].put_object(Bucket=RESULTS_BUCKET, Key=job["results_key"], Body=body)


def _event(job: dict[str, Any]) -> dict[str, Any]:
    return {
        "job": job,
        "task": {"task_arn": "arn:aws:ecs:us-east-1:1:task/c/abc"},
        "execution_arn": ARN,
        "finished_at": "2026-11-23T10:01:00.000Z",
    }


def _record(aws: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    return record(event, aws["s3"], aws["table"], aws["pool"])


def test_analysed_video_succeeds_and_frees_the_slot(aws: dict[str, Any]) -> None:
    job = _claimed_job(aws)
    _put(aws, job, _document(job))
    assert _record(aws, _event(job)) == {"job_id": job["job_id"], "status": "SUCCEEDED"}
    item = aws["table"].get(job["job_id"])
    assert item["status"] == "SUCCEEDED"
    assert item["summary"] == {"verdict": "analysed", "duration_seconds": 12.5, "shots": 3}
    assert item["results_uri"] == f"s3://{RESULTS_BUCKET}/{job['results_key']}"
    assert item["task_arn"].endswith("/abc") and item["finished_at"] == "2026-11-23T10:01:00.000Z"
    validate(item, "job_record")
    assert aws["pool"].counter()["running"] == 0 and aws["pool"].members() == []


def test_rejection_verdict_is_recorded_rejected_with_its_reason(aws: dict[str, Any]) -> None:
    job = _claimed_job(aws)
    _put(aws, job, _document(job, "rejected"))
    assert _record(aws, _event(job))["status"] == "REJECTED"
    item = aws["table"].get(job["job_id"])
    assert (item["status"], item["reason"]) == ("REJECTED", "corrupt file: moov atom not found")


def test_recording_twice_releases_the_slot_once(aws: dict[str, Any]) -> None:
    job = _claimed_job(aws)
    _put(aws, job, _document(job))
    _record(aws, _event(job))
    _record(aws, _event(job))
    assert aws["pool"].counter()["running"] == 0


def test_job_claimed_by_another_execution_is_not_overwritten(aws: dict[str, Any]) -> None:
    job = _claimed_job(aws)
    _put(aws, job, _document(job))
    event = {**_event(job), "execution_arn": ARN + "-old"}
    assert _record(aws, event)["status"] == "SUPERSEDED"
    assert aws["table"].get(job["job_id"])["status"] == "RECEIVED"
    assert aws["pool"].counter()["running"] == 1  # the slot belongs to the owner


def test_missing_results_document(aws: dict[str, Any]) -> None:
    """The slot is handed on before the document is read (the analysis is over either way); the job's
    failure is RecordFailure's to write, whose release then finds nothing to do."""
    job = _claimed_job(aws)
    with pytest.raises(ResultsMissing, match="no results document"):
        _record(aws, _event(job))
    assert aws["pool"].counter()["running"] == 0 and aws["pool"].members() == []
    assert aws["table"].get(job["job_id"])["status"] == "RECEIVED"
    assert aws["pool"].release(job["job_id"], ARN).value == "not_held"


@pytest.mark.parametrize("document", ["{not json", {"verdict": "analysed"}])
def test_invalid_results_document(aws: dict[str, Any], document: Any) -> None:
    job = _claimed_job(aws)
    _put(aws, job, document)
    with pytest.raises(InvalidResults):
        _record(aws, _event(job))
    assert aws["table"].get(job["job_id"])["status"] == "RECEIVED"
