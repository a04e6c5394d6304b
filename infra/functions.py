"""The Lambda functions of tasks/ (one construct per handler, each with its own least-privilege role)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.bundling import LAMBDA_RUNTIME
from infra.settings import Settings


class TaskFunction(Construct):
    """One handler: its function, its log group (with retention) and a role that can write only there.

    The role is created here rather than by the Function construct, which would attach the managed
    AWSLambdaBasicExecutionRole policy (logs on every log group of the account).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, handler: str, description: str, code: lambda_.Code,
        environment: dict[str, str], settings: Settings, log_retention: logs.RetentionDays,
        removal: cdk.RemovalPolicy,
    ) -> None:  # fmt: skip
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention, removal_policy=removal)
        self.role = iam.Role(
            self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), description=description
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        self.function = lambda_.Function(
            self, "Function",
            description=description,
            runtime=LAMBDA_RUNTIME,
            architecture=(lambda_.Architecture.ARM_64 if settings.lambda_architecture == "ARM64"
                          else lambda_.Architecture.X86_64),
            handler=handler,
            code=code,
            role=self.role,
            log_group=self.log_group,
            memory_size=settings.lambda_memory_mib,
            timeout=cdk.Duration.seconds(settings.lambda_timeout_seconds),
            tracing=lambda_.Tracing.ACTIVE,
            environment={"POWERTOOLS_SERVICE_NAME": "vidpipe", **environment},
        )  # fmt: skip

    def allow(self, actions: list[str], resources: list[str]) -> None:
        """Add one statement to this function's role."""
        self.role.add_to_policy(iam.PolicyStatement(actions=actions, resources=resources))
