"""Speech segments with the Silero VAD ONNX model (from the silero-vad wheel) through onnxruntime.

Streaming port of silero-vad's ``get_speech_timestamps``: 512-sample windows at 16 kHz with the model's
recurrent state and 64 samples of context carried over, and the same hysteresis (start above
``threshold``, end after ``min_silence_seconds`` below ``threshold - 0.15``). Only the open segment and
less than one window of samples are held, whatever the length of the audio.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from worker.analyzers.base import AUDIO_RATE, Analyzer, AudioChunk
from worker.models import silero_vad_onnx

WINDOW = 512
CONTEXT = 64


class SpeechAnalyzer(Analyzer):
    """Voice-activity segments (start, end in seconds).

    Settings: ``threshold``, ``min_speech_seconds``, ``min_silence_seconds``, ``pad_seconds``.
    """

    name = "speech"
    audio = True

    def __init__(
        self,
        threshold: float = 0.5,
        min_speech_seconds: float = 0.25,
        min_silence_seconds: float = 0.3,
        pad_seconds: float = 0.03,
    ) -> None:
        self.threshold = threshold
        self.min_speech = min_speech_seconds
        self.min_silence = min_silence_seconds
        self.pad = pad_seconds
        self._session: Any = None
        self._state = np.zeros((2, 1, 128), np.float32)
        self._context = np.zeros((1, CONTEXT), np.float32)
        self._pending = np.zeros(0, np.float32)
        self._origin: float | None = None  # time of the first audio sample
        self._windows = 0
        self._start: float | None = None  # open segment
        self._silence_from: float | None = None
        self._segments: list[dict[str, float]] = []

    def load(self) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(
            str(silero_vad_onnx()), options, providers=["CPUExecutionProvider"]
        )
        self._sr = np.array(AUDIO_RATE, dtype=np.int64)

    def on_audio(self, chunk: AudioChunk) -> None:
        if self._origin is None:
            self._origin = chunk.time
        samples = np.concatenate([self._pending, chunk.samples.astype(np.float32, copy=False)])
        usable = len(samples) - len(samples) % WINDOW
        for at in range(0, usable, WINDOW):
            self._step(samples[at : at + WINDOW])
        self._pending = samples[usable:]

    def _step(self, window: np.ndarray) -> None:
        x = np.concatenate([self._context, window[None, :]], axis=1)
        prob, self._state = self._session.run(None, {"input": x, "state": self._state, "sr": self._sr})
        self._context = x[:, -CONTEXT:]
        now = self._time(self._windows)
        self._windows += 1
        p = float(prob[0, 0])
        if p >= self.threshold:
            self._silence_from = None
            if self._start is None:
                self._start = now
        elif p < self.threshold - 0.15 and self._start is not None:
            if self._silence_from is None:
                self._silence_from = now
            if now - self._silence_from >= self.min_silence:
                self._close(self._silence_from)

    def _time(self, windows: int) -> float:
        return (self._origin or 0.0) + windows * WINDOW / AUDIO_RATE

    def _close(self, end: float) -> None:
        assert self._start is not None
        if end - self._start >= self.min_speech:
            self._segments.append({"start": self._start, "end": end})
        self._start = None
        self._silence_from = None

    def finish(self) -> dict[str, Any]:
        if self._start is not None:
            self._close(self._time(self._windows))
        stop = self._time(self._windows) + len(self._pending) / AUDIO_RATE
        ranges = [
            {
                "start": round(max(0.0, s["start"] - self.pad), 3),
                "end": round(min(stop, s["end"] + self.pad), 3),
            }
            for s in self._segments
        ]
        return {"ranges": ranges, "speech_seconds": round(sum(r["end"] - r["start"] for r in ranges), 3)}
