"""``vidpipe replay`` against moto: dry runs change nothing and predict the run, restarts happen once,
finished jobs are left, an impossible ``--mode redrive`` fails."""

from __future__ import annotations

import json
import uuid

from cli_stack import Stack, failed_job, put_job, stand_in_execution

from vidpipe.cli.replay import NOT_IMPLEMENTED, probe_redrive
from vidpipe.contract.names import Output

RUN_OF = {"would-redrive": "redriven", "would-restart": "restarted"}


def _redrive_on_this_moto(stack: Stack) -> str | None:
    """What the endpoint answers to RedriveExecution, asked directly (the ground truth for the probe)."""
    from botocore.exceptions import ClientError

    sfn = stack.client("stepfunctions")
    arn = stack.outputs[Output.STATE_MACHINE_ARN].replace(":stateMachine:", ":execution:") + ":nothing-here"
    try:
        sfn.redrive_execution(executionArn=arn)
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return None


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


def test_the_probe_agrees_with_the_endpoint(stack: Stack) -> None:
    """On moto without RedriveExecution the runtime's server answers UnknownOperationException; once the
    local runtime implements it, ExecutionDoesNotExist: the probe reads both."""
    code = _redrive_on_this_moto(stack)
    found = probe_redrive(stack.client("stepfunctions"), stack.outputs[Output.STATE_MACHINE_ARN], local=True)
    assert code in ("UnknownOperationException", "ExecutionDoesNotExist"), code
    assert found == (None if code == "ExecutionDoesNotExist" else NOT_IMPLEMENTED)


def test_dry_run_predicts_exactly_what_the_run_does(cli, stack: Stack) -> None:
    token = uuid.uuid4().hex
    job = failed_job(stack, cause=f"crash {token}")
    dry = _rows(cli("replay", "--failed", "--error", token, "--dry-run", "--json"))[job["job_id"]]
    real = _rows(cli("replay", "--failed", "--error", token, "--json"))[job["job_id"]]
    assert RUN_OF[dry["action"]] == real["action"], (dry, real)
    assert dry["reason"] == real["reason"]
    supported = _redrive_on_this_moto(stack) == "ExecutionDoesNotExist"
    assert dry["action"] == ("would-redrive" if supported else "would-restart")


def test_impossible_redrive_mode_fails_with_the_reason(cli, stack: Stack) -> None:
    """``--mode redrive`` where redrive is impossible on any endpoint (the job's execution SUCCEEDED): exit 1,
    ``cannot-redrive`` with the reason, dry run or not, and nothing started."""
    arn, status = stand_in_execution(stack, "replay-done-")  # the stand-in lets replays succeed
    assert status == "SUCCEEDED"
    job = put_job(stack, status="FAILED", error="Worker.Crashed", cause="crashed", execution_arn=arn)
    before = _executions(stack)
    for extra in ((), ("--dry-run",)):
        result = cli("replay", job["job_id"], "--mode", "redrive", *extra, "--json")
        assert result.exit_code == 1, result.output
        [row] = json.loads(result.stdout)
        assert row["action"] == "cannot-redrive"
        assert row["reason"] == "cannot redrive: a SUCCEEDED execution cannot be redriven"
        assert "Error: 1 of 1 jobs cannot be redriven" in result.stderr
    assert _executions(stack) == before


def test_replay_failed_dry_run_changes_nothing(cli, stack: Stack) -> None:
    token = uuid.uuid4().hex
    job = failed_job(stack, cause=f"crash {token}")
    before_executions, before_item = _executions(stack), _job(stack, job["job_id"])
    rows = _rows(cli("replay", "--failed", "--error", token, "--dry-run", "--json"))
    assert rows[job["job_id"]]["action"] in ("would-redrive", "would-restart")
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
    assert result.exit_code == 2
    assert "give TARGET... or --failed" in result.output
    assert "Traceback" not in result.output
