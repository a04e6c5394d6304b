"""vidpipe as it will be built: S3 -> SQS -> Pipe -> Step Functions (slot hand-off) -> Fargate, one task per video.

Per video: the pipe starts one execution; Prepare, Claim and AcquireSlot run; AcquireSlot either takes a slot
(fewer than ``cap`` held and nobody waiting) or parks the execution in the arrival-ordered waiting list
(``.waitForTaskToken``: no polling); a release hands the slot to the oldest waiter. The holder runs
``AnalyzeOnSpot`` (RunTask on FARGATE_SPOT) with the Retry/Catch of the real definition, falls back to
``AnalyzeOnDemand``, records and releases. Executions still waiting at ``executionTimeoutSeconds`` time out.

Events are SimPy timeouts whose callbacks advance one video; uploads enter once a second in a batch (each
keeps its exact time), so a day costs about two events per video. Per-second counts (transitions, Lambda
seconds, counter writes...) are kept in plain lists and checked against the quotas after the run.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from scale import asbuilt as built
from scale.buckets import Series, TokenBucket
from scale.costs import Usage
from scale.events import call_at, each_second
from scale.ledger import Ledger, Outcome
from scale.params import Model
from scale.polling import polling_attempts
from scale.results import Check, Result, summarize
from scale.workload import Day, analysis_seconds, design_draws

SAMPLE_PERIOD = 10.0  # s between samples of the number of videos in the system
SWEEP_PERIOD = 5.0  # s between removals of waiters whose execution timed out (the status-change rule)
BEFORE_SLOT = 3  # transitions before the slot: Prepare (which claims the job), Jobs, AcquireSlot
AFTER_ANALYSIS = 2  # Record (or RecordFailure), then Conclude: two transitions, two Lambda invocations


@dataclass(frozen=True)
class VidpipeScenario:
    """One configuration of the deployed pipeline."""

    name: str
    cap: int  # maxConcurrentTasks
    vcpu_quota: int  # each of Fargate On-Demand and Spot


class _Fleet:
    """Running Fargate tasks by capacity type, counted exactly from one heap of (stop time, is Spot)."""

    def __init__(self) -> None:
        self._stops: list[tuple[float, bool]] = []
        self.count = {True: 0, False: 0}
        self.peak = {True: 0, False: 0}
        self.peak_total = 0

    def expire(self, now: float) -> None:
        stops, count = self._stops, self.count
        while stops and stops[0][0] <= now:
            count[heapq.heappop(stops)[1]] -= 1

    def add(self, spot: bool, stop: float) -> None:
        """A task started (call :meth:`expire` first)."""
        heapq.heappush(self._stops, (stop, spot))
        count = self.count
        count[spot] += 1
        if count[spot] > self.peak[spot]:
            self.peak[spot] = count[spot]
        if count[True] + count[False] > self.peak_total:
            self.peak_total = count[True] + count[False]


class VidpipeSim:
    """One day of vidpipe with a given cap and quota."""

    def __init__(
        self, model: Model, config: built.AsBuilt, day: Day, scenario: VidpipeScenario, seed: int
    ) -> None:
        self.m, self.cfg, self.day, self.sc = model, config, day, scenario
        t, lim, n = model.timings, model.limits, len(day)
        delays, self.rng = design_draws(day, t.s3_notification_median, seed)
        self.env = simpy.Environment()
        self.ledger = Ledger(day.uploads)
        pipe = t.pipe_start_seconds
        self.exec_start = [u + d + pipe for u, d in zip(day.uploads, delays, strict=True)]
        self.ready = [s + t.pre_slot_seconds for s in self.exec_start]
        self.deadline = [s + config.execution_timeout for s in self.exec_start]
        self.extra = [0] * n  # transitions beyond the seven of a successful video
        self.waits = [0.0] * n  # s each video waited for its slot (0: it took one at once)
        self.retries: dict[int, list[int]] = {}  # per video whose Analyze state failed: attempts per retrier
        self.waiting: deque[int] = deque()
        self.holders = self.peak_holders = 0
        self.runtask = TokenBucket(lim.runtask_bucket, lim.runtask_refill)
        self.launches = {spot: TokenBucket(lim.launch_bucket, lim.launch_refill) for spot in (True, False)}
        self.fleet = _Fleet()
        seconds = int(day.uploads[-1] + 2 * config.execution_timeout) if n else 1
        self.s_start, self.s_transitions, self.s_lambda = Series(seconds), Series(seconds), Series(seconds)
        self.s_counter, self.s_runtask, self.s_wake = Series(seconds), Series(seconds), Series(seconds)
        self.rerun_first, self.rerun_end = Series(seconds), Series(seconds)
        seconds_per_video_second = analysis_seconds(t, 1.0)
        # Per video, what its task does once it runs (0 s of analysis for a rejected video): drawn from the day.
        # (numpy for speed: IEEE arithmetic elementwise, the same floats as a Python loop.)
        lengths = np.asarray(day.lengths)
        rejected = lengths > config.max_duration_seconds
        self.rejected: list[bool] = rejected.tolist()
        self.work: list[float] = np.where(rejected, 0.0, lengths * seconds_per_video_second).tolist()
        self.spot_hazard = lim.spot_interruptions_per_task_hour / 3600.0
        self.first_state = config.spot if config.worker_spot else config.on_demand  # vidpipe:workerSpot
        self.acquire_gb_seconds = t.lambda_acquire_seconds * config.lambda_memory_gb
        self.usage = Usage(
            vcpu=config.worker_vcpu, memory_gb=config.worker_memory_gb, public_ip=config.public_ip
        )

    # -- accounting -------------------------------------------------------------------------------------------
    def _transitions(self, when: float, count: int = 1) -> None:
        self.s_transitions.values[int(when)] += count
        self.usage.transitions += count

    def _lambda(self, when: float, seconds: float, count: int = 1) -> None:
        """Invocations; their seconds per wall-clock second approximate the concurrency."""
        self.usage.lambda_invocations += count
        self.usage.lambda_gb_seconds += count * seconds * self.cfg.lambda_memory_gb
        self.s_lambda.values[int(when)] += count * seconds

    def _account_starts(self) -> None:
        """Every execution: StartExecution, Prepare, Jobs, AcquireSlot, two Lambda invocations."""
        t, cfg, n = self.m.timings, self.cfg, len(self.day)
        start, ready = np.floor(self.exec_start).astype(np.int64), np.floor(self.ready).astype(np.int64)
        # Prepare's and AcquireSlot's Lambda seconds, interleaved per video: bincount adds them in that order.
        lambdas = np.empty(2 * n, dtype=np.int64)
        lambdas[0::2], lambdas[1::2] = start, ready
        lambda_seconds = np.tile([t.lambda_prepare_seconds, t.lambda_acquire_seconds], n)
        for series, index, weights in (
            (self.s_start, start, None),
            (self.s_transitions, start, np.full(n, float(BEFORE_SLOT))),
            (self.s_lambda, lambdas, lambda_seconds),
        ):
            values = np.asarray(series.values)
            values += np.bincount(index, weights, minlength=len(values))
            series.values = values.tolist()
        self.usage.transitions += BEFORE_SLOT * n
        self.usage.lambda_invocations += 2 * n
        self.usage.lambda_gb_seconds += (
            n * (t.lambda_prepare_seconds + t.lambda_acquire_seconds) * cfg.lambda_memory_gb
        )

    # -- the slot pool ----------------------------------------------------------------------------------------
    def _arrive(self, videos: list[int]) -> None:
        slot = self.m.slot
        counter, usage, cap = self.s_counter.values, self.usage, self.sc.cap
        for v in videos:
            ready = self.ready[v]
            counter[int(ready)] += slot.counter_write_units
            if not self.waiting and self.holders < cap:
                usage.write_units += slot.acquire_write_units
                self._grant(v, ready)
            else:
                usage.write_units += slot.enqueue_write_units
                self.waiting.append(v)

    def _waited(self, v: int, when: float) -> None:
        """A waiter leaves the list: each slotWaitSeconds of waiting re-ran AcquireSlot once (States.Timeout).

        The re-runs happen every slotWaitSeconds while it waited; they are booked as a comb (first and
        past-the-last second) and spread over the per-second series after the run.
        """
        ready = self.ready[v]
        wait, period = when - ready, self.cfg.slot_wait_seconds
        rerun = int(wait // period)
        if rerun:
            usage = self.usage
            self.extra[v] += rerun
            usage.transitions += rerun
            usage.lambda_invocations += rerun
            usage.lambda_gb_seconds += rerun * self.acquire_gb_seconds
            self.rerun_first.values[int(ready + period)] += 1
            self.rerun_end.values[int(ready + (rerun + 1) * period)] += 1
        self.waits[v] = wait

    def _spread_reruns(self) -> None:
        """Turn the combs of :meth:`_waited` into re-runs per second: R[t] = R[t - period] + first[t] - end[t]."""
        period = round(self.cfg.slot_wait_seconds)
        first, end = np.asarray(self.rerun_first.values), np.asarray(self.rerun_end.values)
        seconds = len(first)
        change = np.zeros(-(-seconds // period) * period)  # whole rows of one period each
        change[:seconds] = first
        change[: min(seconds, len(end))] -= end[:seconds]
        # Counts are whole numbers, so the column sums are exact: R[t] = sum of change[t - k period].
        reruns = np.cumsum(change.reshape(-1, period), axis=0).ravel()[:seconds]
        for series, scale in (
            (self.s_transitions, 1.0),
            (self.s_lambda, self.m.timings.lambda_acquire_seconds),
        ):
            values = np.asarray(series.values)
            values[:seconds] += reruns * scale
            series.values = values.tolist()

    def _polling_retries(self) -> float:
        """AcquireSlot retries the polling design would have made at the same waits, beyond the bounded
        waits' re-runs the hand-off already counts (one per slotWaitSeconds)."""
        waits = np.asarray(self.waits)
        reruns = np.floor_divide(waits, self.cfg.slot_wait_seconds)
        return float(np.sum(polling_attempts(waits, self.m.slot) - reruns))

    def _grant(self, v: int, when: float) -> None:
        holders = self.holders = self.holders + 1
        if holders > self.peak_holders:
            self.peak_holders = holders
        if when > self.ready[v]:
            self._waited(v, when)
        self.s_transitions.values[int(when)] += 1  # MarkRunning
        usage = self.usage
        usage.transitions += 1
        usage.write_units += 1
        attempt = when + self.m.timings.mark_running_seconds
        if attempt < self.env.now + 1.0:  # within this second: no event, the buckets get the exact time
            self._attempt(v, self.first_state, attempt)
        else:
            call_at(self.env, attempt, self._attempt, v, self.first_state)

    def _release(self, when: float) -> None:
        """A holder leaves: hand the slot to the oldest live waiter, or give it back."""
        self.holders -= 1
        waiting = self.waiting
        if waiting and self.deadline[waiting[0]] <= when:
            self._drop_timed_out(when)
        slot = self.m.slot
        self.s_counter.values[int(when)] += slot.counter_write_units
        if waiting:
            self.usage.write_units += slot.handoff_write_units
            self.s_wake.values[int(when)] += 1
            waiter = self.waiting.popleft()
            self._grant(waiter, max(when + self.m.timings.handoff_seconds, self.ready[waiter]))
        else:
            self.usage.write_units += slot.release_write_units

    def _drop_timed_out(self, now: float) -> None:
        """The status-change rule: waiters whose execution timed out leave the list (oldest first)."""
        waiting, deadline = self.waiting, self.deadline
        if not waiting or deadline[waiting[0]] > now:
            return
        slot, usage, seconds = self.m.slot, self.usage, self.m.timings.lambda_record_seconds
        second = int(now)
        while waiting and deadline[waiting[0]] <= now:
            v = waiting.popleft()
            self._waited(v, now)
            usage.write_units += slot.release_write_units
            self.s_counter.values[second] += slot.counter_write_units
            usage.lambda_invocations += 1
            usage.lambda_gb_seconds += seconds * self.cfg.lambda_memory_gb
            self.s_lambda.values[second] += seconds
            self.ledger.finish(v, now, Outcome.TIMED_OUT)

    def _sweep(self) -> Any:
        while not self.ledger.all_finished:
            self._drop_timed_out(self.env.now)
            yield self.env.timeout(SWEEP_PERIOD)

    def _sampler(self) -> Any:
        while not self.ledger.all_finished:
            self.ledger.sample(self.env.now)
            yield self.env.timeout(SAMPLE_PERIOD)

    # -- the Analyze states -----------------------------------------------------------------------------------
    def _attempt(self, v: int, state: built.TaskState, at: float | None = None) -> None:
        """Enter (or retry) an Analyze state at ``at`` (default now): one RunTask call."""
        now, spot = self.env.now if at is None else at, state is self.cfg.spot
        second, fleet, launches = int(now), self.fleet, self.launches[spot]
        self.s_transitions.values[second] += 1
        self.usage.transitions += 1
        self.s_runtask.values[second] += 1
        fleet.expire(now)
        if not self.runtask.take(now) or not launches.available(now):
            error = built.THROTTLED
        elif (fleet.count[spot] + 1) * self.cfg.worker_vcpu > self.sc.vcpu_quota:
            error = built.RUN_TASK_FAILURES
        elif spot and self.rng.random() < self.m.limits.spot_unavailable_probability:
            error = built.THROTTLED  # "Capacity is unavailable at this time"
        else:
            launches.take(now)
            self._launch(v, spot, now)
            return
        self._state_failed(v, state, error, now)

    def _state_failed(self, v: int, state: built.TaskState, error: str, now: float) -> None:
        """An attempt failed with ``error`` at ``now``: retry, fall back to on-demand (the Catch), or fail."""
        index = state.retrier_for(error)
        counts = self.retries.setdefault(v, [0] * len(state.retriers))
        if index is not None and counts[index] < state.retriers[index].max_attempts:
            delay = state.retriers[index].delay(counts[index], self.rng)
            counts[index] += 1
            self.extra[v] += 1
            call_at(self.env, now + delay, self._attempt, v, state)
        elif state is self.cfg.spot and state.caught(error):
            self.retries[v] = [0] * len(self.cfg.on_demand.retriers)  # a new state: its own counters
            self.extra[v] += 1
            self._attempt(v, self.cfg.on_demand, now)
        else:  # RecordFailure (instead of Record): the job is FAILED, the slot released; Conclude fails it
            self._transitions(now, AFTER_ANALYSIS)
            self._lambda(now, self.m.timings.lambda_record_seconds, AFTER_ANALYSIS)
            self.usage.write_units += 1
            self.retries.pop(v, None)
            self.ledger.finish(v, now, Outcome.FAILED)
            self._release(now + self.m.timings.record_seconds)

    def _launch(self, v: int, spot: bool, now: float) -> None:
        t, rng, hazard = self.m.timings, self.rng, self.spot_hazard
        container = now + t.task_start_median * math.exp(
            t.task_start_sigma * rng.gauss(0.0, 1.0)
        )  # lognormal
        exit_at = container + t.worker_fixed_seconds + self.work[v]
        interrupt = now + rng.expovariate(hazard) if spot and hazard > 0 else math.inf
        deadline = self.deadline[v]
        end = exit_at if exit_at < interrupt else interrupt  # min(), as fast as Python gets it
        if deadline < end:
            end = deadline
        stop = end + (t.task_stop_seconds if end == exit_at else t.sigterm_exit_seconds)
        self.fleet.add(spot, stop)
        started = container < end
        if started:
            self.ledger.started(v, container)
        if end == exit_at:
            outcome = Outcome.REJECTED if self.rejected[v] else Outcome.SUCCEEDED
            done = stop + t.sync_notice_seconds + t.record_seconds
            call_at(self.env, done, self._recorded, v, spot, now, stop, outcome)
        elif end == interrupt:
            call_at(self.env, stop + t.sync_notice_seconds, self._interrupted, v, now, stop, started)
        else:
            call_at(self.env, deadline, self._timed_out, v, spot, now, stop, started)

    def _recorded(self, v: int, spot: bool, launched: float, stop: float, outcome: Outcome) -> None:
        now = self.env.now
        usage, seconds = self.usage, self.m.timings.lambda_record_seconds
        usage.bill_task(spot, launched, stop)
        self.s_transitions.values[int(now)] += AFTER_ANALYSIS  # Record, Conclude
        self.s_lambda.values[int(now)] += AFTER_ANALYSIS * seconds
        usage.transitions += AFTER_ANALYSIS
        usage.lambda_invocations += AFTER_ANALYSIS
        usage.lambda_gb_seconds += AFTER_ANALYSIS * seconds * self.cfg.lambda_memory_gb
        usage.write_units += 2
        self.retries.pop(v, None)
        self.ledger.finish(v, now, outcome)
        self._release(now)

    def _interrupted(self, v: int, launched: float, stop: float, started: bool) -> None:
        self.usage.bill_task(True, launched, stop, interrupted=True)
        self.ledger.killed_spot += started
        self._state_failed(
            v, self.cfg.spot, built.TASK_FAILED, self.env.now
        )  # exit 143 -> Catch -> on-demand

    def _timed_out(self, v: int, spot: bool, launched: float, stop: float, started: bool) -> None:
        now = self.env.now
        self.usage.bill_task(spot, launched, stop)
        self.ledger.killed_timeout += started
        self._lambda(now, self.m.timings.lambda_record_seconds)  # the status-change rule
        self.retries.pop(v, None)
        self.ledger.finish(v, now, Outcome.TIMED_OUT)
        self._release(now)

    # -- run --------------------------------------------------------------------------------------------------
    def run(self) -> Result:
        wall = time.perf_counter()
        self._account_starts()
        for process in (each_second(self.env, self.ready, self._arrive), self._sweep(), self._sampler()):
            self.env.process(process)
        self.env.run()
        return self._result(time.perf_counter() - wall)

    def _result(self, wall: float) -> Result:
        m, lim, n, usage = self.m, self.m.limits, len(self.day), self.usage
        self._spread_reruns()
        usage.pipe_requests = n
        usage.sqs_requests = 3 * n  # S3's SendMessage, the pipe's ReceiveMessage and DeleteMessage (batch 1)
        usage.read_units += n  # the hand-off's consistent query of the oldest waiter
        reconciles = int(self.env.now // self.cfg.reconcile_seconds)
        usage.lambda_invocations += reconciles
        usage.lambda_gb_seconds += reconciles * 1.0 * self.cfg.lambda_memory_gb
        clean = BEFORE_SLOT + 2 + AFTER_ANALYSIS  # + MarkRunning, AnalyzeOnSpot: 7
        outcome = np.frombuffer(self.ledger.outcome, dtype=np.uint8)
        succeeded = np.sort(clean + np.asarray(self.extra)[outcome == Outcome.SUCCEEDED]).tolist()
        checks = [
            Check.of(
                "StartExecution /s", self.s_start, lim.start_execution_bucket, lim.start_execution_refill
            ),
            Check.of(
                "state transitions /s", self.s_transitions, lim.transitions_bucket, lim.transitions_refill
            ),
            Check.of("SendTaskSuccess /s", self.s_wake, 3000, lim.send_task_success_refill),
            Check(
                "Lambda concurrency",
                self.s_lambda.peak(),
                lim.lambda_concurrency,
                "execution-seconds per second",
            ),
            Check(
                "slot counter item WCU/s",
                self.s_counter.peak(),
                lim.item_write_units,
                "one item, one partition",
            ),
            Check.of(
                "RunTask calls /s", self.s_runtask, lim.runtask_bucket, lim.runtask_refill, "incl. throttled"
            ),
        ]
        return summarize(
            self.sc.name,
            self.ledger,
            usage,
            m.prices,
            SAMPLE_PERIOD,
            peak_tasks=self.fleet.peak_total,
            peak_vcpu=max(self.fleet.peak.values()) * self.cfg.worker_vcpu,
            vcpu_quota=self.sc.vcpu_quota,
            checks=checks,
            transitions_per_video=usage.transitions / n,
            transitions_success=(succeeded[0], succeeded[len(succeeded) // 2], succeeded[-1])
            if succeeded
            else (0, 0, 0),
            polling_transitions_per_video=(usage.transitions + self._polling_retries()) / n,
            peak_holders=self.peak_holders,
            cap=self.sc.cap,
            wall_seconds=wall,
        )
