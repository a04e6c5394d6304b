"""The Standard state machine (hand-written ASL from statemachine/) and the failure-recording rule."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.functions import TaskFunction
from infra.settings import Settings

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
ECS_EVENTS_RULE = "StepFunctionsGetEventsForECSTaskRule"
"""The managed EventBridge rule through which Step Functions learns that a .sync ECS task stopped."""


def execution_name_prefix(stack: cdk.Stack) -> str:
    """The state machine's name: ``<stack name>-pipeline``."""
    return f"{stack.stack_name}-pipeline"


def executions_arn(stack: cdk.Stack) -> str:
    """``arn:...:states:<region>:<account>:execution:<state machine name>:*``: this pipeline's executions."""
    return stack.format_arn(
        service="states", resource="execution", arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        resource_name=f"{execution_name_prefix(stack)}:*",
    )  # fmt: skip


def placeholders(definition: str) -> set[str]:
    """Names of the ``${Placeholder}`` values in an ASL text."""
    return set(PLACEHOLDER.findall(definition))


def load_definition(path: Path, timeout_seconds: int) -> str:
    """The ASL text as deployed: the file's definition with the overall timeout as top-level TimeoutSeconds.

    ``StateMachine(timeout=...)`` only applies to definitions built from CDK states, so the timeout is
    written into the definition itself; the local runtime then reads the same timeout from the template.
    """
    definition = json.loads(path.read_text(encoding="utf-8"))
    definition["TimeoutSeconds"] = timeout_seconds
    return json.dumps(definition, indent=2, ensure_ascii=False)


SUPPORTED_INTEGRATION = re.compile(
    r"arn:aws:states:::(lambda:invoke(\.waitForTaskToken)?|ecs:runTask(\.sync)?"
    r"|dynamodb:(getItem|putItem|updateItem|deleteItem)"
    r"|aws-sdk:dynamodb:[a-zA-Z]+)"
)
"""Task resources this stack grants permissions for; anything else in the ASL fails the synth."""


def task_resources(definition: str) -> set[str]:
    """The ``Resource`` of every Task state, Map and Parallel branches included."""
    found: set[str] = set()

    def walk(states: Mapping[str, Any]) -> None:
        for state in states.values():
            if state.get("Type") == "Task":
                found.add(state["Resource"])
            for key in ("ItemProcessor", "Iterator"):
                if key in state:
                    walk(state[key]["States"])
            for branch in state.get("Branches", []):
                walk(branch["States"])

    walk(json.loads(definition)["States"])
    return found


def dynamodb_actions(resources: set[str]) -> list[str]:
    """IAM actions of the DynamoDB integrations (``...:dynamodb:updateItem`` -> ``dynamodb:UpdateItem``)."""
    operations = {r.rsplit(":", 1)[1] for r in resources if ":dynamodb:" in r}
    return sorted(f"dynamodb:{op[0].upper()}{op[1:]}" for op in operations)


def execution_log_group_name(stack: cdk.Stack) -> str:
    """``/aws/vendedlogs/states/<stack>-pipeline-<stack id>``: the execution log group's name.

    The prefix: Step Functions adds each log group it delivers to to the account's CloudWatch Logs resource
    policy, which is limited to 5,120 characters; names under ``/aws/vendedlogs/`` avoid that growth ("prefix
    your CloudWatch Logs log group names with /aws/vendedlogs/",
    https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html).

    The suffix: the group is retained on ``cdk destroy`` (removalPolicy RETAIN), so a name fixed by the
    stack name alone would make the next deploy of the same stack fail with "already exists". The last
    part of ``AWS::StackId`` (a UUID) is new for every stack instance, so each deployment after a destroy
    gets its own group and the retained one keeps the old logs.
    """
    stack_uuid = cdk.Fn.select(2, cdk.Fn.split("/", cdk.Aws.STACK_ID))
    return f"/aws/vendedlogs/states/{stack.stack_name}-pipeline-{stack_uuid}"


class Workflow(Construct):
    """STANDARD state machine with logging, X-Ray and an explicitly granted role.

    The definition is hand-written ASL, so CDK cannot derive the grants from task constructs; each
    statement below matches one integration the ASL uses (Lambda invoke, DynamoDB items, ecs:runTask.sync).
    The DynamoDB actions are read from the definition's Task resources, so the role allows exactly the
    item operations the workflow performs; an integration this construct does not know fails the synth
    instead of failing at run time with AccessDenied.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, definition: str,
        substitutions: Mapping[str, str], functions: list[TaskFunction], table_arn: str,
        table_key: kms.IKey | None, cluster: ecs.ICluster, task_definition: ecs.TaskDefinition, log_retention: logs.RetentionDays,
        removal: cdk.RemovalPolicy,
    ) -> None:  # fmt: skip
        super().__init__(scope, construct_id)
        expected, given = placeholders(definition), set(substitutions)
        if expected != given:
            raise ValueError(
                "ASL placeholders and DefinitionSubstitutions differ: "
                f"not substituted {sorted(expected - given)}, unused {sorted(given - expected)}"
            )
        resources = task_resources(definition)
        unknown = sorted(r for r in resources if not SUPPORTED_INTEGRATION.fullmatch(r))
        if unknown:
            raise ValueError(f"the ASL uses integrations the state machine role has no grants for: {unknown}")
        stack = cdk.Stack.of(self)
        role = iam.Role(
            self, "Role", assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description="vidpipe state machine: invoke tasks, write job records, run the worker on Fargate",
        )  # fmt: skip
        role.add_to_policy(iam.PolicyStatement(
            actions=["lambda:InvokeFunction"],
            resources=[arn for f in functions for arn in (f.function.function_arn, f"{f.function.function_arn}:*")],
        ))  # fmt: skip
        if dynamodb_actions(resources):
            role.add_to_policy(
                iam.PolicyStatement(actions=dynamodb_actions(resources), resources=[table_arn])
            )
        if table_key is not None:
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                    resources=[table_key.key_arn],
                )
            )
        role.add_to_policy(iam.PolicyStatement(
            actions=["ecs:RunTask"],
            resources=[stack.format_arn(service="ecs", resource="task-definition",
                                        resource_name=f"{task_definition.family}:*")],
            conditions={"ArnEquals": {"ecs:cluster": cluster.cluster_arn}},
        ))  # fmt: skip
        role.add_to_policy(iam.PolicyStatement(
            actions=["ecs:StopTask", "ecs:DescribeTasks"],
            resources=[stack.format_arn(service="ecs", resource="task",
                                        resource_name=f"{cluster.cluster_name}/*")],
        ))  # fmt: skip
        passed = [task_definition.task_role.role_arn]
        if task_definition.execution_role is not None:
            passed.append(task_definition.execution_role.role_arn)
        role.add_to_policy(iam.PolicyStatement(
            actions=["iam:PassRole"], resources=passed,
            conditions={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        ))  # fmt: skip
        role.add_to_policy(iam.PolicyStatement(
            actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            resources=[stack.format_arn(service="events", resource="rule", resource_name=ECS_EVENTS_RULE)],
        ))  # fmt: skip

        self.log_group = logs.LogGroup(
            self, "Logs", log_group_name=execution_log_group_name(stack),
            retention=log_retention, removal_policy=removal,
        )  # fmt: skip
        self.state_machine = sfn.StateMachine(
            self, "StateMachine",
            # Named from the stack (unique per account and region) rather than generated: the functions the
            # definition invokes need DescribeExecution on its executions, and a generated name would make
            # their policies depend on the state machine that depends on their ARNs (a cycle).
            state_machine_name=execution_name_prefix(stack),
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_string(definition),
            definition_substitutions=dict(substitutions),
            role=role,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=self.log_group, level=sfn.LogLevel[settings.state_machine_log_level],
                include_execution_data=True,
            ),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )  # fmt: skip
        # The policy (not only the role) must exist before the state machine, or the first start may fail.
        self.state_machine.node.add_dependency(role.node.find_child("DefaultPolicy"))
        # cfn-lint's E1029 takes the ${...} placeholders for Fn::Sub variables; they are DefinitionSubstitutions.
        cfn = self.state_machine.node.default_child
        assert isinstance(cfn, cdk.CfnResource)
        cfn.add_metadata("cfn-lint", {"config": {"ignore_checks": ["E1029"]}})
