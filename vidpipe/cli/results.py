"""``vidpipe results JOB``: the analysis of a job, summarised for people or in full for scripts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from botocore.exceptions import ClientError

from vidpipe.cli import render
from vidpipe.cli.context import target
from vidpipe.cli.errors import BadArgument, NotFound
from vidpipe.cli.lookup import resolve_job
from vidpipe.cli.target import Target
from vidpipe.contract.identity import parse_s3_uri
from vidpipe.contract.names import JobStatus

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
    record = resolve_job(tgt, job_target)
    uri = record.get("results_uri")
    if not uri:
        status = record.get("status")
        if status == JobStatus.FAILED:
            why = f"it FAILED ({record.get('error', 'no error recorded')}): replay it with `vidpipe replay`"
        elif status in (JobStatus.RECEIVED, JobStatus.RUNNING):
            why = f"it is {status}: wait, or follow it with `vidpipe status {record['job_id']}`"
        else:
            why = f"its record has no results_uri (status {status})"
        raise NotFound(f"no results for job {record['job_id']}: {why}")
    bucket, key = parse_s3_uri(uri)
    try:
        body = tgt.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NoSuchBucket"}:
            raise NotFound(f"results document {uri} of job {record['job_id']} does not exist") from exc
        raise
    document: dict[str, Any] = json.loads(body)
    return document


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


def write_document(document: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")


def command(
    ctx: typer.Context,
    job: Annotated[str, typer.Argument(metavar="JOB", help="Job id, s3://bucket/key, or execution.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the full results document.")] = False,
    out: Annotated[Path | None, typer.Option(help="Write the full results document to this file.")] = None,
) -> None:
    """Show a job's analysis: a readable summary, the full document (--json), or save it (--out)."""
    if as_json and out:
        raise BadArgument("--json and --out are exclusive")
    document = fetch_results(target(ctx), job)
    if as_json:
        render.print_json(document)
    elif out:
        write_document(document, out)
        render.console.print(f"wrote {out}")
    else:
        print_summary(document)
