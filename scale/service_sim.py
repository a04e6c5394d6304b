"""The designs vidpipe replaces: a long-running ECS service on Fargate Spot, scaled on SQS depth by alarms.

Each task loops: long-poll the queue, analyse one video, delete the message. CloudWatch sees
ApproximateNumberOfMessagesVisible once a minute (one period late); a step scaling policy adds tasks when
messages pile up and removes 10% when the queue is (nearly) empty for three minutes. Design (a) keeps a
floor of tasks; design (b) has none and two more alarms: the queue empty for five minutes sets the service
to zero, a message in an empty service sets it to one task. Scale-in stops tasks that ECS picks, busy or
not, unless the tasks use scale-in protection while they work (then only idle tasks stop, and busy ones stop
when their video is done). A stopped or interrupted worker puts its message back (SIGTERM handler).
"""

from __future__ import annotations

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
from scale.results import Check, Result, summarize
from scale.workload import Day, analysis_seconds, design_draws, lognormal

SAMPLE_PERIOD = 10.0


@dataclass(frozen=True)
class ServiceScenario:
    """One of the two alarm-scaled designs, with or without task scale-in protection."""

    name: str
    scale_to_zero: bool  # design (b)
    protection: bool
    vcpu_quota: int


class _Task:
    __slots__ = ("alive", "job", "launched", "ready", "start", "video")

    def __init__(self, launched: float) -> None:
        self.launched = launched
        self.ready = math.nan  # running and polling from this time
        self.video = -1  # the video in hand, -1 when idle
        self.start = math.nan  # when work on it began
        self.job = 0  # bumped when a job is abandoned, so its completion event is ignored
        self.alive = True


class ServiceSim:
    """One day of an alarm-scaled queue-processing service."""

    def __init__(
        self, model: Model, config: built.AsBuilt, day: Day, scenario: ServiceScenario, seed: int
    ) -> None:
        self.m, self.cfg, self.day, self.sc = model, config, day, scenario
        sc, lim = model.scaling, model.limits
        delays, self.rng = design_draws(day, model.timings.s3_notification_median, seed)
        self.env = simpy.Environment()
        self.ledger = Ledger(day.uploads)
        self.visible_at = [u + d for u, d in zip(day.uploads, delays, strict=True)]
        # Per video, how long a task works on it and how it ends: drawn from the day, used on every delivery.
        # (numpy for speed: IEEE arithmetic elementwise, the same floats as a Python loop.)
        lengths = np.asarray(day.lengths)
        analysed = np.where(
            lengths <= config.max_duration_seconds, analysis_seconds(model.timings, lengths), 0.0
        )
        self.work = (model.timings.service_per_video_seconds + analysed).tolist()
        self.outcome = [
            Outcome.REJECTED if length > config.max_duration_seconds else Outcome.SUCCEEDED
            for length in day.lengths
        ]
        self.queue: deque[int] = deque()
        self.receives = bytearray(len(day))  # deliveries per message (maxReceiveCount, then the DLQ)
        self.dead_lettered = 0
        self.idle: list[_Task] = []
        self.tasks: dict[_Task, None] = {}  # insertion-ordered, so a run is reproducible
        self.min_capacity = 0 if scenario.scale_to_zero else sc.min_capacity
        self.desired = self.min_capacity
        self.service_bucket = TokenBucket(lim.service_launch_per_minute, lim.service_launch_per_minute / 60.0)
        self.launch_bucket = TokenBucket(lim.launch_bucket, lim.launch_refill)
        self.peak_tasks = 0
        self.deliveries = 0
        self.busy_seconds = 0.0
        self.ready_seconds = 0.0
        self.scale_ins = 0
        self.launch_series = Series(int(day.uploads[-1]) + 1 if day.uploads else 1)
        self.usage = Usage(
            vcpu=config.worker_vcpu, memory_gb=config.worker_memory_gb, public_ip=config.public_ip
        )
        self.usage.alarms = 4 if scenario.scale_to_zero else 2

    # -- messages ---------------------------------------------------------------------------------------------
    def _arrive(self, videos: list[int]) -> None:
        self.queue.extend(videos)
        self._feed()

    def _feed(self) -> None:
        """Idle tasks long-polling the queue receive the oldest visible messages."""
        while self.idle and self.queue:
            self._assign(self.idle.pop(), self.queue.popleft())

    def _assign(self, task: _Task, v: int) -> None:
        now, visible = self.env.now, self.visible_at[v]
        start = visible if visible > now else now
        task.video, task.start = v, start
        self.deliveries += 1
        receives = self.receives
        if receives[v] < 255:
            receives[v] += 1
        self.ledger.started(v, start)
        call_at(self.env, start + self.work[v], self._job_done, task, task.job)

    def _job_done(self, task: _Task, job: int) -> None:
        if not task.alive or job != task.job:
            return  # the job was abandoned (scale-in or Spot); its message went back to the queue
        now, v, queue = self.env.now, task.video, self.queue
        self.busy_seconds += now - task.start
        self.ledger.finish(v, now, self.outcome[v])
        self.usage.write_units += self.m.slot.job_write_units
        task.video = -1
        if len(self.tasks) > self.desired:  # a deferred scale-in (protected tasks stop when they are done)
            self._stop(task)
        elif queue:
            self._assign(task, queue.popleft())
        else:
            self.idle.append(task)

    def _abandon(self, task: _Task) -> None:
        """The worker got SIGTERM mid-video: it stops and puts the message back (visibility 0).

        A message received ``maxReceiveCount`` times goes to the dead-letter queue instead: the video FAILED.
        """
        now, v = self.env.now, task.video
        self.busy_seconds += now - task.start
        if self.receives[v] >= self.cfg.max_receive_count:
            self.dead_lettered += 1
            self.ledger.finish(v, now, Outcome.FAILED)
        else:
            self.queue.appendleft(v)
        task.video = -1
        task.job += 1

    # -- tasks ------------------------------------------------------------------------------------------------
    def _launch(self) -> None:
        now, t, lim = self.env.now, self.m.timings, self.m.limits
        if (len(self.tasks) + 1) * self.cfg.worker_vcpu > self.sc.vcpu_quota:
            return
        if self.rng.random() < lim.spot_unavailable_probability:
            return  # no Spot capacity: the service scheduler tries again later
        granted = max(self.service_bucket.reserve(now), self.launch_bucket.reserve(now))
        task = _Task(granted)
        self.tasks[task] = None
        self.peak_tasks = max(self.peak_tasks, len(self.tasks))
        self.launch_series.add(granted)
        ready = (
            granted
            + lognormal(self.rng, t.task_start_median, t.task_start_sigma)
            + t.service_task_init_seconds
        )
        call_at(self.env, ready, self._ready, task)
        hazard = lim.spot_interruptions_per_task_hour / 3600.0
        if hazard > 0:
            call_at(self.env, granted + self.rng.expovariate(hazard), self._interrupted, task)

    def _ready(self, task: _Task) -> None:
        if task.alive:
            task.ready = self.env.now
            self.idle.append(task)
            self._feed()

    def _interrupted(self, task: _Task) -> None:
        if not task.alive:
            return
        if task.video >= 0:
            self.ledger.killed_spot += 1
        self._stop(task, interrupted=True)
        self._reconcile()  # the service replaces the task at once

    def _stop(self, task: _Task, interrupted: bool = False) -> None:
        now, t = self.env.now, self.m.timings
        busy = task.video >= 0
        if busy:
            self._abandon(task)
        task.alive = False
        del self.tasks[task]
        if task in self.idle:
            self.idle.remove(task)
        if not math.isnan(task.ready):
            self.ready_seconds += now - task.ready
        stop = now + (t.sigterm_exit_seconds if busy else t.task_stop_seconds)
        self.usage.bill_task(True, task.launched, max(stop, task.launched), interrupted=interrupted)
        if busy:
            self._feed()

    def _reconcile(self) -> None:
        """The ECS service scheduler: start or stop tasks until the running count matches the desired one."""
        for _ in range(self.desired - len(self.tasks)):
            self._launch()
        excess = len(self.tasks) - self.desired
        if excess <= 0:
            return
        pending = [task for task in self.tasks if math.isnan(task.ready)]
        victims = pending[:excess]
        if len(victims) < excess:
            if self.sc.protection:  # busy tasks are protected: only idle ones stop now
                candidates = list(self.idle)
            else:  # ECS does not know which tasks are busy
                candidates = [task for task in self.tasks if not math.isnan(task.ready)]
            victims += self.rng.sample(candidates, min(len(candidates), excess - len(victims)))
        for task in victims:
            if task.video >= 0:
                self.ledger.killed_scale_in += 1
            self._stop(task)

    # -- the alarms and the scaling policies ------------------------------------------------------------------
    def _scaling(self) -> Any:
        sc = self.m.scaling
        lag = round(sc.metric_lag / sc.alarm_period)
        history: list[int] = []
        low = zero = 0
        last_out = last_in = -math.inf
        base = self.desired
        self._reconcile()
        while not self.ledger.all_finished:
            yield self.env.timeout(sc.alarm_period)
            now = self.env.now
            history.append(len(self.queue))
            visible = history[-1 - lag] if len(history) > lag else 0
            low = low + 1 if visible <= sc.scale_in_threshold else 0
            zero = zero + 1 if visible == 0 else 0
            step = max(
                (c for b, c in zip(sc.step_lower_bounds, sc.step_changes, strict=True) if visible >= b),
                default=0,
            )
            desired = self.desired
            if self.sc.scale_to_zero and visible >= 1 and desired == 0:
                desired = sc.from_zero_capacity
            if step:
                if now - last_out < sc.scale_out_cooldown:
                    desired = max(desired, base + step)  # capacity added during the cooldown counts
                else:
                    base, desired, last_out = desired, desired + step, now
                last_in = -math.inf  # a scale-out ends the scale-in cooldown
            elif low >= sc.scale_in_periods and now - last_in >= sc.scale_in_cooldown:
                desired -= max(1, math.ceil(desired * sc.scale_in_percent / 100.0))
                last_in = now
                self.scale_ins += 1
            if self.sc.scale_to_zero and zero >= sc.zero_periods:
                desired = 0
            self.desired = max(self.min_capacity, min(sc.max_capacity, desired))
            self._reconcile()
        for task in list(self.tasks):
            self._stop(task)

    def _sampler(self) -> Any:
        while not self.ledger.all_finished:
            self.ledger.sample(self.env.now)
            yield self.env.timeout(SAMPLE_PERIOD)

    def run(self) -> Result:
        wall = time.perf_counter()
        for process in (
            each_second(self.env, self.visible_at, self._arrive),
            self._scaling(),
            self._sampler(),
        ):
            self.env.process(process)
        self.env.run()
        return self._result(time.perf_counter() - wall)

    def _result(self, wall: float) -> Result:
        lim, n, usage = self.m.limits, len(self.day), self.usage
        idle_seconds = max(0.0, self.ready_seconds - self.busy_seconds)
        usage.sqs_requests = n + 2 * self.deliveries + idle_seconds / self.m.scaling.receive_wait_seconds
        checks = [
            Check.of("task launches /s", self.launch_series, lim.launch_bucket, lim.launch_refill, "Fargate Spot"),
            Check("tasks launched by the service /min", self.launch_series.peak_window(60),
                  lim.service_launch_per_minute, "per service"),
        ]  # fmt: skip
        return summarize(
            self.sc.name,
            self.ledger,
            usage,
            self.m.prices,
            SAMPLE_PERIOD,
            peak_tasks=self.peak_tasks,
            peak_vcpu=self.peak_tasks * self.cfg.worker_vcpu,
            vcpu_quota=self.sc.vcpu_quota,
            checks=checks,
            wall_seconds=wall,
            notes=[
                f"{self.scale_ins} scale-ins, busy {self.busy_seconds / max(self.ready_seconds, 1):.0%} of task time",
                f"{self.dead_lettered} dead-lettered after {self.cfg.max_receive_count} receives",
            ],
        )
