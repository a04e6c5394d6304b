"""Video metadata: what the container declares, checked against the frames the stream really holds."""

from __future__ import annotations

from typing import Any

from worker.analyzers.base import Analyzer, VideoMeta

VFR_TOLERANCE = 0.1  # frame intervals varying by more than 10% of their mean: variable frame rate


class MetadataAnalyzer(Analyzer):
    """Container, codec, size, rate, rotation and audio; duration and frame rate as demuxed (every frame
    of the stream is counted and timed, also the frames the decoder skips: ``meta.timeline``)."""

    name = "metadata"

    def __init__(self) -> None:
        self._meta: VideoMeta | None = None

    def start(self, meta: VideoMeta) -> None:
        self._meta = meta

    def finish(self) -> dict[str, Any]:
        assert self._meta is not None, "start() was not called"
        meta = self._meta
        seen = meta.timeline
        decoded_span = seen.last - (seen.first or 0.0)
        mean_step = decoded_span / (seen.frames - 1) if seen.frames > 1 else None
        measured = seen.last + (mean_step or 0.0) if seen.frames else 0.0
        swap = seen.rotation % 180 != 0
        return {
            "container": meta.container,
            "codec": meta.codec,
            "width": meta.width,
            "height": meta.height,
            "display_width": meta.height if swap else meta.width,
            "display_height": meta.width if swap else meta.height,
            "rotation": seen.rotation,
            "fps": round(1.0 / mean_step, 3) if mean_step else meta.fps,
            "declared_fps": meta.fps,
            "variable_frame_rate": bool(
                mean_step and (seen.max_step - seen.min_step) > VFR_TOLERANCE * mean_step
            ),
            "duration": round(meta.duration if meta.duration else measured, 3),
            "frames": seen.frames,
            "decoded_frames": seen.decoded,
            "skip_frame": seen.skip_frame,
            "audio": meta.has_audio,
            "audio_codec": meta.audio_codec,
            "size_bytes": meta.size_bytes,
            "ranges": [{"start": 0.0, "end": round(meta.duration or measured, 3)}],
        }
