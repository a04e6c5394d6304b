"""The designs compared on the same day, and the runner that simulates them (in parallel on a fork pool)."""

from __future__ import annotations

import dataclasses
import multiprocessing
from dataclasses import dataclass

from scale import asbuilt
from scale.params import Model
from scale.results import Result
from scale.service_sim import ServiceScenario, ServiceSim
from scale.vidpipe_sim import VidpipeScenario, VidpipeSim
from scale.workload import Day, make_day, notification_delays

MAIN_CAP = 1500  # maxConcurrentTasks for the day: about the Fargate launch rate (20/s) x the mean task time

Scenario = VidpipeScenario | ServiceScenario


def scenarios(
    model: Model, config: asbuilt.AsBuilt, scale: float = 1.0, caps: tuple[int, ...] = (MAIN_CAP,)
) -> list[Scenario]:
    """vidpipe at its default cap and at ``caps``; the two alarm-scaled services, with and without task
    scale-in protection. Caps and quotas follow ``scale`` (1.0 = the day of the brief)."""
    quota = max(1, round(model.limits.vcpu_quota * scale))
    default = config.max_concurrent_tasks
    return [
        VidpipeScenario(f"vidpipe, cap {default} (default)", default, quota),
        *(
            VidpipeScenario(f"vidpipe, cap {c:,}", c, quota)
            for c in (max(1, round(cap * scale)) for cap in caps)
        ),
        ServiceScenario("(a) step-scaled service", scale_to_zero=False, protection=False, vcpu_quota=quota),
        ServiceScenario("(a) + scale-in protection", scale_to_zero=False, protection=True, vcpu_quota=quota),
        ServiceScenario("(b) scale-to-zero service", scale_to_zero=True, protection=False, vcpu_quota=quota),
        ServiceScenario("(b) + scale-in protection", scale_to_zero=True, protection=True, vcpu_quota=quota),
    ]


def scaled_model(scale: float) -> Model:
    """The model for a lighter day: fewer uploads and smaller bursts, the services' capacities in proportion."""
    model = Model()
    if scale == 1.0:
        return model
    workload = dataclasses.replace(
        model.workload,
        uploads=max(1, round(model.workload.uploads * scale)),
        burst_size=round(model.workload.burst_size * scale),
    )
    scaling = dataclasses.replace(
        model.scaling,
        min_capacity=max(1, round(model.scaling.min_capacity * scale)),
        max_capacity=max(1, round(model.scaling.max_capacity * scale)),
    )
    return dataclasses.replace(model, workload=workload, scaling=scaling)


@dataclass(frozen=True)
class _Job:
    model: Model
    config: asbuilt.AsBuilt
    scenario: Scenario
    seed: int


_DAY: Day | None = None  # the day, shared with forked workers without pickling a million floats


def _expected_cost(scenario: Scenario) -> int:
    """Rank of a design's CPU time on the day (docs/scale.md, 'Run time'): vidpipe, then the scale-to-zero
    services (seven to eight times the task launches of the step-scaled ones), then the step-scaled ones."""
    if isinstance(scenario, VidpipeScenario):
        return 2
    return 1 if scenario.scale_to_zero else 0


def _simulate(job: _Job) -> Result:
    assert _DAY is not None
    if isinstance(job.scenario, VidpipeScenario):
        return VidpipeSim(job.model, job.config, _DAY, job.scenario, job.seed).run()
    return ServiceSim(job.model, job.config, _DAY, job.scenario, job.seed).run()


def run(model: Model, config: asbuilt.AsBuilt, chosen: list[Scenario], seed: int, jobs: int) -> list[Result]:
    """Simulate each scenario on the same day (common random numbers); ``jobs`` processes at once."""
    global _DAY
    _DAY = make_day(model.workload, seed)
    work = [_Job(model, config, scenario, seed + 1) for scenario in chosen]
    # Every design's first draws, made here once so that the forked workers inherit them (workload.py).
    notification_delays(len(_DAY), model.timings.s3_notification_median, seed + 1)
    if jobs <= 1:
        return [_simulate(job) for job in work]
    # Longest first (vidpipe, then the scale-to-zero services), so the two processes end together (the
    # longest-processing-time rule); fork shares _DAY.
    order = sorted(range(len(work)), key=lambda i: _expected_cost(work[i].scenario), reverse=True)
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        done = pool.map(_simulate, [work[i] for i in order], chunksize=1)
    results: list[Result | None] = [None] * len(work)
    for i, result in zip(order, done, strict=True):
        results[i] = result
    return [r for r in results if r is not None]
