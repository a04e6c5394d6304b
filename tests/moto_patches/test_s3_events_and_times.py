"""Defects (12), (13) and (15): S3 event records carry versionId/sequencer; the context object's times are
AWS-formatted and it has ``$$.Execution.RedriveCount``."""

from __future__ import annotations

import json
import re
from typing import Any

import boto3

from vidpipe.local.sfn_wait import wait_for_execution

from ._helpers import REGION, create_sm


def test_object_created_record_has_version_and_sequencer() -> None:
    s3, sqs = boto3.client("s3", region_name=REGION), boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.create_bucket(Bucket="videos")
    s3.put_bucket_versioning(Bucket="videos", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(
        Bucket="videos",
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    puts = [s3.put_object(Bucket="videos", Key="a.mp4", Body=b"same") for _ in range(2)]
    bodies = [
        json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    ]
    objects = [b["Records"][0]["s3"]["object"] for b in bodies if "Records" in b]
    assert [o["versionId"] for o in objects] == [p["VersionId"] for p in puts]
    assert objects[0]["sequencer"] < objects[1]["sequencer"]


def test_entered_time_has_milliseconds_and_z(sfn: Any) -> None:
    definition = {
        "StartAt": "T",
        "States": {"T": {"Type": "Pass", "Parameters": {"t.$": "$$.State.EnteredTime"}, "End": True}},
    }
    started = sfn.start_execution(stateMachineArn=create_sm(sfn, definition), name="time", input="{}")
    output = json.loads(wait_for_execution(sfn, started["executionArn"])["output"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", output["t"]), output


def test_execution_context_has_aws_start_time_and_redrive_count(sfn: Any) -> None:
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Pass",
                "Parameters": {
                    "start.$": "$$.Execution.StartTime",
                    "redrives.$": "$$.Execution.RedriveCount",
                },
                "End": True,
            }
        },
    }
    started = sfn.start_execution(stateMachineArn=create_sm(sfn, definition), name="ctx", input="{}")
    output = json.loads(wait_for_execution(sfn, started["executionArn"])["output"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", output["start"]), output
    assert output["redrives"] == 0


def test_a_multipart_upload_sends_one_object_created_event(tmp_path: Any) -> None:
    """Defect 21: boto3's upload_file over its multipart threshold: one CompleteMultipartUpload event (moto
    also sent ObjectCreated:Put)."""
    from boto3.s3.transfer import TransferConfig

    s3, sqs = boto3.client("s3", region_name=REGION), boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="multipart")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.create_bucket(Bucket="big")
    s3.put_bucket_notification_configuration(
        Bucket="big",
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    path = tmp_path / "big.mp4"
    path.write_bytes(b"v" * (6 * 1024 * 1024))
    config = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
    s3.upload_file(str(path), "big", "big.mp4", Config=config)

    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
        "Messages", []
    )
    records = [r for m in messages for r in json.loads(m["Body"]).get("Records", [])]
    assert [r["eventName"] for r in records] == ["ObjectCreated:CompleteMultipartUpload"]
    assert records[0]["s3"]["object"]["size"] == 6 * 1024 * 1024
