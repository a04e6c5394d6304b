"""RecordFailure against moto: the job becomes FAILED inside the execution and its slot moves on."""

from __future__ import annotations

from typing import Any

from tasks.record_failure import record_failure
from tasks.slots import Request
from tests.tasks.conftest import Waiters, claim_as, uploaded

ARN = "arn:aws:states:us-east-1:123456789012:execution:pipeline:e1"
CRASH = {"Error": "States.TaskFailed", "Cause": '{"StopCode":"EssentialContainerExited"}'}


def test_the_job_fails_with_its_cause_and_the_slot_goes_to_the_next_waiter(
    aws: dict[str, Any], waiters: Waiters
) -> None:
    job, _ = uploaded(aws, "a.mp4")
    claim_as(aws, job, ARN)
    aws["pool"].acquire(Request(job["job_id"], ARN, "2026-11-23T10:00:00.000Z", 0, "spent", 1))
    next_in_line = waiters.start()
    aws["pool"].acquire(
        Request("f" * 24, next_in_line.execution_arn, next_in_line.start, 0, next_in_line.token, 1)
    )
    event = {"job": job, "execution_arn": ARN, "failure": CRASH, "redrive_count": 2}
    outcome = record_failure(event, aws["table"], aws["pool"])
    assert outcome == {
        "job_id": job["job_id"],
        "outcome": "FAILED",
        "error": "States.TaskFailed",
        "redrive_count": 2,
    }
    record = aws["table"].get(job["job_id"])
    assert (record["status"], record["error"]) == ("FAILED", "States.TaskFailed")
    assert "EssentialContainerExited" in record["cause"]
    waiters.wait_for(next_in_line)  # the freed slot woke the next waiter
    assert record_failure(event, aws["table"], aws["pool"])["outcome"] == "FAILED"  # a retry changes nothing
    assert aws["pool"].counter() == {"running": 1, "waiting": 0, "cap": 1}


def test_a_job_that_failed_while_waiting_leaves_the_list(aws: dict[str, Any], waiters: Waiters) -> None:
    holder = waiters.start()
    aws["pool"].acquire(Request("f" * 24, holder.execution_arn, holder.start, 0, holder.token, 1))
    job, _ = uploaded(aws, "b.mp4")
    claim_as(aws, job, ARN, "RECEIVED")
    aws["pool"].acquire(Request(job["job_id"], ARN, "2026-11-23T10:00:00.000Z", 0, "parked", 1))
    event = {"job": job, "execution_arn": ARN, "failure": {"Error": "States.Timeout"}, "redrive_count": 0}
    record_failure(event, aws["table"], aws["pool"])
    assert aws["pool"].counter() == {"running": 1, "waiting": 0, "cap": 1}
    assert aws["table"].get(job["job_id"])["cause"] == "no cause given"
