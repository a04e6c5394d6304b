"""Every parameter of the model, named, with its unit and its source (a key of :data:`scale.sources.SOURCES`).

Groups are frozen dataclasses so a scenario can override one value (``dataclasses.replace``) and everything
else stays as documented. Deployment settings (the cap, task size, timeouts) are not here: they are read from
``infra/settings.py`` by :mod:`scale.asbuilt`, and the retry policies from the state machine definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from scale.sources import SOURCES


def param(value: Any, unit: str, source: str, note: str = "") -> Any:
    """A dataclass field carrying its unit, source key and a note; the source key must exist."""
    if source not in SOURCES:
        raise KeyError(f"unknown source {source!r}")
    return field(default=value, metadata={"unit": unit, "source": source, "note": note})


@dataclass(frozen=True)
class Workload:
    """The day: 1,000,000 uploads, bursts of 10,000 in a minute, a quiet night (the brief; shape assumed)."""

    uploads: int = param(1_000_000, "videos/day", "assumption", "the brief's day")
    day_seconds: float = param(86_400.0, "s", "assumption")
    burst_count: int = param(4, "bursts", "assumption", "the brief says bursts; four of them")
    burst_size: int = param(10_000, "videos", "assumption", "the brief: 10,000 in a minute")
    burst_seconds: float = param(60.0, "s", "assumption")
    burst_starts_hours: tuple[float, ...] = param((9.0, 12.5, 17.0, 20.5), "h", "assumption")
    diurnal_amplitude: float = param(0.8, "fraction", "assumption",
                                     "background rate = mean x (1 - A cos(2 pi (t - trough)/day)): night 0.2x, afternoon 1.8x")  # fmt: skip
    trough_hour: float = param(4.0, "h", "assumption", "quietest moment of the night")
    length_median_seconds: float = param(60.0, "s", "assumption", "video length: lognormal")
    length_sigma: float = param(1.1, "ln s", "assumption", "mean 110 s, p95 366 s, p99 775 s")


@dataclass(frozen=True)
class Timings:
    """How long things take, outside the quotas."""

    s3_notification_median: float = param(1.0, "s", "s3-notifications", "lognormal, sigma 0.5")
    pipe_start_seconds: float = param(0.5, "s", "assumption", "pipe poll + StartExecution")
    pre_slot_seconds: float = param(1.0, "s", "assumption", "Prepare (Lambda) + Claim + entering AcquireSlot")
    mark_running_seconds: float = param(0.1, "s", "assumption")
    record_seconds: float = param(0.5, "s", "assumption", "Record Lambda, then the release")
    handoff_seconds: float = param(
        0.2, "s", "slot-design", "release -> SendTaskSuccess -> the waiter resumes"
    )
    task_start_median: float = param(45.0, "s", "fargate-pull",
                                     "RunTask -> container running (provisioning, ENI, image pull); lognormal sigma 0.25; assumed for a ~700 MB image")  # fmt: skip
    task_start_sigma: float = param(0.25, "ln s", "assumption")
    task_stop_seconds: float = param(3.0, "s", "assumption", "container exit -> task stopped (billing ends)")
    sync_notice_seconds: float = param(3.0, "s", "assumption", "task stopped -> runTask.sync state completes")
    worker_seconds_per_video_second: float = param(8.21 / 60, "s/s", "worker-doc", "on 2 real idle cores")
    fargate_slowdown: float = param(
        1.5, "x", "video-ml", "2 Fargate vCPUs (hyperthreads) vs 2 cores: assumed 1.5x"
    )
    worker_fixed_seconds: float = param(
        6.0, "s", "assumption", "per task of vidpipe: interpreter, model load, download, upload"
    )
    service_task_init_seconds: float = param(
        4.0, "s", "assumption", "a service task's interpreter + model load, once"
    )
    service_per_video_seconds: float = param(
        2.0, "s", "assumption", "a service task's download + upload per video"
    )
    sigterm_exit_seconds: float = param(
        2.0, "s", "worker-doc", "the worker stops within a second or two of SIGTERM"
    )
    lambda_prepare_seconds: float = param(0.3, "s", "assumption")
    lambda_acquire_seconds: float = param(0.15, "s", "assumption")
    lambda_record_seconds: float = param(0.3, "s", "assumption", "Record, RecordFailure and Conclude each")


@dataclass(frozen=True)
class Limits:
    """AWS quotas (us-east-1 defaults unless said otherwise) and the quota increases a team at this scale asks for."""

    start_execution_bucket: float = param(1300, "requests", "sfn-quotas")
    start_execution_refill: float = param(300, "requests/s", "sfn-quotas")
    transitions_bucket: float = param(5000, "transitions", "sfn-quotas", "StateTransition, Standard")
    transitions_refill: float = param(1500, "transitions/s", "sfn-quotas")
    send_task_success_refill: float = param(500, "requests/s", "sfn-quotas", "bucket 3,000")
    runtask_bucket: float = param(20, "calls", "fargate-throttling", "burst and sustained")
    runtask_refill: float = param(20, "calls/s", "fargate-throttling")
    launch_bucket: float = param(100, "tasks", "fargate-throttling", "one bucket for On-Demand, one for Spot")
    launch_refill: float = param(20, "tasks/s", "fargate-throttling")
    service_launch_per_minute: float = param(500, "tasks/min", "ecs-quotas", "per service")
    vcpu_quota_default: int = param(6, "vCPU", "gr-ecs", "each of On-Demand and Spot")
    vcpu_quota: int = param(4000, "vCPU", "assumption", "the quota increase requested for this day, each of On-Demand and Spot")  # fmt: skip
    lambda_concurrency: int = param(1000, "executions", "lambda-quotas")
    item_write_units: float = param(1000, "WCU/s", "ddb-partition", "one item lives on one partition")
    spot_interruptions_per_task_hour: float = param(
        0.03, "1/h", "assumption", "AWS publishes none for Fargate Spot"
    )
    spot_unavailable_probability: float = param(
        0.02, "per launch", "assumption", "'Capacity is unavailable' on Spot"
    )


@dataclass(frozen=True)
class Prices:
    """us-east-1 prices."""

    vcpu_hour: float = param(0.04048, "$/vCPU-h", "fargate-pricing", "Linux/x86")
    gb_hour: float = param(0.004445, "$/GB-h", "fargate-pricing")
    spot_discount: float = param(0.70, "fraction", "fargate-pricing", "'typically about 70% cheaper'")
    min_billed_seconds: float = param(60.0, "s", "fargate-pricing", "one-minute minimum, then per second")
    transition: float = param(0.025 / 1000, "$", "sfn-pricing")
    lambda_request: float = param(0.20 / 1e6, "$", "lambda-pricing")
    lambda_gb_second: float = param(0.0000133334, "$", "lambda-pricing", "Arm (the functions' default)")
    sqs_request: float = param(0.40 / 1e6, "$", "sqs-pricing")
    pipe_request: float = param(0.40 / 1e6, "$", "pipes-pricing")
    write_unit: float = param(0.625 / 1e6, "$", "ddb-pricing")
    read_unit: float = param(0.125 / 1e6, "$", "ddb-pricing")
    alarm_month: float = param(0.10, "$", "cw-pricing")
    ipv4_hour: float = param(0.005, "$", "ipv4-pricing")


@dataclass(frozen=True)
class Slot:
    """DynamoDB writes of the slot pool (hand-off design) and of the job table, per operation."""

    counter_write_units: float = param(
        2, "WCU", "ddb-units", "one transactional write of the counter item (< 1 KB)"
    )
    acquire_write_units: float = param(4, "WRU", "slot-design", "counter + member, transactional")
    enqueue_write_units: float = param(6, "WRU", "slot-design", "counter + waiter + member, transactional")
    handoff_write_units: float = param(
        8, "WRU", "slot-design", "my member, the waiter, its member, the counter"
    )
    release_write_units: float = param(4, "WRU", "slot-design", "my member + the counter")
    job_write_units: float = param(4, "WRU", "assumption", "Claim, MarkRunning, Record (summary up to 2 KB)")
    polling_holder_bytes: float = param(
        155, "bytes", "issue-9", "the semaphore item before the hand-off grew per holder"
    )
    polling_interval: float = param(
        2.0, "s", "issue-9", "AcquireSlot retry before the hand-off: 2 s x 1.5^n, <= 30 s, full jitter"
    )
    polling_backoff: float = param(1.5, "x", "issue-9")
    polling_max_delay: float = param(30.0, "s", "issue-9")


@dataclass(frozen=True)
class Scaling:
    """The two designs vidpipe replaces: an ECS service scaled by CloudWatch alarms on SQS depth."""

    alarm_period: float = param(60.0, "s", "sqs-metrics", "one datapoint a minute")
    metric_lag: float = param(60.0, "s", "assumption", "a datapoint is seen by the alarm one period later")
    step_lower_bounds: tuple[int, ...] = param(
        (100, 1000, 5000), "visible messages", "assumption", "tuned by hand"
    )
    step_changes: tuple[int, ...] = param((10, 50, 200), "tasks", "assumption", "ChangeInCapacity per step")
    scale_out_cooldown: float = param(60.0, "s", "aas-step", "set; the default is 300")
    scale_in_threshold: int = param(10, "visible messages", "assumption", "scale in at or below this")
    scale_in_periods: int = param(3, "datapoints", "assumption")
    scale_in_percent: float = param(10.0, "%", "assumption", "PercentChangeInCapacity -10, at least 1 task")
    scale_in_cooldown: float = param(300.0, "s", "aas-step", "the default")
    min_capacity: int = param(50, "tasks", "assumption", "design (a): sized near the night's load")
    max_capacity: int = param(1500, "tasks", "assumption", "the same vCPU budget as vidpipe's cap")
    zero_periods: int = param(5, "datapoints", "assumption", "design (b): 0 visible for 5 minutes -> 0 tasks")
    from_zero_capacity: int = param(
        1, "tasks", "assumption", "design (b): the second alarm, visible >= 1 -> 1 task"
    )
    receive_wait_seconds: float = param(
        20.0, "s", "assumption", "long polling: one empty receive per 20 idle s"
    )


@dataclass(frozen=True)
class Model:
    """All parameter groups."""

    workload: Workload = field(default_factory=Workload)
    timings: Timings = field(default_factory=Timings)
    limits: Limits = field(default_factory=Limits)
    prices: Prices = field(default_factory=Prices)
    slot: Slot = field(default_factory=Slot)
    scaling: Scaling = field(default_factory=Scaling)


def render_markdown(model: Model | None = None) -> str:
    """The parameter table of docs/scale.md: name, value, unit, note, source."""
    model = model or Model()
    lines = ["| parameter | value | unit | note | source |", "| --- | --- | --- | --- | --- |"]
    used: list[str] = []
    for group_field in fields(model):
        group = getattr(model, group_field.name)
        for f in fields(group):
            meta = f.metadata
            value = getattr(group, f.name)
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            lines.append(f"| `{group_field.name}.{f.name}` | {shown} | {meta['unit']} | {meta['note']} | [{meta['source']}] |")  # fmt: skip
            if meta["source"] not in used:
                used.append(meta["source"])
    lines.append("")
    lines.extend(f"- [{key}]: {SOURCES[key].title}. {SOURCES[key].where}" for key in used)
    return "\n".join(lines) + "\n"
