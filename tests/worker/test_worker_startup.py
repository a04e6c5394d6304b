"""What the worker does before its first frame: only what that frame needs, and models loaded up front."""

from __future__ import annotations

import json
import subprocess
import sys

from worker.analyzers.text import TextAnalyzer

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
