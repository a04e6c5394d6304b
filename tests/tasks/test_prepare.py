"""Prepare against moto: missing, too large and empty objects are recorded REJECTED; valid ones become jobs."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tasks.errors import TransientError
from tasks.prepare import check_object, prepare
from tests.conftest import load_event
from tests.tasks.conftest import RESULTS_BUCKET, notification, upload
from vidpipe.contract.validation import validate

ARN = "arn:aws:states:us-east-1:123456789012:execution:pipeline:e1"


def _prepare(aws: dict[str, Any], records: list[Any], max_bytes: int = 10_000) -> dict[str, Any]:
    return prepare(
        {"records": records, "execution_arn": ARN}, aws["s3"], aws["table"], RESULTS_BUCKET, max_bytes
    )


def test_valid_upload_becomes_a_job_with_the_real_size(aws: dict[str, Any]) -> None:
    put = upload(aws["s3"], "clips/a b.mp4", b"x" * 100)
    out = _prepare(aws, [notification("clips/a+b.mp4", put["VersionId"], put["ETag"], 5)])
    [job] = out["jobs"]
    assert (job["key"], job["size"], job["version"]) == ("clips/a b.mp4", 100, put["VersionId"])
    assert out["skipped"] == []
    assert aws["table"].get(job["job_id"]) is None  # the Claim state writes it, not Prepare


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
