"""A burst of uploads with --max-tasks 2: every job succeeds and never more than 2 workers run at once."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.e2e.conftest import NOOP_ENV, Pipeline, start_pipeline
from vidpipe.local.jobs import wait_for_job

pytestmark = pytest.mark.slow

UPLOADS = 20
MAX_TASKS = 2


@pytest.fixture(scope="module")
def pipeline() -> Iterator[Pipeline]:
    yield from start_pipeline(max_tasks=MAX_TASKS, worker_env=NOOP_ENV)


def test_twenty_uploads_with_two_task_slots(pipeline: Pipeline, tiny_clip: Path) -> None:
    body = tiny_clip.read_bytes()
    with ThreadPoolExecutor(max_workers=8) as pool:
        uploads = list(pool.map(lambda i: pipeline.upload(f"burst/{i:02d}.mp4", body), range(UPLOADS)))

    table = pipeline.outputs["JobTableName"]
    records = [wait_for_job(pipeline.dynamodb, table, up, timeout=240, statuses=("SUCCEEDED", "FAILED", "REJECTED"))
               for up in uploads]  # fmt: skip

    assert [r["status"] for r in records] == ["SUCCEEDED"] * UPLOADS
    assert len({r["job_id"] for r in records}) == UPLOADS
    assert pipeline.agent.peak_concurrency <= MAX_TASKS  # worker processes alive at once
    assert pipeline.agent.peak_active_tasks <= MAX_TASKS  # tasks RUNNING in ECS at once: the semaphore holds
    assert len([run for run in pipeline.agent.runs() if run.exit_code == 0]) == UPLOADS
    assert pipeline.slots_free()
