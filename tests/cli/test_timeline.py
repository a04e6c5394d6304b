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
