"""What a TARGET argument names, in the forms a person types.

* a job id (24 hex digits) or a unique prefix of one (4 hex digits or more; an ambiguous prefix is a usage
  error that lists the candidates);
* an object: ``s3://bucket/key``, where the bucket may be the stack's video bucket or any short name that
  stands for it (``s3://videos/cam1/x.mp4``: the CDK-hashed name need not be typed), or a bare key of the
  video bucket (``cam1/x.mp4``); the newest version's job;
* an execution: its ARN or its name.

A text that could be several of these (``cfbc7d19``, ``x.mp4``) is tried in that order: job-id prefix,
execution name, key. Characters that an execution name cannot hold (``/``, spaces, brackets...) make it a
key at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from vidpipe.cli.errors import BadArgument, NotFound
from vidpipe.cli.executions import describe, execution_arn, is_execution_arn
from vidpipe.cli.jobs_store import JOB_ID_PATTERN, JOB_ID_PREFIX_PATTERN, JobStore, Record
from vidpipe.cli.target import Target
from vidpipe.contract.identity import object_uri, parse_s3_uri

# What Step Functions refuses in an execution name: whitespace, brackets, wildcards, and " # % \ ^ | ~ ` $
# & , ; : / and control characters (StartExecution API reference, ``name``).
_NOT_IN_EXECUTION_NAMES = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f]")
_CANDIDATES_SHOWN = 5


class Kind(StrEnum):
    JOB = "job"
    OBJECT = "object"
    EXECUTION = "execution"


def kind_of(text: str) -> Kind:
    """Classify a TARGET without any AWS call: what it is at first sight.

    A full job id is a JOB, ``s3://`` and texts that cannot be execution names are OBJECTs, the rest
    (ARNs, names, and job-id prefixes, which :func:`resolve` tries first) EXECUTIONs.

    Raises:
        BadArgument: for an empty target or a malformed ``s3://`` URI.
    """
    text = text.strip()
    if not text:
        raise BadArgument("empty target: give a job id, an s3://bucket/key, a key, or an execution")
    if text.startswith("s3://"):
        try:
            parse_s3_uri(text)
        except ValueError as exc:
            raise BadArgument(str(exc)) from None
        return Kind.OBJECT
    if JOB_ID_PATTERN.match(text):
        return Kind.JOB
    if is_execution_arn(text):
        return Kind.EXECUTION
    return Kind.OBJECT if _NOT_IN_EXECUTION_NAMES.search(text) else Kind.EXECUTION


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


def resolve(tgt: Target, text: str, with_jobs: bool = True) -> Resolved:
    """Look a TARGET up; after a restart of the local runtime, "not found" says that its state was reset.

    Raises:
        NotFound, BadArgument: as :func:`_resolve`.
    """
    try:
        return _resolve(tgt, text, with_jobs)
    except NotFound:
        if tgt.local_boot is not None and tgt.local_boot.restarted:  # not "never uploaded": reset
            raise NotFound(tgt.local_boot.not_found(text.strip())) from None
        raise


def _resolve(tgt: Target, text: str, with_jobs: bool) -> Resolved:
    """Look a TARGET up (see the module's docstring for the forms).

    ``with_jobs=False`` skips the table scan that finds an execution's jobs (``show`` needs none).

    Raises:
        NotFound: when the job, object or execution is unknown (an execution without jobs is not an error:
        it may have failed before claiming one).
        BadArgument: for a malformed target, or a job-id prefix or object alias that names several jobs.
    """
    kind = kind_of(text)
    text = text.strip()
    store = job_store(tgt)
    if kind is Kind.JOB:
        return Resolved(text, kind, [store.require(text)])
    if kind is Kind.OBJECT:
        return _object(tgt, store, text)
    if is_execution_arn(text):
        return _execution(tgt, store, text, describe(tgt.client("stepfunctions"), text), with_jobs)
    if JOB_ID_PREFIX_PATTERN.match(text):
        matches = store.by_prefix(text, limit=_CANDIDATES_SHOWN)
        if len(matches) > 1:
            listed = ", ".join(
                f"{j['job_id']} ({j.get('key', '?')}, {j.get('status', '?')})" for j in matches
            )
            more = " ..." if len(matches) >= _CANDIDATES_SHOWN else ""
            raise BadArgument(f"job id prefix {text} is ambiguous: {listed}{more}; type more digits")
        if matches:
            return Resolved(text, Kind.JOB, matches)
    arn = execution_arn(tgt.resources.state_machine_arn, text)
    try:
        execution = describe(tgt.client("stepfunctions"), arn)
    except NotFound:
        jobs = store.by_object(object_uri(tgt.resources.video_bucket, text))
        if jobs:
            return Resolved(text, Kind.OBJECT, jobs[:1])
        raise NotFound(
            f"no job, execution or object {text}: not a job id (prefix), an execution of "
            f"{tgt.resources.state_machine_arn.rsplit(':', 1)[-1]} or a key of {tgt.resources.video_bucket} "
            "(list them with `vidpipe jobs` or `vidpipe executions`)"
        ) from None
    return _execution(tgt, store, text, execution, with_jobs)


def _execution(
    tgt: Target, store: JobStore, text: str, execution: dict[str, Any], with_jobs: bool
) -> Resolved:
    jobs = store.for_execution(str(execution["executionArn"])) if with_jobs else []
    return Resolved(text, Kind.EXECUTION, jobs, execution)


def _object(tgt: Target, store: JobStore, text: str) -> Resolved:
    """An ``s3://`` URI or a bare key: the newest version's job of that object in the video bucket."""
    video_bucket = tgt.resources.video_bucket
    if not text.startswith("s3://"):
        uris = [object_uri(video_bucket, text)]
    else:
        bucket, key = parse_s3_uri(text)
        # Any other bucket name stands for the video bucket: s3://videos/cam1/x.mp4 is cam1/x.mp4, unless
        # the name was a first folder (s3://cam1/x.mp4), which is tried too.
        uris = [text] if bucket == video_bucket else [text, *_aliases(video_bucket, bucket, key)]
    found = {uri: jobs for uri in uris if (jobs := store.by_object(uri))}
    if len(found) > 1:
        raise BadArgument(f"{text} may name {' or '.join(found)}: give the key as it is in {video_bucket}")
    if not found:
        raise NotFound(
            f"no job for {' or '.join(dict.fromkeys(uris))}: was it uploaded to the video bucket "
            f"{video_bucket}? (see `vidpipe jobs`, `vidpipe dlq show`)"
        )
    [jobs] = found.values()
    return Resolved(text, Kind.OBJECT, jobs[:1])  # the newest version's job


def _aliases(video_bucket: str, bucket: str, key: str) -> list[str]:
    return [object_uri(video_bucket, key), object_uri(video_bucket, f"{bucket}/{key}")]


def resolve_job(tgt: Target, text: str) -> Record:
    """Exactly one job for commands about one job (``results``, ``logs``, ``status``).

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


def execution_of(tgt: Target, text: str) -> str:
    """The execution a TARGET names: itself, or the job's current (latest) execution.

    Raises:
        NotFound: when the target is unknown or its job never got an execution.
        BadArgument: as :func:`resolve`.
    """
    resolved = resolve(tgt, text, with_jobs=False)
    if resolved.execution is not None:
        return str(resolved.execution["executionArn"])
    job = resolved.jobs[0]
    arn = job.get("execution_arn")
    if not arn:
        raise NotFound(f"job {job['job_id']} has no execution recorded")
    return str(arn)


__all__ = [
    "Kind",
    "Resolved",
    "execution_of",
    "is_execution_arn",
    "job_store",
    "kind_of",
    "resolve",
    "resolve_job",
]
