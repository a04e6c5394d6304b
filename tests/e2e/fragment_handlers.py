"""Lambda handlers of the small template fragments the runtime-level tests provision (imported by their
``Handler`` as the local runtime imports the real ones)."""

from __future__ import annotations

import json
import os
import threading
from typing import Any

import boto3

CALLS: list[dict[str, Any]] = []
FAILING = threading.Event()  # set: the ticks raise


class TickFailed(Exception):
    """Raised by :func:`tick` while FAILING is set."""


def tick(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A scheduled function: records its event; fails while told to."""
    CALLS.append(event)
    if FAILING.is_set():
        raise TickFailed("told to fail")
    return {"ticked": len(CALLS)}


def grant(event: dict[str, Any], context: Any) -> None:
    """A ``lambda:invoke.waitForTaskToken`` handler that sends its own task success (the slot fast path)."""
    client = boto3.client("stepfunctions", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    client.send_task_success(taskToken=event["token"], output=json.dumps({"granted": event["job"]}))
