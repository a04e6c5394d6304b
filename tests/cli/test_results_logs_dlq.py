"""``results``, ``logs``, ``dlq show|redrive`` and ``analyze`` against moto (analyze on a real clip)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from cli_stack import Stack, failed_job, put_job

from vidpipe.cli.dlq import summarize
from vidpipe.contract.names import Output

DOCUMENT = {
    "schema_version": 1,
    "job_id": "x",
    "input": {"uri": "s3://b/k.mp4"},
    "verdict": "analysed",
    "complete": True,
    "summary": {"verdict": "analysed", "duration_seconds": 12.0, "width": 640, "height": 360, "shots": 6},
    "analyzers": {
        "shots": {"count": 6, "ranges": [{"start": 2.0 * i, "end": 2.0 * i + 2} for i in range(6)]},
        "metadata": {"codec": "h264", "ranges": [{"start": 0.0, "end": 12.0}]},
    },
    "created_at": "2026-11-23T03:46:35Z",
}


def _job_with_results(stack: Stack) -> dict:
    job_key = f"jobs/{uuid.uuid4().hex}/results.json"
    bucket = stack.outputs[Output.RESULTS_BUCKET]
    stack.client("s3").put_object(Bucket=bucket, Key=job_key, Body=json.dumps(DOCUMENT).encode())
    return put_job(
        stack, status="SUCCEEDED", results_uri=f"s3://{bucket}/{job_key}", summary=DOCUMENT["summary"]
    )


def test_results_summary_json_and_out(cli, stack: Stack, tmp_path: Path) -> None:
    job = _job_with_results(stack)
    text = cli("results", job["job_id"])
    assert text.exit_code == 0, text.output
    assert "analysed" in text.stdout and "6: 0.0-2.0s, 2.0-4.0s, 4.0-6.0s, 6.0-8.0s (+2 more)" in text.stdout
    assert json.loads(cli("results", job["object_uri"], "--json").stdout) == DOCUMENT
    out = tmp_path / "r" / "results.json"
    assert cli("results", job["job_id"], "--out", str(out)).exit_code == 0
    assert json.loads(out.read_text()) == DOCUMENT


def test_results_of_a_failed_job_says_why(cli, stack: Stack) -> None:
    job = failed_job(stack)
    result = cli("results", job["job_id"])
    assert result.exit_code == 1
    assert "it FAILED (Worker.Crashed)" in result.output


def test_logs_from_the_task_stream(cli, stack: Stack) -> None:
    task_id = uuid.uuid4().hex
    job = put_job(stack, task_arn=f"arn:aws:ecs:us-east-1:123456789012:task/vidpipe/{task_id}")
    logs = stack.client("logs")
    group, stream = stack.outputs[Output.WORKER_LOG_GROUP], f"worker/worker/{task_id}"
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[
            {"timestamp": now, "message": "decoding [1/2]"},
            {"timestamp": now + 1, "message": "verdict analysed"},
        ],
    )
    result = cli("logs", job["job_id"])
    assert result.exit_code == 0, result.output
    assert " worker decoding [1/2]" in result.stdout and " worker verdict analysed" in result.stdout
    document = json.loads(cli("logs", job["job_id"], "--json").stdout)
    assert document["log_stream"] == stream and len(document["events"]) == 2
    assert {e["source"] for e in document["events"]} == {"worker"}


def _lambda_function(stack: Stack, name: str, group: str) -> None:
    """A function of the stand-in stack, named as CloudFormation names them, with its own log group."""
    import io
    import zipfile

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("handler.py", "def handler(event, context):\n    return event\n")
    role = stack.client("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument="{}")["Role"][
        "Arn"
    ]
    stack.client("lambda").create_function(
        FunctionName=name, Runtime="python3.11", Role=role, Handler="handler.handler",
        Code={"ZipFile": archive.getvalue()}, LoggingConfig={"LogGroup": group},
    )  # fmt: skip
    stack.client("logs").create_log_group(logGroupName=group)


def test_logs_show_the_handlers_lines_about_the_job(cli, stack: Stack) -> None:
    """Locally the Lambda handlers' lines went only to the runtime's stdout; `vidpipe logs` shows the lines
    of the stack's functions that name the job or its execution, merged with the worker's by time."""
    suffix = uuid.uuid4().hex[:8].upper()
    group = f"/{stack.name}/PrepareLogs{suffix}"
    _lambda_function(stack, f"{stack.name}-PrepareFunction{suffix}", group)
    job = failed_job(stack)
    execution = job["execution_arn"].rsplit(":", 1)[1]
    logs = stack.client("logs")
    stream = f"2026/12/01/[$LATEST]{uuid.uuid4().hex}"
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    lines = [
        "START RequestId: r1 Version: $LATEST",
        json.dumps({"message": "prepared", "jobs": [job["job_id"]]}),
        json.dumps({"message": "prepared", "jobs": ["someone-else"]}),
        json.dumps({"message": "execution ended", "execution_arn": job["execution_arn"]}),
        f"weird [bold]{execution}[/] :fire: line",
    ]
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": now + i, "message": line} for i, line in enumerate(lines)],
    )
    result = cli("logs", job["job_id"], "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [e["message"] for e in document["events"]] == [lines[1], lines[3], lines[4]]
    assert {e["source"] for e in document["events"]} == {"Prepare"}
    assert {e["log_group"] for e in document["events"]} == {group}
    table = cli("logs", job["job_id"])
    assert table.exit_code == 0, table.output
    assert f" Prepare weird [bold]{execution}[/] :fire: line" in table.stdout  # literally
    assert "someone-else" not in table.stdout
    only = cli("logs", job["job_id"], "--worker-only")
    assert only.exit_code == 1 and "has no worker task" in only.output


def test_logs_without_a_task(cli, stack: Stack) -> None:
    job = put_job(stack, status="RECEIVED")
    result = cli("logs", job["job_id"])
    assert result.exit_code == 1
    assert "has no worker task" in result.output


def _s3_event(key: str) -> str:
    return json.dumps(
        {
            "Records": [
                {
                    "eventName": "ObjectCreated:Put",
                    "eventTime": "2026-11-23T03:00:00.000Z",
                    "s3": {"bucket": {"name": "videos"}, "object": {"key": key, "size": 1}},
                }
            ]
        }
    )


def test_dlq_show_and_redrive_a_poisoned_message(cli, stack: Stack) -> None:
    sqs = stack.client("sqs")
    dlq, queue = stack.outputs[Output.DLQ_URL], stack.outputs[Output.QUEUE_URL]
    sqs.send_message(QueueUrl=dlq, MessageBody=_s3_event("red+flower.mp4"))
    sqs.send_message(QueueUrl=dlq, MessageBody="{poisoned")
    shown = json.loads(cli("dlq", "show", "--json").stdout)
    assert {row["key"] for row in shown} == {"s3://videos/red flower.mp4", None}
    assert len(json.loads(cli("dlq", "show", "--json").stdout)) == 2  # show leaves them in place
    dry = json.loads(cli("dlq", "redrive", "--dry-run", "--json").stdout)
    assert {row["action"] for row in dry} == {"would-move"}
    moved = json.loads(cli("dlq", "redrive", "--json").stdout)
    assert sorted(row["action"] for row in moved) == ["moved", "moved"]
    assert cli("dlq", "show").stdout.strip() == "the dead-letter queue is empty"
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]]
    assert sorted(bodies) == sorted([_s3_event("red+flower.mp4"), "{poisoned"])


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"Service":"Amazon S3","Event":"s3:TestEvent"}', {"key": None, "event": "s3:TestEvent"}),
        ("[1, 2]", {"key": None, "event": "no Records"}),
        ("", {"key": None, "event": "not JSON"}),
    ],
)
def test_dlq_summaries_of_odd_bodies(body: str, expected: dict) -> None:
    assert summarize(body).items() >= expected.items()


def test_analyze_a_local_clip(cli, tmp_path: Path) -> None:
    pytest.importorskip("av")
    from vidpipe.clipgen.demo import make_demo_clip

    clip = tmp_path / "demo.mp4"
    make_demo_clip(clip)
    out = tmp_path / "results.json"
    result = cli("analyze", str(clip), "--analyzers", "metadata,shots", "--out", str(out))
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["verdict"] == "analysed" and document["summary"]["shots"] >= 1
    assert "analysed" in result.stdout


def test_unknown_analyzer_is_a_usage_error_naming_the_known_ones(cli, tmp_path: Path) -> None:
    """`--analyzers metadata,shotz` reported the video as rejected (invalid_options, exit 3)."""
    pytest.importorskip("av")
    clip = tmp_path / "any.mp4"
    clip.write_bytes(b"not even looked at")
    result = cli("analyze", str(clip), "--analyzers", "metadata,shotz")
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert line.startswith("Error: invalid analyzer options: unknown analyzer 'shotz'")
    assert "metadata, shots, text, faces, speech" in line


def test_analyze_missing_file(cli, tmp_path: Path) -> None:
    result = cli("analyze", str(tmp_path / "missing.mp4"))
    assert result.exit_code == 2
    assert "no such file" in result.output and "Traceback" not in result.output
