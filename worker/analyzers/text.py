"""On-screen text with RapidOCR (PP-OCR ONNX weights inside the rapidocr wheel).

OCR is the most expensive model here (~200 ms per frame), so a sampled frame reuses the lines of the last
OCR run when its thumbnail has not changed since, or when the view only slid (a slow pan: the picture of
the last run moved by at most a tenth of its size, nothing else changed; ``worker.analyzers.motion``),
provided that run read text or its detector saw nothing close to text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from worker.analyzers.base import Analyzer, Frame, VideoMeta
from worker.analyzers.change import ChangeGate
from worker.analyzers.motion import ShiftCheck
from worker.analyzers.ranges import RangeTracker, SampleClock
from worker.models import rapidocr_onnx


class TextAnalyzer(Analyzer):
    """Lines of text as time ranges (repeated lines merged).

    Settings: ``min_score`` (recognition confidence to keep a line), ``det_max_side`` (detector input
    size), ``change_threshold`` (mean abs thumbnail difference, 0-255, below which OCR is skipped),
    ``pan_threshold`` (largest block difference, 0-255, of a view that only slid since the last run;
    negative: always rerun on a changed thumbnail), ``threads`` (onnxruntime intra-op threads).
    """

    name = "text"
    thread = "ocr"  # the costliest model: its own analysis thread

    def __init__(
        self,
        min_score: float = 0.7,
        det_max_side: int = 480,
        change_threshold: float = 3.0,
        pan_threshold: float = 8.0,
        threads: int = 2,
    ) -> None:
        if not (isinstance(threads, int) and threads >= 1):
            raise TypeError(f"threads must be a whole number >= 1, got {threads!r}")
        self.min_score = min_score
        self.det_max_side = det_max_side
        self.threads = threads
        self._gate = ChangeGate(change_threshold)
        self._pan = ShiftCheck(pan_threshold) if pan_threshold >= 0 else None
        self._runs = 0
        self._skipped = 0
        self._engine: Any = None
        self._ranges = RangeTracker()
        self._last_lines: dict[str, dict[str, Any]] = {}
        self._quiet = False  # the last run read nothing and its detector saw nothing close to text
        self._peak: _DetectorPeak | None = None
        self._clock = SampleClock()

    def load(self) -> None:
        from omegaconf import flag_override
        from rapidocr import RapidOCR

        self._engine = RapidOCR(
            params={
                "Global.use_cls": False,
                "Global.log_level": "error",
                "Det.limit_type": "max",
                "Det.limit_side_len": self.det_max_side,
            }
        )
        # Our own onnxruntime sessions (RapidOCR takes a ready session in a model's config, PR #451):
        # its configuration has no setting for the thread pool's spinning, which doubles the CPU time of
        # a multi-threaded session here.
        with flag_override(self._engine.cfg, "allow_objects", True):
            self._engine.cfg.Det.session = _session(rapidocr_onnx("det"), self.threads)
            self._engine.cfg.Rec.session = _session(rapidocr_onnx("rec"), self.threads)
        # RapidOCR builds its detector and recognizer at their first use: a blank picture through each
        # builds them now rather than at the first frame with text. These use_* arguments persist in
        # the engine, so each call names all three (as _read does).
        blank = np.zeros((32, 32, 3), np.uint8)
        self._engine(blank, use_det=True, use_cls=False, use_rec=False)
        self._engine(blank, use_det=False, use_cls=False, use_rec=True)
        self._peak = _DetectorPeak(self._engine.text_det.postprocess_op)
        self._engine.text_det.postprocess_op = self._peak

    def start(self, meta: VideoMeta) -> None:
        self._clock.duration = meta.duration

    def on_frame(self, frame: Frame) -> None:
        assert frame.rgb is not None
        self._clock.tick(frame.time)
        if self._gate.changed(frame.thumb) and not self._slid(frame.rgb):
            self._last_lines = self._read(frame.rgb)
            self._runs += 1
            if self._pan:
                self._pan.remember(frame.rgb)
        else:
            self._skipped += 1
        self._ranges.observe(frame.time, self._last_lines)

    def _slid(self, rgb: np.ndarray) -> bool:
        """The view only slid since the last run, which read text or was quiet. (After a run that read
        nothing but whose detector saw something text-like the check is not made: OCR can miss
        borderline text in one picture and read it in the next.)"""
        return bool(self._pan and (self._last_lines or self._quiet) and self._pan.only_moved(rgb))

    def _read(self, rgb: np.ndarray) -> dict[str, dict[str, Any]]:
        assert self._peak is not None
        self._peak.value = float("inf")  # unknown unless the detector's post-processing runs
        result = self._engine(rgb, use_det=True, use_cls=False, use_rec=True)  # (load() changed them)
        lines: dict[str, dict[str, Any]] = {}
        for text, score, box in zip(result.txts or (), result.scores or (), _boxes(result), strict=True):
            text = " ".join(text.split())
            if text and score >= self.min_score and text not in lines:
                lines[text] = {"score": round(float(score), 3), "box": box}
        self._quiet = not lines and self._peak.value < self._peak.thresh
        return lines

    def finish(self) -> dict[str, Any]:
        ranges = self._ranges.finish(self._clock.end())
        lines = [{"text": r.pop("key"), **r} for r in ranges]
        return {"lines": lines, "ocr_runs": self._runs, "ocr_skipped": self._skipped}


class _DetectorPeak:
    """RapidOCR's detector post-processing (DB: text pixels are those of probability > ``thresh``),
    wrapped to keep the highest text probability of the last picture it saw.

    A picture with no pixel over ``thresh`` has no text candidate at all: not even a box too faint to
    keep or a line read below ``min_score``. Measured on the benchmark clips at max side 480: the
    textless rocket pan peaks at 0.01-0.22; every picture with a box, read or not (the coffee shot
    whose "8" is read from its second sample on), at 0.98 or more.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.thresh = float(inner.thresh)
        self.value = float("inf")

    def __call__(self, pred: np.ndarray, shape: tuple[int, int]) -> Any:
        self.value = float(pred.max()) if pred.size else 0.0
        return self.inner(pred, shape)


def _session(path: Path, threads: int) -> Any:
    """An onnxruntime session as RapidOCR makes them (all graph optimisations, no memory arena), with
    ``threads`` intra-op threads that sleep rather than spin between operators."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.enable_cpu_mem_arena = False
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _boxes(result: Any) -> list[list[int]]:
    """Axis-aligned [x1, y1, x2, y2] of each detected quadrilateral."""
    if result.boxes is None:
        return []
    return [
        [int(b[:, 0].min()), int(b[:, 1].min()), int(b[:, 0].max()), int(b[:, 1].max())]
        for b in np.asarray(result.boxes)
    ]
