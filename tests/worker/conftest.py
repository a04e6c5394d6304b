"""Clips shared by the worker tests: generated once per test session (per xdist worker) in a temp dir."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from worker_support import make_long_clip

from vidpipe.clipgen import Manifest, make_reference_clip


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


@pytest.fixture(scope="session")
def one_minute_clip(clips_dir: Path) -> Manifest:
    return make_long_clip(clips_dir / "one_minute.mp4", 1)
