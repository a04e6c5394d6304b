"""Overlap decoding and inference on two cores: the decoder thread feeds a bounded queue that one
analysis thread drains, calling every analyzer in stream order. Models load in a background thread
meanwhile (``ModelLoader``), so start-up overlaps the download and the first decoded frames.

The queue is small (frames in flight are the only frames in memory) and onnxruntime, OpenCV and FFmpeg
release the GIL, so the decoder keeps one core busy while the models use the other.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from worker.analyzers.base import Analyzer, AudioChunk, Frame, VideoMeta
from worker.errors import Terminated

# Items in flight between the decoder and the analysis thread. Most items are tiny (a thumbnail of every
# frame for shot detection); a sampled frame carries a full RGB image and takes the analysis thread ~0.1 s,
# so the queue must hold a couple of seconds of video for the decoder to keep going meanwhile: on an idle
# 2-core machine a depth of 8 took 8.7 s for the 60 s 720p benchmark clip, 64 took 7.5 s.
QUEUE_DEPTH = 64
# Full RGB frames in flight, whatever the sampling rate and resolution: what bounds the queue's memory.
RGB_FRAMES_IN_FLIGHT = 4
_END = object()


class ModelLoader(threading.Thread):
    """Calls every analyzer's ``load()`` in the background: models load while the video downloads (the
    job starts it before the download) or while the decoder fills the queue (``run_analyzers``)."""

    def __init__(self, analyzers: list[Analyzer]) -> None:
        super().__init__(name="model-loader", daemon=True)
        self.analyzers = analyzers
        self.error: BaseException | None = None
        self.seconds = 0.0

    def run(self) -> None:
        started = time.perf_counter()
        try:
            for analyzer in self.analyzers:
                analyzer.load()
        except BaseException as exc:  # re-raised by wait(), in the analysis thread
            self.error = exc
        self.seconds = time.perf_counter() - started

    def wait(self, stop: threading.Event) -> bool:
        """Until every model is loaded (True) or ``stop`` is set (False); re-raises what a ``load()``
        raised."""
        if self.ident is None:
            self.start()
        while self.is_alive():
            self.join(0.05)
            if stop.is_set():
                return False
        if self.error is not None:
            raise self.error
        return True


class _AnalysisThread(threading.Thread):
    """Drains the queue into the analyzers; records the first failure and keeps draining after it so that
    the decoder never blocks on a full queue."""

    def __init__(
        self,
        analyzers: list[Analyzer],
        meta: VideoMeta,
        loader: ModelLoader,
        items: queue.Queue[Any],
        stop: threading.Event,
        rgb_slots: threading.BoundedSemaphore,
    ) -> None:
        super().__init__(name="analysis", daemon=True)
        self.analyzers = analyzers
        self.meta = meta
        self.loader = loader
        self.items = items
        self.stop = stop
        self.rgb_slots = rgb_slots
        self.error: BaseException | None = None
        self.seconds: dict[str, float] = defaultdict(float)
        self.first_frame_at: float | None = None  # time.perf_counter() at the first frame analysed
        self._every = [a for a in analyzers if a.every_frame]
        self._sampled = [a for a in analyzers if not a.every_frame]
        self._audio = [a for a in analyzers if a.audio]

    def run(self) -> None:
        try:  # the decoder is already filling the queue meanwhile
            loaded = self.loader.wait(self.stop)
            for analyzer in self.analyzers if loaded else ():
                begun = time.perf_counter()
                analyzer.start(self.meta)
                self.seconds[analyzer.name] += time.perf_counter() - begun
        except BaseException as exc:
            self.error = exc
        while (item := self.items.get()) is not _END:
            try:
                if self.error is None and not self.stop.is_set():
                    self._dispatch(item)
            except BaseException as exc:  # re-raised in the decoder thread
                self.error = exc
            finally:
                if _carries_rgb(item):
                    self.rgb_slots.release()

    def _dispatch(self, item: Frame | AudioChunk) -> None:
        if isinstance(item, Frame):
            if self.first_frame_at is None:
                self.first_frame_at = time.perf_counter()
            targets = self._every + self._sampled if item.sampled else self._every
            for analyzer in targets:
                started = time.perf_counter()
                analyzer.on_frame(item)
                self.seconds[analyzer.name] += time.perf_counter() - started
        else:
            for analyzer in self._audio:
                started = time.perf_counter()
                analyzer.on_audio(item)
                self.seconds[analyzer.name] += time.perf_counter() - started


def run_analyzers(
    analyzers: list[Analyzer],
    meta: VideoMeta,
    media: Iterable[Frame | AudioChunk],
    stop: threading.Event,
    loader: ModelLoader | None = None,
    origin: float | None = None,
) -> tuple[dict[str, dict[str, Any]], dict[str, float]]:
    """Feed ``media`` through ``analyzers``; their sections by name and seconds spent per analyzer.

    ``loader`` is the analyzers' model loader if one was started earlier (the job starts it before the
    download); otherwise the analysis thread loads the models while the decoder fills the queue.
    ``timings["first_frame"]`` is the time from ``origin`` (a ``time.perf_counter()`` value; default:
    now) to the first frame analysed.

    Raises:
        Terminated: ``stop`` was set; the analysis thread is stopped before returning.
        Whatever an analyzer, its ``load()`` or the decoder raised.
    """
    timings: dict[str, float] = defaultdict(float)
    loader = loader or ModelLoader(analyzers)
    items: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_DEPTH)
    rgb_slots = threading.BoundedSemaphore(RGB_FRAMES_IN_FLIGHT)
    worker = _AnalysisThread(analyzers, meta, loader, items, stop, rgb_slots)
    worker.start()
    started = time.perf_counter()
    origin = started if origin is None else origin
    try:
        for item in media:
            if worker.error is not None:
                break
            if _carries_rgb(item):
                rgb_slots.acquire()
            items.put(item)
    except BaseException:
        stop.set()
        _drain(items)
        raise
    finally:
        items.put(_END)
        worker.join()
    timings["streaming_pass"] = time.perf_counter() - started
    timings["model_loading"] = loader.seconds
    if worker.first_frame_at is not None:
        timings["first_frame"] = worker.first_frame_at - origin
    if worker.error is not None:
        raise worker.error
    if stop.is_set():
        raise Terminated()
    sections = {}
    for analyzer in analyzers:
        begun = time.perf_counter()
        sections[analyzer.name] = analyzer.finish()
        timings[analyzer.name] += worker.seconds[analyzer.name] + time.perf_counter() - begun
    return sections, dict(timings)


def _carries_rgb(item: Any) -> bool:
    return isinstance(item, Frame) and item.rgb is not None


def _drain(items: queue.Queue[Any]) -> None:
    """Drop queued work so the stop is quick (the analysis thread only finishes its current item)."""
    while True:
        try:
            items.get_nowait()
        except queue.Empty:
            return
