"""The AcquireSlot before the hand-off (a conditional write retried with backoff while the cap is reached).

Three things differ from the hand-off: every retry is a billed state transition; the semaphore is one item
that grows by ~155 bytes per holder (issue 9), so each write costs more write units as the cap grows; and a
slot freed between two polls stays idle. :func:`polling_attempts` prices the first for a given wait,
:func:`item_bound` the second, and :func:`reproduce_issue_benchmark` checks the model against the
measurement of issue 9 (300 uploads at once, cap 2, no-op worker: 25.2 transitions per video).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import simpy

from scale.params import Slot


@lru_cache(maxsize=8)
def _schedule(slot: Slot) -> tuple[list[float], float, int, float]:
    """Elapsed mean time after each retry while the gaps grow, then the constant mean gap."""
    thresholds, elapsed, n = [], 0.0, 0
    while slot.polling_interval * slot.polling_backoff**n < slot.polling_max_delay:
        elapsed += (
            slot.polling_interval * slot.polling_backoff**n / 2.0
        )  # full jitter: mean half the interval
        thresholds.append(elapsed)
        n += 1
    return thresholds, elapsed, n, slot.polling_max_delay / 2.0


def polling_attempts(waits: npt.NDArray[np.float64], slot: Slot) -> npt.NDArray[np.float64]:
    """Expected AcquireSlot retries (each a billed transition) of waiters that wait ``waits`` seconds
    (whole numbers, as floats)."""
    thresholds, growth, count, gap = _schedule(slot)
    growing = np.searchsorted(thresholds, waits, side="right").astype(float)
    return np.where(waits < growth, growing, count + np.floor((waits - growth) / gap))


@dataclass(frozen=True)
class ItemBound:
    """The most acquisitions per second the single semaphore item allows at a given cap."""

    cap: int
    item_kb: float
    write_units_per_write: int
    acquisitions_per_second: float  # counting only the acquire and the release write of each video
    videos_per_second_by_slots: float  # cap / mean task time


def item_bound(cap: int, slot: Slot, item_write_units: float, mean_task_seconds: float) -> ItemBound:
    """Each write of an item of ~155 bytes x holders costs ceil(size / 1 KB) write units (failed polls too)."""
    item_kb = cap * slot.polling_holder_bytes / 1024.0
    units = max(1, math.ceil(item_kb))
    return ItemBound(cap, item_kb, units, item_write_units / (2 * units), cap / mean_task_seconds)


def reproduce_issue_benchmark(
    slot: Slot, uploads: int = 300, cap: int = 2, task_seconds: float = 4.2, seed: int = 9
) -> tuple[float, int]:
    """Simulate issue 9's benchmark with polling waiters; return (mean, max) transitions per video.

    Each video: 6 transitions without waiting (Prepare, Jobs, Claim, AcquireSlot, MarkRunning, AnalyzeOnSpot,
    Record is 7) plus one per AcquireSlot retry. A slot freed between two polls waits for the next poll.
    """
    rng = random.Random(seed)
    env = simpy.Environment()
    free = [cap]
    transitions: list[int] = []

    def video() -> simpy.events.ProcessGenerator:
        count, n = 7, 0
        while free[0] == 0:
            count += 1
            yield env.timeout(
                rng.uniform(0.0, min(slot.polling_max_delay, slot.polling_interval * slot.polling_backoff**n))
            )
            n += 1
        free[0] -= 1
        yield env.timeout(task_seconds)
        free[0] += 1
        transitions.append(count)

    for _ in range(uploads):
        env.process(video())
    env.run()
    return sum(transitions) / len(transitions), max(transitions)
