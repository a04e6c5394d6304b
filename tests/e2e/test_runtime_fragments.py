"""New kinds of stack resources provision and run locally, from small synthesized-template fragments: a
table with a composite key, an EventBridge Scheduler schedule (its period set by ``reconcile_seconds``), a
Lambda EventInvokeConfig routing failed asynchronous invocations to an SQS queue, and a
``lambda:invoke.waitForTaskToken`` state whose in-process handler sends its own task success."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e import fragment_handlers
from tests.e2e.conftest import wait_until
from vidpipe.local.runtime import LocalRuntime
from vidpipe.local.sfn_wait import wait_for_execution

pytestmark = pytest.mark.slow

HANDLERS = "tests.e2e.fragment_handlers"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {
                "Service": ["lambda.amazonaws.com", "scheduler.amazonaws.com", "states.amazonaws.com"]
            },
            "Action": "sts:AssumeRole",
        }
    ],
}
DEFINITION = {
    "StartAt": "AcquireSlot",
    "States": {
        "AcquireSlot": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {
                "FunctionName": "${GrantFunctionArn}",
                "Payload": {"token.$": "$$.Task.Token", "job.$": "$.job"},
            },
            "TimeoutSeconds": 30,
            "End": True,
        }
    },
}


def _function(handler: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Handler": f"{HANDLERS}.{handler}",
            "Runtime": "python3.12",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Code": {"ZipFile": "placeholder"},
        },
    }


FRAGMENT: dict[str, Any] = {
    "Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}},
        "SlotTable": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                "AttributeDefinitions": [
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                "BillingMode": "PAY_PER_REQUEST",
            },
        },
        "FailedTicks": {"Type": "AWS::SQS::Queue", "Properties": {}},
        "Tick": _function("tick"),
        "TickInvokeConfig": {
            "Type": "AWS::Lambda::EventInvokeConfig",
            "Properties": {
                "FunctionName": {"Ref": "Tick"},
                "Qualifier": "$LATEST",
                "MaximumRetryAttempts": 1,
                "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": ["FailedTicks", "Arn"]}}},
            },
        },
        "TickSchedule": {
            "Type": "AWS::Scheduler::Schedule",
            "Properties": {
                "ScheduleExpression": "rate(5 minutes)",
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "Target": {
                    "Arn": {"Fn::GetAtt": ["Tick", "Arn"]},
                    "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Input": '{"source": "schedule"}',
                },
            },
        },
        "Grant": _function("grant"),
        "Machine": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "DefinitionString": json.dumps(DEFINITION),
                "DefinitionSubstitutions": {"GrantFunctionArn": {"Fn::GetAtt": ["Grant", "Arn"]}},
                "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
            },
        },
    },
    "Outputs": {
        "SlotTableName": {"Value": {"Ref": "SlotTable"}},
        "StateMachineArn": {"Value": {"Ref": "Machine"}},
        "FailedTicksUrl": {"Value": {"Ref": "FailedTicks"}},
    },
}


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    with LocalRuntime(port=0, log_dir=None, template=FRAGMENT, reconcile_seconds=0.3) as rt:
        yield rt


def test_a_composite_key_table_is_created_as_declared(runtime: LocalRuntime) -> None:
    table = runtime.client("dynamodb").describe_table(TableName=runtime.outputs["SlotTableName"])["Table"]
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]


def test_the_schedule_invokes_its_lambda_every_local_period(runtime: LocalRuntime) -> None:
    seen = len(fragment_handlers.CALLS)
    wait_until(lambda: len(fragment_handlers.CALLS) >= seen + 2, 20, "two scheduled invocations")
    assert fragment_handlers.CALLS[-1] == {"source": "schedule"}
    [invoker] = runtime.schedules
    assert invoker.period == 0.3  # reconcile_seconds replaces rate(5 minutes)
    listed = runtime.client("scheduler").list_schedules()["Schedules"]
    assert [s["Name"] for s in listed] == [invoker.settings.name]


def test_a_failing_scheduled_invocation_is_retried_then_recorded_at_its_destination(
    runtime: LocalRuntime,
) -> None:
    sqs = runtime.client("sqs")
    fragment_handlers.FAILING.set()
    try:
        messages = wait_until(
            lambda: sqs.receive_message(QueueUrl=runtime.outputs["FailedTicksUrl"], WaitTimeSeconds=1).get(
                "Messages"
            ),
            30,
            "an invocation record at the on-failure destination",
        )
    finally:
        fragment_handlers.FAILING.clear()
    record = json.loads(messages[0]["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2  # MaximumRetryAttempts 1
    assert record["requestPayload"] == {"source": "schedule"}
    assert record["responsePayload"]["errorType"] == "TickFailed"


def test_a_wait_for_task_token_handler_can_send_its_own_success(runtime: LocalRuntime) -> None:
    sfn = runtime.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=runtime.outputs["StateMachineArn"], input=json.dumps({"job": "j-1"})
    )["executionArn"]
    done = wait_for_execution(sfn, arn, timeout=30)
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"]) == {"granted": "j-1"}
