"""Every path of the pipeline's state machine, executed for real with scripted ECS outcomes."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from urllib.parse import quote_plus

from tasks.batch import parse_batch
from tests.conftest import load_event
from tests.definition.conftest import CRASHED, SPOT_INTERRUPTED, STOPPED_OK, Pipeline, returns, throws


def _jobs(pipeline: Pipeline, records: list[Any]) -> list[dict[str, Any]]:
    return parse_batch(records, pipeline.results_bucket).jobs


def _entered(pipeline: Pipeline, execution_arn: str) -> list[str]:
    """The states entered, in order (one per billed state transition)."""
    history = pipeline.history(execution_arn)
    return [e["stateEnteredEventDetails"]["name"] for e in history if e["type"].endswith("StateEntered")]


def _failed_attempts(pipeline: Pipeline, execution_arn: str) -> int:
    return sum(1 for e in pipeline.history(execution_arn) if e["type"] == "TaskFailed")


SUCCESS_PATH = ["Prepare", "Jobs", "AcquireSlot", "MarkRunning", "AnalyzeOnSpot", "Record", "Conclude"]


def _pool_is_empty(pipeline: Pipeline) -> bool:
    return pipeline.pool.counter()["running"] == 0 and pipeline.pool.members() == []


def _failure(execution: dict[str, Any]) -> tuple[str, str]:
    return str(execution.get("error")), str(execution.get("cause"))


def test_success_records_the_verdict_and_frees_the_slot(pipeline: Pipeline) -> None:
    put = pipeline.upload("success.mp4")
    records = [pipeline.record_for("success.mp4", put)]
    [job] = _jobs(pipeline, records)
    pipeline.put_results(job["job_id"])
    execution = pipeline.run(records, {"AnalyzeOnSpot": {"0": returns(STOPPED_OK)}})
    assert execution["status"] == "SUCCEEDED"
    output = json.loads(execution["output"])
    assert output["outcomes"] == [{"job_id": job["job_id"], "outcome": "SUCCEEDED"}]
    assert output["counts"] == {"SUCCEEDED": 1}
    record = pipeline.job(job["job_id"])
    assert record is not None
    assert (record["status"], record["attempts"], record["execution_arn"]) == (
        "SUCCEEDED",
        1,
        execution["executionArn"],
    )
    assert record["summary"]["verdict"] == "analysed" and record["results_uri"].endswith("/results.json")
    assert record["task_arn"] == STOPPED_OK["TaskArn"]
    assert _pool_is_empty(pipeline)
    assert _entered(pipeline, execution["executionArn"]) == SUCCESS_PATH  # 7 billed state transitions


def test_duplicate_delivery_runs_one_task(pipeline: Pipeline) -> None:
    put = pipeline.upload("twice.mov")
    records = [pipeline.record_for("twice.mov", put)]
    [job] = _jobs(pipeline, records)
    pipeline.put_results(job["job_id"])
    first = pipeline.run(records, {"AnalyzeOnSpot": {"0": returns(STOPPED_OK)}})
    second = pipeline.run(
        [pipeline.record_for("twice.mov", put)], {"AnalyzeOnSpot": {"0": returns(STOPPED_OK)}}
    )
    assert (first["status"], second["status"]) == ("SUCCEEDED", "SUCCEEDED")
    output = json.loads(second["output"])
    assert output["counts"] == {"duplicate": 1} and output["skipped"][0]["job"]["job_id"] == job["job_id"]
    assert _entered(pipeline, second["executionArn"]) == ["Prepare", "Jobs", "Conclude"]
    record = pipeline.job(job["job_id"])
    assert record is not None and (record["attempts"], record["execution_arn"]) == (1, first["executionArn"])


def test_throttling_twice_then_success(pipeline: Pipeline) -> None:
    put = pipeline.upload("throttled.mkv")
    records = [pipeline.record_for("throttled.mkv", put)]
    [job] = _jobs(pipeline, records)
    pipeline.put_results(job["job_id"])
    throttled = throws("ECS.AmazonECSException", "Rate exceeded")
    execution = pipeline.run(records, {"AnalyzeOnSpot": {"0-1": throttled, "2": returns(STOPPED_OK)}})
    assert execution["status"] == "SUCCEEDED"
    assert _failed_attempts(pipeline, execution["executionArn"]) == 2
    assert "AnalyzeOnDemand" not in _entered(pipeline, execution["executionArn"])
    assert pipeline.job(job["job_id"])["status"] == "SUCCEEDED"  # type: ignore[index]


def test_spot_interruption_falls_back_to_on_demand(pipeline: Pipeline) -> None:
    put = pipeline.upload("spot.webm")
    records = [pipeline.record_for("spot.webm", put)]
    [job] = _jobs(pipeline, records)
    pipeline.put_results(job["job_id"])
    execution = pipeline.run(
        records,
        {
            "AnalyzeOnSpot": {"0": throws("States.TaskFailed", SPOT_INTERRUPTED)},
            "AnalyzeOnDemand": {"0": returns(STOPPED_OK)},
        },
    )
    assert execution["status"] == "SUCCEEDED"
    entered = _entered(pipeline, execution["executionArn"])
    assert entered[-4:] == ["AnalyzeOnSpot", "AnalyzeOnDemand", "Record", "Conclude"]
    assert pipeline.job(job["job_id"])["status"] == "SUCCEEDED"  # type: ignore[index]


def test_rejection_is_recorded_and_not_retried(pipeline: Pipeline) -> None:
    put = pipeline.upload("corrupt.mp4")
    records = [pipeline.record_for("corrupt.mp4", put)]
    [job] = _jobs(pipeline, records)
    pipeline.put_results(job["job_id"], verdict="rejected")
    execution = pipeline.run(records, {"AnalyzeOnSpot": {"0": returns(STOPPED_OK)}})
    assert execution["status"] == "SUCCEEDED"
    assert _entered(pipeline, execution["executionArn"]).count("AnalyzeOnSpot") == 1
    assert _failed_attempts(pipeline, execution["executionArn"]) == 0
    record = pipeline.job(job["job_id"])
    assert record is not None
    assert (record["status"], record["reason"]) == ("REJECTED", "corrupt file: invalid data found")
    assert _pool_is_empty(pipeline)


def test_retries_exhausted_fail_the_job_inside_the_execution(pipeline: Pipeline) -> None:
    put = pipeline.upload("crash.mp4")
    records = [pipeline.record_for("crash.mp4", put)]
    [job] = _jobs(pipeline, records)
    crash = throws("States.TaskFailed", CRASHED)
    execution = pipeline.run(records, {"AnalyzeOnSpot": {"0": crash}, "AnalyzeOnDemand": {"0-1": crash}})
    assert execution["status"] == "FAILED"
    error, cause = _failure(execution)
    assert error == "AnalysisFailed" and f"{job['job_id']}: States.TaskFailed" in cause
    entered = _entered(pipeline, execution["executionArn"])
    assert entered[-4:] == ["AnalyzeOnSpot", "AnalyzeOnDemand", "RecordFailure", "Conclude"]
    assert "Record" not in entered
    assert _failed_attempts(pipeline, execution["executionArn"]) == 4  # Spot, on-demand twice, Conclude
    # Recorded by RecordFailure with the task's own error before the execution ended (the status-change
    # handler would have written the execution's error, AnalysisFailed).
    record = pipeline.job(job["job_id"])
    assert record is not None and (record["status"], record["error"]) == ("FAILED", "States.TaskFailed")
    assert "EssentialContainerExited" in record["cause"]
    assert _pool_is_empty(pipeline)


def test_one_failed_job_fails_the_execution_after_its_batch_finished(pipeline: Pipeline) -> None:
    records = [pipeline.record_for(n, pipeline.upload(n)) for n in ("f1.mp4", "f2.mp4", "f3.mp4")]
    jobs = _jobs(pipeline, records)
    for job in jobs[1:]:
        pipeline.put_results(job["job_id"])
    # The first job has no results document: its Record fails (ResultsMissing), caught like any failure.
    execution = pipeline.run(records, {"AnalyzeOnSpot": {"0-9": returns(STOPPED_OK)}})
    assert execution["status"] == "FAILED"
    assert _failure(execution)[0] == "AnalysisFailed"
    statuses = [pipeline.job(j["job_id"])["status"] for j in jobs]  # type: ignore[index]
    assert statuses == ["FAILED", "SUCCEEDED", "SUCCEEDED"]  # the siblings were not stopped
    assert pipeline.job(jobs[0]["job_id"])["error"] == "ResultsMissing"  # type: ignore[index]
    assert _pool_is_empty(pipeline)


def test_s3_test_event_is_ignored(pipeline: Pipeline) -> None:
    record = load_event("pipe_record")
    record["body"] = json.dumps(load_event("s3_test_event"))
    execution = pipeline.run([record])
    assert execution["status"] == "SUCCEEDED"
    output = json.loads(execution["output"])
    assert output["outcomes"] == [] and [s["outcome"] for s in output["skipped"]] == ["ignored"]
    assert _entered(pipeline, execution["executionArn"]) == ["Prepare", "Jobs", "Conclude"]


def test_batch_of_three_records_each_analysed(pipeline: Pipeline) -> None:
    records = []
    for name in ("b1.mp4", "b2.m4v", "b3.avi"):
        records.append(pipeline.record_for(name, pipeline.upload(name)))
    jobs = _jobs(pipeline, records)
    for job in jobs:
        pipeline.put_results(job["job_id"])
    execution = pipeline.run(records, {"AnalyzeOnSpot": {"0-9": returns(STOPPED_OK)}})
    assert execution["status"] == "SUCCEEDED"
    outcomes = json.loads(execution["output"])["outcomes"]
    assert sorted(o["job_id"] for o in outcomes) == sorted(j["job_id"] for j in jobs)
    assert Counter(o["outcome"] for o in outcomes) == {"SUCCEEDED": 3}
    assert all(pipeline.job(j["job_id"])["status"] == "SUCCEEDED" for j in jobs)  # type: ignore[index]
    assert _pool_is_empty(pipeline)


def test_key_with_spaces_and_non_ascii(pipeline: Pipeline) -> None:
    key = "uploads/été à la plage (1).MP4"
    put = pipeline.upload(key)
    records = [pipeline.record_for(quote_plus(key, safe="/"), put)]
    [job] = _jobs(pipeline, records)
    assert job["key"] == key
    pipeline.put_results(job["job_id"])
    execution = pipeline.run(records, {"AnalyzeOnSpot": {"0": returns(STOPPED_OK)}})
    assert execution["status"] == "SUCCEEDED"
    record = pipeline.job(job["job_id"])
    assert record is not None and (record["status"], record["key"]) == ("SUCCEEDED", key)


def test_mixed_batch_accounts_for_every_record(pipeline: Pipeline) -> None:
    good = pipeline.record_for("mixed.mp4", pipeline.upload("mixed.mp4"))
    missing = pipeline.record_for("never-uploaded.mp4", {"VersionId": "", "ETag": '"abc"'})
    malformed = {**load_event("pipe_record"), "messageId": "bad", "body": "{oops"}
    [job] = _jobs(pipeline, [good])
    pipeline.put_results(job["job_id"])
    execution = pipeline.run([good, missing, malformed], {"AnalyzeOnSpot": {"0": returns(STOPPED_OK)}})
    assert execution["status"] == "SUCCEEDED"
    output = json.loads(execution["output"])
    assert [o["outcome"] for o in output["outcomes"]] == ["SUCCEEDED"]
    reasons = sorted(s["reason"].split(":")[0] for s in output["skipped"])
    assert reasons == ["malformed message body", "object missing"]
