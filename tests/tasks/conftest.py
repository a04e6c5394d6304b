"""moto-backed fixtures for the handler tests: a versioned video bucket, a results bucket and a job table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tasks.job_table import JobTable
from tests.conftest import load_event
from vidpipe.contract.names import Table

VIDEO_BUCKET = "videos"
RESULTS_BUCKET = "results"
TABLE = "jobs"


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    """Clients of an in-process moto with the pipeline's storage created."""
    with mock_aws():
        s3 = boto3.client("s3")
        for bucket in (VIDEO_BUCKET, RESULTS_BUCKET):
            s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=VIDEO_BUCKET, VersioningConfiguration={"Status": "Enabled"})
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": Table.PARTITION_KEY, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": Table.PARTITION_KEY, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield {
            "s3": s3,
            "dynamodb": dynamodb,
            "table": JobTable(dynamodb, TABLE),
            "sfn": boto3.client("stepfunctions"),
        }


def upload(s3: Any, key: str, body: bytes = b"\x00\x00\x00\x18ftypmp42") -> dict[str, Any]:
    """Put an object in the video bucket; returns the put response (VersionId, ETag)."""
    return s3.put_object(Bucket=VIDEO_BUCKET, Key=key, Body=body)


def notification(key_in_event: str, version: str, etag: str, size: int) -> dict[str, Any]:
    """The pipe record of an S3 notification for one object, with the key as S3 encodes it."""
    body = load_event("s3_object_created")
    obj = body["Records"][0]["s3"]["object"]
    obj.update({"key": key_in_event, "versionId": version, "eTag": etag.strip('"'), "size": size})
    body["Records"][0]["s3"]["bucket"]["name"] = VIDEO_BUCKET
    record = load_event("pipe_record")
    record["body"] = json.dumps(body)
    return record
