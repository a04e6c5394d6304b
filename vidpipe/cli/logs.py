"""``vidpipe logs JOB [--follow]``: a job's log lines from CloudWatch Logs (moto's, locally).

Two kinds of sources, read the same way on AWS and locally:

* the worker: stream ``<WorkerLogStreamPrefix>/<task id>`` in the ``WorkerLogGroupName`` group (the awslogs
  driver's naming); the task id is the last part of the job record's ``task_arn`` or, when the record has
  none (the task crashed before the record was written), of the last ECS task in the execution history;
* the stack's Lambda functions (Prepare, Record, the status-change handler): each function's log group
  (its ``LoggingConfig``, else ``/aws/lambda/<function>``), the lines that name the job or one of its
  executions (``FilterLogEvents`` with those terms, checked again here since not every endpoint applies
  filter patterns). The local runtime writes the handlers' logs there too, one stream per invocation.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from botocore.exceptions import ClientError
from rich.text import Text

from vidpipe.cli import render
from vidpipe.cli.completion import TargetArgument
from vidpipe.cli.context import target
from vidpipe.cli.durations import iso, parse_time
from vidpipe.cli.errors import NotFound, UserError
from vidpipe.cli.executions import timeline_of
from vidpipe.cli.jobs_store import Record
from vidpipe.cli.lookup import job_store, resolve_job
from vidpipe.cli.target import Target
from vidpipe.contract.names import TERMINAL_STATUSES

WORKER = "worker"
LOOKBACK = timedelta(minutes=1)  # handler lines are searched from a minute before the job was created
FOLLOW_GRACE_SECONDS = 5.0  # after the job ended: lines still on their way (the status-change handler's)


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


def _event(stamp_ms: int, message: str, source: str, group: str, stream: str) -> dict[str, Any]:
    return {
        "timestamp": datetime.fromtimestamp(stamp_ms / 1000, UTC),
        "source": source,
        "log_group": group,
        "log_stream": stream,
        "message": message,
    }


def stream_events(logs: Any, group: str, stream: str, source: str = WORKER) -> list[dict[str, Any]]:
    """Every event of one stream, oldest first.

    Raises:
        ClientError: ``ResourceNotFoundException`` when the group or stream does not exist.
    """
    events: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
        if token:
            kwargs["nextToken"] = token
        page = logs.get_log_events(**kwargs)
        events += [
            _event(e["timestamp"], e["message"], source, group, stream) for e in page.get("events", [])
        ]
        if not page.get("events") or page.get("nextForwardToken") == token:
            return events
        token = page.get("nextForwardToken")


def _is_missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException"


def read_log(
    tgt: Target, job_target: str, lambdas: bool = False, task_arn: str | None = None
) -> dict[str, Any]:
    """The job's worker log: group, stream and events (oldest first); with ``lambdas`` also the lines of
    the stack's Lambda handlers about the job, merged by time (each event says its ``source``). The worker
    log is of ``task_arn`` when given (an earlier attempt), else of the task that ran the job last.

    Raises:
        NotFound: when the worker stream does not exist (the task never started or the logs expired),
            unless ``lambdas`` found handler lines to show instead.
    """
    record = resolve_job(tgt, job_target)
    sources = LogSources(tgt, record, task_arn)
    worker, missing = sources.worker()
    events = worker
    if lambdas:
        events = sorted([*worker, *sources.lambda_events()], key=lambda e: e["timestamp"])
    if missing and not events:
        raise missing
    return {
        "job_id": record["job_id"],
        "log_group": sources.worker_group,
        "log_stream": sources.worker_stream,
        "events": events,
    }


def function_label(stack: str, function_name: str) -> str:
    """``Vidpipe-PrepareFunction0E0008CA[-AbC123]`` -> ``Prepare`` (the construct's name), else the name."""
    match = re.match(
        rf"^{re.escape(stack)}-(.+?)(?:Function)?[0-9A-F]{{8}}(?:-[A-Za-z0-9]+)?$", function_name
    )
    return match.group(1) if match else function_name


def lambda_log_groups(tgt: Target) -> list[tuple[str, str]]:
    """(label, log group) of every Lambda function of the stack.

    The functions are the stack's ``AWS::Lambda::Function`` resources; where the stack does not list them
    (the local runtime's stack carries outputs only), the functions named ``<stack>-...``. Each one's
    group is its ``LoggingConfig.LogGroup``, else Lambda's default ``/aws/lambda/<function>``.
    """
    stack = tgt.resources.stack
    names: list[str] = []
    try:
        pages = tgt.client("cloudformation").get_paginator("list_stack_resources").paginate(StackName=stack)
        names = [
            str(r["PhysicalResourceId"])
            for page in pages
            for r in page.get("StackResourceSummaries", [])
            if r.get("ResourceType") == "AWS::Lambda::Function" and r.get("PhysicalResourceId")
        ]
    except ClientError:
        names = []
    lam = tgt.client("lambda")
    if not names:
        pages = lam.get_paginator("list_functions").paginate()
        names = [
            str(f["FunctionName"])
            for page in pages
            for f in page.get("Functions", [])
            if str(f["FunctionName"]).startswith(f"{stack}-")
        ]
    groups = []
    for name in sorted(names):
        config = lam.get_function_configuration(FunctionName=name)
        group = (config.get("LoggingConfig") or {}).get("LogGroup") or f"/aws/lambda/{name}"
        groups.append((function_label(stack, name), str(group)))
    return groups


class LogSources:
    """Where one job's lines are, looked up once and read as often as ``--follow`` needs."""

    def __init__(self, tgt: Target, record: Record, task_arn: str | None = None) -> None:
        self.tgt = tgt
        self.record = record
        self.task_arn = task_arn  # one attempt's task; None: the job's latest
        self.worker_group = tgt.resources.worker_log_group
        self.worker_stream: str | None = None
        self._groups: list[tuple[str, str]] | None = None

    def refresh(self, record: Record) -> None:
        """Take a newer version of the job record (a task may have started, a replay begun)."""
        changed = any(record.get(k) != self.record.get(k) for k in ("task_arn", "execution_arns"))
        if changed:
            self.worker_stream = None
        self.record = record

    def worker(self) -> tuple[list[dict[str, Any]], NotFound | None]:
        """The worker's events, or none and why (no task yet, or its stream is not there)."""
        job_id = self.record["job_id"]
        if self.worker_stream is None:
            try:
                self.worker_stream = log_stream(self.tgt, self.task_arn or task_arn_of(self.tgt, self.record))
            except NotFound as missing:
                return [], missing
        try:
            return stream_events(self.tgt.client("logs"), self.worker_group, self.worker_stream), None
        except ClientError as exc:
            if not _is_missing(exc):
                raise
            where = f"no log stream {self.worker_stream} in {self.worker_group} for job {job_id}"
            return [], NotFound(where)

    def terms(self) -> list[str]:
        """What a handler line about this job contains: the job id or one of its executions' names."""
        executions = self.record.get("execution_arns") or [self.record.get("execution_arn")]
        names = [str(arn).rsplit(":", 1)[-1] for arn in executions if arn]
        return [str(self.record["job_id"]), *names]

    def lambda_events(self) -> list[dict[str, Any]]:
        """The handlers' lines about this job, from every Lambda log group of the stack."""
        if self._groups is None:
            self._groups = lambda_log_groups(self.tgt)
        terms = self.terms()
        created = parse_time(self.record.get("created_at")) or datetime.now(UTC)
        start = int((created - LOOKBACK).timestamp() * 1000)
        pattern = " ".join(f'?"{term}"' for term in terms)
        logs = self.tgt.client("logs")
        events: list[dict[str, Any]] = []
        for label, group in self._groups:
            try:
                pages = logs.get_paginator("filter_log_events").paginate(
                    logGroupName=group, startTime=start, filterPattern=pattern
                )
                events += [
                    _event(e["timestamp"], e["message"], label, group, str(e.get("logStreamName", "")))
                    for page in pages
                    for e in page.get("events", [])
                    if any(term in e["message"] for term in terms)
                ]
            except ClientError as exc:
                if not _is_missing(exc):
                    raise
        return events


def _key(event: dict[str, Any]) -> tuple[str, str, datetime, str]:
    return (event["log_group"], event["log_stream"], event["timestamp"], event["message"])


def follow_log(
    tgt: Target,
    job_target: str,
    show_event: Callable[[dict[str, Any]], None],
    interval: float = 2.0,
    timeout: float = 3600.0,
    grace: float = FOLLOW_GRACE_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    lambdas: bool = True,
) -> Record:
    """Show the job's lines (the worker's, and the handlers' with ``lambdas``) as they arrive, until the
    job has ended.

    The job has ended when its record is SUCCEEDED, REJECTED or FAILED and ``grace`` seconds have passed
    since (so the lines written while it ended, the status-change handler's among them, are shown).
    Returns the final job record.

    Raises:
        UserError: when the job is still not finished after ``timeout`` seconds.
    """
    record = resolve_job(tgt, job_target)
    store = job_store(tgt)
    sources = LogSources(tgt, record)
    shown: Counter[tuple[str, str, datetime, str]] = Counter()
    deadline = clock() + timeout
    ends_at: float | None = None
    while True:
        handlers = sources.lambda_events() if lambdas else []
        events = sorted([*sources.worker()[0], *handlers], key=lambda e: e["timestamp"])
        for event in _unseen(events, shown):
            show_event(event)
        if ends_at is not None and clock() >= ends_at:
            return record
        record = store.get(record["job_id"]) or record
        sources.refresh(record)
        if ends_at is None and record.get("status") in TERMINAL_STATUSES:
            ended = parse_time(record.get("finished_at") or record.get("updated_at"))
            age = (datetime.now(UTC) - ended).total_seconds() if ended else 0.0
            ends_at = clock() + max(grace - age, 0.0)
            continue  # one more read at once: the lines written just before the record changed
        if clock() >= deadline:
            raise UserError(
                f"job {record['job_id']} is still {record.get('status')} after {timeout:g}s: "
                f"see `vidpipe status {record['job_id']}`"
            )
        sleep(interval)


def _unseen(
    events: Iterable[dict[str, Any]], shown: Counter[tuple[str, str, datetime, str]]
) -> list[dict[str, Any]]:
    """The events not shown yet (identical lines are told apart by how many of them were seen)."""
    fresh: list[dict[str, Any]] = []
    seen_now: Counter[tuple[str, str, datetime, str]] = Counter()
    for event in events:
        key = _key(event)
        seen_now[key] += 1
        if seen_now[key] > shown[key]:
            shown[key] += 1
            fresh.append(event)
    return fresh


def print_event(event: dict[str, Any]) -> None:
    """``TIME SOURCE MESSAGE``, the message literally."""
    line = Text.assemble(
        (iso(event["timestamp"]), "dim"), " ", (event["source"], "cyan"), " ", event["message"]
    )
    render.show(line, soft_wrap=True)


def command(
    ctx: typer.Context,
    job: TargetArgument,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines until the job ends.")
    ] = False,
    worker_only: Annotated[
        bool, typer.Option("--worker-only", help="Only the worker's lines, not the Lambda handlers'.")
    ] = False,
    interval: Annotated[float, typer.Option(min=0.1, help="With --follow: seconds between reads.")] = 2.0,
    timeout: Annotated[
        float, typer.Option(min=1, help="With --follow: give up after this many seconds.")
    ] = 3600,
    output: render.OutputOption = None,
    as_json: render.JsonOption = False,
    query: render.QueryOption = None,
) -> None:
    """Print a job's log: the worker's lines and the Lambda handlers' lines about it, by time.

    With --follow, lines are printed as they arrive until the job has ended (JSON: one object per line).
    """
    out = render.Output.of(output, as_json, query)
    tgt = target(ctx)
    if follow:

        def show_event(event: dict[str, Any]) -> None:
            if out.is_json:
                render.console.file.write(render.json_line(out.select(event)) + "\n")
                render.console.file.flush()
            elif out.query is not None:
                render.show_value(out.select(event))
            else:
                print_event(event)

        follow_log(tgt, job, show_event, interval, timeout, lambdas=not worker_only)
        return
    log = read_log(tgt, job, lambdas=not worker_only)

    def draw() -> None:
        render.note(f"{log['log_group']} {log['log_stream'] or '(no worker stream)'}")
        for event in log["events"]:
            print_event(event)

    render.emit(out, log, draw)
