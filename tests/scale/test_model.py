"""The scale model at reduced scale: invariants that a wrong model breaks, never its figures.

Each day here is an hour of a few thousand uploads with one burst, sized so that slots run out and waiters
queue, so the invariants are exercised where they can fail.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable

import numpy as np
import pytest
import simpy

from scale import asbuilt
from scale.buckets import Series, TokenBucket
from scale.events import each_second
from scale.ledger import AccountingError, Ledger, Outcome
from scale.params import Model, Workload, render_markdown
from scale.polling import polling_attempts, reproduce_issue_benchmark
from scale.results import Result
from scale.scenarios import run, scenarios
from scale.service_sim import ServiceScenario, ServiceSim
from scale.vidpipe_sim import VidpipeScenario, VidpipeSim
from scale.workload import Day, design_draws, lognormal, make_day

HOUR = Workload(
    uploads=3000, day_seconds=3600.0, burst_count=1, burst_size=600, burst_starts_hours=(12.0,),
    length_median_seconds=30.0,
)  # fmt: skip
QUOTA = 10_000


def small_model(**limits: float) -> Model:
    model = Model(workload=HOUR)
    scaling = dataclasses.replace(model.scaling, min_capacity=5, max_capacity=60)
    return dataclasses.replace(model, scaling=scaling, limits=dataclasses.replace(model.limits, **limits))


def run_vidpipe(model: Model, cap: int, seed: int = 1, config: asbuilt.AsBuilt | None = None) -> Result:
    day = make_day(model.workload, seed)
    return VidpipeSim(model, config or asbuilt.load(), day, VidpipeScenario("test", cap, QUOTA), seed).run()


def run_service(model: Model, scale_to_zero: bool, protection: bool, seed: int = 1) -> Result:
    day = make_day(model.workload, seed)
    scenario = ServiceScenario("test", scale_to_zero, protection, QUOTA)
    return ServiceSim(model, asbuilt.load(), day, scenario, seed).run()


def assert_every_video_accounted_once(result: Result) -> None:
    assert sum(result.outcomes.values()) == result.videos == HOUR.uploads


def assert_littles_law(result: Result) -> None:
    """The sampled number in the system agrees with arrival rate x mean time in the system (2%)."""
    assert result.littles_l == pytest.approx(result.littles_lambda_w, rel=0.02)


def test_vidpipe_never_holds_more_slots_than_the_cap() -> None:
    result = run_vidpipe(small_model(), cap=30)
    assert result.peak_holders == 30  # reached: the burst queued behind the cap ...
    assert result.start_p[2] > 120  # ... and waited
    assert_every_video_accounted_once(result)
    assert_littles_law(result)


SMOOTH = {  # no throttling, no Spot trouble: only the slot makes a video wait
    "runtask_bucket": 1e6, "runtask_refill": 1e6, "launch_bucket": 1e6, "launch_refill": 1e6,
    "spot_interruptions_per_task_hour": 0.0, "spot_unavailable_probability": 0.0,
}  # fmt: skip


def test_a_successful_video_costs_seven_transitions_at_any_backlog() -> None:
    """The hand-off costs nothing while waiting (within one bounded wait); polling would."""
    unbounded = dataclasses.replace(asbuilt.load(), slot_wait_seconds=1e9)
    result = run_vidpipe(small_model(**SMOOTH), cap=20, config=unbounded)
    assert result.start_p[2] > 3600  # a real backlog
    assert result.outcomes["SUCCEEDED"] + result.outcomes["REJECTED"] == HOUR.uploads
    assert result.transitions_success == (7, 7, 7)
    assert result.polling_transitions_per_video > 100


def test_each_bounded_wait_that_runs_out_costs_one_more_transition() -> None:
    """AcquireSlot's TimeoutSeconds (slotWaitSeconds) then Retry: one transition per period waited."""
    config = dataclasses.replace(asbuilt.load(), slot_wait_seconds=600.0)
    result = run_vidpipe(small_model(**SMOOTH), cap=20, config=config)
    longest_wait = result.done_p[1]  # an upper bound of the longest slot wait
    assert 7 < result.transitions_success[2] <= 7 + longest_wait // 600


def without_throttling_retries(config: asbuilt.AsBuilt) -> asbuilt.AsBuilt:
    """The same pipeline with no retrier matching RunTask throttling in either Analyze state."""

    def strip(state: asbuilt.TaskState) -> asbuilt.TaskState:
        kept = tuple(r for r in state.retriers if asbuilt.THROTTLED not in r.errors)
        return dataclasses.replace(state, retriers=kept)

    return dataclasses.replace(config, spot=strip(config.spot), on_demand=strip(config.on_demand))


def test_throttling_retries_carry_a_cap_above_the_launch_rate() -> None:
    """A burst handed to many slots at once outruns RunTask's 20 calls/s: the Analyze states' throttling
    retriers absorb it (every job succeeds, the survivors pay retries); without them jobs fail."""
    sharp = dataclasses.replace(
        small_model(), workload=dataclasses.replace(HOUR, burst_size=2400, burst_seconds=10.0)
    )
    assert run_vidpipe(sharp, cap=20).outcomes["FAILED"] == 0
    wide = run_vidpipe(sharp, cap=3000)
    assert wide.outcomes["FAILED"] == 0
    assert wide.transitions_success[2] > 7  # the survivors retried
    bare = run_vidpipe(sharp, cap=3000, config=without_throttling_retries(asbuilt.load()))
    assert bare.outcomes["FAILED"] > 0
    assert_every_video_accounted_once(bare)


def test_executions_still_waiting_at_the_timeout_time_out() -> None:
    model = small_model()
    timeout = dataclasses.replace(asbuilt.load(), execution_timeout=600.0)
    day = make_day(model.workload, 3)
    result = VidpipeSim(model, timeout, day, VidpipeScenario("test", 5, QUOTA), 3).run()
    assert result.outcomes["TIMED_OUT"] > 0
    assert result.done_p[1] <= 600 + 60  # nobody finishes long after its execution's deadline
    assert_every_video_accounted_once(result)
    assert_littles_law(result)


@pytest.mark.parametrize("scale_to_zero", [False, True])
def test_scale_in_protection_keeps_scale_in_from_killing_busy_tasks(scale_to_zero: bool) -> None:
    unprotected = run_service(small_model(), scale_to_zero, protection=False)
    protected = run_service(small_model(), scale_to_zero, protection=True)
    assert unprotected.killed_scale_in > 0
    assert protected.killed_scale_in == 0
    for result in (unprotected, protected):
        assert_every_video_accounted_once(result)
        assert_littles_law(result)
        assert result.peak_tasks <= 60


def test_spot_interruptions_are_retried_on_demand() -> None:
    result = run_vidpipe(small_model(spot_interruptions_per_task_hour=20.0), cap=30)
    assert result.killed_spot > 0
    assert result.outcomes["FAILED"] == 0  # each interrupted video ran again on FARGATE
    assert result.costs["fargate"] > 0


def test_the_analyze_policies_come_from_the_definition() -> None:
    config = asbuilt.load()
    assert config.spot.retrier_for(asbuilt.THROTTLED) is not None
    assert config.spot.caught(asbuilt.TASK_FAILED)  # Spot interruption -> AnalyzeOnDemand
    assert config.on_demand.retrier_for(asbuilt.THROTTLED) is not None
    assert config.max_concurrent_tasks >= 1


@pytest.mark.parametrize("retry_index", [0, 3, 10])
def test_full_jitter_waits_between_zero_and_the_capped_interval(retry_index: int) -> None:
    retrier = asbuilt.Retrier(frozenset({"X"}), interval=2.0, backoff=2.0, max_attempts=6, max_delay=60.0,
                              full_jitter=True)  # fmt: skip
    rng = random.Random(1)
    waits = [retrier.delay(retry_index, rng) for _ in range(2000)]
    ceiling = min(60.0, 2.0 * 2.0**retry_index)
    assert min(waits) >= 0.0 and max(waits) <= ceiling
    assert sum(waits) / len(waits) == pytest.approx(ceiling / 2, rel=0.05)


def test_a_token_bucket_serves_its_burst_then_its_rate() -> None:
    bucket = TokenBucket(size=100, rate=20)
    assert sum(bucket.take(0.0) for _ in range(150)) == 100
    assert sum(bucket.take(1.0) for _ in range(50)) == 20
    series = Series(10)
    for t in range(3):
        series.add(t, 150)
    assert series.check(100, 20).throttled_seconds > 0
    assert Series(10).check(100, 20).throttled_seconds == 0


def test_a_video_cannot_be_finished_twice() -> None:
    ledger = Ledger([0.0, 1.0])
    ledger.finish(0, 5.0, Outcome.SUCCEEDED)
    with pytest.raises(AccountingError):
        ledger.finish(0, 6.0, Outcome.FAILED)


@pytest.mark.parametrize(("wait", "at_least"), [(0.0, 0), (60.0, 7), (3600.0, 200)])
def test_polling_retries_grow_with_the_wait(wait: float, at_least: int) -> None:
    attempts: Callable[[float], float] = lambda w: float(polling_attempts(np.array([w]), Model().slot)[0])  # noqa: E731
    assert attempts(wait) >= at_least
    assert attempts(wait + 100) > attempts(wait)


def test_polling_waiters_cost_more_than_seven_transitions() -> None:
    mean, most = reproduce_issue_benchmark(Model().slot, uploads=60)
    assert 7 < mean < most


def test_the_parameter_table_of_the_docs_is_current() -> None:
    """docs/scale.md quotes ``python -m scale --params``; a changed parameter must change the docs too."""
    docs = (asbuilt.REPO_ROOT / "docs" / "scale.md").read_text("utf-8")
    assert render_markdown() in docs


def test_each_second_hands_over_each_second_in_time_order() -> None:
    """Uploads reach their handler once per whole second, at that second, in time order (ties by index)."""
    env = simpy.Environment()
    times = [3.5, 0.25, 3.0, 0.25, 7.999, 0.0]
    seen: list[tuple[float, list[int]]] = []
    env.process(each_second(env, times, lambda batch: seen.append((env.now, batch))))
    env.run()
    assert seen == [(0, [5, 1, 3]), (3, [2, 0]), (7, [4])]


def test_two_processes_give_the_figures_of_one() -> None:
    """The pool reorders the designs longest first; the results come back in the order asked, unchanged."""
    model, config = small_model(), asbuilt.load()
    chosen = [s for s in scenarios(model, config, scale=0.003) if "protection" not in s.name]
    assert [type(s) for s in chosen] == [VidpipeScenario, VidpipeScenario, ServiceScenario, ServiceScenario]
    one, two = run(model, config, chosen, 1, jobs=1), run(model, config, chosen, 1, jobs=2)
    assert [r.name for r in two] == [s.name for s in chosen]
    assert [dataclasses.replace(r, wall_seconds=0) for r in two] == [
        dataclasses.replace(r, wall_seconds=0) for r in one
    ]


def test_a_design_resumes_its_generator_where_its_own_draws_would_have_left_it() -> None:
    """The notification delays are drawn once for every design; each must still see its own stream."""
    own = random.Random(7)
    drawn = [lognormal(own, 2.0, 0.5) for _ in range(5)]
    day = Day(uploads=[float(i) for i in range(5)], lengths=[30.0] * 5)
    delays, resumed = design_draws(day, 2.0, 7)
    assert list(delays) == drawn
    after = [own.gauss(0.0, 1.0) for _ in range(3)]
    assert [resumed.gauss(0.0, 1.0) for _ in range(3)] == after
    _, again = design_draws(day, 2.0, 7)  # a second design: its own generator, from the same state
    assert [again.gauss(0.0, 1.0) for _ in range(3)] == after
