"""The pipeline's answers to AWS's failure modes, on the real local runtime with injected faults (issue 8).

A no-op worker, a cap of one slot, a reconciler every 2 seconds and a pipe that batches up to three uploads
within 2 seconds. Each test injects what AWS can do (a crashing worker, a lost status-change event, a write
applied but answered with a 500, RunTask failures, a lost hand-off) and checks the promises: one analysis
per upload, a cap that holds (redrives included), a failed job recorded and its slot freed inside the
execution, a redrive that re-runs exactly the failed jobs after taking a slot again, and a reconciler that
repairs what no event reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import NOOP_ENV, Pipeline, start_pipeline, wait_until
from vidpipe.local import moto_patches
from vidpipe.local.jobs import Upload

pytestmark = pytest.mark.slow

RECONCILE_SECONDS = 2.0
REWAKE_AFTER_SECONDS = 10  # tasks.reconcile.DEFAULTS: a hand-off is woken again after this long
CONTEXT = {"vidpipe:pipeBatchSize": 3, "vidpipe:pipeMaximumBatchingWindowSeconds": 2}
ENDED = ("SUCCEEDED", "FAILED", "REJECTED")
# Spot crashes (caught to on-demand), on-demand crashes, its one States.TaskFailed retry crashes: retries out.
CRASHES_TO_FAIL = 3


@pytest.fixture(scope="module")
def pipeline() -> Iterator[Pipeline]:
    yield from start_pipeline(
        max_tasks=1, worker_env=NOOP_ENV, reconcile_seconds=RECONCILE_SECONDS, context=CONTEXT
    )


@pytest.fixture(autouse=True)
def no_faults(pipeline: Pipeline) -> Iterator[None]:
    pipeline.runtime.faults.clear()
    yield
    pipeline.runtime.faults.clear()
    assert pipeline.agent.peak_active_tasks <= 1  # the cap held, redrives and retries included


def _entered(events: list[dict[str, Any]]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]


def _task_errors(events: list[dict[str, Any]]) -> list[str]:
    return [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]


def _redrive(pipeline: Pipeline, execution_arn: str) -> dict[str, Any]:
    """Redrive an execution and wait for it to end again."""
    pipeline.sfn.redrive_execution(executionArn=execution_arn)

    def ended() -> dict[str, Any] | None:
        execution: dict[str, Any] = pipeline.sfn.describe_execution(executionArn=execution_arn)
        return execution if execution["status"] != "RUNNING" else None

    return wait_until(ended, 90, "the redriven execution to end")


def _upload_batch(pipeline: Pipeline, clip: Path, prefix: str, count: int = 3) -> list[Upload]:
    """Upload ``count`` objects at once, so that the pipe delivers them as one batch."""
    body = clip.read_bytes()
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda i: pipeline.upload(f"{prefix}/{i}.mp4", body), range(count)))


@pytest.mark.parametrize("iteration_start", list(moto_patches.IterationStart))
def test_exhausted_retries_fail_the_job_inside_the_execution_and_a_redrive_reruns_it(
    pipeline: Pipeline, tiny_clip: Path, iteration_start: moto_patches.IterationStart
) -> None:
    """No status-change event at all: the job is FAILED and its slot free by the execution itself; a redrive
    (under either reading of where AWS restarts a failed iteration) takes a slot again and analyses it."""
    faults = pipeline.runtime.faults
    faults.add("worker-crash", count=CRASHES_TO_FAIL)
    faults.add("drop-status-event")  # every status-change event is lost (if the watcher sees one at all)
    saved = moto_patches.iteration_start()
    moto_patches.set_iteration_start(iteration_start)
    try:
        up = pipeline.upload(f"modes/crash-{iteration_start}.mp4", tiny_clip)
        failed = pipeline.wait_job(up)
        assert pipeline.slots_free()  # released before the job was recorded FAILED
        arn = failed["execution_arn"]
        execution = pipeline.wait_execution(arn)
        events = pipeline.history(arn)
        redriven = _redrive(pipeline, arn)
    finally:
        moto_patches.set_iteration_start(saved)

    assert failed["status"] == "FAILED" and failed["error"] == "States.TaskFailed", failed
    assert not failed["cause"].startswith("Reconciled")  # recorded by RecordFailure, not repaired later
    assert "RecordFailure" in _entered(events)
    assert execution["status"] == "FAILED" and execution["error"] == "AnalysisFailed", execution

    assert redriven["status"] == "SUCCEEDED", redriven
    assert redriven["redriveCount"] == 1
    history = pipeline.history(arn)
    after = next(i for i, e in enumerate(history) if e["type"] == "ExecutionRedriven")
    again = _entered(history[after:])
    assert again.index("AcquireSlot") < again.index("AnalyzeOnSpot"), again  # a slot before the analysis
    record = pipeline.wait_job(up)
    assert record["status"] == "SUCCEEDED" and record["job_id"] == failed["job_id"], record
    runs = pipeline.runs_of(record["job_id"])
    assert [r.exit_code for r in runs] == [1] * CRASHES_TO_FAIL + [0]
    assert pipeline.slots_free()


def test_a_batch_redrive_reruns_only_its_failed_job(pipeline: Pipeline, tiny_clip: Path) -> None:
    pipeline.runtime.faults.add("worker-crash", count=CRASHES_TO_FAIL)  # the first job to run fails
    uploads = _upload_batch(pipeline, tiny_clip, "modes/batch")
    records = [pipeline.wait_job(up) for up in uploads]
    [arn] = {r["execution_arn"] for r in records}  # one execution for the batch
    assert pipeline.wait_execution(arn)["status"] == "FAILED"
    assert sorted(r["status"] for r in records) == ["FAILED", "SUCCEEDED", "SUCCEEDED"], records
    runs_before = {r["job_id"]: len(pipeline.runs_of(r["job_id"])) for r in records}

    redriven = _redrive(pipeline, arn)

    assert redriven["status"] == "SUCCEEDED", redriven
    after = [pipeline.wait_job(up) for up in uploads]
    assert [r["status"] for r in after] == ["SUCCEEDED"] * 3
    for before, now in zip(records, after, strict=True):
        runs = len(pipeline.runs_of(now["job_id"]))
        assert runs == runs_before[now["job_id"]] + (1 if before["status"] == "FAILED" else 0)
    assert pipeline.slots_free()


def test_an_aborted_execution_whose_event_is_lost_is_reconciled(pipeline: Pipeline, tiny_clip: Path) -> None:
    faults = pipeline.runtime.faults
    dropped = faults.add("drop-status-event", scope="ABORTED", count=1)
    faults.add("worker-hang", count=1)
    up = pipeline.upload("modes/aborted.mp4", tiny_clip)
    running = pipeline.wait_job(up, statuses=("RUNNING",))
    wait_until(lambda: any(r.started_at for r in pipeline.runs_of(running["job_id"])), 30, "the worker")
    pipeline.sfn.stop_execution(executionArn=running["execution_arn"], cause="operator")
    assert pipeline.wait_execution(running["execution_arn"])["status"] == "ABORTED"

    repaired = pipeline.wait_job(up, statuses=("FAILED",))  # within a reconciler period or two

    # The watcher polls every 0.25 s and the reconciler runs every RECONCILE_SECONDS: either may look first,
    # and the drop (the only ABORTED event this fault can take) is what leaves the repair to the reconciler.
    wait_until(lambda: dropped.fired == 1, 10, "the watcher to drop the ABORTED event")
    assert repaired["cause"].startswith("Reconciled by vidpipe"), repaired
    assert repaired["error"] == "States.Aborted"
    wait_until(pipeline.slots_free, 10 * RECONCILE_SECONDS, "the reconciler to free the slot")


@pytest.mark.parametrize(
    "scope",
    [
        "job/UpdateItem:1",  # Prepare's claim
        "job/UpdateItem:2",  # the claim and MarkRunning (the state machine's own DynamoDB call)
        "slot/TransactWriteItems:1",  # AcquireSlot taking the slot
        "slot/TransactWriteItems:2",  # ... and Record releasing it
    ],
)
def test_a_write_applied_but_answered_with_an_error_is_retried_to_one_analysis(
    pipeline: Pipeline, tiny_clip: Path, scope: str
) -> None:
    fault = pipeline.runtime.faults.add_spec(f"ddb-applied-then-error@{scope}")
    record = pipeline.wait_job(pipeline.upload(f"modes/write-{scope.replace(':', '-')}.mp4", tiny_clip))

    assert fault.fired == int(scope.rsplit(":", 1)[1])
    assert record["status"] == "SUCCEEDED", record
    assert record["attempts"] == 1
    assert [r.exit_code for r in pipeline.runs_of(record["job_id"])] == [0]  # one analysis
    assert pipeline.wait_execution(record["execution_arn"])["status"] == "SUCCEEDED"
    assert pipeline.slots_free()


def test_runtask_failures_are_retried_as_amazon_ecs_unknown(pipeline: Pipeline, tiny_clip: Path) -> None:
    faults = pipeline.runtime.faults
    faults.add("worker-crash", scope="FARGATE_SPOT", count=1)  # on to AnalyzeOnDemand...
    faults.add("runtask-failure", scope="FARGATE", count=2)  # ...where capacity is short twice
    record = pipeline.wait_job(pipeline.upload("modes/capacity.mp4", tiny_clip))

    assert record["status"] == "SUCCEEDED", record
    errors = _task_errors(pipeline.history(record["execution_arn"]))
    assert errors == ["States.TaskFailed", "AmazonECS.Unknown", "AmazonECS.Unknown"]
    assert [(r.capacity_provider, r.exit_code) for r in pipeline.runs_of(record["job_id"])] == [
        ("FARGATE_SPOT", 1),
        ("FARGATE", 0),
    ]


def test_a_lost_hand_off_is_repaired_by_the_reconciler(
    pipeline: Pipeline, tiny_clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The releaser takes the slot for the waiter, then dies before SendTaskSuccess: the waiter holds a slot
    it does not know of, until the reconciler wakes it again."""
    from tasks.slots import SlotPool

    pipeline.runtime.faults.add("worker-hang", count=1)
    holder = pipeline.wait_job(pipeline.upload("modes/holder.mp4", tiny_clip), statuses=("RUNNING",))
    waiter_up = pipeline.upload("modes/waiter.mp4", tiny_clip)
    wait_until(lambda: pipeline.pool.waiters(), 30, "the second upload to wait for the slot")

    lost: list[str] = []
    real_wake = SlotPool._wake

    def losing_wake(self: SlotPool, token: str, via: str) -> bool:
        if via == "handoff" and not lost:
            lost.append(token)
            return True  # the slot is handed over, the wake-up never sent
        return real_wake(self, token, via)

    monkeypatch.setattr(SlotPool, "_wake", losing_wake)
    pipeline.sfn.stop_execution(executionArn=holder["execution_arn"], cause="free the slot")
    waiter = pipeline.wait_job(waiter_up)

    assert lost, "the hand-off was not made"
    assert waiter["status"] == "SUCCEEDED", waiter
    events = pipeline.history(waiter["execution_arn"])
    assert _entered(events).count("AcquireSlot") == 1  # woken in its one wait, not by a timeout and retry
    granted = [e for e in events if e["type"] == "TaskSucceeded"][1]  # after Prepare's
    assert '"via": "handoff again"' in granted["taskSucceededEventDetails"]["output"]
    assert pipeline.slots_free()
