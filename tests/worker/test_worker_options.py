"""Options: parsing, validation (as rejections), analyzer selection, plug-ins, noop and thumbnails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vidpipe.clipgen import Manifest
from vidpipe.contract.validation import validate
from worker.api import analyze_file
from worker.errors import Rejected
from worker.options import DEFAULT_ANALYZERS, parse_options


def test_defaults() -> None:
    opts = parse_options(None)
    assert opts.analyzers == DEFAULT_ANALYZERS
    assert (opts.sample_fps, opts.thumbnails, opts.noop) == (1.0, True, False)
    assert parse_options('{"sample_fps": 2, "noop": true}').sample_fps == 2.0


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("{not json", "not JSON"),
        ("[1]", "JSON object"),
        ({"sample_fps": 0}, "sample_fps"),
        ({"analyzers": "text"}, "analyzers"),
        ({"thumbnails": "yes"}, "thumbnails"),
        ({"colour": 1}, "unknown option 'colour'"),
    ],
)
def test_invalid_options_are_rejections(raw: Any, fragment: str) -> None:
    with pytest.raises(Rejected) as info:
        parse_options(raw)
    assert info.value.code == "invalid_options"
    assert fragment in info.value.reason


def test_unknown_analyzer_and_bad_plugin_reported_together(reference: Manifest) -> None:
    doc = analyze_file(
        reference.path, {"analyzers": ["shots", "colour"], "plugins": ["nowhere.module:Thing", "no-such-ep"]}
    )
    assert doc["rejection"]["code"] == "invalid_options"
    for fragment in ("'colour'", "nowhere.module:Thing", "no-such-ep"):
        assert fragment in doc["rejection"]["reason"]


def test_bad_analyzer_settings_are_rejections(reference: Manifest) -> None:
    doc = analyze_file(reference.path, {"analyzers": ["faces"], "config": {"faces": {"colour": 1}}})
    assert doc["rejection"]["code"] == "invalid_options"


def test_selected_analyzers_plugin_and_sample_rate(reference: Manifest, tmp_path: Path) -> None:
    options = {
        "analyzers": ["shots"],
        "plugins": ["worker_plugin_example:BrightnessAnalyzer"],
        "sample_fps": 2,
        "config": {"brightness": {"scale": 0.5}},
    }
    doc = analyze_file(reference.path, options, artifacts_dir=tmp_path)
    assert set(doc["analyzers"]) == {"metadata", "shots", "brightness"}
    section = doc["analyzers"]["brightness"]
    assert section["samples"] == round(reference.duration * 2)
    assert section["audio_chunks"] > 0
    assert 0 < section["max"] <= 127.5
    shots = doc["analyzers"]["shots"]["ranges"]
    assert sorted(p.name for p in (tmp_path / "shots").iterdir()) == [f"{s['index']:03d}.jpg" for s in shots]
    assert all((tmp_path / s["thumbnail"]).read_bytes()[:2] == b"\xff\xd8" for s in shots)


def test_thumbnails_off(reference: Manifest, tmp_path: Path) -> None:
    doc = analyze_file(reference.path, {"analyzers": ["shots"], "thumbnails": False}, artifacts_dir=tmp_path)
    assert all(s["thumbnail"] is None for s in doc["analyzers"]["shots"]["ranges"])
    assert not (tmp_path / "shots").exists()


def test_noop_writes_a_valid_analysed_document(tmp_path: Path) -> None:
    not_even_a_video = tmp_path / "x.mp4"
    not_even_a_video.write_text("noop never decodes")
    doc = analyze_file(not_even_a_video, {"noop": True})
    validate(doc, "results")
    assert doc["verdict"] == "analysed"
    assert doc["analyzers"] == {}
