"""Clips shared by the worker tests: generated once per test session (per xdist worker) in a temp dir."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from vidpipe.clipgen import Encoding, Manifest, Shot, make_clip, make_reference_clip

# A long, cheap clip: low resolution and frame rate, still pictures, a cut every 20 s.
_LONG_SHOTS = (Shot(20.0, "astronaut", "LONG CLIP"), Shot(20.0, "coffee"), Shot(20.0, "#335577", "THIRD"))
LONG_ENCODING = Encoding(fps=5, width=320, height=180, options={"preset": "ultrafast", "crf": "30"})


@pytest.fixture(scope="session")
def clips_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def reference(clips_dir: Path) -> Manifest:
    """The 12 s reference clip: 6 shots, 3 captions, faces in 2 shots, 2 sentences."""
    return make_reference_clip(clips_dir / "reference.mp4")


@pytest.fixture(scope="session")
def reference_doc(reference: Manifest) -> dict[str, Any]:
    """The worker's results document for the reference clip (analysed once per session)."""
    from worker.api import analyze_file

    return analyze_file(reference.path)


def make_long_clip(path: Path, minutes: int) -> Manifest:
    """``minutes`` of the cheap long clip (a 60 s pattern repeated)."""
    return make_clip(path, _LONG_SHOTS * minutes, (), LONG_ENCODING)


@pytest.fixture(scope="session")
def one_minute_clip(clips_dir: Path) -> Manifest:
    return make_long_clip(clips_dir / "one_minute.mp4", 1)


def worker_command() -> list[str]:
    """The container's command, run with this interpreter."""
    return [sys.executable, "-m", "worker"]
