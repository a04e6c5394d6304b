"""The slot pool against moto, with real executions parked on task tokens: take, wait, hand off, repair."""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

from botocore.exceptions import ClientError

from tasks.slots import Outcome, Request, SlotPool
from tests.tasks.conftest import SLOT_TABLE, Waiter, Waiters

JOB = "0123456789abcdef01234567"


def request(waiter: Waiter, job_id: str, cap: int) -> Request:
    return Request(job_id, waiter.execution_arn, waiter.start, 0, waiter.token, cap)


def item_bytes(item: dict[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus values (strings as UTF-8, numbers about 1 byte/2 digits)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        ((kind, raw),) = value.items()
        size += len(str(raw).encode()) if kind == "S" else (len(str(raw)) + 1) // 2 + 1
    return size


def holders(pool: SlotPool) -> list[str]:
    return [m["sk"] for m in pool.members() if m["state"] == "HOLDING"]


def test_a_free_slot_is_taken_and_the_state_woken_at_once(aws: dict[str, Any], waiters: Waiters) -> None:
    pool: SlotPool = aws["pool"]
    waiter = waiters.start()
    assert pool.acquire(request(waiter, JOB, cap=2)) is Outcome.GRANTED
    output = json.loads(waiters.wait_for(waiter)["output"])
    assert output["slot"] == "granted" and output["via"] == "immediate"
    assert pool.counter() == {"running": 1, "waiting": 0, "cap": 2}


def test_a_full_pool_queues_and_a_release_hands_the_slot_to_the_oldest(
    aws: dict[str, Any], waiters: Waiters
) -> None:
    pool: SlotPool = aws["pool"]
    holder, first, second = waiters.start(), waiters.start(), waiters.start()
    assert pool.acquire(request(holder, "a" * 24, cap=1)) is Outcome.GRANTED
    assert pool.acquire(request(second, "c" * 24, cap=1)) is Outcome.QUEUED  # queued first, started later
    assert pool.acquire(request(first, "b" * 24, cap=1)) is Outcome.QUEUED
    assert pool.counter() == {"running": 1, "waiting": 2, "cap": 1}
    assert waiters.status(first) == waiters.status(second) == "RUNNING"  # parked: nothing polls

    assert pool.release("a" * 24, holder.execution_arn) is Outcome.HANDED_OFF
    assert json.loads(waiters.wait_for(first)["output"])["via"] == "handoff"  # the earliest start wins
    assert waiters.status(second) == "RUNNING"
    assert pool.counter() == {"running": 1, "waiting": 1, "cap": 1}
    assert pool.release("b" * 24, first.execution_arn) is Outcome.HANDED_OFF
    waiters.wait_for(second)
    assert pool.release("c" * 24, second.execution_arn) is Outcome.RELEASED
    assert pool.counter() == {"running": 0, "waiting": 0, "cap": 1}
    assert pool.members() == [] and pool.waiters() == []


def test_every_call_is_safe_to_repeat(aws: dict[str, Any], waiters: Waiters) -> None:
    pool: SlotPool = aws["pool"]
    holder, waiter = waiters.start(), waiters.start()
    assert pool.acquire(request(holder, "a" * 24, cap=1)) is Outcome.GRANTED
    assert pool.acquire(request(holder, "a" * 24, cap=1)) is Outcome.GRANTED  # a retried Lambda
    assert pool.acquire(request(waiter, "b" * 24, cap=1)) is Outcome.QUEUED
    assert pool.acquire(request(waiter, "b" * 24, cap=1)) is Outcome.QUEUED
    assert pool.counter() == {"running": 1, "waiting": 1, "cap": 1}
    assert pool.release("a" * 24, holder.execution_arn) is Outcome.HANDED_OFF
    assert pool.release("a" * 24, holder.execution_arn) is Outcome.NOT_HELD
    assert pool.counter() == {"running": 1, "waiting": 0, "cap": 1}


def test_a_retried_wait_gets_its_new_token_woken(aws: dict[str, Any], waiters: Waiters) -> None:
    """A retry (Lambda error, bounded wait) runs AcquireSlot with a new token: that one must be woken."""
    pool: SlotPool = aws["pool"]
    holder, stale, fresh = waiters.start(), waiters.start(), waiters.start()
    pool.acquire(request(holder, "a" * 24, cap=1))
    job = "b" * 24
    pool.acquire(Request(job, stale.execution_arn, stale.start, 0, stale.token, 1))
    # The same job and execution asks again with another state's token (standing in for the retry's).
    assert pool.acquire(Request(job, stale.execution_arn, stale.start, 0, fresh.token, 1)) is Outcome.QUEUED
    pool.release("a" * 24, holder.execution_arn)
    waiters.wait_for(fresh)
    assert waiters.status(stale) == "RUNNING"


def test_a_write_applied_then_answered_with_an_error_is_not_done_twice(
    aws: dict[str, Any], waiters: Waiters
) -> None:
    """DynamoDB applied the transaction, then the call failed (HTTP 500): the retry must see it as done."""

    class AppliedThenError:
        def __init__(self, client: Any) -> None:
            self.client, self.faults = client, 1

        def __getattr__(self, name: str) -> Any:
            return getattr(self.client, name)

        def transact_write_items(self, **kwargs: Any) -> Any:
            answer = self.client.transact_write_items(**kwargs)
            if self.faults:
                self.faults -= 1
                raise ClientError({"Error": {"Code": "InternalServerError"}}, "TransactWriteItems")
            return answer

    flaky = SlotPool(AppliedThenError(aws["dynamodb"]), aws["sfn"], SLOT_TABLE)
    waiter = waiters.start()
    with contextlib.suppress(ClientError):  # the Lambda fails; its retry runs acquire again
        flaky.acquire(request(waiter, JOB, cap=1))
    assert flaky.acquire(request(waiter, JOB, cap=1)) is Outcome.GRANTED
    assert flaky.counter() == {"running": 1, "waiting": 0, "cap": 1}
    waiters.wait_for(waiter)


def test_a_slot_handed_to_an_ended_execution_moves_on(aws: dict[str, Any], waiters: Waiters) -> None:
    pool: SlotPool = aws["pool"]
    holder, gone, alive = waiters.start(), waiters.start(), waiters.start()
    pool.acquire(request(holder, "a" * 24, cap=1))
    pool.acquire(request(gone, "b" * 24, cap=1))
    pool.acquire(request(alive, "c" * 24, cap=1))
    aws["sfn"].stop_execution(executionArn=gone.execution_arn)
    waiters.wait_for(gone, "ABORTED")
    assert pool.release("a" * 24, holder.execution_arn) is Outcome.HANDED_OFF
    waiters.wait_for(alive)
    assert [m.rsplit("#", 1)[0] for m in holders(pool)] == ["c" * 24]
    assert pool.counter() == {"running": 1, "waiting": 0, "cap": 1}


def test_a_waiter_that_fails_leaves_the_list(aws: dict[str, Any], waiters: Waiters) -> None:
    pool: SlotPool = aws["pool"]
    holder, waiter = waiters.start(), waiters.start()
    pool.acquire(request(holder, "a" * 24, cap=1))
    pool.acquire(request(waiter, "b" * 24, cap=1))
    assert pool.release("b" * 24, waiter.execution_arn) is Outcome.LEFT
    assert pool.counter() == {"running": 1, "waiting": 0, "cap": 1}
    assert pool.release("a" * 24, holder.execution_arn) is Outcome.RELEASED


def test_a_raised_cap_serves_waiters_and_a_lowered_cap_shrinks(aws: dict[str, Any], waiters: Waiters) -> None:
    pool: SlotPool = aws["pool"]
    first, second, third = waiters.start(), waiters.start(), waiters.start()
    pool.acquire(request(first, "a" * 24, cap=1))
    pool.acquire(request(second, "b" * 24, cap=1))
    # A deploy raised the cap to 3: the next acquisition serves the waiter before itself.
    assert pool.acquire(request(third, "c" * 24, cap=3)) is Outcome.QUEUED
    waiters.wait_for(second)
    waiters.wait_for(third)
    assert pool.counter() == {"running": 3, "waiting": 0, "cap": 3}
    # Lowered to 1: releases give slots back even while others wait, until running is under the cap.
    late = waiters.start()
    assert pool.acquire(request(late, "d" * 24, cap=1)) is Outcome.QUEUED
    assert pool.release("a" * 24, first.execution_arn) is Outcome.RELEASED
    assert pool.release("b" * 24, second.execution_arn) is Outcome.RELEASED
    assert pool.release("c" * 24, third.execution_arn) is Outcome.HANDED_OFF
    waiters.wait_for(late)
    assert pool.counter() == {"running": 1, "waiting": 0, "cap": 1}


def test_slot_items_stay_under_one_kilobyte_whatever_the_cap(aws: dict[str, Any], waiters: Waiters) -> None:
    """Typical task tokens are about 680 characters (moto's are shorter): size the items with such a one."""
    pool: SlotPool = aws["pool"]
    holder = waiters.start()
    waiter = waiters.start(name=f"pipe-{uuid.uuid4()}")  # the pipe's execution names
    pool.acquire(request(holder, "a" * 24, cap=1))
    # A token of that length cannot be woken here: the member keeps it, as after a lost wake-up.
    pool.acquire(Request("b" * 24, waiter.execution_arn, waiter.start, 0, "A" * 680, 1))
    queued = aws["dynamodb"].scan(TableName=SLOT_TABLE)["Items"]  # counter, holder, waiter, waiting member
    pool.release("a" * 24, holder.execution_arn)  # hand-off: the member now carries the token
    handed = aws["dynamodb"].scan(TableName=SLOT_TABLE)["Items"]
    sizes = [item_bytes(i) for i in queued + handed]
    assert len(queued) == 4 and len(handed) == 2
    assert max(sizes) < 1024, sizes
