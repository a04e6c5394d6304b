"""The worker's Python API, for the CLI (``vidpipe analyze``), the local runtime and the demo."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from worker.analysis import Limits, analyse
from worker.document import InputRef, rejected
from worker.errors import Rejected
from worker.job import run_job_from_env
from worker.options import Options, parse_options

__all__ = ["analyze_file", "run_job_from_env"]


def analyze_file(
    path: str | Path,
    options: str | dict[str, Any] | Options | None = None,
    *,
    job_id: str = "local",
    max_bytes: int | None = None,
    max_duration_seconds: float | None = None,
    artifacts_dir: str | Path | None = None,
    stop: threading.Event | None = None,
) -> dict[str, Any]:
    """Analyse a local video file; the validated results document (verdict analysed or rejected).

    ``options`` is the VIDPIPE_OPTIONS object (dict or JSON text). Invalid options give a rejected
    document, like in the container. Shot thumbnails are written under ``artifacts_dir``
    (``shots/NNN.jpg``) when it is given. Setting ``stop`` from another thread aborts with
    ``worker.errors.Terminated``.
    """
    path = Path(path)
    ref = InputRef(job_id, path.resolve().as_uri(), size=path.stat().st_size if path.exists() else None)
    try:
        opts = parse_options(options)
    except Rejected as rej:
        return rejected(ref, rej.code, rej.reason, {}, 0.0)
    outcome = analyse(path, opts, ref, Limits(max_bytes, max_duration_seconds), stop or threading.Event())
    if artifacts_dir is not None:
        for name, data in outcome.artifacts.items():
            target = Path(artifacts_dir, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    return outcome.document
