"""``vidpipe jobs``: job records, newest first."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from vidpipe.cli import render
from vidpipe.cli.completion import complete_job_status
from vidpipe.cli.context import target
from vidpipe.cli.durations import since_cutoff
from vidpipe.cli.jobs_store import JobStore, Record, parse_status, with_times
from vidpipe.cli.lookup import job_store
from vidpipe.cli.timeline import summarize_cause

COLUMNS = ("job_id", "status", "key", "attempts", "updated_at", "detail")


def detail(record: Record) -> str:
    """One short line on the outcome: the error of a failure, the reason of a rejection, the verdict."""
    if record.get("status") == "FAILED":
        return " ".join(filter(None, (record.get("error"), summarize_cause(record.get("cause"), 80))))
    if record.get("status") == "REJECTED":
        return str(record.get("reason") or (record.get("summary") or {}).get("reason") or "")
    summary = record.get("summary") or {}
    if summary.get("duration_seconds") is not None:
        return f"{summary['duration_seconds']:.1f}s video"
    return ""


def list_jobs(store: JobStore, status: str | None, since: str | None, limit: int | None) -> list[Record]:
    """The job records matching the filters, newest ``updated_at`` first."""
    return store.recent(parse_status(status), since_cutoff(since), limit)


def command(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option(
            help="RECEIVED, RUNNING, SUCCEEDED, REJECTED or FAILED.", autocompletion=complete_job_status
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only jobs updated since then: 30m, 1.5h, 7d, or an ISO 8601 time.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many jobs.")] = 50,
    output: render.OutputOption = None,
    as_json: render.JsonOption = False,
    query: render.QueryOption = None,
) -> None:
    """List job records, most recently updated first."""
    out = render.Output.of(output, as_json, query)
    since_cutoff(since), parse_status(status)  # bad filters fail before any AWS call
    tgt = target(ctx)
    records = [with_times(r) for r in list_jobs(job_store(tgt), status, since, limit)]
    boot = tgt.local_boot  # after a local runtime's restart, "no jobs" would hide that the state was reset
    empty = boot.not_found("jobs") if boot is not None and boot.restarted else "no jobs"

    def draw() -> None:
        rows: list[dict[str, Any]] = [{**r, "detail": detail(r)} for r in records]
        render.table(rows, COLUMNS, empty=empty)

    render.emit(out, records, draw)
    render.note_limit(len(records), limit)
