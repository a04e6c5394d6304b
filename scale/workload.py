"""The day of uploads: when each video arrives and how long it is, drawn once and shared by every design."""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass
from typing import Any

from scale.params import Timings, Workload


@dataclass(frozen=True)
class Day:
    """Upload times (sorted, seconds from midnight) and video lengths (seconds), one entry per upload."""

    uploads: list[float]
    lengths: list[float]

    def __len__(self) -> int:
        return len(self.uploads)


def make_day(workload: Workload, seed: int) -> Day:
    """Exactly ``workload.uploads`` uploads: the bursts, then the rest spread by the diurnal rate.

    The background times are drawn by rejection from the rate's density, so given their count they are
    those of a non-homogeneous Poisson process.
    """
    rng = random.Random(seed)
    times: list[float] = []
    for start_hour in workload.burst_starts_hours[: workload.burst_count]:
        start = start_hour * 3600.0 * workload.day_seconds / 86_400.0
        times.extend(start + rng.random() * workload.burst_seconds for _ in range(workload.burst_size))
    background = workload.uploads - len(times)
    if background < 0:
        raise ValueError("the bursts hold more uploads than the day")
    peak = 1.0 + workload.diurnal_amplitude
    # The background rate relative to its mean, 1 - A cos(2 pi (t - trough) / day), inlined: the loop draws
    # ~1.8 million candidates.
    day, amplitude, trough = workload.day_seconds, workload.diurnal_amplitude, workload.trough_hour * 3600.0
    two_pi, cos, draw, append, uploads = 2.0 * math.pi, math.cos, rng.random, times.append, workload.uploads
    while len(times) < uploads:
        t = draw() * day
        if draw() * peak < 1.0 - amplitude * cos(two_pi * (t - trough) / day):
            append(t)
    times.sort()
    mu = math.log(workload.length_median_seconds)
    lengths = [rng.lognormvariate(mu, workload.length_sigma) for _ in times]
    return Day(times, lengths)


def analysis_seconds(timings: Timings, length: Any) -> Any:
    """Time the worker spends on one video of ``length`` seconds on a 2-vCPU Fargate task (a float, or a
    numpy array of lengths)."""
    return length * timings.worker_seconds_per_video_second * timings.fargate_slowdown


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    """A lognormal draw given its median."""
    return median * math.exp(sigma * rng.gauss(0.0, 1.0))


@functools.cache
def notification_delays(uploads: int, median: float, seed: int) -> tuple[tuple[float, ...], Any]:
    """Each upload's S3 notification delay (lognormal, sigma 0.5), and the generator's state after them.

    Every design draws these first from its own ``random.Random(seed)``, with the same seed (common random
    numbers), so the draws are the same for all of them: they are made once per process (and once in all
    when the runner calls this before its fork pool), and each design's generator resumes from the state.
    """
    rng = random.Random(seed)
    delays = tuple(lognormal(rng, median, 0.5) for _ in range(uploads))
    return delays, rng.getstate()


def design_draws(day: Day, median: float, seed: int) -> tuple[tuple[float, ...], random.Random]:
    """A design's notification delays and its generator, as if it had drawn them itself."""
    delays, state = notification_delays(len(day), median, seed)
    rng = random.Random()
    rng.setstate(state)
    return delays, rng
