"""End-to-end tier: the real local runtime (moto server, pipe, Fargate agent running the real worker,
in-process handlers, the synthesized template's ASL). One runtime per test module where possible.

Every wait has a deadline (:func:`vidpipe.local.jobs.wait_for_job`,
:func:`vidpipe.local.sfn_wait.wait_for_execution`, :func:`wait_until`); nothing sleeps blindly.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from vidpipe.contract.names import Output
from vidpipe.local.jobs import Upload, upload, wait_for_job
from vidpipe.local.runtime import LocalRuntime
from vidpipe.local.sfn_wait import wait_for_execution

NOOP_ENV = {"VIDPIPE_OPTIONS": json.dumps({"noop": True})}
JOB_TIMEOUT = 90.0  # seconds; the slowest job here is one real 2-second clip, or three crashing attempts


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def tiny_clip(clip_dir: Path) -> Path:
    """A 2-second, two-shot H.264 + AAC clip with speech (the worker analyses it in a second or two)."""
    from vidpipe.clipgen.encode import Encoding
    from vidpipe.clipgen.unusual import manifest_of

    path = clip_dir / "tiny.mp4"
    manifest_of(path, Encoding())
    return path


@pytest.fixture(scope="session")
def corrupt_clip(clip_dir: Path) -> Path:
    """An MP4 cut at 40 % (index lost): the worker must REJECT it as corrupt."""
    from vidpipe.clipgen.unusual import truncated

    return truncated(clip_dir)


class Pipeline:
    """A started runtime plus the operations the tests repeat."""

    def __init__(self, runtime: LocalRuntime) -> None:
        self.runtime = runtime
        self.outputs = runtime.outputs
        self.s3 = runtime.client("s3")
        self.sqs = runtime.client("sqs")
        self.sfn = runtime.client("stepfunctions")
        self.dynamodb = runtime.client("dynamodb")

    @property
    def agent(self) -> Any:
        return self.runtime.agent

    def upload(self, key: str, body: bytes | Path) -> Upload:
        return upload(self.s3, self.outputs[Output.VIDEO_BUCKET], key, body)

    def wait_job(
        self, up: Upload, statuses: tuple[str, ...] = ("SUCCEEDED", "REJECTED", "FAILED")
    ) -> dict[str, Any]:
        return wait_for_job(self.dynamodb, self.outputs[Output.JOB_TABLE], up, JOB_TIMEOUT, statuses)

    def wait_execution(self, arn: str) -> dict[str, Any]:
        return wait_for_execution(self.sfn, arn, timeout=JOB_TIMEOUT, poll_interval=0.1)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        """Every event of an execution's history (all pages)."""
        pages = self.sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
        return [e for page in pages for e in page["events"]]

    def runs_of(self, job_id: str) -> list[Any]:
        return [run for run in self.agent.runs() if run.job_id == job_id]

    @property
    def pool(self) -> Any:
        """The slot pool (tasks.slots.SlotPool) of the runtime."""
        from tasks.slots import SlotPool

        return SlotPool(self.dynamodb, self.sfn, self.outputs[Output.SLOT_TABLE])

    def slots_free(self) -> bool:
        """No slot held and nobody waiting."""
        return self.pool.counter()["running"] == 0 and self.pool.members() == []


def start_pipeline(**kwargs: Any) -> Iterator[Pipeline]:
    """A started runtime on a free port (for module-scoped fixtures); stopped, with its workers, afterwards."""
    with LocalRuntime(port=0, log_dir=None, stop_grace_seconds=3.0, **kwargs) as runtime:
        yield Pipeline(runtime)
