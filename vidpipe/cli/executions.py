"""``vidpipe executions`` (list) and ``vidpipe show EXECUTION`` (timeline), and the execution look-ups the
other commands share."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from botocore.exceptions import ClientError

from vidpipe.cli import render
from vidpipe.cli.completion import TargetArgument, complete_execution_status
from vidpipe.cli.context import target
from vidpipe.cli.durations import human_delta, iso, parse_time, seconds, since_cutoff
from vidpipe.cli.errors import BadArgument, NotFound
from vidpipe.cli.target import Target
from vidpipe.cli.timeline import Timeline, build_timeline, summarize_cause

EXECUTION_STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")
LIST_COLUMNS = ("name", "status", "started", "duration", "redrives")
TIMELINE_COLUMNS = ("at", "state", "type", "duration", "outcome", "retries", "error")
DISPLAY_ONLY = ("started", "duration", "at")  # strings drawn in tables; JSON has the data they come from


def is_execution_arn(text: str) -> bool:
    return text.startswith("arn:") and ":execution:" in text


def execution_arn(state_machine_arn: str, name_or_arn: str) -> str:
    """The ARN of an execution of the pipeline given its name (or its ARN, returned as is)."""
    if is_execution_arn(name_or_arn):
        return name_or_arn
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{name_or_arn}"


def describe(sfn: Any, arn: str) -> dict[str, Any]:
    """``describe_execution`` without the response metadata.

    Raises:
        NotFound: when there is no such execution.
    """
    try:
        response = dict(sfn.describe_execution(executionArn=arn))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"ExecutionDoesNotExist", "InvalidArn"}:
            raise NotFound(f"no execution {arn}: list them with `vidpipe executions`") from exc
        raise
    response.pop("ResponseMetadata", None)
    return response


def history(sfn: Any, arn: str, limit: int | None = None) -> list[dict[str, Any]]:
    """Every history event of an execution (or the first ``limit``), oldest first."""
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn, reverseOrder=False):
        events.extend(page.get("events", []))
        if limit is not None and len(events) >= limit:
            return events[:limit]
    return events


def timeline_of(sfn: Any, arn: str) -> Timeline:
    return build_timeline(history(sfn, arn))


def parse_execution_status(text: str | None) -> str | None:
    if text is None:
        return None
    status = text.upper()
    if status not in EXECUTION_STATUSES:
        raise BadArgument(f"unknown execution status {text!r}: use one of {', '.join(EXECUTION_STATUSES)}")
    return status


def list_executions(
    sfn: Any, state_machine_arn: str, status: str | None, since: datetime | None, limit: int | None
) -> list[dict[str, Any]]:
    """Executions of the pipeline, newest first (the API's order), stopping at ``since``."""
    kwargs: dict[str, Any] = {"stateMachineArn": state_machine_arn}
    if status:
        kwargs["statusFilter"] = status
    rows: list[dict[str, Any]] = []
    for page in sfn.get_paginator("list_executions").paginate(**kwargs):
        for execution in page.get("executions", []):
            started = parse_time(execution.get("startDate"))
            if since is not None and started is not None and started < since:
                return rows
            rows.append(_execution_row(execution))
            if limit is not None and len(rows) >= limit:
                return rows
    return rows


def _execution_row(execution: dict[str, Any]) -> dict[str, Any]:
    started, stopped = parse_time(execution.get("startDate")), parse_time(execution.get("stopDate"))
    return {
        "name": execution["name"],
        "status": execution["status"],
        "started": iso(started) if started else "-",
        "duration": human_delta(stopped - started) if started and stopped else "-",
        "duration_seconds": seconds(stopped - started) if started and stopped else None,
        "redrives": execution.get("redriveCount", 0),
        "execution_arn": execution["executionArn"],
        "start_date": started,
        "stop_date": stopped,
    }


def without_display(row: dict[str, Any]) -> dict[str, Any]:
    """A row for JSON: the display strings left out (their data is in the row under another key)."""
    return {k: v for k, v in row.items() if k not in DISPLAY_ONLY}


def show_execution(tgt: Target, name_or_arn: str) -> dict[str, Any]:
    """The execution, its timeline and its console URL as one plain document."""
    sfn = tgt.client("stepfunctions")
    arn = execution_arn(tgt.resources.state_machine_arn, name_or_arn)
    execution = describe(sfn, arn)
    timeline = timeline_of(sfn, arn)
    return {
        "execution_arn": arn,
        "name": execution.get("name"),
        "status": execution.get("status"),
        "start_date": execution.get("startDate"),
        "stop_date": execution.get("stopDate"),
        "error": execution.get("error") or timeline.error,
        "cause": execution.get("cause") or timeline.cause,
        "redrive_count": execution.get("redriveCount", timeline.redrives),
        "console_url": tgt.console_url(arn),
        "states": timeline.rows(),
    }


def list_command(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option(help=", ".join(EXECUTION_STATUSES) + ".", autocompletion=complete_execution_status),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only executions started since then: 30m, 1.5h, 7d, or an ISO 8601 time."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many executions.")] = 50,
    output: render.OutputOption = None,
    as_json: render.JsonOption = False,
    query: render.QueryOption = None,
) -> None:
    """List the pipeline's executions, newest first."""
    out = render.Output.of(output, as_json, query)
    cutoff, wanted = since_cutoff(since), parse_execution_status(status)
    tgt = target(ctx)
    rows = list_executions(
        tgt.client("stepfunctions"), tgt.resources.state_machine_arn, wanted, cutoff, limit
    )
    data = [without_display(row) for row in rows]
    render.emit(out, data, lambda: render.table(rows, LIST_COLUMNS, empty="no executions"))
    render.note_limit(len(rows), limit)


def show_command(
    ctx: typer.Context,
    execution: TargetArgument,
    output: render.OutputOption = None,
    as_json: render.JsonOption = False,
    query: render.QueryOption = None,
) -> None:
    """Show an execution's states as a timeline: durations, retries, errors, console URL."""
    from vidpipe.cli.lookup import execution_of

    out = render.Output.of(output, as_json, query)
    tgt = target(ctx)
    document = show_execution(tgt, execution_of(tgt, execution))
    data = {**document, "states": [without_display(s) for s in document["states"]]}
    render.emit(out, data, lambda: print_execution(document))


def print_execution(document: dict[str, Any]) -> None:
    """The ``show`` view: the execution's fields, then its timeline."""
    render.fields(
        [
            ("execution", document["execution_arn"]),
            ("status", document["status"]),
            ("started", document["start_date"]),
            ("stopped", document["stop_date"]),
            ("redrives", document["redrive_count"] or None),
            ("error", document["error"]),
            ("cause", summarize_cause(document["cause"])),
            ("console", document["console_url"]),
        ]
    )
    render.table(document["states"], TIMELINE_COLUMNS, empty="no states entered")
