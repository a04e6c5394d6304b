"""Prepare against moto: missing, too large and empty objects are recorded REJECTED; valid ones are claimed
for the execution (duplicates are skipped, a retried claim is not a duplicate, replays and redrives re-claim)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tasks.errors import TransientError
from tasks.job_table import JobTable
from tasks.prepare import check_object, prepare
from tests.conftest import load_event
from tests.tasks.conftest import RESULTS_BUCKET, notification, upload
from vidpipe.contract.validation import validate

ARN = "arn:aws:states:us-east-1:123456789012:execution:pipeline:e1"


def _prepare(
    aws: dict[str, Any], records: list[Any], max_bytes: int = 10_000, arn: str = ARN, redrives: int = 0
) -> dict[str, Any]:
    event = {"records": records, "execution_arn": arn, "redrive_count": redrives}
    return prepare(event, aws["s3"], aws["table"], RESULTS_BUCKET, max_bytes)


def test_valid_upload_becomes_a_job_with_the_real_size(aws: dict[str, Any]) -> None:
    put = upload(aws["s3"], "clips/a b.mp4", b"x" * 100)
    out = _prepare(aws, [notification("clips/a+b.mp4", put["VersionId"], put["ETag"], 5)])
    [job] = out["jobs"]
    assert (job["key"], job["size"], job["version"]) == ("clips/a b.mp4", 100, put["VersionId"])
    assert out["skipped"] == []
    record = aws["table"].get(job["job_id"])
    assert (record["status"], record["execution_arn"], record["attempts"]) == ("RECEIVED", ARN, 1)
    assert record["execution_arns"] == [ARN] and record["claim_redrive_count"] == 0
    validate(record, "job_record")


def _one_upload(aws: dict[str, Any], key: str = "once.mp4") -> list[Any]:
    put = upload(aws["s3"], key)
    return [notification(key, put["VersionId"], put["ETag"], 10)]


def test_a_duplicate_delivery_is_skipped(aws: dict[str, Any]) -> None:
    records = _one_upload(aws)
    [job] = _prepare(aws, records)["jobs"]
    second = _prepare(aws, records, arn=ARN + "-2")
    assert second["jobs"] == [] and second["skipped"][0]["outcome"] == "duplicate"
    assert aws["table"].get(job["job_id"])["execution_arn"] == ARN


def test_the_same_object_twice_in_one_batch_is_one_job(aws: dict[str, Any]) -> None:
    records = _one_upload(aws) * 2
    out = _prepare(aws, records)
    assert len(out["jobs"]) == 1 and out["skipped"][0]["reason"].startswith("duplicate:")


def test_a_retried_prepare_keeps_its_claim(aws: dict[str, Any]) -> None:
    records = _one_upload(aws)
    [job] = _prepare(aws, records)["jobs"]
    assert _prepare(aws, records)["jobs"] == [job]  # the Lambda ran again: still this execution's
    assert aws["table"].get(job["job_id"])["attempts"] == 1


def test_a_claim_applied_then_answered_with_an_error_is_not_a_duplicate(aws: dict[str, Any]) -> None:
    """DynamoDB applied the claim, then the call failed with a 500: the retry finds the job its own."""

    class AppliedThenError:
        def __init__(self, client: Any) -> None:
            self.client, self.faults = client, 1

        def __getattr__(self, name: str) -> Any:
            return getattr(self.client, name)

        def update_item(self, **kwargs: Any) -> Any:
            answer = self.client.update_item(**kwargs)
            if self.faults:
                self.faults -= 1
                raise ClientError({"Error": {"Code": "InternalServerError"}}, "UpdateItem")
            return answer

    records = _one_upload(aws)
    flaky = JobTable(AppliedThenError(aws["dynamodb"]), "jobs")
    with pytest.raises(ClientError):
        prepare({"records": records, "execution_arn": ARN}, aws["s3"], flaky, RESULTS_BUCKET, 10_000)
    [job] = prepare({"records": records, "execution_arn": ARN}, aws["s3"], flaky, RESULTS_BUCKET, 10_000)[
        "jobs"
    ]
    record = aws["table"].get(job["job_id"])
    assert (record["status"], record["attempts"], record["execution_arns"]) == ("RECEIVED", 1, [ARN])


def _fail(aws: dict[str, Any], job_id: str) -> None:
    aws["table"].record_failure(job_id, ARN, {"error": "States.TaskFailed", "cause": "crash"})


def test_a_failed_job_is_claimed_again_by_a_replay_and_by_a_redrive(aws: dict[str, Any]) -> None:
    records = _one_upload(aws)
    [job] = _prepare(aws, records)["jobs"]
    _fail(aws, job["job_id"])
    assert _prepare(aws, records, redrives=1)["jobs"] == [job]  # the same execution, redriven
    record = aws["table"].get(job["job_id"])
    assert (record["attempts"], record["execution_arns"], record["claim_redrive_count"]) == (2, [ARN], 1)
    assert "error" not in record and "cause" not in record
    _fail(aws, job["job_id"])
    assert _prepare(aws, records, arn=ARN + "-replay")["jobs"] == [job]  # a restart: a new execution
    record = aws["table"].get(job["job_id"])
    assert (record["attempts"], record["execution_arns"]) == (3, [ARN, ARN + "-replay"])


def test_a_finished_job_is_never_claimed_again(aws: dict[str, Any]) -> None:
    records = _one_upload(aws)
    [job] = _prepare(aws, records)["jobs"]
    aws["table"].record_verdict(job["job_id"], ARN, {"status": "SUCCEEDED"})
    assert _prepare(aws, records, redrives=1)["jobs"] == []
    assert _prepare(aws, records, arn=ARN + "-replay")["jobs"] == []


def test_missing_object_is_rejected_and_recorded(aws: dict[str, Any]) -> None:
    out = _prepare(aws, [notification("gone.mp4", "", "abc", 10)])
    [skipped] = out["skipped"]
    assert skipped["outcome"] == "rejected" and skipped["reason"].startswith("object missing")
    record = aws["table"].get(skipped["job"]["job_id"])
    assert record["status"] == "REJECTED" and record["reason"] == skipped["reason"]
    assert record["execution_arn"] == ARN
    validate(record, "job_record")


def test_deleted_version_is_missing(aws: dict[str, Any]) -> None:
    put = upload(aws["s3"], "v.mp4")
    aws["s3"].delete_object(Bucket="videos", Key="v.mp4", VersionId=put["VersionId"])
    out = _prepare(aws, [notification("v.mp4", put["VersionId"], put["ETag"], 10)])
    assert out["skipped"][0]["reason"].startswith("object missing")


def test_too_large_is_rejected(aws: dict[str, Any]) -> None:
    put = upload(aws["s3"], "big.mkv", b"x" * 2000)
    out = _prepare(aws, [notification("big.mkv", put["VersionId"], put["ETag"], 2000)], max_bytes=1000)
    assert out["skipped"][0]["reason"] == "too large: 2000 bytes, the limit is 1000 bytes"
    assert aws["table"].get(out["skipped"][0]["job"]["job_id"])["status"] == "REJECTED"


def test_empty_object_is_rejected(aws: dict[str, Any]) -> None:
    put = upload(aws["s3"], "empty.mp4", b"")
    out = _prepare(aws, [notification("empty.mp4", put["VersionId"], put["ETag"], 0)])
    assert out["skipped"][0]["reason"] == "empty object: 0 bytes"


def test_malformed_message_is_recorded_with_a_synthetic_identity(aws: dict[str, Any]) -> None:
    record = load_event("pipe_record")
    record["body"] = "{not json"
    out = _prepare(aws, [record])
    [skipped] = out["skipped"]
    items = aws["dynamodb"].scan(TableName="jobs")["Items"]
    assert len(items) == 1 and items[0]["status"]["S"] == "REJECTED"
    assert items[0]["key"]["S"] == f"sqs-message/{record['messageId']}"
    assert skipped["reason"].startswith("malformed message body")


def test_rejection_does_not_overwrite_a_succeeded_job(aws: dict[str, Any]) -> None:
    out = _prepare(aws, [notification("gone.mp4", "", "abc", 10)])
    job_id = out["skipped"][0]["job"]["job_id"]
    aws["dynamodb"].update_item(
        TableName="jobs",
        Key={"job_id": {"S": job_id}},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "SUCCEEDED"}},
    )
    _prepare(aws, [notification("gone.mp4", "", "abc", 10)])
    assert aws["table"].get(job_id)["status"] == "SUCCEEDED"


def test_test_event_is_ignored_and_not_recorded(aws: dict[str, Any]) -> None:
    record = load_event("pipe_record")
    record["body"] = '{"Service": "Amazon S3", "Event": "s3:TestEvent"}'
    out = _prepare(aws, [record])
    assert out == {"jobs": [], "skipped": [{**out["skipped"][0], "outcome": "ignored"}]}
    assert aws["dynamodb"].scan(TableName="jobs")["Count"] == 0


class _ThrottledS3:
    def head_object(self, **_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}}, "HeadObject"
        )


def test_throttling_is_transient() -> None:
    job = {"bucket": "videos", "key": "a.mp4", "version": "", "object_uri": "s3://videos/a.mp4"}
    with pytest.raises(TransientError, match="SlowDown"):
        check_object(_ThrottledS3(), job, 10)
