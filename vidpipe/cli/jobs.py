"""``vidpipe jobs``: job records, newest first."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from vidpipe.cli import render
from vidpipe.cli.context import target
from vidpipe.cli.durations import since_cutoff
from vidpipe.cli.jobs_store import JobStore, Record, parse_status
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
        str | None, typer.Option(help="RECEIVED, RUNNING, SUCCEEDED, REJECTED or FAILED.")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Only jobs updated in this window: 30m, 2h, 7d.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many jobs.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print the records as JSON.")] = False,
) -> None:
    """List job records, most recently updated first."""
    since_cutoff(since), parse_status(status)  # bad filters fail before any AWS call
    tgt = target(ctx)
    records = list_jobs(job_store(tgt), status, since, limit)
    if as_json:
        render.print_json(records)
        return
    rows: list[dict[str, Any]] = [{**r, "detail": detail(r)} for r in records]
    boot = tgt.local_boot  # after a local runtime's restart, "no jobs" would hide that the state was reset
    render.table(
        rows, COLUMNS, empty=boot.not_found("jobs") if boot is not None and boot.restarted else "no jobs"
    )
    render.note_limit(len(rows), limit)
