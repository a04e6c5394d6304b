"""``vidpipe upload PATH...``: put videos in the video bucket, print each object's job id, optionally wait.

The job id is computed exactly as the pipeline computes it (:func:`vidpipe.contract.identity.job_id_for`)
from the version id and ETag that S3 returned for *this* upload: they are captured from the PutObject or
CompleteMultipartUpload response through botocore events, because ``upload_file`` (which does the
multipart transfer) returns nothing and a ``HeadObject`` afterwards could see someone else's newer version.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from vidpipe.cli import render
from vidpipe.cli.context import target
from vidpipe.cli.errors import BadArgument, UserError
from vidpipe.cli.jobs_store import JobStore
from vidpipe.cli.lookup import job_store
from vidpipe.cli.target import Target
from vidpipe.contract.identity import job_id_for, object_uri
from vidpipe.contract.names import TERMINAL_STATUSES, VIDEO_SUFFIXES, JobStatus

MB = 1024 * 1024
EXIT_REJECTED = 3  # with --wait: nothing FAILED, but at least one video was REJECTED

# S3 notification filters are case-sensitive and list each suffix in lower and upper case only.
_TRIGGERING_SUFFIXES = frozenset(VIDEO_SUFFIXES) | {s.upper() for s in VIDEO_SUFFIXES}


def triggers_pipeline(path: Path) -> bool:
    """Whether an object named like ``path`` starts an execution (``.mp4`` and ``.MP4``, not ``.Mp4``)."""
    return path.suffix in _TRIGGERING_SUFFIXES


@dataclass(frozen=True)
class Planned:
    """One file to upload and the key it gets."""

    path: Path
    key: str


@dataclass(frozen=True)
class Skipped:
    """A file of a folder that is not uploaded, and why."""

    path: Path
    reason: str


@dataclass(frozen=True)
class Plan:
    """What an upload will send, and the files of its folders it leaves out."""

    files: list[Planned]
    skipped: list[Skipped]


def _skip_reason(path: Path) -> str | None:
    """Why a file found in a folder is not uploaded (None: it is)."""
    if triggers_pipeline(path):
        return None
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return (
            f"suffix {path.suffix} would not start the pipeline (the notification matches "
            f"{path.suffix.lower()} and {path.suffix.upper()} only): rename it"
        )
    return "not a video suffix"


def scan(paths: Iterable[Path], prefix: str) -> Plan:
    """Expand files and folders (recursively, videos only) into keys under ``prefix``.

    A folder's files keep their path relative to the folder; the folder's other files are listed as
    skipped with the reason. Every problem is reported at once, before any byte is sent.

    Raises:
        BadArgument: for missing paths, explicit files the pipeline would ignore, or nothing to upload.
    """
    prefix = prefix.strip("/")
    prefix = f"{prefix}/" if prefix else ""
    planned: list[Planned] = []
    skipped: list[Skipped] = []
    problems: list[str] = []
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file())
            videos = [p for p in files if triggers_pipeline(p)]
            skipped += [Skipped(p, reason) for p in files if (reason := _skip_reason(p))]
            if not videos:
                problems.append(f"{path}: no video files ({', '.join(VIDEO_SUFFIXES)})")
            planned += [Planned(p, prefix + p.relative_to(path).as_posix()) for p in videos]
        elif path.is_file():
            if not triggers_pipeline(path):
                problems.append(f"{path}: {_skip_reason(path)} ({', '.join(VIDEO_SUFFIXES)})")
            planned.append(Planned(path, prefix + path.name))
        else:
            problems.append(f"{path}: no such file or folder")
    if problems:
        raise BadArgument("; ".join(problems))
    return Plan(planned, skipped)


def plan(paths: Iterable[Path], prefix: str) -> list[Planned]:
    """The files :func:`scan` would upload (see there)."""
    return scan(paths, prefix).files


def report_skipped(skipped: list[Skipped]) -> None:
    """On stderr: each skipped file with a video suffix in the wrong case, and a count of the others."""
    others: dict[str, int] = {}
    for item in skipped:
        if item.path.suffix.lower() in VIDEO_SUFFIXES:
            render.say(("skipped ", "yellow"), str(item.path), f": {item.reason}", err=True)
        else:
            others[item.path.suffix or "(none)"] = others.get(item.path.suffix or "(none)", 0) + 1
    if others:
        count = sum(others.values())
        suffixes = ", ".join(sorted(others))
        render.note(f"skipped {count} file{'s' if count > 1 else ''} that are not videos ({suffixes})")


class _ResponseCapture:
    """Collects VersionId/ETag of completed uploads by key from botocore's after-call events."""

    def __init__(self, s3: Any) -> None:
        self.by_key: dict[str, dict[str, str]] = {}
        events = s3.meta.events
        for operation in ("PutObject", "CompleteMultipartUpload"):
            events.register(f"before-parameter-build.s3.{operation}", self._remember_key)
            events.register(f"after-call.s3.{operation}", self._capture)

    @staticmethod
    def _remember_key(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["vidpipe_key"] = params.get("Key")

    def _capture(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        key = context.get("vidpipe_key")
        if key and "ETag" in parsed:
            self.by_key[key] = {"version": parsed.get("VersionId") or "", "etag": parsed["ETag"]}


def upload_all(
    tgt: Target,
    planned: list[Planned],
    progress: bool = True,
    on_uploaded: Callable[[dict[str, Any]], None] | None = None,
    rows: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Upload every planned file (multipart above 8 MB) and return one row per object with its job id.

    ``on_uploaded`` is called with each row as soon as its object is stored; rows are appended to
    ``rows`` when given, so that a caller interrupted mid-way still has the finished ones.
    """
    from boto3.s3.transfer import TransferConfig
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    s3 = tgt.client("s3")
    bucket = tgt.resources.video_bucket
    capture = _ResponseCapture(s3)
    config = TransferConfig(multipart_threshold=8 * MB, multipart_chunksize=8 * MB, max_concurrency=4)
    rows = [] if rows is None else rows
    # markup=False: the description is a user's key, shown literally (a key may be "a[b]/c.mp4").
    columns = (
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    )
    shown = progress and render.err_console.is_terminal  # a bar only where it can be redrawn
    with Progress(*columns, console=render.err_console, disable=not shown, transient=True) as bar:
        for item in planned:
            task = bar.add_task(item.key, total=item.path.stat().st_size)
            s3.upload_file(
                str(item.path),
                bucket,
                item.key,
                Config=config,
                Callback=lambda sent, task=task: bar.update(task, advance=sent),
            )
            bar.remove_task(task)
            response = capture.by_key.get(item.key, {})
            version, etag = response.get("version") or None, response.get("etag")
            row = {
                "path": str(item.path),
                "key": item.key,
                "object_uri": object_uri(bucket, item.key),
                "version": version,
                "etag": etag,
                "job_id": job_id_for(bucket, item.key, version, etag),
                "status": "uploaded",
            }
            rows.append(row)
            if on_uploaded is not None:
                on_uploaded(row)
    return rows


def find_job(store: JobStore, upload: dict[str, Any]) -> dict[str, Any] | None:
    """The job record of an uploaded object version: by its job id, else by object and version/ETag.

    The second look-up covers an event source that leaves ``versionId`` out of the S3 notification (moto
    does, today): the pipeline then derives the job id from the ETag alone, so the id computed from the put
    response differs, but the record still names the object, version or ETag.
    """
    record = store.get(upload["job_id"])
    if record is not None:
        return record
    etag = (upload.get("etag") or "").strip('"')
    for candidate in store.by_object(upload["object_uri"]):
        if (upload.get("version") and candidate.get("version") == upload["version"]) or (
            etag and not candidate.get("version") and str(candidate.get("etag", "")).strip('"') == etag
        ):
            return candidate
    return None


def wait_for_jobs(
    store: JobStore,
    uploads: list[dict[str, Any]],
    timeout: float,
    interval: float,
    on_change: Callable[[dict[str, Any], str], None] = lambda upload, status: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Poll until every upload's job is SUCCEEDED, REJECTED or FAILED, or the deadline passes.

    Sets each upload row's ``status`` ("PENDING" while no record exists yet) and, when the pipeline's job id
    differs from the computed one, its ``job_id``.
    """
    deadline = clock() + timeout
    for upload in uploads:
        upload["status"] = "PENDING"
    while True:
        for upload in uploads:
            if upload["status"] in TERMINAL_STATUSES:
                continue
            record = find_job(store, upload)
            new = str(record["status"]) if record else "PENDING"
            if record is not None:
                upload["job_id"] = record["job_id"]
            if new != upload["status"]:
                upload["status"] = new
                on_change(upload, new)
        if all(u["status"] in TERMINAL_STATUSES for u in uploads) or clock() >= deadline:
            return
        sleep(min(interval, max(deadline - clock(), 0)))


def outcome_exit_code(statuses: Iterable[str]) -> int:
    """0 when every job SUCCEEDED; 1 when any FAILED or did not finish; 3 when the rest were REJECTED."""
    statuses = list(statuses)
    if any(s not in TERMINAL_STATUSES or s == JobStatus.FAILED for s in statuses):
        return 1
    return EXIT_REJECTED if JobStatus.REJECTED in statuses else 0


def follow(store: JobStore, rows: list[dict[str, Any]], timeout: float, interval: float, quiet: bool) -> None:
    """:func:`wait_for_jobs` with a live line on stderr: each change, and how many jobs are still open."""
    status = render.err_console.status("waiting for the pipeline", spinner="dots")

    def report(upload: dict[str, Any], new: str) -> None:
        render.say(upload["key"], ": ", (new, render.STATUS_STYLES.get(new, "")), err=True)
        done = sum(row["status"] in TERMINAL_STATUSES for row in rows)
        status.update(f"waiting for the pipeline: {done}/{len(rows)} finished")

    if quiet:
        wait_for_jobs(store, rows, timeout, interval)
        return
    if not render.err_console.is_terminal:  # no spinner in a pipe or a file: the changes only
        wait_for_jobs(store, rows, timeout, interval, report)
        return
    with status:
        wait_for_jobs(store, rows, timeout, interval, report)


def _announce(out: render.Output) -> Callable[[dict[str, Any]], None]:
    """What is printed the moment an object is stored: its job id and key (on stderr for JSON output,
    whose stdout is one document), so that an interrupted upload has printed every id it made."""

    def announce(row: dict[str, Any]) -> None:
        if out.is_json or out.query is not None:
            render.say(("uploaded ", "dim"), row["key"], (" job ", "dim"), row["job_id"], err=True)
        else:
            render.say(row["job_id"], "  ", row["key"])

    return announce


def command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path], typer.Argument(metavar="PATH", help="Video files or folders (recursively, videos only).")
    ],
    prefix: Annotated[str, typer.Option(help="Key prefix in the video bucket.")] = "",
    wait: Annotated[bool, typer.Option("--wait", help="Follow each job to its final status.")] = False,
    timeout: Annotated[
        float, typer.Option(min=1, help="With --wait: give up after this many seconds.")
    ] = 1800,
    interval: Annotated[float, typer.Option(min=0.1, help="With --wait: seconds between polls.")] = 2.0,
    output: render.OutputOption = None,
    as_json: render.JsonOption = False,
    query: render.QueryOption = None,
) -> None:
    """Upload videos; print each object's job id and key as it is stored; with --wait, follow them.

    With --wait the exit status is 0 when every job SUCCEEDED, 3 when none failed but some were REJECTED
    (not a video, corrupt, too large), and 1 when any FAILED or the timeout passed.
    """
    out = render.Output.of(output, as_json, query)
    scanned = scan(paths, prefix)
    report_skipped(scanned.skipped)
    tgt = target(ctx)
    rows: list[dict[str, Any]] = []
    machine = out.is_json or out.query is not None
    try:
        upload_all(tgt, scanned.files, progress=not machine, on_uploaded=_announce(out), rows=rows)
        if wait:
            follow(job_store(tgt), rows, timeout, interval, quiet=machine)
    except BaseException:  # Ctrl-C, a dead endpoint: the JSON of what was done before it still goes out
        if machine and rows:
            render.emit(out, rows, lambda: None)
        raise
    if machine:
        render.emit(out, rows, lambda: None)
    elif wait:
        render.table(rows, ("key", "job_id", "status"))
    if not wait:
        return
    code = outcome_exit_code(row["status"] for row in rows)
    unfinished = [row["key"] for row in rows if row["status"] not in TERMINAL_STATUSES]
    if unfinished:
        raise UserError(
            f"timed out after {timeout:g}s waiting for {', '.join(unfinished)}: see `vidpipe jobs`"
        )
    if code == 1:
        raise UserError("some jobs FAILED: see `vidpipe status <job>`, replay with `vidpipe replay --failed`")
    if code:
        raise typer.Exit(code)
