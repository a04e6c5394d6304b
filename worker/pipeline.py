"""Overlap decoding and inference on two cores: the decoder thread feeds bounded queues that analysis
threads drain, each calling its analyzers in stream order: OCR, the costliest model, has a thread of its
own (``Analyzer.thread``), the other analyzers share one. Models load in background threads meanwhile
(``worker.loading``), so start-up overlaps the download and the decoding of the first seconds.

The queues are small (frames in flight are the only frames in memory) and onnxruntime, OpenCV and FFmpeg
release the GIL. Each model is single-threaded but OCR, whose second intra-op thread sleeps between
operators: where decoding is cheap (low bitrates) the analysis threads use both cores, where it is dear
the decoder takes its share.
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
from worker.loading import ModelLoader

# Items in flight between the decoder and each analysis thread. Most items are tiny (a 7 KB thumbnail of a
# decoded frame, a 1-4 KB audio chunk: ~50 items per second of video); the queue holds several seconds
# of video so that the decoder runs ahead while models load or a sampled frame keeps a model busy (on an
# idle 2-core machine a depth of 8 took 8.7 s for the 60 s 720p benchmark clip, 64 took 7.5 s).
QUEUE_DEPTH = 1024
# Bytes of full RGB frames in flight per analysis thread (at least 4 frames, whatever the resolution):
# what bounds the queues' memory. 48 MB: 17 frames of 720p, 7 of 1080p.
RGB_BYTES_IN_FLIGHT = 48 << 20
MIN_RGB_FRAMES = 4
_END = object()


class _AnalysisThread(threading.Thread):
    """One analysis thread: drains its own bounded queue into its analyzers; records the first failure
    and keeps draining after it so that the decoder never blocks on a full queue."""

    def __init__(
        self,
        name: str,
        analyzers: list[Analyzer],
        meta: VideoMeta,
        loader: ModelLoader,
        stop: threading.Event,
    ) -> None:
        super().__init__(name=f"analysis-{name}", daemon=True)
        self.analyzers = analyzers
        self.meta = meta
        self.loader = loader
        self.stop = stop
        self.items: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_DEPTH)
        frame_bytes = max(1, meta.width * meta.height * 3)
        self.rgb_slots = threading.BoundedSemaphore(max(MIN_RGB_FRAMES, RGB_BYTES_IN_FLIGHT // frame_bytes))
        self.lane = name
        self.error: BaseException | None = None
        self.seconds: dict[str, float] = defaultdict(float)
        self.first_frame_at: float | None = None  # time.perf_counter() at the first frame analysed
        self._every = [a for a in analyzers if a.every_frame]
        self._sampled = [a for a in analyzers if not a.every_frame]
        self._audio = [a for a in analyzers if a.audio]
        self._begun: set[int] = set()  # id() of the analyzers whose start() was called

    def wants(self, item: Frame | AudioChunk) -> bool:
        if isinstance(item, Frame):
            return bool(self._every or (item.sampled and self._sampled))
        return bool(self._audio)

    def put(self, item: Frame | AudioChunk) -> None:
        """From the decoder thread: blocks while the queue is full or holds its share of RGB pictures."""
        if _carries_rgb(item):
            self.rgb_slots.acquire()
        self.items.put(item)

    def run(self) -> None:
        # The decoder is already filling the queue meanwhile; each analyzer starts at its first item,
        # once its model is loaded (the loader, in the background, loads this thread's in order).
        while (item := self.items.get()) is not _END:
            try:
                if self.error is None and not self.stop.is_set():
                    self._dispatch(item)
            except BaseException as exc:  # re-raised in the decoder thread
                self.error = exc
            finally:
                if _carries_rgb(item):
                    self.rgb_slots.release()
        try:  # every analyzer is started before its finish(), also one that got no item
            for analyzer in self.analyzers if self.error is None else ():
                if not self._ready(analyzer):
                    break
        except BaseException as exc:
            self.error = exc

    def _ready(self, analyzer: Analyzer) -> bool:
        """Whether ``analyzer`` can take items: its model is loaded (waits for it) and it was started.
        False when a stop came first."""
        if id(analyzer) in self._begun:
            return True
        if not self.loader.wait(analyzer, self.stop):
            return False
        begun = time.perf_counter()
        analyzer.start(self.meta)
        self.seconds[analyzer.name] += time.perf_counter() - begun
        self._begun.add(id(analyzer))
        return True

    def _dispatch(self, item: Frame | AudioChunk) -> None:
        if isinstance(item, Frame):
            if self.first_frame_at is None:
                self.first_frame_at = time.perf_counter()
            targets = self._every + self._sampled if item.sampled else self._every
            for analyzer in targets:
                if not self._ready(analyzer):
                    return
                started = time.perf_counter()
                analyzer.on_frame(item)
                self.seconds[analyzer.name] += time.perf_counter() - started
        else:
            for analyzer in self._audio:
                if not self._ready(analyzer):
                    return
                started = time.perf_counter()
                analyzer.on_audio(item)
                self.seconds[analyzer.name] += time.perf_counter() - started

    def finish(self) -> None:
        """From the decoder thread: no more items; waits for the thread to end."""
        self.items.put(_END)
        self.join()

    def drain(self) -> None:
        """Drop queued work so a stop is quick (the thread only finishes its current item)."""
        while True:
            try:
                item = self.items.get_nowait()
            except queue.Empty:
                return
            if _carries_rgb(item):
                self.rgb_slots.release()


def run_analyzers(
    analyzers: list[Analyzer],
    meta: VideoMeta,
    media: Iterable[Frame | AudioChunk],
    stop: threading.Event,
    loader: ModelLoader | None = None,
    origin: float | None = None,
) -> tuple[dict[str, dict[str, Any]], dict[str, float]]:
    """Feed ``media`` through ``analyzers``; their sections by name and seconds spent per analyzer.

    Analyzers run in the analysis thread their ``thread`` attribute names (each analyzer sees its items
    in stream order; the decoder blocks while any thread's queue is full). ``loader`` is the analyzers'
    model loader if one was started earlier (the job starts it before the download); otherwise the
    models load while the decoder fills the queues. ``timings["first_frame"]`` is the time from
    ``origin`` (a ``time.perf_counter()`` value; default: now) to the first frame analysed.

    Raises:
        Terminated: ``stop`` was set; the analysis threads are stopped before returning.
        Whatever an analyzer, its ``load()`` or the decoder raised.
    """
    timings: dict[str, float] = defaultdict(float)
    loader = loader or ModelLoader(analyzers)
    loader.start()
    groups: dict[str, list[Analyzer]] = defaultdict(list)
    for analyzer in analyzers:
        groups[analyzer.thread].append(analyzer)
    lanes = [_AnalysisThread(name, group, meta, loader, stop) for name, group in groups.items()]
    for lane in lanes:
        lane.start()
    started = time.perf_counter()
    origin = started if origin is None else origin
    try:
        for item in media:
            if any(lane.error is not None for lane in lanes):
                break
            for lane in lanes:
                if lane.wants(item):
                    lane.put(item)
    except BaseException:
        stop.set()
        for lane in lanes:
            lane.drain()
        raise
    finally:
        for lane in lanes:
            lane.finish()
    timings["streaming_pass"] = time.perf_counter() - started
    timings["model_loading"] = loader.seconds
    firsts = [lane.first_frame_at for lane in lanes if lane.first_frame_at is not None]
    if firsts:
        timings["first_frame"] = min(firsts) - origin
    for lane in lanes:
        if lane.error is not None:
            raise lane.error
    if stop.is_set():
        raise Terminated()
    sections = {}
    spent = {name: sec for lane in lanes for name, sec in lane.seconds.items()}
    for analyzer in analyzers:
        begun = time.perf_counter()
        sections[analyzer.name] = analyzer.finish()
        timings[analyzer.name] += spent.get(analyzer.name, 0.0) + time.perf_counter() - begun
    return sections, dict(timings)


def _carries_rgb(item: Any) -> bool:
    return isinstance(item, Frame) and item.rgb is not None
