"""The analyzer interface: what a plug-in implements to see every frame, sampled frames and the audio.

The pipeline calls ``load()`` once (models; in a background thread, overlapping the download and the
first decoded frames), then, from one analysis thread: ``start(meta)`` once, then ``on_frame`` and ``on_audio`` in
stream order, then ``finish()`` for the analyzer's section of the results document. An analyzer must
keep only what its section needs (counters, open time ranges): never the frames themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from worker.skipping import FrameTimeline


@dataclass(frozen=True)
class VideoMeta:
    """What the container says about the video before decoding.

    ``timeline`` counts and times every frame of the stream (also those the decoder skips) during the
    streaming pass: it is complete when ``finish()`` is called.
    """

    container: str
    codec: str
    width: int
    height: int
    fps: float | None
    duration: float | None
    has_audio: bool
    audio_codec: str | None
    size_bytes: int
    timeline: FrameTimeline = field(default_factory=FrameTimeline, compare=False, repr=False)


@dataclass(frozen=True)
class Frame:
    """One decoded video frame.

    Attributes:
        index: position among the decoded frames.
        time: presentation time in seconds.
        thumb: a tiny RGB view (64x36, display orientation) of every frame, for change detection.
        rgb: the full-resolution RGB picture (display orientation) for sampled frames, else None.
        rotation: display rotation of the coded picture (0, 90, 180, 270 degrees counter-clockwise),
            already applied to ``thumb`` and ``rgb``.
    """

    index: int
    time: float
    thumb: np.ndarray
    rgb: np.ndarray | None
    rotation: int = 0

    @property
    def sampled(self) -> bool:
        return self.rgb is not None


@dataclass(frozen=True)
class AudioChunk:
    """Mono float32 samples at 16 kHz starting at ``time`` seconds."""

    time: float
    samples: np.ndarray


AUDIO_RATE = 16000


class Analyzer:
    """Base class of every analyzer (built-in or plug-in).

    Subclasses set ``name`` (the key of their section) and override what they need. ``every_frame``
    False (the default) means the analyzer only receives sampled frames; ``audio`` True subscribes it to
    the audio. An ``every_frame`` analyzer that sets ``frame_skipping`` accepts the frames the decoder
    chooses to decode (reference frames only, at most ``worker.skipping.MAX_GAP`` apart): while any
    ``every_frame`` analyzer leaves it False, every frame is decoded. Settings from the job options
    (``config[name]``) arrive as keyword arguments.
    """

    name: ClassVar[str] = ""
    every_frame: ClassVar[bool] = False
    frame_skipping: ClassVar[bool] = False
    audio: ClassVar[bool] = False
    #: The analysis thread it runs in: analyzers naming the same thread share it (see worker.pipeline).
    thread: ClassVar[str] = "main"

    def __init__(self, **settings: Any) -> None:
        if settings:
            raise TypeError(f"{type(self).__name__} takes no settings, got {sorted(settings)}")

    def load(self) -> None:
        """Load models (weights, inference sessions): called once before ``start``, in a background
        thread while the video downloads and the decoder starts. Keep per-video state out of it."""

    def start(self, meta: VideoMeta) -> None:
        """Called once before the first frame."""

    def on_frame(self, frame: Frame) -> None:
        """Called for every frame (``every_frame``) or for sampled frames only."""

    def on_audio(self, chunk: AudioChunk) -> None:
        """Called with consecutive audio chunks when ``audio`` is True."""

    def finish(self) -> dict[str, Any]:
        """The analyzer's section of the results document (JSON-serialisable)."""
        return {}

    def artifacts(self) -> dict[str, bytes]:
        """Extra files to store next to the results document, by relative name (``shots/000.jpg``)."""
        return {}
