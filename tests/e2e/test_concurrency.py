"""The slot pool end to end, with a no-op worker and a cap of 2: a burst of uploads is served without polling
(7 state transitions each), never more than 2 at once; a waiter stopped while it waits leaves the list."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.e2e.conftest import NOOP_ENV, Pipeline, start_pipeline, wait_until
from vidpipe.local.jobs import wait_for_job

pytestmark = pytest.mark.slow

UPLOADS = 30
MAX_TASKS = 2
SUCCESS_PATH = ["Prepare", "Jobs", "AcquireSlot", "MarkRunning", "AnalyzeOnSpot", "Record", "Conclude"]


@pytest.fixture(scope="module")
def pipeline() -> Iterator[Pipeline]:
    yield from start_pipeline(max_tasks=MAX_TASKS, worker_env=NOOP_ENV)


def _entered(pipeline: Pipeline, execution_arn: str) -> list[str]:
    events = pipeline.history(execution_arn)
    return [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]


def test_thirty_uploads_with_two_slots(pipeline: Pipeline, tiny_clip: Path) -> None:
    body = tiny_clip.read_bytes()
    with ThreadPoolExecutor(max_workers=8) as pool:
        uploads = list(pool.map(lambda i: pipeline.upload(f"burst/{i:02d}.mp4", body), range(UPLOADS)))

    table = pipeline.outputs["JobTableName"]
    records = [wait_for_job(pipeline.dynamodb, table, up, timeout=300, statuses=("SUCCEEDED", "FAILED", "REJECTED"))
               for up in uploads]  # fmt: skip

    assert [r["status"] for r in records] == ["SUCCEEDED"] * UPLOADS
    assert len({r["job_id"] for r in records}) == UPLOADS and all(r["attempts"] == 1 for r in records)
    assert pipeline.agent.peak_concurrency <= MAX_TASKS  # worker processes alive at once
    assert pipeline.agent.peak_active_tasks <= MAX_TASKS  # tasks RUNNING in ECS at once: the cap holds
    assert len([run for run in pipeline.agent.runs() if run.exit_code == 0]) == UPLOADS
    for record in records:  # waiting cost nothing: the same 7 transitions as without a backlog
        assert pipeline.wait_execution(record["execution_arn"])["status"] == "SUCCEEDED"
        assert _entered(pipeline, record["execution_arn"]) == SUCCESS_PATH
    assert pipeline.slots_free() and pipeline.pool.waiters() == []
    assert pipeline.pool.counter()["waiting"] == 0


def test_a_waiter_stopped_while_it_waits_leaves_the_list(pipeline: Pipeline, tiny_clip: Path) -> None:
    pipeline.runtime.faults.add("worker-hang", count=MAX_TASKS)  # both slots are held by hanging workers
    body = tiny_clip.read_bytes()
    holders = [pipeline.upload(f"held/{i}.mp4", body) for i in range(MAX_TASKS)]
    held = [pipeline.wait_job(up, statuses=("RUNNING",)) for up in holders]
    stopped, served = pipeline.upload("waits/stopped.mp4", body), pipeline.upload("waits/served.mp4", body)
    waiting = [pipeline.wait_job(up, statuses=("RECEIVED",)) for up in (stopped, served)]
    wait_until(lambda: len(pipeline.pool.waiters()) == 2, 30, "two waiters in the list")

    pipeline.sfn.stop_execution(executionArn=waiting[0]["execution_arn"], cause="operator")
    assert pipeline.wait_execution(waiting[0]["execution_arn"])["status"] == "ABORTED"
    wait_until(lambda: len(pipeline.pool.waiters()) == 1, 30, "the stopped waiter to leave the list")
    assert pipeline.wait_job(stopped, statuses=("FAILED",))["error"] == "States.Aborted"

    pipeline.sfn.stop_execution(executionArn=held[0]["execution_arn"], cause="free a slot")
    assert pipeline.wait_job(served)["status"] == "SUCCEEDED"  # the freed slot went to the next waiter
    pipeline.sfn.stop_execution(executionArn=held[1]["execution_arn"], cause="free a slot")
    for record in held:
        assert pipeline.wait_execution(record["execution_arn"])["status"] == "ABORTED"
    wait_until(pipeline.slots_free, 30, "every slot to be free")
