"""Turn per-sample observations into merged time ranges."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Open:
    start: float
    last: float
    extra: dict[str, Any] = field(default_factory=dict)


class RangeTracker:
    """Keeps one open range per key while the key keeps being observed at successive samples.

    A key seen at sample time t opens a range (or extends its open one); a key missing from a sample
    closes its range at that sample's time. Only the open ranges and the closed list are held.
    """

    def __init__(self) -> None:
        self._open: dict[str, _Open] = {}
        self.closed: list[dict[str, Any]] = []

    def observe(self, time: float, keys: dict[str, dict[str, Any]]) -> None:
        """Record that exactly ``keys`` are present at ``time`` (each with extra fields to keep)."""
        for key in list(self._open):
            if key not in keys:
                self._close(key, time)
        for key, extra in keys.items():
            current = self._open.get(key)
            if current is None:
                self._open[key] = _Open(time, time, dict(extra))
            else:
                current.last = time
                _merge_extra(current.extra, extra)

    def finish(self, end: float) -> list[dict[str, Any]]:
        """Close every open range at ``end``; ranges sorted by start time."""
        for key in list(self._open):
            self._close(key, max(end, self._open[key].last))
        return sorted(self.closed, key=lambda r: (r["start"], r["key"]))

    def _close(self, key: str, end: float) -> None:
        current = self._open.pop(key)
        self.closed.append(
            {"key": key, "start": round(current.start, 3), "end": round(end, 3), **current.extra}
        )


class SampleClock:
    """The times of the sampled frames an analyzer saw, for where its last observation stops holding."""

    def __init__(self) -> None:
        self.last: float | None = None
        self.step = 1.0
        self.duration: float | None = None

    def tick(self, time: float) -> None:
        """A sampled frame at ``time`` (seconds)."""
        if self.last is not None and time > self.last:
            self.step = time - self.last
        self.last = time

    def end(self) -> float:
        """One sample step after the last sample, within the video."""
        last = self.last or 0.0
        end = last + self.step
        return min(end, max(self.duration, last)) if self.duration else end


def _merge_extra(kept: dict[str, Any], new: dict[str, Any]) -> None:
    """Numbers keep their maximum (best score, most faces); other fields keep their first value."""
    for k, v in new.items():
        if isinstance(v, int | float) and isinstance(kept.get(k), int | float):
            kept[k] = max(kept[k], v)
        else:
            kept.setdefault(k, v)
