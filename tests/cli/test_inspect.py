"""``jobs``, ``status``, ``executions`` and ``show`` against a real moto server: targets as a person types
them (job-id prefixes, bare keys, s3:// without the hashed bucket name), JSON as data, --query."""

from __future__ import annotations

import json
import re
import uuid

from cli_stack import Stack, failed_job, put_job

ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


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
        entry = json.loads(result.stdout)  # one object, not an array of one
        assert entry["job"]["job_id"] == job["job_id"]
        assert entry["execution"]["status"] == "FAILED"
    text = cli("status", job["job_id"]).stdout
    assert "Worker.Crashed" in text and "local runtime" in text


def test_executions_and_show(cli, stack: Stack) -> None:
    job = failed_job(stack)
    name = job["execution_arn"].rsplit(":", 1)[1]
    listing = json.loads(cli("executions", "--status", "FAILED", "--since", "1h", "--json").stdout)
    [row] = [e for e in listing if e["name"] == name]
    assert ISO_Z.match(row["start_date"]) and ISO_Z.match(row["stop_date"])
    assert isinstance(row["duration_seconds"], float) and "duration" not in row and "started" not in row
    shown = cli("show", name, "--json")
    assert shown.exit_code == 0, shown.output
    document = json.loads(shown.stdout)
    assert document["status"] == "FAILED"
    assert document["error"] == "Worker.Crashed"
    assert [s["state"] for s in document["states"]][:2] == ["Route", "IsReplay"]
    first = document["states"][0]
    assert 0 <= first["at_seconds"] < 1 and ISO_Z.match(first["entered"]) and "at" not in first
    # show takes a job too (its latest execution), as status, results and logs do
    for target in (job["job_id"], job["job_id"][:8], job["object_uri"], job["key"]):
        by_job = cli("show", target, "--json")
        assert by_job.exit_code == 0, by_job.output
        assert json.loads(by_job.stdout)["execution_arn"] == job["execution_arn"]
    table = cli("show", name).stdout
    assert ISO_Z.match(table.split("started", 1)[1].split()[0])


def test_json_carries_data_and_tables_use_the_same_time_format(cli, stack: Stack) -> None:
    job = put_job(stack, created_at="2026-11-23T04:03:54.373367+00:00", summary={"duration_seconds": 44.4})
    record = json.loads(cli("status", job["job_id"], "--json").stdout)["job"]
    assert record["created_at"] == "2026-11-23T04:03:54.373Z"  # written as +00:00, shown as the one format
    assert ISO_Z.match(record["updated_at"])
    assert record["summary"]["duration_seconds"] == 44.4
    table = cli("status", job["job_id"]).stdout
    assert "2026-11-23T04:03:54.373Z" in table and "+00:00" not in table


def test_query_narrows_json_and_tables(cli, stack: Stack) -> None:
    job = put_job(stack, status="REJECTED", reason="not a video")
    ids = json.loads(cli("jobs", "--status", "REJECTED", "--query", "[].job_id", "--output", "json").stdout)
    assert job["job_id"] in ids
    one = cli("status", job["job_id"], "--query", "job.status")
    assert one.exit_code == 0 and one.stdout.strip() == "REJECTED"
    listed = cli("jobs", "--status", "REJECTED", "--query", "[].{id: job_id, why: reason}")
    assert job["job_id"] in listed.stdout and "not a video" in listed.stdout and "WHY" in listed.stdout


def test_targets_a_person_types(cli, stack: Stack) -> None:
    """A job-id prefix and a bare key were read as execution names; s3:// needed the hashed bucket name."""
    key = f"real/{uuid.uuid4().hex[:6]} clip.mp4"
    job = put_job(stack, key=key)
    for target in (job["job_id"][:8], job["job_id"][:12], key):
        result = cli("status", target, "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["job"]["job_id"] == job["job_id"]
    for alias in (f"s3://videos/{key}", f"s3://real/{key.split('/', 1)[1]}"):
        result = cli("status", alias, "--json")
        assert result.exit_code == 0, (alias, result.output)
        assert json.loads(result.stdout)["job"]["job_id"] == job["job_id"]


def test_ambiguous_job_id_prefix_lists_the_candidates(cli, stack: Stack) -> None:
    jobs = [put_job(stack, job_id=f"cafe{uuid.uuid4().hex[:20]}", key=f"amb/{i}.mp4") for i in range(2)]
    result = cli("status", "cafe")
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert line.startswith("Error: job id prefix cafe is ambiguous")
    for job in jobs:
        assert job["job_id"] in line and job["key"] in line


def test_listings_say_when_they_stop_at_the_limit(cli, stack: Stack) -> None:
    put_job(stack)
    put_job(stack)
    result = cli("jobs", "--limit", "1")
    assert result.exit_code == 0
    assert "first 1 shown; see more with --limit" in result.output
    assert len(json.loads(cli("jobs", "--limit", "1", "--json").stdout)) == 1
