"""Timelines built from a recorded execution history (Map iteration, a task retried, then the failure)."""

from __future__ import annotations

import json
from pathlib import Path

from vidpipe.cli.timeline import build_timeline, task_arn_in

EVENTS = Path(__file__).parent / "events"


def _history(name: str) -> list[dict]:
    return json.loads((EVENTS / name).read_text())


def test_states_durations_retries_and_errors() -> None:
    timeline = build_timeline(_history("history_analysis_retried_then_failed.json"))
    assert timeline.status == "FAILED"
    assert timeline.error == "States.TaskFailed"
    rows = {row["state"]: row for row in timeline.rows()}
    assert list(rows) == ["Prepare", "Jobs", "Claim", "AnalyzeOnDemand"]
    assert rows["Prepare"]["outcome"] == "OK"
    assert rows["Prepare"]["duration_seconds"] == 0.5
    assert rows["Claim"]["retries"] == 0
    analyze = rows["AnalyzeOnDemand"]
    assert analyze["attempts"] == 2 and analyze["retries"] == 1
    assert analyze["outcome"] == "FAILED"
    assert analyze["error"] == "States.TaskFailed"
    assert '"ExitCode": 137' in analyze["cause"]
    assert analyze["duration"] == "44.4s"  # from entered to the end of the execution
    assert rows["Jobs"]["outcome"] == "FAILED"


def test_task_arns_come_from_outputs_and_causes() -> None:
    timeline = build_timeline(_history("history_analysis_retried_then_failed.json"))
    assert timeline.task_arns() == ["arn:aws:ecs:us-east-1:123456789012:task/vidpipe/2222bbbb"]
    assert task_arn_in('{"Tasks": [{"TaskArn": "arn:t/1"}]}') == "arn:t/1"
    assert task_arn_in("not json") is None
    assert task_arn_in(None) is None


def test_order_of_events_does_not_matter_and_running_states_stay_open() -> None:
    events = _history("history_analysis_retried_then_failed.json")[:16]  # up to the task's first start
    timeline = build_timeline(list(reversed(events)))
    assert timeline.status == "RUNNING"
    rows = {row["state"]: row for row in timeline.rows()}
    assert rows["AnalyzeOnDemand"]["outcome"] == "RUNNING"
    assert rows["Jobs"]["outcome"] == "RUNNING"


def test_redriven_execution_is_running_again() -> None:
    events = _history("history_analysis_retried_then_failed.json")
    events.append(
        {
            "id": len(events) + 1,
            "previousEventId": 0,
            "type": "ExecutionRedriven",
            "timestamp": "2026-11-23T04:00:00Z",
        }
    )
    timeline = build_timeline(events)
    assert timeline.redrives == 1
    assert timeline.status == "RUNNING"


def test_ecs_causes_are_summarised() -> None:
    from vidpipe.cli.timeline import summarize_cause

    timeline = build_timeline(_history("history_analysis_retried_then_failed.json"))
    assert summarize_cause(timeline.cause) == "EssentialContainerExited; worker exit code 137; task 2222bbbb"
    assert summarize_cause("x" * 500, limit=10) == "x" * 9 + "…"
    assert summarize_cause(None) == ""


def test_a_caught_error_is_not_a_retry() -> None:
    events = [
        {"id": 1, "previousEventId": 0, "type": "ExecutionStarted", "timestamp": "2026-11-23T03:00:00Z"},
        {
            "id": 2,
            "previousEventId": 1,
            "type": "TaskStateEntered",
            "timestamp": "2026-11-23T03:00:00Z",
            "stateEnteredEventDetails": {"name": "AnalyzeOnSpot"},
        },
        {"id": 3, "previousEventId": 2, "type": "TaskScheduled", "timestamp": "2026-11-23T03:00:00Z"},
        {
            "id": 4,
            "previousEventId": 3,
            "type": "TaskFailed",
            "timestamp": "2026-11-23T03:00:01Z",
            "taskFailedEventDetails": {"error": "States.TaskFailed", "cause": "{}"},
        },
        {
            "id": 5,
            "previousEventId": 4,
            "type": "TaskStateExited",
            "timestamp": "2026-11-23T03:00:01Z",
            "stateExitedEventDetails": {"name": "AnalyzeOnSpot"},
        },
    ]
    [row] = build_timeline(events).rows()
    assert (row["outcome"], row["retries"], row["error"]) == ("CAUGHT", 0, "States.TaskFailed")
