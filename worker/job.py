"""The container's job: environment in, results document out, exit code per the contract.

Exit codes (vidpipe.contract.names.ExitCode): 0 when a verdict was written (analysed or rejected),
1 for a crash (the state machine retries), 143 on SIGTERM with nothing written.
"""

from __future__ import annotations

import logging
import os
import signal
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import Any

from vidpipe.contract.names import ExitCode, WorkerEnv
from worker import logs, s3io
from worker.analysis import Limits, Outcome, analyse, prepare
from worker.document import InputRef, rejected
from worker.errors import Rejected, Terminated
from worker.options import parse_options

#: Test hook for the local runtime's failure tests: ``crash`` makes the worker exit 1 right after start;
#: ``hang`` makes it wait (for SIGTERM, at most HANG_SECONDS) before doing anything. Nothing on AWS sets it.
FAULT_ENV = "VIDPIPE_FAULT"
HANG_SECONDS = 600.0

log = logging.getLogger("worker")


class _SigtermGuard:
    """Turns SIGTERM into ``Terminated`` in the main thread, except while the finished document is being
    uploaded: then the worker completes (a few hundred ms) and exits 0, since what it wrote is true."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.committing = False

    def install(self) -> Any:
        """Install the handler; returns the previous one (restored when the job ends)."""
        return signal.signal(signal.SIGTERM, self._handle)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        log.warning("SIGTERM received: stopping without writing results")
        self.stop.set()
        if not self.committing:
            raise Terminated()


def run_job_from_env(environ: Mapping[str, str] | None = None) -> int:
    """Run the job described by the environment; the process exit code."""
    env = dict(os.environ if environ is None else environ)
    logs.configure(env.get(WorkerEnv.JOB_ID, "-"))
    if env.get(FAULT_ENV) == "crash":
        log.error("fault injection: %s=crash, exiting %d", FAULT_ENV, ExitCode.CRASHED)
        return ExitCode.CRASHED
    from vidpipe.contract.validation import ContractError, validate  # not on analyze_file's path

    try:
        validate({k: v for k, v in env.items() if k.startswith("VIDPIPE_")}, "worker_env")
    except ContractError as exc:
        log.error("invalid worker environment: %s", exc)
        return ExitCode.CRASHED
    guard = _SigtermGuard()
    previous = guard.install()
    try:
        if env.get(FAULT_ENV) == "hang":
            log.warning("fault injection: %s=hang, waiting for SIGTERM", FAULT_ENV)
            guard.stop.wait(HANG_SECONDS)  # SIGTERM raises Terminated out of the wait
            return ExitCode.CRASHED
        _run(env, guard)
    except Terminated:
        log.warning("terminated: no results written")
        return ExitCode.TERMINATED
    except Exception:
        log.exception("crashed (the state machine will retry)")
        return ExitCode.CRASHED
    finally:
        signal.signal(signal.SIGTERM, previous)
    return ExitCode.VERDICT_WRITTEN


def _run(env: dict[str, str], guard: _SigtermGuard) -> None:
    import boto3

    started = time.perf_counter()
    bucket, key = env[WorkerEnv.INPUT_BUCKET], env[WorkerEnv.INPUT_KEY]
    version = env.get(WorkerEnv.INPUT_VERSION, "")
    out_bucket, out_key = env[WorkerEnv.RESULTS_BUCKET], env[WorkerEnv.RESULTS_KEY]
    limits = Limits(
        max_bytes=int(env[WorkerEnv.MAX_BYTES]) if env.get(WorkerEnv.MAX_BYTES) else None,
        max_duration=float(env[WorkerEnv.MAX_DURATION_SECONDS])
        if env.get(WorkerEnv.MAX_DURATION_SECONDS)
        else None,
    )
    ref = InputRef(env[WorkerEnv.JOB_ID], f"s3://{bucket}/{key}", version)
    log.info("job started: %s (version %s) -> s3://%s/%s", ref.uri, version or "-", out_bucket, out_key)
    s3 = boto3.client("s3")
    outcome = _analyse_object(s3, env, ref, limits, guard.stop, started)
    guard.committing = True
    if guard.stop.is_set():
        raise Terminated()
    s3io.upload(s3, out_bucket, out_key, outcome.document, outcome.artifacts)
    log.info("verdict %s written to s3://%s/%s", outcome.document["verdict"], out_bucket, out_key)


def _analyse_object(
    s3: Any, env: dict[str, str], ref: InputRef, limits: Limits, stop: threading.Event, started: float
) -> Outcome:
    """Download (after the existence and size checks) and analyse; rejections become documents."""
    bucket, key, version = env[WorkerEnv.INPUT_BUCKET], env[WorkerEnv.INPUT_KEY], ref.version
    timings: dict[str, float] = {}
    try:
        options = parse_options(env.get(WorkerEnv.OPTIONS))
        size = s3io.head(s3, bucket, key, version)
        ref = InputRef(ref.job_id, ref.uri, ref.version, size)
        s3io.check_size(size, limits.max_bytes)
        if options.noop:  # pipeline benchmarks: no download, no decoding (the path is never opened)
            return analyse(Path(os.devnull), options, ref, limits, stop)
        loader = prepare(options)  # models load while the video downloads
        try:
            with tempfile.TemporaryDirectory(prefix="vidpipe-") as tmp:
                local = Path(tmp) / "input"
                t0 = time.perf_counter()
                s3io.download(s3, bucket, key, version, local)
                timings["download"] = time.perf_counter() - t0
                log.info("downloaded %d bytes in %.1f s", size, timings["download"])
                return analyse(local, options, ref, limits, stop, timings, loader)
        finally:
            loader.settle()
    except Rejected as rej:
        log.info("rejected (%s): %s", rej.code, rej.reason)
        return Outcome(rejected(ref, rej.code, rej.reason, timings, time.perf_counter() - started))
