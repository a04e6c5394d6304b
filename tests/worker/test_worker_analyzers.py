"""The default analyzers find the known content of the reference clip."""

from __future__ import annotations

from typing import Any

from vidpipe.clipgen import Manifest
from vidpipe.contract.validation import validate


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def test_document_and_summary_validate(reference_doc: dict[str, Any]) -> None:
    validate(reference_doc, "results")
    validate(reference_doc["summary"], "summary")
    assert reference_doc["verdict"] == "analysed"
    assert reference_doc["complete"] is True
    assert set(reference_doc["analyzers"]) == {"metadata", "shots", "text", "faces", "speech"}


def test_metadata(reference_doc: dict[str, Any], reference: Manifest) -> None:
    meta = reference_doc["analyzers"]["metadata"]
    assert meta["codec"] == "h264"
    assert (meta["width"], meta["height"]) == (reference.width, reference.height)
    assert meta["fps"] == reference.fps
    assert abs(meta["duration"] - reference.duration) < 0.1
    assert meta["audio"] is True
    assert meta["rotation"] == 0
    assert meta["frames"] == round(reference.duration * reference.fps)


def test_cuts_within_a_fifth_of_a_second(reference_doc: dict[str, Any], reference: Manifest) -> None:
    cuts = reference_doc["analyzers"]["shots"]["cuts"]
    assert len(cuts) == len(reference.cuts)
    for found, expected in zip(cuts, reference.cuts, strict=True):
        assert abs(found - expected) <= 0.2


def test_captions_exact(reference_doc: dict[str, Any], reference: Manifest) -> None:
    lines = reference_doc["analyzers"]["text"]["lines"]
    for start, end, caption in reference.captions:
        matches = [ln for ln in lines if ln["text"] == caption]
        assert matches, f"{caption!r} not read; lines: {[ln['text'] for ln in lines]}"
        assert any(_overlap((m["start"], m["end"]), (start, end)) > 0 for m in matches)


def test_ocr_skips_unchanged_frames(reference_doc: dict[str, Any]) -> None:
    text = reference_doc["analyzers"]["text"]
    assert text["ocr_skipped"] > 0 or text["ocr_runs"] < 12


def test_faces_only_in_face_shots(reference_doc: dict[str, Any], reference: Manifest) -> None:
    frames = reference_doc["analyzers"]["faces"]["frames"]
    for start, end in reference.face_ranges:
        inside = [f for f in frames if start <= f["time"] < end]
        assert inside and all(f["count"] == 1 for f in inside)
    for start, end in reference.no_face_ranges:
        assert all(f["count"] == 0 for f in frames if start <= f["time"] < end)


def test_speech_segments_within_three_tenths(reference_doc: dict[str, Any], reference: Manifest) -> None:
    ranges = reference_doc["analyzers"]["speech"]["ranges"]
    assert len(ranges) == len(reference.speech)
    for found, (start, end, _text) in zip(ranges, reference.speech, strict=True):
        assert abs(found["start"] - start) <= 0.3
        assert abs(found["end"] - end) <= 0.3


def test_summary_figures(reference_doc: dict[str, Any], reference: Manifest) -> None:
    summary = reference_doc["summary"]
    assert summary["shots"] == len(reference.cuts) + 1
    assert summary["max_faces"] == 1
    assert summary["text_lines"] >= len(reference.captions)
    assert summary["speech_seconds"] > 0
