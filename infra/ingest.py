"""Upload to execution: S3 notifications -> SQS queue (+ DLQ) -> EventBridge Pipe -> state machine."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.settings import Settings
from vidpipe.contract.names import VIDEO_SUFFIXES

PIPE_FILTER: dict[str, Any] = {"body": {"Records": {"eventName": [{"prefix": "ObjectCreated:"}]}}}
"""Only real object-created records reach the state machine; s3:TestEvent (no Records) and anything else
is dropped by the pipe (and deleted from the queue)."""


def notification_suffixes() -> list[str]:
    """S3 suffix filters are case-sensitive: each video suffix in lower and upper case (.mp4, .MP4)."""
    suffixes: list[str] = []
    for suffix in VIDEO_SUFFIXES:
        for variant in (suffix.lower(), suffix.upper()):
            if variant not in suffixes:
                suffixes.append(variant)
    return suffixes


class Ingest(Construct):
    """The queue that buffers S3 notifications and the pipe that starts one execution per batch.

    The queue uses SQS-managed encryption: S3 cannot publish to a queue encrypted with the AWS-managed
    ``alias/aws/sqs`` key, and SQS-managed SSE needs no key policy. A start that fails (throttling, a
    deleted state machine) is retried by SQS redelivery and ends in the DLQ after ``queueMaxReceiveCount``.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, video_bucket: s3.IBucket,
        state_machine: sfn.IStateMachine, log_retention: logs.RetentionDays, removal: cdk.RemovalPolicy,
    ) -> None:  # fmt: skip
        super().__init__(scope, construct_id)
        self.dead_letter_queue = sqs.Queue(
            self, "DeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(settings.dlq_retention_days),
        )  # fmt: skip
        self.queue = sqs.Queue(
            self, "Queue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=cdk.Duration.seconds(settings.queue_visibility_timeout_seconds),
            retention_period=cdk.Duration.days(settings.queue_retention_days),
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=settings.queue_max_receive_count, queue=self.dead_letter_queue),
        )  # fmt: skip
        destination = s3n.SqsDestination(self.queue)
        for suffix in notification_suffixes():
            video_bucket.add_event_notification(
                s3.EventType.OBJECT_CREATED, destination, s3.NotificationKeyFilter(suffix=suffix)
            )

        self.log_group = logs.LogGroup(self, "PipeLogs", retention=log_retention, removal_policy=removal)
        role = iam.Role(
            self, "PipeRole",
            assumed_by=iam.ServicePrincipal("pipes.amazonaws.com", conditions={
                "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}}),
            description="vidpipe pipe: read the upload queue, start executions, write pipe logs",
        )  # fmt: skip
        role.add_to_policy(iam.PolicyStatement(
            actions=["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            resources=[self.queue.queue_arn],
        ))  # fmt: skip
        role.add_to_policy(iam.PolicyStatement(
            actions=["states:StartExecution"], resources=[state_machine.state_machine_arn]))  # fmt: skip
        role.add_to_policy(iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[self.log_group.log_group_arn],
        ))  # fmt: skip

        self.pipe = pipes.CfnPipe(
            self, "Pipe",
            role_arn=role.role_arn,
            source=self.queue.queue_arn,
            target=state_machine.state_machine_arn,
            desired_state="RUNNING",
            description="vidpipe: S3 object-created notifications -> one Step Functions execution per batch",
            source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                sqs_queue_parameters=pipes.CfnPipe.PipeSourceSqsQueueParametersProperty(
                    batch_size=settings.pipe_batch_size,
                    maximum_batching_window_in_seconds=settings.pipe_maximum_batching_window_seconds,
                ),
                filter_criteria=pipes.CfnPipe.FilterCriteriaProperty(
                    filters=[pipes.CfnPipe.FilterProperty(pattern=json.dumps(PIPE_FILTER))]),
            ),
            target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
                step_function_state_machine_parameters=pipes.CfnPipe.PipeTargetStateMachineParametersProperty(
                    invocation_type="FIRE_AND_FORGET"),
            ),
            log_configuration=pipes.CfnPipe.PipeLogConfigurationProperty(
                level=settings.pipe_log_level,
                cloudwatch_logs_log_destination=pipes.CfnPipe.CloudwatchLogsLogDestinationProperty(
                    log_group_arn=self.log_group.log_group_arn),
            ),
        )  # fmt: skip
        # The role's policy must exist before the pipe starts polling, or the first polls fail.
        self.pipe.node.add_dependency(role.node.find_child("DefaultPolicy"))
