"""The reconciler against moto, on real executions: what the status-change event would have cleaned up, and
lost wake-ups, are repaired; work in progress is left alone; each run's work is bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tasks.reconcile import RECONCILED, reconcile
from tasks.slots import Request
from tests.tasks.conftest import Waiter, Waiters, claim_as, uploaded


def later() -> datetime:
    """Ten minutes from now: a hand-off is long unacknowledged by then (computed per call, since a module
    constant goes stale in a long test run)."""
    return datetime.now(UTC) + timedelta(minutes=10)


def _holding(aws: dict[str, Any], waiters: Waiters, key: str) -> tuple[Waiter, dict[str, Any]]:
    """A running execution that owns ``key``'s job (RUNNING) and holds a slot for it."""
    job, records = uploaded(aws, key)
    execution = waiters.start(execution_input=records)
    claim_as(aws, job, execution.execution_arn)
    aws["pool"].acquire(Request(job["job_id"], execution.execution_arn, execution.start, 0, "spent", 3))
    return execution, job


def test_a_lost_status_event_is_repaired(aws: dict[str, Any], waiters: Waiters) -> None:
    execution, job = _holding(aws, waiters, "lost.mp4")
    aws["sfn"].stop_execution(executionArn=execution.execution_arn)
    waiters.wait_for(execution, "ABORTED")
    result = reconcile(aws["sfn"], aws["table"], aws["pool"], now=later())
    assert result["actions"] == {"jobs_failed": 1, "slots_released": 1, "waiters_served": 0}
    record = aws["table"].get(job["job_id"])
    assert record["status"] == "FAILED" and record["cause"].startswith(RECONCILED)
    assert aws["pool"].counter()["running"] == 0
    again = reconcile(aws["sfn"], aws["table"], aws["pool"], now=later())
    assert again["actions"] == {"waiters_served": 0}  # idempotent


def test_work_in_progress_is_left_alone(aws: dict[str, Any], waiters: Waiters) -> None:
    _, job = _holding(aws, waiters, "busy.mp4")
    result = reconcile(aws["sfn"], aws["table"], aws["pool"], now=later())
    assert result["actions"] == {"waiters_served": 0} and result["executions_checked"] == 1
    assert aws["table"].get(job["job_id"])["status"] == "RUNNING"
    assert aws["pool"].counter()["running"] == 1


def test_each_run_is_bounded_and_the_rest_waits_for_the_next(aws: dict[str, Any], waiters: Waiters) -> None:
    for key in ("one.mp4", "two.mp4", "three.mp4"):
        _holding(aws, waiters, key)
    result = reconcile(aws["sfn"], aws["table"], aws["pool"], {"max_checks": 2}, now=later())
    assert result["executions_checked"] == 2 and result["actions"]["deferred"] >= 1


def test_a_lost_wake_up_is_sent_again(aws: dict[str, Any], waiters: Waiters) -> None:
    pool = aws["pool"]
    holder = waiters.start()
    pool.acquire(Request("a" * 24, holder.execution_arn, holder.start, 0, holder.token, 1))
    job, records = uploaded(aws, "second.mp4")
    parked = waiters.start(execution_input=records)
    claim_as(aws, job, parked.execution_arn, "RECEIVED")
    pool.acquire(Request(job["job_id"], parked.execution_arn, parked.start, 0, parked.token, 1))  # queued
    pool._transact = _drop_wake_after(pool)
    with pytest.raises(SystemExit):  # the releasing Lambda dies between the hand-off and the wake-up
        pool.release("a" * 24, holder.execution_arn)
    assert waiters.status(parked) == "RUNNING"
    assert reconcile(aws["sfn"], aws["table"], pool)["actions"].get("wakeups_resent") is None  # too soon
    result = reconcile(aws["sfn"], aws["table"], pool, now=later())
    assert result["actions"].get("wakeups_resent") == 1
    waiters.wait_for(parked)


def _drop_wake_after(pool: Any) -> Any:
    """The pool's next hand-off is applied but its SendTaskSuccess never happens (the Lambda died)."""
    original, sfn = pool._transact, pool.sfn

    class NoWake:
        def __getattr__(self, name: str) -> Any:
            return getattr(sfn, name)

        def send_task_success(self, **_: Any) -> None:
            pool.sfn = sfn
            raise SystemExit("the handler died before waking the waiter")

    def transact(items: list[Any]) -> bool:
        done = original(items)
        if done and any("Delete" in i and i["Delete"]["Key"]["pk"]["S"].endswith("#queue") for i in items):
            pool.sfn = NoWake()
        return bool(done)

    return transact
