"""Where vidpipe breaks first: how many videos per second each stage can pass, from the quotas and settings.

Arithmetic, not simulation: each stage's limit divided by what one video asks of it. The smallest is where
a growing load first queues (the cap, the vCPU quota) or fails (the Fargate launch rate, through RunTask
throttling). The simulation then shows what that looks like on the day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scale.asbuilt import AsBuilt
from scale.params import Model


@dataclass(frozen=True)
class Stage:
    name: str
    videos_per_second: float
    arithmetic: str
    moved_by: str


def mean_task_seconds(model: Model, config: AsBuilt) -> float:
    """Expected lifetime of one vidpipe task: start (image pull) + fixed work + analysis of a mean-length video."""
    t, w = model.timings, model.workload
    start = t.task_start_median * math.exp(t.task_start_sigma**2 / 2)
    mean_length = w.length_median_seconds * math.exp(w.length_sigma**2 / 2)
    per_second = t.worker_seconds_per_video_second * t.fargate_slowdown
    return start + t.worker_fixed_seconds + mean_length * per_second + t.task_stop_seconds


def demand(model: Model) -> dict[str, float]:
    """Uploads per second: the day's mean, the afternoon peak of the background, a burst."""
    w = model.workload
    background = (w.uploads - w.burst_count * w.burst_size) / w.day_seconds
    return {
        "mean": w.uploads / w.day_seconds,
        "afternoon peak": background * (1 + w.diurnal_amplitude),
        "burst": w.burst_size / w.burst_seconds + background,
    }


def stages(model: Model, config: AsBuilt, cap: int, vcpu_quota: int) -> list[Stage]:
    """Each stage's capacity in videos per second, smallest first."""
    lim, t, slot = model.limits, model.timings, model.slot
    task = mean_task_seconds(model, config)
    lambda_seconds = (
        t.lambda_prepare_seconds + t.lambda_acquire_seconds + 2 * t.lambda_record_seconds
    )  # + Conclude
    counter = 2 * slot.counter_write_units  # the acquire (or enqueue) and the release (or hand-off)
    tasks_by_quota = vcpu_quota // config.worker_vcpu
    found = [
        Stage("maxConcurrentTasks (the cap)", cap / task, f"{cap} slots / {task:.0f} s per task",
              "vidpipe:maxConcurrentTasks"),
        Stage("Fargate vCPU quota", tasks_by_quota / task,
              f"{vcpu_quota} vCPU / {config.worker_vcpu:g} per task / {task:.0f} s", "a Service Quotas request"),
        Stage("RunTask API", lim.runtask_refill, f"{lim.runtask_refill:g} calls/s, one per video (more on retries)",
              "an AWS Support rate-limit increase; no vidpipe setting"),
        Stage("Fargate task launches", lim.launch_refill, f"{lim.launch_refill:g} tasks/s per capacity type",
              "an AWS Support increase; several videos per task (a design change)"),
        Stage("slot counter item", lim.item_write_units / counter,
              f"{lim.item_write_units:g} WCU/s / {counter:g} WCU per video", "sharding the counter (a design change)"),
        Stage("state transitions", lim.transitions_refill / 7, f"{lim.transitions_refill:g}/s / 7 per video",
              "a Step Functions quota increase"),
        Stage("StartExecution", lim.start_execution_refill, f"{lim.start_execution_refill:g}/s, one per video",
              "vidpipe:pipeBatchSize (videos per execution)"),
        Stage("SendTaskSuccess", lim.send_task_success_refill, f"{lim.send_task_success_refill:g}/s, one per waiter",
              "a Step Functions quota increase"),
        Stage("Lambda concurrency", lim.lambda_concurrency / lambda_seconds,
              f"{lim.lambda_concurrency} / {lambda_seconds:.2f} s of Lambda per video", "a Lambda quota increase"),
    ]  # fmt: skip
    return sorted(found, key=lambda s: s.videos_per_second)
