"""The real pipeline definition runs on patched moto: Spot interruption -> on-demand fallback -> Record.

A compatibility check of the patches against statemachine/pipeline.asl.json (the definition tests own its
paths, with the real handlers); here the Lambda handlers are minimal stand-ins registered in-process (the
slot is granted at once through SendTaskSuccess, as AcquireSlot does), ECS tasks are finished by a fake agent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from vidpipe.local import moto_patches
from vidpipe.local.sfn_wait import wait_for_execution

from ._agent import FakeAgent
from ._helpers import REGION, ROLE_ARN, create_function

ASL = Path(__file__).resolve().parents[2] / "statemachine" / "pipeline.asl.json"
JOB = {
    "job_id": "j1",
    "bucket": "videos",
    "key": "a b.mp4",
    "version": "v1",
    "etag": "e",
    "size": 1,
    "object_uri": "s3://videos/a b.mp4",
    "results_bucket": "results",
    "results_key": "jobs/j1/results.json",
}


def _definition(ecs_env: dict[str, str]) -> str:
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="jobs",
        KeySchema=[{"AttributeName": "job_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "job_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    boto3.client("dynamodb", region_name=REGION).put_item(
        TableName="jobs",
        Item={"job_id": {"S": "j1"}, "status": {"S": "RECEIVED"}, "execution_arn": {"S": "set below"}},
    )
    values = {
        "PrepareFunctionArn": create_function("prepare"),
        "AcquireSlotFunctionArn": create_function("acquire_slot"),
        "RecordFunctionArn": create_function("record"),
        "RecordFailureFunctionArn": create_function("record_failure"),
        "ConcludeFunctionArn": create_function("conclude"),
        "JobTableName": "jobs",
        "ClusterArn": ecs_env["cluster"],
        "TaskDefinitionFamily": ecs_env["task_definition"].rsplit("/", 1)[-1].split(":")[0],
        "SubnetIds": ecs_env["subnet"],
        "SecurityGroupIds": ecs_env["security_group"],
        "AssignPublicIp": "ENABLED",
        "FirstCapacityProvider": "FARGATE_SPOT",
        "MaxConcurrentTasks": "2",
        "SlotWaitSeconds": "60",
        "AnalysisTimeoutSeconds": "60",
    }
    text = ASL.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    return text


@pytest.mark.skipif(not ASL.exists(), reason="no pipeline definition yet")
def test_pipeline_spot_interruption_falls_back_to_on_demand(sfn: Any, ecs_env: dict[str, str]) -> None:
    definition = _definition(ecs_env)
    recorded: list[dict[str, Any]] = []

    def prepare(event: dict[str, Any], context: Any) -> dict[str, Any]:
        boto3.client("dynamodb", region_name=REGION).update_item(  # the claim: this execution owns the job
            TableName="jobs",
            Key={"job_id": {"S": "j1"}},
            UpdateExpression="SET execution_arn = :e",
            ExpressionAttributeValues={":e": {"S": event["execution_arn"]}},
        )
        return {"jobs": [JOB], "skipped": []}

    def acquire_slot(event: dict[str, Any], context: Any) -> dict[str, Any]:
        boto3.client("stepfunctions", region_name=REGION).send_task_success(
            taskToken=event["token"], output="{}"
        )
        return {}

    moto_patches.register_lambda_handler("prepare", prepare)
    moto_patches.register_lambda_handler("acquire_slot", acquire_slot)
    moto_patches.register_lambda_handler("conclude", lambda event, context: {"outcomes": event["outcomes"]})
    moto_patches.register_lambda_handler(
        "record",
        lambda event, context: (
            recorded.append(event) or {"job_id": event["job"]["job_id"], "status": "SUCCEEDED"}
        ),
    )
    arn = sfn.create_state_machine(name="pipeline", definition=definition, roleArn=ROLE_ARN)[
        "stateMachineArn"
    ]
    with FakeAgent([(143, "SpotInterruption"), (0, "EssentialContainerExited")]) as agent:
        execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps([{"body": "{}"}]))
        result = wait_for_execution(sfn, execution["executionArn"], timeout=30)
    assert result["status"] == "SUCCEEDED", result
    providers = [launch.capacity_provider_strategy[0]["capacityProvider"] for launch in agent.launches]
    assert providers == ["FARGATE_SPOT", "FARGATE"]
    assert recorded and recorded[0]["task"]["task_arn"] == agent.launches[1].task_arn
