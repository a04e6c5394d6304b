"""A real moto server provisioned like a vidpipe stack, for the CLI's command tests (helpers; the fixtures
are in ``conftest.py``; this module has a unique name so that test modules can import it safely).

``provision_stack`` is deliberately independent of pytest so that the local runtime (or its tests) can reuse
or replace it: it creates what the CLI discovers through the stack's outputs (buckets, queue + DLQ, job
table with its two indexes, a state machine, the worker log group) and registers a CloudFormation stack
whose outputs carry the same keys as the deployed one.

The state machine is a stand-in for the pipeline: an execution named ``replay-...`` (what ``vidpipe
replay`` starts) waits a little and succeeds, any other execution fails with ``Worker.Crashed``, so tests
get FAILED executions to replay and replays that are RUNNING when the second ``replay`` looks at them.
"""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3

from vidpipe.contract.names import Output, Table

REGION = "us-east-1"
STACK = "VidpipeCliTest"

STAND_IN_DEFINITION = {
    "Comment": "CLI test stand-in: replays succeed after a wait, first runs fail.",
    "StartAt": "Route",
    "States": {
        "Route": {
            "Type": "Pass",
            "Parameters": {"name.$": "$$.Execution.Name"},
            "Next": "IsReplay",
        },
        "IsReplay": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.name", "StringMatches": "replay-*", "Next": "Analyze"}],
            "Default": "Crash",
        },
        "Analyze": {"Type": "Wait", "Seconds": 8, "Next": "Done"},
        "Done": {"Type": "Succeed"},
        "Crash": {"Type": "Fail", "Error": "Worker.Crashed", "Cause": "the worker exited with code 1"},
    },
}

# An empty stack that only carries outputs: moto's CloudFormation creates it without any real resource.
_TEMPLATE_RESOURCES = {"Placeholder": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}


@dataclass(frozen=True)
class Stack:
    """What :func:`provision_stack` created: the endpoint and the stack outputs."""

    endpoint_url: str
    name: str
    outputs: dict[str, str]

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )


def enable_state_machine_execution(endpoint_url: str) -> None:
    """Ask moto to interpret ASL definitions (by default its executions never run)."""
    request = urllib.request.Request(
        f"{endpoint_url}/moto-api/config",
        data=json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode(),
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).close()


def provision_stack(endpoint_url: str, name: str = STACK, prefix: str = "vidpipe-test") -> Stack:
    """Create the stack's resources in moto and register the stack with their names as outputs."""

    def client(service: str) -> Any:
        return Stack(endpoint_url, name, {}).client(service)

    s3, sqs, ddb, sfn, logs, iam = (
        client(s) for s in ("s3", "sqs", "dynamodb", "stepfunctions", "logs", "iam")
    )
    video_bucket, results_bucket = f"{prefix}-videos", f"{prefix}-results"
    for bucket in (video_bucket, results_bucket):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=video_bucket, VersioningConfiguration={"Status": "Enabled"})

    dlq_url = sqs.create_queue(QueueName=f"{prefix}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_url = sqs.create_queue(
        QueueName=f"{prefix}-queue",
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})},
    )["QueueUrl"]

    table = f"{prefix}-jobs"
    key_attributes = (Table.PARTITION_KEY, "status", Table.STATUS_INDEX_SORT, Table.OBJECT_INDEX_PARTITION)
    key_attributes += (Table.OBJECT_INDEX_SORT,)
    ddb.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in key_attributes],
        KeySchema=[{"AttributeName": Table.PARTITION_KEY, "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index,
                "KeySchema": [
                    {"AttributeName": partition, "KeyType": "HASH"},
                    {"AttributeName": sort, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index, partition, sort in (
                (Table.STATUS_INDEX, "status", Table.STATUS_INDEX_SORT),
                (Table.OBJECT_INDEX, Table.OBJECT_INDEX_PARTITION, Table.OBJECT_INDEX_SORT),
            )
        ],
    )

    role = iam.create_role(
        RoleName=f"{prefix}-sfn",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "states.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    state_machine_arn = sfn.create_state_machine(
        name=f"{prefix}-pipeline", definition=json.dumps(STAND_IN_DEFINITION), roleArn=role, type="STANDARD"
    )["stateMachineArn"]

    log_group = f"/{prefix}/worker"
    logs.create_log_group(logGroupName=log_group)

    outputs = {
        Output.VIDEO_BUCKET: video_bucket,
        Output.RESULTS_BUCKET: results_bucket,
        Output.QUEUE_URL: queue_url,
        Output.DLQ_URL: dlq_url,
        Output.STATE_MACHINE_ARN: state_machine_arn,
        Output.JOB_TABLE: table,
        Output.WORKER_LOG_GROUP: log_group,
        Output.WORKER_LOG_STREAM_PREFIX: "worker/worker",
    }
    template = {
        "Resources": _TEMPLATE_RESOURCES,
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    client("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(template))
    return Stack(endpoint_url, name, outputs)


def put_job(stack: Stack, **fields: Any) -> dict[str, Any]:
    """Write a job record as the pipeline would (defaults for the required fields; ``fields`` override)."""
    from boto3.dynamodb.types import TypeSerializer

    from vidpipe.cli.durations import iso
    from vidpipe.contract.identity import job_id_for, object_uri

    key = fields.pop("key", f"clips/{uuid.uuid4().hex[:8]}.mp4")
    bucket = stack.outputs[Output.VIDEO_BUCKET]
    version = fields.pop("version", uuid.uuid4().hex)
    now = iso(datetime.now(UTC))
    record = {
        "job_id": job_id_for(bucket, key, version, None),
        "status": "SUCCEEDED",
        "bucket": bucket,
        "key": key,
        "object_uri": object_uri(bucket, key),
        "version": version,
        "attempts": 1,
        "created_at": now,
        "updated_at": now,
        **fields,
    }
    if "execution_arn" in record:
        record.setdefault("execution_arns", [record["execution_arn"]])
    serializer = TypeSerializer()
    as_decimals = json.loads(json.dumps(record), parse_float=Decimal)  # DynamoDB numbers are decimals
    stack.client("dynamodb").put_item(
        TableName=stack.outputs[Output.JOB_TABLE],
        Item={k: serializer.serialize(v) for k, v in as_decimals.items()},
    )
    return record


def wait_for_execution(stack: Stack, arn: str, timeout: float = 20) -> str:
    """Poll an execution until it leaves RUNNING (with a deadline)."""
    sfn = stack.client("stepfunctions")
    deadline = time.monotonic() + timeout
    while True:
        status = sfn.describe_execution(executionArn=arn)["status"]
        if status != "RUNNING":
            return str(status)
        if time.monotonic() > deadline:
            raise TimeoutError(f"{arn} still RUNNING after {timeout}s")
        time.sleep(0.1)


def stand_in_execution(stack: Stack, prefix: str) -> tuple[str, str]:
    """Run the stand-in state machine to its end: (execution ARN, status). Names ``replay-*`` succeed,
    others fail."""
    sfn = stack.client("stepfunctions")
    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    arn = sfn.start_execution(
        stateMachineArn=stack.outputs[Output.STATE_MACHINE_ARN],
        name=name,
        input=json.dumps([{"messageId": name, "body": "{}"}]),
    )["executionArn"]
    return arn, wait_for_execution(stack, arn)


def failed_job(stack: Stack, **fields: Any) -> dict[str, Any]:
    """A job whose execution really FAILED in moto (the stand-in fails every first run)."""
    arn, status = stand_in_execution(stack, "run-")
    assert status == "FAILED"
    fields = {
        "status": "FAILED",
        "error": "Worker.Crashed",
        "cause": "the worker exited with code 1",
        "execution_arn": arn,
        **fields,
    }
    return put_job(stack, **fields)
