"""``vidpipe logs JOB``: the worker's log of a job, from CloudWatch Logs (moto's, locally).

The stream is ``<WorkerLogStreamPrefix>/<task id>`` in the ``WorkerLogGroupName`` group (the awslogs
driver's naming); the task id is the last part of the job record's ``task_arn`` or, when the record has
none (the task crashed before the record was written), of the last ECS task in the execution history.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from botocore.exceptions import ClientError
from rich.text import Text

from vidpipe.cli import render
from vidpipe.cli.context import target
from vidpipe.cli.errors import NotFound
from vidpipe.cli.executions import timeline_of
from vidpipe.cli.jobs_store import Record
from vidpipe.cli.lookup import resolve_job
from vidpipe.cli.target import Target


def task_arn_of(tgt: Target, record: Record) -> str:
    """The ECS task that ran the job most recently.

    Raises:
        NotFound: when no task ever started for the job.
    """
    if record.get("task_arn"):
        return str(record["task_arn"])
    for arn in reversed(record.get("execution_arns") or [record.get("execution_arn")]):
        if arn:
            tasks = timeline_of(tgt.client("stepfunctions"), arn).task_arns()
            if tasks:
                return tasks[-1]
    raise NotFound(
        f"job {record['job_id']} has no worker task (status {record.get('status')}): no log to show"
    )


def log_stream(tgt: Target, task_arn: str) -> str:
    return f"{tgt.resources.worker_log_stream_prefix}/{task_arn.rsplit('/', 1)[-1]}"


def read_log(tgt: Target, job_target: str, task_arn: str | None = None) -> dict[str, Any]:
    """The job's worker log: group, stream and events (oldest first); of ``task_arn`` when given (an earlier
    attempt), else of the task that ran the job most recently.

    Raises:
        NotFound: when the stream does not exist (the task never started or the logs expired).
    """
    record = resolve_job(tgt, job_target)
    group, stream = tgt.resources.worker_log_group, log_stream(tgt, task_arn or task_arn_of(tgt, record))
    logs = tgt.client("logs")
    events: list[dict[str, Any]] = []
    token: str | None = None
    try:
        while True:
            kwargs: dict[str, Any] = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
            if token:
                kwargs["nextToken"] = token
            page = logs.get_log_events(**kwargs)
            events += [
                {"timestamp": datetime.fromtimestamp(e["timestamp"] / 1000, UTC), "message": e["message"]}
                for e in page.get("events", [])
            ]
            if not page.get("events") or page.get("nextForwardToken") == token:
                break
            token = page.get("nextForwardToken")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise NotFound(f"no log stream {stream} in {group} for job {record['job_id']}") from exc
        raise
    return {"job_id": record["job_id"], "log_group": group, "log_stream": stream, "events": events}


def command(
    ctx: typer.Context,
    job: Annotated[str, typer.Argument(metavar="JOB", help="Job id, s3://bucket/key, or execution.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the log events as JSON.")] = False,
) -> None:
    """Print the worker's log of a job (CloudWatch Logs; the local runtime writes the same streams)."""
    log = read_log(target(ctx), job)
    if as_json:
        render.print_json(log)
        return
    render.err_console.print(f"[dim]{log['log_group']} {log['log_stream']}[/]")
    for event in log["events"]:
        stamp = event["timestamp"].strftime("%H:%M:%S.%f")[:-3]
        render.console.print(Text.assemble((stamp, "dim"), " ", event["message"]), soft_wrap=True)
