"""Each injected fault's mechanics on the real pipeline (no-op worker): what AWS would do, locally.

The pipeline's own answers to these faults (replay after a crash, the reconciler, idempotent claims) are the
pipeline's tests; these check that each fault happens as documented and is counted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.e2e.conftest import NOOP_ENV, Pipeline, start_pipeline, wait_until
from vidpipe.contract.names import Output
from vidpipe.local import moto_patches

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pipeline() -> Iterator[Pipeline]:
    yield from start_pipeline(max_tasks=2, worker_env=NOOP_ENV, spot_reclaim_seconds=0.5)


@pytest.fixture(autouse=True)
def no_faults(pipeline: Pipeline) -> Iterator[None]:
    pipeline.runtime.faults.clear()
    yield
    pipeline.runtime.faults.clear()


def _failed_task_errors(pipeline: Pipeline, execution_arn: str) -> list[str]:
    events = pipeline.sfn.get_execution_history(executionArn=execution_arn)["events"]
    return [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]


def _runs(pipeline: Pipeline, job_id: str) -> list[tuple[str, int | None, str | None, tuple[str, ...]]]:
    return [(r.capacity_provider, r.exit_code, r.stop_code, r.faults) for r in pipeline.runs_of(job_id)]


def test_a_worker_crash_scoped_to_spot_crashes_only_the_spot_attempt(
    pipeline: Pipeline, tiny_clip: Path
) -> None:
    fault = pipeline.runtime.faults.add("worker-crash", scope="FARGATE_SPOT", count=1)
    record = pipeline.wait_job(pipeline.upload("faults/crash-spot.mp4", tiny_clip))

    assert record["status"] == "SUCCEEDED", record
    assert _runs(pipeline, record["job_id"]) == [
        ("FARGATE_SPOT", 1, "EssentialContainerExited", ("worker-crash",)),
        ("FARGATE", 0, "EssentialContainerExited", ()),
    ]
    assert fault.fired == 1 and pipeline.runtime.faults.active() == []


def test_a_spot_interruption_reclaims_the_task_with_sigterm(pipeline: Pipeline, tiny_clip: Path) -> None:
    faults = pipeline.runtime.faults
    faults.add("worker-hang", scope="FARGATE_SPOT", count=1)  # still running when it is reclaimed
    faults.add("spot-interruption", count=1)
    record = pipeline.wait_job(pipeline.upload("faults/spot.mp4", tiny_clip))

    assert record["status"] == "SUCCEEDED", record
    spot, on_demand = _runs(pipeline, record["job_id"])
    assert spot == ("FARGATE_SPOT", 143, "SpotInterruption", ("worker-hang", "spot-interruption"))
    assert on_demand[:3] == ("FARGATE", 0, "EssentialContainerExited")
    assert faults.fired("spot-interruption") >= 1


def test_runtask_failures_fail_the_state_with_amazon_ecs_unknown(pipeline: Pipeline, tiny_clip: Path) -> None:
    pipeline.runtime.faults.add_spec("runtask-failure@FARGATE_SPOT:1")
    record = pipeline.wait_job(pipeline.upload("faults/capacity.mp4", tiny_clip))

    assert record["status"] == "SUCCEEDED", record
    assert _failed_task_errors(pipeline, record["execution_arn"]) == ["AmazonECS.Unknown"]
    assert [run[0] for run in _runs(pipeline, record["job_id"])] == ["FARGATE"]  # no Spot task was created


def test_a_throttled_runtask_is_ecs_amazon_ecs_exception(pipeline: Pipeline, tiny_clip: Path) -> None:
    pipeline.runtime.faults.add_spec("ecs-throttle@FARGATE_SPOT:1")
    record = pipeline.wait_job(pipeline.upload("faults/throttle.mp4", tiny_clip))

    assert record["status"] == "SUCCEEDED", record
    assert _failed_task_errors(pipeline, record["execution_arn"]) == ["ECS.AmazonECSException"]
    assert [run[0] for run in _runs(pipeline, record["job_id"])] == ["FARGATE_SPOT"]  # retried on Spot
    assert pipeline.runtime.faults.fired("ecs-throttle") == 1


def test_an_applied_write_then_a_500_for_the_handlers_boto3_calls(pipeline: Pipeline) -> None:
    table = pipeline.outputs[Output.JOB_TABLE]
    pipeline.runtime.faults.add("ddb-applied-then-error", scope="job/PutItem", count=1)
    client = pipeline.runtime.client("dynamodb")
    no_retry = boto3.client(
        "dynamodb",
        endpoint_url=pipeline.runtime.endpoint_url,
        config=Config(retries={"total_max_attempts": 1}),
    )
    with pytest.raises(ClientError) as raised:
        no_retry.put_item(TableName=table, Item={"job_id": {"S": "fault-probe"}})
    assert raised.value.response["Error"]["Code"] == "InternalServerError"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert client.get_item(TableName=table, Key={"job_id": {"S": "fault-probe"}}, ConsistentRead=True)["Item"]
    client.delete_item(TableName=table, Key={"job_id": {"S": "fault-probe"}})  # not a PutItem: no fault
    assert pipeline.runtime.faults.fired("ddb-applied-then-error") == 1


def _abort_hanging(pipeline: Pipeline, tiny_clip: Path, key: str) -> dict[str, Any]:
    pipeline.runtime.faults.add("worker-hang", count=1)
    up = pipeline.upload(key, tiny_clip)
    record = pipeline.wait_job(up, statuses=("RUNNING",))
    wait_until(lambda: any(r.started_at for r in pipeline.runs_of(record["job_id"])), 30, "the worker")
    pipeline.sfn.stop_execution(executionArn=record["execution_arn"], cause="test")
    assert pipeline.wait_execution(record["execution_arn"])["status"] == "ABORTED"
    return record


def test_a_dropped_status_event_never_reaches_the_rule(pipeline: Pipeline, tiny_clip: Path) -> None:
    watcher = pipeline.runtime.watcher
    assert watcher is not None
    pipeline.runtime.faults.add("drop-status-event", scope="ABORTED", count=1)
    record = _abort_hanging(pipeline, tiny_clip, "faults/dropped.mp4")

    dropped = wait_until(
        lambda: [e for e in watcher.dropped if e["detail"]["executionArn"] == record["execution_arn"]],
        30,
        "the dropped event",
    )
    assert dropped[0]["detail"]["status"] == "ABORTED"
    assert all(e["detail"]["executionArn"] != record["execution_arn"] for e in watcher.delivered)
    invoked = [i.payload for i in moto_patches.lambda_async.invocations()]
    assert all(record["execution_arn"].encode() not in payload for payload in invoked)
    assert pipeline.runtime.faults.fired("drop-status-event") == 1


def test_an_execution_end_is_delivered_as_it_happens_not_at_a_poll(
    pipeline: Pipeline, tiny_clip: Path
) -> None:
    """The watcher is told by moto's execution-end hook; its full listing is only a safety net."""
    watcher = pipeline.runtime.watcher
    assert watcher is not None
    polls: list[int] = []
    full_poll = watcher.poll_once
    watcher.poll_once = lambda: polls.append(1)  # type: ignore[method-assign]
    try:
        record = _abort_hanging(pipeline, tiny_clip, "faults/pushed.mp4")
        delivered = wait_until(
            lambda: [e for e in watcher.delivered if e["detail"]["executionArn"] == record["execution_arn"]],
            30,
            "the delivered event",
        )
    finally:
        watcher.poll_once = full_poll  # type: ignore[method-assign]
    assert delivered[0]["detail"]["status"] == "ABORTED"


def test_the_rule_invokes_its_lambda_asynchronously_with_retries_and_destination(
    pipeline: Pipeline, tiny_clip: Path
) -> None:
    """A failing status-change function: Lambda retries it (the template's EventInvokeConfig
    MaximumRetryAttempts), then the invocation record goes to its on-failure destination; the rule's own
    retry policy is not involved (delivery succeeded)."""
    watcher = pipeline.runtime.watcher
    assert watcher is not None
    [rule] = watcher._rules
    function = rule.targets[0].arn
    config = pipeline.runtime.client("lambda").get_function_event_invoke_config(FunctionName=function)
    destination = config["DestinationConfig"]["OnFailure"]["Destination"]
    url = pipeline.sqs.get_queue_url(QueueName=destination.rsplit(":", 1)[-1])["QueueUrl"]
    name = function.split(":")[6]
    real = moto_patches.awslambda._lookup_lambda(name)  # the runtime's registration, restored below
    assert real is not None

    def broken(event: dict[str, Any], context: Any) -> None:
        raise RuntimeError("status-change handler broken")

    moto_patches.register_lambda_handler(name, broken)
    try:
        record = _abort_hanging(pipeline, tiny_clip, "faults/async.mp4")
        messages = wait_until(
            lambda: pipeline.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages"),
            30,
            "a destination record",
        )
    finally:
        moto_patches.register_lambda_handler(name, real.handler, real.environment)
    body = json.loads(messages[0]["Body"])
    assert body["requestContext"]["condition"] == "RetriesExhausted"
    assert body["requestContext"]["approximateInvokeCount"] == 1 + int(config["MaximumRetryAttempts"])
    assert body["requestPayload"]["detail"]["executionArn"] == record["execution_arn"]
    assert body["responsePayload"]["errorType"] == "RuntimeError"
