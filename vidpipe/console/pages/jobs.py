"""The Jobs and Job pages: records, the chain of executions, the results as pictures and their files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from vidpipe.cli import render
from vidpipe.cli.errors import NotFound
from vidpipe.cli.executions import describe
from vidpipe.cli.jobs_store import Record
from vidpipe.cli.lookup import job_store
from vidpipe.cli.replay import REPLAY_PREFIX, Mode, Replayer
from vidpipe.cli.results import fetch_artifact, read_results
from vidpipe.cli.target import Target
from vidpipe.cli.timeline import summarize_cause
from vidpipe.console.app import console
from vidpipe.console.export import export_html
from vidpipe.console.listing import job_page
from vidpipe.console.pages import page_number, wants_part
from vidpipe.console.results_view import results_view
from vidpipe.contract.names import JobStatus


def jobs(request: Request) -> Response:
    ctx = console(request)
    status = request.query_params.get("status", "")
    query = request.query_params.get("q", "")
    page = job_page(ctx.target, status, query, page_number(request))
    template = "_jobs_table.html" if wants_part(request) else "jobs.html"
    statuses = [s.value for s in JobStatus]
    return ctx.page(request, template, page=page, status=status, query=query, statuses=statuses, nav="jobs")


@dataclass(frozen=True)
class Attempt:
    """One execution that claimed the job, and how it came to run."""

    number: int
    execution: dict[str, Any]
    how: str


def attempts(tgt: Target, record: Record) -> list[Attempt]:
    """The chain of executions of a job, oldest first: the first attempt, restarts, redrives."""
    sfn = tgt.client("stepfunctions")
    arns = list(dict.fromkeys(record.get("execution_arns") or [record.get("execution_arn")]))
    chain = []
    for number, arn in enumerate(a for a in arns if a):
        execution = describe(sfn, str(arn))
        replayed = str(execution.get("name", "")).startswith(REPLAY_PREFIX)
        how = (
            "replay (restart with the same input)"
            if replayed
            else "first attempt"
            if number == 0
            else "restart"
        )
        redrives = int(execution.get("redriveCount") or 0)
        if redrives:
            how += f", redriven {redrives} time" + ("" if redrives == 1 else "s")
        chain.append(Attempt(number + 1, execution, how))
    return chain


def job(request: Request) -> Response:
    ctx = console(request)
    job_id = request.path_params["job_id"]
    record = job_store(ctx.target).require(job_id)
    chain = attempts(ctx.target, record)
    results, why = None, None
    try:
        document = read_results(ctx.target, record)
        base = request.url_for("artifact", job_id=job_id, name="").path
        results = results_view(document, lambda name: base + name)
    except NotFound as exc:
        why = str(exc)
    return ctx.page(
        request,
        "_job_live.html" if wants_part(request) else "job.html",
        record=record,
        cause=summarize_cause(record.get("cause")),
        attempts=chain,
        results=results,
        why=why,
        live=_in_flight(ctx.target, record, chain),
        nav="jobs",
    )


def _in_flight(tgt: Target, record: Record, chain: list[Attempt]) -> bool:
    """Whether the job can still change: not final, one of its executions open, or a replay of it running
    (a restart claims the job only once it reaches Claim)."""
    if record.get("status") in (JobStatus.RECEIVED, JobStatus.RUNNING):
        return True
    if any(a.execution.get("status") in ("RUNNING", "PENDING_REDRIVE") for a in chain):
        return True
    prefix = f"{REPLAY_PREFIX}{record['job_id']}-"
    running = Replayer(tgt, Mode.AUTO, dry_run=True).running_executions()
    return record.get("status") == JobStatus.FAILED and any(n.startswith(prefix) for n in running)


def results_json(request: Request) -> Response:
    ctx = console(request)
    record = job_store(ctx.target).require(request.path_params["job_id"])
    return Response(render.to_json(read_results(ctx.target, record)), media_type="application/json")


def results_html(request: Request) -> Response:
    """The same self-contained page as ``vidpipe results JOB --html FILE``."""
    from vidpipe.cli.results import artifacts_of

    ctx = console(request)
    record = job_store(ctx.target).require(request.path_params["job_id"])
    document = read_results(ctx.target, record)
    html, csp = export_html(document, artifacts_of(ctx.target, record, document), record)
    response = HTMLResponse(html)
    response.headers["content-security-policy"] = csp  # its own inline style and data: images only
    return response


def artifact(request: Request) -> Response:
    ctx = console(request)
    record = job_store(ctx.target).require(request.path_params["job_id"])
    data = fetch_artifact(ctx.target, record, request.path_params["name"])
    return Response(data, media_type="image/jpeg", headers={"cache-control": "private, max-age=3600"})


ROUTES = [
    Route("/jobs", jobs),
    Route("/jobs/{job_id}", job, name="job"),
    Route("/jobs/{job_id}/results.json", results_json, name="results_json"),
    Route("/jobs/{job_id}/results.html", results_html, name="results_html"),
    Route("/jobs/{job_id}/artifacts/{name:path}", artifact, name="artifact"),
]
