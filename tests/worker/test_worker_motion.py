"""The pan check: a view that only slid reuses the last OCR run's lines; any other change reruns OCR."""

from __future__ import annotations

import numpy as np
import pytest

from vidpipe.clipgen.scenes import Shot, render_canvas
from worker.analyzers.base import Frame, VideoMeta
from worker.analyzers.motion import ShiftCheck
from worker.analyzers.text import TextAnalyzer

WIDTH, HEIGHT = 1280, 720
CAPTION = "A CAT NAMED CHELSEA"


@pytest.fixture(scope="module")
def canvas() -> np.ndarray:
    """A captioned picture 200 px wider than the view, as the clip generator pans across it."""
    return render_canvas(Shot(5.0, "chelsea", CAPTION), WIDTH, HEIGHT, 200)


def _view(canvas: np.ndarray, x: int) -> np.ndarray:
    return np.ascontiguousarray(canvas[:, x : x + WIDTH])


def test_a_slide_within_a_tenth_of_the_view_only_moved(canvas: np.ndarray) -> None:
    check = ShiftCheck()
    check.remember(_view(canvas, 0))
    assert check.only_moved(_view(canvas, 32))
    assert check.only_moved(_view(canvas, 120))
    assert not check.only_moved(_view(canvas, 200))  # more than a tenth of the width slid into view


def test_a_local_change_or_another_picture_is_not_a_slide(canvas: np.ndarray) -> None:
    check = ShiftCheck()
    check.remember(_view(canvas, 0))
    changed = _view(canvas, 32).copy()
    changed[100:140, 200:300] = 255  # a new word-sized mark on the moved view
    assert not check.only_moved(changed)
    other = render_canvas(Shot(5.0, "coffee"), WIDTH, HEIGHT, 0)
    assert not check.only_moved(other)
    faded = (_view(canvas, 32) * 0.7).astype(np.uint8)
    assert not check.only_moved(faded)


def _text(canvas: np.ndarray, pan_threshold: float, min_score: float = 0.7) -> dict:
    analyzer = TextAnalyzer(pan_threshold=pan_threshold, threads=1, min_score=min_score)
    analyzer.load()
    analyzer.start(VideoMeta("mp4", "h264", WIDTH, HEIGHT, 30.0, 5.0, False, None, 0))
    for i in range(5):  # one sample a second of a 30 px/s pan
        view = _view(canvas, 30 * i)
        thumb = view[::20, ::20][:36, :64]
        analyzer.on_frame(Frame(i, float(i), np.ascontiguousarray(thumb), view))
    return analyzer.finish()


def test_ocr_reuses_its_lines_on_a_pan_and_reads_the_same(canvas: np.ndarray) -> None:
    gated, every = _text(canvas, 8.0), _text(canvas, -1.0)
    assert [ln["text"] for ln in gated["lines"]] == [CAPTION]
    assert [(ln["text"], ln["start"], ln["end"]) for ln in gated["lines"]] == [
        (ln["text"], ln["start"], ln["end"]) for ln in every["lines"]
    ]
    assert (gated["ocr_runs"], every["ocr_runs"]) == (1, 5)


def test_a_textless_pan_is_read_once_when_the_detector_saw_nothing() -> None:
    rocket = render_canvas(Shot(5.0, "rocket"), WIDTH, HEIGHT, 200)
    gated, every = _text(rocket, 8.0), _text(rocket, -1.0)
    assert gated["lines"] == every["lines"] == []
    assert (gated["ocr_runs"], every["ocr_runs"]) == (1, 5)


def test_a_pan_is_read_at_every_sample_after_a_run_that_detected_text_but_kept_none(
    canvas: np.ndarray,
) -> None:
    # No line reaches a score above 1, but the detector sees the caption: the borderline case (text
    # missed in one picture may be read in the next), so nothing is reused.
    unread = _text(canvas, 8.0, min_score=1.01)
    assert unread["lines"] == []
    assert unread["ocr_runs"] == 5
