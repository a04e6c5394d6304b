"""Local runtime benchmark (not part of the test run): pipeline overhead with the no-op worker.

Measures, with the worker option ``{"noop": true}`` (no decoding, no analysis, a valid results document):

* latency: uploads one at a time (each waits for the previous job), so queueing does not blur the numbers:
  upload -> worker process started, and worker exited -> final job record visible; p50 and p95;
* throughput: a burst of uploads, jobs per minute from the first upload to the last final record;
* peak RSS of the runtime's process (moto, the pipe, the agent, the handlers, and this script's polling;
  ``ru_maxrss``) and of the largest worker process (sampled every 50 ms).

Usage: ``python benchmarks/local_runtime_bench.py [--latency-uploads 100] [--burst-uploads 200]
[--max-tasks 4]``. Prints a Markdown table (pasted into docs/local-runtime.md).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil

from vidpipe.contract.names import TERMINAL_STATUSES, Output
from vidpipe.local.jobs import Upload, find_job_id, get_job, upload, wait_for_job
from vidpipe.local.runtime import LocalRuntime

NOOP_ENV = {"VIDPIPE_OPTIONS": json.dumps({"noop": True})}
GENERATE_CLIP = (
    "import sys; from pathlib import Path; from vidpipe.clipgen.encode import Encoding; "
    "from vidpipe.clipgen.unusual import manifest_of; manifest_of(Path(sys.argv[1]), Encoding())"
)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


class WorkerRss:
    """Samples the RSS of the runtime's child processes (the workers) every 50 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WorkerRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.05):
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    self.peak = max(self.peak, child.memory_info().rss)


def final_record_time(rt: LocalRuntime, up: Upload, timeout: float) -> tuple[dict[str, Any], float]:
    """Poll the upload's job every 10 ms; return the final record and when it was first seen."""
    record = wait_for_job(
        rt.client("dynamodb"),
        rt.outputs[Output.JOB_TABLE],
        up,
        timeout,
        TERMINAL_STATUSES,
        poll_interval=0.01,
    )
    return record, time.time()


def latency(rt: LocalRuntime, clip: bytes, count: int) -> dict[str, list[float]]:
    s3, bucket = rt.client("s3"), rt.outputs[Output.VIDEO_BUCKET]
    to_start: list[float] = []
    to_record: list[float] = []
    for index in range(count):
        up = upload(s3, bucket, f"latency/{index:04d}.mp4", clip)
        record, seen = final_record_time(rt, up, 120)
        assert record["status"] == "SUCCEEDED", record
        assert rt.agent is not None
        run = next(r for r in rt.agent.runs() if r.job_id == record["job_id"])
        assert run.started_at is not None and run.ended_at is not None
        to_start.append(run.started_at - up.uploaded_at)
        to_record.append(seen - run.ended_at)
    return {"upload_to_worker_start": to_start, "worker_exit_to_final_record": to_record}


def throughput(rt: LocalRuntime, clip: bytes, count: int) -> tuple[float, float]:
    """(seconds, jobs per minute) for a burst of ``count`` uploads."""
    s3, bucket = rt.client("s3"), rt.outputs[Output.VIDEO_BUCKET]
    dynamodb, table = rt.client("dynamodb"), rt.outputs[Output.JOB_TABLE]
    started = time.time()
    with ThreadPoolExecutor(max_workers=16) as pool:
        uploads = list(pool.map(lambda i: upload(s3, bucket, f"burst/{i:04d}.mp4", clip), range(count)))
    pending = {up.key: up for up in uploads}
    ids: dict[str, str] = {}
    deadline = time.monotonic() + 60 * 60
    while pending:  # one pass over the pending jobs per iteration; bounded by the deadline
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(pending)} jobs unfinished")
        for key, up in list(pending.items()):
            ids[key] = ids.get(key) or find_job_id(dynamodb, table, up) or ""
            record = get_job(dynamodb, table, ids[key]) if ids[key] else None
            if record and record["status"] in TERMINAL_STATUSES:
                assert record["status"] == "SUCCEEDED", record
                del pending[key]
        time.sleep(0.2)
    elapsed = time.time() - started
    return elapsed, count / elapsed * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-uploads", type=int, default=100)
    parser.add_argument("--burst-uploads", type=int, default=200)
    parser.add_argument("--max-tasks", type=int, default=4)
    args = parser.parse_args()
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tiny.mp4"
        # In a child process, so that the clip generator's imports do not count in this process's peak RSS.
        subprocess.run([sys.executable, "-c", GENERATE_CLIP, str(path)], check=True)
        clip = path.read_bytes()

    with WorkerRss() as workers:
        started = time.monotonic()
        with LocalRuntime(port=0, max_tasks=args.max_tasks, worker_env=NOOP_ENV, log_dir=None) as rt:
            startup = time.monotonic() - started
            lat = latency(rt, clip, args.latency_uploads)
            seconds, per_minute = throughput(rt, clip, args.burst_uploads)
    runtime_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"runtime start (template cached): {startup:.1f} s; max tasks {args.max_tasks}\n")
    print("| measure | p50 | p95 |")
    print("| --- | --- | --- |")
    for name, values in lat.items():
        print(f"| {name.replace('_', ' ')} ({len(values)} uploads) | {percentile(values, 0.5):.2f} s "
              f"| {percentile(values, 0.95):.2f} s |")  # fmt: skip
    print(f"\nthroughput: {args.burst_uploads} uploads in {seconds:.1f} s = {per_minute:.0f} jobs/min")
    print(
        f"peak RSS: runtime process {runtime_rss / 2**20:.0f} MiB; largest worker {workers.peak / 2**20:.0f} MiB"
    )


if __name__ == "__main__":
    main()
