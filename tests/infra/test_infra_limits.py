"""Settings that would break an AWS limit are rejected; the bounds are derived from real records and the ASL."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from moto import mock_aws

from infra import history_budget, payload_budget
from infra.paths import REPO_ROOT
from infra.settings import SettingsError, load_settings
from infra.settings_rules import ACQUIRE_SLOT_STATE

EVENTS = REPO_ROOT / "tests" / "events"
ASL = REPO_ROOT / "statemachine" / "pipeline.asl.json"
MAX_KEY_BYTES = 1024  # S3 object keys: up to 1,024 bytes of UTF-8
MAX_VERSION_ID = (
    "3sL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo" * 16
)  # <= 1,024 bytes, URL-ready
WORST_KEYS = {
    "control characters, a video": "\x01" * (MAX_KEY_BYTES - 4) + ".mp4",
    "control characters, not a video": "\x01" * MAX_KEY_BYTES,
    "4-byte characters, a video": "\U0001f600" * ((MAX_KEY_BYTES - 4) // 4) + ".mp4",
    "2-byte characters, not a video": "é" * (MAX_KEY_BYTES // 2),
    "quotes and backslashes, a video": '\\"' * ((MAX_KEY_BYTES - 4) // 2) + ".mp4",
    "ASCII, a video": "a" * (MAX_KEY_BYTES - 4) + ".mp4",
}


def _problems(**context: Any) -> list[str]:
    try:
        load_settings({f"vidpipe:{k}": v for k, v in context.items()})
    except SettingsError as error:
        return error.problems
    return []


# -- worst-case payloads, from the real samples --------------------------------------------------------------
def worst_sqs_record(key: str, version: str) -> dict[str, Any]:
    """tests/events' SQS record with one S3 event, every variable field at its maximum."""
    event = json.loads((EVENTS / "s3_object_created.json").read_text())
    s3_record = event["Records"][0]
    s3_record.update({
        "eventName": "ObjectCreated:CompleteMultipartUpload",
        "awsRegion": "ap-southeast-5" + "x" * 6,
        "userIdentity": {"principalId": "AWS:" + "P" * 124},  # AWS:<role id>:<session name (<= 64)>
        "requestParameters": {"sourceIPAddress": "f" * 64},
        "responseElements": {"x-amz-request-id": "R" * 32, "x-amz-id-2": "I" * 128},
    })  # fmt: skip
    s3_record["s3"].update({
        "configurationId": "C" * 255,
        "bucket": {"name": "b" * 63, "ownerIdentity": {"principalId": "O" * 64},
                   "arn": "arn:aws-us-gov:s3:::" + "b" * 63},
        "object": {"key": quote_plus(key, safe=""), "size": 5 * 1024**4, "eTag": "e" * 32 + "-10000",
                   "versionId": version, "sequencer": "S" * 32},
    })  # fmt: skip
    record = json.loads((EVENTS / "pipe_record.json").read_text())
    record.update({
        "receiptHandle": "h" * 1024,  # SQS documents no maximum: budgeted
        "body": json.dumps(event),
        "attributes": {"ApproximateReceiveCount": "1000", "SentTimestamp": "1" * 13, "SenderId": "S" * 128,
                       "ApproximateFirstReceiveTimestamp": "1" * 13, "AWSTraceHeader": "T" * 128},
        "md5OfBody": "m" * 32,
        "eventSourceARN": "arn:aws-us-gov:sqs:" + "r" * 20 + ":123456789012:" + "q" * 80,
        "awsRegion": "r" * 20,
    })  # fmt: skip
    return record


def test_worst_keys_are_s3_keys() -> None:
    for name, key in WORST_KEYS.items():
        assert len(key.encode("utf-8")) <= MAX_KEY_BYTES, name
    assert len(MAX_VERSION_ID) == 1024


def test_record_constant_covers_the_worst_sqs_record() -> None:
    """The pipe sends the records as JSON; each record at its largest stays within WORST_RECORD_CHARS."""
    sizes = {name: len(json.dumps(worst_sqs_record(key, MAX_VERSION_ID))) for name, key in WORST_KEYS.items()}
    typical = json.loads((EVENTS / "pipe_record.json").read_text())
    typical["body"] = (EVENTS / "s3_object_created.json").read_text()
    assert 1_000 < len(json.dumps(typical)) < 2_500  # "about 2 KB" with an ordinary key
    assert all(json.dumps(worst_sqs_record(k, MAX_VERSION_ID)).isascii() for k in WORST_KEYS.values())
    worst = max(sizes.values())
    assert worst <= payload_budget.WORST_RECORD_CHARS <= worst * 1.05, sizes


@pytest.fixture(scope="module")
def prepare_entry_sizes() -> dict[str, int]:
    """Run the real Prepare on moto for a batch of one worst record, per key and object outcome; the size of
    its output (UTF-8 and ASCII-escaped JSON: python3.14's Lambda runtime returns Unicode unescaped, older
    serializers escape it)."""
    from tasks.job_table import JobTable
    from tasks.prepare import prepare

    sizes: dict[str, int] = {}
    empty = len(json.dumps({"jobs": [], "skipped": []}))
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        s3.create_bucket(Bucket="b" * 63)
        s3.put_bucket_versioning(Bucket="b" * 63, VersioningConfiguration={"Status": "Enabled"})
        dynamodb.create_table(
            TableName="jobs", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "job_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "job_id", "AttributeType": "S"}],
        )  # fmt: skip
        present = "a" * 1020 + ".mp4"
        s3.put_object(Bucket="b" * 63, Key=present, Body=b"\x00" * 16)
        for name, key in {**WORST_KEYS, "an existing object": present}.items():
            version = (
                MAX_VERSION_ID if key != present else s3.head_object(Bucket="b" * 63, Key=key)["VersionId"]
            )
            event = {"records": [worst_sqs_record(key, version)], "execution_arn": "arn:" + "x" * 250}
            output = prepare(event, s3, JobTable(dynamodb, "jobs"), "r" * 63, 2**31)
            assert len(output["jobs"]) + len(output["skipped"]) == 1
            for ensure_ascii in (True, False):
                text = json.dumps(output, ensure_ascii=ensure_ascii)
                sizes[f"{name}, ascii={ensure_ascii}"] = len(text.encode("utf-8")) - empty
    return sizes


def test_prepare_constant_covers_the_worst_prepare_entry(prepare_entry_sizes: dict[str, int]) -> None:
    worst = max(prepare_entry_sizes.values())
    assert (
        worst == prepare_entry_sizes["control characters, a video, ascii=True"]
    )  # a missing object's rejection
    assert worst <= payload_budget.WORST_PREPARE_ENTRY_BYTES <= worst * 1.05, prepare_entry_sizes
    assert prepare_entry_sizes["ASCII, a video, ascii=True"] < 8_000


def test_batch_bounds_follow_from_the_constants() -> None:
    assert payload_budget.max_records_in_pipe_payload() == 34
    assert payload_budget.max_records_in_prepare_output() == 9
    records = [worst_sqs_record(WORST_KEYS["control characters, a video"], MAX_VERSION_ID)] * 34
    assert len(json.dumps(records)) <= payload_budget.PIPE_TARGET_PAYLOAD_CHARS - 1_024


def test_batch_size_over_the_payload_limits_is_rejected_with_the_limit() -> None:
    problems = _problems(pipeBatchSize=35, pipeMaximumBatchingWindowSeconds=1)
    pipe = [p for p in problems if "262,144-character payload" in p]
    assert len(pipe) == 1 and "eb-pipes-batching-concurrency.html" in pipe[0]
    assert pipe[0].endswith("Set pipeBatchSize to at most 34")
    output = [p for p in problems if "state output of Prepare's job list" in p]
    assert len(output) == 1 and "step-functions/latest/dg/limits.html" in output[0]
    assert output[0].endswith("Set pipeBatchSize to at most 9")
    assert not [p for p in _problems(pipeBatchSize=9) if "payload" in p or "state output" in p]


# -- execution history ---------------------------------------------------------------------------------------
def test_history_events_of_a_small_definition() -> None:
    """Counted by hand: execution 2; Prepare 2 + 3 x (1 + 4); Map 2 + 2 + n x (2 + iteration); iteration =
    Claim 2 + 3 x (1 + 3 default) -> (Catch) Fallback 2 + 4 x (1 + 1 + 2) -> Fail 1, or Claim -> Done 2."""
    definition = {"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Jobs",
                    "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 4}]},
        "Jobs": {"Type": "Map", "End": True, "ItemProcessor": {"StartAt": "Claim", "States": {
            "Claim": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:updateItem", "Next": "Done",
                      "Retry": [{"ErrorEquals": ["X"]}],
                      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Fallback"}]},
            "Fallback": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync", "Next": "Failed",
                         "Retry": [{"ErrorEquals": ["A"], "MaxAttempts": 1}, {"ErrorEquals": ["B"], "MaxAttempts": 2}]},
            "Failed": {"Type": "Fail", "Error": "E"},
            "Done": {"Type": "Pass", "Next": "Claim", "Comment": "a loop back ends the path"},
        }}},
    }}  # fmt: skip
    iteration = (2 + 3 * 4) + (2 + 4 * 4) + 1
    assert history_budget.worst_path(definition["States"]["Jobs"]["ItemProcessor"], 1) == iteration
    for n in (0, 1, 10):
        assert history_budget.execution_events(definition, n) == 2 + (2 + 3 * 5) + (4 + n * (2 + iteration))
    distributed = copy.deepcopy(definition)
    distributed["States"]["Jobs"]["ItemProcessor"]["ProcessorConfig"] = {"Mode": "DISTRIBUTED"}
    assert history_budget.execution_events(distributed, 1000) == 2 + 17 + 6


def _asl_copy(tmp_path: Path, change: Any) -> str:
    definition = json.loads(ASL.read_text())
    change(history_budget.find_state(definition, ACQUIRE_SLOT_STATE), definition)
    path = tmp_path / "pipeline.asl.json"
    path.write_text(json.dumps(definition))
    return str(path)


def test_the_history_rule_reads_the_deployed_asl() -> None:
    definition = json.loads(ASL.read_text())
    fits = history_budget.max_iterations(definition, history_budget.REDRIVE_EVENT_LIMIT, 10_000)
    assert fits >= 1
    assert (
        history_budget.execution_events(definition, fits)
        < 24_999
        <= history_budget.execution_events(definition, fits + 1)
    )
    window = {"pipeMaximumBatchingWindowSeconds": 1}
    assert not [p for p in _problems(pipeBatchSize=fits, **window) if "history" in p]
    (problem,) = [p for p in _problems(pipeBatchSize=fits + 1, **window) if "history" in p]
    assert problem.startswith(
        f"vidpipe:pipeBatchSize: {fits + 1} jobs can make one execution's history reach"
    )
    assert "statemachine/pipeline.asl.json" in problem and "25,000 events" in problem and "24,999" in problem
    assert problem.endswith(f"Set pipeBatchSize to at most {fits}")


def test_the_history_rule_follows_the_definition(tmp_path: Path) -> None:
    """A larger retry budget in the ASL lowers the batch size it allows; a huge one allows no batch at all."""
    before = json.loads(ASL.read_text())
    fits = history_budget.max_iterations(before, history_budget.REDRIVE_EVENT_LIMIT, 10_000)

    def more_retries(state: dict[str, Any], _definition: dict[str, Any]) -> None:
        state["Retry"] = [*state.get("Retry", []), {"ErrorEquals": ["Custom.Error"], "MaxAttempts": 2000}]

    path = _asl_copy(tmp_path, more_retries)
    after = json.loads(Path(path).read_text())
    assert history_budget.max_iterations(after, history_budget.REDRIVE_EVENT_LIMIT, 10_000) < fits
    problems = _problems(stateMachineDefinition=path, pipeBatchSize=fits)
    assert any(p.startswith(f"vidpipe:pipeBatchSize: {fits} jobs can make") for p in problems), problems

    def absurd(state: dict[str, Any], _definition: dict[str, Any]) -> None:
        state["Retry"] = [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 99999}]

    (problem,) = _problems(stateMachineDefinition=_asl_copy(tmp_path, absurd), pipeBatchSize=1)
    assert problem.endswith("Even one job is too many: lower the retry budgets (MaxAttempts) in the ASL")


def test_an_unreadable_definition_is_reported(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    (problem,) = _problems(stateMachineDefinition=str(tmp_path / "bad.json"))
    assert problem.startswith("vidpipe:stateMachineDefinition: cannot read the ASL file")
    (tmp_path / "placeholder.json").write_text(json.dumps(
        {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "r", "End": True,
                                        "Retry": [{"ErrorEquals": ["X"], "MaxAttempts": "${Attempts}"}]}}}
    ))  # fmt: skip
    (problem,) = _problems(stateMachineDefinition=str(tmp_path / "placeholder.json"))
    assert "MaxAttempts must be an integer in the file" in problem


# -- the slot wait, the analysis timeout, Spot on ARM64 ------------------------------------------------------
def _bounded_wait(attempts: int) -> Any:
    def change(state: dict[str, Any], _definition: dict[str, Any]) -> None:
        state["TimeoutSeconds"] = 3600
        state["Retry"] = [
            {"ErrorEquals": ["States.Timeout"], "MaxAttempts": attempts},
            *state.get("Retry", []),
        ]

    return change


def test_slot_wait_must_cover_the_execution_timeout(tmp_path: Path) -> None:
    path = _asl_copy(tmp_path, _bounded_wait(23))  # 24 waits of slotWaitSeconds
    assert _problems(stateMachineDefinition=path, slotWaitSeconds=3600) == []  # 24 x 3600 = 86400
    (problem,) = _problems(stateMachineDefinition=path, slotWaitSeconds=3599)
    assert problem == (
        f"vidpipe:slotWaitSeconds: 3599 s x (1 + 23 States.Timeout retries of AcquireSlot in {path}) = "
        "86376 s does not cover executionTimeoutSeconds 86400 s: a job still waiting for a slot would fail "
        "with States.Timeout before the execution times out. Set slotWaitSeconds to at least 3600, or raise "
        "that retrier's MaxAttempts"
    )
    assert _problems(stateMachineDefinition=path, slotWaitSeconds=60, executionTimeoutSeconds=1440) == []


def test_slot_wait_reads_the_first_retrier_that_matches_a_timeout(tmp_path: Path) -> None:
    def catch_all_first(state: dict[str, Any], _definition: dict[str, Any]) -> None:
        state["TimeoutSeconds"] = 3600
        state["Retry"] = [
            {"ErrorEquals": ["States.ALL"]},
            {"ErrorEquals": ["States.Timeout"], "MaxAttempts": 99},
        ]

    path = _asl_copy(tmp_path, catch_all_first)  # States.ALL (MaxAttempts 3 by default) handles the timeout
    (problem,) = _problems(stateMachineDefinition=path)
    assert "3600 s x (1 + 3 States.Timeout retries" in problem and "at least 21600" in problem


def test_slot_wait_is_not_checked_without_a_bounded_wait_in_the_asl() -> None:
    """Today's AcquireSlot has no TimeoutSeconds (it polls with retries): slotWaitSeconds is not used."""
    state = history_budget.find_state(json.loads(ASL.read_text()), ACQUIRE_SLOT_STATE)
    if state is not None and {"TimeoutSeconds", "TimeoutSecondsPath"} & set(state):
        pytest.skip("the deployed AcquireSlot has a bounded wait: the rule applies (see the tests above)")
    assert _problems(slotWaitSeconds=60) == []


def test_analysis_timeout_must_cover_the_longest_video() -> None:
    assert _problems(analysisTimeoutSeconds=7800) == []  # 7200 s at real time + 600 s
    (problem,) = _problems(analysisTimeoutSeconds=7799)
    assert problem == (
        "vidpipe:analysisTimeoutSeconds: 7799 s does not cover the longest video the worker accepts: "
        "workerMaxDurationSeconds 7200 s at the worker's design speed of 1x real time + 600 s to start the "
        "task and fetch the video = 7800 s. Set analysisTimeoutSeconds to at least 7800, or lower "
        "workerMaxDurationSeconds"
    )
    assert _problems(analysisTimeoutSeconds=700, workerMaxDurationSeconds=100) == []


def test_arm64_workers_cannot_use_fargate_spot() -> None:
    (problem,) = _problems(workerArchitecture="ARM64")
    assert problem == (
        'vidpipe:workerSpot: workerArchitecture ARM64 cannot run on Fargate Spot ("Linux tasks with the ARM64 '
        "architecture don't support the Fargate Spot capacity provider\", "
        "https://docs.aws.amazon.com/AmazonECS/latest/userguide/fargate-capacity-providers.html): every Spot "
        "attempt would fail before the on-demand one. Set vidpipe:workerSpot=false (on-demand Fargate only) "
        "or vidpipe:workerArchitecture=X86_64"
    )
    assert load_settings({"vidpipe:workerArchitecture": "ARM64", "vidpipe:workerSpot": "false"})


@pytest.mark.parametrize(
    ("context", "provider"),
    [
        ({}, "FARGATE_SPOT"),
        ({"vidpipe:workerSpot": "false"}, "FARGATE"),
        ({"vidpipe:workerSpot": True}, "FARGATE_SPOT"),
    ],
)
def test_first_capacity_provider(context: dict[str, Any], provider: str) -> None:
    assert load_settings(context).first_capacity_provider == provider


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [("reconcilerIntervalMinutes", 0, "expected 1..60"), ("reconcilerIntervalMinutes", 61, "expected 1..60"),
     ("slotWaitSeconds", 59, "expected 60..86400"), ("analysisTimeoutSeconds", 604801, "expected 60..604800"),
     ("maxConcurrentTasks", 0, "expected 1..5000"), ("workerSpot", "yes", "expected true or false")],
)  # fmt: skip
def test_new_settings_have_ranges(key: str, value: Any, fragment: str) -> None:
    (problem,) = [p for p in _problems(**{key: value}) if p.startswith(f"vidpipe:{key}:")]
    assert fragment in problem


def test_defaults_satisfy_every_rule() -> None:
    settings = load_settings({})
    assert (settings.slot_wait_seconds, settings.analysis_timeout_seconds) == (3600, 10800)
    assert (settings.reconciler_interval_minutes, settings.worker_spot) == (5, True)
