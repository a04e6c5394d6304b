"""Bad and unusual inputs: each gives a rejection with a clear reason or a correct analysis; none crashes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vidpipe.clipgen.unusual import UNUSUAL_INPUTS
from vidpipe.contract.validation import validate
from worker.api import analyze_file


@pytest.fixture(scope="module")
def outcomes(clips_dir: Path) -> dict[str, dict[str, Any]]:
    folder = clips_dir / "unusual"
    folder.mkdir(exist_ok=True)
    return {name: analyze_file(make(folder)) for name, (make, _code) in UNUSUAL_INPUTS.items()}


@pytest.mark.parametrize("name", sorted(UNUSUAL_INPUTS))
def test_verdict(name: str, outcomes: dict[str, dict[str, Any]]) -> None:
    doc = outcomes[name]
    validate(doc, "results")
    expected_code = UNUSUAL_INPUTS[name][1]
    if expected_code is None:
        assert doc["verdict"] == "analysed", doc.get("rejection")
        text = [line["text"] for line in doc["analyzers"]["text"]["lines"]]
        assert {"FIRST", "SECOND"} <= set(text) or text == ["SHORT"]
        assert doc["summary"]["max_faces"] == 1
    else:
        assert doc["verdict"] == "rejected"
        assert doc["rejection"]["code"] == expected_code
        assert doc["summary"]["reason"] == doc["rejection"]["reason"]
        assert len(doc["rejection"]["reason"]) > 10


def _meta(outcomes: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    meta: dict[str, Any] = outcomes[name]["analyzers"]["metadata"]
    return meta


def test_rotated_video_is_analysed_upright(outcomes: dict[str, dict[str, Any]]) -> None:
    meta = _meta(outcomes, "rotated")
    assert meta["rotation"] == 90
    assert (meta["display_width"], meta["display_height"]) == (360, 640)
    assert (outcomes["rotated"]["summary"]["width"], outcomes["rotated"]["summary"]["height"]) == (360, 640)


def test_codecs_and_streams(outcomes: dict[str, dict[str, Any]]) -> None:
    assert _meta(outcomes, "hevc")["codec"] == "hevc"
    assert _meta(outcomes, "vp9_webm")["codec"] == "vp9"
    assert _meta(outcomes, "vp9_webm")["audio_codec"] == "opus"
    assert _meta(outcomes, "no_audio")["audio"] is False
    assert outcomes["no_audio"]["analyzers"]["speech"]["ranges"] == []


def test_variable_frame_rate_is_detected_and_cut_found(outcomes: dict[str, dict[str, Any]]) -> None:
    assert _meta(outcomes, "variable_frame_rate")["variable_frame_rate"] is True
    assert _meta(outcomes, "no_audio")["variable_frame_rate"] is False
    (cut,) = outcomes["variable_frame_rate"]["analyzers"]["shots"]["cuts"]
    assert abs(cut - 1.0) <= 0.2


def test_shorter_than_a_second(outcomes: dict[str, dict[str, Any]]) -> None:
    doc = outcomes["shorter_than_a_second"]
    assert doc["summary"]["duration_seconds"] < 1
    assert all(r["end"] <= doc["summary"]["duration_seconds"] for r in doc["analyzers"]["faces"]["ranges"])


def test_limits(reference: Any) -> None:
    too_long = analyze_file(reference.path, max_duration_seconds=5)
    assert too_long["rejection"]["code"] == "too_long"
    too_large = analyze_file(reference.path, max_bytes=1000)
    assert too_large["rejection"]["code"] == "too_large"
