"""``vidpipe replay`` against moto: dry runs change nothing, restarts happen once, finished jobs are left."""

from __future__ import annotations

import json
import uuid

from cli_stack import Stack, failed_job, put_job

from vidpipe.contract.names import Output


def _executions(stack: Stack) -> set[str]:
    sfn = stack.client("stepfunctions")
    pages = sfn.get_paginator("list_executions").paginate(
        stateMachineArn=stack.outputs[Output.STATE_MACHINE_ARN]
    )
    return {e["executionArn"] for page in pages for e in page["executions"]}


def _job(stack: Stack, job_id: str) -> dict:
    return stack.client("dynamodb").get_item(
        TableName=stack.outputs[Output.JOB_TABLE], Key={"job_id": {"S": job_id}}
    )["Item"]


def _rows(result) -> dict[str, dict]:
    assert result.exit_code == 0, result.output
    return {row["job"]: row for row in json.loads(result.stdout)}


def test_replay_failed_dry_run_changes_nothing(cli, stack: Stack) -> None:
    token = uuid.uuid4().hex
    job = failed_job(stack, cause=f"crash {token}")
    before_executions, before_item = _executions(stack), _job(stack, job["job_id"])
    rows = _rows(cli("replay", "--failed", "--error", token, "--dry-run", "--json"))
    assert rows[job["job_id"]]["action"] == "would-redrive"
    assert _executions(stack) == before_executions
    assert _job(stack, job["job_id"]) == before_item
    restart = _rows(cli("replay", job["job_id"], "--mode", "restart", "--dry-run", "--json"))
    assert restart[job["job_id"]]["action"] == "would-restart"
    assert _executions(stack) == before_executions


def test_replay_failed_restarts_once(cli, stack: Stack) -> None:
    token = uuid.uuid4().hex
    job = failed_job(stack, cause=f"crash {token}")
    original_input = stack.client("stepfunctions").describe_execution(executionArn=job["execution_arn"])[
        "input"
    ]
    first = _rows(cli("replay", "--failed", "--error", token, "--mode", "restart", "--json"))[job["job_id"]]
    assert first["action"] == "restarted", first
    assert "restart requested" in first["reason"]
    new = stack.client("stepfunctions").describe_execution(executionArn=first["new_execution"])
    assert new["name"].startswith(f"replay-{job['job_id']}-")
    assert new["input"] == original_input
    # The restart is still running: a second replay (by job, key or --failed) does nothing.
    for again in (("--failed", "--error", token), (job["job_id"],), (job["object_uri"],)):
        second = _rows(cli("replay", *again, "--json"))[job["job_id"]]
        assert second["action"] == "skipped"
        assert "already being replayed" in second["reason"]
    assert len([a for a in _executions(stack) if f"replay-{job['job_id']}" in a]) == 1


def test_replay_never_replays_a_finished_job(cli, stack: Stack) -> None:
    job = put_job(stack, status="SUCCEEDED")
    before = _executions(stack)
    rows = _rows(cli("replay", job["job_id"], "--mode", "restart", "--json"))
    assert rows[job["job_id"]]["action"] == "skipped"
    assert "already SUCCEEDED" in rows[job["job_id"]]["reason"]
    assert _executions(stack) == before
    table = cli("replay", job["job_id"])
    assert "skipped" in table.stdout


def test_replay_needs_targets_or_failed(cli) -> None:
    result = cli("replay")
    assert result.exit_code == 1
    assert "give TARGET... or --failed" in result.output
    assert "Traceback" not in result.output
