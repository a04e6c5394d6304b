"""`vidpipe local up` in the foreground: one ready line; SIGTERM and SIGHUP stop it cleanly, and no worker
outlives it, even when it is killed with SIGKILL."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import boto3
import psutil
import pytest

from tests.e2e.conftest import wait_until
from vidpipe.contract.names import DEFAULT_STACK_NAME, Output

pytestmark = pytest.mark.slow

READY = re.compile(r"AWS_ENDPOINT_URL=(http://127\.0\.0\.1:\d+)")
HANGING = ("--fault", "worker-hang", "--worker-options", '{"noop": true}')  # the worker waits for SIGTERM


def _start_with_a_worker(
    tmp_path: Path, clip: Path, *options: str
) -> tuple[subprocess.Popen[str], list[psutil.Process]]:
    """``local up`` with ``options``, ``clip`` uploaded; returns the runtime's process once a worker runs."""
    process = subprocess.Popen(
        [sys.executable, "-m", "vidpipe.cli.main", "local", "up", "--port", "0", "--log-dir", str(tmp_path),
         "--console-port", "-1", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "POWERTOOLS_LOG_LEVEL": "WARNING"},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # blocks until ready (or EOF if it died)
        match = READY.search(line)
        assert match, f"unexpected first line: {line!r}"
        endpoint = match.group(1)
        session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
        stack = session.client("cloudformation", endpoint_url=endpoint).describe_stacks(
            StackName=DEFAULT_STACK_NAME
        )
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Stacks"][0]["Outputs"]}
        session.client("s3", endpoint_url=endpoint).put_object(
            Bucket=outputs[Output.VIDEO_BUCKET], Key=clip.name, Body=clip.read_bytes()
        )
        runtime = psutil.Process(process.pid)
        workers = wait_until(
            lambda: [p for p in runtime.children(recursive=True) if "worker" in " ".join(p.cmdline())],
            60,
            "a worker process",
        )
    except BaseException:
        process.kill()
        process.wait(timeout=10)
        raise
    return process, workers


def _stop_by(process: subprocess.Popen[str], workers: list[psutil.Process], signum: int) -> None:
    """The runtime exits 0 on ``signum`` and leaves no worker behind."""
    try:
        process.send_signal(signum)
        assert process.wait(timeout=60) == 0
        _gone, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, f"processes left behind: {alive}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_sigterm_stops_runtime_and_workers(tmp_path: Path) -> None:
    from vidpipe.clipgen import make_demo_clip

    clip = tmp_path / "long.mp4"
    make_demo_clip(clip)  # 12 s of video: the real worker is still analysing when SIGTERM arrives
    _stop_by(*_start_with_a_worker(tmp_path, clip), signal.SIGTERM)


def test_sighup_stops_the_runtime_like_sigterm(tmp_path: Path, tiny_clip: Path) -> None:
    _stop_by(*_start_with_a_worker(tmp_path, tiny_clip, *HANGING), signal.SIGHUP)


def test_sigkill_of_the_runtime_leaves_no_worker_behind(tmp_path: Path, tiny_clip: Path) -> None:
    process, workers = _start_with_a_worker(tmp_path, tiny_clip, *HANGING)
    try:
        process.kill()  # SIGKILL: no handler runs in the runtime
        process.wait(timeout=30)
        _gone, alive = psutil.wait_procs(workers, timeout=15)
        assert not alive, f"processes left behind 15 s after SIGKILL: {alive}"
    finally:
        for worker in workers:
            if worker.is_running():
                worker.kill()
