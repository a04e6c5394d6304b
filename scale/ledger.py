"""Per-video records shared by every design: when work first started, when the video was done, and how."""

from __future__ import annotations

import math
from array import array
from bisect import bisect_right
from enum import IntEnum


class Outcome(IntEnum):
    """Where a video ended (the job record's final status)."""

    PENDING = 0
    SUCCEEDED = 1
    REJECTED = 2
    FAILED = 3
    TIMED_OUT = 4


class AccountingError(RuntimeError):
    """A video was finished twice: a bug of the model, never a result."""


class Ledger:
    """One slot per video; :meth:`finish` may be called once per video."""

    def __init__(self, uploads: list[float]) -> None:
        n = len(uploads)
        self.uploads = uploads
        self.first_start = array("d", [math.nan]) * n
        self.done = array("d", [math.nan]) * n
        self.outcome = bytearray(n)
        self.finished = 0
        self.killed_spot = 0  # work stopped mid-video by a Spot interruption
        self.killed_scale_in = 0  # ... by a service scale-in
        self.killed_timeout = 0  # ... by the execution timeout
        self.samples: list[int] = []  # videos in the system, sampled at a fixed period (Little's law)

    def started(self, video: int, t: float) -> None:
        """Analysis of ``video`` began at ``t`` (only the first start counts for the start latency)."""
        if math.isnan(self.first_start[video]):
            self.first_start[video] = t

    def finish(self, video: int, t: float, outcome: Outcome) -> None:
        if self.outcome[video] != Outcome.PENDING:
            raise AccountingError(
                f"video {video} finished twice ({Outcome(self.outcome[video]).name}, {outcome.name})"
            )
        self.outcome[video] = outcome
        self.done[video] = t
        self.finished += 1

    def sample(self, now: float) -> None:
        """Record the number of videos uploaded and not yet finished at ``now``."""
        self.samples.append(bisect_right(self.uploads, now) - self.finished)

    @property
    def all_finished(self) -> bool:
        return self.finished == len(self.uploads)

    def count(self, outcome: Outcome) -> int:
        return self.outcome.count(bytes([outcome]))
