"""The vidpipe stack: wires storage, ingest, compute, functions, workflow and monitoring together."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import grants
from infra.bundling import lambda_code
from infra.compute import WORKER_LOG_STREAM_PREFIX, Network, Worker
from infra.functions import TaskFunction
from infra.ingest import Ingest
from infra.monitoring import Monitoring
from infra.paths import REPO_ROOT
from infra.repairs import FailureRecorder, Reconciler
from infra.settings import LOG_RETENTION_DAYS, Settings
from infra.storage import Storage, removal_policy
from infra.workflow import Workflow, load_definition
from vidpipe.contract.names import WORKER_CONTAINER_NAME, Output, TaskEnv


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
            TaskEnv.SLOT_TABLE: storage.slot_table.table_name,
            TaskEnv.RESULTS_BUCKET: storage.results_bucket.bucket_name,
            TaskEnv.MAX_BYTES: str(settings.worker_max_bytes),
        }

        def task_function(construct_id: str, handler: str, description: str) -> TaskFunction:
            return TaskFunction(
                self, construct_id, handler=handler, description=description, code=code,
                environment=environment, settings=settings, log_retention=retention, removal=removal,
            )  # fmt: skip

        functions = {
            "prepare": task_function("Prepare", "tasks.prepare.handler",
                                     "vidpipe prepare: parse, validate, check and claim the uploaded objects"),
            "acquire_slot": task_function("AcquireSlot", "tasks.acquire_slot.handler",
                                          "vidpipe acquire slot: take an analysis slot or wait for one"),
            "record": task_function("Record", "tasks.record.handler",
                                    "vidpipe record: write the analysis outcome, hand the slot on"),
            "record_failure": task_function("RecordFailure", "tasks.record_failure.handler",
                                            "vidpipe record failure: mark the job FAILED, hand the slot on"),
            "conclude": task_function("Conclude", "tasks.conclude.handler",
                                      "vidpipe conclude: succeed, fail, or re-run failed jobs after a redrive"),
            "status_change": task_function("StatusChange", "tasks.status_change.handler",
                                           "vidpipe status change: clean up after aborted and failed executions"),
            "reconcile": task_function("Reconcile", "tasks.reconcile.handler",
                                       "vidpipe reconcile: repair slots and jobs of ended executions"),
        }  # fmt: skip
        grants.grant_tasks(self, storage, functions)

        substitutions = {
            "PrepareFunctionArn": functions["prepare"].function.function_arn,
            "AcquireSlotFunctionArn": functions["acquire_slot"].function.function_arn,
            "RecordFunctionArn": functions["record"].function.function_arn,
            "RecordFailureFunctionArn": functions["record_failure"].function.function_arn,
            "ConcludeFunctionArn": functions["conclude"].function.function_arn,
            "JobTableName": storage.table.table_name,
            "ClusterArn": worker.cluster.cluster_arn,
            # The family, not the revisioned ARN: RunTask then uses the latest ACTIVE revision, so a redrive
            # after a deploy (which deregisters the old revision) runs the current worker.
            "TaskDefinitionFamily": worker.task_definition.family,
            "SubnetIds": cdk.Fn.join(",", network.subnet_ids),
            "SecurityGroupIds": network.security_group.security_group_id,
            "AssignPublicIp": network.assign_public_ip,
            "FirstCapacityProvider": settings.first_capacity_provider,
            "MaxConcurrentTasks": str(settings.max_concurrent_tasks),
            "SlotWaitSeconds": str(settings.slot_wait_seconds),
            "AnalysisTimeoutSeconds": str(settings.analysis_timeout_seconds),
        }
        definition = load_definition(
            REPO_ROOT / settings.state_machine_definition, settings.execution_timeout_seconds
        )
        workflow = Workflow(
            self, "Workflow", settings=settings, definition=definition, substitutions=substitutions,
            functions=[functions[name] for name in grants.INVOKED_BY_STATE_MACHINE], table_arn=storage.table.table_arn,
            table_key=storage.table_key, cluster=worker.cluster,
            task_definition=worker.task_definition, log_retention=retention, removal=removal,
        )  # fmt: skip
        state_machine = workflow.state_machine
        failures = FailureRecorder(self, "Failures", settings=settings, state_machine=state_machine,
                                   function=functions["status_change"])  # fmt: skip
        reconciler = Reconciler(self, "Reconciler", settings=settings, function=functions["reconcile"])

        ingest = Ingest(
            self, "Ingest", settings=settings, video_bucket=storage.video_bucket, state_machine=state_machine,
            log_retention=retention, removal=removal,
        )  # fmt: skip
        monitoring = Monitoring(
            self, "Monitoring", settings=settings, state_machine=state_machine, pipe=ingest.pipe,
            dead_letter_queues={"UploadDLQ": ingest.dead_letter_queue, "StatusChangeDLQ": failures.dead_letter_queue,
                                "StatusChangeFailures": failures.failure_queue},
            functions={f.node.id: f.function for f in functions.values()},
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
            Output.SLOT_TABLE: storage.slot_table.table_name,
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
        self.ingest, self.failures, self.reconciler, self.monitoring = (
            ingest,
            failures,
            reconciler,
            monitoring,
        )
        self.functions = functions
