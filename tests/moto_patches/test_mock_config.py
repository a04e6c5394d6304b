"""Step Functions Local mock config (SFN_MOCK_CONFIG, ``<arn>#TestCase``) on moto's interpreter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from vidpipe.local import sfn_mocks
from vidpipe.local.sfn_wait import wait_for_execution

from ._helpers import REGION, create_sm

TABLE = "jobs"


def _definition() -> dict[str, Any]:
    """Claim (real DynamoDB) -> Analyze (ECS .sync, mocked; retried on two error names) -> Record (Lambda)."""
    return {
        "StartAt": "Claim",
        "States": {
            "Claim": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": TABLE, "Item": {"pk": {"S.$": "$.job"}}},
                "ResultPath": None,
                "Next": "Analyze",
            },
            "Analyze": {
                "Type": "Task",
                "Resource": "arn:aws:states:::ecs:runTask.sync",
                "Parameters": {"Cluster": "c", "TaskDefinition": "td"},
                "Retry": [
                    {"ErrorEquals": ["ECS.AmazonECSException"], "IntervalSeconds": 1, "MaxAttempts": 2},
                    {"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1, "MaxAttempts": 1},
                ],
                "ResultSelector": {"StopCode.$": "$.StopCode", "ExitCode.$": "$.Containers[0].ExitCode"},
                "ResultPath": "$.task",
                "Next": "Record",
            },
            "Record": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "record", "Payload.$": "$"},
                "OutputPath": "$.Payload",
                "End": True,
            },
        },
    }


STOPPED_OK = {"Return": {"StopCode": "EssentialContainerExited", "Containers": [{"ExitCode": 0}]}}
CONFIG: dict[str, Any] = {
    "StateMachines": {
        "pipeline": {
            "TestCases": {
                "ThrottledTwiceThenSuccess": {"Analyze": "ThrottleTwice", "Record": "RecordOk"},
                "AlwaysCrashes": {"Analyze": "Crash", "Record": "RecordOk"},
                "Succeeds": {"Analyze": "Stopped", "Record": "RecordOk"},
            }
        }
    },
    "MockedResponses": {
        "ThrottleTwice": {
            "0-1": {"Throw": {"Error": "ECS.AmazonECSException", "Cause": "Rate exceeded"}},
            "2": STOPPED_OK,
        },
        "Crash": {
            "0-1": {
                "Throw": {"Error": "States.TaskFailed", "Cause": '{"StopCode":"EssentialContainerExited"}'}
            }
        },
        "Stopped": {"0": STOPPED_OK},
        "RecordOk": {"0": {"Return": {"StatusCode": 200, "Payload": {"status": "SUCCEEDED"}}}},
    },
}


@pytest.fixture
def pipeline(sfn: Any) -> str:
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return create_sm(sfn, _definition(), name="pipeline")


def _start(sfn: Any, arn: str, case: str) -> dict[str, Any]:
    execution = sfn.start_execution(stateMachineArn=f"{arn}#{case}", input=json.dumps({"job": case}))
    assert execution["executionArn"].startswith(arn.replace(":stateMachine:", ":execution:") + ":")
    return wait_for_execution(sfn, execution["executionArn"], timeout=20)


def _job_claimed(job: str) -> bool:
    item = boto3.client("dynamodb", region_name=REGION).get_item(TableName=TABLE, Key={"pk": {"S": job}})
    return "Item" in item


def _attempts(sfn: Any, execution_arn: str) -> list[str]:
    events = sfn.get_execution_history(executionArn=execution_arn)["events"]
    return [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]


def test_throw_with_counters_then_return(sfn: Any, pipeline: str) -> None:
    """Attempts "0-1" throw ECS.AmazonECSException (retried), attempt "2" returns; the unmocked DynamoDB
    state runs for real against moto."""
    with sfn_mocks.use_mock_config(CONFIG):
        result = _start(sfn, pipeline, "ThrottledTwiceThenSuccess")
    assert result["status"] == "SUCCEEDED", result
    assert json.loads(result["output"]) == {"status": "SUCCEEDED"}
    assert _attempts(sfn, result["executionArn"]) == ["ECS.AmazonECSException"] * 2
    assert _job_claimed("ThrottledTwiceThenSuccess")


def test_throw_of_states_task_failed_is_retried_then_fails(sfn: Any, pipeline: str) -> None:
    """A thrown ``States.TaskFailed`` matches Retry on States.TaskFailed and then fails the execution."""
    with sfn_mocks.use_mock_config(CONFIG):
        result = _start(sfn, pipeline, "AlwaysCrashes")
    assert result["status"] == "FAILED"
    assert result["error"] == "States.TaskFailed"
    assert json.loads(result["cause"]) == {"StopCode": "EssentialContainerExited"}
    assert _attempts(sfn, result["executionArn"]) == ["States.TaskFailed"] * 2


def test_config_from_sfn_mock_config_file(
    sfn: Any, pipeline: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SFN_MOCK_CONFIG environment variable names the JSON file, as for Step Functions Local."""
    path = tmp_path / "mocks.json"
    path.write_text(json.dumps(CONFIG), encoding="utf-8")
    monkeypatch.setenv("SFN_MOCK_CONFIG", str(path))
    assert _start(sfn, pipeline, "Succeeds")["status"] == "SUCCEEDED"


def test_unknown_test_case_and_bad_config_are_errors(sfn: Any, pipeline: str) -> None:
    with sfn_mocks.use_mock_config(CONFIG), pytest.raises(ClientError, match="NoSuchCase") as raised:
        sfn.start_execution(stateMachineArn=f"{pipeline}#NoSuchCase")
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    bad = {"StateMachines": {"pipeline": {"TestCases": {"x": {"Analyze": "Missing"}}}}, "MockedResponses": {}}
    with pytest.raises(sfn_mocks.MockConfigError, match="Missing"):
        sfn_mocks.set_mock_config(bad)
    assert sfn_mocks.current_mock_config() is None
