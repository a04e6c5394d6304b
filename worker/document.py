"""Build the results document and its summary, and validate them against the shared JSON Schemas."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vidpipe.contract.names import Verdict

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class InputRef:
    """The analysed object: ``uri`` is ``s3://bucket/key`` on AWS, ``file:///path`` locally."""

    job_id: str
    uri: str
    version: str = ""
    size: int | None = None


def analysed(
    ref: InputRef, sections: dict[str, dict[str, Any]], timings: dict[str, float], seconds: float
) -> dict[str, Any]:
    """A validated analysed document."""
    return _finish(ref, Verdict.ANALYSED, _summary(Verdict.ANALYSED, sections, seconds), sections, timings)


def rejected(
    ref: InputRef, code: str, reason: str, timings: dict[str, float], seconds: float
) -> dict[str, Any]:
    """A validated rejected document (no analyzer sections)."""
    summary = {
        "verdict": Verdict.REJECTED.value,
        "reason": reason[:500],
        "rejection_code": code,
        "duration_seconds": None,
        "processing_seconds": round(seconds, 3),
    }
    return _finish(ref, Verdict.REJECTED, summary, {}, timings, {"code": code, "reason": reason})


def _summary(verdict: Verdict, sections: dict[str, dict[str, Any]], seconds: float) -> dict[str, Any]:
    """The few figures the job record keeps (see summary.schema.json)."""
    meta = sections.get("metadata", {})
    summary: dict[str, Any] = {
        "verdict": verdict.value,
        "duration_seconds": meta.get("duration"),
        "analyzers": sorted(sections),
        "processing_seconds": round(seconds, 3),
    }
    if "display_width" in meta:
        summary["width"], summary["height"] = meta["display_width"], meta["display_height"]
    if "shots" in sections:
        summary["shots"] = sections["shots"]["count"]
    if "text" in sections:
        summary["text_lines"] = len(sections["text"]["lines"])
    if "faces" in sections:
        summary["max_faces"] = sections["faces"]["max_faces"]
    if "speech" in sections:
        summary["speech_seconds"] = sections["speech"]["speech_seconds"]
    return summary


def _finish(
    ref: InputRef,
    verdict: Verdict,
    summary: dict[str, Any],
    sections: dict[str, dict[str, Any]],
    timings: dict[str, float],
    rejection: dict[str, str] | None = None,
) -> dict[str, Any]:
    source: dict[str, Any] = {"uri": ref.uri}
    if ref.version:
        source["version"] = ref.version
    if ref.size is not None:
        source["size"] = ref.size
    doc = {
        "schema_version": SCHEMA_VERSION,
        "job_id": ref.job_id,
        "input": source,
        "verdict": verdict.value,
        "complete": True,
        "summary": summary,
        "analyzers": sections,
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "created_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    if rejection is not None:
        doc["rejection"] = rejection
    from vidpipe.contract.validation import validate  # jsonschema: imported when the document is done

    validate(doc, "results")
    return doc
