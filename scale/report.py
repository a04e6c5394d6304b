"""The tables ``python -m scale`` prints (Markdown, pasted into docs/scale.md)."""

from __future__ import annotations

import math

from scale.asbuilt import AsBuilt
from scale.limits import demand, mean_task_seconds, stages
from scale.params import Model
from scale.polling import item_bound, reproduce_issue_benchmark
from scale.results import Result


def _s(seconds: float) -> str:
    """A duration for a table: seconds below 100 s, minutes below 100 min, else hours."""
    if math.isnan(seconds):
        return "-"
    if seconds < 100:
        return f"{seconds:.0f} s"
    if seconds < 6000:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(" --- " for _ in header) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def outcomes(results: list[Result]) -> list[str]:
    rows = []
    for r in results:
        o = r.outcomes
        done = o["SUCCEEDED"] + o["REJECTED"]
        rows.append([
            r.name, f"{done:,}", f"{o['FAILED']:,}", f"{o['TIMED_OUT']:,}",
            " / ".join(_s(x) for x in r.start_p), _s(r.done_p[1]),
            f"{r.killed:,} ({r.killed_spot:,} / {r.killed_scale_in:,} / {r.killed_timeout:,})",
            f"{r.peak_tasks:,} ({r.peak_vcpu:,.0f} of {r.vcpu_quota:,.0f} vCPU)",
            f"${r.per_thousand(r.total_cost):.2f}", f"${r.per_thousand(r.on_demand_total):.2f}",
        ])  # fmt: skip
    header = [
        "design", "done", "failed", "timed out", "start p50 / p95 / p99", "done p99",
        "killed mid-job (Spot / scale-in / timeout)", "peak tasks", "$ per 1,000 (Spot)", "$ per 1,000 (on-demand)",
    ]  # fmt: skip
    return _table(header, rows)


def cost_lines(results: list[Result]) -> list[str]:
    items = list(results[0].costs)
    rows = [
        [r.name, *(f"{r.per_thousand(r.costs[item]):.3f}" for item in items), f"{r.spot_share:.0%}",
         f"{r.tasks_launched:,}"]
        for r in results
    ]  # fmt: skip
    return _table(["$ per 1,000 videos", *items, "Spot share of task time", "tasks launched"], rows)


def transitions(results: list[Result]) -> list[str]:
    rows = [
        [r.name, f"{r.transitions_per_video:.2f}", " / ".join(map(str, r.transitions_success)),
         f"{r.polling_transitions_per_video:.1f}", f"{r.peak_holders:,} of {r.cap:,}"]
        for r in results if r.cap
    ]  # fmt: skip
    header = ["vidpipe", "transitions per video", "per succeeded video min / median / max",
              "same waits with polling AcquireSlot", "peak slot holders"]  # fmt: skip
    return _table(header, rows)


def checks(results: list[Result]) -> list[str]:
    rows = []
    for r in results:
        for c in r.checks:
            throttled = "-" if c.throttled_seconds is None else f"{c.throttled_seconds:,} s"
            rows.append([r.name, c.name, f"{c.peak:,.0f}", f"{c.limit:,.0f}", c.note, throttled])
    return _table(["design", "quota", "busiest second", "limit /s", "note", "seconds over the bucket"], rows)


def littles_law(results: list[Result]) -> list[str]:
    rows = [[r.name, f"{r.littles_l:,.1f}", f"{r.littles_lambda_w:,.1f}", "; ".join(r.notes), f"{r.wall_seconds:.1f} s"]
            for r in results]  # fmt: skip
    return _table(["design", "L (sampled)", "lambda x W", "notes", "simulated in"], rows)


def breakpoints(model: Model, config: AsBuilt, cap: int) -> list[str]:
    lim = model.limits
    rows = [
        [s.name, f"{s.videos_per_second:,.2f}", s.arithmetic, s.moved_by]
        for s in stages(model, config, config.max_concurrent_tasks, lim.vcpu_quota_default)
    ]
    lines = [f"Stage capacities with the defaults (cap {config.max_concurrent_tasks}, "
             f"{lim.vcpu_quota_default} vCPU), smallest first; mean task {mean_task_seconds(model, config):.0f} s:", ""]  # fmt: skip
    lines += _table(["stage", "videos/s", "arithmetic", "what moves it"], rows)
    rows = [[s.name, f"{s.videos_per_second:,.2f}"] for s in stages(model, config, cap, lim.vcpu_quota)]
    lines += ["", f"With cap {cap:,} and {lim.vcpu_quota:,} vCPU:", ""]
    lines += _table(["stage", "videos/s"], rows[:4])
    d = demand(model)
    lines += ["", "Demand: " + ", ".join(f"{k} {v:,.1f}/s" for k, v in d.items()) + "."]
    return lines


def polling(model: Model, config: AsBuilt) -> list[str]:
    task = mean_task_seconds(model, config)
    best = round(
        math.sqrt(model.limits.item_write_units * 1024 / (2 * model.slot.polling_holder_bytes) * task)
    )
    rows = []
    for cap in sorted({config.max_concurrent_tasks, best, 1500}):
        b = item_bound(cap, model.slot, model.limits.item_write_units, task)
        rows.append([f"{cap:,}", f"{b.item_kb:,.1f}", str(b.write_units_per_write),
                     f"{b.acquisitions_per_second:,.1f}", f"{b.videos_per_second_by_slots:,.1f}",
                     f"{min(b.acquisitions_per_second, b.videos_per_second_by_slots):,.1f}"])  # fmt: skip
    mean, most = reproduce_issue_benchmark(model.slot)
    lines = _table(["cap", "semaphore item KB", "WCU per write", "acquisitions/s the item allows",
                    "videos/s the slots allow", "at most videos/s"], rows)  # fmt: skip
    lines += ["", f"Issue 9's benchmark (300 at once, cap 2, 4.2 s no-op tasks) with polling waiters: "
              f"{mean:.1f} transitions per video on average, {most} at most (measured: 25.2 and 48)."]  # fmt: skip
    return lines


def render(results: list[Result], model: Model, config: AsBuilt, cap: int, seconds: float, jobs: int) -> str:
    w = model.workload
    parts = [
        f"### One day: {w.uploads:,} uploads, {w.burst_count} bursts of {w.burst_size:,} in "
        f"{w.burst_seconds:.0f} s, quiet night",
        "",
        *outcomes(results),
        "",
        "start = upload -> the worker starts on the video (first attempt); done = upload -> result recorded.",
        "",
        "#### Cost per 1,000 videos done, by line (as run: Spot where the design used Spot)",
        "",
        *cost_lines(results),
        "",
        "#### Transitions (vidpipe)",
        "",
        *transitions(results),
        "",
        "#### Quotas on the day",
        "",
        *checks(results),
        "",
        "#### Where vidpipe breaks first",
        "",
        *breakpoints(model, config, cap),
        "",
        "#### The polling AcquireSlot before the hand-off, for comparison",
        "",
        *polling(model, config),
        "",
        "#### Checks of the model",
        "",
        *littles_law(results),
        "",
        f"Simulated {len(results)} designs in {seconds:.1f} s wall with {jobs} processes.",
    ]
    return "\n".join(parts) + "\n"
