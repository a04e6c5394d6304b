"""Shot cuts from tiny HSV thumbnails of every frame, in the decode pass.

A cut is a frame whose mean absolute difference from the previous frame stands far above the recent
typical difference (a rolling median) and above the next frame's difference: hard cuts are exact to the
frame, while pans, noise and fades (a run of similar differences) raise the median and do not trigger.
Hue counts as much as a pixel is saturated and lit, saturation as much as it is lit: in dark or grey
areas they are sensor noise (a fade to black made noise cuts). A fade through black is not a cut.
"""

from __future__ import annotations

from collections import deque
from statistics import median
from typing import Any

import numpy as np

from worker.analyzers.base import Analyzer, Frame, VideoMeta

PREVIEW_WIDTH = 320


class ShotsAnalyzer(Analyzer):
    """Shot boundaries as time ranges, with an optional JPEG preview per shot.

    Settings: ``threshold`` (minimum mean abs difference on 0-255 HSV for a cut), ``ratio`` (how many
    times the rolling median a cut must exceed), ``confirm_ratio`` (how many times the next frame's
    difference a cut must exceed: a hard cut is one jump, a fade or a fast pan a run of them),
    ``window`` (frames in the median), ``min_shot_seconds``, ``thumbnails`` (set by the pipeline from
    the job options).
    """

    name = "shots"
    every_frame = True
    frame_skipping = True  # a cut is placed on the first decoded frame after it (<= MAX_GAP late)

    def __init__(
        self,
        threshold: float = 12.0,
        ratio: float = 4.0,
        confirm_ratio: float = 2.0,
        window: int = 24,
        min_shot_seconds: float = 0.3,
        thumbnails: bool = False,
    ) -> None:
        self.threshold = threshold
        self.ratio = ratio
        self.confirm_ratio = confirm_ratio
        self.min_shot_seconds = min_shot_seconds
        self.thumbnails = thumbnails
        self._diffs: deque[float] = deque(maxlen=window)
        self._prev: np.ndarray | None = None
        self._starts: list[tuple[float, float]] = []  # (start time, cut score)
        # A possible cut waiting for the next frame: (time, difference, per frame, picture if sampled).
        self._candidate: tuple[float, float, float, np.ndarray | None] | None = None
        self._last_time = 0.0
        self._step = 0.0
        self._previews: dict[int, bytes] = {}

    def start(self, meta: VideoMeta) -> None:
        self._step = 1.0 / meta.fps if meta.fps else 0.0

    def on_frame(self, frame: Frame) -> None:
        import cv2

        hsv = cv2.cvtColor(frame.thumb, cv2.COLOR_RGB2HSV).astype(np.int16)
        if self._prev is None or self._prev.shape != hsv.shape:
            self._resolve(None)
            self._starts.append((frame.time, 0.0))
        else:
            diff = _difference(self._prev, hsv)
            # Gradual change (pans, fades) grows with the frames between two decoded ones, a cut does
            # not: the median and the confirmation compare changes per frame interval.
            span = max(1, round((frame.time - self._last_time) / self._step)) if self._step else 1
            rate = diff / span
            self._resolve(rate)
            typical = median(self._diffs) if self._diffs else 0.0
            long_enough = frame.time - self._starts[-1][0] >= self.min_shot_seconds
            if diff >= self.threshold and diff >= self.ratio * typical * span and long_enough:
                self._candidate = (frame.time, diff, rate, frame.rgb)
            else:
                self._diffs.append(rate)
        self._prev = hsv
        self._last_time = frame.time
        if self._candidate is None:
            self._preview(frame.rgb)

    def _resolve(self, next_rate: float | None) -> None:
        """Decide the pending candidate now that the next frame's change per frame interval is known
        (None: there is no comparable next frame, the candidate stands)."""
        if self._candidate is None:
            return
        time, diff, rate, rgb = self._candidate
        self._candidate = None
        if next_rate is None or rate >= self.confirm_ratio * next_rate:
            self._starts.append((time, round(diff, 2)))
            self._diffs.clear()
        else:
            self._diffs.append(rate)
        self._preview(rgb)

    def _preview(self, rgb: np.ndarray | None) -> None:
        """The current shot's JPEG from its first sampled frame."""
        shot = len(self._starts) - 1
        if self.thumbnails and rgb is not None and shot not in self._previews:
            self._previews[shot] = _jpeg(rgb)

    def finish(self) -> dict[str, Any]:
        self._resolve(None)
        end = self._last_time + self._step
        shots = []
        for i, (start, score) in enumerate(self._starts):
            stop = self._starts[i + 1][0] if i + 1 < len(self._starts) else end
            shots.append(
                {
                    "index": i,
                    "start": round(start, 3),
                    "end": round(stop, 3),
                    "cut_score": score,
                    "thumbnail": f"shots/{i:03d}.jpg" if i in self._previews else None,
                }
            )
        return {"count": len(shots), "cuts": [s["start"] for s in shots[1:]], "ranges": shots}

    def artifacts(self) -> dict[str, bytes]:
        return {f"shots/{i:03d}.jpg": data for i, data in self._previews.items()}


def _difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two int16 HSV thumbnails (OpenCV ranges: H 0-179, S and V 0-255),
    hue weighted by saturation and value, saturation by value."""
    lit = np.minimum(a[..., 2], b[..., 2]) / 255.0
    vivid = np.minimum(a[..., 1], b[..., 1]) / 255.0
    d = np.abs(a - b)
    return float((d[..., 0] * lit * vivid + d[..., 1] * lit + d[..., 2]).mean() / 3.0)


def _jpeg(rgb: np.ndarray) -> bytes:
    """A small JPEG preview: one per shot is kept in memory, never one per frame."""
    import cv2

    height = max(1, round(rgb.shape[0] * PREVIEW_WIDTH / rgb.shape[1]))
    small = cv2.resize(rgb, (PREVIEW_WIDTH, height), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return data.tobytes()
