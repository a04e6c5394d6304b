"""Duplicates, crashes, retries, failure recording and replay (no-op worker: the pipeline is under test)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.e2e.conftest import NOOP_ENV, Pipeline, start_pipeline, wait_until
from vidpipe.cli.main import app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pipeline() -> Iterator[Pipeline]:
    yield from start_pipeline(max_tasks=2, worker_env=NOOP_ENV)


@pytest.fixture(autouse=True)
def no_faults(pipeline: Pipeline) -> Iterator[None]:
    pipeline.runtime.faults.clear()
    yield
    pipeline.runtime.faults.clear()


def test_same_event_delivered_twice_makes_one_job_and_one_run(pipeline: Pipeline, tiny_clip: Path) -> None:
    up = pipeline.upload("dup/once.mp4", tiny_clip)
    record = pipeline.wait_job(up)
    first = pipeline.wait_execution(record["execution_arn"])
    body = json.loads(first["input"])[0]["body"]  # the S3 notification exactly as the queue delivered it
    started = len(pipeline.runtime.pipes[0].started_executions)

    for _ in range(2):
        pipeline.sqs.send_message(QueueUrl=pipeline.outputs["QueueUrl"], MessageBody=body)
    pipe = pipeline.runtime.pipes[0]
    wait_until(lambda: len(pipe.started_executions) >= started + 2, 30, "two more executions")
    for arn in pipe.started_executions[started:]:
        assert pipeline.wait_execution(arn)["status"] == "SUCCEEDED"  # duplicates: Prepare's claim stops them

    again = pipeline.wait_job(up)
    assert again["job_id"] == record["job_id"]
    assert again["attempts"] == 1
    assert again["execution_arn"] == record["execution_arn"]
    assert len(pipeline.runs_of(record["job_id"])) == 1


def test_worker_crashing_once_is_retried_then_succeeds(pipeline: Pipeline, tiny_clip: Path) -> None:
    pipeline.runtime.faults.add("worker-crash", count=1)
    up = pipeline.upload("crash/once.mp4", tiny_clip)
    record = pipeline.wait_job(up)

    assert record["status"] == "SUCCEEDED", record
    assert pipeline.wait_execution(record["execution_arn"])["status"] == "SUCCEEDED"
    assert [run.exit_code for run in pipeline.runs_of(record["job_id"])] == [1, 0]


def test_worker_always_crashing_fails_the_job_then_replay_redrives_it(
    pipeline: Pipeline, tiny_clip: Path
) -> None:
    pipeline.runtime.faults.add("worker-crash")
    up = pipeline.upload("crash/always.mp4", tiny_clip)
    record = pipeline.wait_job(up, statuses=("FAILED",))
    execution = pipeline.wait_execution(record["execution_arn"])

    assert execution["status"] == "FAILED" and execution["error"] == "AnalysisFailed"
    assert record["error"] == "States.TaskFailed", record  # recorded inside the execution, by RecordFailure
    assert '"ExitCode":1' in record["cause"]  # the cause is the stopped ECS task, as on AWS
    runs = pipeline.runs_of(record["job_id"])
    assert runs and all(run.exit_code == 1 for run in runs)
    assert pipeline.slots_free()

    pipeline.runtime.faults.clear()
    result = CliRunner().invoke(
        app, ["--endpoint-url", pipeline.runtime.endpoint_url, "replay", record["job_id"], "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [row["action"] for row in rows] == ["redriven"], rows  # the AWS replay path, locally too

    replayed = pipeline.wait_job(up, statuses=("SUCCEEDED",))
    assert replayed["execution_arn"] == record["execution_arn"]  # a redrive keeps the execution
    redriven = pipeline.wait_execution(record["execution_arn"])
    assert redriven["status"] == "SUCCEEDED" and redriven["redriveCount"] == 1, redriven
    assert pipeline.runs_of(record["job_id"])[-1].exit_code == 0
