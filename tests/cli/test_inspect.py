"""``jobs``, ``status``, ``executions`` and ``show`` against a real moto server."""

from __future__ import annotations

import json

from cli_stack import Stack, failed_job, put_job


def test_jobs_status_filter_and_json(cli, stack: Stack) -> None:
    failed = failed_job(stack)
    succeeded = put_job(stack, status="SUCCEEDED")
    result = cli("jobs", "--status", "failed", "--json")
    assert result.exit_code == 0, result.output
    ids = [r["job_id"] for r in json.loads(result.stdout)]
    assert failed["job_id"] in ids
    assert succeeded["job_id"] not in ids
    table = cli("jobs", "--status", "FAILED")
    assert failed["job_id"] in table.stdout and "Worker.Crashed" in table.stdout


def test_status_by_job_key_and_execution(cli, stack: Stack) -> None:
    job = failed_job(stack)
    for target in (
        job["job_id"],
        job["object_uri"],
        job["execution_arn"],
        job["execution_arn"].rsplit(":", 1)[1],
    ):
        result = cli("status", target, "--json")
        assert result.exit_code == 0, result.output
        [entry] = json.loads(result.stdout)
        assert entry["job"]["job_id"] == job["job_id"]
        assert entry["execution"]["status"] == "FAILED"
    text = cli("status", job["job_id"]).stdout
    assert "Worker.Crashed" in text and "local runtime" in text


def test_executions_and_show(cli, stack: Stack) -> None:
    job = failed_job(stack)
    name = job["execution_arn"].rsplit(":", 1)[1]
    listing = json.loads(cli("executions", "--status", "FAILED", "--since", "1h", "--json").stdout)
    assert name in [e["name"] for e in listing]
    shown = cli("show", name, "--json")
    assert shown.exit_code == 0, shown.output
    document = json.loads(shown.stdout)
    assert document["status"] == "FAILED"
    assert document["error"] == "Worker.Crashed"
    assert [s["state"] for s in document["states"]][:2] == ["Route", "IsReplay"]
    print(cli("show", name).stdout)


def test_listings_say_when_they_stop_at_the_limit(cli, stack: Stack) -> None:
    put_job(stack)
    put_job(stack)
    result = cli("jobs", "--limit", "1")
    assert result.exit_code == 0
    assert "first 1 shown; see more with --limit" in result.output
    assert len(json.loads(cli("jobs", "--limit", "1", "--json").stdout)) == 1
