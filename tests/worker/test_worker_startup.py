"""What the worker does before its first frame: only what that frame needs, and models loaded up front
(each analyzer waits for its own model only)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import numpy as np

from worker.analyzers.base import Analyzer, Frame, VideoMeta
from worker.analyzers.text import TextAnalyzer
from worker.pipeline import run_analyzers

# Imported later, off the path to the first decoded frame: schema validation (when the document is
# done), the models (in the loader threads), the decoder (once the analyzers are built).
_DEFERRED = ("jsonschema", "boto3", "rapidocr", "onnxruntime", "cv2", "av", "importlib.metadata")


def test_importing_the_api_leaves_heavy_modules_for_later() -> None:
    code = f"import json, sys, worker.api; print(json.dumps([m for m in {list(_DEFERRED)!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_ocr_load_builds_both_sessions_with_the_chosen_threads() -> None:
    analyzer = TextAnalyzer(threads=2)
    analyzer.load()
    engine = analyzer._engine
    # Both models are built by load(), none at the first frame with text (the recognizer used to be).
    assert engine.text_det is not None and engine.text_rec is not None
    for part in (engine.text_det, engine.text_rec):
        options = part.session.session.get_session_options()
        assert options.intra_op_num_threads == 2
        assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


class _FirstFrame(Analyzer):
    """Sees every frame, loads nothing: tells the slow loader below that a frame got through."""

    name = "first_frame"
    every_frame = True

    def __init__(self, seen: threading.Event) -> None:
        self.seen = seen

    def on_frame(self, frame: Frame) -> None:
        self.seen.set()


class _SlowModel(Analyzer):
    """Shares the analysis thread; its load() lasts until a frame has reached the analyzer before it."""

    name = "slow_model"

    def __init__(self, seen: threading.Event) -> None:
        self.seen = seen
        self.frames_while_loading = False
        self.frames = 0

    def load(self) -> None:
        self.frames_while_loading = self.seen.wait(30)

    def on_frame(self, frame: Frame) -> None:
        self.frames += 1


def test_an_analyzer_without_a_model_gets_frames_while_the_next_one_loads() -> None:
    seen = threading.Event()
    first, slow = _FirstFrame(seen), _SlowModel(seen)
    meta = VideoMeta("mp4", "h264", 64, 36, 1.0, 3.0, False, None, 0)
    thumb = np.zeros((36, 64, 3), np.uint8)
    media = [Frame(i, float(i), thumb, np.zeros((36, 64, 3), np.uint8)) for i in range(3)]
    run_analyzers([first, slow], meta, media, threading.Event())
    assert slow.frames_while_loading  # (the thread used to wait for both models before any frame)
    assert slow.frames == 3
