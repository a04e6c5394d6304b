"""Helpers of the worker tests that test modules import (a unique module name: every tier has a conftest)."""

from __future__ import annotations

import sys
from pathlib import Path

from vidpipe.clipgen import Encoding, Manifest, Shot, make_clip

# A long, cheap clip: low resolution and frame rate, still pictures, a cut every 20 s.
_LONG_SHOTS = (Shot(20.0, "astronaut", "LONG CLIP"), Shot(20.0, "coffee"), Shot(20.0, "#335577", "THIRD"))
LONG_ENCODING = Encoding(fps=5, width=320, height=180, options={"preset": "ultrafast", "crf": "30"})


def make_long_clip(path: Path, minutes: int) -> Manifest:
    """``minutes`` of the cheap long clip (a 60 s pattern repeated)."""
    return make_clip(path, _LONG_SHOTS * minutes, (), LONG_ENCODING)


def worker_command() -> list[str]:
    """The container's command, run with this interpreter."""
    return [sys.executable, "-m", "worker"]
