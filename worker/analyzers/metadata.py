"""Video metadata: what the container declares, checked against what the decoder actually delivered."""

from __future__ import annotations

from typing import Any

from worker.analyzers.base import Analyzer, Frame, VideoMeta

VFR_TOLERANCE = 0.1  # frame intervals varying by more than 10% of their mean: variable frame rate


class MetadataAnalyzer(Analyzer):
    """Container, codec, size, rate, rotation and audio; duration and frame rate as decoded."""

    name = "metadata"
    every_frame = True

    def __init__(self) -> None:
        self._meta: VideoMeta | None = None
        self._frames = 0
        self._first: float | None = None
        self._last = 0.0
        self._prev: float | None = None
        self._min_step = float("inf")
        self._max_step = 0.0
        self._rotation = 0

    def start(self, meta: VideoMeta) -> None:
        self._meta = meta

    def on_frame(self, frame: Frame) -> None:
        self._frames += 1
        if self._first is None:
            self._first = frame.time
            self._rotation = frame.rotation
        if self._prev is not None and frame.time > self._prev:
            step = frame.time - self._prev
            self._min_step = min(self._min_step, step)
            self._max_step = max(self._max_step, step)
        self._prev = frame.time
        self._last = max(self._last, frame.time)

    def finish(self) -> dict[str, Any]:
        assert self._meta is not None, "start() was not called"
        meta = self._meta
        decoded_span = self._last - (self._first or 0.0)
        mean_step = decoded_span / (self._frames - 1) if self._frames > 1 else None
        measured = self._last + (mean_step or 0.0) if self._frames else 0.0
        swap = self._rotation % 180 != 0
        return {
            "container": meta.container,
            "codec": meta.codec,
            "width": meta.width,
            "height": meta.height,
            "display_width": meta.height if swap else meta.width,
            "display_height": meta.width if swap else meta.height,
            "rotation": self._rotation,
            "fps": round(1.0 / mean_step, 3) if mean_step else meta.fps,
            "declared_fps": meta.fps,
            "variable_frame_rate": bool(
                mean_step and (self._max_step - self._min_step) > VFR_TOLERANCE * mean_step
            ),
            "duration": round(meta.duration if meta.duration else measured, 3),
            "frames": self._frames,
            "audio": meta.has_audio,
            "audio_codec": meta.audio_codec,
            "size_bytes": meta.size_bytes,
            "ranges": [{"start": 0.0, "end": round(meta.duration or measured, 3)}],
        }
