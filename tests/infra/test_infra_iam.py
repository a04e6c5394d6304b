"""IAM: no `*` action, no service-wide wildcard, resource `*` only where AWS offers no resource scoping."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from infra_support import Synth

RESOURCE_STAR_ALLOWED: dict[str, str] = {
    "xray:PutTraceSegments": "X-Ray has no resource-level permissions (Lambda and state machine tracing).",
    "xray:PutTelemetryRecords": "X-Ray has no resource-level permissions.",
    "xray:GetSamplingRules": "X-Ray has no resource-level permissions (state machine tracing).",
    "xray:GetSamplingTargets": "X-Ray has no resource-level permissions (state machine tracing).",
    "logs:CreateLogDelivery": "Vended-log delivery APIs used by Step Functions logging require '*'.",
    "logs:GetLogDelivery": "Vended-log delivery APIs require '*'.",
    "logs:UpdateLogDelivery": "Vended-log delivery APIs require '*'.",
    "logs:DeleteLogDelivery": "Vended-log delivery APIs require '*'.",
    "logs:ListLogDeliveries": "Vended-log delivery APIs require '*'.",
    "logs:PutResourcePolicy": "Step Functions logging sets the log group's resource policy; '*' per AWS docs.",
    "logs:DescribeResourcePolicies": "Account-level read; no resource scoping.",
    "logs:DescribeLogGroups": "Step Functions logging describes log groups; '*' per AWS docs.",
    "ecr:GetAuthorizationToken": "Account-level ECR token for pulling the worker image; no resource scoping.",
    "states:SendTaskSuccess": "No resource-level permissions (Service Authorization Reference for Step "
    "Functions: no resource type); the slot pool wakes the AcquireSlot state it hands a slot to.",
}
"""Every action that may have Resource '*', with the reason. Anything else must name this stack's ARNs."""


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def identity_statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(logical id, statement) of every identity policy: AWS::IAM::Policy and inline role policies."""
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Policy":
            for statement in props["PolicyDocument"]["Statement"]:
                yield logical_id, statement
        if resource["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                for statement in policy["PolicyDocument"]["Statement"]:
                    yield logical_id, statement


@pytest.fixture(scope="module", params=["default", "variant"])
def stack_template(request: pytest.FixtureRequest) -> dict[str, Any]:
    synth: Synth = request.getfixturevalue("synth" if request.param == "default" else "variant")
    return synth.template


def test_no_star_and_no_service_wildcard_action(stack_template: dict[str, Any]) -> None:
    for logical_id, statement in identity_statements(stack_template):
        for action in _as_list(statement["Action"]):
            assert "*" not in action, f"{logical_id}: wildcard action {action}"
        assert "NotAction" not in statement and "NotResource" not in statement, logical_id


def test_resource_star_only_for_allow_listed_actions(stack_template: dict[str, Any]) -> None:
    for logical_id, statement in identity_statements(stack_template):
        if "*" in _as_list(statement["Resource"]):
            for action in _as_list(statement["Action"]):
                assert action in RESOURCE_STAR_ALLOWED, f"{logical_id}: {action} on '*' is not allow-listed"


def test_other_resources_are_this_stacks_arns(stack_template: dict[str, Any]) -> None:
    """Every non-'*' resource is a reference to a resource of this stack, or an ARN built from this stack's
    partition/region/account with a name from this stack (no hard-coded foreign ARN)."""
    logical_ids = set(stack_template["Resources"])
    families = {r["Properties"]["Family"] for r in stack_template["Resources"].values()
                if r["Type"] == "AWS::ECS::TaskDefinition"}  # fmt: skip
    machines = {r["Properties"]["StateMachineName"] for r in stack_template["Resources"].values()
                if r["Type"] == "AWS::StepFunctions::StateMachine"}  # fmt: skip
    for logical_id, statement in identity_statements(stack_template):
        for resource in _as_list(statement["Resource"]):
            if resource == "*":
                continue
            text = json.dumps(resource)
            referenced = {ref for ref in logical_ids if f'"{ref}"' in text}
            managed_rule = "rule/StepFunctionsGetEventsForECSTaskRule" in text
            family = any(f"task-definition/{f}:" in text for f in families)
            # The image asset lives in the CDK bootstrap's container-assets repository of this account/region.
            asset_repository = "container-assets-${AWS::AccountId}-${AWS::Region}" in text
            # The state machine is named after the stack (no cycle with the functions it invokes).
            own_executions = any(f":execution:{m}:*" in text for m in machines)
            assert referenced or managed_rule or family or asset_repository or own_executions, (
                f"{logical_id}: {text} names no resource of this stack"
            )
            if isinstance(resource, str):
                pytest.fail(f"{logical_id}: literal ARN {resource}")


def _policy_of(template: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [s for lid, s in identity_statements(template) if lid.startswith(prefix)]


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements for a in _as_list(s["Action"])}


def test_state_machine_role(synth: Synth, asl_text: str) -> None:
    from infra.workflow import dynamodb_actions, task_resources

    statements = _policy_of(synth.template, "WorkflowRole")
    table_actions = {a for a in _actions(statements) if a.startswith("dynamodb:")}
    assert table_actions == set(dynamodb_actions(task_resources(asl_text)))
    assert "dynamodb:UpdateItem" in table_actions  # claim, slot and status updates
    assert _actions(statements) >= {
        "lambda:InvokeFunction", "ecs:RunTask",
        "ecs:StopTask", "ecs:DescribeTasks", "iam:PassRole", "events:PutTargets", "events:PutRule",
        "events:DescribeRule",
    }  # fmt: skip
    by_action = {a: s for s in statements for a in _as_list(s["Action"])}
    run_task = json.dumps(by_action["ecs:RunTask"]["Resource"])
    assert "task-definition/" in run_task and ':*"' in run_task
    assert "ecs:cluster" in json.dumps(by_action["ecs:RunTask"]["Condition"])
    assert ":task/" in json.dumps(by_action["ecs:StopTask"]["Resource"])
    passed = json.dumps(by_action["iam:PassRole"]["Resource"])
    assert "WorkerTaskRole" in passed and "ExecutionRole" in passed
    assert by_action["iam:PassRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    }
    assert "rule/StepFunctionsGetEventsForECSTaskRule" in json.dumps(by_action["events:PutRule"]["Resource"])
    invoke = json.dumps(by_action["lambda:InvokeFunction"]["Resource"])
    for name in ("Prepare", "AcquireSlot", "Record", "RecordFailure", "Conclude"):
        assert f'"{name}Function' in invoke, name
    assert "StatusChangeFunction" not in invoke and "ReconcileFunction" not in invoke


def test_pipe_role(synth: Synth) -> None:
    statements = _policy_of(synth.template, "IngestPipeRole")
    assert _actions(statements) == {
        "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "states:StartExecution",
        "logs:CreateLogStream", "logs:PutLogEvents",
    }  # fmt: skip
    (start,) = [s for s in statements if s["Action"] == "states:StartExecution"]
    assert start["Resource"]["Ref"].startswith("WorkflowStateMachine")


def test_task_role_reads_videos_and_writes_only_results(synth: Synth) -> None:
    statements = _policy_of(synth.template, "WorkerTaskRole")
    assert _actions(statements) == {"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"}
    (put,) = [s for s in statements if s["Action"] == "s3:PutObject"]
    assert "StorageResultsBucket" in json.dumps(put["Resource"]) and "/jobs/*" in json.dumps(put["Resource"])


SLOT_POOL = {
    "dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem", "states:SendTaskSuccess", "states:DescribeExecution",
}  # fmt: skip


def test_function_roles(synth: Synth) -> None:
    """Each function can make exactly the calls its handler makes."""
    logs = {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}
    expected = {
        "Prepare": {"s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "dynamodb:GetItem",
                    "dynamodb:PutItem", "dynamodb:UpdateItem"},
        "AcquireSlot": SLOT_POOL,
        "Record": {"s3:GetObject"} | SLOT_POOL,
        "RecordFailure": SLOT_POOL,
        "Conclude": set(),
        # Lambda sends failed asynchronous invocations to the on-failure queue with the function's own role.
        "StatusChange": SLOT_POOL | {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"},
        "Reconcile": SLOT_POOL,
    }  # fmt: skip
    for name, actions in expected.items():
        assert _actions(_policy_of(synth.template, f"{name}Role")) == logs | actions, name
    for name in ("AcquireSlot", "Record", "RecordFailure", "StatusChange", "Reconcile"):
        statements = _policy_of(synth.template, f"{name}Role")
        (describe,) = [s for s in statements if s["Action"] == "states:DescribeExecution"]
        assert ":execution:" in json.dumps(describe["Resource"])
        slot_writes = [s for s in statements if s["Action"] == "dynamodb:ConditionCheckItem"
                       or "dynamodb:ConditionCheckItem" in _as_list(s["Action"])]  # fmt: skip
        assert all("StorageSlotTable" in json.dumps(s["Resource"]) for s in slot_writes), name
    (send,) = [s for s in _policy_of(synth.template, "StatusChangeRole") if "sqs:SendMessage" in s["Action"]]
    assert "FailuresFailureQueue" in json.dumps(send["Resource"])
    (query,) = [s for s in _policy_of(synth.template, "ReconcileRole") if s["Action"] == "dynamodb:Query"]
    assert json.dumps(query["Resource"]).endswith('/index/*"]}') or "/index/*" in json.dumps(
        query["Resource"]
    )


def test_no_function_uses_a_managed_policy_except_cdks_notification_handler(synth: Synth) -> None:
    for logical_id, role in synth.resources("AWS::IAM::Role").items():
        if role["Properties"].get("ManagedPolicyArns"):
            assert logical_id.startswith("BucketNotificationsHandler"), logical_id
