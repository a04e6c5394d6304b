"""Slot hand-off benchmark (not part of the test run): a burst of uploads behind a small cap, no-op worker.

N uploads at once (default 300) with a cap of C slots (default 2) on the local runtime, the worker option
``{"noop": true}`` (what ``vidpipe local up --worker-options '{"noop": true}'`` sets). From each execution's
history it prints:

* billable state transitions per execution (min / median / max; 7 is the success path) and AcquireSlot
  invocations per execution (1 when waiting costs nothing);
* slot utilisation while a backlog exists, two ways: as the slot table counts it (its counter item read every
  0.1 s: slots held / C while ``waiting`` > 0; the measure of the polling design this replaced, whose slots
  sat free while waiters backed off), and end to end from the histories (time-weighted slots in use / C
  while any execution waits, a slot in use from its holder's grant until its holder enters Record, so the
  hand-off itself, Record's Lambda call, counts as idle);
* hand-off gaps: from the releasing execution entering Record (which hands the slot on first) to the next
  grant (AcquireSlot's exit), and the wake-up alone: from the hand-off (the ``granted_at`` the releaser
  sends with SendTaskSuccess, right after the hand-off transaction) to the waiter's AcquireSlot exit;
* drain time against the ideal: N x mean slot-hold time / C (the baseline of the same run);
* the largest wait against its FIFO wait: each execution's wait for a slot compared with the wait it would
  have had if every freed slot went at once to the first in line with the same hold times, first in line
  by AcquireSlot's entry and, as the waiting list orders its waiters, by the execution's start;
* the cap's peak: most slots held at once (from the histories) and most ECS tasks RUNNING (the agent).

Usage: ``python benchmarks/slot_bench.py [--uploads 300] [--cap 2] [--dump runs.json]`` (``--dump``: every
execution's timeline, for a closer look at a figure).
"""

from __future__ import annotations

import argparse
import dataclasses
import heapq
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tasks.slots import SlotPool
from vidpipe.contract.names import TERMINAL_STATUSES, Output
from vidpipe.local.jobs import upload, wait_for_job
from vidpipe.local.runtime import LocalRuntime

NOOP_ENV = {"VIDPIPE_OPTIONS": json.dumps({"noop": True})}
GENERATE_CLIP = (
    "import sys; from pathlib import Path; from vidpipe.clipgen.encode import Encoding; "
    "from vidpipe.clipgen.unusual import manifest_of; manifest_of(Path(sys.argv[1]), Encoding())"
)


@dataclass(frozen=True)
class Run:
    """One execution's slot timeline (seconds since the epoch)."""

    transitions: int
    acquisitions: int  # AcquireSlot handler invocations (retries included)
    started: float  # the execution started (the waiting list's order)
    asked: float  # AcquireSlot entered
    granted: float  # AcquireSlot exited
    released: (
        float  # Record entered: the analysis is over (Record hands the slot on, then writes the verdict)
    )
    handed_at: float | None  # the releaser's hand-off (None: the slot was free when it asked)


def _seconds(moment: datetime) -> float:
    return moment.timestamp()


def run_of(sfn: Any, execution_arn: str) -> Run:
    pages = sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
    events = [e for page in pages for e in page["events"]]
    entered = [e for e in events if e["type"].endswith("StateEntered")]
    times: dict[str, float] = {}
    for event in events:
        details = event.get("stateEnteredEventDetails") or event.get("stateExitedEventDetails") or {}
        name, kind = details.get("name"), "in" if event["type"].endswith("StateEntered") else "out"
        if name in ("AcquireSlot", "Record"):
            times.setdefault(f"{name}:{kind}", _seconds(event["timestamp"]))
    acquisitions = sum(
        1 for e in events if e["type"] == "TaskScheduled" and "AcquireSlot" in json.dumps(e, default=str)
    )
    grants = [json.loads(e["taskSucceededEventDetails"]["output"]) for e in events
              if e["type"] == "TaskSucceeded" and '"granted_at"' in e["taskSucceededEventDetails"]["output"]]  # fmt: skip
    handed_at = next(
        (_seconds(datetime.fromisoformat(g["granted_at"])) for g in grants if g["via"] == "handoff"), None
    )
    # The execution's start date, which $$.Execution.StartTime (the waiting list's order) is. Not the
    # ExecutionStarted event's time: moto stamps that when the interpreter's thread begins, which in a burst
    # is up to seconds later and in another order.
    started = _seconds(sfn.describe_execution(executionArn=execution_arn)["startDate"])
    return Run(len(entered), max(acquisitions, 1), started, times["AcquireSlot:in"], times["AcquireSlot:out"],
               times["Record:in"], handed_at)  # fmt: skip


def utilisation_during_backlog(runs: list[Run], cap: int) -> tuple[float, float]:
    """(time-weighted held/cap while someone waits, seconds with a backlog). A slot counts as held from its
    grant until its holder enters Record, so the hand-off itself (Record's work) counts as idle time."""
    points: list[tuple[float, int, int]] = []  # (time, held delta, waiting delta)
    for run in runs:
        points += [(run.asked, 0, 1), (run.granted, 1, -1), (run.released, -1, 0)]
    points.sort()
    held = waiting = 0
    busy = backlog = 0.0
    for (moment, d_held, d_wait), following in zip(points, [*points[1:], None], strict=True):
        held, waiting = held + d_held, waiting + d_wait
        if following is not None and waiting > 0:
            span = following[0] - moment
            backlog += span
            busy += span * min(held, cap) / cap
    return (busy / backlog if backlog else 1.0), backlog


class CounterSampler:
    """Reads the slot table's counter item every ``interval`` seconds in a thread, until stopped."""

    def __init__(self, pool: SlotPool, interval: float = 0.1) -> None:
        self.pool, self.interval = pool, interval
        self.samples: list[tuple[int, int]] = []  # (running, waiting)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="counter-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            counter = self.pool.counter()
            self.samples.append((counter["running"], counter["waiting"]))

    def __enter__(self) -> CounterSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def utilisation(self, cap: int) -> tuple[float, int]:
        """(mean slots held / cap over the samples with a waiter, how many such samples)."""
        backlog = [min(running, cap) / cap for running, waiting in self.samples if waiting > 0]
        return (statistics.mean(backlog) if backlog else 1.0), len(backlog)


def peak_held(runs: list[Run]) -> int:
    points = sorted(
        [(r.granted, 1) for r in runs] + [(r.released, -1) for r in runs], key=lambda p: (p[0], p[1])
    )
    held = peak = 0
    for _, delta in points:
        held += delta
        peak = max(peak, held)
    return peak


def handoff_gaps(runs: list[Run]) -> list[float]:
    """For each grant that followed a release while someone waited: release -> next grant."""
    releases = sorted(r.released for r in runs)
    gaps = []
    for run in runs:
        earlier = [t for t in releases if t <= run.granted]
        if earlier and run.asked < earlier[-1]:  # it waited for a release
            gaps.append(run.granted - earlier[-1])
    return gaps


def fifo_waits(runs: list[Run], cap: int, order: Callable[[Run], float]) -> list[tuple[float, float]]:
    """(actual wait, FIFO wait) per execution: each freed slot goes at once to the waiter first by ``order``
    among those that have asked (the same hold times; a slot with nobody waiting goes to the next to ask)."""
    arriving = sorted(runs, key=lambda r: r.asked)
    free: list[float] = [arriving[0].asked] * cap
    waiting: list[tuple[float, int]] = []  # (order, index into arriving)
    pairs: list[tuple[float, float]] = []
    admitted = 0
    while len(pairs) < len(runs):
        moment = heapq.heappop(free)
        while admitted < len(arriving) and arriving[admitted].asked <= moment:
            heapq.heappush(waiting, (order(arriving[admitted]), admitted))
            admitted += 1
        if waiting:
            run, start = arriving[heapq.heappop(waiting)[1]], moment
        else:
            run, admitted = arriving[admitted], admitted + 1
            start = run.asked
        heapq.heappush(free, start + (run.released - run.granted))
        pairs.append((run.granted - run.asked, start - run.asked))
    return pairs


def out_of_order(runs: list[Run]) -> tuple[int, int]:
    """(grants that went to a waiter while one that started earlier was still waiting, grants to waiters)."""
    waited = [r for r in runs if r.handed_at is not None]
    passed = sum(
        1
        for run in waited
        if any(o.started < run.started and o.asked < run.granted < o.granted for o in waited if o is not run)
    )
    return passed, len(waited)


def worst_against_fifo(pairs: list[tuple[float, float]]) -> str:
    """The largest wait against its FIFO wait, and the worst ratio among FIFO waits over 1 s."""
    worst = max(pairs, key=lambda p: p[0])
    ratios = [actual / fifo for actual, fifo in pairs if fifo > 1.0]
    ratio = f"{max(ratios):.2f}x" if ratios else "-"
    return f"{ratio} (largest wait {worst[0]:.1f} s vs {worst[1]:.1f} s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=300)
    parser.add_argument("--cap", type=int, default=2)
    parser.add_argument("--dump", type=Path, help="write every execution's timeline (JSON) here")
    args = parser.parse_args()
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tiny.mp4"
        subprocess.run([sys.executable, "-c", GENERATE_CLIP, str(path)], check=True)
        clip = path.read_bytes()

    with LocalRuntime(port=0, max_tasks=args.cap, worker_env=NOOP_ENV, log_dir=None) as rt:
        s3, bucket = rt.client("s3"), rt.outputs[Output.VIDEO_BUCKET]
        dynamodb, table = rt.client("dynamodb"), rt.outputs[Output.JOB_TABLE]
        slots = SlotPool(dynamodb, rt.client("stepfunctions"), rt.outputs[Output.SLOT_TABLE])
        started = time.time()
        with CounterSampler(slots) as sampler:
            with ThreadPoolExecutor(max_workers=16) as pool:
                uploads = list(
                    pool.map(lambda i: upload(s3, bucket, f"slots/{i:04d}.mp4", clip), range(args.uploads))
                )
            records = [
                wait_for_job(dynamodb, table, up, 3600, TERMINAL_STATUSES, poll_interval=0.5)
                for up in uploads
            ]
        drained = time.time() - started
        statuses = {r["status"] for r in records}
        runs = [run_of(rt.client("stepfunctions"), r["execution_arn"]) for r in records]
        assert rt.agent is not None
        peak_tasks = rt.agent.peak_active_tasks

    if args.dump:
        timelines = [{"execution_arn": r["execution_arn"], **dataclasses.asdict(run)} for r, run in zip(records, runs, strict=True)]  # fmt: skip
        args.dump.write_text(json.dumps(timelines, indent=1))
    transitions = [r.transitions for r in runs]
    holds = [r.released - r.granted for r in runs]
    ideal = args.uploads * statistics.mean(holds) / args.cap
    used, backlog = utilisation_during_backlog(runs, args.cap)
    gaps = handoff_gaps(runs)

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"{args.uploads} uploads at once, cap {args.cap}, no-op worker; job statuses: {sorted(statuses)}\n")
    print("| measure | figure |")
    print("| --- | --- |")
    print(f"| state transitions per execution (min / median / max) | {min(transitions)} / "
          f"{statistics.median(transitions):.0f} / {max(transitions)} |")  # fmt: skip
    print(f"| AcquireSlot invocations per execution (max) | {max(r.acquisitions for r in runs)} |")
    held, samples = sampler.utilisation(args.cap)
    print(f"| slot utilisation while a backlog exists, as the slot table counts it | {held:.1%} "
          f"({samples} samples, 0.1 s apart) |")  # fmt: skip
    print(f"| slot utilisation while a backlog exists, end to end (Record's call idle) | {used:.1%} of "
          f"{backlog:.0f} s |")  # fmt: skip
    if gaps:
        print(f"| hand-off gap, release -> next grant (median / max) | {statistics.median(gaps):.2f} s / "
              f"{max(gaps):.2f} s |")  # fmt: skip
    wakes = [r.granted - r.handed_at for r in runs if r.handed_at is not None]
    if wakes:
        print(f"| wake-up, hand-off -> waiter's grant (median / max; {len(wakes)} hand-offs) | "
              f"{statistics.median(wakes):.2f} s / {max(wakes):.2f} s |")  # fmt: skip
    print(f"| drain time (first upload -> last record) vs ideal N x hold / C | {drained:.0f} s vs {ideal:.0f} s "
          f"(mean hold {statistics.mean(holds):.2f} s) |")  # fmt: skip
    by_entry = worst_against_fifo(fifo_waits(runs, args.cap, lambda r: r.asked))
    by_start = worst_against_fifo(fifo_waits(runs, args.cap, lambda r: r.started))
    print(f"| wait / FIFO wait, worst, first in line by AcquireSlot entry | {by_entry} |")
    print(f"| wait / FIFO wait, worst, first in line by execution start (the list's order) | {by_start} |")
    passed, handed = out_of_order(runs)
    print(f"| hand-offs to a waiter while an earlier-started one waited | {passed} of {handed} |")
    print(f"| peak slots held (histories) / ECS tasks RUNNING (agent) | {peak_held(runs)} / {peak_tasks} "
          f"(cap {args.cap}) |")  # fmt: skip


if __name__ == "__main__":
    main()
