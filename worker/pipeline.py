"""Overlap decoding and inference on two cores: the decoder thread feeds a bounded queue that one
analysis thread drains, calling every analyzer in stream order.

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


class _AnalysisThread(threading.Thread):
    """Drains the queue into the analyzers; records the first failure and keeps draining after it so that
    the decoder never blocks on a full queue."""

    def __init__(
        self,
        analyzers: list[Analyzer],
        items: queue.Queue[Any],
        stop: threading.Event,
        rgb_slots: threading.BoundedSemaphore,
    ) -> None:
        super().__init__(name="analysis", daemon=True)
        self.analyzers = analyzers
        self.items = items
        self.stop = stop
        self.rgb_slots = rgb_slots
        self.error: BaseException | None = None
        self.seconds: dict[str, float] = defaultdict(float)
        self._every = [a for a in analyzers if a.every_frame]
        self._sampled = [a for a in analyzers if not a.every_frame]
        self._audio = [a for a in analyzers if a.audio]

    def run(self) -> None:
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
    analyzers: list[Analyzer], meta: VideoMeta, media: Iterable[Frame | AudioChunk], stop: threading.Event
) -> tuple[dict[str, dict[str, Any]], dict[str, float]]:
    """Feed ``media`` through ``analyzers``; their sections by name and seconds spent per analyzer.

    Raises:
        Terminated: ``stop`` was set; the analysis thread is stopped before returning.
        Whatever an analyzer or the decoder raised.
    """
    timings: dict[str, float] = defaultdict(float)
    for analyzer in analyzers:
        started = time.perf_counter()
        analyzer.start(meta)
        timings[analyzer.name] += time.perf_counter() - started
    items: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_DEPTH)
    rgb_slots = threading.BoundedSemaphore(RGB_FRAMES_IN_FLIGHT)
    worker = _AnalysisThread(analyzers, items, stop, rgb_slots)
    worker.start()
    started = time.perf_counter()
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
