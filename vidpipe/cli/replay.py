"""``vidpipe replay``: re-run failed jobs, by redrive where AWS allows it and by restart elsewhere.

A *redrive* (``RedriveExecution``) continues the same execution from its failed state, keeping its ARN and
input; a *restart* starts a new execution of the pipeline with the same input (the pipe's batch of
records), so ``Prepare`` derives the same job ids and ``Claim`` takes the FAILED jobs over again.

The decision (:func:`decide`) is a pure function of :class:`Facts` gathered from the job table and Step
Functions, so the rules are unit-tested as a table. It is safe to run twice: a job that is in flight, whose
execution is running again (redriven) or that a running ``replay-<job id>-...`` execution is restarting, is
skipped with the reason.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import typer
from botocore.exceptions import ClientError

from vidpipe.cli import render
from vidpipe.cli.completion import complete_target
from vidpipe.cli.context import target
from vidpipe.cli.durations import human_delta, parse_time, since_cutoff
from vidpipe.cli.errors import BadArgument, UserError
from vidpipe.cli.executions import describe, execution_arn, history
from vidpipe.cli.jobs_store import Record
from vidpipe.cli.lookup import job_store, resolve
from vidpipe.cli.target import Target
from vidpipe.contract.names import JobStatus

REDRIVE_WINDOW = timedelta(days=14)
REDRIVE_HISTORY_LIMIT = 24_999
REDRIVE_EPOCH = datetime(2023, 11, 15, tzinfo=UTC)  # executions started before cannot be redriven
REPLAY_PREFIX = "replay-"
COLUMNS = ("target", "job", "execution", "action", "reason")

# Errors of RedriveExecution that mean "redrive is not possible here" rather than "something broke":
# auto mode restarts instead. A 5xx/unknown-operation answer from an emulator means it lacks the API.
_REDRIVE_REFUSALS = frozenset(
    {"ExecutionNotRedrivable", "AccessDenied", "AccessDeniedException", "ExecutionLimitExceeded"}
)
_UNSUPPORTED = frozenset(
    {"500", "501", "InternalFailure", "InvalidAction", "NotImplemented", "UnknownOperationException"}
)
NOT_IMPLEMENTED = "redrive is not implemented by this endpoint"


INTERRUPTED = frozenset({"ABORTED", "TIMED_OUT"})
"""Execution ends no Catch saw: auto mode restarts them (see docs/architecture.md, failure path)."""


class Mode(StrEnum):
    AUTO = "auto"
    REDRIVE = "redrive"
    RESTART = "restart"


class Action(StrEnum):
    REDRIVEN = "redriven"
    RESTARTED = "restarted"
    SKIPPED = "skipped"
    CANNOT_REDRIVE = "cannot-redrive"  # --mode redrive where redrive is impossible: the command fails
    WOULD_REDRIVE = "would-redrive"
    WOULD_RESTART = "would-restart"


@dataclass(frozen=True)
class Facts:
    """What the decision depends on (``None`` where unknown or not applicable)."""

    job_status: str | None
    execution_status: str
    execution_name: str
    state_machine_type: str = "STANDARD"
    start_date: datetime | None = None
    stop_date: datetime | None = None
    history_events: int | None = None
    redrive_status: str | None = None  # describe_execution's redriveStatus (AWS; absent on moto)
    redrive_status_reason: str | None = None
    running_replay: str | None = None  # a RUNNING replay-<job id>-... execution
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class Decision:
    action: str  # "redrive", "restart" or "skip"
    reason: str
    impossible: bool = False  # a skip because --mode redrive asked for what cannot be done


def redrive_blocker(facts: Facts) -> str | None:
    """Why AWS would refuse to redrive this execution, or None when it allows it.

    The rules of RedriveExecution: Standard workflows only; not SUCCEEDED; within 14 days of the end;
    fewer than 24,999 history events; started on or after 2023-11-15. AWS's own verdict
    (``redriveStatus``) wins when present.
    """
    if facts.state_machine_type != "STANDARD":
        return f"{facts.state_machine_type} executions cannot be redriven"
    if facts.execution_status == "SUCCEEDED":
        return "a SUCCEEDED execution cannot be redriven"
    if facts.redrive_status == "NOT_REDRIVABLE":
        return f"AWS says not redrivable: {facts.redrive_status_reason or 'no reason given'}"
    if facts.start_date is not None and facts.start_date < REDRIVE_EPOCH:
        return "started before 2023-11-15 (redrive did not exist)"
    if facts.stop_date is not None and facts.now - facts.stop_date > REDRIVE_WINDOW:
        return f"ended {human_delta(facts.now - facts.stop_date)} ago, more than 14 days"
    if facts.history_events is not None and facts.history_events >= REDRIVE_HISTORY_LIMIT:
        return f"{facts.history_events} history events (redrive needs fewer than 24,999)"
    return None


def decide(facts: Facts, mode: Mode) -> Decision:
    """Redrive, restart or skip, and why."""
    status = facts.job_status
    if status in (JobStatus.SUCCEEDED, JobStatus.REJECTED):
        return Decision("skip", f"job already {status}: nothing to replay")
    if status in (JobStatus.RECEIVED, JobStatus.RUNNING):
        return Decision("skip", f"job is {status} in {facts.execution_name}: wait for it to end")
    if facts.execution_status == "UNKNOWN":
        return Decision("skip", "no execution recorded for the job: re-upload the object instead")
    if facts.running_replay:
        return Decision("skip", f"already being replayed by {facts.running_replay} (RUNNING)")
    if facts.execution_status in ("RUNNING", "PENDING_REDRIVE"):
        return Decision("skip", f"execution {facts.execution_name} is {facts.execution_status} (redriven?)")
    if status is None and facts.execution_status == "SUCCEEDED":
        return Decision("skip", "execution SUCCEEDED: nothing to replay")
    if mode is Mode.RESTART:
        return Decision("restart", "restart requested: new execution, same input")
    if mode is Mode.AUTO and facts.execution_status in INTERRUPTED:
        # A redrive resumes at the interrupted state; if that was an analysis it would run without taking
        # a slot again (the status-change handler released it): a restart goes through AcquireSlot.
        return Decision(
            "restart",
            f"execution {facts.execution_status}: a redrive would resume the interrupted analysis without a "
            "slot; restart with the same input (through Prepare and AcquireSlot)",
        )
    blocker = redrive_blocker(facts)
    if blocker is None:
        return Decision(
            "redrive", f"execution {facts.execution_status}: redrive continues from the failed state"
        )
    if mode is Mode.REDRIVE:
        return Decision("skip", f"cannot redrive: {blocker}", impossible=True)
    return Decision("restart", f"{blocker}: restart with the same input")


def _client_error(exc: ClientError) -> tuple[str, int | None, str]:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return str(error.get("Code", "")), status, str(error.get("Message", ""))


def _unsupported(code: str, status: int | None, local: bool) -> bool:
    """An answer that means the endpoint lacks RedriveExecution (an emulator), not a refusal."""
    return code in _UNSUPPORTED or (local and status in (404, 500, 501))


def probe_redrive(sfn: Any, state_machine_arn: str, local: bool) -> str | None:
    """Whether the endpoint implements RedriveExecution: None if it does, else why it cannot redrive.

    The probe redrives an execution that does not exist (a well-formed ARN of the pipeline with a random
    name): AWS, and any endpoint that implements the API, answers ``ExecutionDoesNotExist`` and changes
    nothing; an emulator without it answers with an unknown-operation error (or a 500 or 501); a role
    without ``states:RedriveExecution`` gets ``AccessDenied``. So a dry run predicts what the run does.

    Raises:
        ClientError: for any other answer (throttling that outlived the retries, an invalid ARN...).
    """
    probe = execution_arn(state_machine_arn, f"vidpipe-redrive-probe-{uuid.uuid4().hex}")
    try:
        sfn.redrive_execution(executionArn=probe)
    except ClientError as exc:
        code, status, message = _client_error(exc)
        if code == "ExecutionDoesNotExist":
            return None
        if _unsupported(code, status, local):
            return NOT_IMPLEMENTED
        if code in {"AccessDenied", "AccessDeniedException"}:
            return f"redrive is not allowed ({code}: {message})"
        raise
    return None


def replay_name(job_id: str | None) -> str:
    """A new unique execution name that says which job it replays (80 characters at most)."""
    return f"{REPLAY_PREFIX}{job_id or 'execution'}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Candidate:
    """One replay unit: a job (or a jobless execution) and the execution that owns it now."""

    target: str
    job: Record | None
    execution: dict[str, Any]


def failed_candidates(tgt: Target, since: str | None, error: str | None) -> list[Candidate]:
    """FAILED jobs (updated since ``since``, whose error or cause matches ``error``) with their executions.

    Raises:
        BadArgument: for a bad duration or regular expression.
    """
    cutoff = since_cutoff(since)
    pattern = _compile(error)
    sfn = tgt.client("stepfunctions")
    candidates = []
    for job in job_store(tgt).recent(JobStatus.FAILED, cutoff):
        if pattern and not pattern.search(f"{job.get('error', '')}\n{job.get('cause', '')}"):
            continue
        arn = job.get("execution_arn")
        execution = describe(sfn, arn) if arn else {}
        candidates.append(Candidate(job["job_id"], job, execution))
    return candidates


def target_candidates(tgt: Target, texts: list[str]) -> list[Candidate]:
    """The jobs the targets name with their current executions (a jobless execution stands for itself)."""
    sfn = tgt.client("stepfunctions")
    candidates = []
    for text in texts:
        resolved = resolve(tgt, text)
        if not resolved.jobs and resolved.execution is not None:
            candidates.append(Candidate(text, None, resolved.execution))
        for job in resolved.jobs:
            arn = job.get("execution_arn")
            execution = describe(sfn, arn) if arn else {}
            candidates.append(Candidate(text, job, execution))
    return candidates


def _compile(pattern: str | None) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise BadArgument(f"bad --error pattern {pattern!r}: {exc}") from None


class Replayer:
    """Gathers the facts, decides and acts, one candidate at a time, with per-invocation caches."""

    def __init__(self, tgt: Target, mode: Mode, dry_run: bool, now: datetime | None = None) -> None:
        self.tgt, self.mode, self.dry_run = tgt, mode, dry_run
        self.sfn = tgt.client("stepfunctions")
        self.now = now or datetime.now(UTC)
        self._endpoint_blocker: str | None = None
        self._probed = False
        self._running: list[str] | None = None
        self._type: str | None = None
        self._done: dict[str, str] = {}  # execution ARN -> job id of the row that already replayed it

    def endpoint_redrive_blocker(self) -> str | None:
        """Why this endpoint cannot redrive at all (probed once, see :func:`probe_redrive`), or None."""
        if not self._probed:
            self._endpoint_blocker = probe_redrive(
                self.sfn, self.tgt.resources.state_machine_arn, self.tgt.is_local
            )
            self._probed = True
        return self._endpoint_blocker

    @property
    def redrive_supported(self) -> bool:
        return self.endpoint_redrive_blocker() is None

    def running_executions(self) -> list[str]:
        if self._running is None:
            pages = self.sfn.get_paginator("list_executions").paginate(
                stateMachineArn=self.tgt.resources.state_machine_arn, statusFilter="RUNNING"
            )
            self._running = [e["name"] for page in pages for e in page.get("executions", [])]
        return self._running

    def state_machine_type(self) -> str:
        if self._type is None:
            described = self.sfn.describe_state_machine(stateMachineArn=self.tgt.resources.state_machine_arn)
            self._type = str(described.get("type", "STANDARD"))
        return self._type

    def facts(self, candidate: Candidate) -> Facts:
        execution, job = candidate.execution, candidate.job or {}
        job_id = job.get("job_id")
        prefix = f"{REPLAY_PREFIX}{job_id}-" if job_id else None
        running = next((n for n in self.running_executions() if prefix and n.startswith(prefix)), None)
        return Facts(
            job_status=job.get("status"),
            execution_status=str(execution.get("status", "UNKNOWN")),
            execution_name=str(execution.get("name", "-")),
            state_machine_type=self.state_machine_type(),
            start_date=parse_time(execution.get("startDate")),
            stop_date=parse_time(execution.get("stopDate")),
            redrive_status=execution.get("redriveStatus"),
            redrive_status_reason=execution.get("redriveStatusReason"),
            running_replay=running,
            now=self.now,
        )

    def run(self, candidate: Candidate) -> dict[str, Any]:
        """Decide and act on one candidate; the row says what was done and why.

        A dry run takes the same decisions as the run, the endpoint's support for redrive included; only
        a refusal that AWS decides at call time (``ExecutionNotRedrivable``) cannot be foreseen.
        """
        job_id = (candidate.job or {}).get("job_id")
        arn = candidate.execution.get("executionArn", "")
        row = {"target": candidate.target, "job": job_id, "execution": candidate.execution.get("name")}

        def result(action: Action, reason: str, new_execution: str | None = None) -> dict[str, Any]:
            return {**row, "action": action, "reason": reason, "new_execution": new_execution}

        if arn in self._done:
            return result(Action.SKIPPED, f"same execution as job {self._done[arn]}: replayed once for both")
        facts = self.facts(candidate)
        decision = decide(facts, self.mode)
        if decision.action == "redrive":
            events = len(history(self.sfn, arn, limit=REDRIVE_HISTORY_LIMIT))  # the last rule needs a count
            decision = decide(replace(facts, history_events=events), self.mode)
        if decision.action == "redrive":
            decision = self._on_this_endpoint(decision)
        if decision.action == "skip":
            return result(Action.CANNOT_REDRIVE if decision.impossible else Action.SKIPPED, decision.reason)
        self._done[arn] = job_id or "-"
        if decision.action == "redrive":
            if self.dry_run:
                return result(Action.WOULD_REDRIVE, decision.reason, arn)
            refused = self._redrive(arn)
            if refused is None:
                return result(Action.REDRIVEN, decision.reason, arn)
            if self.mode is Mode.REDRIVE:
                return result(Action.CANNOT_REDRIVE, f"cannot redrive: {refused}")
            decision = Decision("restart", f"{refused}: restart with the same input")
        if self.dry_run:
            return result(Action.WOULD_RESTART, decision.reason)
        new_arn = self._restart(job_id, candidate.execution)
        if self._running is not None:
            self._running.append(new_arn.rsplit(":", 1)[-1])
        return result(Action.RESTARTED, decision.reason, new_arn)

    def _on_this_endpoint(self, decision: Decision) -> Decision:
        """A redrive decision, unless the endpoint cannot redrive at all."""
        blocker = self.endpoint_redrive_blocker()
        if blocker is None:
            return decision
        if self.mode is Mode.REDRIVE:
            return Decision("skip", f"cannot redrive: {blocker}", impossible=True)
        return Decision("restart", f"{blocker}: restart with the same input")

    def _redrive(self, arn: str) -> str | None:
        """Redrive; None when done, else why it could not be (for auto mode to restart instead)."""
        try:
            self.sfn.redrive_execution(executionArn=arn, clientToken=uuid.uuid4().hex)
        except ClientError as exc:
            code, status, message = _client_error(exc)
            if _unsupported(code, status, self.tgt.is_local):
                self._endpoint_blocker, self._probed = NOT_IMPLEMENTED, True
                return NOT_IMPLEMENTED
            if code in _REDRIVE_REFUSALS:
                return f"redrive refused ({code}: {message})"
            raise
        return None

    def _restart(self, job_id: str | None, execution: dict[str, Any]) -> str:
        started = self.sfn.start_execution(
            stateMachineArn=self.tgt.resources.state_machine_arn,
            name=replay_name(job_id),
            input=execution.get("input", "{}"),
        )
        return str(started["executionArn"])


def replay(
    tgt: Target,
    targets: list[str],
    failed: bool,
    since: str | None,
    error: str | None,
    mode: Mode,
    dry_run: bool,
) -> list[dict[str, Any]]:
    """Replay the targets (or every FAILED job with ``failed``); one row per job.

    Raises:
        BadArgument: when neither or both of TARGET... and ``--failed`` are given, or a filter is malformed.
    """
    if bool(targets) == failed:
        raise BadArgument("give TARGET... or --failed (not both)")
    if not failed and (since or error):
        raise BadArgument("--since and --error filter --failed")
    since_cutoff(since)
    candidates = failed_candidates(tgt, since, error) if failed else target_candidates(tgt, targets)
    replayer = Replayer(tgt, mode, dry_run)
    return [replayer.run(candidate) for candidate in candidates]


def command(
    ctx: typer.Context,
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="TARGET",
            help="Jobs (ids, prefixes, s3:// URIs, keys) or executions.",
            autocompletion=complete_target,
        ),
    ] = None,
    failed: Annotated[bool, typer.Option("--failed", help="Replay every FAILED job.")] = False,
    since: Annotated[
        str | None,
        typer.Option(help="With --failed: jobs that failed since then (2h, 1.5d, or an ISO 8601 time)."),
    ] = None,
    error: Annotated[
        str | None, typer.Option(help="With --failed: only jobs whose error or cause matches (regex).")
    ] = None,
    mode: Annotated[
        Mode, typer.Option(help="auto: redrive where possible, else restart; redrive: fail where impossible.")
    ] = Mode.AUTO,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be done; change nothing.")
    ] = False,
    output: render.OutputOption = None,
    as_json: render.JsonOption = False,
    query: render.QueryOption = None,
) -> None:
    """Replay failed jobs: redrive where possible, restart with the same input elsewhere.

    Exit status 1 when --mode redrive was asked for jobs that cannot be redriven (the rows say why).
    """
    out = render.Output.of(output, as_json, query)
    rows = replay(target(ctx), targets or [], failed, since, error, mode, dry_run)
    render.emit(out, rows, lambda: render.table(rows, COLUMNS, empty="no failed jobs to replay"))
    impossible = [row for row in rows if row["action"] == Action.CANNOT_REDRIVE]
    if impossible:
        reasons = "; ".join(dict.fromkeys(str(row["reason"]) for row in impossible))
        raise UserError(
            f"{len(impossible)} of {len(rows)} jobs cannot be redriven ({reasons}): "
            "use --mode auto to restart them instead"
        )
