"""Status change against moto: a failed execution's in-flight jobs become FAILED and its slots are freed."""

from __future__ import annotations

import json
from typing import Any

from tasks.batch import parse_batch
from tasks.status_change import failure_of, on_status_change
from tests.tasks.conftest import RESULTS_BUCKET, TABLE, notification, upload


class _Sfn:
    """The one Step Functions call the handler makes, answered from a recorded execution description."""

    def __init__(self, execution: dict[str, Any]) -> None:
        self.execution = execution

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        assert executionArn == self.execution["executionArn"]
        return self.execution


def _setup(aws: dict[str, Any], arn: str, status: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    put = upload(aws["s3"], "a.mp4")
    records = [notification("a.mp4", put["VersionId"], put["ETag"], 10)]
    [job] = parse_batch(records, RESULTS_BUCKET).jobs
    aws["dynamodb"].put_item(
        TableName=TABLE,
        Item={
            "job_id": {"S": job["job_id"]},
            "status": {"S": status},
            "execution_arn": {"S": arn},
            "bucket": {"S": "videos"},
            "key": {"S": "a.mp4"},
            "object_uri": {"S": "s3://videos/a.mp4"},
            "created_at": {"S": "t"},
            "updated_at": {"S": "t"},
        },
    )
    aws["dynamodb"].put_item(
        TableName=TABLE,
        Item={"job_id": {"S": "__slots__analysis"}, "running": {"N": "1"}, job["slot_holder"]: {"S": arn}},
    )
    return job, records


def _event(arn: str, status: str = "FAILED") -> dict[str, Any]:
    return {
        "source": "aws.states",
        "detail-type": "Step Functions Execution Status Change",
        "detail": {"executionArn": arn, "status": status},
    }


ARN = "arn:aws:states:us-east-1:123456789012:execution:pipeline:e1"


def test_failed_execution_fails_its_job_and_frees_its_slot(aws: dict[str, Any]) -> None:
    job, records = _setup(aws, ARN, "RUNNING")
    sfn = _Sfn(
        {
            "executionArn": ARN,
            "status": "FAILED",
            "input": json.dumps(records),
            "error": "States.TaskFailed",
            "cause": '{"StopCode": "EssentialContainerExited"}',
        }
    )
    outcome = on_status_change(_event(ARN), sfn, aws["table"])
    assert outcome["failed_jobs"] == [job["job_id"]] and outcome["released_slots"] == [job["job_id"]]
    item = aws["table"].get(job["job_id"])
    assert (item["status"], item["error"]) == ("FAILED", "States.TaskFailed")
    assert "EssentialContainerExited" in item["cause"]
    assert aws["table"].slots()["running"] == 0


def test_handler_is_idempotent(aws: dict[str, Any]) -> None:
    _, records = _setup(aws, ARN, "RUNNING")
    sfn = _Sfn({"executionArn": ARN, "status": "FAILED", "input": json.dumps(records)})
    on_status_change(_event(ARN), sfn, aws["table"])
    again = on_status_change(_event(ARN), sfn, aws["table"])
    assert again["failed_jobs"] == [] and again["released_slots"] == []
    assert aws["table"].slots()["running"] == 0


def test_job_claimed_by_a_replay_is_left_alone(aws: dict[str, Any]) -> None:
    job, records = _setup(aws, ARN + "-replay", "RUNNING")
    sfn = _Sfn({"executionArn": ARN, "status": "ABORTED", "input": json.dumps(records)})
    outcome = on_status_change(_event(ARN, "ABORTED"), sfn, aws["table"])
    assert outcome == {
        "execution_arn": ARN,
        "error": "States.Aborted",
        "failed_jobs": [],
        "released_slots": [],
    }
    assert aws["table"].get(job["job_id"])["status"] == "RUNNING"
    assert aws["table"].slots()["running"] == 1


def test_finished_job_is_not_failed(aws: dict[str, Any]) -> None:
    job, records = _setup(aws, ARN, "SUCCEEDED")
    sfn = _Sfn({"executionArn": ARN, "status": "TIMED_OUT", "input": json.dumps(records)})
    assert on_status_change(_event(ARN, "TIMED_OUT"), sfn, aws["table"])["failed_jobs"] == []
    assert aws["table"].get(job["job_id"])["status"] == "SUCCEEDED"


def test_unparseable_input_changes_nothing(aws: dict[str, Any]) -> None:
    sfn = _Sfn({"executionArn": ARN, "status": "FAILED", "input": "not json"})
    assert on_status_change(_event(ARN), sfn, aws["table"])["failed_jobs"] == []


def test_default_error_names() -> None:
    assert failure_of({"status": "TIMED_OUT"}) == (
        "States.Timeout",
        "The execution ended with status TIMED_OUT.",
    )
    assert failure_of({"status": "FAILED", "error": "E", "cause": "x" * 9000})[1] == "x" * 8000
