"""``vidpipe status TARGET``: a job record, its execution's status, attempts and console URL."""

from __future__ import annotations

from typing import Any

import typer

from vidpipe.cli import render
from vidpipe.cli.completion import TargetArgument
from vidpipe.cli.context import target
from vidpipe.cli.errors import BadArgument
from vidpipe.cli.executions import describe
from vidpipe.cli.jobs_store import with_times
from vidpipe.cli.lookup import resolve
from vidpipe.cli.target import Target
from vidpipe.cli.timeline import summarize_cause


def job_status(tgt: Target, record: dict[str, Any]) -> dict[str, Any]:
    """The job record with its current execution's status and console URL."""
    arn = record.get("execution_arn")
    execution = describe(tgt.client("stepfunctions"), arn) if arn else {}
    return {"job": with_times(record), "execution": _execution_view(tgt, arn, execution)}


def _execution_view(tgt: Target, arn: str | None, execution: dict[str, Any]) -> dict[str, Any]:
    """The parts of a DescribeExecution answer that ``status`` shows."""
    return {
        "execution_arn": arn,
        "status": execution.get("status"),
        "start_date": execution.get("startDate"),
        "stop_date": execution.get("stopDate"),
        "redrive_count": execution.get("redriveCount", 0),
        "console_url": tgt.console_url(arn) if arn else None,
    }


def status_of(tgt: Target, text: str) -> list[dict[str, Any]]:
    """The status of every job the target names (an execution without a job yields the execution only)."""
    resolved = resolve(tgt, text)
    if resolved.jobs:
        return [job_status(tgt, record) for record in resolved.jobs]
    execution = resolved.execution or {}
    arn = execution.get("executionArn")
    view = {
        **_execution_view(tgt, arn, execution),
        "error": execution.get("error"),
        "cause": execution.get("cause"),
    }
    return [{"job": None, "execution": view}]


def status_one(tgt: Target, text: str) -> dict[str, Any]:
    """The status of the one job (or jobless execution) a target names.

    Raises:
        BadArgument: when the target is an execution that claimed several jobs.
    """
    entries = status_of(tgt, text)
    if len(entries) > 1:
        ids = ", ".join(str(e["job"]["job_id"]) for e in entries)
        raise BadArgument(f"execution {text} holds several jobs ({ids}): name one job id")
    return entries[0]


def print_status(entry: dict[str, Any]) -> None:
    job, execution = entry["job"] or {}, entry["execution"]
    summary = job.get("summary") or {}
    render.fields(
        [
            ("job", job.get("job_id", "(none: the execution claimed no job)")),
            ("status", job.get("status")),
            ("object", job.get("object_uri")),
            ("version", job.get("version")),
            ("attempts", job.get("attempts")),
            ("created", job.get("created_at")),
            ("updated", job.get("updated_at")),
            ("verdict", summary.get("verdict")),
            ("reason", job.get("reason") or summary.get("reason")),
            ("error", job.get("error") or execution.get("error")),
            ("cause", summarize_cause(job.get("cause") or execution.get("cause"))),
            ("results", job.get("results_uri")),
            ("execution", execution.get("execution_arn")),
            ("execution status", execution.get("status")),
            ("redrives", execution.get("redrive_count") or None),
            ("executions", len(job.get("execution_arns") or []) or None),
            ("console", execution.get("console_url")),
        ]
    )


def command(
    ctx: typer.Context,
    job_target: TargetArgument,
    output: render.OutputOption = None,
    as_json: render.JsonOption = False,
    query: render.QueryOption = None,
) -> None:
    """Show a job: its record, its execution's status, attempts and console URL."""
    out = render.Output.of(output, as_json, query)
    entry = status_one(target(ctx), job_target)
    render.emit(out, entry, lambda: print_status(entry))
