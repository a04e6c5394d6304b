"""Defect 22: an Event invocation is queued, a function error is retried (EventInvokeConfig
MaximumRetryAttempts), then the invocation record goes to the on-failure destination (SQS)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from vidpipe.local import moto_patches
from vidpipe.local.moto_patches import lambda_async

from ._helpers import REGION, create_function


class Flaky(Exception):
    """The error of a failing attempt."""


@pytest.fixture(autouse=True)
def quick_retries() -> Iterator[None]:
    lambda_async.reset()
    lambda_async.set_retry_delays([0.05])
    yield
    lambda_async.reset()


def _queue(name: str) -> tuple[str, str]:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _records(url: str) -> list[dict[str, Any]]:
    messages = boto3.client("sqs", region_name=REGION).receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def _function(name: str, fail_times: int, calls: list[dict[str, Any]]) -> None:
    create_function(name)

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append(event)
        if len(calls) <= fail_times:
            raise Flaky(f"attempt {len(calls)}")
        return {"done": event["n"]}

    moto_patches.register_lambda_handler(name, handler)


def test_a_failing_event_is_retried_twice_then_recorded_at_the_on_failure_destination() -> None:
    calls: list[dict[str, Any]] = []
    _function("cleanup", fail_times=99, calls=calls)
    url, arn = _queue("cleanup-failures")
    lam = boto3.client("lambda", region_name=REGION)
    lam.put_function_event_invoke_config(
        FunctionName="cleanup", DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    response = lam.invoke(FunctionName="cleanup", InvocationType="Event", Payload=json.dumps({"n": 1}))

    assert response["StatusCode"] == 202
    assert lambda_async.wait_idle(10)
    assert len(calls) == 3  # the first attempt and AWS's two retries (the default)
    [record] = _records(url)
    assert record["version"] == "1.0"
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"].endswith(":function:cleanup:$LATEST")
    assert record["requestPayload"] == {"n": 1}
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorType"] == "Flaky"
    assert record["timestamp"].endswith("Z")


def test_maximum_retry_attempts_zero_means_one_attempt_and_no_destination_drops_it() -> None:
    calls: list[dict[str, Any]] = []
    _function("once", fail_times=99, calls=calls)
    boto3.client("lambda", region_name=REGION).put_function_event_invoke_config(
        FunctionName="once", MaximumRetryAttempts=0
    )
    boto3.client("lambda", region_name=REGION).invoke(
        FunctionName="once", InvocationType="Event", Payload=b'{"n": 2}'
    )
    assert lambda_async.wait_idle(10)
    assert len(calls) == 1
    [invocation] = lambda_async.invocations()
    assert invocation.outcome == "RetriesExhausted" and invocation.destination is None
    assert invocation.errors == ["Flaky"]


def test_a_retry_that_succeeds_goes_to_the_on_success_destination() -> None:
    calls: list[dict[str, Any]] = []
    _function("recovers", fail_times=1, calls=calls)
    url, arn = _queue("successes")
    boto3.client("lambda", region_name=REGION).put_function_event_invoke_config(
        FunctionName="recovers", DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    boto3.client("lambda", region_name=REGION).invoke(
        FunctionName="recovers", InvocationType="Event", Payload=b'{"n": 3}'
    )
    assert lambda_async.wait_idle(10)
    [record] = _records(url)
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responsePayload"] == {"done": 3}
    assert "functionError" not in record["responseContext"]


def test_invoke_returns_before_the_handler_runs() -> None:
    release = threading.Event()
    create_function("slow")
    moto_patches.register_lambda_handler("slow", lambda event, context: release.wait(10))
    started = time.monotonic()
    boto3.client("lambda", region_name=REGION).invoke(
        FunctionName="slow", InvocationType="Event", Payload=b"{}"
    )
    assert time.monotonic() - started < 5
    assert lambda_async.invocations()[0].outcome is None
    release.set()
    assert lambda_async.wait_idle(10)
    assert lambda_async.invocations()[0].outcome == "Success"
