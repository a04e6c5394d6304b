"""The vidpipe stack: wires storage, ingest, compute, functions, workflow and monitoring together."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.bundling import lambda_code
from infra.compute import WORKER_LOG_STREAM_PREFIX, Network, Worker
from infra.functions import TaskFunction
from infra.ingest import Ingest
from infra.monitoring import Monitoring
from infra.paths import REPO_ROOT
from infra.settings import LOG_RETENTION_DAYS, Settings
from infra.storage import Storage, removal_policy
from infra.workflow import FailureRecorder, Workflow, load_definition
from vidpipe.contract.names import RESULTS_PREFIX, WORKER_CONTAINER_NAME, Output, TaskEnv


def retention_days(days: int) -> logs.RetentionDays:
    """The RetentionDays member for a number of days (jsii enums are keyed by name, not by value)."""
    members = [m for m in logs.RetentionDays if m.name != "INFINITE"]  # declared in ascending order
    return dict(zip(LOG_RETENTION_DAYS, members, strict=True))[days]


class VidpipeStack(cdk.Stack):
    """One stack, environment-agnostic (no account/region: no lookups, synth works offline)."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description="vidpipe: video analysis on every upload", **kwargs)
        self.settings = settings
        retention = retention_days(settings.log_retention_days)
        removal = removal_policy(settings)

        storage = Storage(self, "Storage", settings=settings)
        network = Network(self, "Network", settings=settings, log_retention=retention, removal=removal)
        worker = Worker(
            self, "Worker", settings=settings, network=network, video_bucket=storage.video_bucket,
            results_bucket=storage.results_bucket, bucket_key=storage.bucket_key, log_retention=retention,
            removal=removal,
        )  # fmt: skip

        code = lambda_code(settings.lambda_architecture)
        environment = {
            TaskEnv.TABLE: storage.table.table_name,
            TaskEnv.RESULTS_BUCKET: storage.results_bucket.bucket_name,
            TaskEnv.MAX_BYTES: str(settings.worker_max_bytes),
        }

        def task_function(
            construct_id: str, handler: str, description: str, env: dict[str, str]
        ) -> TaskFunction:
            return TaskFunction(
                self, construct_id, handler=handler, description=description, code=code, environment=env,
                settings=settings, log_retention=retention, removal=removal,
            )  # fmt: skip

        prepare = task_function(
            "Prepare",
            "tasks.prepare.handler",
            "vidpipe prepare: parse, validate and check the uploaded object",
            environment,
        )
        record = task_function(
            "Record",
            "tasks.record.handler",
            "vidpipe record: write the analysis outcome to the job record",
            environment,
        )
        self._grant_tasks(storage, prepare, record)

        substitutions = {
            "PrepareFunctionArn": prepare.function.function_arn,
            "RecordFunctionArn": record.function.function_arn,
            "JobTableName": storage.table.table_name,
            "ClusterArn": worker.cluster.cluster_arn,
            "TaskDefinitionArn": worker.task_definition.task_definition_arn,
            "SubnetIds": cdk.Fn.join(",", network.subnet_ids),
            "SecurityGroupIds": network.security_group.security_group_id,
            "AssignPublicIp": network.assign_public_ip,
            "MaxConcurrentTasks": str(settings.max_concurrent_tasks),
        }
        definition = load_definition(
            REPO_ROOT / settings.state_machine_definition, settings.execution_timeout_seconds
        )
        workflow = Workflow(
            self, "Workflow", settings=settings, definition=definition, substitutions=substitutions,
            functions=[prepare, record], table_arn=storage.table.table_arn, table_key=storage.table_key,
            cluster=worker.cluster,
            task_definition=worker.task_definition, log_retention=retention, removal=removal,
        )  # fmt: skip
        state_machine = workflow.state_machine

        status_change = task_function(
            "StatusChange", "tasks.status_change.handler",
            "vidpipe status change: mark the job of a failed execution FAILED, release its slot",
            environment,
        )  # fmt: skip
        status_change.allow(
            ["states:DescribeExecution"],
            [self.format_arn(service="states", resource="execution", arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                             resource_name=f"{state_machine.state_machine_name}:*")],
        )  # fmt: skip
        status_change.allow(
            ["dynamodb:UpdateItem"],
            [storage.table.table_arn, f"{storage.table.table_arn}/index/*"],
        )
        self._grant_table_key(storage, status_change)
        failures = FailureRecorder(self, "Failures", settings=settings, state_machine=state_machine,
                                   function=status_change)  # fmt: skip

        ingest = Ingest(
            self, "Ingest", settings=settings, video_bucket=storage.video_bucket, state_machine=state_machine,
            log_retention=retention, removal=removal,
        )  # fmt: skip
        monitoring = Monitoring(
            self, "Monitoring", settings=settings, state_machine=state_machine, pipe=ingest.pipe,
            dead_letter_queues={"UploadDLQ": ingest.dead_letter_queue, "StatusChangeDLQ": failures.dead_letter_queue},
            functions={"Prepare": prepare.function, "Record": record.function,
                       "StatusChange": status_change.function},
            removal=removal,
        )  # fmt: skip

        region = cdk.Aws.REGION
        console = f"https://{region}.console.aws.amazon.com"
        outputs = {
            Output.VIDEO_BUCKET: storage.video_bucket.bucket_name,
            Output.RESULTS_BUCKET: storage.results_bucket.bucket_name,
            Output.QUEUE_URL: ingest.queue.queue_url,
            Output.DLQ_URL: ingest.dead_letter_queue.queue_url,
            Output.STATE_MACHINE_ARN: state_machine.state_machine_arn,
            Output.JOB_TABLE: storage.table.table_name,
            Output.WORKER_LOG_GROUP: worker.log_group.log_group_name,
            Output.WORKER_LOG_STREAM_PREFIX: f"{WORKER_LOG_STREAM_PREFIX}/{WORKER_CONTAINER_NAME}",
            Output.CLUSTER_ARN: worker.cluster.cluster_arn,
            Output.CONSOLE_URL: f"{console}/states/home?region={region}#/statemachines/view/"
            f"{state_machine.state_machine_arn}",
            Output.DASHBOARD_URL: f"{console}/cloudwatch/home?region={region}#dashboards:name="
            f"{monitoring.dashboard.dashboard_name}",
        }
        for key, value in outputs.items():
            cdk.CfnOutput(self, key, value=value)

        self.storage, self.network, self.worker, self.workflow = storage, network, worker, workflow
        self.ingest, self.failures, self.monitoring = ingest, failures, monitoring
        self.functions = {"prepare": prepare, "record": record, "status_change": status_change}

    def _grant_tasks(self, storage: Storage, prepare: TaskFunction, record: TaskFunction) -> None:
        """prepare reads the uploaded object's metadata and creates job records; record reads results.

        s3:ListBucket lets HeadObject on a missing key answer 404 (not 403), so prepare can tell a deleted
        upload (REJECTED) from a permission problem. record writes the verdict and releases the slot with
        two UpdateItem calls (no transaction; DynamoDB would authorise one per item action anyway: there is
        no TransactWriteItems IAM action).
        """
        prepare.allow(["s3:GetObject", "s3:GetObjectVersion"], [storage.video_bucket.arn_for_objects("*")])
        prepare.allow(["s3:ListBucket"], [storage.video_bucket.bucket_arn])
        prepare.allow(["dynamodb:PutItem"], [storage.table.table_arn])
        record.allow(["s3:GetObject"], [storage.results_bucket.arn_for_objects(f"{RESULTS_PREFIX}*")])
        record.allow(["dynamodb:UpdateItem"], [storage.table.table_arn])
        if storage.bucket_key is not None:
            prepare.allow(["kms:Decrypt"], [storage.bucket_key.key_arn])
            record.allow(["kms:Decrypt"], [storage.bucket_key.key_arn])
        for function in (prepare, record):
            self._grant_table_key(storage, function)

    @staticmethod
    def _grant_table_key(storage: Storage, function: TaskFunction) -> None:
        if storage.table_key is not None:
            function.allow(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], [storage.table_key.key_arn])
