"""``python -m worker`` as a process: exit codes, SIGTERM, and memory that does not grow with length."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from worker_support import make_long_clip, worker_command

from vidpipe.clipgen import Manifest
from vidpipe.contract.names import ExitCode, WorkerEnv

JOB_ID = "abcdefabcdefabcdefabcdef"
RESULTS_KEY = f"jobs/{JOB_ID}/results.json"
#: Sampled analyzers at one frame every 4 s keep the 10-minute run short; decoding, thumbnails, shots
#: and speech still see every frame and every sample.
MEMORY_OPTIONS = {"sample_fps": 0.25}


@pytest.fixture(scope="module")
def s3_endpoint(one_minute_clip: Manifest) -> Iterator[tuple[str, Any]]:
    """A moto server (the worker process reaches it through AWS_ENDPOINT_URL), with the input uploaded."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    for bucket in ("videos", "results"):
        s3.create_bucket(Bucket=bucket)
    s3.upload_file(one_minute_clip.path, "videos", "long.mp4")
    yield endpoint, s3
    server.stop()


def _start(endpoint: str, options: str = "{}") -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        WorkerEnv.JOB_ID: JOB_ID,
        WorkerEnv.INPUT_BUCKET: "videos",
        WorkerEnv.INPUT_KEY: "long.mp4",
        WorkerEnv.RESULTS_BUCKET: "results",
        WorkerEnv.RESULTS_KEY: RESULTS_KEY,
        WorkerEnv.OPTIONS: options,
    }
    return subprocess.Popen(worker_command(), env=env, stderr=subprocess.PIPE, text=True)


def _results_exist(s3: Any) -> bool:
    return s3.list_objects_v2(Bucket="results", Prefix=RESULTS_KEY).get("KeyCount", 0) > 0


def test_entry_point_writes_a_verdict_and_logs_the_job_id(s3_endpoint: tuple[str, Any]) -> None:
    endpoint, s3 = s3_endpoint
    proc = _start(endpoint, json.dumps({"noop": True}))
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == ExitCode.VERDICT_WRITTEN, stderr
    assert f"job={JOB_ID}" in stderr
    assert _results_exist(s3)
    s3.delete_object(Bucket="results", Key=RESULTS_KEY)


def test_sigterm_stops_with_143_and_writes_nothing(s3_endpoint: tuple[str, Any]) -> None:
    endpoint, s3 = s3_endpoint
    proc = _start(endpoint)
    assert proc.stderr is not None
    for line in proc.stderr:  # wait until the streaming pass has begun
        if "streaming pass started" in line:
            break
    else:
        pytest.fail(f"the worker ended before analysing (exit {proc.wait()})")
    proc.send_signal(signal.SIGTERM)
    _, rest = proc.communicate(timeout=30)
    assert proc.returncode == ExitCode.TERMINATED, rest
    assert "no results written" in rest
    assert not _results_exist(s3)


_MEASURE = (
    "import json, resource, sys\n"
    "from worker.api import analyze_file\n"
    "doc = analyze_file(sys.argv[1], json.loads(sys.argv[2]))\n"
    "assert doc['verdict'] == 'analysed', doc\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
)


def test_peak_memory_does_not_grow_with_length(one_minute_clip: Manifest, clips_dir: Path) -> None:
    """Each clip is analysed by a fresh interpreter that reports its own peak RSS (both run at once:
    a process's peak does not depend on its neighbour)."""
    ten_minutes = make_long_clip(clips_dir / "ten_minutes.mp4", 10)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _MEASURE, clip, json.dumps(MEMORY_OPTIONS)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for clip in (one_minute_clip.path, ten_minutes.path)
    ]
    outputs = [proc.communicate(timeout=600)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0]
    short, long = (int(out.split()[-1]) for out in outputs)
    assert long <= short * 1.15, f"1 min: {short} KB, 10 min: {long} KB"
