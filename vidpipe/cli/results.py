"""``vidpipe results JOB``: the analysis of a job, summarised for people, in full for scripts, saved with its
thumbnails (``--out DIR``) or as one self-contained HTML page (``--html FILE``, the console's job view)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import typer
from botocore.exceptions import ClientError

from vidpipe.cli import render
from vidpipe.cli.context import target
from vidpipe.cli.errors import BadArgument, NotFound
from vidpipe.cli.jobs_store import Record
from vidpipe.cli.lookup import resolve_job
from vidpipe.cli.target import Target
from vidpipe.contract.identity import parse_s3_uri
from vidpipe.contract.names import JobStatus
from vidpipe.contract.validation import load_schema

SUMMARY_FIELDS = (
    ("verdict", "verdict"),
    ("reason", "reason"),
    ("duration_seconds", "duration (s)"),
    ("width", "width"),
    ("height", "height"),
    ("shots", "shots"),
    ("text_lines", "text lines"),
    ("max_faces", "max faces"),
    ("speech_seconds", "speech (s)"),
    ("processing_seconds", "processing (s)"),
)
MAX_RANGES_SHOWN = 4


def fetch_results(tgt: Target, job_target: str) -> dict[str, Any]:
    """The results document of a job, read from ``results_uri`` in its record.

    Raises:
        NotFound: when the job has no results (yet, or because it failed) or the document is gone.
    """
    return read_results(tgt, resolve_job(tgt, job_target))


def read_results(tgt: Target, record: Record) -> dict[str, Any]:
    """The results document of a job record (:func:`fetch_results` once the job is found).

    Raises:
        NotFound: when the job has no results (yet, or because it failed) or the document is gone.
    """
    uri = results_uri(record)
    document: dict[str, Any] = json.loads(
        _read(tgt, uri, f"results document {uri} of job {record['job_id']}")
    )
    return document


def results_uri(record: Record) -> str:
    """Where the job's results document is.

    Raises:
        NotFound: saying why a job has none (FAILED: replay it; RECEIVED/RUNNING: wait).
    """
    uri = record.get("results_uri")
    if uri:
        return str(uri)
    status = record.get("status")
    if status == JobStatus.FAILED:
        why = f"it FAILED ({record.get('error', 'no error recorded')}): replay it with `vidpipe replay`"
    elif status in (JobStatus.RECEIVED, JobStatus.RUNNING):
        why = f"it is {status}: wait, or follow it with `vidpipe status {record['job_id']}`"
    else:
        why = f"its record has no results_uri (status {status})"
    raise NotFound(f"no results for job {record['job_id']}: {why}")


@cache
def _artifact_pattern() -> re.Pattern[str]:
    """The thumbnail names the results schema allows (``shots/NNN.jpg``): nothing else is ever read."""
    shots = load_schema("results")["$defs"]["shots"]
    return re.compile(shots["properties"]["ranges"]["items"]["properties"]["thumbnail"]["pattern"])


def artifact_names(document: dict[str, Any]) -> list[str]:
    """The artifacts (shot thumbnails) a results document refers to, in shot order."""
    shots = (document.get("analyzers") or {}).get("shots") or {}
    names = [r.get("thumbnail") for r in shots.get("ranges") or [] if isinstance(r, dict)]
    return [n for n in names if isinstance(n, str) and _artifact_pattern().fullmatch(n)]


def fetch_artifact(tgt: Target, record: Record, name: str) -> bytes:
    """One artifact of a job's results (a shot thumbnail), stored next to its results document.

    Raises:
        NotFound: for a name the results schema does not allow, or an artifact that does not exist.
    """
    if not _artifact_pattern().fullmatch(name):
        raise NotFound(f"no artifact {name!r}: artifacts are named like shots/000.jpg")
    bucket, key = parse_s3_uri(results_uri(record))
    prefix = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
    return _read(tgt, f"s3://{bucket}/{prefix}{name}", f"artifact {name} of job {record['job_id']}")


def _read(tgt: Target, uri: str, what: str) -> bytes:
    bucket, key = parse_s3_uri(uri)
    try:
        body: bytes = tgt.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NoSuchBucket"}:
            raise NotFound(f"{what} does not exist") from exc
        raise
    return body


def _ranges(section: dict[str, Any]) -> str:
    ranges = section.get("ranges")
    if not isinstance(ranges, list) or not ranges:
        return ""
    shown = [
        f"{r.get('start', 0):.1f}-{r.get('end', 0):.1f}s"
        for r in ranges[:MAX_RANGES_SHOWN]
        if isinstance(r, dict)
        and isinstance(r.get("start"), int | float)
        and isinstance(r.get("end"), int | float)
    ]
    more = f" (+{len(ranges) - MAX_RANGES_SHOWN} more)" if len(ranges) > MAX_RANGES_SHOWN else ""
    return f"{len(ranges)}: " + ", ".join(shown) + more


def analyzer_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per analyzer section: its scalar facts and its time ranges, briefly."""
    rows = []
    for name, section in (document.get("analyzers") or {}).items():
        if not isinstance(section, dict):
            continue
        facts = [
            f"{k}={v}"
            for k, v in section.items()
            if isinstance(v, str | int | float | bool) and k != "ranges"
        ]
        rows.append({"analyzer": name, "facts": ", ".join(facts[:6]), "ranges": _ranges(section)})
    return rows


def _span(item: dict[str, Any]) -> str:
    start, end = item.get("start"), item.get("end")
    if isinstance(start, int | float) and isinstance(end, int | float):
        return f"{start:.1f}-{end:.1f}s"
    return "-"


def text_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The OCR strings with their times, in time order."""
    lines = ((document.get("analyzers") or {}).get("text") or {}).get("lines") or []
    rows = [
        {
            "time": _span(line),
            "text": str(line.get("text", "")),
            "score": line.get("score"),
            "_start": line.get("start"),
        }
        for line in lines
        if isinstance(line, dict)
    ]
    rows.sort(key=lambda r: (r["_start"] if isinstance(r["_start"], int | float) else 0.0, r["text"]))
    return rows


def shot_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The shots with their times and thumbnails."""
    ranges = ((document.get("analyzers") or {}).get("shots") or {}).get("ranges") or []
    return [
        {
            "shot": r.get("index", i),
            "time": _span(r),
            "cut_score": r.get("cut_score"),
            "thumbnail": r.get("thumbnail"),
        }
        for i, r in enumerate(ranges)
        if isinstance(r, dict)
    ]


def print_summary(document: dict[str, Any]) -> None:
    """The readable form of a results document (shared with ``vidpipe analyze``)."""
    summary = document.get("summary") or {}
    rejection = document.get("rejection") or {}
    pairs: list[tuple[str, Any]] = [
        ("job", document.get("job_id")),
        ("input", (document.get("input") or {}).get("uri")),
    ]
    pairs += [(label, summary.get(key)) for key, label in SUMMARY_FIELDS]
    if rejection:
        pairs.append(("rejection", f"{rejection.get('code')}: {rejection.get('reason')}"))
    pairs.append(("created", document.get("created_at")))
    render.fields(pairs)
    render.table(analyzer_rows(document), ("analyzer", "facts", "ranges"), empty="no analyzer sections")
    if shot_rows(document):
        render.table(shot_rows(document), ("shot", "time", "cut_score", "thumbnail"), title="shots")
    if text_rows(document):
        render.table(
            text_rows(document), ("time", "text", "score"), title="on-screen text", no_wrap=("time",)
        )


def write_document(document: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")


def artifacts_of(tgt: Target, record: Record, document: dict[str, Any]) -> dict[str, bytes]:
    """Every artifact the document refers to, by name; one that is missing is left out."""
    found: dict[str, bytes] = {}
    for name in artifact_names(document):
        try:
            found[name] = fetch_artifact(tgt, record, name)
        except NotFound:
            continue
    return found


def save(document: dict[str, Any], artifacts: dict[str, bytes], out: Path) -> Path:
    """Write the document and its artifacts: ``out`` is a folder (``results.json`` inside), or a ``.json``
    file with the artifacts beside it, under the same relative names as in S3 (``shots/000.jpg``)."""
    path = out if out.suffix.lower() == ".json" else out / "results.json"
    write_document(document, path)
    for name, data in artifacts.items():
        target = path.parent / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return path


def command(
    ctx: typer.Context,
    job: Annotated[str, typer.Argument(metavar="JOB", help="Job id, s3://bucket/key, or execution.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the full results document.")] = False,
    out: Annotated[
        Path | None,
        typer.Option(help="Save the document and its thumbnails in this folder (or this .json file)."),
    ] = None,
    html: Annotated[
        Path | None, typer.Option(help="Write the results as one self-contained HTML page (images inside).")
    ] = None,
) -> None:
    """Show a job's analysis: a readable summary with the shots and the on-screen text, the full document
    (--json), saved with its thumbnails (--out), or as an HTML page to share (--html)."""
    if as_json and (out or html):
        raise BadArgument("--json prints the document: it does not combine with --out or --html")
    tgt = target(ctx)
    record = resolve_job(tgt, job)
    document = read_results(tgt, record)
    if as_json:
        render.print_json(document)
        return
    if not out and not html:
        print_summary(document)
        return
    artifacts = artifacts_of(tgt, record, document)
    if out:
        path = save(document, artifacts, out)
        render.console.print(f"wrote {path} and {len(artifacts)} thumbnails", markup=False)
    if html:
        from vidpipe.console.export import write_html

        write_html(document, artifacts, html, record)
        render.console.print(f"wrote {html}", markup=False)
