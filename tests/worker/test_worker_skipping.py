"""Decoding less than every frame: exact pictures, every frame still counted, cuts still in place on pans
and fades."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from vidpipe.clipgen import Encoding, Manifest, Shot, make_clip
from worker.analyzers.base import Frame
from worker.analyzers.shots import ShotsAnalyzer
from worker.decode import iter_media, open_container, probe
from worker.skipping import FrameTimeline, SkipLevel

_SHOTS = (Shot(1.0, "astronaut"), Shot(1.0, "coffee"))
#: Pans, a fade to black before a hard cut, a fade in from black after one, and a fade out at the end.
PAN_AND_FADE_SHOTS = (
    Shot(2.0, "astronaut", "PAN"),
    Shot(3.0, "coffee", None, True, fade_out=1.0),
    Shot(3.0, "rocket", None, False),
    Shot(3.0, "chelsea", "FADE IN", True, fade_in=1.0),
    Shot(2.0, "#2a5599", None, False),
    Shot(3.0, "astronaut", None, True, fade_out=1.0),
)
SMALL = {"width": 320, "height": 180, "grain": 6, "audio_codec": None}


def _x264(folder: Path, name: str, preset: str, fps: int = 25) -> Path:
    path = folder / f"{name}.mp4"
    make_clip(path, _SHOTS, (), Encoding(fps=fps, options={"preset": preset, "crf": "23"}, **SMALL))  # type: ignore[arg-type]
    return path


def _first_packet(path: Path) -> bytes:
    with av.open(str(path)) as container:
        return next(bytes(p) for p in container.demux(video=0) if p.size)


def _pictures(path: Path, skip: str | None) -> dict[int | None, np.ndarray]:
    with av.open(str(path)) as container:
        video: Any = container.streams.video[0]
        video.thread_type = "AUTO"
        if skip:
            video.codec_context.skip_frame = skip
        return {f.pts: f.to_ndarray(format="gray") for f in container.decode(video)}


@pytest.mark.parametrize(("preset", "level"), [("veryfast", "BIDIR"), ("slow", "NONREF")])
def test_chosen_level_decodes_exact_pictures(tmp_path: Path, preset: str, level: str) -> None:
    """x264 veryfast (ref=1): its P-frames never predict from B-frames, all B-frames may go; slow
    (ref=5): only non-reference frames may (skipping its B-frames gives wrong pictures)."""
    clip = _x264(tmp_path, preset, preset)
    assert SkipLevel.choose("h264", 25.0, _first_packet(clip)).name == level
    full, part = _pictures(clip, None), _pictures(clip, level)
    assert 0 < len(part) < len(full)
    assert all(np.array_equal(full[pts], picture) for pts, picture in part.items())
    if preset == "slow":
        wrong = _pictures(clip, "BIDIR")
        assert any(not np.array_equal(full[pts], picture) for pts, picture in wrong.items())


def test_no_skipping_where_gaps_would_be_too_long() -> None:
    assert SkipLevel.choose("h264", 10.0, b"").name == "DEFAULT"  # 2 frames = 0.2 s
    assert SkipLevel.choose("vp9", 30.0, b"").name == "DEFAULT"
    assert SkipLevel.choose("hevc", 30.0, b"").name == "NONREF"  # never BIDIR: x265 codes P as B
    level = SkipLevel("BIDIR")
    level.relax()
    assert level.name == "NONREF"
    level.relax()
    assert not level.skipping


def test_timeline_counts_frames_given_in_decode_order() -> None:
    timeline = FrameTimeline()
    for t in (0.0, 0.12, 0.04, 0.08, 0.24, 0.16, 0.20):  # an I P B B P B B pattern
        timeline.add(t)
    timeline.close()
    assert timeline.frames == 7
    assert (timeline.first, timeline.last) == (0.0, 0.24)
    assert timeline.min_step == pytest.approx(0.04)
    assert timeline.max_step == pytest.approx(0.04)


@pytest.fixture(scope="module")
def pan_and_fade(tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    path = tmp_path_factory.mktemp("fades") / "pan_and_fade.mp4"
    return make_clip(path, PAN_AND_FADE_SHOTS, (), Encoding(**SMALL))  # type: ignore[arg-type]


def _shots(path: str, allow_skip: bool) -> tuple[dict[str, Any], FrameTimeline]:
    clip = Path(path)
    with open_container(clip) as container:
        meta = probe(container, clip.stat().st_size, None)
        shots = ShotsAnalyzer()
        shots.start(meta)
        for item in iter_media(container, meta, 1.0, threading.Event(), None, allow_skip):
            if isinstance(item, Frame):
                shots.on_frame(item)
    return shots.finish(), meta.timeline


@pytest.mark.parametrize("allow_skip", [False, True])
def test_cuts_on_pans_and_fades(pan_and_fade: Manifest, allow_skip: bool) -> None:
    """Every cut within 0.2 s, and no other (fades and pans are no cuts), whether or not frames are
    skipped; every frame is counted either way."""
    section, timeline = _shots(pan_and_fade.path, allow_skip)
    assert len(section["cuts"]) == len(pan_and_fade.cuts), section["cuts"]
    for found, expected in zip(section["cuts"], pan_and_fade.cuts, strict=True):
        assert abs(found - expected) <= 0.2
    assert timeline.frames == round(pan_and_fade.duration * pan_and_fade.fps)
    if allow_skip:
        assert timeline.skip_frame == "BIDIR"
        assert timeline.decoded < timeline.frames / 2
    else:
        assert timeline.decoded == timeline.frames
