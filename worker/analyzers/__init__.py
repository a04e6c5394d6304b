"""Built-in analyzers and the interface plug-ins implement (``worker.analyzers.base.Analyzer``)."""

from __future__ import annotations

from worker.analyzers.base import AUDIO_RATE, Analyzer, AudioChunk, Frame, VideoMeta

__all__ = ["AUDIO_RATE", "Analyzer", "AudioChunk", "Frame", "VideoMeta"]
