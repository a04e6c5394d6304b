"""`vidpipe demo`, the README's main command: runtime, sample video, real worker, exit 0 on SUCCEEDED."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from vidpipe.cli.main import app

pytestmark = pytest.mark.slow


def test_demo_runs_the_pipeline_end_to_end(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--timeout", "180", "--log-dir", str(tmp_path)])

    assert result.exit_code == 0, result.output
    assert "execution SUCCEEDED" in result.output
    for state in ("Prepare", "AcquireSlot", "MarkRunning", "AnalyzeOnSpot", "Record", "Conclude"):
        assert state in result.output
    assert list(tmp_path.glob("*.log")), "the worker's log file"
