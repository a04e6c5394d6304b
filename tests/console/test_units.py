"""The console's pure parts: the graph of any ASL, outcomes per Map iteration, failures in words, redaction,
results as pictures, the exported page's policy."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from vidpipe.cli.timeline import build_timeline
from vidpipe.console.ecs_words import exit_words, task_failure
from vidpipe.console.export import export_html
from vidpipe.console.graph import END, START, layout
from vidpipe.console.outcomes import default_iteration, iterations, state_views
from vidpipe.console.redact import REDACTED, pretty, redact
from vidpipe.console.results_view import clock, results_view
from vidpipe.console.templating import environment

HISTORY = REPO_ROOT / "tests" / "cli" / "events" / "history_analysis_retried_then_failed.json"


def _overlaps(a: object, b: object) -> bool:
    return not (
        a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y  # type: ignore[attr-defined]
    )


def test_pipeline_graph_has_every_state_nested_and_no_overlap() -> None:
    definition = json.loads((REPO_ROOT / "statemachine" / "pipeline.asl.json").read_text())
    graph = layout(json.dumps(definition))
    inner = definition["States"]["Jobs"]["ItemProcessor"]["States"]
    assert {n.id for n in graph.nodes} == {*definition["States"], *inner, START, END}
    parents = graph.parents()
    assert all(parents[name] == "Jobs" for name in inner) and parents["Prepare"] is None
    box = graph.node("Jobs")
    assert box is not None and box.container
    for name in inner:  # nested states drawn inside their Map
        node = graph.node(name)
        assert node and box.x < node.x and node.x + node.w < box.x + box.w and box.y < node.y < box.y + box.h
    flat = [n for n in graph.nodes if not n.container]
    assert not [(a.id, b.id) for i, a in enumerate(flat) for b in flat[i + 1 :] if _overlaps(a, b)]
    kinds = {(e.source, e.target): e.kind for e in graph.edges}
    catches = [t for (s, t), k in kinds.items() if k == "catch"]
    assert catches and all(t in inner or t in definition["States"] for t in catches)
    assert all(e.d.startswith("M") for e in graph.edges)


def test_any_definition_lays_out_choice_parallel_loops_and_fail() -> None:
    definition = {
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericGreaterThan": 3, "Next": "Both"}],
                "Default": "Wait",
            },
            "Wait": {"Type": "Wait", "Seconds": 1, "Next": "Check"},  # a loop back
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
                    {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}},
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Broken"}],
                "Next": "Done",
            },
            "Broken": {"Type": "Fail", "Error": "X"},
            "Done": {"Type": "Succeed"},
        },
    }
    graph = layout(json.dumps(definition))
    assert graph.parents()["A"] == graph.parents()["B"] == "Both"
    kinds = {(e.source, e.target): e.kind for e in graph.edges}
    assert kinds[("Check", "Both")] == "choice" and kinds[("Check", "Wait")] == "default"
    assert kinds[("Wait", "Check")] == "next" and kinds[("Both", "Broken")] == "catch"
    assert kinds[("Broken", END)] == kinds[("Done", END)] == "next"
    with pytest.raises(ValueError):
        layout("[]")


def test_outcomes_of_a_recorded_history_per_iteration() -> None:
    events = json.loads(HISTORY.read_text())
    timeline = build_timeline(events)
    item = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke"}
    inner = {"Claim": {**item, "Next": "AnalyzeOnDemand"}, "AnalyzeOnDemand": {**item, "Next": "Record"}}
    inner["Record"] = {**item, "End": True}
    definition = {  # the definition the recorded history ran (the pipeline's, as it was then)
        "StartAt": "Prepare",
        "States": {
            "Prepare": {**item, "Next": "Jobs"},
            "Jobs": {"Type": "Map", "ItemProcessor": {"StartAt": "Claim", "States": inner}, "End": True},
        },
    }
    graph = layout(json.dumps(definition))
    found = iterations(timeline)
    assert [(i.index, i.css) for i in found["Jobs"]] == [(0, "failed")]
    views = state_views(graph, timeline, default_iteration(found))
    assert views["Prepare"].css == "succeeded" and views["Claim"].css == "succeeded"
    assert views["AnalyzeOnDemand"].css == "failed" and views["AnalyzeOnDemand"].retries == 1
    assert views["AnalyzeOnDemand"].label == "✗ failed · 1 retry"
    assert views["Record"].css == "not-reached" and views["Record"].label == "○ not reached"
    assert state_views(graph, timeline, 7)["Claim"].css == "not-reached"  # no iteration 7


def test_a_missing_time_renders_as_a_dash() -> None:
    """A redriven execution that runs again has no stopDate: its row shows "-" (it was a 500 error)."""
    template = environment().from_string("{{ e.startDate|when }} {{ e.stopDate|when }}")
    assert template.render(e={"startDate": "2026-12-01T08:00:00.5Z"}) == "2026-12-01 08:00:00Z -"


def test_task_failures_in_words() -> None:
    cause = json.dumps(
        {
            "StopCode": "EssentialContainerExited",
            "Containers": [{"Name": "worker", "ExitCode": 137}],
            "TaskArn": "t",
        }
    )
    failure = task_failure(cause)
    assert failure and failure.stop_words == "the worker container exited"
    assert failure.containers == [("worker", 137, exit_words(137))] and "SIGKILL" in exit_words(137)
    assert exit_words(1).startswith("crashed") and exit_words(143).startswith("stopped by SIGTERM")
    assert exit_words(134) == "killed by SIGABRT" and exit_words(None).startswith("no exit code")
    assert task_failure("not json") is None and task_failure('{"errorMessage": "x"}') is None


def test_secrets_are_masked() -> None:
    document = {
        "TaskToken": "abc",
        "nested": [{"aws_secret_access_key": "s"}],
        "note": "key AKIAABCDEFGHIJKLMNOP",
    }
    assert redact(document) == {
        "TaskToken": REDACTED,
        "nested": [{"aws_secret_access_key": REDACTED}],
        "note": f"key {REDACTED}",
    }
    assert "AKIA" not in pretty("plain AKIAABCDEFGHIJKLMNOP text")
    assert pretty('{"a": 1}') == '{\n  "a": 1\n}'
    assert pretty("x" * 100, limit=10).startswith("x" * 10 + "\n…")


DOCUMENT = {
    "job_id": "j1",
    "input": {"uri": "s3://b/<b>k</b>.mp4"},
    "verdict": "analysed",
    "summary": {"duration_seconds": 4.0, "width": 320, "height": 180, "shots": 2},
    "analyzers": {
        "metadata": {"duration": 4.0, "display_width": 320, "display_height": 180},
        "shots": {
            "count": 2,
            "ranges": [
                {"index": 0, "start": 0.0, "end": 2.0, "thumbnail": "shots/000.jpg"},
                {"index": 1, "start": 2.0, "end": 4.0, "thumbnail": None},
            ],
        },
        "text": {
            "lines": [
                {"text": "<i>HI</i>", "start": 0.0, "end": 3.0, "score": 0.9},
                {"text": "B", "start": 1.0, "end": 2.0, "score": 0.8},
            ]
        },
        "faces": {
            "max_faces": 1,
            "ranges": [{"start": 0, "end": 2, "max_faces": 1}],
            "frames": [{"time": 0.0, "count": 1, "boxes": [[10, 20, 50, 80, 0.9]]}],
        },
        "speech": {"ranges": [], "speech_seconds": 0},
        "brightness": {"mean": 3},
    },
}


def test_results_as_pictures() -> None:
    view = results_view(DOCUMENT, lambda name: f"/img/{name}")
    assert [t.src for t in view.thumbs] == ["/img/shots/000.jpg", None]
    assert view.thumbs[0].boxes[0].w == 40 and view.thumbs[0].boxes[0].h == 60
    assert view.thumbs[1].boxes == [] and view.thumbs[1].texts == ["<i>HI</i>"]
    text_lane = next(lane for lane in view.lanes if lane.name == "on-screen text")
    assert text_lane.rows == 2  # overlapping lines on two rows
    assert view.other_sections == ["brightness"]
    assert clock(7.5) == "0:07.5" and clock(3723) == "1:02:03"


def test_exported_page_allows_only_its_own_style_and_embedded_images() -> None:
    html, csp = export_html(DOCUMENT, {"shots/000.jpg": b"\xff\xd8jpeg"}, None)
    css = re.search(r"<style>(.*?)</style>", html, re.S)
    assert css is not None
    digest = base64.b64encode(hashlib.sha256(css.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp and "script" not in csp.replace("default-src", "")
    assert f'content="{csp}"' in html.replace("&#39;", "'")
    assert "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8jpeg").decode() in html
    assert "<i>HI</i>" not in html and "&lt;i&gt;HI&lt;/i&gt;" in html
    assert "<script" not in html


def test_results_cli_saves_a_folder(tmp_path: Path) -> None:
    from vidpipe.cli.results import artifact_names, save, shot_rows, text_rows

    assert artifact_names(DOCUMENT) == ["shots/000.jpg"]
    assert artifact_names({"analyzers": {"shots": {"ranges": [{"thumbnail": "../x.jpg"}]}}}) == []
    path = save(DOCUMENT, {"shots/000.jpg": b"jpeg"}, tmp_path / "out")
    assert (
        path == tmp_path / "out" / "results.json"
        and (tmp_path / "out" / "shots" / "000.jpg").read_bytes() == b"jpeg"
    )
    assert [r["text"] for r in text_rows(DOCUMENT)] == ["<i>HI</i>", "B"]
    assert [r["time"] for r in shot_rows(DOCUMENT)] == ["0.0-2.0s", "2.0-4.0s"]


def test_an_executions_definition_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """What an execution ran never changes: the Execution page asks for it once per execution."""
    import boto3
    from moto import mock_aws

    from vidpipe.console.view_cache import definition_of

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
        machine = sfn.create_state_machine(
            name="read-once", definition=definition, roleArn="arn:aws:iam::123456789012:role/r"
        )["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
        calls: list[str] = []
        sfn.meta.events.register("before-call", lambda model, **_: calls.append(model.name))
        assert definition_of(sfn, arn, machine) == definition_of(sfn, arn, machine) == definition
    assert calls == ["DescribeStateMachineForExecution"]


def test_server_timing_names_each_section_in_milliseconds() -> None:
    from vidpipe.console.timing import Timings, parse_header

    timings = Timings()
    with timings.section("history"):
        pass
    with timings.section("a name, with; separators"):
        pass
    header = timings.header()
    assert re.fullmatch(r"history;dur=\d+\.\d, a-name--with--separators;dur=\d+\.\d", header), header
    assert set(parse_header(header)) == {"history", "a-name--with--separators"}
