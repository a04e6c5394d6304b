"""Load the analyzers' models in the background, one loader thread per analysis thread.

The job starts loading before it downloads the video (``worker.analysis.prepare``); otherwise loading
starts with the streaming pass, while the decoder fills the queues. Each analysis thread waits only for
its own analyzers' models, each analyzer's at its first item: the shared thread hands frames to shots
(no model) at once, to faces and speech once theirs are loaded (~0.2-0.4 s), while the OCR thread still
imports RapidOCR (~1 s).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict

from worker.analyzers.base import Analyzer


class _GroupLoader(threading.Thread):
    """Loads one analysis thread's analyzers in order; ``loaded`` counts those done."""

    def __init__(self, name: str, analyzers: list[Analyzer]) -> None:
        super().__init__(name=f"load-{name}", daemon=True)
        self.analyzers = analyzers
        self.loaded = 0
        self.progress = threading.Condition()
        self.error: BaseException | None = None
        self.seconds = 0.0

    def run(self) -> None:
        started = time.perf_counter()
        try:
            for analyzer in self.analyzers:
                analyzer.load()
                with self.progress:
                    self.loaded += 1
                    self.progress.notify_all()
        except BaseException as exc:  # re-raised by ModelLoader.wait, in the analysis thread
            self.error = exc
        self.seconds = time.perf_counter() - started
        with self.progress:
            self.progress.notify_all()


class ModelLoader:
    """Calls every analyzer's ``load()``, grouped by ``Analyzer.thread``, in background threads."""

    def __init__(self, analyzers: list[Analyzer]) -> None:
        self.analyzers = analyzers
        groups: dict[str, list[Analyzer]] = defaultdict(list)
        for analyzer in analyzers:
            groups[analyzer.thread].append(analyzer)
        self._loaders = {name: _GroupLoader(name, group) for name, group in groups.items()}

    def start(self) -> None:
        """Start loading (once; later calls do nothing)."""
        for loader in self._loaders.values():
            if loader.ident is None:
                loader.start()

    @property
    def seconds(self) -> float:
        """How long the slowest group took to load."""
        return max((loader.seconds for loader in self._loaders.values()), default=0.0)

    def settle(self) -> None:
        """Wait for loading to end, e.g. before the process exits on SIGTERM: a thread still inside
        onnxruntime or OpenCV when the interpreter shuts down aborts the process (exit -6, not 143)."""
        for loader in self._loaders.values():
            if loader.ident is not None:
                loader.join()

    def wait(self, analyzer: Analyzer, stop: threading.Event) -> bool:
        """Until ``analyzer``'s models are loaded (True) or ``stop`` is set (False). The analyzers of
        an analysis thread load in order, so an analyzer without a model (shots) is ready at once
        while the next ones (faces, speech) still load.

        Raises:
            Whatever a ``load()`` of its group raised, up to and including its own.
        """
        loader = self._loaders.get(analyzer.thread)
        ours = [i for i, a in enumerate(loader.analyzers) if a is analyzer] if loader is not None else []
        if loader is None or not ours:
            return True
        position = ours[0]
        self.start()
        with loader.progress:
            while loader.loaded <= position and loader.error is None and not stop.is_set():
                loader.progress.wait(0.05)
        if loader.loaded > position:
            return True
        if loader.error is not None:
            raise loader.error
        return False
