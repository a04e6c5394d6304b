"""What one simulated day of one design produced, reduced to the figures the report prints."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from scale.buckets import Series
from scale.costs import Usage, cost, on_demand_fargate
from scale.ledger import Ledger, Outcome
from scale.params import Prices


@dataclass(frozen=True)
class Check:
    """A quota or limit the design leans on: the busiest moment against the limit."""

    name: str
    peak: float
    limit: float
    note: str = ""
    throttled_seconds: int | None = None  # seconds in which the bucket ran dry, when the limit is a bucket

    @classmethod
    def of(cls, name: str, series: Series, size: float, rate: float, note: str = "") -> Check:
        """Replay a per-second demand through the quota's token bucket."""
        replay = series.check(size, rate)
        return cls(
            name, replay.peak_per_second, rate, note or f"bucket {size:,.0f}", replay.throttled_seconds
        )

    @property
    def headroom(self) -> float:
        return self.limit / self.peak if self.peak else math.inf


@dataclass
class Result:
    """The figures of one design's day."""

    name: str
    videos: int
    outcomes: dict[str, int]
    start_p: tuple[float, float, float]  # upload -> first start of analysis: p50, p95, p99 (s)
    done_p: tuple[float, float]  # upload -> result recorded: p50, p99 (s), succeeded and rejected videos
    killed_spot: int
    killed_scale_in: int
    killed_timeout: int
    peak_tasks: int
    peak_vcpu: float
    vcpu_quota: float
    costs: dict[str, float]
    on_demand_total: float
    checks: list[Check]
    littles_l: float  # time-average of the sampled number of videos in the system
    littles_lambda_w: float  # arrival rate x mean time in the system, from the per-video records
    spot_share: float  # of the billed Fargate task-seconds
    tasks_launched: int
    transitions_per_video: float = 0.0
    transitions_success: tuple[int, int, int] = (0, 0, 0)  # min, median, max over succeeded videos
    polling_transitions_per_video: float = 0.0
    peak_holders: int = 0
    cap: int = 0
    wall_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def total_cost(self) -> float:
        return sum(self.costs.values())

    @property
    def killed(self) -> int:
        return self.killed_spot + self.killed_scale_in + self.killed_timeout

    def per_thousand(self, dollars: float) -> float:
        done = self.outcomes.get("SUCCEEDED", 0) + self.outcomes.get("REJECTED", 0)
        return 1000.0 * dollars / done if done else math.inf


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (nan when empty)."""
    if not ordered:
        return math.nan
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def summarize(
    name: str,
    ledger: Ledger,
    usage: Usage,
    prices: Prices,
    sample_period: float,
    **extra: object,
) -> Result:
    """Reduce a ledger and a usage to a :class:`Result` (``extra`` fills the remaining fields)."""
    n = len(ledger.uploads)
    uploads = np.asarray(ledger.uploads, dtype=float)
    first_start, finished = np.frombuffer(ledger.first_start), np.frombuffer(ledger.done)
    outcome = np.frombuffer(ledger.outcome, dtype=np.uint8)
    starts = np.sort((first_start - uploads)[~np.isnan(first_start)]).tolist()
    served = (outcome == Outcome.SUCCEEDED) | (outcome == Outcome.REJECTED)
    done = np.sort((finished - uploads)[served]).tolist()
    # Little's law over [0, horizon]: the system is empty at both ends, so L = lambda W holds exactly for the
    # continuous count; the sampled count must agree within the sampling error.
    horizon = len(ledger.samples) * sample_period
    in_system = sum((finished - uploads).tolist())  # summed in order, as a plain sum would
    lambda_w = (n / horizon) * (in_system / n) if n and horizon else math.nan
    littles_l = sum(ledger.samples) / len(ledger.samples) if ledger.samples else math.nan
    costs = cost(usage, prices)
    on_demand_total = sum(costs.values()) - costs["fargate"] + on_demand_fargate(usage, prices)
    return Result(
        name=name,
        videos=n,
        outcomes={o.name: ledger.count(o) for o in Outcome if o is not Outcome.PENDING},
        start_p=(percentile(starts, 0.50), percentile(starts, 0.95), percentile(starts, 0.99)),
        done_p=(percentile(done, 0.50), percentile(done, 0.99)),
        killed_spot=ledger.killed_spot,
        killed_scale_in=ledger.killed_scale_in,
        killed_timeout=ledger.killed_timeout,
        costs=costs,
        on_demand_total=on_demand_total,
        littles_l=littles_l,
        littles_lambda_w=lambda_w,
        spot_share=usage.spot_task_seconds / max(1.0, usage.spot_task_seconds + usage.on_demand_task_seconds),
        tasks_launched=usage.tasks_launched,
        **extra,  # type: ignore[arg-type]
    )
