"""The analysis slot pool: a cap on running analyses across executions, with an arrival-ordered waiting list.

Why not a polling semaphore: an execution that retries a conditional write until a slot is free pays one
state transition (and three history events) per attempt and leaves slots idle while it backs off. Here a
waiter parks on the ``AcquireSlot`` state (``lambda:invoke.waitForTaskToken``) with its task token in the
waiting list; whoever frees a slot hands it to the oldest waiter in one transaction and wakes it with
``SendTaskSuccess``. Waiting costs nothing, however long it lasts.

Items of the slot table (partition key ``pk``, sort key ``sk``); no write grows with the cap:

* counter ``("analysis", "counter")``: ``running`` (slots held), ``waiting`` (waiters queued), ``cap`` (the
  cap the last acquisition ran with, so releasers and the reconciler know it);
* member ``("analysis#member", "<job id>#<execution name>")``: one per job and execution that holds or
  waits for a slot: ``state`` HOLDING or WAITING, ``execution_arn``, ``since``, ``redrive_count``,
  ``waiter_sk`` while WAITING, ``token`` after a hand-off (for the reconciler's repair of a lost wake-up);
* waiter ``("analysis#queue", "<execution start>#<execution name>#<job id>")``: ``token`` only (the member
  it belongs to is named by its sort key). A consistent Query with ``Limit=1`` is the oldest waiter:
  executions are served in the order they started (a redriven execution keeps its place).

Sizes: a waiter is about 800 bytes and a handed-off member about 950 with the task tokens Step Functions
issues in practice (about 680 characters); the API allows tokens of up to 2,048 characters, which would
make those two items up to about 2.4 KB (3 write units). Nothing else is stored twice.

Every method is safe to repeat (Lambda retries, DynamoDB writes that were applied but answered with an
error, redrives): each round re-reads the member item, and a transaction that fails its conditions is
re-decided from what is there now. Races closed: a release that finds no waiter only gives the slot back
under ``waiting = 0`` (a waiter that enqueued meanwhile is served instead); a waiter enqueues only under
``running >= cap OR waiting > 0`` (a slot freed meanwhile is taken instead); a hand-off whose wake-up token
is dead re-releases the slot when the waiter's execution has ended.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from tasks.errors import TransientError, error_code
from vidpipe.contract.items import from_item, to_attribute_values
from vidpipe.contract.names import SlotTable
from vidpipe.contract.timestamps import utc_now

log = logging.getLogger(__name__)

MAX_ROUNDS = 25
"""Re-decisions of one call under contention before it gives up with :class:`TransientError` (retried)."""

DEAD_TOKEN_CODES = frozenset({"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"})
"""SendTaskSuccess answers for a token whose task has ended (timed out, retried, execution over)."""


class MemberState(StrEnum):
    HOLDING = "HOLDING"
    WAITING = "WAITING"


class Outcome(StrEnum):
    GRANTED = "granted"  # the caller holds a slot (now or already)
    QUEUED = "queued"  # the caller waits in the list; a releaser will wake it
    RELEASED = "released"  # the slot went back to the pool
    HANDED_OFF = "handed_off"  # the slot went to the oldest waiter
    LEFT = "left"  # a waiter left the list
    NOT_HELD = "not_held"  # nothing to do (already released, never acquired)


@dataclass(frozen=True)
class Request:
    """One ``AcquireSlot`` call: who asks, with which task token, under which cap."""

    job_id: str
    execution_arn: str
    execution_start: str  # $$.Execution.StartTime: the waiting list's order
    redrive_count: int
    token: str
    cap: int


def execution_name(execution_arn: str) -> str:
    return execution_arn.rsplit(":", 1)[-1]


def member_key(job_id: str, execution_arn: str) -> str:
    return f"{job_id}#{execution_name(execution_arn)}"


def job_of(member_sk: str) -> str:
    """The job id in a member's sort key (``<job id>#<execution name>``)."""
    return member_sk.split("#", 1)[0]


def member_of(waiter_sk: str) -> str:
    """The member sort key a waiter belongs to (``<start>#<execution name>#<job id>`` -> ``<job>#<name>``)."""
    _start, name, job_id = waiter_sk.rsplit("#", 2)
    return f"{job_id}#{name}"


_NAME = re.compile(r"#(\w+)")


def _names(*expressions: str) -> dict[str, str]:
    """``ExpressionAttributeNames`` for ``#attribute`` placeholders (every attribute is written so: several,
    such as ``token`` and ``state``, are DynamoDB reserved words)."""
    return {f"#{name}": name for expression in expressions for name in _NAME.findall(expression)}


def _is_cancelled(error: ClientError) -> bool:
    return error_code(error) in ("TransactionCanceledException", "ConditionalCheckFailedException")


class SlotPool:
    """Acquire, release and repair slots of one pool (``analysis``) in the slot table.

    Args:
        dynamodb: low-level DynamoDB client.
        sfn: Step Functions client (SendTaskSuccess to wake waiters, DescribeExecution to tell dead ones).
        table_name: the slot table.
    """

    def __init__(self, dynamodb: Any, sfn: Any, table_name: str, pool: str = SlotTable.POOL) -> None:
        self.dynamodb = dynamodb
        self.sfn = sfn
        self.table_name = table_name
        self.pool = pool
        self.member_pk = f"{pool}#member"
        self.queue_pk = f"{pool}#queue"

    # -- reads ---------------------------------------------------------------------------------------------
    def _key(self, pk: str, sk: str) -> dict[str, Any]:
        return {SlotTable.PARTITION_KEY: {"S": pk}, SlotTable.SORT_KEY: {"S": sk}}

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(
            TableName=self.table_name, Key=self._key(pk, sk), ConsistentRead=True
        ).get("Item")
        return from_item(item) if item else None

    def counter(self) -> dict[str, Any]:
        """``running``, ``waiting`` and ``cap`` (zeros when the pool was never used)."""
        item = self._get(self.pool, "counter") or {}
        return {
            "running": int(item.get("running", 0)),
            "waiting": int(item.get("waiting", 0)),
            "cap": item.get("cap"),
        }

    def member(self, job_id: str, execution_arn: str) -> dict[str, Any] | None:
        return self._get(self.member_pk, member_key(job_id, execution_arn))

    def _query(self, pk: str, limit: int | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": SlotTable.PARTITION_KEY},
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ConsistentRead": True,
        }
        while True:
            if limit is not None:
                kwargs["Limit"] = limit - len(items)
            page = self.dynamodb.query(**kwargs)
            items.extend(from_item(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page or (limit is not None and len(items) >= limit):
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def members(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Every member (holders and waiters), at most ``limit``."""
        return self._query(self.member_pk, limit)

    def holders(self) -> list[dict[str, Any]]:
        """The members that hold a slot (at most the cap), longest-held first."""
        held = [m for m in self._query(self.member_pk) if m["state"] == MemberState.HOLDING]
        return sorted(held, key=lambda m: str(m.get("since", "")))

    def waiters(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The waiting list, oldest first."""
        return self._query(self.queue_pk, limit)

    # -- acquire -------------------------------------------------------------------------------------------
    def acquire(self, request: Request) -> Outcome:
        """Take a slot (and wake the caller's token at once) or join the waiting list.

        Raises:
            TransientError: the pool stayed contended for :data:`MAX_ROUNDS` rounds (the state retries).
        """
        sk = member_key(request.job_id, request.execution_arn)
        for _ in range(MAX_ROUNDS):
            member = self._get(self.member_pk, sk)
            if member is not None and member["state"] == MemberState.HOLDING:
                self._wake(request.token, "held")  # a retry, or a hand-off whose wake-up was lost
                return Outcome.GRANTED
            if member is not None:
                if self._refresh_token(member, request.token):
                    self._fill()
                    return Outcome.QUEUED
                continue  # handed off meanwhile: look again
            if self._take(request, sk):
                self._wake(request.token, "immediate")
                return Outcome.GRANTED
            if self._enqueue(request, sk):
                self._fill()  # the cap may have been raised: serve waiters up to it
                return Outcome.QUEUED
        raise TransientError(f"slot pool {self.pool} contended: no decision after {MAX_ROUNDS} rounds")

    def _member_item(self, request: Request, sk: str, state: MemberState, **extra: Any) -> dict[str, Any]:
        values = {
            SlotTable.PARTITION_KEY: self.member_pk,
            SlotTable.SORT_KEY: sk,
            "state": state.value,
            "execution_arn": request.execution_arn,
            "redrive_count": request.redrive_count,
            "since": utc_now(),
            **extra,
        }
        return to_attribute_values(values)

    def _counter_update(self, expression: str, condition: str, values: dict[str, Any]) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": self._key(self.pool, "counter"),
                "UpdateExpression": expression,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": _names(expression, condition),
                "ExpressionAttributeValues": to_attribute_values(values),
            }
        }

    def _transact(self, items: list[dict[str, Any]]) -> bool:
        """Run one transaction; False when a condition failed (the caller re-decides)."""
        try:
            self.dynamodb.transact_write_items(TransactItems=items)
        except ClientError as error:
            if _is_cancelled(error):
                return False
            raise
        return True

    def _take(self, request: Request, sk: str) -> bool:
        """running + 1 under the cap, only when nobody waits (first come, first served)."""
        return self._transact(
            [
                self._counter_update(
                    "SET #running = if_not_exists(#running, :zero) + :one, #cap = :cap",
                    "(attribute_not_exists(#running) OR #running < :cap) "
                    "AND (attribute_not_exists(#waiting) OR #waiting <= :zero)",
                    {":zero": 0, ":one": 1, ":cap": request.cap},
                ),
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": self._member_item(request, sk, MemberState.HOLDING),
                        "ConditionExpression": "attribute_not_exists(#sk)",
                        "ExpressionAttributeNames": {"#sk": SlotTable.SORT_KEY},
                    }
                },
            ]
        )

    def _enqueue(self, request: Request, sk: str) -> bool:
        """Join the waiting list, only while every slot is taken or others already wait."""
        waiter_sk = f"{request.execution_start}#{execution_name(request.execution_arn)}#{request.job_id}"
        waiter = {
            SlotTable.PARTITION_KEY: self.queue_pk,
            SlotTable.SORT_KEY: waiter_sk,
            "token": request.token,
        }
        return self._transact(
            [
                self._counter_update(
                    "SET #waiting = if_not_exists(#waiting, :zero) + :one, #cap = :cap",
                    "#running >= :cap OR #waiting > :zero",
                    {":zero": 0, ":one": 1, ":cap": request.cap},
                ),
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": to_attribute_values(waiter),
                        "ConditionExpression": "attribute_not_exists(#sk)",
                        "ExpressionAttributeNames": {"#sk": SlotTable.SORT_KEY},
                    }
                },
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": self._member_item(request, sk, MemberState.WAITING, waiter_sk=waiter_sk),
                        "ConditionExpression": "attribute_not_exists(#sk)",
                        "ExpressionAttributeNames": {"#sk": SlotTable.SORT_KEY},
                    }
                },
            ]
        )

    def _refresh_token(self, member: dict[str, Any], token: str) -> bool:
        """A retried AcquireSlot has a new task token: put it on its waiter. False if no longer waiting."""
        try:
            self.dynamodb.update_item(
                TableName=self.table_name,
                Key=self._key(self.queue_pk, member["waiter_sk"]),
                UpdateExpression="SET #token = :token",
                ConditionExpression="attribute_exists(#sk)",
                ExpressionAttributeNames=_names("#token #sk"),
                ExpressionAttributeValues=to_attribute_values({":token": token}),
            )
        except ClientError as error:
            if _is_cancelled(error):
                return False
            raise
        return True

    # -- release -------------------------------------------------------------------------------------------
    def release(self, job_id: str, execution_arn: str) -> Outcome:
        """Give up the slot (or the place in the list) of ``job_id`` in ``execution_arn``; idempotent.

        A held slot goes to the oldest waiter when there is one (and the cap allows), else back to the pool.
        When the woken waiter's execution has ended, its slot is released in turn, and so on.
        """
        outcome = Outcome.NOT_HELD
        pending: tuple[str, str] | None = (job_id, execution_arn)
        first = True
        while pending is not None:
            step, pending = self._release_once(*pending)
            if first:
                outcome, first = step, False
        return outcome

    def _release_once(self, job_id: str, execution_arn: str) -> tuple[Outcome, tuple[str, str] | None]:
        sk = member_key(job_id, execution_arn)
        for _ in range(MAX_ROUNDS):
            member = self._get(self.member_pk, sk)
            if member is None:
                return Outcome.NOT_HELD, None
            if member["state"] == MemberState.WAITING:
                if self._leave(member):
                    return Outcome.LEFT, None
                continue
            counter = self.counter()
            cap = counter["cap"] if counter["cap"] is not None else counter["running"]
            oldest = self.waiters(limit=1)
            if oldest and counter["running"] <= int(cap):
                if self._hand_off(sk, oldest[0]):
                    return Outcome.HANDED_OFF, self._wake_waiter(oldest[0])
                continue
            if self._give_back(sk, counter):
                return Outcome.RELEASED, None
        raise TransientError(f"slot pool {self.pool} contended: release of {sk} undecided")

    def _hand_off(self, holder_sk: str, waiter: dict[str, Any]) -> bool:
        """Move the slot from ``holder_sk`` to ``waiter`` (running unchanged, waiting - 1)."""
        return self._transact(
            [
                {
                    "Delete": {
                        "TableName": self.table_name,
                        "Key": self._key(self.member_pk, holder_sk),
                        "ConditionExpression": "#state = :holding",
                        "ExpressionAttributeNames": {"#state": "state"},
                        "ExpressionAttributeValues": {":holding": {"S": MemberState.HOLDING}},
                    }
                },
                {
                    "Delete": {
                        "TableName": self.table_name,
                        "Key": self._key(self.queue_pk, waiter[SlotTable.SORT_KEY]),
                        "ConditionExpression": "attribute_exists(#sk)",
                        "ExpressionAttributeNames": {"#sk": SlotTable.SORT_KEY},
                    }
                },
                self._promote(waiter),
                self._counter_update(
                    "SET #waiting = #waiting - :one", "#waiting > :zero", {":zero": 0, ":one": 1}
                ),
            ]
        )

    def _promote(self, waiter: dict[str, Any]) -> dict[str, Any]:
        """The waiter's member becomes HOLDING, remembering the token it is woken with."""
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": self._key(self.member_pk, member_of(waiter[SlotTable.SORT_KEY])),
                "UpdateExpression": "SET #state = :holding, #since = :now, #token = :token REMOVE #waiter_sk",
                "ConditionExpression": "#state = :waiting",
                "ExpressionAttributeNames": _names("#state #since #token #waiter_sk"),
                "ExpressionAttributeValues": to_attribute_values(
                    {
                        ":holding": MemberState.HOLDING.value,
                        ":waiting": MemberState.WAITING.value,
                        ":now": utc_now(),
                        ":token": waiter["token"],
                    }
                ),
            }
        }

    def _give_back(self, holder_sk: str, counter: dict[str, Any]) -> bool:
        """running - 1, only while nobody waits (else the slot must be handed off)."""
        delete = {
            "Delete": {
                "TableName": self.table_name,
                "Key": self._key(self.member_pk, holder_sk),
                "ConditionExpression": "#state = :holding",
                "ExpressionAttributeNames": {"#state": "state"},
                "ExpressionAttributeValues": {":holding": {"S": MemberState.HOLDING}},
            }
        }
        if counter["running"] <= 0:  # a member without a count (repaired by hand?): drop the member only
            return self._transact([delete])
        condition = "#running > :zero AND (attribute_not_exists(#waiting) OR #waiting <= :zero)"
        if counter["cap"] is not None and counter["running"] > int(counter["cap"]):
            condition = "#running > :zero"  # over a lowered cap: shrink even while others wait
        return self._transact(
            [
                delete,
                self._counter_update("SET #running = #running - :one", condition, {":zero": 0, ":one": 1}),
            ]
        )

    def _leave(self, member: dict[str, Any]) -> bool:
        """Remove a waiter from the list (its execution failed or ended while waiting)."""
        return self._transact(
            [
                {
                    "Delete": {
                        "TableName": self.table_name,
                        "Key": self._key(self.member_pk, member[SlotTable.SORT_KEY]),
                        "ConditionExpression": "#state = :waiting",
                        "ExpressionAttributeNames": {"#state": "state"},
                        "ExpressionAttributeValues": {":waiting": {"S": MemberState.WAITING}},
                    }
                },
                {
                    "Delete": {
                        "TableName": self.table_name,
                        "Key": self._key(self.queue_pk, member["waiter_sk"]),
                    }
                },
                self._counter_update(
                    "SET #waiting = #waiting - :one", "#waiting > :zero", {":zero": 0, ":one": 1}
                ),
            ]
        )

    # -- wake-ups and repair -------------------------------------------------------------------------------
    def _wake(self, token: str, via: str) -> bool:
        """SendTaskSuccess to an AcquireSlot state; False when its token is dead."""
        output = json.dumps({"slot": Outcome.GRANTED.value, "via": via, "granted_at": utc_now()})
        try:
            self.sfn.send_task_success(taskToken=token, output=output)
        except ClientError as error:
            if error_code(error) in DEAD_TOKEN_CODES:
                return False
            raise
        return True

    def _wake_waiter(self, waiter: dict[str, Any]) -> tuple[str, str] | None:
        """Wake a waiter that was just given a slot; returns it for release when its execution has ended."""
        if self._wake(waiter["token"], "handoff"):
            return None
        member = self._get(self.member_pk, member_of(waiter[SlotTable.SORT_KEY]))
        if member is None:
            return None
        execution_arn = str(member["execution_arn"])
        if self.execution_running(execution_arn):
            # Its state was retried with a new token (or is about to be): that attempt finds the slot held.
            return None
        log.info("slot handed to ended execution %s: releasing it again", execution_arn)
        return job_of(member[SlotTable.SORT_KEY]), execution_arn

    def execution_running(self, execution_arn: str) -> bool:
        """True unless Step Functions says the execution has ended (or does not exist)."""
        try:
            status = self.sfn.describe_execution(executionArn=execution_arn)["status"]
        except ClientError as error:
            if error_code(error) == "ExecutionDoesNotExist":
                return False
            raise
        return bool(status in ("RUNNING", "PENDING_REDRIVE"))

    def _fill(self) -> int:
        """Serve waiters while slots are free (after a raised cap, or a lost hand-off); returns how many."""
        served = 0
        for _ in range(MAX_ROUNDS):
            counter = self.counter()
            if counter["cap"] is None or counter["running"] >= int(counter["cap"]) or counter["waiting"] <= 0:
                return served
            oldest = self.waiters(limit=1)
            if not oldest:
                return served
            granted = self._transact(
                [
                    {
                        "Delete": {
                            "TableName": self.table_name,
                            "Key": self._key(self.queue_pk, oldest[0][SlotTable.SORT_KEY]),
                            "ConditionExpression": "attribute_exists(#sk)",
                            "ExpressionAttributeNames": {"#sk": SlotTable.SORT_KEY},
                        }
                    },
                    self._promote(oldest[0]),
                    self._counter_update(
                        "SET #running = #running + :one, #waiting = #waiting - :one",
                        "#running < #cap AND #waiting > :zero",
                        {":zero": 0, ":one": 1},
                    ),
                ]
            )
            if granted:
                served += 1
                dead = self._wake_waiter(oldest[0])
                if dead is not None:
                    self.release(*dead)
        return served

    def repair(self) -> int:
        """Serve waiters while slots are free (the reconciler's call); returns how many were woken."""
        return self._fill()

    def rewake(self, member: dict[str, Any]) -> bool:
        """Send a HOLDING member's hand-off token again (a wake-up that may have been lost)."""
        token = member.get("token")
        return bool(token) and self._wake(str(token), "handoff again")
