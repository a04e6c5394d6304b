"""What cleans up after the executions when their own paths cannot: the status-change rule and the reconciler.

Every failure inside an execution is recorded by the execution itself (RecordFailure). Two things stay
outside: executions that end where no Catch can see (ABORTED by StopExecution, TIMED_OUT, and a FAILED
execution whose failed Map stopped other iterations), handled by the status-change rule, and whatever
leaks even so (the rule's events are best effort), handled by a scheduled reconciler.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.functions import TaskFunction
from infra.settings import Settings

CLEANED_UP_STATUSES = ["ABORTED", "TIMED_OUT", "FAILED"]
STATUS_CHANGE_DETAIL_TYPE = "Step Functions Execution Status Change"
ASYNC_RETRIES = 2
"""Lambda's own retries of a failed asynchronous invocation (its default and maximum)."""
ASYNC_MAX_EVENT_AGE = cdk.Duration.hours(6)
"""The longest Lambda keeps an asynchronous event for retries (its default and maximum)."""


def _queue(scope: Construct, construct_id: str, settings: Settings) -> sqs.Queue:
    return sqs.Queue(
        scope, construct_id, encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
        retention_period=cdk.Duration.days(settings.dlq_retention_days),
    )  # fmt: skip


class FailureRecorder(Construct):
    """EventBridge rule: this state machine's executions that were ABORTED, TIMED_OUT or FAILED go to the
    status-change Lambda, which marks the jobs still in flight FAILED and releases their slots.

    "Step Functions Execution Status Change" events are delivered best effort, and EventBridge invokes the
    Lambda asynchronously, so two queues keep what fails visible (each alarmed): the rule's dead-letter
    queue (the event could not be delivered to Lambda) and the function's on-failure destination (the
    function failed on every one of Lambda's retries). The reconciler repairs what neither catches.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, state_machine: sfn.IStateMachine,
        function: TaskFunction,
    ) -> None:  # fmt: skip
        super().__init__(scope, construct_id)
        self.dead_letter_queue = _queue(self, "DeadLetterQueue", settings)
        self.failure_queue = _queue(self, "FailureQueue", settings)
        function.function.configure_async_invoke(
            on_failure=destinations.SqsDestination(self.failure_queue),
            retry_attempts=ASYNC_RETRIES,
            max_event_age=ASYNC_MAX_EVENT_AGE,
        )
        self.rule = events.Rule(
            self, "Rule",
            description="vidpipe: record aborted, timed-out and failed executions on their jobs",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=[STATUS_CHANGE_DETAIL_TYPE],
                detail={"status": CLEANED_UP_STATUSES, "stateMachineArn": [state_machine.state_machine_arn]},
            ),
            targets=[targets.LambdaFunction(
                function.function,
                retry_attempts=settings.status_change_retry_attempts,
                max_event_age=cdk.Duration.seconds(settings.status_change_max_event_age_seconds),
                dead_letter_queue=self.dead_letter_queue,
            )],
        )  # fmt: skip


class Reconciler(Construct):
    """An EventBridge Scheduler schedule that runs the reconcile Lambda every reconcilerIntervalMinutes.

    Scheduler invokes the function asynchronously; a failed run is simply followed by the next one, so
    the schedule keeps no dead-letter queue of its own (the function's Errors metric is alarmed).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, function: TaskFunction
    ) -> None:  # fmt: skip
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        # Confused-deputy protection as the Scheduler user guide recommends: only this account's schedules
        # (of the default group, where this schedule lives) may assume the role.
        self.role = iam.Role(
            self, "Role", description="vidpipe reconciler schedule: invoke the reconcile function",
            assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com", conditions={
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {"aws:SourceArn": stack.format_arn(
                    service="scheduler", resource="schedule-group", resource_name="default")},
            }),
        )  # fmt: skip
        self.schedule = scheduler.Schedule(
            self, "Schedule",
            description="vidpipe: repair slots and jobs left behind by ended executions",
            schedule=scheduler.ScheduleExpression.rate(cdk.Duration.minutes(settings.reconciler_interval_minutes)),
            target=scheduler_targets.LambdaInvoke(
                function.function,
                input=scheduler.ScheduleTargetInput.from_object({}),
                role=self.role,
                retry_attempts=0,  # the next run is the retry
            ),
        )  # fmt: skip
