"""Every name that more than one part of vidpipe must agree on, defined once.

The ASL file cannot import Python, so ``tests/`` checks that the names it uses (state names, error names,
environment variable names) agree with the ones here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class JobStatus(StrEnum):
    """Lifecycle of a job record (one per uploaded object version)."""

    RECEIVED = "RECEIVED"  # claimed by an execution, waiting for a concurrency slot
    RUNNING = "RUNNING"  # the analysis task has been started
    SUCCEEDED = "SUCCEEDED"  # the worker analysed the video and the results are recorded
    REJECTED = "REJECTED"  # permanent: not a video, corrupt, too large, missing, malformed; never retried
    FAILED = "FAILED"  # the execution failed, timed out or was aborted; replayable


TERMINAL_STATUSES: Final = frozenset({JobStatus.SUCCEEDED, JobStatus.REJECTED, JobStatus.FAILED})


class Verdict(StrEnum):
    """What the worker concluded; written in the results document (exit code 0 in both cases)."""

    ANALYSED = "analysed"
    REJECTED = "rejected"


# ---------------------------------------------------------------------------------------------------------
# Worker environment (task definition defaults + per-job container overrides from the state machine).
# ---------------------------------------------------------------------------------------------------------
class WorkerEnv:
    """Environment variables of the worker container."""

    JOB_ID: Final = "VIDPIPE_JOB_ID"
    INPUT_BUCKET: Final = "VIDPIPE_INPUT_BUCKET"
    INPUT_KEY: Final = "VIDPIPE_INPUT_KEY"
    INPUT_VERSION: Final = "VIDPIPE_INPUT_VERSION"  # "" when the bucket is not versioned
    RESULTS_BUCKET: Final = "VIDPIPE_RESULTS_BUCKET"
    RESULTS_KEY: Final = "VIDPIPE_RESULTS_KEY"  # key of the results document (results.json)
    OPTIONS: Final = "VIDPIPE_OPTIONS"  # JSON object of analyzer options (task definition default)
    MAX_BYTES: Final = "VIDPIPE_MAX_BYTES"
    MAX_DURATION_SECONDS: Final = "VIDPIPE_MAX_DURATION_SECONDS"


class ExitCode:
    """Worker exit-code contract: 0 means a verdict was written; anything else is a crash worth a retry."""

    VERDICT_WRITTEN: Final = 0
    CRASHED: Final = 1
    TERMINATED: Final = 143  # SIGTERM (Spot interruption, StopTask): 128 + 15


# ---------------------------------------------------------------------------------------------------------
# Lambda environment (tasks/).
# ---------------------------------------------------------------------------------------------------------
class TaskEnv:
    """Environment variables of the Lambda handlers."""

    TABLE: Final = "VIDPIPE_TABLE"
    SLOT_TABLE: Final = "VIDPIPE_SLOT_TABLE"
    RESULTS_BUCKET: Final = "VIDPIPE_RESULTS_BUCKET"
    MAX_BYTES: Final = "VIDPIPE_MAX_BYTES"


# ---------------------------------------------------------------------------------------------------------
# Job table layout (DynamoDB).
# ---------------------------------------------------------------------------------------------------------
class Table:
    """Key schema, index names and the semaphore item of the job table."""

    PARTITION_KEY: Final = "job_id"
    STATUS_INDEX: Final = "by-status"  # partition: status, sort: updated_at
    STATUS_INDEX_SORT: Final = "updated_at"
    OBJECT_INDEX: Final = "by-object"  # partition: object_uri ("s3://bucket/key"), sort: created_at
    OBJECT_INDEX_PARTITION: Final = "object_uri"
    OBJECT_INDEX_SORT: Final = "created_at"
    # vidpipe 0.1 kept its concurrency semaphore as this item of the job table; a table upgraded in place may
    # still hold it, so listings skip it. The slot pool now has its own table (SlotTable).
    SEMAPHORE_ID: Final = "__slots__analysis"


class SlotTable:
    """Key schema of the slot table: the analysis slot pool (see tasks/slots.py for its items)."""

    PARTITION_KEY: Final = "pk"
    SORT_KEY: Final = "sk"
    POOL: Final = "analysis"


RESULTS_PREFIX: Final = "jobs/"  # results/<job id>/results.json in the results bucket
RESULTS_DOCUMENT: Final = "results.json"

# Video suffixes that trigger the pipeline (S3 notification filters are case-sensitive: both cases listed).
VIDEO_SUFFIXES: Final = (".mp4", ".mov", ".mkv", ".webm", ".m4v", ".avi")


# ---------------------------------------------------------------------------------------------------------
# Stack outputs: how the CLI discovers resources (on AWS and locally, with describe_stacks).
# ---------------------------------------------------------------------------------------------------------
class Output:
    """CloudFormation output keys of the stack."""

    VIDEO_BUCKET: Final = "VideoBucketName"
    RESULTS_BUCKET: Final = "ResultsBucketName"
    QUEUE_URL: Final = "QueueUrl"
    DLQ_URL: Final = "DeadLetterQueueUrl"
    STATE_MACHINE_ARN: Final = "StateMachineArn"
    JOB_TABLE: Final = "JobTableName"
    SLOT_TABLE: Final = "SlotTableName"
    WORKER_LOG_GROUP: Final = "WorkerLogGroupName"
    WORKER_LOG_STREAM_PREFIX: Final = "WorkerLogStreamPrefix"
    CLUSTER_ARN: Final = "ClusterArn"
    CONSOLE_URL: Final = "StateMachineConsoleUrl"
    DASHBOARD_URL: Final = "DashboardConsoleUrl"


DEFAULT_STACK_NAME: Final = "Vidpipe"
WORKER_CONTAINER_NAME: Final = "worker"
