"""Which frames the decoder may leave undecoded, and the stream's frame timeline when it does.

FFmpeg's decoders honour ``AVCodecContext.skip_frame`` (PyAV ``codec_context.skip_frame``):

- ``NONREF`` skips frames that no other frame references (most B-frames). Always exact: what is decoded
  is bit-identical to a full decode. About half the H.264 work on typical x264 output.
- ``BIDIR`` skips every B-frame, also those that other frames reference (x264's b-pyramid). Exact only
  when no P-frame references a B-frame. x264 with ``ref=1`` guarantees it (its P-frames predict from
  the previous I/P frame only); with ``ref`` > 1 they may reference a skipped B-frame and decode wrong
  (measured: mean error 8/255 on an x264 ``preset=slow`` clip). x264 writes its settings as text in an
  SEI message of the first frame, which is how the worker knows. H.264 only: x265 codes most P
  pictures as B slices (generalized B), so BIDIR would leave almost nothing.

Skipping is used only when every analyzer that sees every frame accepts it (``Analyzer.frame_skipping``)
and only while decoded frames stay at most ``MAX_GAP`` apart: the shot detector places a cut on the
first decoded frame after it, which must be within 0.2 s. A stream whose skipped runs are longer falls
back to a lighter level at once (``SkipLevel.relax``).
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field

#: Longest time between two consecutive decoded frames that skipping may cause (seconds).
MAX_GAP = 0.17
#: Frames a decoder may hold back for reordering (H.264 allows up to 16): the timeline's sorting window.
REORDER_WINDOW = 16

_X264_SETTINGS = re.compile(rb"x264 - core \d+[^\x00]*? options: ([^\x00]*)")


@dataclass
class SkipLevel:
    """The decoder's current ``skip_frame`` value, lowered when frames come out too far apart."""

    name: str = "DEFAULT"

    @classmethod
    def choose(cls, codec: str, fps: float | None, first_packet: bytes) -> SkipLevel:
        """The most skipping that stays exact for this stream (``DEFAULT``: decode every frame)."""
        if codec not in {"h264", "hevc"} or not fps:
            return cls()
        if codec == "h264":
            settings = _x264_settings(first_packet)
            bframes = int(settings.get("bframes", "0") or 0)
            if settings.get("ref") == "1" and bframes and (bframes + 1) / fps <= MAX_GAP:
                return cls("BIDIR")
        # A non-reference frame sits between two decoded ones in b-pyramid runs: gaps of 2 frames.
        return cls("NONREF") if 2 / fps <= MAX_GAP else cls()

    @property
    def skipping(self) -> bool:
        return self.name != "DEFAULT"

    def relax(self) -> None:
        """One level less skipping: BIDIR -> NONREF -> DEFAULT."""
        self.name = {"BIDIR": "NONREF", "NONREF": "DEFAULT"}.get(self.name, "DEFAULT")


def _x264_settings(packet: bytes) -> dict[str, str]:
    """x264's settings (``ref=1 ... bframes=3``) from the SEI text in its first frame; {} if absent."""
    found = _X264_SETTINGS.search(packet[:4096])
    if found is None:
        return {}
    return dict(kv.split("=", 1) for kv in found.group(1).decode("ascii", "replace").split() if "=" in kv)


@dataclass
class FrameTimeline:
    """Count and timing of every frame of the stream, decoded or not, in constant memory.

    Frame times may arrive in decode order (packets: B-frames come after the frame they precede); a
    small heap puts them back in presentation order before the steps between frames are measured.
    """

    frames: int = 0
    first: float | None = None
    last: float = 0.0
    min_step: float = float("inf")
    max_step: float = 0.0
    rotation: int = 0
    decoded: int = 0  # frames the decoder produced
    skip_frame: str = "DEFAULT"  # the level chosen at the first frame
    _pending: list[float] = field(default_factory=list)
    _previous: float | None = None

    def add(self, time: float | None) -> None:
        """One frame at ``time`` seconds (None: a frame without a timestamp, counted only)."""
        self.frames += 1
        if time is None:
            return
        heapq.heappush(self._pending, time)
        if len(self._pending) > REORDER_WINDOW:
            self._emit(heapq.heappop(self._pending))

    def close(self) -> None:
        """Flush the reorder window (at the end of the stream)."""
        while self._pending:
            self._emit(heapq.heappop(self._pending))

    def _emit(self, time: float) -> None:
        if self.first is None:
            self.first = time
        if self._previous is not None and time > self._previous:
            step = time - self._previous
            self.min_step = min(self.min_step, step)
            self.max_step = max(self.max_step, step)
        self._previous = time
        self.last = max(self.last, time)
