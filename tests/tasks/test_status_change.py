"""Status change against moto, on real executions: an ended execution's in-flight jobs become FAILED and its
slots and places in the waiting list are freed; nothing is done twice, or to a job someone else owns."""

from __future__ import annotations

from typing import Any

from tasks.slots import Request
from tasks.status_change import failure_of, on_status_change
from tests.tasks.conftest import Waiter, Waiters, claim_as, uploaded


def _event(waiter: Waiter, status: str) -> dict[str, Any]:
    return {
        "source": "aws.states",
        "detail-type": "Step Functions Execution Status Change",
        "detail": {"executionArn": waiter.execution_arn, "status": status},
    }


def _aborted(
    aws: dict[str, Any], waiters: Waiters, key: str, status: str = "RUNNING"
) -> tuple[Waiter, dict[str, Any]]:
    """An execution that claimed ``key``'s job, took a slot for it, then was stopped."""
    job, records = uploaded(aws, key)
    execution = waiters.start(execution_input=records)
    claim_as(aws, job, execution.execution_arn, status)
    aws["pool"].acquire(Request(job["job_id"], execution.execution_arn, execution.start, 0, "spent", 2))
    aws["sfn"].stop_execution(executionArn=execution.execution_arn)
    waiters.wait_for(execution, "ABORTED")
    return execution, job


def test_aborted_execution_fails_its_job_and_frees_its_slot(aws: dict[str, Any], waiters: Waiters) -> None:
    execution, job = _aborted(aws, waiters, "a.mp4")
    outcome = on_status_change(_event(execution, "ABORTED"), aws["sfn"], aws["table"], aws["pool"])
    assert outcome["failed_jobs"] == [job["job_id"]] and outcome["released_slots"] == [job["job_id"]]
    item = aws["table"].get(job["job_id"])
    assert (item["status"], item["error"]) == ("FAILED", "States.Aborted")
    assert item["cause"] == "The execution ended with status ABORTED."
    assert aws["pool"].counter()["running"] == 0


def test_handler_is_idempotent(aws: dict[str, Any], waiters: Waiters) -> None:
    execution, _ = _aborted(aws, waiters, "b.mp4")
    on_status_change(_event(execution, "ABORTED"), aws["sfn"], aws["table"], aws["pool"])
    again = on_status_change(_event(execution, "ABORTED"), aws["sfn"], aws["table"], aws["pool"])
    assert again["failed_jobs"] == [] and again["released_slots"] == []
    assert aws["pool"].counter()["running"] == 0


def test_a_waiter_of_a_stopped_execution_leaves_the_list(aws: dict[str, Any], waiters: Waiters) -> None:
    holder = waiters.start()
    aws["pool"].acquire(Request("f" * 24, holder.execution_arn, holder.start, 0, holder.token, 1))
    job, records = uploaded(aws, "c.mp4")
    execution = waiters.start(execution_input=records)
    claim_as(aws, job, execution.execution_arn, "RECEIVED")
    aws["pool"].acquire(
        Request(job["job_id"], execution.execution_arn, execution.start, 0, execution.token, 1)
    )
    assert aws["pool"].counter()["waiting"] == 1
    aws["sfn"].stop_execution(executionArn=execution.execution_arn)
    waiters.wait_for(execution, "ABORTED")
    outcome = on_status_change(_event(execution, "ABORTED"), aws["sfn"], aws["table"], aws["pool"])
    assert outcome["released_slots"] == [job["job_id"]]
    assert aws["pool"].counter() == {"running": 1, "waiting": 0, "cap": 1} and aws["pool"].waiters() == []
    assert aws["table"].get(job["job_id"])["status"] == "FAILED"


def test_job_claimed_by_a_replay_is_left_alone(aws: dict[str, Any], waiters: Waiters) -> None:
    execution, job = _aborted(aws, waiters, "d.mp4")
    aws["dynamodb"].update_item(  # a replay took the job over (a new owner) before the event arrived
        TableName="jobs",
        Key={"job_id": {"S": job["job_id"]}},
        UpdateExpression="SET execution_arn = :other",
        ExpressionAttributeValues={":other": {"S": execution.execution_arn + "-replay"}},
    )
    outcome = on_status_change(_event(execution, "ABORTED"), aws["sfn"], aws["table"], aws["pool"])
    assert outcome["failed_jobs"] == []
    assert aws["table"].get(job["job_id"])["status"] == "RUNNING"


def test_an_execution_running_again_is_left_alone(aws: dict[str, Any], waiters: Waiters) -> None:
    """The event of an execution that has been redriven since arrives late: nothing to clean up now."""
    job, records = uploaded(aws, "e.mp4")
    running = waiters.start(execution_input=records)
    claim_as(aws, job, running.execution_arn, "RECEIVED")
    outcome = on_status_change(_event(running, "FAILED"), aws["sfn"], aws["table"], aws["pool"])
    assert outcome == {"execution_arn": running.execution_arn, "skipped": "execution is RUNNING"}
    assert aws["table"].get(job["job_id"])["status"] == "RECEIVED"


def test_default_error_names() -> None:
    assert failure_of({"status": "TIMED_OUT"}) == (
        "States.Timeout",
        "The execution ended with status TIMED_OUT.",
    )
    assert failure_of({"status": "FAILED", "error": "E", "cause": "x" * 9000})[1] == "x" * 8000
