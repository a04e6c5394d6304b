"""Parsing the pipe's batch: every record ends as a job or a skip with a reason, keys are decoded."""

from __future__ import annotations

import json

from tasks.batch import parse_batch
from tests.conftest import load_event
from vidpipe.contract.identity import job_id_for
from vidpipe.contract.validation import validate


def _record(body: object, message_id: str = "m1") -> dict[str, object]:
    record = load_event("pipe_record")
    record["messageId"] = message_id
    record["body"] = body if isinstance(body, str) else json.dumps(body)
    return record


def test_key_is_url_decoded_and_job_validates() -> None:
    batch = parse_batch([_record(load_event("s3_object_created"))], "results")
    [job] = batch.jobs
    assert job["key"] == "uploads/red flower été.MP4"
    assert job["object_uri"] == "s3://videos/uploads/red flower été.MP4"
    assert job["job_id"] == job_id_for("videos", job["key"], job["version"], job["etag"])
    assert job["results_key"] == f"jobs/{job['job_id']}/results.json"
    validate(job, "job")
    assert batch.skipped == []


def test_same_object_version_gives_the_same_job_id() -> None:
    body = load_event("s3_object_created")
    first = parse_batch([_record(body, "a")], "results").jobs[0]
    second = parse_batch([_record(body, "b")], "results").jobs[0]
    assert first["job_id"] == second["job_id"]


def test_s3_test_event_is_ignored() -> None:
    batch = parse_batch([_record(load_event("s3_test_event"))], "results")
    assert batch.jobs == []
    [skipped] = batch.skipped
    assert (skipped.outcome, skipped.reason.startswith("s3:TestEvent")) == ("ignored", True)


def test_every_record_of_a_batch_is_accounted_for() -> None:
    body = load_event("s3_object_created")
    other = json.loads(json.dumps(body))
    other["Records"][0]["s3"]["object"]["key"] = "b.mov"
    notes = _record("this is not json", "bad")
    batch = parse_batch(
        [_record(body, "1"), notes, _record(other, "2"), _record({"Records": []}, "3")], "results"
    )
    assert [j["key"] for j in batch.jobs] == ["uploads/red flower été.MP4", "b.mov"]
    assert [(s.message_id, s.outcome) for s in batch.skipped] == [("bad", "rejected"), ("3", "rejected")]
    assert "malformed message body" in batch.skipped[0].reason


def test_non_video_suffix_is_rejected_with_the_job() -> None:
    body = load_event("s3_object_created")
    body["Records"][0]["s3"]["object"]["key"] = "notes.txt"
    [skipped] = parse_batch([_record(body)], "results").skipped
    assert skipped.outcome == "rejected"
    assert skipped.reason.startswith("not a video")
    assert skipped.job is not None and skipped.job["key"] == "notes.txt"


def test_other_event_types_are_ignored() -> None:
    body = load_event("s3_object_created")
    body["Records"][0]["eventName"] = "ObjectRemoved:Delete"
    [skipped] = parse_batch([_record(body)], "results").skipped
    assert skipped.outcome == "ignored"


def test_record_without_bucket_is_rejected() -> None:
    body = load_event("s3_object_created")
    del body["Records"][0]["s3"]["bucket"]
    [skipped] = parse_batch([_record(body)], "results").skipped
    assert (skipped.outcome, skipped.reason) == (
        "rejected",
        "malformed S3 record: no bucket name or object key",
    )


def test_input_that_is_not_an_array_is_rejected() -> None:
    [skipped] = parse_batch({"not": "a list"}, "results").skipped
    assert skipped.outcome == "rejected"
