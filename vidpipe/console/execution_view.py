"""Everything the Execution page shows of one execution, gathered with the CLI's look-ups.

The graph comes from the definition the execution ran (``DescribeStateMachineForExecution``), the
outcomes from its history folded by :func:`vidpipe.cli.timeline.build_timeline`, the jobs from the job
table (the records that name the execution), the worker log from :func:`vidpipe.cli.logs.read_log`; what
is read from AWS, and what need not be read again, is :mod:`vidpipe.console.execution_reads`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from vidpipe.cli.durations import human_delta, parse_time
from vidpipe.cli.errors import NotFound
from vidpipe.cli.executions import execution_arn
from vidpipe.cli.jobs_store import Record
from vidpipe.cli.logs import read_log
from vidpipe.cli.target import Target
from vidpipe.cli.timeline import Step, Timeline, summarize_cause
from vidpipe.console.ecs_words import TaskFailure, task_failure
from vidpipe.console.execution_reads import read_execution
from vidpipe.console.graph import Graph, is_analysis, layout
from vidpipe.console.listing import JobIndex
from vidpipe.console.outcomes import (
    Iteration,
    StateView,
    default_iteration,
    item_field,
    iterations,
    state_views,
    summary,
)
from vidpipe.console.timing import Timings
from vidpipe.console.view_cache import OPEN_STATUSES

EVENT_FILTERS = {
    "all": "all events",
    "state": "the selected state",
    "failures": "failures",
    "tasks": "task events",
    "transitions": "state transitions",
}


@dataclass
class Visit:
    """One visit of the selected state, with its failures told in words and its worker log."""

    step: Step
    failures: list[tuple[str, str, TaskFailure | None]]
    log: dict[str, Any] | None = None
    log_error: str | None = None


@dataclass
class ExecutionView:
    execution: dict[str, Any]
    timeline: Timeline
    graph: Graph
    views: dict[str, StateView]
    iterations: dict[str, list[Iteration]]
    iteration: int
    jobs: list[Record]
    events: list[dict[str, Any]]
    console_url: str | None
    state: str | None = None
    visits: list[Visit] = field(default_factory=list)
    analysis_state: bool = False

    @property
    def name(self) -> str:
        return str(self.execution.get("name", ""))

    @property
    def status(self) -> str:
        return str(self.execution.get("status", ""))

    @property
    def live(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def counts(self) -> dict[str, Any]:
        return summary(self.views)

    def offset(self, timestamp: Any) -> str:
        """An event's time from the start of the execution: ``+1.2s``."""
        at, start = parse_time(timestamp), self.timeline.started
        return "+" + human_delta(at - start) if at and start else "-"

    @staticmethod
    def details_text(event: dict[str, Any]) -> str:
        """The event's details as JSON text (for the page's pretty printer)."""
        details = {k: v for k, v in event.items() if k.endswith("EventDetails")}
        return json.dumps(next(iter(details.values()), {}), default=str)

    @staticmethod
    def brief(event: dict[str, Any]) -> str:
        """One line for the collapsed event: its state name, or its error, or what it did."""
        details = next(
            (v for k, v in event.items() if k.endswith("EventDetails") and isinstance(v, dict)), {}
        )
        for key in ("error", "name", "resource"):
            if details.get(key):
                text = str(details[key])
                return f"{text}: {summarize_cause(details.get('cause'), 100)}" if key == "error" else text
        return "details"

    def state_of_event(self) -> dict[int, str]:
        """History event id -> the state it belongs to (the execution's own events belong to none)."""
        own = {e["id"] for e in self.events if str(e.get("type", "")).startswith("Execution")}
        return {e: step.name for step in self.timeline.steps for e in step.event_ids if e not in own}


def execution_view(
    tgt: Target,
    name: str,
    iteration: int | None,
    state: str | None,
    jobs: JobIndex,
    timings: Timings | None = None,
) -> ExecutionView:
    """The execution ``name`` (or ARN) with its graph and outcomes, in one Map iteration; its jobs from
    ``jobs`` (the console's index of the job table); the time of each step in ``timings``.

    Raises:
        NotFound: when there is no such execution.
    """
    timings = timings or Timings()
    arn = execution_arn(tgt.resources.state_machine_arn, name)
    reads = read_execution(tgt, arn, jobs, timings)
    execution, timeline, claimed, events = reads.execution, reads.timeline, reads.jobs, reads.events
    with timings.section("layout"):
        graph = layout(reads.definition)
    with timings.section("outcomes"):
        found = iterations(timeline)
        chosen = iteration if iteration is not None else default_iteration(found)
        views = state_views(graph, timeline, chosen)
    view = ExecutionView(
        execution=execution,
        timeline=timeline,
        graph=graph,
        views=views,
        iterations=found,
        iteration=chosen,
        jobs=claimed,
        events=events,
        console_url=None if tgt.is_local else tgt.console_url(arn),
    )
    node = graph.node(state) if state else None
    if node is not None and state in views:
        view.state = state
        view.analysis_state = is_analysis(node)
        with timings.section("visits"):
            view.visits = [_visit(tgt, step, view) for step in views[state].visits]
    return view


def _visit(tgt: Target, step: Step, view: ExecutionView) -> Visit:
    failures = [(error, cause, task_failure(cause)) for error, cause in step.errors]
    visit = Visit(step, failures)
    if view.analysis_state and step.task_arn:
        job_id = item_field(step.input, "job_id") or (view.jobs[0]["job_id"] if view.jobs else None)
        if job_id:
            try:
                visit.log = read_log(tgt, job_id, task_arn=step.task_arn)
            except NotFound as exc:
                visit.log_error = str(exc)
    return visit


def filter_events(view: ExecutionView, kind: str, contains: str) -> list[dict[str, Any]]:
    """The raw history, filtered by kind (:data:`EVENT_FILTERS`) and by text anywhere in the event."""
    owners = view.state_of_event()
    selected = {
        e for s in view.views.get(view.state or "", StateView("", "", "", "")).visits for e in s.event_ids
    }
    contains = contains.strip().lower()
    shown = []
    for event in view.events:
        kind_of = str(event.get("type", ""))
        if kind == "state" and event["id"] not in selected:
            continue
        if kind == "failures" and not any(kind_of.endswith(s) for s in ("Failed", "TimedOut", "Aborted")):
            continue
        if kind == "tasks" and not kind_of.startswith(("Task", "Lambda", "Activity")):
            continue
        if kind == "transitions" and not kind_of.endswith(("StateEntered", "StateExited")):
            continue
        if contains and contains not in json.dumps(event, default=str).lower():
            continue
        shown.append({**event, "state": owners.get(event["id"], "")})
    return shown
