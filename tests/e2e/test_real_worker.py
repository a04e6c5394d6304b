"""Uploads analysed by the real worker: results in the job record and the results store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Pipeline, start_pipeline, wait_until
from vidpipe.contract.identity import parse_s3_uri
from vidpipe.contract.validation import validate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pipeline() -> Iterator[Pipeline]:
    yield from start_pipeline(max_tasks=2)


def test_upload_succeeds_with_real_results(pipeline: Pipeline, tiny_clip: Path) -> None:
    up = pipeline.upload("incoming/tiny.mp4", tiny_clip)
    record = pipeline.wait_job(up)
    execution = pipeline.wait_execution(record["execution_arn"])

    assert record["status"] == "SUCCEEDED", record
    assert execution["status"] == "SUCCEEDED"
    validate(json.loads(json.dumps(record, default=int)), "job_record")
    summary = record["summary"]
    assert summary["verdict"] == "analysed"
    assert summary["shots"] == 2  # the clip has two shots
    bucket, key = parse_s3_uri(record["results_uri"])
    document = json.loads(pipeline.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    validate(document, "results")
    assert [run.exit_code for run in pipeline.runs_of(record["job_id"])] == [0]


def test_corrupt_video_is_rejected_without_retry(pipeline: Pipeline, corrupt_clip: Path) -> None:
    up = pipeline.upload("incoming/broken.mp4", corrupt_clip)
    record = pipeline.wait_job(up)
    execution = pipeline.wait_execution(record["execution_arn"])

    assert record["status"] == "REJECTED", record
    assert record.get("reason") or record["summary"].get("reason")
    assert execution["status"] == "SUCCEEDED"  # a verdict, not a failure
    assert len(pipeline.runs_of(record["job_id"])) <= 1  # no retry (Prepare may reject before any task)


def test_key_with_spaces_and_non_ascii_succeeds(pipeline: Pipeline, tiny_clip: Path) -> None:
    key = "inbox/Ünïcödé clips/été à la plage (1).MP4"
    up = pipeline.upload(key, tiny_clip)
    record = pipeline.wait_job(up)

    assert record["status"] == "SUCCEEDED", record
    assert record["key"] == key
    assert record["object_uri"] == f"s3://{up.bucket}/{key}"


def test_aborting_an_execution_stops_its_worker(pipeline: Pipeline, tmp_path: Path) -> None:
    from vidpipe.clipgen import make_demo_clip

    clip = tmp_path / "long.mp4"
    make_demo_clip(clip)
    pipeline.runtime.faults.add("worker-hang", count=1)  # still running when the execution stops
    up = pipeline.upload("abort/long.mp4", clip)
    record = pipeline.wait_job(up, statuses=("RUNNING",))
    job_id = record["job_id"]
    wait_until(lambda: any(r.started_at for r in pipeline.runs_of(job_id)), 30, "the worker to start")

    pipeline.sfn.stop_execution(executionArn=record["execution_arn"], cause="test")

    run = wait_until(
        lambda: next((r for r in pipeline.runs_of(job_id) if r.stop_code), None),
        30,
        "the worker to be stopped",
    )
    assert run.stop_code == "UserInitiated"
    assert run.exit_code == 143  # SIGTERM, the worker contract's TERMINATED
    failed = pipeline.wait_job(up, statuses=("FAILED",))  # the status-change rule saw ABORTED
    assert failed["execution_arn"] == record["execution_arn"]
    assert pipeline.slots_free()
