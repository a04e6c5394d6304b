"""What the Execution page keeps between views of an execution, because AWS says it cannot change.

* The definition it ran: "Redriven executions use the same state machine definition and execution ARN as the
  original execution attempt" (RedriveExecution, Step Functions API reference). Read once per execution.
* The history of an ended execution (and the timeline folded from it): events are added only while an
  execution runs, and only a redrive makes an ended one run again ("Step Functions preserves the results and
  execution history of the successful steps", same page). A redrive changes what DescribeExecution says:
  ``status`` (RUNNING), ``redriveCount`` (+1; "not updated for redrives that failed to start or are pending
  to be redriven", ExecutionRedrivenEventDetails, where the status is PENDING_REDRIVE instead),
  ``redriveDate`` and, at its end, ``stopDate``. So the history is kept under those four fields, read from
  DescribeExecution on every view, and only when the history read ends the way DescribeExecution says the
  execution ended, with as many ``ExecutionRedriven`` events as its ``redriveCount`` (a history read
  while a redrive was starting is not kept). A running or pending execution's history is read on every view.

Both are bounded (least recently viewed out first) and shared by the console's request threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from botocore.exceptions import ClientError

from vidpipe.cli.timeline import Timeline

OPEN_STATUSES = ("RUNNING", "PENDING_REDRIVE")
Value = TypeVar("Value")


class Lru(Generic[Value]):
    """A thread-safe dict of at most ``size`` entries, the least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[str, Value] = OrderedDict()

    def get(self, key: str) -> Value | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: str, value: Value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_DEFINITIONS: Lru[str] = Lru(256)


def definition_of(sfn: Any, arn: str, state_machine_arn: str) -> str:
    """The definition the execution ran (the state machine's current one where the API is missing).

    Kept per execution; the fallback, the current definition, is read every time.
    """
    kept = _DEFINITIONS.get(arn)
    if kept is not None:
        return kept
    try:
        definition = str(sfn.describe_state_machine_for_execution(executionArn=arn)["definition"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("ExecutionDoesNotExist", "InvalidArn"):
            raise
        return str(sfn.describe_state_machine(stateMachineArn=state_machine_arn)["definition"])
    _DEFINITIONS.put(arn, definition)
    return definition


@dataclass(frozen=True)
class Kept:
    """What is kept of an ended execution: under ``key`` (:func:`ended_key`), its events and timeline."""

    key: tuple[str, ...]
    events: list[dict[str, Any]]
    timeline: Timeline


_ENDED: Lru[Kept] = Lru(64)


def ended_key(execution: dict[str, Any]) -> tuple[str, ...] | None:
    """What a redrive changes in DescribeExecution (None while the execution runs: nothing is kept)."""
    status = str(execution.get("status", ""))
    if not status or status in OPEN_STATUSES:
        return None
    return (status, *(str(execution.get(name, "")) for name in ("redriveCount", "redriveDate", "stopDate")))


def seen(arn: str) -> bool:
    """Whether something is kept of the execution (worth waiting for DescribeExecution before reading)."""
    return _ENDED.get(arn) is not None


def kept(arn: str, execution: dict[str, Any]) -> Kept | None:
    """What is kept of the execution, if it still holds for what DescribeExecution said on this view."""
    found, key = _ENDED.get(arn), ended_key(execution)
    return found if found is not None and key is not None and found.key == key else None


def keep(arn: str, execution: dict[str, Any], events: list[dict[str, Any]], timeline: Timeline) -> None:
    """Keep an ended execution's history (read on this view, with ``timeline`` folded from it), unless it
    does not end the way ``execution`` (DescribeExecution on this view) says."""
    key = ended_key(execution)
    if key is not None and _ends_as_described(timeline, execution):
        _ENDED.put(arn, Kept(key, events, timeline))


def _ends_as_described(timeline: Timeline, execution: dict[str, Any]) -> bool:
    return (
        timeline.ended is not None
        and timeline.status == execution.get("status")
        and timeline.redrives == int(execution.get("redriveCount") or 0)
    )


def forget() -> None:
    """Drop everything kept (the benchmark times first views with it)."""
    _DEFINITIONS.clear()
    _ENDED.clear()
