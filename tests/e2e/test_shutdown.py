"""`vidpipe local up` in the foreground: one ready line, and SIGTERM leaves no process behind."""

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


def test_sigterm_stops_runtime_and_workers(tmp_path: Path) -> None:
    from vidpipe.clipgen import make_demo_clip

    clip = tmp_path / "long.mp4"
    make_demo_clip(clip)  # 12 s of video: the real worker is still analysing when SIGTERM arrives
    process = subprocess.Popen(
        [sys.executable, "-m", "vidpipe.cli.main", "local", "up", "--port", "0", "--log-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "POWERTOOLS_LOG_LEVEL": "WARNING"},
    )
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
            Bucket=outputs[Output.VIDEO_BUCKET], Key="long.mp4", Body=clip.read_bytes()
        )
        runtime = psutil.Process(process.pid)
        workers = wait_until(lambda: runtime.children(recursive=True), 60, "a worker process")

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        _gone, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, f"processes left behind: {alive}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
