"""Shot cuts from tiny HSV thumbnails of every frame, in the decode pass.

A cut is a frame whose mean absolute difference from the previous frame stands far above the recent
typical difference (a rolling median): hard cuts are exact to the frame, while slow pans and noise
raise the median with the differences and do not trigger.
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
    times the rolling median a cut must exceed), ``window`` (frames in the median), ``min_shot_seconds``,
    ``thumbnails`` (set by the pipeline from the job options).
    """

    name = "shots"
    every_frame = True

    def __init__(
        self,
        threshold: float = 12.0,
        ratio: float = 4.0,
        window: int = 24,
        min_shot_seconds: float = 0.3,
        thumbnails: bool = False,
    ) -> None:
        self.threshold = threshold
        self.ratio = ratio
        self.min_shot_seconds = min_shot_seconds
        self.thumbnails = thumbnails
        self._diffs: deque[float] = deque(maxlen=window)
        self._prev: np.ndarray | None = None
        self._starts: list[tuple[float, float]] = []  # (start time, cut score)
        self._last_time = 0.0
        self._step = 0.0
        self._previews: dict[int, bytes] = {}

    def start(self, meta: VideoMeta) -> None:
        self._step = 1.0 / meta.fps if meta.fps else 0.0

    def on_frame(self, frame: Frame) -> None:
        import cv2

        hsv = cv2.cvtColor(frame.thumb, cv2.COLOR_RGB2HSV).astype(np.int16)
        if self._prev is None or self._prev.shape != hsv.shape:
            self._starts.append((frame.time, 0.0))
        else:
            diff = float(np.abs(hsv - self._prev).mean())
            typical = median(self._diffs) if self._diffs else 0.0
            long_enough = frame.time - self._starts[-1][0] >= self.min_shot_seconds
            if diff >= self.threshold and diff >= self.ratio * typical and long_enough:
                self._starts.append((frame.time, round(diff, 2)))
                self._diffs.clear()
            else:
                self._diffs.append(diff)
        self._prev = hsv
        self._last_time = frame.time
        shot = len(self._starts) - 1
        if self.thumbnails and frame.rgb is not None and shot not in self._previews:
            self._previews[shot] = _jpeg(frame.rgb)

    def finish(self) -> dict[str, Any]:
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


def _jpeg(rgb: np.ndarray) -> bytes:
    """A small JPEG preview: one per shot is kept in memory, never one per frame."""
    import cv2

    height = max(1, round(rgb.shape[0] * PREVIEW_WIDTH / rgb.shape[1]))
    small = cv2.resize(rgb, (PREVIEW_WIDTH, height), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return data.tobytes()
