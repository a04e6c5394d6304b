"""moto-backed fixtures for the handler tests: a versioned video bucket, a results bucket, a job table, the
slot table and real waiting executions (whose task tokens the slot pool wakes)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tasks.job_table import JobTable
from tasks.slots import SlotPool
from tests.conftest import load_event
from vidpipe.contract.names import SlotTable, Table
from vidpipe.contract.timestamps import utc_now
from vidpipe.local import moto_patches

VIDEO_BUCKET = "videos"
RESULTS_BUCKET = "results"
TABLE = "jobs"
SLOT_TABLE = "slots"
ROLE = "arn:aws:iam::123456789012:role/sfn"


def create_job_table(dynamodb: Any, name: str = TABLE) -> None:
    """The job table with its by-status index, as the stack defines it."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": Table.PARTITION_KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": Table.PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": "status", "AttributeType": "S"},
            {"AttributeName": Table.STATUS_INDEX_SORT, "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": Table.STATUS_INDEX,
                "KeySchema": [
                    {"AttributeName": "status", "KeyType": "HASH"},
                    {"AttributeName": Table.STATUS_INDEX_SORT, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def create_slot_table(dynamodb: Any, name: str = SLOT_TABLE) -> None:
    dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": SlotTable.PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SlotTable.SORT_KEY, "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": SlotTable.PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": SlotTable.SORT_KEY, "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


@dataclass
class Waiter:
    """A real execution parked on a ``.waitForTaskToken`` state, as AcquireSlot parks: its token wakes it."""

    execution_arn: str
    token: str
    start: str


@dataclass
class Waiters:
    """Starts executions that wait on a task token (an SQS ``sendMessage.waitForTaskToken`` state, whose
    message carries the token) and tells how they ended."""

    sfn: Any
    sqs: Any
    state_machine_arn: str
    queue_url: str
    started: list[Waiter] = field(default_factory=list)

    def start(self, name: str | None = None, execution_input: Any = None) -> Waiter:
        """An execution parked on its task token (``execution_input``: its input, e.g. the pipe's records)."""
        name = name or f"w-{uuid.uuid4().hex[:12]}"
        arn = self.sfn.start_execution(
            stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(execution_input or {})
        )["executionArn"]
        deadline = time.monotonic() + 10
        while True:
            for message in self.sqs.receive_message(QueueUrl=self.queue_url, WaitTimeSeconds=1).get(
                "Messages", []
            ):
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
                body = json.loads(message["Body"])
                if body["execution"] == arn:
                    waiter = Waiter(arn, body["token"], body["start"])
                    self.started.append(waiter)
                    return waiter
            assert time.monotonic() < deadline, f"{name} never sent its task token"

    def status(self, waiter: Waiter) -> str:
        return str(self.sfn.describe_execution(executionArn=waiter.execution_arn)["status"])

    def wait_for(self, waiter: Waiter, status: str = "SUCCEEDED", timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while (described := self.sfn.describe_execution(executionArn=waiter.execution_arn))[
            "status"
        ] != status:
            assert time.monotonic() < deadline, (
                f"{waiter.execution_arn} is {described['status']}, not {status}"
            )
            time.sleep(0.05)
        return dict(described)


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    """Clients of an in-process moto with the pipeline's storage created."""
    moto_patches.apply()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        s3 = boto3.client("s3")
        for bucket in (VIDEO_BUCKET, RESULTS_BUCKET):
            s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=VIDEO_BUCKET, VersioningConfiguration={"Status": "Enabled"})
        dynamodb = boto3.client("dynamodb")
        create_job_table(dynamodb)
        create_slot_table(dynamodb)
        sfn = boto3.client("stepfunctions")
        yield {
            "s3": s3,
            "dynamodb": dynamodb,
            "table": JobTable(dynamodb, TABLE),
            "pool": SlotPool(dynamodb, sfn, SLOT_TABLE),
            "sfn": sfn,
        }


@pytest.fixture
def waiters(aws: dict[str, Any]) -> Waiters:
    """Executions that wait on a task token, for the slot pool to wake."""
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="tokens")["QueueUrl"]
    definition = {
        "StartAt": "Wait",
        "States": {
            "Wait": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {
                    "QueueUrl": queue_url,
                    "MessageBody": {
                        "token.$": "$$.Task.Token",
                        "execution.$": "$$.Execution.Id",
                        "start.$": "$$.Execution.StartTime",
                    },
                },
                "TimeoutSeconds": 120,
                "End": True,
            }
        },
    }
    arn = aws["sfn"].create_state_machine(name="waiter", definition=json.dumps(definition), roleArn=ROLE)[
        "stateMachineArn"
    ]
    return Waiters(aws["sfn"], sqs, arn, queue_url)


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


def uploaded(aws: dict[str, Any], key: str) -> tuple[dict[str, Any], list[Any]]:
    """Upload ``key``; returns its job and the pipe's records that name it."""
    from tasks.batch import parse_batch

    put = upload(aws["s3"], key)
    records = [notification(key, put["VersionId"], put["ETag"], 10)]
    [job] = parse_batch(records, RESULTS_BUCKET).jobs
    return job, records


def claim_as(aws: dict[str, Any], job: dict[str, Any], execution_arn: str, status: str = "RUNNING") -> None:
    """Make ``execution_arn`` the owner of ``job`` (as Prepare does), then set ``status`` (as the states do)."""
    assert aws["table"].claim(job, execution_arn, 0, utc_now()).value == "claimed"
    if status != "RECEIVED":
        aws["dynamodb"].update_item(
            TableName=TABLE,
            Key={"job_id": {"S": job["job_id"]}},
            UpdateExpression="SET #s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": status}},
        )
