"""Alarms to an encrypted SNS topic, and one CloudWatch dashboard for the whole pipeline."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.settings import Settings

PIPES_NAMESPACE = "AWS/EventBridge/Pipes"
PIPE_FAILURE_METRICS = ("ExecutionFailed", "TargetStageFailed", "ExecutionTimeout")
"""Pipe metrics (dimension PipeName) that mean an execution could not be started."""


class Monitoring(Construct):
    """Alarms: failed/timed-out/aborted executions, throttled executions, messages in either DLQ, pipe
    failures, Lambda errors. The topic's key is customer-managed because CloudWatch alarms cannot publish to
    a topic encrypted with the AWS-managed ``alias/aws/sns`` key.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, state_machine: sfn.StateMachine,
        pipe: pipes.CfnPipe, dead_letter_queues: dict[str, sqs.IQueue], functions: dict[str, cdk.aws_lambda.IFunction],
        removal: cdk.RemovalPolicy,
    ) -> None:  # fmt: skip
        super().__init__(scope, construct_id)
        key = kms.Key(self, "TopicKey", enable_key_rotation=True, removal_policy=removal,
                      description="vidpipe: alarm topic")  # fmt: skip
        key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey"],
            resources=["*"],  # in a key policy "*" means this key
            conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
        ))  # fmt: skip
        self.topic = sns.Topic(self, "AlarmTopic", master_key=key, enforce_ssl=True,
                               display_name="vidpipe alarms")  # fmt: skip
        if settings.alarm_email:
            self.topic.add_subscription(subs.EmailSubscription(settings.alarm_email))
        action = cw_actions.SnsAction(self.topic)
        period = cdk.Duration.minutes(5)

        def alarm(alarm_id: str, metric: cw.Metric | cw.MathExpression, description: str) -> cw.Alarm:
            created = metric.create_alarm(
                self, alarm_id, threshold=1, evaluation_periods=1, alarm_description=description,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            )  # fmt: skip
            created.add_alarm_action(action)
            return created

        sm_failures = cw.MathExpression(
            expression="failed + timedout + aborted",
            using_metrics={
                "failed": state_machine.metric_failed(period=period, statistic="Sum"),
                "timedout": state_machine.metric_timed_out(period=period, statistic="Sum"),
                "aborted": state_machine.metric_aborted(period=period, statistic="Sum"),
            },
            label="Executions failed, timed out or aborted",
            period=period,
        )  # fmt: skip
        sm_throttled = state_machine.metric_throttled(period=period, statistic="Sum")
        pipe_failures = cw.MathExpression(
            expression=" + ".join(f"FILL(m{i}, 0)" for i in range(len(PIPE_FAILURE_METRICS))),
            using_metrics={
                f"m{i}": cw.Metric(namespace=PIPES_NAMESPACE, metric_name=name, period=period, statistic="Sum",
                                   dimensions_map={"PipeName": pipe.ref})
                for i, name in enumerate(PIPE_FAILURE_METRICS)
            },
            label="Pipe executions failed",
            period=period,
        )  # fmt: skip
        self.alarms = [
            alarm("ExecutionsFailedAlarm", sm_failures,
                  "An execution failed, timed out or was aborted: its job is FAILED; redrive or replay it."),
            alarm("ExecutionsThrottledAlarm", sm_throttled, "Step Functions throttled executions."),
            alarm("PipeFailuresAlarm", pipe_failures,
                  "The pipe could not start executions; messages are retried, then moved to the DLQ."),
        ]  # fmt: skip
        dlq_metrics = {}
        for name, queue in dead_letter_queues.items():
            metric = queue.metric_approximate_number_of_messages_visible(period=period, statistic="Maximum")
            dlq_metrics[name] = metric
            self.alarms.append(alarm(f"{name}MessagesAlarm", metric, f"Messages are waiting in the {name}."))
        error_metrics = {}
        for name, function in functions.items():
            metric = function.metric_errors(period=period, statistic="Sum")
            error_metrics[name] = metric
            self.alarms.append(alarm(f"{name}ErrorsAlarm", metric, f"The {name} Lambda function failed."))

        self.dashboard = cw.Dashboard(self, "Dashboard", default_interval=cdk.Duration.hours(6))
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Executions", width=12, left=[
                state_machine.metric_started(period=period, statistic="Sum"),
                state_machine.metric_succeeded(period=period, statistic="Sum"),
                sm_failures, sm_throttled]),
            cw.GraphWidget(title="Pipe", width=12, left=[
                cw.Metric(namespace=PIPES_NAMESPACE, metric_name="Invocations", period=period, statistic="Sum",
                          dimensions_map={"PipeName": pipe.ref}),
                pipe_failures]),
        )  # fmt: skip
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Dead-letter queues (visible messages)", width=12, left=list(dlq_metrics.values())),
            cw.GraphWidget(title="Lambda errors", width=12, left=list(error_metrics.values())),
        )  # fmt: skip
        self.dashboard.add_widgets(cw.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24))
