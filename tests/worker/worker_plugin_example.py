"""A plug-in analyzer as a user would write it, loaded by module path in the options tests."""

from __future__ import annotations

from typing import Any

from worker.analyzers import Analyzer, AudioChunk, Frame


class BrightnessAnalyzer(Analyzer):
    """Mean brightness of sampled frames; counts audio chunks (exercises every hook)."""

    name = "brightness"
    audio = True

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale
        self.values: list[float] = []
        self.chunks = 0

    def on_frame(self, frame: Frame) -> None:
        assert frame.rgb is not None
        self.values.append(float(frame.rgb.mean()) * self.scale)

    def on_audio(self, chunk: AudioChunk) -> None:
        self.chunks += 1

    def finish(self) -> dict[str, Any]:
        return {
            "samples": len(self.values),
            "audio_chunks": self.chunks,
            "max": max(self.values, default=0.0),
        }
