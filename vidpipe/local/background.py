"""The shape of the runtime's polling parts (the pipe, the status-change rule): a daemon thread that runs
``_loop`` until :meth:`BackgroundLoop.stop` sets the stop event."""

from __future__ import annotations

import threading


class BackgroundLoop:
    """A daemon thread running :meth:`_loop`; subclasses poll until ``self._stop`` is set."""

    def __init__(self, name: str) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the loop to end and wait for it (at most ``timeout`` seconds)."""
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        raise NotImplementedError
