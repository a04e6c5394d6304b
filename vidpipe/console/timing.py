"""A page's server time by section, told in its ``Server-Timing`` response header.

The browser's developer tools show the header under the request's Timing; ``benchmarks/console_bench.py``
reads it to say where the Execution page's time goes. Sections measured in threads that run at once (the
page's AWS calls) overlap: ``total`` is the page's own wall time, not their sum.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_TOKEN = re.compile(r"[^A-Za-z0-9_-]")


class Timings:
    """Seconds spent per named section of one request (thread-safe: sections may run in threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sections: dict[str, float] = {}

    @contextmanager
    def section(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - started
            with self._lock:
                self.sections[name] = self.sections.get(name, 0.0) + spent

    def header(self) -> str:
        """The ``Server-Timing`` value: ``describe;dur=12.3, history;dur=80.1`` (milliseconds)."""
        with self._lock:
            items = list(self.sections.items())
        return ", ".join(f"{_TOKEN.sub('-', name)};dur={seconds * 1000:.1f}" for name, seconds in items)


def parse_header(value: str) -> dict[str, float]:
    """Section -> milliseconds, from a ``Server-Timing`` value written by :meth:`Timings.header`."""
    found: dict[str, float] = {}
    for metric in filter(None, (part.strip() for part in value.split(","))):
        name, _, rest = metric.partition(";")
        duration = rest.partition("dur=")[2]
        if duration:
            found[name] = float(duration)
    return found
