"""What a TARGET argument names: a job id, an ``s3://bucket/key``, or an execution ARN or name."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from vidpipe.cli.errors import BadArgument, NotFound
from vidpipe.cli.executions import describe, execution_arn, is_execution_arn
from vidpipe.cli.jobs_store import JOB_ID_PATTERN, JobStore, Record
from vidpipe.cli.target import Target
from vidpipe.contract.identity import parse_s3_uri


class Kind(StrEnum):
    JOB = "job"
    OBJECT = "object"
    EXECUTION = "execution"


def kind_of(text: str) -> Kind:
    """Classify a TARGET without any AWS call.

    Raises:
        BadArgument: for an empty target or a malformed ``s3://`` URI.
    """
    text = text.strip()
    if not text:
        raise BadArgument("empty target: give a job id, an s3://bucket/key or an execution ARN or name")
    if text.startswith("s3://"):
        try:
            parse_s3_uri(text)
        except ValueError as exc:
            raise BadArgument(str(exc)) from None
        return Kind.OBJECT
    if JOB_ID_PATTERN.match(text):
        return Kind.JOB
    return Kind.EXECUTION


@dataclass(frozen=True)
class Resolved:
    """The jobs a target names (newest first), and the execution when the target was one."""

    text: str
    kind: Kind
    jobs: list[Record]
    execution: dict[str, Any] | None = None


def job_store(tgt: Target) -> JobStore:
    """The job table of the target's stack."""
    return JobStore(tgt.client("dynamodb"), tgt.resources.job_table)


def resolve(tgt: Target, text: str) -> Resolved:
    """Look a TARGET up.

    Raises:
        NotFound: when the job, object or execution is unknown (an execution without jobs is not an error:
        it may have failed before claiming one).
    """
    kind = kind_of(text)
    text = text.strip()
    store = job_store(tgt)
    try:
        if kind is Kind.JOB:
            return Resolved(text, kind, [store.require(text)])
        if kind is Kind.OBJECT:
            jobs = store.by_object(text)
            if not jobs:
                raise NotFound(
                    f"no job for {text}: was it uploaded to the video bucket? (see `vidpipe dlq show`)"
                )
            return Resolved(text, kind, jobs[:1])  # the newest version's job
        arn = execution_arn(tgt.resources.state_machine_arn, text)
        execution = describe(tgt.client("stepfunctions"), arn)
        return Resolved(text, kind, store.for_execution(arn), execution)
    except NotFound:
        if tgt.local_boot is not None and tgt.local_boot.restarted:  # not "never uploaded": reset
            raise NotFound(tgt.local_boot.not_found(f"{kind} {text}")) from None
        raise


def resolve_job(tgt: Target, text: str) -> Record:
    """Exactly one job for commands about one job (``results``, ``logs``).

    Raises:
        NotFound: when the target names no job.
        BadArgument: when an execution holds several jobs (the operator must pick one).
    """
    resolved = resolve(tgt, text)
    if not resolved.jobs:
        raise NotFound(f"execution {text} claimed no job (it failed before; see `vidpipe show {text}`)")
    if len(resolved.jobs) > 1:
        ids = ", ".join(j["job_id"] for j in resolved.jobs)
        raise BadArgument(f"execution {text} holds several jobs ({ids}): name one job id")
    return resolved.jobs[0]


__all__ = ["Kind", "Resolved", "is_execution_arn", "job_store", "kind_of", "resolve", "resolve_job"]
