"""The container's job end to end on moto S3: environment in, document (and thumbnails) out, exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from vidpipe.clipgen import Manifest
from vidpipe.contract.names import ExitCode, WorkerEnv
from vidpipe.contract.validation import validate
from worker.api import run_job_from_env

JOB_ID = "0123456789abcdef01234567"
RESULTS_KEY = f"jobs/{JOB_ID}/results.json"


@pytest.fixture
def s3(reference: Manifest) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        for bucket in ("videos", "results"):
            client.create_bucket(Bucket=bucket)
        client.upload_file(reference.path, "videos", "in/clip one.mp4")
        client.put_object(Bucket="videos", Key="in/empty.mp4", Body=b"")
        yield client


def _env(key: str = "in/clip one.mp4", **extra: str) -> dict[str, str]:
    return {
        WorkerEnv.JOB_ID: JOB_ID,
        WorkerEnv.INPUT_BUCKET: "videos",
        WorkerEnv.INPUT_KEY: key,
        WorkerEnv.RESULTS_BUCKET: "results",
        WorkerEnv.RESULTS_KEY: RESULTS_KEY,
        **extra,
    }


def _results(s3: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(s3.get_object(Bucket="results", Key=RESULTS_KEY)["Body"].read())
    validate(doc, "results")
    return doc


def _keys(s3: Any) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket="results").get("Contents", [])]


def test_analysed_document_and_thumbnails(s3: Any, reference: Manifest) -> None:
    options = json.dumps({"analyzers": ["shots", "faces"]})
    assert run_job_from_env(_env(**{WorkerEnv.OPTIONS: options})) == ExitCode.VERDICT_WRITTEN
    doc = _results(s3)
    assert doc["verdict"] == "analysed"
    assert doc["job_id"] == JOB_ID
    assert doc["input"] == {"uri": "s3://videos/in/clip one.mp4", "size": Path(reference.path).stat().st_size}
    assert doc["summary"]["shots"] == 6
    assert "download" in doc["timings"]
    thumbs = sorted(k for k in _keys(s3) if k.startswith(f"jobs/{JOB_ID}/shots/"))
    assert thumbs == [f"jobs/{JOB_ID}/shots/{i:03d}.jpg" for i in range(6)]


@pytest.mark.parametrize(
    ("env", "code"),
    [
        (_env(**{WorkerEnv.MAX_BYTES: "1000"}), "too_large"),
        (_env(key="in/missing.mp4"), "missing"),
        (_env(key="in/empty.mp4"), "empty"),
        (_env(**{WorkerEnv.OPTIONS: '{"sample_fps": -1}'}), "invalid_options"),
        (_env(**{WorkerEnv.MAX_DURATION_SECONDS: "3"}), "too_long"),
    ],
)
def test_rejections_are_verdicts(s3: Any, env: dict[str, str], code: str) -> None:
    assert run_job_from_env(env) == ExitCode.VERDICT_WRITTEN
    doc = _results(s3)
    assert (doc["verdict"], doc["rejection"]["code"]) == ("rejected", code)
    assert doc["summary"]["rejection_code"] == code


def test_size_guard_does_not_download(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from worker import s3io

    def forbidden(*_args: Any) -> None:
        raise AssertionError("downloaded despite the size guard")

    monkeypatch.setattr(s3io, "download", forbidden)
    assert run_job_from_env(_env(**{WorkerEnv.MAX_BYTES: "1000"})) == ExitCode.VERDICT_WRITTEN


def test_noop_skips_download_and_analysis(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from worker import s3io

    monkeypatch.setattr(s3io, "download", None)
    assert run_job_from_env(_env(**{WorkerEnv.OPTIONS: '{"noop": true}'})) == ExitCode.VERDICT_WRITTEN
    assert _results(s3)["verdict"] == "analysed"


def test_fault_injection_crashes_without_writing(s3: Any) -> None:
    assert run_job_from_env(_env(VIDPIPE_FAULT="crash")) == ExitCode.CRASHED
    assert _keys(s3) == []


def test_invalid_environment_is_a_crash(s3: Any) -> None:
    env = _env()
    env[WorkerEnv.JOB_ID] = "not-a-job-id"
    assert run_job_from_env(env) == ExitCode.CRASHED
    assert _keys(s3) == []


def test_unreachable_results_bucket_is_a_crash(s3: Any) -> None:
    env = _env(**{WorkerEnv.OPTIONS: '{"analyzers": ["shots"]}'})
    env[WorkerEnv.RESULTS_BUCKET] = "no-such-bucket"
    assert run_job_from_env(env) == ExitCode.CRASHED
