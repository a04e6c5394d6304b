"""Analyse one local file: open, probe, stream through the analyzers, and build the document.

Shared by the container (after the S3 download) and the CLI (``vidpipe analyze FILE``).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from worker import document
from worker.errors import Rejected
from worker.loading import ModelLoader
from worker.options import Options
from worker.registry import build_analyzers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """Rejection thresholds (None: no limit)."""

    max_bytes: int | None = None
    max_duration: float | None = None


@dataclass
class Outcome:
    """The validated results document and the files to store next to it (shot thumbnails)."""

    document: dict[str, Any]
    artifacts: dict[str, bytes] = field(default_factory=dict)


def prepare(options: Options) -> ModelLoader:
    """Build the analyzers the options ask for and start loading their models in the background (the
    job calls it before the download, so that start-up overlaps it).

    Raises:
        Rejected: ``invalid_options``.
    """
    loader = ModelLoader(build_analyzers(options))
    loader.start()
    return loader


def analyse(
    path: Path,
    options: Options,
    ref: document.InputRef,
    limits: Limits,
    stop: threading.Event,
    timings: dict[str, float] | None = None,
    loader: ModelLoader | None = None,
) -> Outcome:
    """Analyse ``path``; a rejection is an outcome, not an error. ``loader`` comes from ``prepare``
    when the models started loading earlier; otherwise they load while the decoder starts.

    Raises:
        Terminated: ``stop`` was set during the analysis.
    """
    started = time.perf_counter()
    timings = dict(timings or {})
    try:
        if options.noop:
            build_analyzers(options)  # bad options are still rejected
            return Outcome(document.analysed(ref, {}, timings, time.perf_counter() - started))
        loader = loader or ModelLoader(build_analyzers(options))
        analyzers = loader.analyzers
        try:
            sections, spent = _run(path, options, loader, limits, stop, started)
        finally:
            loader.settle()  # loading may still run when the decoder stops early (a rejection, a stop)
        timings.update(spent)
        artifacts = {name: data for a in analyzers for name, data in a.artifacts().items()}
        elapsed = time.perf_counter() - started
        log.info("analysed in %.1f s: %s", elapsed, ", ".join(f"{k}={v:.1f}s" for k, v in spent.items()))
        return Outcome(document.analysed(ref, sections, timings, elapsed), artifacts)
    except Rejected as rej:
        log.info("rejected (%s): %s", rej.code, rej.reason)
        return Outcome(document.rejected(ref, rej.code, rej.reason, timings, time.perf_counter() - started))


def _run(
    path: Path, options: Options, loader: ModelLoader, limits: Limits, stop: threading.Event, origin: float
) -> tuple[dict[str, dict[str, Any]], dict[str, float]]:
    from worker.decode import iter_media, open_container, probe
    from worker.pipeline import run_analyzers
    from worker.s3io import check_size

    size = path.stat().st_size
    check_size(size, limits.max_bytes)
    container = open_container(path)
    with container:
        meta = probe(container, size, limits.max_duration)
        log.info("streaming pass started: %s %dx%d, %s s", meta.codec, meta.width, meta.height, meta.duration)
        analyzers = loader.analyzers
        skippable = all(a.frame_skipping for a in analyzers if a.every_frame)
        media = iter_media(container, meta, options.sample_fps, stop, limits.max_duration, skippable)
        return run_analyzers(analyzers, meta, media, stop, loader, origin)
