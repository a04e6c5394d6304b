"""Token buckets (the way AWS states its rate quotas) and per-second series checked against them."""

from __future__ import annotations

from dataclasses import dataclass


class TokenBucket:
    """A bucket of ``size`` tokens refilled continuously at ``rate`` per second, starting full."""

    def __init__(self, size: float, rate: float) -> None:
        self.size = size
        self.rate = rate
        self._tokens = size
        self._last = 0.0

    def _refill(self, now: float) -> None:
        if now > self._last:
            self._tokens = min(self.size, self._tokens + (now - self._last) * self.rate)
            self._last = now

    def available(self, now: float) -> bool:
        """A token is there at ``now`` (does not take it)."""
        self._refill(now)
        return self._tokens >= 1.0

    def take(self, now: float) -> bool:
        """Take a token if there is one at ``now`` (the refill is inlined: this is the hot path)."""
        if now > self._last:
            tokens = self._tokens + (now - self._last) * self.rate
            self._tokens = tokens if tokens < self.size else self.size
            self._last = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True

    def reserve(self, now: float) -> float:
        """Queue for a token in arrival order; return the time it is granted (may be later than ``now``)."""
        self._refill(now)
        self._tokens -= 1.0
        return now if self._tokens >= 0.0 else now + (-self._tokens) / self.rate


@dataclass
class BucketCheck:
    """How a per-second demand fares against a bucket: the fullest second and whether it ever ran dry."""

    peak_per_second: float
    lowest_tokens: float
    throttled_seconds: int


class Series:
    """An amount per whole second of simulated time (requests, transitions, write units...)."""

    def __init__(self, seconds: int) -> None:
        self.values = [0.0] * (seconds + 1)

    def add(self, t: float, amount: float = 1.0) -> None:
        i = int(t)
        if i >= len(self.values):
            self.values.extend([0.0] * (i + 1 - len(self.values)))
        self.values[i] += amount

    def total(self) -> float:
        return sum(self.values)

    def peak(self) -> float:
        return max(self.values)

    def peak_window(self, seconds: int) -> float:
        """The largest total over ``seconds`` consecutive seconds."""
        window = best = sum(self.values[:seconds])
        for i in range(seconds, len(self.values)):
            window += self.values[i] - self.values[i - seconds]
            best = max(best, window)
        return best

    def check(self, size: float, rate: float) -> BucketCheck:
        """Replay the demand through a bucket (refilled once a second) and report how low it went."""
        tokens, lowest, throttled = size, size, 0
        for demand in self.values:
            tokens += rate
            if tokens > size:
                tokens = size
            tokens -= demand
            if tokens < lowest:
                lowest = tokens
            if tokens < 0:
                throttled += 1
                tokens = 0.0
        return BucketCheck(self.peak(), lowest, throttled)
