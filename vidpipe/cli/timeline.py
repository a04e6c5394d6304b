"""An execution's states as a timeline, built from ``get_execution_history`` events (pure functions).

Events are tied to the state they belong to through ``previousEventId``: each event points at the one
before it in its own branch, so following the chain back reaches the ``...StateEntered`` event of its state,
even when Map iterations run the same state names in parallel.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from vidpipe.cli.durations import human_delta, parse_time, seconds

_SCHEDULED = ("TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled")
_FAILURE_SUFFIXES = ("Failed", "TimedOut", "Aborted", "StartFailed", "SubmitFailed", "ScheduleFailed")
_EXECUTION_END = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}


@dataclass
class Step:
    """One visit of one state."""

    name: str
    type: str
    entered: datetime | None
    exited: datetime | None = None
    attempts: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    task_arn: str | None = None
    final: str | None = None  # the execution's status when it ended while this state was open
    iteration: tuple[str, int] | None = None  # (Map state, index) of the innermost Map iteration it ran in
    input: str | None = None
    output: str | None = None
    event_ids: list[int] = field(default_factory=list)  # the history events of this visit

    @property
    def duration(self) -> timedelta | None:
        return self.exited - self.entered if self.entered and self.exited else None

    @property
    def retries(self) -> int:
        return max(self.attempts - 1, 0)

    @property
    def outcome(self) -> str:
        if self.final:
            return self.final
        if self.exited is None:
            return "FAILED" if self.errors else "RUNNING"
        if not self.errors:
            return "OK"
        return "RETRIED" if self.retries >= len(self.errors) else "CAUGHT"  # a Catch moved on

    def row(self, start: datetime | None) -> dict[str, Any]:
        """A plain row for tables and JSON."""
        error, cause = self.errors[-1] if self.errors else ("", "")
        return {
            "state": self.name,
            "type": self.type,
            "at": human_delta(self.entered - start) if start and self.entered else "-",
            "at_seconds": seconds(self.entered - start) if start and self.entered else None,
            "entered": self.entered,
            "exited": self.exited,
            "duration": human_delta(self.duration),
            "duration_seconds": seconds(self.duration),
            "outcome": self.outcome,
            "attempts": self.attempts,
            "retries": self.retries,
            "error": error,
            "cause": cause,
            "task_arn": self.task_arn,
        }


@dataclass
class Timeline:
    """The states of an execution in the order they were entered, plus the execution's own end."""

    steps: list[Step]
    started: datetime | None
    ended: datetime | None
    status: str
    error: str = ""
    cause: str = ""
    redrives: int = 0

    def rows(self) -> list[dict[str, Any]]:
        return [step.row(self.started) for step in self.steps]

    def task_arns(self) -> list[str]:
        """ECS task ARNs seen in the history, oldest first (the last one ran most recently)."""
        return [s.task_arn for s in self.steps if s.task_arn]


def _details(event: dict[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


def task_arn_in(text: str | None) -> str | None:
    """The ECS ``TaskArn`` in a task state's output or failure cause (a JSON DescribeTasks task)."""
    if not text:
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if isinstance(document, dict):
        for key in ("TaskArn", "taskArn"):
            if isinstance(document.get(key), str):
                return str(document[key])
        tasks = document.get("Tasks") or document.get("tasks")
        if isinstance(tasks, list) and tasks and isinstance(tasks[0], dict):
            return task_arn_in(json.dumps(tasks[0]))
    return None


def _latest_open(steps: list[Step]) -> Step | None:
    return next((s for s in reversed(steps) if s.exited is None), None)


def summarize_cause(cause: str | None, limit: int = 200) -> str:
    """A failure cause short enough for a terminal.

    An ECS task failure's cause is the whole DescribeTasks task (kilobytes of JSON): keep the stop code,
    the container exit codes and the task id. Other causes are cut at ``limit`` characters.
    """
    if not cause:
        return ""
    try:
        document = json.loads(cause)
    except ValueError:
        document = None
    if isinstance(document, dict) and ("StopCode" in document or "Containers" in document):
        parts = [str(document.get("StopCode") or document.get("StoppedReason") or "task stopped")]
        for container in document.get("Containers") or []:
            if isinstance(container, dict) and "ExitCode" in container:
                parts.append(f"{container.get('Name', 'container')} exit code {container['ExitCode']}")
        arn = task_arn_in(cause)
        if arn:
            parts.append(f"task {arn.rsplit('/', 1)[-1]}")
        return "; ".join(parts)
    return cause if len(cause) <= limit else cause[: limit - 1] + "…"


def build_timeline(events: list[dict[str, Any]]) -> Timeline:
    """Fold history events (in ``id`` order) into a :class:`Timeline`."""
    events = sorted(events, key=lambda e: e["id"])
    owner: dict[int, Step | None] = {}
    iteration_at: dict[int, tuple[str, int] | None] = {}  # event id -> the Map iteration it belongs to
    steps: list[Step] = []
    open_by_name: dict[str, list[Step]] = {}
    timeline = Timeline(steps=steps, started=None, ended=None, status="RUNNING")
    for event in events:
        kind: str = event["type"]
        at = parse_time(event.get("timestamp"))
        details = _details(event)
        previous = event.get("previousEventId") or 0
        current = owner.get(previous)
        if current is None and not kind.startswith("Execution"):
            current = _latest_open(steps)  # a history without a usable previousEventId chain
        iteration = iteration_at.get(previous, current.iteration if current else None)
        if kind == "MapIterationStarted":
            iteration = (str(details.get("name", "?")), int(details.get("index", 0)))
        iteration_at[event["id"]] = iteration
        if kind == "ExecutionStarted":
            timeline.started = at
        elif kind == "ExecutionRedriven":
            timeline.redrives += 1
            timeline.status, timeline.ended = "RUNNING", None
        elif kind in _EXECUTION_END:
            timeline.status, timeline.ended = _EXECUTION_END[kind], at
            timeline.error, timeline.cause = details.get("error", ""), details.get("cause", "")
        elif kind.endswith("StateEntered"):
            current = Step(
                name=details.get("name", "?"),
                type=kind.removesuffix("StateEntered"),
                entered=at,
                iteration=iteration,
                input=details.get("input"),
            )
            steps.append(current)
            open_by_name.setdefault(current.name, []).append(current)
        elif kind.endswith("StateExited"):
            name = details.get("name", "?")
            candidates = open_by_name.get(name, [])
            step = current if current in candidates else (candidates[0] if candidates else None)
            if step is not None:
                step.exited, step.output = at, details.get("output")
                step.event_ids.append(event["id"])
                iteration_at[event["id"]] = step.iteration  # what follows a Map runs outside its iterations
                candidates.remove(step)
            current = None
        elif current is not None:
            if kind in _SCHEDULED:
                current.attempts += 1
            elif kind.endswith(_FAILURE_SUFFIXES) and not kind.startswith(("Map", "Execution")):
                current.errors.append((details.get("error", ""), details.get("cause", "")))
                current.task_arn = task_arn_in(details.get("cause")) or current.task_arn
            elif kind in ("TaskSucceeded", "TaskSubmitted"):
                current.task_arn = task_arn_in(details.get("output")) or current.task_arn
        owner[event["id"]] = current
        if current is not None:
            current.event_ids.append(event["id"])
    if timeline.ended is not None:  # states still open when the execution ended ended with it
        for step in steps:
            if step.exited is None:
                step.exited, step.final = timeline.ended, timeline.status
                if timeline.error and not step.errors:
                    step.errors.append((timeline.error, timeline.cause))
    return timeline
