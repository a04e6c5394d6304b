"""AcquireSlot: take one of the pipeline's analysis slots, or wait for one without polling.

The state is ``lambda:invoke.waitForTaskToken``: this handler receives the state's task token. When a slot
is free it takes it and calls SendTaskSuccess itself, so the state ends at once; when every slot is taken it
puts the token in the waiting list and returns, and the state waits (one state, however long) until a
releaser hands it a slot and wakes it. A retry of the state (Lambda error, or the bounded wait's
States.Timeout) runs this handler again with a new token: it finds its slot or its place in the list
(see :mod:`tasks.slots`).
"""

from __future__ import annotations

import os
from typing import Any

from tasks.clients import client
from tasks.errors import transient_as_retryable
from tasks.log import logger as logger_for
from tasks.slots import Request, SlotPool
from vidpipe.contract.names import TaskEnv

logger = logger_for("vidpipe-acquire-slot")


def acquire_slot(event: dict[str, Any], pool: SlotPool) -> dict[str, Any]:
    """Take or wait for a slot; returns ``{"job_id", "outcome": "granted" | "queued"}``."""
    request = Request(
        job_id=str(event["job_id"]),
        execution_arn=str(event["execution_arn"]),
        execution_start=str(event["execution_start"]),
        redrive_count=int(event.get("redrive_count") or 0),
        token=str(event["token"]),
        cap=int(event["cap"]),
    )
    outcome = pool.acquire(request)
    counter = pool.counter()
    logger.info(
        "slot " + outcome.value,
        extra={"job_id": request.job_id, "running": counter["running"], "waiting": counter["waiting"]},
    )
    return {"job_id": request.job_id, "outcome": outcome.value}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    dynamodb = client("dynamodb")
    with transient_as_retryable():
        return acquire_slot(
            event, SlotPool(dynamodb, client("stepfunctions"), os.environ[TaskEnv.SLOT_TABLE])
        )
